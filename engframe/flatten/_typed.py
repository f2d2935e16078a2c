"""The fast path: an interval in the API's exact shape, decoded straight into typed structs.

Nearly every interval of a real response holds only the members the spec documents and the
five documented metrics, each an integer. For those, msgspec decodes the JSON into the
structs below and checks every type while it parses (an ``int`` is never a bool, a float or
a string), ids arrive as integers (negative ones too: skill -1), and the metric values are
read with one C-level ``attrgetter`` per map. Anything else (another spelling, an unknown
member or metric, a missing metric, a float or another type, an id out of range or written
``"007"``) makes :func:`typed_interval` return ``None`` and the interval takes the general
path (:mod:`engframe.flatten._walk`, :mod:`engframe.flatten._arrays`), which accepts every
valid response and names the first problem in an invalid one. Both paths give the same rows.

msgspec keeps the last of two equal keys without a word, so :func:`typed_interval` also
counts the members it decoded; the caller compares that with the colons of the raw bytes
(:mod:`engframe.flatten._repeats`).
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import Any, Final

import msgspec
import numpy as np

from engframe.flatten._arrays import Chunk, MetricNames
from engframe.flatten._walk import UNUSED_ID
from engframe.schema import LEVEL_CODE, METRICS

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


def typed_interval(raw: Any, metrics: MetricNames) -> tuple[int, Chunk, int] | None:
    """Decode one raw interval and convert it, or ``None`` if it needs the general path.

    Returns the timestamp, the chunk and the number of object members decoded.
    """
    try:
        interval = _DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    maps: list[_Metrics] = []
    levels: list[int] = []
    skills: list[int] = []
    agents: list[int] = []
    members = 2  # the interval's own: timestamp and metricsData

    def add(level: str, skill: int, by_agent: dict[int, _Metrics]) -> None:
        count = len(by_agent)
        maps.extend(by_agent.values())
        levels.extend([LEVEL_CODE[level]] * count)
        skills.extend([skill] * count)
        agents.extend(by_agent)

    def one(level: str, skill: int, totals: _Metrics) -> None:
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
    chunk = _chunk(maps, levels, skills, agents, metrics)
    if chunk is None:
        return None
    return interval.timestamp, chunk, members + _PER_MAP * len(maps)


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
