"""Walk one section of a response and collect its metric maps, with where each came from.

A *section* is the top level of a response (the whole timeframe) or the ``metricsData`` of
one interval. Its leaves are the metric maps (``{"totalHandlingTime": 12, ...}``); the walk
visits containers only (a few per skill), never individual values, and hands whole lists of
leaves to the vectorised conversion in :mod:`engframe._arrays`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final

from engframe.errors import EngframeWarning, ResponseError, describe
from engframe.schema import (
    AGENTS_KEY,
    LEVELS,
    MAX_ID,
    PER_AGENT_KEY,
    PER_SKILL_KEY,
    SKILLS_KEY,
    TOTALS_KEY,
)

__all__ = [
    "ALIASES",
    "NO_ID",
    "Block",
    "Leaves",
    "expect_object",
    "member_path",
    "parse_id",
    "render",
    "set_aside",
    "walk_section",
]

LEVEL_CODE: Final = {name: code for code, name in enumerate(LEVELS)}
#: Stands for "no id" in the integer id arrays (real ids are never negative).
NO_ID: Final = -1

#: Key spellings the documentation also uses, mapped to the JSON examples' spelling.
ALIASES: Final = {"skillsMetrics": SKILLS_KEY, "metricsTotal": TOTALS_KEY}


#: A JSON path, rendered only when a message needs it: the section's own path, then keys.
Path = tuple[Any, ...]
#: Members whose own members are ids, so the path shows them as ``["123"]``.
_ID_MAPS: Final = frozenset({PER_SKILL_KEY, PER_AGENT_KEY})


def render(path: Path) -> str:
    """The text of a JSON path, e.g. ``agentsMetrics.metricsPerAgent["agentX"]``."""
    text = path[0]
    for parent, key in pairwise(path):
        if parent in _ID_MAPS or not (isinstance(key, str) and key.isidentifier()):
            text = f"{text}[{_quote(key)}]"
        else:
            text = f"{text}.{key}" if text else key
    return str(text)


@dataclass(frozen=True, slots=True)
class Block:
    """A run of leaves that share a level and a skill, and the JSON path of their container.

    ``keyed`` blocks are id maps (``metricsPerAgent``): leaf ``i`` sits at
    ``path["<agent id>"]``; otherwise the block is one leaf at ``path``.
    """

    first: int
    path: Path
    keyed: bool


@dataclass
class Leaves:
    """The metric maps of one section, with parallel lists of their level and id keys."""

    ids: dict[Any, int] = field(default_factory=dict)
    maps: list[Any] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    skills: list[int] = field(default_factory=list)
    agent_keys: list[Any] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    #: the spelling a response used where it differs from the JSON examples'
    spellings: dict[str, str] = field(default_factory=dict)
    #: members engframe does not know, by JSON path, kept for the user
    unknown: dict[str, Any] = field(default_factory=dict)

    def add_one(self, level: str, skill: int, leaf: Any, path: Path) -> None:
        self.blocks.append(Block(len(self.maps), path, keyed=False))
        self.maps.append(leaf)
        self.levels.append(LEVEL_CODE[level])
        self.skills.append(skill)
        self.agent_keys.append(None)

    def add_keyed(self, level: str, skill: int, by_agent: Mapping[Any, Any], path: Path) -> None:
        count = len(by_agent)
        if not count:
            return
        self.blocks.append(Block(len(self.maps), path, keyed=True))
        self.maps.extend(by_agent.values())
        self.levels.extend([LEVEL_CODE[level]] * count)
        self.skills.extend([skill] * count)
        self.agent_keys.extend(by_agent)

    def skill_id(self, key: Any, path: Path) -> int:
        """The skill id a ``metricsPerSkill`` key stands for (checked once per key)."""
        known = self.ids.get(key)
        if known is None:
            known = self.ids[key] = parse_id(key, path, "skill")
        return known

    def path_of(self, index: int) -> Path:
        """The JSON path of leaf ``index``."""
        block = max((b for b in self.blocks if b.first <= index), key=lambda b: b.first)
        if not block.keyed:
            return block.path
        return (*block.path, self.agent_keys[index])


def parse_id(key: Any, path: Path, what: str) -> int:
    """Turn an id key (a string of decimal digits) into an exact integer."""
    if isinstance(key, str) and key.isascii() and key.isdigit():
        number = int(key)
        if number <= MAX_ID:
            return number
        expected = f"a {what} id that fits in 64 bits"
    else:
        expected = f"a numeric {what} id"
    raise ResponseError(render(path), expected, describe(key))


def _quote(key: Any) -> str:
    return f'"{key}"' if isinstance(key, str) else repr(key)


def member_path(path: str, key: Any) -> str:
    """The JSON path of member ``key`` of the object at ``path``."""
    return render((path, key))


def expect_object(value: Any, path: Path | str, what: str = "an object") -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        where = path if isinstance(path, str) else render(path)
        raise ResponseError(where, what, describe(value))
    return value


def _members(
    container: Mapping[Any, Any], path: Path, known: frozenset[str], leaves: Leaves
) -> Mapping[Any, Any]:
    """Members of ``container`` by their JSON examples' spelling; unknown ones set aside."""
    if known.issuperset(container):
        return container  # the usual case: nothing to rename or set aside
    found: dict[str, Any] = {}
    for key, value in container.items():
        name = ALIASES.get(key, key) if isinstance(key, str) else key
        if name not in known:
            set_aside(leaves.unknown, render((*path, key)), value)
            continue
        if name in found:
            raise ResponseError(render((*path, key)), f"one of {key!r} and {name!r}, not both",
                                "both in the same object")
        if name != key:
            leaves.spellings[name] = key
        found[name] = value
    return found


def set_aside(unknown: dict[str, Any], path: str, value: Any) -> None:
    """Keep a member engframe does not know in ``unknown``, and warn about it."""
    unknown[path] = value
    warnings.warn(
        f"{path}: engframe does not know this member; it is not flattened but kept in "
        "df.attrs['unknown_keys']",
        EngframeWarning,
        stacklevel=6,
    )


_SECTION: Final = frozenset({TOTALS_KEY, SKILLS_KEY, AGENTS_KEY})
_SKILLS: Final = frozenset({PER_SKILL_KEY, TOTALS_KEY})
_SKILL: Final = frozenset({PER_AGENT_KEY, TOTALS_KEY})
_AGENTS: Final = frozenset({PER_AGENT_KEY, TOTALS_KEY})


def walk_section(section: Mapping[Any, Any], path: str, leaves: Leaves) -> None:
    """Collect the leaves of one section (a response's top level or an interval's data).

    ``path`` is the section's JSON path (``""`` for the top level).
    """
    members = _members(section, (path,), _SECTION, leaves)
    if TOTALS_KEY in members:
        leaves.add_one("account", NO_ID, members[TOTALS_KEY], (path, TOTALS_KEY))
    if SKILLS_KEY in members:
        here = (path, leaves.spellings.get(SKILLS_KEY, SKILLS_KEY))
        _walk_skills(expect_object(members[SKILLS_KEY], here), here, leaves)
    if AGENTS_KEY in members:
        here = (path, AGENTS_KEY)
        _walk_agents(expect_object(members[AGENTS_KEY], here), here, leaves)


def _walk_skills(container: Mapping[Any, Any], path: Path, leaves: Leaves) -> None:
    members = _members(container, path, _SKILLS, leaves)
    if PER_SKILL_KEY in members:
        here = (*path, PER_SKILL_KEY)
        by_skill = expect_object(members[PER_SKILL_KEY], here, "an object of skills by id")
        for skill_key, skill in by_skill.items():
            skill_path = (*here, skill_key)
            skill_id = leaves.skill_id(skill_key, skill_path)
            skill = expect_object(skill, skill_path)
            parts = _members(skill, skill_path, _SKILL, leaves)
            if PER_AGENT_KEY in parts:
                agents_path = (*skill_path, PER_AGENT_KEY)
                by_agent = expect_object(parts[PER_AGENT_KEY], agents_path,
                                         "an object of agents by id")
                leaves.add_keyed("skill_agent", skill_id, by_agent, agents_path)
            if TOTALS_KEY in parts:
                leaves.add_one("skill", skill_id, parts[TOTALS_KEY],
                               (*skill_path, TOTALS_KEY))
    if TOTALS_KEY in members:
        leaves.add_one("skills_total", NO_ID, members[TOTALS_KEY], (*path, TOTALS_KEY))


def _walk_agents(container: Mapping[Any, Any], path: Path, leaves: Leaves) -> None:
    members = _members(container, path, _AGENTS, leaves)
    if PER_AGENT_KEY in members:
        here = (*path, PER_AGENT_KEY)
        by_agent = expect_object(members[PER_AGENT_KEY], here, "an object of agents by id")
        leaves.add_keyed("agent", NO_ID, by_agent, here)
    if TOTALS_KEY in members:
        leaves.add_one("agents_total", NO_ID, members[TOTALS_KEY], (*path, TOTALS_KEY))
