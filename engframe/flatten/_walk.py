"""Walk one section of a response and collect its metric maps, with where each came from.

A *section* is the top level of a response (the whole timeframe) or the ``metricsData`` of
one interval. Its leaves are the metric maps (``{"totalHandlingTime": 12, ...}``); the walk
visits containers only (a few per skill), never individual values, and hands whole lists of
leaves to the vectorised conversion in :mod:`engframe.flatten._arrays`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final

from engframe.errors import EngframeWarning, ResponseError, describe
from engframe.limits import MAX_DEPTH
from engframe.query import id_from_text
from engframe.schema import (
    AGENTS_KEY,
    LEVEL_CODE,
    PER_AGENT_KEY,
    PER_SKILL_KEY,
    SKILLS_KEY,
    TOTALS_KEY,
)

__all__ = [
    "ALIASES",
    "NOT_KEYED",
    "UNUSED_ID",
    "Block",
    "IdCache",
    "Leaves",
    "expect_object",
    "known_members",
    "member_path",
    "members_of",
    "parse_id",
    "render",
    "set_aside",
    "too_deep",
    "value_path",
    "walk_section",
]

#: What the id arrays hold where a level has no skill (or no agent). Never read as an id:
#: whether a row has a skill or an agent follows from its level (``schema.LEVEL_HAS``), and
#: every id value, -1 included, is a real id.
UNUSED_ID: Final = 0
#: The agent key of a leaf that is not in an id map (an account's or a skill's total). Not
#: ``None``: a Python dict handed to flatten may hold ``None`` as an agent key, which is no id.
NOT_KEYED: Final = type("NotKeyed", (), {"__repr__": lambda self: "NOT_KEYED"})()
#: An id key: decimal digits, optionally after a minus sign.
_ID_KEY: Final = re.compile(r"-?[0-9]+")

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


class IdCache(dict[Any, int]):
    """The id keys met so far in one response, each with the id it stands for."""

    #: whether some key was not written the plain way (``"007"``, ``"-0"``): only then can
    #: two keys of one object stand for the same id, so only then is that checked
    loose: bool = False

    def parse(self, key: Any, path: Path | Callable[[], Path], what: str) -> int:
        """The id ``key`` stands for (checked once per key).

        ``path`` (or a function giving it, when finding it costs) is where ``key`` sits,
        for the error when it is no id.
        """
        found = self.get(key)
        if found is None:
            number = id_from_text(key) if isinstance(key, str) else None
            if number is None:  # no id: parse_id raises, naming where
                number = parse_id(key, path() if callable(path) else path, what)
            found = self[key] = number
            if str(found) != key:
                self.loose = True
        return found


@dataclass
class Leaves:
    """The metric maps of one section, with parallel lists of their level and id keys."""

    ids: IdCache = field(default_factory=IdCache)
    maps: list[Any] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    skills: list[int] = field(default_factory=list)
    agent_keys: list[Any] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    #: the spelling a response used where it differs from the JSON examples'
    spellings: dict[str, str] = field(default_factory=dict)
    #: members engframe does not know, by JSON path, kept for the user
    unknown: dict[str, Any] = field(default_factory=dict)
    #: object members seen in the containers and in the unknown members (the leaves' own
    #: members are their values, counted when they are converted)
    members: int = 0

    def add_one(self, level: str, skill: int, leaf: Any, path: Path) -> None:
        self.blocks.append(Block(len(self.maps), path, keyed=False))
        self.maps.append(leaf)
        self.levels.append(LEVEL_CODE[level])
        self.skills.append(skill)
        self.agent_keys.append(NOT_KEYED)

    def add_keyed(self, level: str, skill: int, by_agent: Mapping[Any, Any], path: Path) -> None:
        count = len(by_agent)
        self.members += count
        if not count:
            return
        self.blocks.append(Block(len(self.maps), path, keyed=True))
        self.maps.extend(by_agent.values())
        self.levels.extend([LEVEL_CODE[level]] * count)
        self.skills.extend([skill] * count)
        self.agent_keys.extend(by_agent)

    def skill_id(self, key: Any, path: Path) -> int:
        """The skill id a ``metricsPerSkill`` key stands for (checked once per key)."""
        return self.ids.parse(key, path, "skill")

    def path_of(self, index: int) -> Path:
        """The JSON path of leaf ``index``."""
        block = max((b for b in self.blocks if b.first <= index), key=lambda b: b.first)
        if not block.keyed:
            return block.path
        return (*block.path, self.agent_keys[index])


def parse_id(key: Any, path: Path, what: str) -> int:
    """Turn an id key into an exact integer.

    Ids are signed 64-bit integers written as decimal digits, optionally after a minus
    sign (``"-1"``, and ``"007"`` is 7); nothing else (``"+7"``, ``" 7"``, ``"7.0"``).
    """
    number = id_from_text(key) if isinstance(key, str) else None
    if number is not None:
        return number
    expected = (f"a {what} id that fits in 64 bits (a signed 64-bit integer)"
                if isinstance(key, str) and _ID_KEY.fullmatch(key) else f"a numeric {what} id")
    raise ResponseError(render(path), expected, describe(key))


def repeated_id(path: Path, what: str, key: Any, first: Any) -> ResponseError:
    """The error for a key that stands for the same id as an earlier key of its object."""
    return ResponseError(render(path), f"one key per {what} id in an object",
                         f"{describe(key)}, the same id as the key {first!r}")


#: Per level: the members from a section down to its metric map; ``{skill}`` and ``{agent}``
#: stand for the ids.
_LEAF_PATHS: Final = {
    "account": (TOTALS_KEY,),
    "skill_agent": (SKILLS_KEY, PER_SKILL_KEY, "{skill}", PER_AGENT_KEY, "{agent}"),
    "skill": (SKILLS_KEY, PER_SKILL_KEY, "{skill}", TOTALS_KEY),
    "skills_total": (SKILLS_KEY, TOTALS_KEY),
    "agent": (AGENTS_KEY, PER_AGENT_KEY, "{agent}"),
    "agents_total": (AGENTS_KEY, TOTALS_KEY),
}


def value_path(section: str, level: str, skill: int, agent: int, metric: str,
               spellings: Mapping[str, str]) -> str:
    """The JSON path of one value, from where it sits (for messages about a frame's row).

    Ids are shown as they read in decimal (a key written ``"007"`` is shown ``"7"``).
    """
    keys = [spellings.get(key, key).format(skill=skill, agent=agent)
            for key in _LEAF_PATHS[level]]
    return render((section, *keys, metric))


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


def known_members(
    container: Mapping[Any, Any], path: Path, known: frozenset[str], leaves: Leaves, *,
    aliases: Mapping[str, str] = ALIASES,
) -> Mapping[Any, Any]:
    """Members of ``container`` by their JSON examples' spelling (``aliases``: another
    spelling seen in LivePerson's pages -> the examples'); unknown ones set aside with a
    warning, two spellings of one member refused."""
    leaves.members += len(container)
    if known.issuperset(container):
        return container  # the usual case: nothing to rename or set aside
    found: dict[str, Any] = {}
    for key, value in container.items():
        name = aliases.get(key, key) if isinstance(key, str) else key
        if name not in known:
            leaves.members += set_aside(leaves.unknown, render((*path, key)), value)
            continue
        if name in found:
            raise ResponseError(render((*path, key)), f"one of {key!r} and {name!r}, not both",
                                "both in the same object")
        if name != key:
            leaves.spellings[name] = key
        found[name] = value
    return found


def set_aside(unknown: dict[str, Any], path: str, value: Any) -> int:
    """Keep a member engframe does not know in ``unknown``, and warn about it.

    Returns the number of object members inside ``value``.

    Raises
    ------
    ResponseError
        If ``value`` nests deeper than :data:`engframe.limits.MAX_DEPTH`.
    """
    members = members_of(value, path)
    unknown[path] = value
    warnings.warn(
        f"{path}: engframe does not know this member; it is not flattened but kept in "
        "df.attrs['unknown_keys']",
        EngframeWarning,
        stacklevel=6,
    )
    return members


def too_deep(path: str) -> ResponseError:
    """The error for JSON nested deeper than engframe reads."""
    return ResponseError(path, f"JSON nested at most {MAX_DEPTH} levels deep "
                               "(engframe.limits.MAX_DEPTH)", "deeper nesting")


def members_of(value: Any, path: str) -> int:
    """The members of every object in a decoded JSON ``value``; refuse it if too deep."""
    total = 0
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH):
        below: list[Any] = []
        for node in level:
            if isinstance(node, Mapping):
                total += len(node)
                below.extend(child for child in node.values() if isinstance(child, Mapping | list))
            elif isinstance(node, list):
                below.extend(child for child in node if isinstance(child, Mapping | list))
        if not below:
            return total
        level = below
    raise too_deep(path)


_SECTION: Final = frozenset({TOTALS_KEY, SKILLS_KEY, AGENTS_KEY})
_SKILLS: Final = frozenset({PER_SKILL_KEY, TOTALS_KEY})
_SKILL: Final = frozenset({PER_AGENT_KEY, TOTALS_KEY})
_AGENTS: Final = frozenset({PER_AGENT_KEY, TOTALS_KEY})


def walk_section(section: Mapping[Any, Any], path: str, leaves: Leaves) -> None:
    """Collect the leaves of one section (a response's top level or an interval's data).

    ``path`` is the section's JSON path (``""`` for the top level).
    """
    members = known_members(section, (path,), _SECTION, leaves)
    if TOTALS_KEY in members:
        leaves.add_one("account", UNUSED_ID, members[TOTALS_KEY], (path, TOTALS_KEY))
    if SKILLS_KEY in members:
        here = (path, leaves.spellings.get(SKILLS_KEY, SKILLS_KEY))
        _walk_skills(expect_object(members[SKILLS_KEY], here), here, leaves)
    if AGENTS_KEY in members:
        here = (path, AGENTS_KEY)
        _walk_agents(expect_object(members[AGENTS_KEY], here), here, leaves)


def _walk_skills(container: Mapping[Any, Any], path: Path, leaves: Leaves) -> None:
    members = known_members(container, path, _SKILLS, leaves)
    if PER_SKILL_KEY in members:
        here = (*path, PER_SKILL_KEY)
        by_skill = expect_object(members[PER_SKILL_KEY], here, "an object of skills by id")
        leaves.members += len(by_skill)
        seen: dict[int, Any] = {}
        for skill_key, skill in by_skill.items():
            skill_path = (*here, skill_key)
            skill_id = leaves.skill_id(skill_key, skill_path)
            first = seen.setdefault(skill_id, skill_key)
            if first != skill_key:  # "007" after "7": JSON keys differ, ids do not
                raise repeated_id(skill_path, "skill", skill_key, first)
            skill = expect_object(skill, skill_path)
            parts = known_members(skill, skill_path, _SKILL, leaves)
            if PER_AGENT_KEY in parts:
                agents_path = (*skill_path, PER_AGENT_KEY)
                by_agent = expect_object(parts[PER_AGENT_KEY], agents_path,
                                         "an object of agents by id")
                leaves.add_keyed("skill_agent", skill_id, by_agent, agents_path)
            if TOTALS_KEY in parts:
                leaves.add_one("skill", skill_id, parts[TOTALS_KEY],
                               (*skill_path, TOTALS_KEY))
    if TOTALS_KEY in members:
        leaves.add_one("skills_total", UNUSED_ID, members[TOTALS_KEY], (*path, TOTALS_KEY))


def _walk_agents(container: Mapping[Any, Any], path: Path, leaves: Leaves) -> None:
    members = known_members(container, path, _AGENTS, leaves)
    if PER_AGENT_KEY in members:
        here = (*path, PER_AGENT_KEY)
        by_agent = expect_object(members[PER_AGENT_KEY], here, "an object of agents by id")
        leaves.add_keyed("agent", UNUSED_ID, by_agent, here)
    if TOTALS_KEY in members:
        leaves.add_one("agents_total", UNUSED_ID, members[TOTALS_KEY], (*path, TOTALS_KEY))
