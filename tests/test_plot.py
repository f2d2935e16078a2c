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
from engframe.plot._common import _COVERED
from engframe.plot._drift import _dot_area
from engframe.plot._timeseries import _coverage_rows
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


def _five_minutes(first_ms: int, last_ms: int, fetched_ms: int) -> pd.DataFrame:
    """Agents 10 and 11 in skill 1, 2 chats each per 5-minute interval ending first..last.

    ``start`` and ``fetched_at`` columns as a saved fetch has them, so derive knows how much
    of each period the data covers.
    """
    stamps = list(range(first_ms, last_ms + 1, 5 * 60_000))
    cells = {(i, 1, agent): metrics(2, 120) for i in range(len(stamps)) for agent in (10, 11)}
    df = engframe.flatten(consistent_response(cells, stamps=stamps))
    interval = (df["span"] == "interval").to_numpy(bool)
    df["start"] = df["timestamp"].where(interval) - pd.Timedelta(minutes=5)
    df["fetched_at"] = pd.Timestamp(fetched_ms, unit="ms", tz="UTC").as_unit("ms")
    return df


#: 00:35 .. 03:10: hour 00 holds 30 minutes of data, 01 and 02 are full, 03 is still
#: filling when fetched at 03:07.
FIVE_MINUTES = (T0 + 35 * 60_000, T0 + 3 * HOUR_MS + 10 * 60_000, T0 + 3 * HOUR_MS + 7 * 60_000)


def test_timeseries_draws_top_n_and_groups_the_rest() -> None:
    ax = plot.timeseries(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["agent 13", "agent 12", "other: 2 agents pooled"]
    assert ax.get_ylabel() == "Average interactive handling time (s)"
    assert ax.get_xlabel() == "interval end (UTC)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert _coloured_share(_pixels(ax)) > 0.002


def test_timeseries_other_line_is_a_ratio_of_sums() -> None:
    ax = plot.timeseries(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    other = ax.lines[2].get_ydata()
    # first interval: agent 10 has 1 chat of 60 s, agent 11 has 2 chats of 240 s
    assert other[0] == pytest.approx((60 + 240) / 3)


def test_timeseries_other_line_of_a_sum_is_the_mean_of_the_pooled() -> None:
    ax = plot.timeseries(_four_agents(), "totalChats", by="agent", top=2)
    other = next(line for line in ax.lines if line.get_label().startswith("other"))
    assert other.get_label() == "other: mean of 2 agents"
    # agents 10 and 11: 1 + 1 and 2 + 1 chats per interval, pooled 5, two agents
    assert list(other.get_ydata()) == [2.5, 2.5, 2.5]


def test_timeseries_other_line_is_grey_and_dashed_unlike_the_others() -> None:
    ax = plot.timeseries(_four_agents(), "totalChats", by="agent", top=2)
    other, *leaders = sorted(ax.lines, key=lambda line: not line.get_label().startswith("other"))
    assert other.get_linestyle() == "--" and other.get_color() == "#7f7f7f"
    assert all(line.get_linestyle() == "-" for line in leaders)


def test_timeseries_draws_partial_periods_hollow_and_off_the_line() -> None:
    ax = plot.timeseries(_five_minutes(*FIVE_MINUTES), "totalChats", by="agent", grain="hour")
    solid = [line for line in ax.lines if not line.get_label().startswith("_")]
    hollow = [line for line in ax.lines if line.get_label() == "_partial"]
    assert [line.get_label() for line in solid] == ["agent 10", "agent 11"]
    assert len(hollow) == 2
    # hours 00 and 03 are partial: left out of the line, drawn as white-faced markers
    assert np.isnan(solid[0].get_ydata()).tolist() == [True, False, False, True]
    assert hollow[0].get_markerfacecolor() == "white"
    assert hollow[0].get_markeredgecolor() == solid[0].get_color()
    assert list(hollow[0].get_ydata()) == [12.0, 4.0]  # 6 intervals end in hour 00, 2 in 03
    assert solid[0].get_markerfacecolor() != "white"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == plot.PARTIAL_NOTE


def test_timeseries_sums_intervals_into_hours() -> None:
    ax = plot.timeseries(_five_minutes(*FIVE_MINUTES), "totalChats", grain="hour")
    assert list(ax.lines[0].get_ydata())[1:3] == [48.0, 48.0]  # 12 intervals x 2 agents x 2
    assert ax.get_xlabel() == "hour (UTC)"
    assert ax.get_title() == "Chats per hour\n2026-11-18 00:30 to 2026-11-18 03:07 UTC"


def test_timeseries_marks_the_interval_still_filling() -> None:
    ax = plot.timeseries(_five_minutes(*FIVE_MINUTES), "totalChats")
    hollow = [line for line in ax.lines if line.get_label() == "_partial"]
    assert len(hollow) == 1 and len(hollow[0].get_xdata()) == 1  # 03:05-03:10 at 03:07
    assert np.isnan(ax.lines[0].get_ydata()[-1])


def test_timeseries_can_leave_partial_periods_out() -> None:
    ax = plot.timeseries(_five_minutes(*FIVE_MINUTES), "totalChats", grain="hour",
                         partial="omit")
    assert len(ax.lines) == 1 and list(ax.lines[0].get_ydata()) == [48.0, 48.0]
    assert ax.get_legend() is None


def test_timeseries_of_a_bare_response_marks_nothing() -> None:
    ax = plot.timeseries(_four_agents(), "totalChats", by="agent", top=2)
    assert not [line for line in ax.lines if line.get_label() == "_partial"]
    assert plot.PARTIAL_NOTE not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_timeseries_raw_metric_fills_absent_intervals_with_zero() -> None:
    ax = plot.timeseries(sample_frame("agent_2_intervals"), "connectedEngagements", by="agent")
    assert list(ax.lines[0].get_ydata()) == [0.0, 0.0, 3.0]
    assert ax.get_ylabel() == "Connected engagements"


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
    assert ax.get_ylabel() == "handled (chats)"
    assert sorted(ax.lines[0].get_ydata()) == [0.0, 0.0, 3.0]


def test_timeseries_without_intervals_raises_frame_error() -> None:
    with pytest.raises(FrameError, match="no interval rows"):
        plot.timeseries(sample_frame("account"), "totalChats")


@pytest.mark.parametrize("kwargs", [{"by": "team"}, {"top": 0}, {"tz": "Nowhere/City"},
                                    {"grain": "week"}, {"partial": "hide"}])
def test_timeseries_bad_options_raise_option_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(OptionError):
        plot.timeseries(sample_frame("account_intervals"), "totalChats", **kwargs)  # type: ignore[arg-type]


def test_ranking_sorts_bars_and_shows_chat_counts() -> None:
    ax = plot.ranking(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=3,
                      min_volume=0)
    bars = sorted(ax.patches, key=lambda p: -p.get_y())  # top of the chart first
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths, reverse=True) and len(bars) == 3
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["agent 13", "agent 12", "agent 11"]
    # agent 13: 8 interactive + 1 non-interactive chats per interval, three intervals
    assert [t.get_text() for t in ax.texts] == ["n=27", "n=15", "n=9"]
    assert ax.get_xlabel() == "Average interactive handling time (s)"
    assert _coloured_share(_pixels(ax)) > 0.01


def test_ranking_leaves_out_agents_below_the_minimum_volume_and_says_so() -> None:
    # chats over the three intervals: agent 10: 6, 11: 9, 12: 15, 13: 27
    ax = plot.ranking(_four_agents(), "avgInteractiveHandlingTime", by="agent")
    assert plot.DEFAULT_MIN_VOLUME == 20
    assert [t.get_text() for t in ax.get_yticklabels()] == ["agent 13"]
    assert ax.get_title() == (
        "Average interactive handling time by agent: top 1 of 1 agents with >= 20 chats\n"
        "period ending 2026-11-18 03:00 UTC (3 agents with fewer chats not ranked)")


def test_ranking_title_says_top_n_of_m() -> None:
    ax = plot.ranking(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2,
                      min_volume=9)
    assert ax.get_title().startswith(
        "Average interactive handling time by agent: top 2 of 3 agents with >= 9 chats\n")
    assert ax.get_title().endswith("(1 agents with fewer chats not ranked)")
    assert len(ax.patches) == 2


def test_ranking_with_no_agent_above_the_minimum_says_so_on_an_empty_chart() -> None:
    ax = plot.ranking(_four_agents(), "avgInteractiveHandlingTime", by="agent",
                      min_volume=1000)
    assert len(ax.patches) == 0
    assert [t.get_text() for t in ax.texts] == ["no agent has >= 1000 chats"]


@pytest.mark.parametrize("bad", [-1, "20", True, float("nan")])
def test_ranking_refuses_an_unusable_minimum_volume(bad: object) -> None:
    with pytest.raises(OptionError, match="min_volume"):
        plot.ranking(_four_agents(), by="agent", min_volume=bad)  # type: ignore[arg-type]


def test_ranking_leaves_out_entities_without_chats() -> None:
    df = engframe.flatten(consistent_response(
        {(0, 1, 10): metrics(2, 100), (0, 1, 11): metrics(0, 0, 1, 5)}, stamps=[T0]))
    ax = plot.ranking(df, "avgInteractiveHandlingTime", by="agent", min_volume=0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["agent 10"]


def _drifted_sample() -> pd.DataFrame:
    """skill_2's skill total one chat and one second above its agent."""
    df = sample_frame("skill_2")
    hit = (df["level"] == "skill").to_numpy(bool) & df["metric"].isin(
        ["totalInteractiveChats", "totalHandlingTime"]).to_numpy(bool)
    df.loc[hit, "value"] += 1
    return df


def test_drift_shows_mismatch_in_red_where_it_is() -> None:
    df = bump(_four_agents(), 500, level="skill", skill=1, span="timeframe",
              metric="totalHandlingTime")
    ax = plot.drift(reconcile(df))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("mismatch") for label in legend)
    seconds = ax.figure.axes[-1]
    mismatch = next(c for c in seconds.collections if c.get_label() == "mismatch")
    assert -500.0 in mismatch.get_offsets()[:, 0]
    assert any("Handling time of interactive chats" in t.get_text()
               for t in seconds.get_yticklabels())
    image = _pixels(ax)
    red = (image[..., 0] > 0.7) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)
    assert red.any()


def test_drift_shows_only_what_drifted_in_plain_words_and_counts_the_rest() -> None:
    checks = reconcile(_drifted_sample())
    ax = plot.drift(checks)
    rows = [t.get_text() for panel in ax.figure.axes for t in panel.get_yticklabels()]
    assert sorted(rows) == sorted([
        "a skill's agents vs the skill's total · Interactive chats",
        "the skills vs all skills' total · Interactive chats",
        "a skill's agents vs the skill's total · Handling time of interactive chats",
        "the skills vs all skills' total · Handling time of interactive chats"])
    assert ax.get_title().splitlines()[1] == (
        "4 relation and metric pairs drifted; 6 add up exactly (not shown)")


def test_drift_of_clean_checks_says_so() -> None:
    ax = plot.drift(reconcile(sample_frame("skill_2")))
    assert [t.get_text() for t in ax.texts] == ["all 10 checks ok: every total adds up"]


def test_drift_title_says_the_time_the_checks_cover() -> None:
    ax = plot.drift(reconcile(bump(_four_agents(), 500, level="skill", skill=1,
                                   span="timeframe", metric="totalHandlingTime")),
                    tz="Europe/Paris")
    assert ax.get_title().splitlines()[0].startswith("Reconciliation drift, periods ending ")
    assert ax.get_title().splitlines()[0].endswith(" Europe/Paris")


def test_drift_puts_counts_and_seconds_on_separate_panels() -> None:
    ax = plot.drift(reconcile(_drifted_sample()))
    counts, seconds = ax.figure.axes
    assert counts is ax
    assert counts.get_xlabel() == "sum of parts - reported [count]"
    assert seconds.get_xlabel() == "sum of parts - reported [s]"
    count_rows = [t.get_text() for t in counts.get_yticklabels()]
    second_rows = [t.get_text() for t in seconds.get_yticklabels()]
    assert count_rows and all(r.endswith("chats") for r in count_rows)
    assert second_rows and all("Handling time" in r for r in second_rows)


def test_drift_of_exact_integers_has_integer_ticks_around_zero() -> None:
    ax = plot.drift(reconcile(_drifted_sample()))
    for panel in ax.figure.axes:
        ticks = [t for t in panel.get_xticks() if panel.get_xlim()[0] <= t <= panel.get_xlim()[1]]
        assert ticks == [-1.0, 0.0, 1.0]


def test_drift_draws_one_dot_per_distinct_difference_sized_by_its_checks() -> None:
    df = bump(_four_agents(), 1, level="skill", skill=1, span="timeframe",
              metric="totalHandlingTime")
    checks = reconcile(df)
    ax = plot.drift(checks)
    dots = [((i, *xy), size) for i, panel in enumerate(ax.figure.axes)
            for c in panel.collections
            for xy, size in zip(c.get_offsets(),
                                np.broadcast_to(c.get_sizes(), len(c.get_offsets())),
                                strict=True)]
    assert len(dots) == len({at for at, _ in dots})  # nothing drawn twice in one place
    assert len(dots) < len(checks)
    sizes = {size for _, size in dots}
    assert min(sizes) == plot.DOT_AREA and max(sizes) > plot.DOT_AREA


def test_drift_dots_for_1_10_100_1000_checks_differ_by_more_than_half_each() -> None:
    areas = _dot_area(np.array([1, 10, 100, 1000]))
    assert (areas[1:] / areas[:-1] > 3).all()


def test_drift_legend_sits_right_of_the_data() -> None:
    ax = plot.drift(reconcile(_drifted_sample()))
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert all(legend.x0 >= panel.get_window_extent().x1 for panel in ax.figure.axes)


def test_drift_relative_axis_is_in_percent() -> None:
    ax = plot.drift(reconcile(_drifted_sample()), relative=True)
    assert ax.get_xlabel() == "relative difference [%]"
    assert len(ax.figure.axes) == 1


def test_drift_refuses_a_frame_that_is_not_checks() -> None:
    with pytest.raises(FrameError):
        plot.drift(sample_frame("skill_2"))


# -- names: labels read "Dana Levi", "Sales", teams -----------------------------------------

def _names() -> engframe.Names:
    """Skill 1 "Sales"; agents 10 and 13 share the name "Dana Levi"; 10 and 11 in "Tier 1",
    12 in "Tier 2", 13 in no group."""
    return engframe.Names(
        skills=pd.DataFrame({"skill": [1], "skill_name": ["Sales"]}),
        agents=pd.DataFrame({
            "agent": [10, 11, 12, 13],
            "agent_name": ["Dana Levi", "Noa Cohen", "Omar Haddad", "Dana Levi"],
            "agent_group": pd.array([100, 100, 200, None], dtype="Int64"),
        }),
        agent_groups=pd.DataFrame({"agent_group": [100, 200],
                                   "agent_group_name": ["Tier 1", "Tier 2"]}),
    )


def _named_agents() -> pd.DataFrame:
    return engframe.attach_names(_four_agents(), _names(), warn=False)


def _bar_labels(ax) -> list[str]:  # type: ignore[no-untyped-def]
    """The bar labels from the top of the chart down."""
    return [t.get_text() for t in sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])]


def test_timeseries_legend_reads_agent_names() -> None:
    ax = plot.timeseries(_named_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    assert [line.get_label() for line in ax.lines] == [
        "Dana Levi (13)", "Omar Haddad", "other: 2 agents pooled"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Dana Levi (13)", "Omar Haddad", "other: 2 agents pooled"]


def test_timeseries_with_names_draws_the_same_lines_as_without() -> None:
    plain = plot.timeseries(_four_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    named = plot.timeseries(_named_agents(), "avgInteractiveHandlingTime", by="agent", top=2)
    for a, b in zip(plain.lines, named.lines, strict=True):
        assert np.array_equal(a.get_ydata(), b.get_ydata(), equal_nan=True)


def test_timeseries_legend_reads_skill_names_and_unassigned() -> None:
    df = engframe.flatten(consistent_response(
        {(0, 1, 10): metrics(2, 100), (0, -1, 11): metrics(1, 50)}, stamps=[T0]))
    ax = plot.timeseries(engframe.attach_names(df, _names(), warn=False), "totalChats",
                         by="skill")
    assert [line.get_label() for line in ax.lines] == ["Sales", "Unassigned"]


def test_timeseries_by_team_sums_each_teams_agents() -> None:
    ax = plot.timeseries(_named_agents(), "totalChats", by="agent_group")
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.lines}
    # per interval: Tier 1 = agents 10 (1 + 1) and 11 (2 + 1), Tier 2 = 12 (4 + 1),
    # agent 13 (8 + 1) is in no group
    assert lines == {plot.NO_GROUP: [9.0] * 3, "Tier 1": [5.0] * 3, "Tier 2": [5.0] * 3}
    assert ax.get_title().splitlines()[0] == "Chats per interval by team"
    assert ax.get_legend().get_title().get_text() == "team"


def test_timeseries_by_team_pools_the_rest_as_teams() -> None:
    ax = plot.timeseries(_named_agents(), "avgInteractiveHandlingTime", by="agent_group",
                         top=1)
    assert [line.get_label() for line in ax.lines] == [plot.NO_GROUP, "other: 2 teams pooled"]
    # first interval, Tier 1 and 2 pooled: agents 10..12, (60 + 240 + 720) s / (1 + 2 + 4)
    assert ax.lines[1].get_ydata()[0] == pytest.approx((60 + 240 + 720) / 7)


def test_ranking_bars_read_agent_names_and_namesakes_keep_their_ids() -> None:
    ax = plot.ranking(_named_agents(), "avgInteractiveHandlingTime", by="agent", min_volume=0)
    assert _bar_labels(ax) == ["Dana Levi (13)", "Omar Haddad", "Noa Cohen", "Dana Levi (10)"]
    assert [t.get_text() for t in ax.texts] == ["n=27", "n=15", "n=9", "n=6"]


def test_ranking_bars_read_skill_names() -> None:
    df = engframe.flatten(consistent_response(
        {(0, 1, 10): metrics(2, 100), (0, -1, 11): metrics(1, 500)}, stamps=[T0]))
    ax = plot.ranking(engframe.attach_names(df, _names(), warn=False),
                      "avgInteractiveHandlingTime", by="skill", min_volume=0)
    assert _bar_labels(ax) == ["Unassigned", "Sales"]
    assert ax.get_ylabel() == "skill"


def test_ranking_by_team_is_a_ratio_of_the_members_sums() -> None:
    ax = plot.ranking(_named_agents(), "avgInteractiveHandlingTime", by="agent_group",
                      min_volume=0)
    assert _bar_labels(ax) == [plot.NO_GROUP, "Tier 2", "Tier 1"]
    widths = [b.get_width() for b in sorted(ax.patches, key=lambda p: -p.get_y())]
    # Tier 1 = agents 10 and 11 over three intervals: (183 + 723) s / (3 + 6) chats
    assert widths == pytest.approx([5763 / 24, 2163 / 12, (183 + 723) / 9])
    assert [t.get_text() for t in ax.texts] == ["n=27", "n=15", "n=15"]
    assert ax.get_ylabel() == "team"
    assert ax.get_title().startswith("Average interactive handling time by team: top 3 of 3 teams")


@pytest.mark.parametrize("draw", [
    lambda df: plot.ranking(df, by="agent_group"),
    lambda df: plot.timeseries(df, "totalChats", by="agent_group"),
])
def test_teams_without_names_say_to_load_names(draw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match=r"by='agent_group'.*names=True"):
        draw(_four_agents())


def test_ranking_of_agents_whose_names_are_unknown_reads_the_fallback() -> None:
    names = engframe.Names(agents=pd.DataFrame({"agent": [13], "agent_name": ["Lea Klein"]}))
    df = engframe.attach_names(_four_agents(), names, warn=False)
    ax = plot.ranking(df, "avgInteractiveHandlingTime", by="agent", min_volume=0, top=2)
    assert _bar_labels(ax) == ["Lea Klein", "agent 12"]


# -- partial periods are found on a few rows, with derive's hours ----------------------------

def _stacked_fetches() -> pd.DataFrame:
    """Two fetches of the same agents, hours apart, as a folder would stack them (a source
    each); fetches that overlap would be resolved by ``engframe.load`` first."""
    first = _five_minutes(*FIVE_MINUTES)
    later = _five_minutes(FIVE_MINUTES[0] + 4 * HOUR_MS, FIVE_MINUTES[1] + 4 * HOUR_MS,
                          FIVE_MINUTES[2] + 4 * HOUR_MS)
    frames = [first.assign(source="a.json"), later.assign(source="b.json")]
    stacked = pd.concat(frames, ignore_index=True)
    stacked["source"] = stacked["source"].astype("category")
    return stacked


@pytest.mark.parametrize("frame", [
    lambda: _five_minutes(*FIVE_MINUTES),
    lambda: _five_minutes(*FIVE_MINUTES).sample(frac=1.0, random_state=3),  # rows in any order
    _stacked_fetches,
    lambda: _five_minutes(*FIVE_MINUTES).drop(columns=["start", "fetched_at"]),  # fallbacks
])
@pytest.mark.parametrize("grain", [None, "hour"])
@pytest.mark.parametrize("level", ["agent", "skill", "skills_total"])
def test_the_coverage_rows_give_derive_the_hours_of_the_whole_frame(frame, grain, level):
    df = frame()
    when = grain or "timestamp"
    covered = _COVERED
    whole = engframe.derive(df, metrics=[covered], by=[when], level=level, span="interval")
    few = _coverage_rows(df)
    assert len(few) < len(df)
    fast = engframe.derive(few, metrics=[covered], by=[when], level=level, span="interval")
    pd.testing.assert_series_equal(fast["value"], whole["value"])
    pd.testing.assert_series_equal(fast[when], whole[when])
