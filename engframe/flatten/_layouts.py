"""Walk the sections of the response shapes other than Engagement Activity's.

Each Operational Realtime method answers in a shape of its own; each walker here collects a
section's metric maps (the leaves) with where each came from, as :func:`engframe.flatten._walk.
walk_section` does for the Engagement Activity shape, plus the dimensions that shape adds:

==================  ===============================================  ========  ===============
layout (method)     leaf                                             level     dimensions
==================  ===============================================  ========  ===============
``queues``          ``skillsMetrics.{s}``                            skill
(queuehealth)       ``metricsTotals`` (beside ``skillsMetrics``)     skills_total
                    ``metricsTotals`` (alone: no skills asked)       account
``states``          ``agentsMetrics.metricsPerAgent.{a}[i].value``   agent     state
(agentactivity)     ``... .metricsPerAgent.{a}[i].reasons[j].value``  agent     state, reason
``histogram``       ``slaDataRange.{bound}``                          account   bucket
(sla)
``snapshot``        ``skills.{s}``                                   skill
(queuestate)        ``totals``                                       skills_total
==================  ===============================================  ========  ===============

States are read by their ``id``, never by their position in the list (LivePerson's own sample
dashboard reads them by position): the ``state`` dimension is the state's id, which the frame
shows by the catalogue's name (:data:`STATE_NAMES`: "Logged in", "Online", "Back soon",
"Away"), or by the name the answer gives an id the catalogue does not know; the names the
answer used are kept (:attr:`Dims.state_names`) so the response can be rebuilt as it was.
``agentsMetrics.metricsTotals`` is ``[]`` ("totals are not currently supported"): an empty
list is no error and holds no value. A reason's id is a string (``"2642559712"``), kept as the
``reason`` dimension. A bucket's key is its lower bound in seconds, a whole number: the
``bucket`` dimension.

Examples
--------
>>> from engframe.flatten._walk import IdCache, Leaves
>>> leaves, dims = Leaves(ids=IdCache()), Dims()
>>> walk_histogram({"slaDataRange": {"0": {"chats": 2}, "5": {"chats": 1}}}, "", leaves, dims)
>>> dims.bucket, leaves.maps
([0, 5], [{'chats': 2}, {'chats': 1}])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from engframe.errors import ResponseError, describe
from engframe.flatten._walk import (
    UNUSED_ID,
    Leaves,
    Path,
    expect_object,
    known_members,
    render,
    repeated_id,
    set_aside,
)
from engframe.query import id_from_text

__all__ = [
    "LAYOUT_KEYS",
    "NO_VALUE",
    "STATE_NAMES",
    "WALKERS",
    "Codes",
    "DimArrays",
    "Dims",
    "walk_histogram",
    "walk_queues",
    "walk_snapshot",
    "walk_states",
]

#: Where a leaf has no state or bucket (an int64 no id or bound can be).
NO_VALUE: Final = np.iinfo(np.int64).min
#: agentactivity's state ids and the names its page gives them ("Back soon" is sent as
#: "Back in 5" in the page's examples).
STATE_NAMES: Final = {-1: "Logged in", 2: "Online", 3: "Back soon", 4: "Away"}

_SKILLS: Final = "skillsMetrics"
_TOTALS: Final = "metricsTotals"
_AGENTS: Final = "agentsMetrics"
_PER_AGENT: Final = "metricsPerAgent"
_RANGE: Final = "slaDataRange"
#: The documentation's other spelling of the totals (the Engagement Activity family's).
_ALIASES: Final = {"metricsTotal": _TOTALS}
_STATE_MEMBERS: Final = frozenset({"id", "name", "value", "reasons"})
_REASON_MEMBERS: Final = frozenset({"id", "value"})


@dataclass
class Dims:
    """The dimensions a layout adds, one entry per leaf (``None`` where a leaf has none).

    Attributes
    ----------
    state : list of int or None
        agentactivity: the state's id.
    reason : list of str or None
        agentactivity: the Away reason's id.
    bucket : list of int or None
        sla: the bucket's lower bound [s].
    state_names : dict of int to str
        agentactivity: the name the answer gave each state id it holds.
    """

    state: list[int | None] = field(default_factory=list)
    reason: list[str | None] = field(default_factory=list)
    bucket: list[int | None] = field(default_factory=list)
    state_names: dict[int, str] = field(default_factory=dict)

    def add(self, count: int = 1, *, state: int | None = None, reason: str | None = None,
            bucket: int | None = None) -> None:
        self.state.extend([state] * count)
        self.reason.extend([reason] * count)
        self.bucket.extend([bucket] * count)

    def arrays(self, reasons: Codes) -> DimArrays:
        """The dimensions as arrays (reason ids coded in ``reasons``)."""
        return DimArrays(
            state=np.array([NO_VALUE if s is None else s for s in self.state], np.int64),
            reason=np.array([-1 if r is None else reasons.code(r) for r in self.reason],
                            np.int32),
            bucket=np.array([NO_VALUE if b is None else b for b in self.bucket], np.int64),
            state_names=dict(self.state_names),
        )


class Codes:
    """Strings seen so far (reason ids), each with a small integer code."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    @property
    def names(self) -> list[str]:
        return list(self.codes)

    def code(self, name: str) -> int:
        found = self.codes.get(name)
        if found is None:
            found = self.codes[name] = len(self.codes)
        return found


@dataclass(frozen=True, slots=True)
class DimArrays:
    """A chunk's dimensions, one element per leaf.

    Attributes
    ----------
    state : numpy.ndarray of int64
        The state id, :data:`NO_VALUE` where the leaf has no state.
    reason : numpy.ndarray of int32
        The reason's code (:class:`Codes`), -1 where none.
    bucket : numpy.ndarray of int64
        The bucket's lower bound [s], :data:`NO_VALUE` where none.
    state_names : dict of int to str
        The names the answer gave its state ids.
    """

    state: np.ndarray
    reason: np.ndarray
    bucket: np.ndarray
    state_names: dict[int, str]


def _known(container: Mapping[Any, Any], path: Path, known: frozenset[str],
           leaves: Leaves) -> Mapping[Any, Any]:
    """The members of ``container`` engframe knows (by their examples' spelling); others set
    aside with a warning."""
    return known_members(container, path, known, leaves, aliases=_ALIASES)


def _ids_of(by_id: Mapping[Any, Any], path: Path, leaves: Leaves, what: str) -> list[int]:
    """The ids the keys of ``by_id`` stand for, refusing two keys that are one id."""
    seen: dict[int, Any] = {}
    ids = []
    for key in by_id:
        number = leaves.ids.parse(key, (*path, key), what)
        first = seen.setdefault(number, key)
        if first != key:
            raise repeated_id((*path, key), what, key, first)
        ids.append(number)
    return ids


def walk_queues(section: Mapping[Any, Any], path: str, leaves: Leaves, dims: Dims) -> None:
    """queuehealth: ``skillsMetrics`` (per skill) and ``metricsTotals``."""
    members = _known(section, (path,), frozenset({_SKILLS, _TOTALS}), leaves)
    if _SKILLS in members:
        here = (path, leaves.spellings.get(_SKILLS, _SKILLS))
        by_skill = expect_object(members[_SKILLS], here, "an object of skills by id")
        leaves.members += len(by_skill)
        for skill, (key, metrics) in zip(_ids_of(by_skill, here, leaves, "skill"),
                                         by_skill.items(), strict=True):
            leaves.add_one("skill", skill, metrics, (*here, key))
        dims.add(len(by_skill))
    if _TOTALS in members:
        level = "skills_total" if _SKILLS in members else "account"
        leaves.add_one(level, UNUSED_ID, members[_TOTALS],
                       (path, leaves.spellings.get(_TOTALS, _TOTALS)))
        dims.add()


def walk_snapshot(section: Mapping[Any, Any], path: str, leaves: Leaves, dims: Dims) -> None:
    """queuestate: ``skills`` (per skill) and ``totals``."""
    members = _known(section, (path,), frozenset({"skills", "totals"}), leaves)
    if "skills" in members:
        here = (path, "skills")
        by_skill = expect_object(members["skills"], here, "an object of skills by id")
        leaves.members += len(by_skill)
        for skill, (key, metrics) in zip(_ids_of(by_skill, here, leaves, "skill"),
                                         by_skill.items(), strict=True):
            leaves.add_one("skill", skill, metrics, (*here, key))
        dims.add(len(by_skill))
    if "totals" in members:
        leaves.add_one("skills_total", UNUSED_ID, members["totals"], (path, "totals"))
        dims.add()


def walk_histogram(section: Mapping[Any, Any], path: str, leaves: Leaves, dims: Dims) -> None:
    """sla: ``slaDataRange``, one metric map per bucket keyed by its lower bound [s]."""
    members = _known(section, (path,), frozenset({_RANGE}), leaves)
    if _RANGE not in members:
        return
    here = (path, _RANGE)
    buckets = expect_object(members[_RANGE], here, "an object of buckets by lower bound")
    leaves.members += len(buckets)
    seen: dict[int, Any] = {}
    for key, metrics in buckets.items():
        bound = id_from_text(key) if isinstance(key, str) else None
        if bound is None or bound < 0 or key.startswith("-"):
            raise ResponseError(render((*here, key)),
                                "a bucket's lower bound: whole seconds, 0 or more",
                                describe(key))
        first = seen.setdefault(bound, key)
        if first != key:
            raise repeated_id((*here, key), "bucket", key, first)
        leaves.add_one("account", UNUSED_ID, metrics, (*here, key))
        dims.add(bucket=bound)


def walk_states(section: Mapping[Any, Any], path: str, leaves: Leaves, dims: Dims) -> None:
    """agentactivity: per agent, its states by id, each with its reasons."""
    members = _known(section, (path,), frozenset({_AGENTS}), leaves)
    if _AGENTS not in members:
        return
    here = (path, _AGENTS)
    agents = _known(expect_object(members[_AGENTS], here), here,
                    frozenset({_PER_AGENT, _TOTALS}), leaves)
    if _TOTALS in agents and agents[_TOTALS] != []:
        # "Totals are not currently supported": [] is the answer; anything else is news.
        leaves.members += set_aside(leaves.unknown, render((*here, _TOTALS)), agents[_TOTALS])
    if _PER_AGENT not in agents:
        return
    per_path = (*here, _PER_AGENT)
    by_agent = expect_object(agents[_PER_AGENT], per_path, "an object of agents by id")
    leaves.members += len(by_agent)
    _ids_of(by_agent, per_path, leaves, "agent")
    for key, items in by_agent.items():
        agent_path = (*per_path, key)
        if not isinstance(items, list):
            raise ResponseError(render(agent_path), "an array of the agent's states",
                                describe(items))
        seen: set[int] = set()
        for position, item in enumerate(items):
            _state(item, (*agent_path, position), key, seen, leaves, dims)


def _state(item: Any, path: Path, agent_key: Any, seen: set[int], leaves: Leaves,
           dims: Dims) -> None:
    state = _known(expect_object(item, path, "a state object"), path, _STATE_MEMBERS, leaves)
    state_id = state.get("id")
    if not isinstance(state_id, int) or isinstance(state_id, bool):
        raise ResponseError(render((*path, "id")), "the state's id (an integer: -1 Logged in, "
                            "2 Online, 3 Back soon, 4 Away)",
                            "nothing" if "id" not in state else describe(state_id))
    if state_id in seen:
        raise ResponseError(render((*path, "id")), "one entry per state id for an agent",
                            f"state {state_id} again")
    seen.add(state_id)
    given = state.get("name")
    if given is not None and not isinstance(given, str):
        raise ResponseError(render((*path, "name")), "the state's name (a string)",
                            describe(given))
    if given is not None:
        dims.state_names.setdefault(state_id, given)
    if "value" not in state:
        raise ResponseError(render(path), "a member 'value' (the state's times)",
                            "a state without one")
    _leaf(state["value"], (*path, "value"), agent_key, leaves)
    dims.add(state=state_id)
    reasons = state.get("reasons", [])
    if not isinstance(reasons, list):
        raise ResponseError(render((*path, "reasons")), "an array of reasons", describe(reasons))
    ids: set[str] = set()
    for number, reason in enumerate(reasons):
        where = (*path, "reasons", number)
        parts = _known(expect_object(reason, where, "a reason object"), where, _REASON_MEMBERS,
                       leaves)
        reason_id = parts.get("id")
        if isinstance(reason_id, int) and not isinstance(reason_id, bool):
            reason_id = str(reason_id)  # the page types it a string; accept a number too
        if not isinstance(reason_id, str) or not reason_id:
            raise ResponseError(render((*where, "id")), "the reason's id (a string)",
                                "nothing" if "id" not in parts else describe(reason_id))
        if reason_id in ids:
            raise ResponseError(render((*where, "id")), "one entry per reason id in a state",
                                f"reason {reason_id!r} again")
        ids.add(reason_id)
        if "value" not in parts:
            raise ResponseError(render(where), "a member 'value' (the reason's times)",
                                "a reason without one")
        _leaf(parts["value"], (*where, "value"), agent_key, leaves)
        dims.add(state=state_id, reason=reason_id)


def _leaf(value: Any, path: Path, agent_key: Any, leaves: Leaves) -> None:
    """Add one value map of an agent (its agent key is checked by the caller)."""
    leaves.add_one("agent", UNUSED_ID, value, path)
    leaves.agent_keys[-1] = agent_key


#: The walker of each layout, by the layout's name.
WALKERS: Final[Mapping[str, Callable[[Mapping[Any, Any], str, Leaves, Dims], None]]] = {
    "queues": walk_queues,
    "states": walk_states,
    "histogram": walk_histogram,
    "snapshot": walk_snapshot,
}

#: The top-level members that tell each layout apart in an answer engframe meets bare.
LAYOUT_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "histogram": frozenset({_RANGE}),
    "snapshot": frozenset({"skills", "totals"}),
}
