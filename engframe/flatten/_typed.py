"""The fast path: an interval in the API's exact shape, decoded straight into typed structs.

Nearly every interval of a real response holds only the members the spec documents and its
method's documented metrics (engactivity's five integers; msgconversation's twelve, its
averages floats...). For those, msgspec decodes the JSON into structs made from the
catalogue (:mod:`engframe.methods`, one set per method) and checks every type while it
parses (an ``int`` is never a bool, a float or a string), ids arrive as integers (negative
ones too: skill -1), and the metric values are read with one C-level ``attrgetter`` per map.
Anything else (another spelling, an unknown member or metric, a missing metric, a float or
another type, an id out of range or written ``"007"``) makes :func:`typed_interval` return
``None`` and the interval takes the general path (:mod:`engframe.flatten._walk`,
:mod:`engframe.flatten._arrays`), which accepts every valid response and names the first
problem in an invalid one. Both paths give the same rows.

msgspec keeps the last of two equal keys without a word, so :func:`typed_interval` also
counts the members it decoded; the caller compares that with the colons of the raw bytes
(:mod:`engframe.flatten._repeats`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import attrgetter
from typing import Any, Final

import msgspec
import numpy as np

from engframe.flatten._arrays import Chunk, MetricNames
from engframe.flatten._walk import UNUSED_ID
from engframe.methods import METHODS
from engframe.schema import LEVEL_CODE, MAX_EXACT_INT

__all__ = ["Typed", "to_typed_chunk", "typed_interval"]

_UNSET: Final = msgspec.UNSET


@dataclass(frozen=True)
class Typed:
    """A method's typed structs: its metric map holds exactly its documented metrics.

    (Shared with the other shapes' fast paths, :mod:`engframe.flatten._typed_queues`.)
    """

    decoder: msgspec.json.Decoder[Any]
    values: Any  # attrgetter of the metrics, in the catalogue's order
    names: tuple[str, ...]
    floats: tuple[int, ...]  # positions of the metrics sent as floats

    @property
    def per_map(self) -> int:
        return len(self.names)


@cache
def _typed(method: str) -> Typed:
    """The structs of ``method``'s response shape, made from the catalogue once.

    Counts and durations are ``int`` (a JSON float or a bool there takes the general path);
    the averages and scores a method sends as floats are ``float``, which takes a JSON
    integer too (``0`` where nothing was resolved, as the msgconversation page shows).
    """
    found = METHODS[method]
    names = found.metric_names
    kinds = [(m.name, float if m.json_float else int) for m in found.metrics]
    metrics = msgspec.defstruct(f"_Metrics_{method}", kinds, forbid_unknown_fields=True,
                                gc=False)
    unset: Any = msgspec.UnsetType

    def struct(name: str, members: list[tuple[str, Any]]) -> Any:
        return msgspec.defstruct(f"_{name}_{method}",
                                 [(key, kind | unset, _UNSET) for key, kind in members],
                                 forbid_unknown_fields=True, gc=False)

    skill = struct("Skill", [("metricsPerAgent", dict[int, metrics]),  # type: ignore[valid-type]
                             ("metricsTotals", metrics)])
    skills = struct("Skills", [("metricsPerSkill", dict[int, skill]),  # type: ignore[valid-type]
                               ("metricsTotals", metrics)])
    agents = struct("Agents", [("metricsPerAgent", dict[int, metrics]),  # type: ignore[valid-type]
                               ("metricsTotals", metrics)])
    section = struct("Section", [("metricsTotals", metrics), ("skillsMetricsPerAgent", skills),
                                 ("agentsMetrics", agents)])
    interval = msgspec.defstruct(f"_Interval_{method}",
                                 [("timestamp", int), ("metricsData", section)],
                                 forbid_unknown_fields=True, gc=False)
    floats = tuple(i for i, m in enumerate(found.metrics) if m.json_float)
    return Typed(msgspec.json.Decoder(interval), attrgetter(*names), names, floats)


def typed_interval(raw: Any, metrics: MetricNames,
                   method: str = "engactivity") -> tuple[int, Chunk, int] | None:
    """Decode one raw interval of ``method``'s shape and convert it, or ``None`` if it
    needs the general path.

    Returns the timestamp, the chunk and the number of object members decoded.
    """
    typed = _typed(method)
    try:
        interval = typed.decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    maps: list[Any] = []
    levels: list[int] = []
    skills: list[int] = []
    agents: list[int] = []
    members = 2  # the interval's own: timestamp and metricsData

    def add(level: str, skill: int, by_agent: dict[int, Any]) -> None:
        count = len(by_agent)
        maps.extend(by_agent.values())
        levels.extend([LEVEL_CODE[level]] * count)
        skills.extend([skill] * count)
        agents.extend(by_agent)

    def one(level: str, skill: int, totals: Any) -> None:
        maps.append(totals)
        levels.append(LEVEL_CODE[level])
        skills.append(skill)
        agents.append(UNUSED_ID)

    section = interval.metricsData
    if section.metricsTotals is not _UNSET:
        members += 1
        one("account", UNUSED_ID, section.metricsTotals)
    if section.skillsMetricsPerAgent is not _UNSET:
        members += 1
        by_skill = section.skillsMetricsPerAgent.metricsPerSkill
        if by_skill is not _UNSET:
            members += 1 + len(by_skill)
            for skill_id, skill in by_skill.items():
                if skill.metricsPerAgent is not _UNSET:
                    members += 1 + len(skill.metricsPerAgent)
                    add("skill_agent", skill_id, skill.metricsPerAgent)
                if skill.metricsTotals is not _UNSET:
                    members += 1
                    one("skill", skill_id, skill.metricsTotals)
        if section.skillsMetricsPerAgent.metricsTotals is not _UNSET:
            members += 1
            one("skills_total", UNUSED_ID, section.skillsMetricsPerAgent.metricsTotals)
    if section.agentsMetrics is not _UNSET:
        members += 1
        if section.agentsMetrics.metricsPerAgent is not _UNSET:
            members += 1 + len(section.agentsMetrics.metricsPerAgent)
            add("agent", UNUSED_ID, section.agentsMetrics.metricsPerAgent)
        if section.agentsMetrics.metricsTotals is not _UNSET:
            members += 1
            one("agents_total", UNUSED_ID, section.agentsMetrics.metricsTotals)
    chunk = to_typed_chunk(typed, maps, levels, skills, agents, metrics)
    if chunk is None:
        return None
    return interval.timestamp, chunk, members + typed.per_map * len(maps)


def to_typed_chunk(typed: Typed, maps: list[Any], levels: list[int], skills: list[int],
                   agents: list[int], metrics: MetricNames) -> Chunk | None:
    """The chunk of typed metric maps, their levels and ids; ``None`` for the general path
    (a value beyond 64 bits, or an integer a float response cannot hold exactly)."""
    # straight from the structs into the array: no list of a million Python objects between
    count = typed.per_map * len(maps)
    kind = np.float64 if typed.floats else np.int64
    try:
        value_array = np.fromiter(chain.from_iterable(map(typed.values, maps)), kind, count)
        skill_array = np.array(skills, np.int64)
        agent_array = np.array(agents, np.int64)
    except OverflowError:
        return None  # beyond 64 bits: the general path says where
    if typed.floats and count:
        # integers of a float response must be exact in float64 (the general path says where)
        counts = value_array.reshape(-1, typed.per_map)
        exact = np.delete(counts, list(typed.floats), axis=1)
        if exact.size and np.abs(exact).max() > MAX_EXACT_INT:
            return None
    codes = np.array([metrics.code(name) for name in typed.names], np.int16)
    return Chunk(
        values=value_array,
        metric_codes=np.tile(codes, len(maps)),
        sizes=np.broadcast_to(np.int64(typed.per_map), len(maps)),
        levels=np.array(levels, np.int8),
        skills=skill_array,
        agents=agent_array,
        float_codes=frozenset(int(codes[i]) for i in typed.floats) if len(maps) else frozenset(),
    )
