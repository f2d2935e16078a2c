"""How long the periods behind a group lasted, in hours: the denominator of per-hour rates.

Choice (LivePerson gives none): a *period* is one interval (or one whole timeframe) of the
data: rows with the same ``timestamp`` (its end) in the same response (``source``,
``account``) are one period, whatever their level, skill, agent or fetch. Its length is the
clock time its data covers: from ``start`` to ``timestamp``, cut at ``fetched_at`` when the
data was fetched before the period ended (the newest interval is still filling: "now 08:07,
last interval 08:00-08:10, actual 7 minutes"); when its rows disagree (a history keeps each
series' best fetch), the longest coverage counts. Frames without ``start`` (responses not
saved as envelopes) fall back to the spacing of the interval timestamps for intervals, and
to the intervals' total (else the request's ``timeframe`` from ``df.attrs["query"]``) for
whole-timeframe rows; without those the length is unknown and per-hour rates are missing.
The fallback takes every interval as full length, though the API's oldest interval holds
only the remainder of the window: frames from saved envelopes are exact, bare responses
approximate.

A group's hours are the lengths of the distinct periods it spans, each counted once however
many skills, agents or fetches the group holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows, group_ids, run_starts
from engframe.derive._grains import key_column, nominal_ms
from engframe.derive._select import TIME_KEYS
from engframe.schema import NAT_MS, epoch_ms

__all__ = ["MS_PER_HOUR", "PERIOD_KEYS", "group_hours"]

MS_PER_HOUR: Final = 3_600_000

#: Keys that tell periods apart. For per-hour rates the hours of a group are the lengths
#: of the distinct periods sharing the group's values of these keys: the clock time the
#: group spans, once, however many skills or agents it holds.
PERIOD_KEYS: Final = frozenset({"source", "account", "fetched_at", "complete"} | TIME_KEYS)
#: Columns that make two rows of the same timestamp different periods.
_RESPONSE: Final = ("source", "account")
#: What tells a row's period and how much of it its data covers.
_COVERAGE: Final = ("timestamp", "start", "fetched_at", "source", "account")



def group_hours(
    frame: pd.DataFrame,
    *,
    in_span: np.ndarray,
    keys: Sequence[str],
    tz: str,
    group_columns: Sequence[pd.Series],
    group: np.ndarray,
    n: int,
) -> np.ndarray:
    """The hours of each of ``n`` groups, NaN where a period's length is unknown.

    ``in_span`` marks the frame's rows of the span derived (every level: an agent idle in
    an interval still lived through its hours); ``group_columns`` hold the ``keys`` of the
    derived rows and ``group`` their group codes.
    """
    every = np.flatnonzero(in_span)
    period_keys = [k for k in keys if k in PERIOD_KEYS]
    # rows equal in what tells a period and its coverage are interchangeable here: the
    # first of each run stands for all (a few thousand rows, not millions)
    rows = every[run_starts(frame, every, [*_COVERAGE, *(k for k in period_keys
                                                       if k in frame.columns)])]
    identity = ["timestamp", *(c for c in _RESPONSE if c in frame.columns and c not in keys)]
    names = list(dict.fromkeys([*identity, *period_keys]))
    columns = [key_column(frame, key, rows, tz) for key in names]
    ids, _ = group_ids([column.array for column in columns]) if len(rows) else (
        np.zeros(0, np.int64), 0)
    period, first = _dense(ids)
    n_periods = len(first)
    end = epoch_ms(frame["timestamp"])[rows]
    covered = np.full(len(rows), np.nan)
    if "start" in frame.columns:
        start = epoch_ms(frame["start"])[rows]
        stop = end.copy()
        if "fetched_at" in frame.columns:
            fetched = epoch_ms(frame["fetched_at"])[rows]
            early = (fetched != NAT_MS) & (fetched < stop)
            stop[early] = fetched[early]
        known = (start != NAT_MS) & (end != NAT_MS)
        covered[known] = np.maximum(stop[known] - start[known], 0)
    length = np.full(n_periods, -np.inf)
    np.fmax.at(length, period, covered)
    length[np.isneginf(length)] = np.nan
    unknown = np.isnan(length)
    if unknown.any():
        fallback = np.full(n_periods, nominal_ms(frame, str(frame["span"].iloc[rows[0]])))
        if "fetched_at" in frame.columns:
            late = end[first] - epoch_ms(frame["fetched_at"])[rows][first]
            fallback -= np.where((late > 0) & (end[first] != NAT_MS), late, 0)
        length[unknown] = np.clip(fallback[unknown], 0.0, None)
    hours = length / MS_PER_HOUR
    if not period_keys:
        total = np.nan if np.isnan(hours).any() else float(hours.sum())
        return np.full(n, total)
    # the hours of each combination of period keys, read for each derived group
    ours = [columns[names.index(k)].take(first).reset_index(drop=True) for k in period_keys]
    theirs = [group_columns[list(keys).index(k)].take(first_rows(group, n)).reset_index(drop=True)
              for k in period_keys]
    joint = [pd.concat([a, b], ignore_index=True) for a, b in zip(ours, theirs, strict=True)]
    combo, _ = group_ids([column.array for column in joint])
    combo, _first = _dense(combo)
    size = len(_first)
    # (float even when empty: bincount of no weights is int64)
    summed = np.bincount(combo[:n_periods], weights=np.nan_to_num(hours),
                         minlength=size).astype(np.float64, copy=False)
    blind = np.bincount(combo[:n_periods], weights=np.isnan(hours), minlength=size) > 0
    summed[blind] = np.nan
    hours_of_group: np.ndarray = summed[combo[n_periods:]]
    return hours_of_group


def _dense(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of ``ids`` and the position of each code's first occurrence."""
    codes, uniques = pd.factorize(ids)
    codes = codes.astype(np.int64, copy=False)
    return codes, first_rows(codes, len(uniques))
