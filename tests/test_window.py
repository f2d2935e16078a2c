"""engframe.window: the spec's worked examples of the 5-minute bucket arithmetic."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from engframe.window import BUCKET_MS, query_window


def ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


def test_13_29_with_a_7_minute_timeframe_uses_the_13_25_and_13_30_buckets():
    window = query_window(now_ms=ms("2014-03-26T13:29Z"), timeframe=7)
    assert window.start_ms == ms("2014-03-26T13:20Z")
    assert window.end_ms == ms("2014-03-26T13:30Z")
    assert window.intervals == ()


def test_08_07_with_20_minutes_in_10_minute_intervals():
    window = query_window(now_ms=ms("2014-03-26T08:07Z"), timeframe=20, interval=10)
    spans = [(i.start_ms, i.end_ms, i.complete) for i in window.intervals]
    assert spans == [
        (ms("2014-03-26T07:45Z"), ms("2014-03-26T07:50Z"), True),
        (ms("2014-03-26T07:50Z"), ms("2014-03-26T08:00Z"), True),
        (ms("2014-03-26T08:00Z"), ms("2014-03-26T08:10Z"), False),
    ]
    assert (window.end_ms - window.start_ms) // 60_000 == 25


@given(st.integers(0, 4_000_000_000_000), st.integers(1, 1440), st.sampled_from([5, 10, 15, 60]))
def test_intervals_tile_the_window_and_end_on_bucket_boundaries(now, timeframe, interval):
    window = query_window(now_ms=now, timeframe=timeframe, interval=interval)
    assert window.start_ms % BUCKET_MS == 0 and window.end_ms % BUCKET_MS == 0
    assert window.start_ms <= now - timeframe * 60_000 and now <= window.end_ms
    assert window.intervals[0].start_ms == window.start_ms
    assert window.intervals[-1].end_ms == window.end_ms
    for older, newer in zip(window.intervals, window.intervals[1:], strict=False):
        assert older.end_ms == newer.start_ms
        assert newer.end_ms - newer.start_ms == interval * 60_000


def test_exact_window_is_agent_activitys_unwidened_window() -> None:
    # agent-activity.md: now 08:07, timeframe=20&interval=10 answers 07:47 - 08:07 in the
    # intervals 08:00 - 08:10, 07:50 - 08:00 and 07:47 - 07:50.
    from engframe.window import exact_window
    now = 1_395_821_220_000  # 2014-03-26 08:07 UTC
    window = exact_window(now_ms=now, timeframe=20, interval=10)
    minute = 60_000
    assert window.start_ms == now - 20 * minute
    assert [(i.start_ms, i.end_ms) for i in window.intervals] == [
        (now - 20 * minute, now - 17 * minute), (now - 17 * minute, now - 7 * minute),
        (now - 7 * minute, now + 3 * minute)]
    assert exact_window(now_ms=now, timeframe=20).intervals == ()
