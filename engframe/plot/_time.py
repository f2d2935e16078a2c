"""The time a chart's rows cover, in words, for its title (every chart states its window).

Examples
--------
>>> shown(1_795_600_000_000, "UTC"), zone("Europe/Paris")
('2026-11-25 09:46', 'Europe/Paris')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engframe.derive._attrs import WINDOW_MS
from engframe.derive._select import level_mask, span_mask
from engframe.schema import NAT_MS, epoch_ms

__all__ = ["shown", "window", "zone"]


def window(df: pd.DataFrame, *, level: str, span: str | None, tz: str) -> str:
    """The time the rows of ``level`` (and ``span``) cover, in words, for a title.

    From the earliest ``start`` (else the earliest period end) to the latest period end,
    cut at ``fetched_at`` for data fetched while its period was still filling.
    """
    given = df.attrs.get(WINDOW_MS)
    if isinstance(given, tuple | list) and len(given) == 2:  # a history's, out of core
        return f"{shown(int(given[0]), tz)} to {shown(int(given[1]), tz)} {zone(tz)}"
    rows = level_mask(df, level)
    if span is not None:
        rows &= span_mask(df, span)
    at = np.flatnonzero(rows)
    ends = epoch_ms(df["timestamp"])[at]
    if "fetched_at" in df.columns:
        fetched = epoch_ms(df["fetched_at"])[at]
        ends = np.where((fetched != NAT_MS) & (fetched < ends), fetched, ends)
    known = ends[ends != NAT_MS]
    if not len(known):
        return "time window unknown"
    first = None
    if "start" in df.columns:
        starts = epoch_ms(df["start"])[at]
        starts = starts[starts != NAT_MS]
        first = int(starts.min()) if len(starts) else None

    last = shown(int(known.max()), tz)
    if first is None:
        if known.min() == known.max():
            return f"period ending {last} {zone(tz)}"
        return f"periods ending {shown(int(known.min()), tz)} to {last} {zone(tz)}"
    return f"{shown(first, tz)} to {last} {zone(tz)}"


def shown(ms: int, tz: str) -> str:
    return f"{pd.Timestamp(ms, unit='ms', tz='UTC').tz_convert(tz):%Y-%m-%d %H:%M}"


def zone(tz: str) -> str:
    return "UTC" if tz in ("UTC", "utc") else tz
