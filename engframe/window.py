"""The time window the Engagement Activity API really uses for a query.

The API collects events into 5-minute buckets and widens the requested window to whole
buckets (spec: "if the time now is 13:29 and time frame is 7 minutes, the API will use
2 buckets: 13:25 and 13:30"). Interval timestamps mark interval ends; the newest interval
ends at the next bucket boundary (still filling), and the oldest holds only the remainder
of the window (spec: now 08:07, ``timeframe=20&interval=10`` gives 08:00-08:10,
07:50-08:00 and 07:45-07:50).

Pure arithmetic on epoch milliseconds: no clock is read here, ``now_ms`` is always given.

Examples
--------
>>> from engframe.window import query_window
>>> w = query_window(now_ms=1_395_821_220_000, timeframe=20, interval=10)  # 08:07 UTC
>>> [(i.start_ms, i.end_ms) for i in w.intervals][-1] == (w.end_ms - 600_000, w.end_ms)
True
>>> (w.end_ms - w.start_ms) // 60_000
25
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["BUCKET_MINUTES", "BUCKET_MS", "MAX_TIMEFRAME", "MIN_INTERVAL", "Interval", "Window",
           "bucket_ceil", "bucket_floor", "exact_window", "interval_fits", "interval_rule",
           "query_window"]

#: The API's bucket size [minutes]: every window and interval is made of such buckets.
BUCKET_MINUTES: Final = 5
#: The API's bucket size, in milliseconds.
BUCKET_MS: Final = BUCKET_MINUTES * 60_000
#: The longest timeframe the API accepts, in minutes (24 hours).
MAX_TIMEFRAME: Final = 1440
#: The smallest interval the API accepts, in minutes.
MIN_INTERVAL: Final = 5
_MINUTE_MS: Final = 60_000


def interval_rule(timeframe: int) -> str:
    """The rule an ``interval`` must follow for ``timeframe``, in words (for error messages)."""
    return (f"a whole number of {BUCKET_MINUTES}-minute buckets, at least {MIN_INTERVAL}, at "
            f"most the timeframe ({timeframe}) and a divisor of it")


def interval_fits(timeframe: int, interval: int) -> bool:
    """Whether ``interval`` [minutes] is allowed for ``timeframe`` [minutes].

    The spec asks for at least 5 minutes, at most the timeframe, and a divisor of it. engframe
    (the client and the simulator alike) also asks for a multiple of 5: the API counts events
    in 5-minute buckets, so an interval of 7 minutes would end inside a bucket and its values
    could not be told apart from the neighbouring interval's.

    Examples
    --------
    >>> interval_fits(60, 15), interval_fits(14, 7), interval_fits(60, 61)
    (True, False, False)
    """
    return (MIN_INTERVAL <= interval <= timeframe and timeframe % interval == 0
            and interval % BUCKET_MINUTES == 0)


def bucket_floor(ms: int) -> int:
    """Round epoch milliseconds down to a 5-minute bucket boundary."""
    return ms // BUCKET_MS * BUCKET_MS


def bucket_ceil(ms: int) -> int:
    """Round epoch milliseconds up to a 5-minute bucket boundary."""
    return -(-ms // BUCKET_MS) * BUCKET_MS


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval of a response: ``[start_ms, end_ms)`` in epoch milliseconds.

    ``end_ms`` is the timestamp the API gives the interval. ``complete`` says whether the
    interval had ended when the data was fetched (the newest one usually had not).
    """

    start_ms: int
    end_ms: int
    complete: bool


@dataclass(frozen=True, slots=True)
class Window:
    """The window a query covers once widened to whole buckets.

    Attributes
    ----------
    now_ms : int
        When the query ran [epoch ms].
    start_ms, end_ms : int
        The widened window [epoch ms]; ``end_ms`` is ``now_ms`` rounded up to a bucket.
    intervals : tuple of Interval
        Oldest first; empty when the query asked for no intervals.
    """

    now_ms: int
    start_ms: int
    end_ms: int
    intervals: tuple[Interval, ...]

    @property
    def complete(self) -> bool:
        """Whether the whole window had ended when the data was fetched."""
        return self.end_ms <= self.now_ms


def query_window(*, now_ms: int, timeframe: int, interval: int | None = None) -> Window:
    """Compute the window and intervals the API uses for a query run at ``now_ms``.

    Parameters
    ----------
    now_ms : int
        When the query runs [epoch ms, UTC].
    timeframe : int
        The requested timeframe [minutes], 1..1440.
    interval : int, optional
        The requested interval size [minutes]; ``None`` for a single whole-window span.

    Returns
    -------
    Window
        The widened window, with its intervals oldest first.

    Raises
    ------
    ValueError
        If ``timeframe`` or ``interval`` is not a positive integer.

    Examples
    --------
    The spec's 13:29 example: a 7-minute timeframe uses the 13:25 and 13:30 buckets.

    >>> now = 1_395_840_540_000  # 2014-03-26 13:29 UTC
    >>> w = query_window(now_ms=now, timeframe=7)
    >>> (now - w.start_ms) // 60_000, (w.end_ms - now) // 60_000
    (9, 1)
    """
    if timeframe <= 0 or (interval is not None and interval <= 0):
        raise ValueError(f"timeframe and interval must be positive, got {timeframe}, {interval}")
    end = bucket_ceil(now_ms)
    start = bucket_floor(now_ms - timeframe * _MINUTE_MS)
    if interval is None:
        return Window(now_ms, start, end, ())
    step = interval * _MINUTE_MS
    spans = []
    stop = end
    while stop > start:
        spans.append(Interval(max(stop - step, start), stop, stop <= now_ms))
        stop -= step
    return Window(now_ms, start, end, tuple(reversed(spans)))


def exact_window(*, now_ms: int, timeframe: int, interval: int | None = None) -> Window:
    """The window of a method that is not widened to buckets: exactly ``timeframe`` back.

    Agent Activity measures states continuously: its page's example of ``timeframe=20`` and
    ``interval=10`` at 08:07 answers 07:47 - 08:07 (20 minutes) in the intervals 08:00 -
    08:10 (7 minutes of data), 07:50 - 08:00 and 07:47 - 07:50 (3 minutes), and its JSON
    example's Logged-in times add up to exactly the 120 minutes asked. Interval ends stay on
    bucket boundaries, as :func:`query_window`'s; only the window's start differs.

    Parameters
    ----------
    now_ms : int
        When the query runs [epoch ms, UTC].
    timeframe : int
        The requested timeframe [minutes], 1..1440.
    interval : int, optional
        The requested interval size [minutes].

    Returns
    -------
    Window
        ``start_ms`` is ``now_ms - timeframe``; the oldest interval starts there.

    Examples
    --------
    >>> w = exact_window(now_ms=1_395_821_220_000, timeframe=20, interval=10)  # 08:07 UTC
    >>> [(i.end_ms - i.start_ms) // 60_000 for i in w.intervals], (w.now_ms - w.start_ms) // 60_000
    ([3, 10, 10], 20)
    """
    widened = query_window(now_ms=now_ms, timeframe=timeframe, interval=interval)
    start = now_ms - timeframe * _MINUTE_MS
    spans = widened.intervals
    if spans:
        spans = (Interval(start, spans[0].end_ms, spans[0].complete), *spans[1:])
    return Window(now_ms, start, widened.end_ms, spans)
