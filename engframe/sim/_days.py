"""The last few simulated days, drawn once each: a small thread-safe LRU cache by day.

The server answers requests on several threads; a day's table is drawn from a generator
of its own (so no day depends on which others were asked for), outside the lock, and the
least recently used day is dropped beyond ``size``.

Examples
--------
>>> drawn = []
>>> days = DayCache(lambda day: drawn.append(day) or day * 10, size=2)
>>> days(1), days(2), days(1), days(3), days(1)
(10, 20, 10, 30, 10)
>>> drawn  # day 2 was the least recently used when day 3 came
[1, 2, 3]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Generic, TypeVar

__all__ = ["DAY_CACHE", "DayCache"]

#: How many days a simulator keeps drawn (a 24-hour query needs at most 3).
DAY_CACHE: Final = 8

T = TypeVar("T")


class DayCache(Generic[T]):
    """``draw(day)`` remembered for the ``size`` most recently asked days."""

    def __init__(self, draw: Callable[[int], T], *, size: int = DAY_CACHE) -> None:
        self._draw = draw
        self._size = size
        self._days: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, day: int) -> T:
        with self._lock:
            if day in self._days:
                self._days.move_to_end(day)
                return self._days[day]
        table = self._draw(day)  # outside the lock: drawing a day takes a while
        with self._lock:
            self._days[day] = table
            while len(self._days) > self._size:
                self._days.popitem(last=False)
        return table
