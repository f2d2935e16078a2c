"""The Operational Realtime charts (engframe.plot._ops): what each draws, read off the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import engframe
from engframe import plot
from engframe.sim import Center, Operations, build_ops_response, parse_ops_query

#: 2026-11-25 20:29:04.123 UTC: an odd minute.
NOW_MS = 1_795_638_544_123


@pytest.fixture(autouse=True)
def _close() -> None:
    yield
    plt.close("all")


def answer(method: str, **params: str) -> pd.DataFrame:
    center = Center(seed=1)
    query = parse_ops_query(method, {"v": "1", **params})
    return engframe.flatten(build_ops_response(center, Operations(center), query, now_ms=NOW_MS))


def test_queue_bars_are_most_of_an_hour_wide_and_as_high_as_the_hours_speed_of_answer() -> None:
    # under pandas 3 the bars were 1/1000 of that (an index in microseconds read as ns)
    df = answer("queuehealth", timeframe="240", interval="5")
    ax = plot.queue(df)
    hourly = engframe.derive(df, by="hour", metrics=["avgTimeToAnswer"])
    widths = [bar.get_width() for bar in ax.patches]
    assert widths and all(w == pytest.approx(0.8 / 24) for w in widths)
    heights = sorted(bar.get_height() for bar in ax.patches)
    assert heights == pytest.approx(sorted(hourly["value"].dropna()))


@pytest.mark.parametrize(("chart", "method", "params", "expected"), [
    (plot.queue, "queuehealth", {"timeframe": "240", "interval": "5"},
     "periods ending 2026-11-25 16:30 to 2026-11-25 20:30 UTC"),
    (lambda df: plot.states(df, by="agent"), "agentactivity",
     {"timeframe": "240", "interval": "5", "agentIds": "all"},
     "periods ending 2026-11-25 16:30 to 2026-11-25 20:30 UTC"),
    # a bare answer of whole-timeframe counts holds no time; a fetch's envelope gives it
    (plot.service_curve, "sla", {"timeframe": "240", "histogram": "15,30,60"},
     "time window unknown"),
])
def test_each_operational_chart_states_its_window(chart, method, params, expected) -> None:
    assert chart(answer(method, **params)).get_title().splitlines()[-1] == expected
