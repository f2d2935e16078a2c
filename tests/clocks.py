"""A wall clock for tests that only moves when told to (or when something sleeps on it)."""

from __future__ import annotations

#: 2026-11-27T13:29:04.123Z [s since the epoch].
START_S = 1_795_786_144.123


class FakeClock:
    """A wall clock that only moves when told to (or when something sleeps on it)."""

    def __init__(self, start: float = START_S) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return round(self.now * 1000)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
