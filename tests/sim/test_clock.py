"""The simulator's clock: frozen moments, manual clocks, and what ``now=`` accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from engframe.errors import SimConfigError
from engframe.sim.clock import ManualClock, make_clock, wall_clock

MOMENT = datetime(2014, 3, 26, 8, 7, tzinfo=UTC)
MOMENT_MS = 1_395_821_220_000


def test_aware_datetime_freezes_the_clock_at_that_moment() -> None:
    clock = make_clock(MOMENT.astimezone(timezone(timedelta(hours=2))))
    assert clock() == MOMENT_MS
    assert clock() == MOMENT_MS


def test_naive_datetime_is_taken_as_utc() -> None:
    assert make_clock(MOMENT.replace(tzinfo=None))() == MOMENT_MS


def test_epoch_milliseconds_freeze_the_clock() -> None:
    assert make_clock(MOMENT_MS)() == MOMENT_MS
    assert make_clock(np.int64(MOMENT_MS))() == MOMENT_MS


def test_callable_is_read_on_every_call() -> None:
    ticks = iter([1_000, 2_000])
    clock = make_clock(lambda: next(ticks))
    assert (clock(), clock()) == (1_000, 2_000)


def test_callable_returning_float_milliseconds_is_floored() -> None:
    assert make_clock(lambda: 1_500.9)() == 1_500


def test_none_means_the_wall_clock() -> None:
    assert make_clock(None) is wall_clock
    assert abs(wall_clock() - datetime.now(UTC).timestamp() * 1000) < 60_000


@pytest.mark.parametrize("bad", ["2014-03-26", -1, True, [1]])
def test_unusable_now_is_refused_naming_the_option(bad: object) -> None:
    with pytest.raises(SimConfigError, match="now"):
        make_clock(bad)  # type: ignore[arg-type]


def test_callable_returning_garbage_fails_when_read() -> None:
    clock = make_clock(lambda: "soon")
    with pytest.raises(SimConfigError, match=r"now\(\)"):
        clock()


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(MOMENT_MS)
    assert clock() == MOMENT_MS
    clock.advance(60_000)
    assert clock() == MOMENT_MS + 60_000
    clock.set(5)
    assert clock() == 5


def test_manual_clock_refuses_to_go_before_1970() -> None:
    clock = ManualClock(10)
    with pytest.raises(SimConfigError, match="advance"):
        clock.advance(-11)
    assert clock() == 10
