"""engframe.plot: figures rendered headless to PNG and checked for what they show."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import engframe
from engframe import plot
from engframe.errors import FrameError, OptionError
from engframe.reconcile import reconcile
from tests.analytics_fixtures import (
    HOUR_MS,
    T0,
    bump,
    consistent_response,
    metrics,
    sample_frame,
)


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    plt.close("all")


def _pixels(ax) -> np.ndarray:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=60)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    buffer.seek(0)
    return mpimg.imread(buffer, format="png")


def _coloured_share(image: np.ndarray) -> float:
    """Share of pixels that are neither white nor grey: drawn data, not just axes."""
    rgb = image[..., :3]
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 0.2).mean())


def _four_agents() -> pd.DataFrame:
    """Agents 10..13 in skill 1 over three hourly intervals; 13 busiest, 10 quietest."""
    cells = {}
    for i in range(3):
        for agent, chats in ((10, 1), (11, 2), (12, 4), (13, 8)):
            cells[(i, 1, agent)] = metrics(chats, chats * 60 * (agent - 9) + i, 1, 10)
    return engframe.flatten(consistent_response(
        cells, stamps=[T0 + (k + 1) * HOUR_MS for k in range(3)]))


def test_timeseries_draws_top_n_and_groups_the_rest() -> None:
    ax = plot.timeseries(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["agent 13", "agent 12", "other"]
    assert ax.get_ylabel() == "avgInteractiveHandlingTime [s]"
    assert ax.get_xlabel() == "interval end (UTC)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert _coloured_share(_pixels(ax)) > 0.002


def test_timeseries_other_line_is_a_ratio_of_sums() -> None:
    ax = plot.timeseries(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    other = ax.lines[2].get_ydata()
    # first interval: agent 10 has 1 chat of 60 s, agent 11 has 2 chats of 240 s
    assert other[0] == pytest.approx((60 + 240) / 3)


def test_timeseries_raw_metric_fills_absent_intervals_with_zero() -> None:
    ax = plot.timeseries(sample_frame("agent_2_intervals"), "connectedEngagements", by="agent")
    assert list(ax.lines[0].get_ydata()) == [0.0, 0.0, 3.0]
    assert ax.get_ylabel() == "connectedEngagements [engagements]"


def test_timeseries_uses_tz_for_the_time_axis() -> None:
    utc = plot.timeseries(sample_frame("account_intervals"), "totalInteractiveChats")
    paris = plot.timeseries(sample_frame("account_intervals"), "totalInteractiveChats",
                            tz="Europe/Paris")
    shift = np.asarray(paris.lines[0].get_xdata()) - np.asarray(utc.lines[0].get_xdata())
    assert all(pd.Timedelta(s) == pd.Timedelta(hours=2) for s in shift)  # CEST in October
    assert paris.get_xlabel() == "interval end (Europe/Paris)"


def test_timeseries_draws_on_the_given_axes() -> None:
    _, ax = plt.subplots()
    assert plot.timeseries(sample_frame("account_intervals"), "totalChats", ax=ax) is ax
    assert len(ax.lines) == 1


def test_timeseries_accepts_a_user_formula() -> None:
    f = engframe.formula("handled", ["totalInteractiveChats", "totalNonInteractiveChats"],
                                unit="chats")
    ax = plot.timeseries(sample_frame("account_intervals"), f)
    assert ax.get_ylabel() == "handled [chats]"
    assert sorted(ax.lines[0].get_ydata()) == [0.0, 0.0, 3.0]


def test_timeseries_without_intervals_raises_frame_error() -> None:
    with pytest.raises(FrameError, match="no interval rows"):
        plot.timeseries(sample_frame("account"), "totalChats")


@pytest.mark.parametrize("kwargs", [{"by": "team"}, {"top": 0}, {"tz": "Nowhere/City"}])
def test_timeseries_bad_options_raise_option_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(OptionError):
        plot.timeseries(sample_frame("account_intervals"), "totalChats", **kwargs)  # type: ignore[arg-type]


def test_ranking_sorts_bars_and_shows_chat_counts() -> None:
    ax = plot.ranking(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=3)
    bars = sorted(ax.patches, key=lambda p: -p.get_y())  # top of the chart first
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths, reverse=True) and len(bars) == 3
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["agent 13", "agent 12", "agent 11"]
    # agent 13: 8 interactive + 1 non-interactive chats per interval, three intervals
    assert [t.get_text() for t in ax.texts] == ["n=27", "n=15", "n=9"]
    assert ax.get_xlabel() == "avgInteractiveHandlingTime [s]"
    assert _coloured_share(_pixels(ax)) > 0.01


def test_ranking_leaves_out_entities_without_chats() -> None:
    df = engframe.flatten(consistent_response(
        {(0, 1, 10): metrics(2, 100), (0, 1, 11): metrics(0, 0, 1, 5)}, stamps=[T0]))
    ax = plot.ranking(df, "avgInteractiveHandlingTime", by="agent")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["agent 10"]


def test_drift_shows_mismatch_in_red_where_it_is() -> None:
    df = bump(_four_agents(), 500, level="skill", skill=1, span="timeframe",
              metric="totalHandlingTime")
    ax = plot.drift(reconcile(df, filtered=False))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("mismatch") for label in legend)
    mismatch = next(c for c in ax.collections if c.get_label().startswith("mismatch"))
    assert -500.0 in mismatch.get_offsets()[:, 0]
    assert any("totalHandlingTime" in t.get_text() for t in ax.get_yticklabels())
    image = _pixels(ax)
    red = (image[..., 0] > 0.7) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)
    assert red.any()


def test_drift_relative_axis_is_in_percent() -> None:
    ax = plot.drift(reconcile(sample_frame("skill_2")), relative=True)
    assert ax.get_xlabel() == "relative difference [%]"


def test_drift_refuses_a_frame_that_is_not_checks() -> None:
    with pytest.raises(FrameError):
        plot.drift(sample_frame("skill_2"))
