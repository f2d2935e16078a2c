"""The grid of a history: the one set of periods every fact of a dataset covers.

Every window the API answers is made of 5-minute buckets, and an interval ends on a bucket
boundary; but an interval longer than 5 minutes ends at "now rounded up", so its periods
move with the moment of the fetch: 60-minute intervals fetched at :02 and at :09 cover
[11:05, 12:05) and [11:10, 12:10), which overlap. A dataset therefore keeps one grid,
``minutes`` long periods ending at ``phase_minutes`` past a multiple of ``minutes`` since the
epoch, and every fact is one period of it. 5-minute buckets (phase 0) are the natural grid:
every fetch of 5-minute intervals lines up with it, and coarser periods are computed at read
time (``engframe.derive(..., by="hour")``).

Within its period a fact covers from ``start`` to ``timestamp``, cut at ``fetched_at``: the
API's newest interval is still filling, and its oldest holds only the remainder of the
window. That coverage ranks the values different fetches gave for one period.

Examples
--------
>>> from engframe.history._grid import Grid
>>> Grid(60, 5).describe()
'60-minute periods ending at 5 minutes past the hour'
>>> Grid(5).describe()
'5-minute buckets'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.window import BUCKET_MINUTES

__all__ = ["BUCKETS", "MINUTE_MS", "WINDOWS_GRID", "Grid", "frame_minutes"]

MINUTE_MS: Final = 60_000
_NAT: Final = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class Grid:
    """Periods of ``minutes`` ending at ``phase_minutes`` past a multiple of ``minutes``."""

    minutes: int
    phase_minutes: int = 0

    @property
    def period_ms(self) -> int:
        return self.minutes * MINUTE_MS

    def aligned(self, ends_ms: np.ndarray) -> np.ndarray:
        """Which period ends lie on the grid."""
        on: np.ndarray = (ends_ms - self.phase_minutes * MINUTE_MS) % self.period_ms == 0
        return on

    def describe(self) -> str:
        """The grid in words, for messages."""
        if self.minutes == BUCKET_MINUTES and self.phase_minutes == 0:
            return "5-minute buckets"
        if self.phase_minutes == 0:
            return f"{self.minutes}-minute periods ending on multiples of {self.minutes} minutes"
        if self.minutes == 60:
            return f"60-minute periods ending at {self.phase_minutes} minutes past the hour"
        return (f"{self.minutes}-minute periods ending {self.phase_minutes} minutes after a "
                f"multiple of {self.minutes} minutes")

    def to_json(self) -> dict[str, int]:
        return {"minutes": self.minutes, "phase_minutes": self.phase_minutes}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grid:
        return cls(int(data["minutes"]), int(data.get("phase_minutes", 0)))

    @classmethod
    def of(cls, minutes: int, end_ms: int) -> Grid:
        """The grid of ``minutes`` long periods on which ``end_ms`` ends one."""
        return cls(minutes, int(end_ms % (minutes * MINUTE_MS)) // MINUTE_MS)


#: The natural grid: the API's 5-minute buckets.
BUCKETS: Final = Grid(BUCKET_MINUTES, 0)

#: The grid of a method stored per fetch window (no intervals): longer than any window
#: (the API's reach is 24 hours), so that a fact covers its window from its start.
WINDOWS_GRID: Final = Grid(2 * 1440, 0)


def frame_minutes(stamps: np.ndarray, starts: np.ndarray, attrs: Mapping[Any, Any], *,
                  ends: np.ndarray | None = None) -> int | None:
    """The interval length [minutes] of one fetch's interval rows, or None when unknowable.

    From the request (``attrs["query"]["interval"]``), else the longest ``timestamp -
    start`` (the oldest interval may be a shorter remainder), else the spacing of the
    timestamps (``ends``: their distinct values, when already known).
    """
    query = attrs.get("query")
    if isinstance(query, Mapping):
        interval = query.get("interval")
        if isinstance(interval, int) and not isinstance(interval, bool) and interval > 0:
            return interval
    known = (starts != _NAT) & (stamps != _NAT)
    if known.any():
        longest = int((stamps[known] - starts[known]).max())
        if longest > 0 and longest % MINUTE_MS == 0:
            return longest // MINUTE_MS
    ends = np.sort(pd.unique(stamps) if ends is None else ends)
    ends = ends[ends != _NAT]
    steps = np.diff(ends)
    if steps.size:
        found, counts = np.unique(steps, return_counts=True)
        step = int(found[np.argmax(counts)])
        if step % MINUTE_MS == 0:
            return step // MINUTE_MS
    return None
