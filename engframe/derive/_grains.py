"""Calendar grains: the hour or day that holds each period, and the periods no grain holds.

A period's data covers ``start`` to ``timestamp``, cut at ``fetched_at`` when it was fetched
while still filling (:mod:`engframe.derive._periods`). The hour (day) of a period is the
calendar hour (day, in the chosen time zone) that holds that whole span; a period that
lies in two of them has no hour (day): a 60-minute interval fetched at :29 covers 12:30 to
13:30, and filing it under 13:00 would move half its chats by an hour. Such periods are
refused, never relabelled. 5-minute buckets (``interval=5``, and every history written by
``engframe sync``) lie inside every hour and every day of every time zone.

Without ``start`` (a bare response, not a saved envelope) a period is taken to span one
interval length before its end (the interval spacing, else the request's ``interval``), and
a whole-timeframe row the whole timeframe; without those, its span is unknown and so is its
hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows, run_starts
from engframe.derive._select import span_mask
from engframe.errors import FrameError
from engframe.schema import NAT_MS, epoch_ms
from engframe.scope import request_of

__all__ = ["GRAIN_ADVICE", "TIME_GRAINS", "grain_labels", "key_column", "nominal_ms"]

#: Calendar grains ``by`` may name besides columns.
TIME_GRAINS: Final = ("day", "hour")

#: What to do when periods straddle a grain (the end of the refusal's message).
GRAIN_ADVICE: Final = ("fetch 5-minute intervals (interval=5), or read a history "
                       "(engframe.sync, engframe.read_dataset), whose 5-minute buckets lie "
                       "inside every hour")

_MS_PER_MINUTE: Final = 60_000


def _request_minutes(attrs: Mapping[Any, Any], key: str) -> float:
    request = request_of(attrs)
    if request is None:
        return np.nan
    value = request.get(key)
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        minutes = float(value)
    except (TypeError, ValueError, OverflowError):
        return np.nan
    return minutes if 0 < minutes < np.inf else np.nan


def nominal_ms(frame: pd.DataFrame, span: str) -> float:
    """The length [ms] of a period of ``span`` whose ``start`` is unknown; NaN if unknowable.

    Intervals: the most common spacing of the interval timestamps, else the request's
    ``interval``. The whole timeframe: from the first interval's start to the last interval's
    end, else the request's ``timeframe``. Every interval is taken as full length, though the
    API's oldest interval holds only the remainder of the window: frames from saved
    envelopes (which have ``start``) are exact, bare responses approximate.
    """
    stamps = np.sort(pd.unique(epoch_ms(frame["timestamp"])[span_mask(frame, "interval")]))
    stamps = stamps[stamps != NAT_MS]
    steps = np.diff(stamps)
    steps = steps[steps > 0]
    if steps.size:
        found, counts = np.unique(steps, return_counts=True)
        spacing = float(found[np.argmax(counts)])
    else:
        spacing = _request_minutes(frame.attrs, "interval") * _MS_PER_MINUTE
    if span == "interval":
        return spacing
    if stamps.size and not np.isnan(spacing):
        return float(stamps[-1] - stamps[0] + spacing)
    return _request_minutes(frame.attrs, "timeframe") * _MS_PER_MINUTE


def _floor(ms: np.ndarray, grain: str, tz: str) -> pd.Series:
    """The start of the local hour or day holding each instant (epoch ms, no NaT)."""
    local = pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).dt.tz_convert(tz)
    if grain == "day":
        day: pd.Series = local.dt.normalize()
        return day
    # floor("h") is ambiguous on a DST fall-back hour; step back by what is past the hour
    into_hour = local.dt.minute * 60_000 + local.dt.second * 1_000 + local.dt.microsecond // 1_000
    hour: pd.Series = local - pd.to_timedelta(into_hour, unit="ms")
    return hour


def grain_labels(frame: pd.DataFrame, rows: np.ndarray, grain: str, tz: str, *,
                 where: str) -> pd.Series:
    """The hour or day (in ``tz``) holding the period of each of ``rows`` of ``frame``.

    Computed on the distinct period ends (a frame repeats a few hundred of them): the
    span a period end covers is the union of what its rows cover (earliest ``start``,
    latest ``timestamp`` cut at ``fetched_at``).

    Raises
    ------
    FrameError
        If a period does not lie inside one hour (day), or its span is unknown.
    """
    if not len(rows):
        return pd.Series(pd.DatetimeIndex([], tz=tz))
    codes, uniques = pd.factorize(epoch_ms(frame["timestamp"])[rows])
    n = len(uniques)
    # the spans are read on the first row of each run of rows alike in them (few rows)
    few = run_starts(frame, rows, ("timestamp", "start", "fetched_at"))
    at, code = rows[few], codes[few]
    last = epoch_ms(frame["timestamp"])[at]
    if "fetched_at" in frame.columns:
        fetched = epoch_ms(frame["fetched_at"])[at]
        early = (fetched != NAT_MS) & (fetched < last)
        last[early] = fetched[early]
    latest = np.full(n, NAT_MS, np.int64)
    np.maximum.at(latest, code, last)
    first = np.full(n, np.iinfo(np.int64).max, np.int64)
    if "start" in frame.columns:
        start = epoch_ms(frame["start"])[at]
        known = start != NAT_MS
        np.minimum.at(first, code[known], start[known])
    guessed = first == np.iinfo(np.int64).max
    if guessed.any():
        at = np.flatnonzero(guessed)
        spans = np.asarray(frame["span"].array.take(rows[first_rows(codes, n)[at]]), str)
        for span in np.unique(spans):
            length = nominal_ms(frame, str(span))
            chosen = at[spans == span]
            first[chosen] = NAT_MS if np.isnan(length) else uniques[chosen] - int(length)
    unknown = (uniques == NAT_MS) | (first == NAT_MS)
    if unknown.any():
        raise FrameError(
            f"{where}: by={grain!r} needs to know when each period lies, and "
            f"{int(unknown.sum())} period(s) of the frame have no known time span (a whole-"
            "timeframe value of a bare response, or intervals of unknown length); keep the "
            "saved envelopes the client writes (save_raw=), or group by 'timestamp'")
    opening = _floor(first, grain, tz)
    closing = _floor(np.maximum(latest - 1, first), grain, tz)
    straddles = (opening != closing).to_numpy(bool)
    if straddles.any():
        _refuse(first[straddles], uniques[straddles], grain, tz, where=where)
    return pd.Series(closing.array.take(codes))


def _refuse(first: np.ndarray, end: np.ndarray, grain: str, tz: str, *, where: str) -> None:
    order = np.argsort(end)
    begin = pd.Timestamp(int(first[order[0]]), unit="ms", tz="UTC").tz_convert(tz)
    stop = pd.Timestamp(int(end[order[0]]), unit="ms", tz="UTC").tz_convert(tz)
    minutes = int(np.median(end - first)) // _MS_PER_MINUTE
    unit = "hour" if grain == "hour" else "day"
    raise FrameError(
        f"{where}: by={grain!r}: {len(end)} period(s) of the frame do not lie inside one "
        f"{unit} ({tz}), e.g. {begin:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M} (periods of "
        f"about {minutes} minutes); engframe will not move their chats into one {unit} or "
        f"the other: {GRAIN_ADVICE}, or group by 'timestamp'")


def key_column(frame: pd.DataFrame, key: str, rows: np.ndarray, tz: str, *,
               where: str = "derive") -> pd.Series:
    """The values of one ``by`` key for ``rows`` of ``frame``: a column, or a grain computed."""
    if key in TIME_GRAINS and key not in frame.columns:
        return grain_labels(frame, rows, key, tz, where=where)
    return frame[key].take(rows).reset_index(drop=True)
