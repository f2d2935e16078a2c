"""Hours and days that intervals straddle: refused, never relabelled (issue 17, item 2).

A 60-minute interval fetched at :29 covers 12:30 to 13:30. Filing it under 13:00 moves half
its chats by an hour; derive and the plots refuse such periods at the hour grain (and those
crossing midnight at the day grain), and give hand-computed figures for 5-minute buckets.
"""

from __future__ import annotations

from collections import defaultdict

import matplotlib
import pytest

import engframe
from engframe.errors import FrameError
from tests.simfetch import HOUR, MINUTE, hand_totals, sim_client

matplotlib.use("Agg")

#: 2026-11-25 13:29:10 UTC: a fetch at :29, as the README tour's would be.
AT_29 = 1_795_613_350_000


def _fetch(tmp_path, at_ms: int, *, interval: int, timeframe: int = 1440):
    raw = tmp_path / "raw"
    with sim_client(at_ms, save_raw=raw) as (_clock, client):
        df = client.frame(timeframe=timeframe, interval=interval, skills="all", agents="all")
    (path,) = sorted(raw.glob("*.json"))
    return df, path


def test_hourly_intervals_fetched_at_29_have_no_hour(tmp_path) -> None:
    df, _ = _fetch(tmp_path, AT_29, interval=60)
    assert (df["timestamp"].dt.minute == 30).all()
    with pytest.raises(FrameError, match=r"do not lie inside one hour.*interval=5"):
        engframe.derive(df, by="hour")
    with pytest.raises(FrameError, match="do not lie inside one hour"):
        engframe.derive(df, by=["skill", "hour"], tz="Europe/Paris")
    # in India (UTC+5:30) the same periods are the local hours
    kolkata = engframe.derive(df, by="hour", tz="Asia/Kolkata", metrics=["totalChats"])
    assert (kolkata["hour"].dt.minute == 0).all() and len(kolkata) == 25
    # per interval, they are what they are
    assert len(engframe.derive(df, by="timestamp", metrics=["totalChats"])) == 25


def test_a_period_across_midnight_has_no_day(tmp_path) -> None:
    df, _ = _fetch(tmp_path, AT_29, interval=60)
    with pytest.raises(FrameError, match="do not lie inside one day"):
        engframe.derive(df, by="day")


def test_the_timeseries_chart_refuses_them_too(tmp_path) -> None:
    df, _ = _fetch(tmp_path, AT_29, interval=60)
    with pytest.raises(FrameError, match="do not lie inside one hour"):
        engframe.plot.timeseries(df, "totalChats", grain="hour")


def test_a_whole_timeframe_of_a_day_has_no_hour(tmp_path) -> None:
    df, _ = _fetch(tmp_path, AT_29, interval=60)
    with pytest.raises(FrameError, match="do not lie inside one hour"):
        engframe.derive(df, by="hour", span="timeframe")


def test_five_minute_buckets_give_the_hand_computed_hours(tmp_path) -> None:
    df, path = _fetch(tmp_path, AT_29, interval=5)
    by_hour: dict[int, int] = defaultdict(int)
    for end, totals in hand_totals(path).items():
        hour = (end - 1) // HOUR * HOUR  # the bucket's last instant is in this hour
        by_hour[hour] += totals["totalInteractiveChats"] + totals["totalNonInteractiveChats"]
    out = engframe.derive(df, by="hour", metrics=["totalChats"])
    got = {int(h.timestamp() * 1000): v for h, v in zip(out["hour"], out["value"], strict=True)}
    assert got == dict(by_hour)
    assert sum(got.values()) > 0


def test_hourly_intervals_that_end_on_the_hour_keep_their_hour(tmp_path) -> None:
    on_the_hour = AT_29 + 28 * MINUTE  # 13:57: intervals end at :00
    df, path = _fetch(tmp_path, on_the_hour, interval=60)
    out = engframe.derive(df, by="hour", metrics=["totalChats"])
    hand = {end - HOUR: t["totalInteractiveChats"] + t["totalNonInteractiveChats"]
            for end, t in hand_totals(path).items()}
    got = {int(h.timestamp() * 1000): v for h, v in zip(out["hour"], out["value"], strict=True)}
    assert got == hand


def test_a_still_filling_hour_is_marked_partial_not_refused(tmp_path) -> None:
    df, _ = _fetch(tmp_path, AT_29, interval=5, timeframe=120)
    ax = engframe.plot.timeseries(df, "totalChats", grain="hour")
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert hollow  # the oldest hour (window starts inside it) and the newest (filling)
