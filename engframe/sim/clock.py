"""The simulator's clock: what "now" is when a request arrives.

Everything time-dependent in the simulator (the query window, which chats are visible,
token expiry) reads one clock, a zero-argument callable returning epoch milliseconds
(UTC). Tests pin it, so a response for a given moment is reproducible to the byte.

Examples
--------
>>> from engframe.sim.clock import ManualClock, make_clock
>>> clock = ManualClock(1_395_821_220_000)
>>> clock.advance(60_000)
>>> clock()
1395821280000
>>> make_clock(1_395_821_220_000)()
1395821220000
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias

from engframe.errors import SimConfigError, describe

__all__ = ["Clock", "ManualClock", "NowLike", "make_clock", "wall_clock"]

#: A clock: returns the current time [epoch ms, UTC].
Clock: TypeAlias = Callable[[], int]
#: What ``now=`` accepts: ``None`` (the wall clock), a datetime, epoch ms, or a clock.
NowLike: TypeAlias = "datetime | int | Clock | None"


def wall_clock() -> int:
    """The real time [epoch ms, UTC].

    Returns
    -------
    int
        Milliseconds since 1970-01-01 UTC.

    Examples
    --------
    >>> wall_clock() > 1_700_000_000_000
    True
    """
    return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to: for tests of expiry and of "still filling".

    Parameters
    ----------
    start_ms : int
        The time it starts at [epoch ms, UTC].

    Examples
    --------
    >>> clock = ManualClock(0)
    >>> clock.set(5_000)
    >>> clock.advance(1_000)
    >>> clock()
    6000
    """

    def __init__(self, start_ms: int) -> None:
        self._ms = _as_ms(start_ms, where="ManualClock(start_ms)")
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return self._ms

    def __repr__(self) -> str:
        return f"ManualClock({self._ms})"

    def set(self, ms: int) -> None:
        """Jump to ``ms`` [epoch ms, UTC].

        Parameters
        ----------
        ms : int
            The new time.

        Raises
        ------
        SimConfigError
            If ``ms`` is not a non-negative integer.

        Examples
        --------
        >>> clock = ManualClock(0)
        >>> clock.set(42)
        >>> clock()
        42
        """
        value = _as_ms(ms, where="ManualClock.set(ms)")
        with self._lock:
            self._ms = value

    def advance(self, ms: int) -> None:
        """Move forward by ``ms`` milliseconds (negative moves back).

        Parameters
        ----------
        ms : int
            How far to move [ms].

        Raises
        ------
        SimConfigError
            If ``ms`` is not an integer, or the clock would go before 1970.

        Examples
        --------
        >>> clock = ManualClock(1_000)
        >>> clock.advance(-400)
        >>> clock()
        600
        """
        if isinstance(ms, bool) or not isinstance(ms, numbers.Integral):
            raise SimConfigError(
                f"ManualClock.advance(ms): expected an integer [ms], found {describe(ms)}"
            )
        with self._lock:
            self._ms = _as_ms(self._ms + int(ms), where="ManualClock.advance(ms)")


def make_clock(now: NowLike) -> Clock:
    """Turn what ``now=`` was given into a clock.

    Parameters
    ----------
    now : datetime, int, callable or None
        ``None``: the wall clock. A datetime (naive ones are taken as UTC) or a number
        [epoch ms, fractions dropped]: a clock frozen at that moment. A zero-argument
        callable returning epoch ms (such as :class:`ManualClock`): used as is.

    Returns
    -------
    callable
        A zero-argument callable returning epoch ms.

    Raises
    ------
    SimConfigError
        If ``now`` is none of these, or a fixed time lies before 1970.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> make_clock(datetime(2014, 3, 26, 8, 7, tzinfo=timezone.utc))()
    1395821220000
    """
    if now is None:
        return wall_clock
    if isinstance(now, datetime):
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        fixed = _as_ms(round(aware.timestamp() * 1000), where="now")
        return lambda: fixed
    if isinstance(now, numbers.Real) and not isinstance(now, bool):
        fixed = _as_ms(now, where="now")
        return lambda: fixed
    if callable(now):
        return _checked(now)
    raise SimConfigError(
        "now: expected a datetime, epoch milliseconds (int), a zero-argument callable "
        f"returning epoch ms, or None for the wall clock; found {describe(now)}"
    )


def _checked(clock: Callable[[], object]) -> Clock:
    def read() -> int:
        return _as_ms(clock(), where="now()")

    return read


def _as_ms(value: object, *, where: str) -> int:
    # numpy numbers and floats count too: a clock computed as time() * 1000 just works.
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number >= 0:
            return int(value) if isinstance(value, numbers.Integral) else math.floor(number)
    raise SimConfigError(
        f"{where}: expected epoch milliseconds (a non-negative number), found {describe(value)}"
    )
