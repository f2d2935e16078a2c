"""Frames for the analytics tests (derive, reconcile, plot).

- ``sample_frame(name)``: a spec example from ``data/samples`` through ``engframe.flatten``.
- ``tidy(rows)``: a small tidy frame from ``(timestamp_ms, skill, agent, metric, value,
  level, span)`` tuples (``None`` for a missing timestamp or id), via ``schema.build_frame``.
- ``consistent_response(...)``: a response with skills, agents and intervals whose
  totals all add up exactly, from per-(interval, skill, agent) metric values; tests
  then inject drift into its flattened frame.
- ``bump(df, value_delta, **where)``: a copy of ``df`` with ``value_delta`` added to the
  rows matching every ``column=value`` in ``where``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import engframe
from engframe.schema import LEVELS, METRICS, SPANS, build_frame

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"
SAMPLE_NAMES = sorted(p.relative_to(SAMPLES_DIR).with_suffix("").as_posix()
                      for p in SAMPLES_DIR.rglob("*.json"))

HOUR_MS = 3_600_000
T0 = 1_795_000_000_000 - 1_795_000_000_000 % (24 * HOUR_MS)  # a UTC midnight, epoch ms

Row = tuple[int | None, int | None, int | None, str, int, str, str]


def sample_frame(name: str) -> pd.DataFrame:
    return engframe.flatten(SAMPLES_DIR / f"{name}.json")


def tidy(rows: Iterable[Row], **extra: Any) -> pd.DataFrame:
    """Build a tidy frame; ``extra`` adds columns (one value per row, or a scalar)."""
    rows = list(rows)
    metrics = list(dict.fromkeys([*METRICS, *(r[3] for r in rows)]))
    missing = np.iinfo(np.int64).min

    def column(i: int, none: int) -> np.ndarray:
        return np.array([none if r[i] is None else r[i] for r in rows], dtype=np.int64)

    frame = build_frame(
        timestamp_ms=column(0, missing),
        skill=column(1, -1),
        agent=column(2, -1),
        metric_codes=np.array([metrics.index(r[3]) for r in rows], dtype=np.int64),
        metrics=metrics,
        value=column(4, 0),
        level_codes=np.array([LEVELS.index(r[5]) for r in rows], dtype=np.int64),
        span_codes=np.array([SPANS.index(r[6]) for r in rows], dtype=np.int64),
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def _totals(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    out = dict.fromkeys(METRICS, 0)
    for part in parts:
        for metric, value in part.items():
            out[metric] += value
    return out


def _section(cells: Mapping[tuple[int, int], Mapping[str, int]]) -> dict[str, Any]:
    skills: dict[int, dict[int, Mapping[str, int]]] = {}
    agents: dict[int, list[Mapping[str, int]]] = {}
    for (skill, agent), values in sorted(cells.items()):
        skills.setdefault(skill, {})[agent] = values
        agents.setdefault(agent, []).append(values)
    per_skill = {
        str(s): {
            "metricsPerAgent": {str(a): dict(v) for a, v in members.items()},
            "metricsTotals": _totals(members.values()),
        }
        for s, members in skills.items()
    }
    per_agent = {str(a): _totals(v) for a, v in agents.items()}
    return {
        "skillsMetricsPerAgent": {
            "metricsPerSkill": per_skill,
            "metricsTotals": _totals(cells.values()),
        },
        "agentsMetrics": {"metricsPerAgent": per_agent, "metricsTotals": _totals(cells.values())},
    }


def consistent_response(
    cells: Mapping[tuple[int, int, int], Mapping[str, int]], *, stamps: Iterable[int]
) -> dict[str, Any]:
    """``cells[(interval index, skill, agent)] = {metric: value}``; every total adds up."""
    stamps = list(stamps)
    by_interval = [
        {(s, a): v for (i, s, a), v in cells.items() if i == index} for index in range(len(stamps))
    ]
    whole: dict[tuple[int, int], dict[str, int]] = {}
    for (_, s, a), values in cells.items():
        whole[(s, a)] = _totals([whole.get((s, a), {}), values])
    return {
        "metricsByIntervals": [
            {"timestamp": stamp, "metricsData": _section(part)}
            for stamp, part in zip(stamps, by_interval, strict=True)
        ],
        **_section(whole),
    }


def metrics(chats: int, handling: int, non: int = 0, non_handling: int = 0,
            connected: int | None = None) -> dict[str, int]:
    return {
        "totalInteractiveChats": chats,
        "totalNonInteractiveChats": non,
        "totalHandlingTime": handling,
        "nonInteractiveTotalHandlingTime": non_handling,
        "connectedEngagements": chats + non if connected is None else connected,
    }


def bump(df: pd.DataFrame, value_delta: int, **where: Any) -> pd.DataFrame:
    out = df.copy()
    hit = np.ones(len(out), bool)
    for column, value in where.items():
        series = out[column]
        hit &= (series.isna() if value is None else (series == value).fillna(False)).to_numpy(bool)
    assert hit.any(), f"bump: no row matches {where}"
    out.loc[hit, "value"] = out.loc[hit, "value"] + value_delta
    return out
