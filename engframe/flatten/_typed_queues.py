"""The fast path for queuehealth: intervals in the page's exact shape, decoded into structs.

Nearly every interval of a real queuehealth answer holds ``skillsMetrics`` (per skill id, a
map of the method's metrics) and ``metricsTotals`` (the same map), each map holding every
metric of the catalogue under its documented name (:mod:`engframe.methods.queuehealth`;
``currentQueueSize``, not the page's other spelling ``currentQueueState``), counts and
extremes as integers, averages and the abandonment rate as numbers. msgspec decodes such an
interval straight into structs made from the catalogue and checks every type while it
parses; anything else (an unknown member or metric, a missing one, the other spelling of a
name, a count sent as a float, an id written ``"007"``) makes :func:`typed_queues` return
``None`` and the interval takes the general path (:func:`engframe.flatten._layouts.walk_queues`),
which reads every valid answer and names the first problem of an invalid one. Both paths
give the same rows: the skills' maps (level ``skill``), then the totals (``skills_total``
beside skills, ``account`` alone).

msgspec keeps the last of two equal keys without a word, so :func:`typed_queues` also counts
the members it decoded; the caller compares that with the colons of the raw bytes
(:mod:`engframe.flatten._repeats`).
"""

from __future__ import annotations

from functools import cache
from operator import attrgetter
from typing import Any, Final

import msgspec

from engframe.flatten._arrays import Chunk, MetricNames
from engframe.flatten._typed import Typed, to_typed_chunk
from engframe.flatten._walk import UNUSED_ID
from engframe.methods import METHODS
from engframe.schema import LEVEL_CODE

__all__ = ["typed_queues"]

_UNSET: Final = msgspec.UNSET
_SKILL: Final = LEVEL_CODE["skill"]
_SKILLS_TOTAL: Final = LEVEL_CODE["skills_total"]
_ACCOUNT: Final = LEVEL_CODE["account"]


@cache
def _typed() -> Typed:
    """queuehealth's structs, made from the catalogue once (its synonyms left out)."""
    found = METHODS["queuehealth"]
    chosen = [m for m in found.metrics if m.name not in found.synonyms]
    names = tuple(m.name for m in chosen)
    metrics = msgspec.defstruct("_Metrics_queuehealth",
                                [(m.name, float if m.json_float else int) for m in chosen],
                                forbid_unknown_fields=True, gc=False)
    unset: Any = msgspec.UnsetType
    section = msgspec.defstruct(
        "_Section_queuehealth",
        [("skillsMetrics", dict[int, metrics] | unset, _UNSET),  # type: ignore[valid-type]
         ("metricsTotals", metrics | unset, _UNSET)],
        forbid_unknown_fields=True, gc=False)
    interval = msgspec.defstruct("_Interval_queuehealth",
                                 [("timestamp", int), ("metricsData", section)],
                                 forbid_unknown_fields=True, gc=False)
    floats = tuple(i for i, m in enumerate(chosen) if m.json_float)
    return Typed(msgspec.json.Decoder(interval), attrgetter(*names), names, floats)


def typed_queues(raw: Any, metrics: MetricNames) -> tuple[int, Chunk, int] | None:
    """Decode one raw queuehealth interval and convert it, or ``None`` for the general path.

    Parameters
    ----------
    raw : bytes-like
        The interval's raw JSON.
    metrics : MetricNames
        The response's metric codes.

    Returns
    -------
    tuple of (int, Chunk, int) or None
        The timestamp, the chunk and the number of object members decoded.
    """
    typed = _typed()
    try:
        interval = typed.decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    section = interval.metricsData
    members = 2  # the interval's own: timestamp and metricsData
    maps: list[Any] = []
    levels: list[int] = []
    skills: list[int] = []
    by_skill = section.skillsMetrics
    if by_skill is not _UNSET:
        members += 1 + len(by_skill)
        maps.extend(by_skill.values())
        levels.extend([_SKILL] * len(by_skill))
        skills.extend(by_skill)
    if section.metricsTotals is not _UNSET:
        members += 1
        maps.append(section.metricsTotals)
        levels.append(_ACCOUNT if by_skill is _UNSET else _SKILLS_TOTAL)
        skills.append(UNUSED_ID)
    chunk = to_typed_chunk(typed, maps, levels, skills, [UNUSED_ID] * len(maps), metrics)
    if chunk is None:
        return None
    return interval.timestamp, chunk, members + typed.per_map * len(maps)
