"""engframe.sync: fetch what the history lacks and export it, once or on a schedule."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import DatasetError, OptionError
from engframe.sync import MIN_EVERY, MIN_PAUSE, plan_fetch
from engframe.transport import RetryPolicy

NOW_MS = 1_795_638_540_000  # 2026-11-25 20:29:00 UTC
MINUTE = 60_000
BUCKET = 300_000


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


def _timeframes(server: sim.SimServer) -> list[int]:
    return [int(r["query"]["timeframe"]) for r in server.requests
            if r["path"].endswith("/engactivity")]


# --- the plan: what a turn fetches --------------------------------------------------------


def test_a_first_turn_fetches_the_whole_day_the_api_keeps():
    plan = plan_fetch(complete=[], newest=None, now_ms=NOW_MS)
    assert (plan.timeframe, plan.lost) == (1440, None)


def test_a_turn_fetches_from_the_oldest_incomplete_bucket_with_a_margin():
    now = NOW_MS - NOW_MS % BUCKET + 123_000  # 2 min 3 s into a bucket
    ends = np.arange(now - now % BUCKET - 1440 * MINUTE, now - now % BUCKET + 1, BUCKET)
    held = ends[ends <= now - now % BUCKET - 60 * MINUTE]  # the last hour is missing
    plan = plan_fetch(complete=held, newest=int(held.max()), now_ms=now, margin=10)
    # from the oldest missing bucket (55 min + 2 min 3 s ago), ten minutes earlier
    assert plan.since_ms == now - now % BUCKET - 60 * MINUTE - 10 * MINUTE
    assert plan.timeframe == 75


def test_a_hole_inside_the_day_is_fetched_again():
    now = NOW_MS - NOW_MS % BUCKET + 60_000
    ends = np.arange(now - now % BUCKET - 1440 * MINUTE + BUCKET, now - now % BUCKET, BUCKET)
    held = ends[(ends < ends[100]) | (ends > ends[110])]
    plan = plan_fetch(complete=held, newest=int(held.max()), now_ms=now, margin=0)
    assert plan.since_ms == ends[100] - BUCKET


def test_a_hole_of_a_sparse_method_lay_inside_a_fetch_and_is_not_fetched_again():
    # agentactivity: no row for a bucket nobody was logged in; turns fetch from the oldest
    # lacking bucket on, so a hole between held buckets was fetched, and found empty
    now = NOW_MS - NOW_MS % BUCKET + 60_000
    ends = np.arange(now - now % BUCKET - 1440 * MINUTE + BUCKET, now - now % BUCKET, BUCKET)
    held = ends[(ends < ends[100]) | (ends > ends[110])]
    plan = plan_fetch(complete=held, newest=int(held.max()), now_ms=now, margin=0,
                      sparse=True)
    assert plan.since_ms == ends[-1]  # from the newest bucket held: the one still filling
    assert plan.timeframe == 10


def test_a_gap_longer_than_a_day_says_what_was_lost():
    newest = NOW_MS - NOW_MS % BUCKET - 3 * 1440 * MINUTE
    plan = plan_fetch(complete=[], newest=newest, now_ms=NOW_MS)
    assert plan.timeframe == 1440
    assert plan.lost == (newest, NOW_MS - NOW_MS % BUCKET - 1440 * MINUTE)


# --- turns against the simulator ------------------------------------------------------------


def test_once_fetches_a_day_then_only_what_is_new(client, server, clock, tmp_path):
    first = engframe.sync(tmp_path, client=client)
    assert first[0].timeframe == 1440 and first[0].inserted > 0
    clock.advance(60 * MINUTE)
    second = engframe.sync(tmp_path, client=client)
    assert 60 <= second[0].timeframe <= 80  # the last hour, the filling bucket and a margin
    assert _timeframes(server) == [1440, second[0].timeframe]
    assert second[0].updated > 0  # the bucket that was filling got its final values
    hist = engframe.read_dataset(tmp_path)
    assert not hist.duplicated(["level", "timestamp", "skill", "agent", "metric"]).any()


def test_an_hourly_sync_holds_what_one_later_fetch_reports(client, clock, tmp_path):
    for turn in range(4):
        if turn:
            clock.advance(61 * MINUTE + 7_000)
        engframe.sync(tmp_path, client=client)
    truth = client.frame(timeframe=1440, interval=5, skills="all", agents="all")
    truth = truth[(truth["span"] == "interval") & truth["complete"]]
    hist = engframe.read_dataset(tmp_path)
    hist = hist[hist["complete"] & (hist["timestamp"] >= truth["timestamp"].min())]
    key = ["level", "timestamp", "skill", "agent", "metric"]
    joined = hist.merge(truth[[*key, "value"]], on=key, how="left", suffixes=("", "_truth"))
    assert len(joined) == len(hist) > 0
    assert (joined["value"] == joined["value_truth"].fillna(0)).all()
    # and every bucket the later fetch saw complete, the history holds complete
    assert truth["timestamp"].nunique() == hist["timestamp"].nunique()


def test_repeated_turns_at_any_phase_never_leave_overlaps(client, clock, tmp_path):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(int(seconds * 1000))

    results = engframe.sync(tmp_path, client=client, every=7, times=4, sleep=sleep,
                            clock=lambda: clock() / 1000)
    assert len(results) == 4 and waits == [420.0, 420.0, 420.0]
    assert all(r.timeframe <= 7 + 5 + 10 + 5 for r in results[1:])  # never the whole day
    stored = engframe.read_dataset(tmp_path)
    assert not stored.duplicated(["level", "timestamp", "skill", "agent", "metric"]).any()


def test_a_gap_longer_than_the_api_keeps_is_logged_as_lost(client, clock, tmp_path, caplog):
    engframe.sync(tmp_path, client=client)
    clock.advance(3 * 1440 * MINUTE)
    with caplog.at_level(logging.WARNING, logger="engframe.sync"):
        (result,) = engframe.sync(tmp_path, client=client)
    assert result.lost is not None and result.timeframe == 1440
    assert "lost" in caplog.text
    assert pd.Timestamp(result.lost[1]) - pd.Timestamp(result.lost[0]) >= pd.Timedelta(days=1)


def test_a_failed_turn_is_retried_next_turn(client, server, tmp_path):
    server.faults.script("status", status=503, count=1)
    results = engframe.sync(tmp_path, client=client, every=1, times=2, sleep=lambda _s: None)
    assert len(results) == 1


def test_running_once_raises_the_failure(client, server, tmp_path):
    server.faults.script("status", status=503, count=1)
    with pytest.raises(engframe.APIError):
        engframe.sync(tmp_path, client=client)


def test_refused_credentials_stop_a_repeated_sync(server, tmp_path):
    with pytest.raises(engframe.AuthError):
        engframe.sync(tmp_path, account=server.account, auth=(server.client_id, "wrong"),
                      csds_url=server.base_url, cache=False, every=1, times=3,
                      sleep=lambda _s: None)


def test_turns_are_never_closer_than_the_minimum_pause(client, clock, tmp_path):
    waits: list[float] = []
    engframe.sync(tmp_path, client=client, every=MIN_EVERY, times=2, sleep=waits.append,
                  clock=lambda: 0.0 if not waits else 1e9)  # as if a turn took forever
    assert waits == [max(MIN_PAUSE, MIN_EVERY * 60)]


@pytest.mark.parametrize("options", [{"every": 0}, {"every": -5}, {"every": 0.5},
                                     {"every": float("inf")}, {"every": float("nan")},
                                     {"every": 1441},
                                     {"interval": 60}, {"times": 0}, {"margin": -1}])
def test_unusable_options_are_refused_before_anything_is_fetched(server, tmp_path, options):
    with pytest.raises(OptionError):
        engframe.sync(tmp_path, account=server.account, csds_url=server.base_url,
                      auth=(server.client_id, server.client_secret), cache=False, **options)
    assert server.requests == []


def test_sync_into_a_history_of_another_grid_is_refused(client, tmp_path):
    engframe.export(client.frame(timeframe=120, interval=60, skills="all", agents="all"),
                    tmp_path)
    with pytest.raises(DatasetError, match="sync keeps 5-minute buckets"):
        engframe.sync(tmp_path, client=client)
