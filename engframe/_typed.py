"""The fast path: an interval in the API's exact shape, decoded straight into typed structs.

Nearly every interval of a real response holds only the members the spec documents and the
five documented metrics, each an integer. For those, msgspec decodes the JSON into the
structs below and checks every type while it parses (an ``int`` is never a bool, a float or
a string), ids arrive as integers, and the metric values are read with one C-level
``attrgetter`` per map. Anything else (another spelling, an unknown member or metric, a
missing metric, a wrong type, an id out of range) makes :func:`typed_chunk` return ``None``
and the interval takes the general path (:mod:`engframe._walk`, :mod:`engframe._arrays`),
which accepts every valid response and names the first problem in an invalid one. Both paths
give the same rows.
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import Any, Final

import msgspec
import numpy as np

from engframe._arrays import Chunk, MetricNames
from engframe._walk import LEVEL_CODE, NO_ID
from engframe.schema import METRICS

__all__ = ["typed_interval"]

_UNSET: Final = msgspec.UNSET


class _Metrics(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A metric map holding exactly the five documented metrics (in any order)."""

    totalInteractiveChats: int
    totalNonInteractiveChats: int
    totalHandlingTime: int
    nonInteractiveTotalHandlingTime: int
    connectedEngagements: int


class _Skill(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    metricsPerAgent: dict[int, _Metrics] | msgspec.UnsetType = _UNSET
    metricsTotals: _Metrics | msgspec.UnsetType = _UNSET


class _Skills(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    metricsPerSkill: dict[int, _Skill] | msgspec.UnsetType = _UNSET
    metricsTotals: _Metrics | msgspec.UnsetType = _UNSET


class _Agents(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    metricsPerAgent: dict[int, _Metrics] | msgspec.UnsetType = _UNSET
    metricsTotals: _Metrics | msgspec.UnsetType = _UNSET


class _Section(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    metricsTotals: _Metrics | msgspec.UnsetType = _UNSET
    skillsMetricsPerAgent: _Skills | msgspec.UnsetType = _UNSET
    agentsMetrics: _Agents | msgspec.UnsetType = _UNSET


class _Interval(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    timestamp: int
    metricsData: _Section


_DECODER: Final = msgspec.json.Decoder(_Interval)
_VALUES: Final = attrgetter(*METRICS)
_PER_MAP: Final = len(METRICS)
_KEYED: Final = frozenset({"skill_agent", "agent"})


def typed_interval(raw: Any, metrics: MetricNames) -> tuple[int, Chunk] | None:
    """Decode one raw interval and convert it, or ``None`` if it needs the general path."""
    try:
        interval = _DECODER.decode(raw)
    except msgspec.DecodeError:
        return None
    maps: list[_Metrics] = []
    levels: list[int] = []
    skills: list[int] = []
    agents: list[int] = []
    lowest = 0  # the smallest id key: a negative one sends the interval the general way

    def add(level: str, skill: int, by_agent: dict[int, _Metrics]) -> None:
        nonlocal lowest
        count = len(by_agent)
        if level in _KEYED and count:
            lowest = min(lowest, min(by_agent))
        maps.extend(by_agent.values())
        levels.extend([LEVEL_CODE[level]] * count)
        skills.extend([skill] * count)
        agents.extend(by_agent)

    section = interval.metricsData
    if section.metricsTotals is not _UNSET:
        add("account", NO_ID, {NO_ID: section.metricsTotals})
    if section.skillsMetricsPerAgent is not _UNSET:
        by_skill = section.skillsMetricsPerAgent.metricsPerSkill
        if by_skill is not _UNSET:
            lowest = min(lowest, min(by_skill, default=0))
            for skill_id, skill in by_skill.items():
                if skill.metricsPerAgent is not _UNSET:
                    add("skill_agent", skill_id, skill.metricsPerAgent)
                if skill.metricsTotals is not _UNSET:
                    add("skill", skill_id, {NO_ID: skill.metricsTotals})
        if section.skillsMetricsPerAgent.metricsTotals is not _UNSET:
            add("skills_total", NO_ID, {NO_ID: section.skillsMetricsPerAgent.metricsTotals})
    if section.agentsMetrics is not _UNSET:
        if section.agentsMetrics.metricsPerAgent is not _UNSET:
            add("agent", NO_ID, section.agentsMetrics.metricsPerAgent)
        if section.agentsMetrics.metricsTotals is not _UNSET:
            add("agents_total", NO_ID, {NO_ID: section.agentsMetrics.metricsTotals})
    chunk = _chunk(maps, levels, skills, agents, metrics)
    if chunk is None or lowest < 0:
        return None
    return interval.timestamp, chunk


def _chunk(maps: list[_Metrics], levels: list[int], skills: list[int], agents: list[int],
           metrics: MetricNames) -> Chunk | None:
    values = list(chain.from_iterable(map(_VALUES, maps)))
    try:
        value_array = np.fromiter(values, np.int64, len(values))
        skill_array = np.array(skills, np.int64)
        agent_array = np.array(agents, np.int64)
    except OverflowError:
        return None  # beyond 64 bits: the general path says where
    codes = np.array([metrics.code(name) for name in METRICS], np.int16)
    return Chunk(
        values=value_array,
        metric_codes=np.tile(codes, len(maps)),
        sizes=np.broadcast_to(np.int64(_PER_MAP), len(maps)),
        levels=np.array(levels, np.int8),
        skills=skill_array,
        agents=agent_array,
    )
