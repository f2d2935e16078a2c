"""How long the period behind a row lasted, in hours: the denominator of per-hour rates.

Choice (LivePerson gives none): a period runs from the row's ``start`` to its
``timestamp`` (its end), cut at ``fetched_at`` when the data was fetched before the
period ended (the newest interval is still filling: "now 08:07, last interval 08:00-08:10,
actual 7 minutes"). Frames without ``start`` (responses not saved as envelopes) fall back
to the spacing of the interval timestamps for intervals, and to the intervals' total
(else the request's ``timeframe`` from ``df.attrs["query"]``) for whole-timeframe rows;
without those the length is unknown and per-hour rates are missing. The fallback takes
every interval as full length, though the API's oldest interval holds only the remainder
of the window: frames from saved envelopes are exact, bare responses approximate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = ["MS_PER_HOUR", "QUERY_ATTRS", "period_hours", "query_of"]

MS_PER_HOUR: Final = 3_600_000
_MS_PER_MINUTE: Final = 60_000


def _ms(values: pd.Series) -> np.ndarray:
    """Epoch milliseconds as float, NaN for NaT (whatever the datetime unit)."""
    naive = pd.to_datetime(values, utc=True).dt.tz_localize(None)
    raw = naive.to_numpy(dtype="datetime64[ms]")
    out = raw.astype(np.int64).astype(np.float64)
    out[np.isnat(raw)] = np.nan
    return out


#: Where a frame's ``attrs`` may hold the request it answers: ``engframe.flatten``
#: writes ``query``; ``request`` is the saved envelope's own name for it.
QUERY_ATTRS: Final = ("query", "request")


def query_of(attrs: Mapping[Any, Any]) -> Mapping[str, Any] | None:
    """The request a frame answers, from its ``attrs``, or None when unknown."""
    for name in QUERY_ATTRS:
        query = attrs.get(name)
        if isinstance(query, Mapping):
            return query
    return None


def _request_minutes(attrs: Mapping[Any, Any], key: str) -> float:
    request = query_of(attrs)
    if request is None:
        return np.nan
    value = request.get(key)
    if value is None:
        return np.nan
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return np.nan
    return minutes if minutes > 0 else np.nan


def _interval_stamps(frame: pd.DataFrame) -> np.ndarray:
    stamps = frame.loc[(frame["span"] == "interval").to_numpy(bool), "timestamp"]
    return np.unique(_ms(stamps.drop_duplicates()))


def _spacing_ms(stamps: np.ndarray, attrs: Mapping[Any, Any]) -> float:
    stamps = stamps[~np.isnan(stamps)]
    steps = np.diff(stamps)
    steps = steps[steps > 0]
    if steps.size:
        values, counts = np.unique(steps, return_counts=True)
        return float(values[np.argmax(counts)])
    return _request_minutes(attrs, "interval") * _MS_PER_MINUTE


def period_hours(periods: pd.DataFrame, *, frame: pd.DataFrame, span: str) -> np.ndarray:
    """Return the length [h] of each period (row) of ``periods``, NaN where unknown.

    ``periods`` holds ``timestamp`` and, when known, ``start`` and ``fetched_at``;
    ``frame`` is the whole tidy frame, read for interval spacing and ``attrs``.
    """
    end = _ms(periods["timestamp"])
    start = _ms(periods["start"]) if "start" in periods else np.full(len(periods), np.nan)
    length = end - start
    unknown = np.isnan(length)
    if unknown.any():
        stamps = _interval_stamps(frame)
        spacing = _spacing_ms(stamps, frame.attrs)
        if span == "interval":
            fallback = spacing
        elif stamps.size and not np.isnan(spacing):
            fallback = float(stamps[-1] - stamps[0] + spacing)
        else:
            fallback = _request_minutes(frame.attrs, "timeframe") * _MS_PER_MINUTE
        length[unknown] = fallback
    if "fetched_at" in periods:
        unelapsed = end - _ms(periods["fetched_at"])
        length -= np.where(unelapsed > 0, unelapsed, 0.0)
    hours: np.ndarray = np.clip(length, 0.0, None) / MS_PER_HOUR
    return hours
