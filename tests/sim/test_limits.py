"""Concurrency and rate limits (the 429s the real API answers under load)."""

from __future__ import annotations

import pytest

from engframe.errors import SimConfigError
from engframe.sim.limits import Limiter


def test_requests_beyond_max_in_flight_are_refused() -> None:
    limiter = Limiter(max_in_flight=2)
    with limiter.admit() as a, limiter.admit() as b, limiter.admit() as c:
        assert (a, b) == (None, None)
        assert c is not None and "in flight" in c


def test_a_finished_request_frees_its_place() -> None:
    limiter = Limiter(max_in_flight=1)
    with limiter.admit() as first:
        assert first is None
    with limiter.admit() as second:
        assert second is None


def test_a_refused_request_does_not_free_a_place_it_never_had() -> None:
    limiter = Limiter(max_in_flight=1)
    with limiter.admit():
        with limiter.admit() as refused:
            assert refused is not None
        with limiter.admit() as again:
            assert again is not None


def test_rate_limit_counts_requests_in_a_sliding_window() -> None:
    now = [100.0]
    limiter = Limiter(max_in_flight=None, rate_limit=(2, 10.0), monotonic=lambda: now[0])
    outcomes = []
    for moment in (100.0, 101.0, 105.0, 110.5, 111.5):
        now[0] = moment
        with limiter.admit() as refused:
            outcomes.append(refused is None)
    assert outcomes == [True, True, False, True, True]


def test_no_limits_admit_everything() -> None:
    limiter = Limiter(max_in_flight=None)
    with limiter.admit() as a, limiter.admit() as b:
        assert (a, b) == (None, None)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"rate_limit": (0, 1.0)}, "rate_limit"),
        ({"rate_limit": (5, 0)}, "rate_limit"),
        ({"rate_limit": 5}, "rate_limit"),
    ],
)
def test_bad_limits_are_refused(options: dict[str, object], named: str) -> None:
    with pytest.raises(SimConfigError, match=named):
        Limiter(**options)  # type: ignore[arg-type]
