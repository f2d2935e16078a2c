"""Overlapping fetches in one folder: each period once, chosen by the history's rule.

A folder of saved fetches (``save_raw=``, the demo's ``raw/``) holds the same information as
a history: fetches of one request that overlap in time give the same periods again. Stacked
as they are, every sum would count such a period once per fetch. :func:`resolve` keeps each
period once, the way :func:`engframe.export` keeps one fact per period:

- Fetches are grouped by what they answer: the same account, method (``engactivity`` when
  the envelope names none, as engframe 0.2 saved them) and request scope (``skillIds`` and
  ``agentIds``). Only saved envelopes say both, and when they were fetched;
  a bare response is a group of its own, kept as it is.
- Within a group, every **interval** (its end, ``timestamp``) is taken whole from one fetch:
  the one whose data covers most of it (the newest interval is still filling; the API's
  oldest holds only the remainder of the window), then the later fetch, then the later file
  in name order. Rows of the other fetches for that interval are superseded. Intervals that
  overlap without being the same period (60-minute intervals of fetches made at :02 and at
  :09) cannot be told apart: a :class:`~engframe.errors.SourceError` names the two files.
- A **whole-timeframe** row totals its own fetch's window. Fetches of the same window are
  ranked like an interval; windows that do not overlap are all kept; windows that overlap
  without being equal cannot be combined, and their whole-timeframe rows are left out (their
  intervals hold the same chats), or, for fetches without intervals, refused.

Taking a period whole from one fetch keeps every period's totals and parts from the same
answer, so :func:`engframe.reconcile` checks what the API said together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows
from engframe.derive._select import span_mask
from engframe.errors import SourceError
from engframe.methods import DEFAULT_METHOD
from engframe.schema import NAT_MS, epoch_ms
from engframe.scope import Scope, request_of

__all__ = ["Resolution", "resolve"]

_MINUTE_MS: Final = 60_000


@dataclass(frozen=True)
class Resolution:
    """Which rows of each fetch a folder keeps, and how many it did not.

    ``keep[i]`` is a boolean mask over the rows of frame ``i`` (None: all of them).
    """

    keep: list[np.ndarray | None]
    superseded: int
    left_out: int


@dataclass(frozen=True)
class _Fetch:
    """What one file says about its periods."""

    index: int
    ends: np.ndarray  # distinct interval ends [epoch ms]
    starts: np.ndarray  # where its data of each interval starts [epoch ms]
    covered: np.ndarray  # how much of each interval its data covers [ms]
    fetched: int  # [epoch ms]
    window: tuple[int, int] | None  # the whole timeframe's start and end [epoch ms]
    has_intervals: bool


def _group_key(frame: pd.DataFrame, index: int) -> tuple[Any, ...]:
    """What a file answers: (account, skills, agents) of a saved fetch; else the file alone."""
    request = request_of(frame.attrs)
    if request is None or "fetched_at" not in frame.columns or not len(frame):
        return ("file", index)
    scope = Scope.of_request(request)
    selected = (None, None) if scope is None else tuple(scope.text().values())
    account = frame.attrs.get("account", request.get("account"))
    # fetches of different methods answer different questions, whatever their periods
    method = request.get("method", DEFAULT_METHOD)
    return ("fetch", None if account is None else str(account), str(method), *selected)


def _fetch_of(frame: pd.DataFrame, index: int) -> _Fetch:
    stamp = epoch_ms(frame["timestamp"])
    interval = span_mask(frame, "interval")
    rows = np.flatnonzero(interval & (stamp != NAT_MS))
    codes, ends = pd.factorize(stamp[rows])
    first = rows[first_rows(codes.astype(np.int64), len(ends))]
    ends = np.asarray(ends, np.int64)
    fetched = epoch_ms(frame["fetched_at"])
    start = epoch_ms(frame["start"]) if "start" in frame.columns else np.full(len(frame), NAT_MS)
    starts = start[first]
    known = starts != NAT_MS
    stop = np.minimum(ends, np.where(fetched[first] == NAT_MS, ends, fetched[first]))
    covered = np.where(known, np.maximum(stop - starts, 0), -1)
    moment = int(fetched[0]) if len(fetched) else NAT_MS
    return _Fetch(index, ends, np.where(known, starts, ends - _length_ms(frame)), covered,
                  moment, _window(frame), bool(len(rows)))


def _length_ms(frame: pd.DataFrame) -> int:
    request = request_of(frame.attrs) or {}
    interval = request.get("interval")
    if isinstance(interval, int) and not isinstance(interval, bool) and interval > 0:
        return interval * _MINUTE_MS
    return 0


def _window(frame: pd.DataFrame) -> tuple[int, int] | None:
    window = frame.attrs.get("window")
    if not isinstance(window, Mapping):
        return None
    try:
        bounds = pd.Timestamp(window["start"]), pd.Timestamp(window["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return int(bounds[0].value // 1_000_000), int(bounds[1].value // 1_000_000)


def resolve(frames: Sequence[pd.DataFrame], names: Sequence[str]) -> Resolution:
    """Which rows of ``frames`` (the files ``names`` of one folder) a folder keeps.

    Raises
    ------
    SourceError
        If two fetches of one request hold intervals (or, without intervals, whole
        timeframes) that overlap without being the same period.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, frame in enumerate(frames):
        groups.setdefault(_group_key(frame, index), []).append(index)
    keep: list[np.ndarray | None] = [None] * len(frames)
    superseded = left_out = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        fetches = [_fetch_of(frames[i], i) for i in members]
        winners = _interval_winners(fetches, names)
        whole = _whole_timeframes(fetches, names)
        for fetch in fetches:
            frame = frames[fetch.index]
            interval = span_mask(frame, "interval")
            stamps = epoch_ms(frame["timestamp"])
            kept = np.where(interval, np.isin(stamps, winners[fetch.index]),
                            whole.get(fetch.index, False))
            superseded += int((interval & ~kept).sum())
            left_out += int((~interval & ~kept).sum())
            keep[fetch.index] = None if kept.all() else kept
    return Resolution(keep, superseded, left_out)


def _interval_winners(fetches: list[_Fetch], names: Sequence[str]) -> dict[int, np.ndarray]:
    """The interval ends each fetch wins: most coverage, then latest fetch, then last file."""
    owner = np.concatenate([np.full(len(f.ends), f.index, np.int64) for f in fetches])
    ends = np.concatenate([f.ends for f in fetches])
    starts = np.concatenate([f.starts for f in fetches])
    covered = np.concatenate([f.covered for f in fetches])
    fetched = np.concatenate([np.full(len(f.ends), f.fetched, np.int64) for f in fetches])
    order = np.lexsort((owner, fetched, covered, ends))
    last = np.r_[ends[order][1:] != ends[order][:-1], True] if len(order) else order.astype(bool)
    won = order[last]  # one per end, sorted by end
    # the periods kept must not overlap: a period starting before the previous one ended
    # is another fetch's period on another grid (60-minute intervals fetched at :02 and :09)
    clash = np.flatnonzero(starts[won][1:] < ends[won][:-1])
    if len(clash):
        a, b = won[clash[0]], won[clash[0] + 1]
        raise SourceError(
            f"{names[owner[a]]} and {names[owner[b]]}: intervals of the same request overlap "
            f"without being the same period ({_span(starts[a], ends[a])} and "
            f"{_span(starts[b], ends[b])}); engframe cannot tell which chats of one are in "
            "the other: load these files apart, or fetch 5-minute intervals (interval=5), "
            "whose periods always line up")
    return {f.index: ends[won][owner[won] == f.index] for f in fetches}


def _whole_timeframes(fetches: list[_Fetch], names: Sequence[str]) -> dict[int, bool]:
    """Whether each fetch keeps its whole-timeframe rows."""
    windows = [f for f in fetches if f.window is not None]
    best: dict[tuple[int, int], _Fetch] = {}
    for fetch in windows:  # the same window: ranked like one interval
        assert fetch.window is not None
        held = best.get(fetch.window)
        if held is None or _rank(fetch) > _rank(held):
            best[fetch.window] = fetch
    spans = sorted(best)
    overlapping = any(later[0] < earlier[1] for earlier, later in pairwise(spans))
    if overlapping:
        without = [f for f in fetches if not f.has_intervals]
        if without:
            raise SourceError(
                f"{names[without[0].index]}: its whole timeframe overlaps another fetch's of "
                "the same request without being the same window, and it has no intervals: "
                "their totals cannot be combined without counting chats twice; load these "
                "files apart, or fetch with an interval (interval=5)")
        return {f.index: False for f in fetches}
    return {f.index: f.window is None or best[f.window] is f for f in fetches}


def _rank(fetch: _Fetch) -> tuple[int, int, int]:
    assert fetch.window is not None
    start, end = fetch.window
    covered = min(end, fetch.fetched if fetch.fetched != NAT_MS else end) - start
    return covered, fetch.fetched, fetch.index


def _span(start: int, end: int) -> str:
    begin = pd.Timestamp(int(start), unit="ms", tz="UTC")
    stop = pd.Timestamp(int(end), unit="ms", tz="UTC")
    return f"{begin:%Y-%m-%d %H:%M} to {stop:%H:%M} UTC"
