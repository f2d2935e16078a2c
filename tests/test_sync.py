"""engframe.sync: fetch and export, once or on a schedule, against the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import engframe
from engframe import sim
from engframe.client import Client
from engframe.transport import RetryPolicy

NOW_MS = 1_795_638_540_000


@pytest.fixture
def clock() -> sim.ManualClock:
    return sim.ManualClock(NOW_MS)


@pytest.fixture
def server(clock: sim.ManualClock) -> Iterator[sim.SimServer]:
    with sim.serve(seed=5, now=clock) as running:
        yield running


@pytest.fixture
def client(server: sim.SimServer, clock: sim.ManualClock) -> Iterator[Client]:
    fast = RetryPolicy(retries_5xx=0, retries_429=0)
    with Client(server.account, auth=(server.client_id, server.client_secret),
                csds_url=server.base_url, cache=False, retry=fast,
                clock=lambda: clock() / 1000) as made:
        yield made


def test_once_exports_one_fetch(client, tmp_path):
    results = engframe.sync(tmp_path, client=client, timeframe=60, interval=15)
    assert len(results) == 1 and results[0].inserted > 0
    assert len(engframe.read_dataset(tmp_path)) == results[0].inserted


def test_repeated_turns_wait_between_fetches_and_complete_the_filling_interval(
    client, clock, tmp_path
):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(int(seconds * 1000))

    results = engframe.sync(tmp_path, client=client, timeframe=60, interval=15, every=15,
                            times=3, sleep=sleep, clock=lambda: clock() / 1000)
    assert len(results) == 3
    assert waits == [900.0, 900.0]
    assert results[1].updated > 0  # the interval that was filling got its final values
    stored = engframe.read_dataset(tmp_path)
    key = ["timestamp", "span", "level", "skill", "agent", "metric", "start"]
    assert not stored.duplicated(key).any()


def test_a_failed_turn_is_retried_next_turn(client, server, tmp_path):
    server.faults.script("status", status=503, count=1)
    results = engframe.sync(tmp_path, client=client, timeframe=60, interval=15, every=1,
                            times=2, sleep=lambda _s: None)
    assert len(results) == 1


def test_running_once_raises_the_failure(client, server, tmp_path):
    server.faults.script("status", status=503, count=1)
    with pytest.raises(engframe.APIError):
        engframe.sync(tmp_path, client=client, timeframe=60)


def test_refused_credentials_stop_a_repeated_sync(server, tmp_path):
    with pytest.raises(engframe.AuthError):
        engframe.sync(tmp_path, account=server.account, auth=(server.client_id, "wrong"),
                      csds_url=server.base_url, cache=False, every=1, times=3,
                      sleep=lambda _s: None)
