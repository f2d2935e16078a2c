"""engframe.reconcile: do the response's totals add up, and where not."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.errors import FrameError, OptionError
from engframe.reconcile import RELATIONS, STATUSES, reconcile, summarize
from tests.analytics_fixtures import (
    HOUR_MS,
    SAMPLE_NAMES,
    T0,
    bump,
    consistent_response,
    metrics,
    sample_frame,
)

STAMPS = [T0 + HOUR_MS, T0 + 2 * HOUR_MS]


def _frame() -> pd.DataFrame:
    """Two skills, three agents (agent 11 in both skills), two intervals; all adds up."""
    return engframe.flatten(consistent_response({
        (0, 1, 10): metrics(2, 300, 1, 20),
        (0, 1, 11): metrics(1, 100),
        (0, 2, 11): metrics(3, 400, 2, 30),
        (1, 1, 10): metrics(1, 50),
        (1, 2, 12): metrics(4, 700, 1, 5),
    }, stamps=STAMPS))


def _status(checks: pd.DataFrame, relation: str, **where: object) -> list[str]:
    hit = (checks["relation"] == relation).to_numpy(bool)
    for column, value in where.items():
        hit = hit & (checks[column] == value).fillna(False).to_numpy(bool)
    return checks.loc[hit, "status"].astype(str).tolist()


#: The msgconversation page's example, whose parts do not add up (test_reconcile_kinds).
_INCONSISTENT: Final = "messaging/msgconversation_doc"


@pytest.mark.parametrize("name", [n for n in SAMPLE_NAMES if n != _INCONSISTENT])
def test_spec_examples_all_add_up(name: str) -> None:
    checks = reconcile(sample_frame(name))
    # the averages and scores the API computes as 32-bit floats differ from the ratio of
    # their sums by that rounding; everything else is exact
    recomputed = checks["relation"].isin(["average_vs_its_sums", "ratio_vs_its_counts"])
    assert (checks.loc[~recomputed, "status"] == "ok").all()
    assert checks.loc[recomputed, "status"].isin(["ok", "rounding"]).all()


def test_spec_example_with_skills_and_agents_checks_every_level_relation() -> None:
    checks = reconcile(sample_frame("skills_all_agent_3"))
    assert set(checks["relation"]) == {
        "skill_agents_vs_skill", "skills_vs_skills_total", "agents_vs_agents_total"}
    assert len(checks) == 3 * 5


def _all_all(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as an answer to skillIds=all&agentIds=all (what the client, demo, sync ask)."""
    df = df.copy()
    df.attrs["query"] = {"skillIds": "all", "agentIds": "all", "timeframe": 120, "interval": 60}
    return df


def test_consistent_frame_is_all_ok_and_covers_every_relation() -> None:
    checks = reconcile(_all_all(_frame()))
    assert (checks["status"] == "ok").all()
    assert set(checks["relation"]) == {r.name for r in RELATIONS}
    assert set(checks["reason"]) == {"exact"}


def test_without_a_known_request_only_relations_every_request_implies_are_checked() -> None:
    checks = reconcile(_frame())
    assert set(checks["relation"]) == {r.name for r in RELATIONS} - {
        "skill_agents_vs_agent", "skills_total_vs_agents_total"}


def test_one_row_per_check_with_the_documented_columns() -> None:
    checks = reconcile(_frame())
    assert checks.columns.tolist() == [
        "relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
        "sum_of_parts", "difference", "relative_difference", "parts", "tolerance", "beyond",
        "status", "reason", "method"]  # the method: what tells the responses apart
    per_skill = checks.loc[(checks["relation"] == "skill_agents_vs_skill").to_numpy(bool)]
    # 2 intervals x 2 skills + timeframe x 2 skills, 5 metrics each
    assert len(per_skill) == (2 * 2 + 2) * 5
    assert list(checks["status"].cat.categories) == list(STATUSES)


def test_interval_check_counts_parts_and_sums_them() -> None:
    checks = reconcile(_frame())
    row = checks.loc[((checks["relation"] == "intervals_vs_timeframe")
                      & (checks["level"] == "skill") & (checks["skill"] == 1)
                      & (checks["metric"] == "totalHandlingTime")).to_numpy(bool)].iloc[0]
    assert (row["reported"], row["sum_of_parts"], row["parts"]) == (450, 450, 2)


def test_one_second_drift_on_handling_time_is_rounding() -> None:
    df = bump(_frame(), 1, level="skill", skill=1, span="interval", metric="totalHandlingTime",
              timestamp=pd.Timestamp(STAMPS[0], unit="ms", tz="UTC"))
    checks = reconcile(df)
    assert _status(checks, "skill_agents_vs_skill", skill=1, metric="totalHandlingTime",
                   span="interval") == ["rounding", "ok"]
    drifted = checks.loc[(checks["status"] == "rounding").to_numpy(bool)]
    assert set(drifted["difference"].abs()) == {1}
    assert (checks["status"] != "mismatch").all()


def test_rounding_tolerance_scales_with_the_number_of_parts() -> None:
    # skill 1 at the first interval has 2 agents: to the nearest, 1 s is rounding, 2 s is not
    where = {"level": "skill", "skill": 1, "span": "interval", "metric": "totalHandlingTime",
             "timestamp": pd.Timestamp(STAMPS[0], unit="ms", tz="UTC")}
    one = _status(reconcile(bump(_frame(), 1, **where)),
                  "skill_agents_vs_skill", skill=1, metric="totalHandlingTime", span="interval")
    two = _status(reconcile(bump(_frame(), 2, **where)),
                  "skill_agents_vs_skill", skill=1, metric="totalHandlingTime", span="interval")
    assert one[0] == "rounding" and two[0] == "mismatch"


@pytest.mark.parametrize("parts", [1, 2, 3, 10, 288])
def test_the_nearest_rounding_bound_is_half_the_parts(parts: int) -> None:
    """n parts rounded to the nearest second differ from their rounded whole by n // 2 at most."""
    rng = np.random.default_rng(parts)
    worst = 0
    for _ in range(2000):
        exact = rng.uniform(0, 600, parts)
        # half up, as the API's "rounding differences" and the simulator do
        diff = int(np.floor(exact + 0.5).sum() - np.floor(exact.sum() + 0.5))
        worst = max(worst, abs(diff))
    checks = reconcile(_parts_against_a_whole(parts, parts // 2))
    assert worst <= parts // 2
    expected = "rounding" if parts > 1 else "ok"
    assert _status(checks, "skill_agents_vs_skill", metric="totalHandlingTime",
                   span="interval") == [expected]
    beyond = reconcile(_parts_against_a_whole(parts, parts // 2 + 1))
    row = beyond.loc[((beyond["metric"] == "totalHandlingTime") & (beyond["span"] == "interval")
                      & (beyond["relation"] == "skill_agents_vs_skill")).to_numpy(bool)].iloc[0]
    assert (row["status"], row["tolerance"], row["beyond"]) == ("mismatch", parts // 2, 1)


def _parts_against_a_whole(parts: int, excess: int) -> pd.DataFrame:
    """One skill, ``parts`` agents of 10 s each, and a skill total ``excess`` s above them."""
    df = engframe.flatten(consistent_response(
        {(0, 1, agent): metrics(1, 10) for agent in range(10, 10 + parts)}, stamps=STAMPS[:1]))
    return bump(df, excess, level="skill", skill=1, span="interval", metric="totalHandlingTime")


def test_280_seconds_over_288_parts_is_beyond_rounding_to_the_nearest() -> None:
    checks = reconcile(_parts_against_a_whole(288, -280))
    row = checks.loc[((checks["metric"] == "totalHandlingTime") & (checks["span"] == "interval")
                      & (checks["relation"] == "skill_agents_vs_skill")).to_numpy(bool)].iloc[0]
    assert (row["difference"], row["tolerance"], row["beyond"]) == (280, 144, 136)
    assert row["status"] == "mismatch"
    assert "136 beyond the 144 rounding explains" in summarize(checks)


def test_truncation_lets_parts_fall_short_by_up_to_one_second_each_but_never_exceed() -> None:
    def status(excess: int, rounding: str) -> list[str]:
        checks = reconcile(_parts_against_a_whole(4, excess), rounding=rounding)
        return _status(checks, "skill_agents_vs_skill", metric="totalHandlingTime",
                       span="interval")

    assert status(3, "truncate") == ["rounding"]
    assert status(4, "truncate") == ["mismatch"]
    assert status(-1, "truncate") == ["mismatch"]
    assert status(-1, "nearest") == ["rounding"]


def test_rounded_metrics_are_a_parameter() -> None:
    df = bump(_frame(), 1, level="skills_total", span="timeframe", metric="totalHandlingTime")
    strict = reconcile(df, rounded=())
    assert "mismatch" in _status(strict, "skills_vs_skills_total", span="timeframe")
    loose = reconcile(df, rounded={"totalHandlingTime"})
    assert "rounding" in _status(loose, "skills_vs_skills_total", span="timeframe")


def test_one_chat_off_is_a_mismatch_because_counts_are_exact() -> None:
    df = bump(_frame(), 1, level="agents_total", span="timeframe", metric="totalInteractiveChats")
    statuses = _status(reconcile(df), "agents_vs_agents_total", span="timeframe",
                       metric="totalInteractiveChats")
    assert statuses == ["mismatch"]


def test_large_gap_is_a_mismatch() -> None:
    df = bump(_frame(), -600, level="agent", agent=11, span="timeframe",
              metric="totalHandlingTime")
    checks = reconcile(df)
    assert _status(checks, "agents_vs_agents_total", span="timeframe",
                   metric="totalHandlingTime") == ["mismatch"]
    assert _status(checks, "intervals_vs_timeframe", level="agent", agent=11,
                   metric="totalHandlingTime") == ["mismatch"]
    row = checks.loc[(checks["status"] == "mismatch").to_numpy(bool)].iloc[0]
    assert row["difference"] == -600
    # agents_total 1550 s; the agents now add up to 950 s
    assert row["relative_difference"] == pytest.approx(-600 / 1550)


def _named_agent_frame() -> pd.DataFrame:
    """skillIds=all&agentIds=10, and skill 1's total one chat above agent 10's values."""
    df = engframe.flatten(consistent_response({(0, 1, 10): metrics(2, 300)}, stamps=STAMPS[:1]))
    df = bump(df, 1, level="skill", skill=1, metric="totalInteractiveChats")
    df = bump(df, 1, level="skills_total", metric="totalInteractiveChats")
    return df


def test_a_skill_total_above_its_named_agents_is_a_mismatch() -> None:
    """The spec's skillIds=all&agentIds=3 example: a skill's total is its named agents' sum."""
    df = _named_agent_frame()
    df.attrs["query"] = {"skillIds": "all", "agentIds": "10", "timeframe": 60}
    checks = reconcile(df)
    assert set(_status(checks, "skill_agents_vs_skill", metric="totalInteractiveChats")) == {
        "mismatch"}
    assert set(checks["status"].cat.categories) == {"ok", "rounding", "mismatch"}


def test_the_spec_example_naming_an_agent_holds_exactly(sample) -> None:
    envelope = {"request": {"skillIds": "all", "agentIds": "3", "timeframe": 60},
                "fetched_at": "2014-10-07T11:19:04Z", "response": sample("skills_all_agent_3")}
    checks = reconcile(engframe.flatten(envelope))
    assert set(checks["relation"]) >= {"skill_agents_vs_skill", "skill_agents_vs_agent"}
    assert (checks["status"] == "ok").all()


def test_without_a_known_request_a_shortfall_is_a_mismatch_not_a_guess() -> None:
    checks = reconcile(_named_agent_frame())
    assert set(_status(checks, "skill_agents_vs_skill", metric="totalInteractiveChats")) == {
        "mismatch"}


def test_parts_exceeding_the_whole_are_a_mismatch() -> None:
    df = bump(_frame(), -3, level="skill", skill=2, metric="totalNonInteractiveChats")
    checks = reconcile(df)
    assert "mismatch" in _status(checks, "skill_agents_vs_skill", skill=2)


def test_absent_whole_counts_as_zero() -> None:
    df = _frame()
    gone = ((df["level"] == "skill") & (df["skill"] == 2)).fillna(False).to_numpy(bool)
    checks = reconcile(df.loc[~gone].reset_index(drop=True))
    row = checks.loc[((checks["relation"] == "skill_agents_vs_skill") & (checks["skill"] == 2)
                      & (checks["metric"] == "totalInteractiveChats")
                      & (checks["span"] == "timeframe")).to_numpy(bool)].iloc[0]
    assert (row["reported"], row["sum_of_parts"], row["status"]) == (0, 7, "mismatch")
    assert np.isnan(row["relative_difference"])


def test_several_responses_are_checked_apart() -> None:
    one = _frame()
    two = bump(one, 1, level="agents_total", span="timeframe", metric="connectedEngagements")
    both = pd.concat([one.assign(source="a.json"), two.assign(source="b.json")],
                     ignore_index=True)
    checks = reconcile(both)
    bad = checks.loc[(checks["status"] == "mismatch").to_numpy(bool)]
    assert set(bad["source"]) == {"b.json"}
    assert len(checks) == 2 * len(reconcile(one))


def test_summary_counts_statuses_and_names_the_worst() -> None:
    df = bump(_frame(), 1, level="agents_total", span="timeframe", metric="totalInteractiveChats")
    line = summarize(reconcile(df))
    assert line.startswith(f"{len(reconcile(df))} checks: ")
    # the total is off against its agents and against its own intervals
    assert "2 mismatch" in line
    assert "totalInteractiveChats" in line.split("worst: ")[1]
    assert line.endswith("parts 11 vs reported 12 (-1, -8.3%, mismatch: parts short of the whole)")


def test_summary_of_clean_frame_has_no_worst() -> None:
    assert summarize(reconcile(sample_frame("skill_2"))) == (
        "10 checks: 10 ok, 0 rounding, 0 mismatch")


def test_an_unknown_rounding_raises_option_error() -> None:
    with pytest.raises(OptionError, match="rounding='up'"):
        reconcile(_frame(), rounding="up")


def test_not_a_frame_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        reconcile([1, 2])  # type: ignore[arg-type]
    with pytest.raises(FrameError):
        summarize(pd.DataFrame({"a": [1]}))


def test_folder_of_responses_with_and_without_intervals_is_all_ok(samples_dir):
    df = engframe.load(samples_dir)
    checks = reconcile(df)
    assert set(checks["status"].astype(str)) == {"ok"}
    assert set(checks["source"].astype(str)) >= {"agent_2_intervals.json", "skill_2.json"}


# -- issue 11: no status from a guess -------------------------------------------------------


def _skill_one_total(df: pd.DataFrame, delta: int, metric: str) -> pd.DataFrame:
    return bump(df, delta, level="skill", skill=1, span="timeframe", metric=metric)


@pytest.mark.parametrize("known", [False, True])
def test_500_seconds_more_on_a_skill_total_with_consistent_counts_is_a_mismatch(
    known: bool,
) -> None:
    df = _skill_one_total(_frame(), 500, "totalHandlingTime")
    checks = reconcile(_all_all(df) if known else df)
    row = checks.loc[((checks["relation"] == "skill_agents_vs_skill") & (checks["skill"] == 1)
                      & (checks["span"] == "timeframe")
                      & (checks["metric"] == "totalHandlingTime")).to_numpy(bool)].iloc[0]
    assert (row["difference"], row["status"]) == (-500, "mismatch")
    assert row["reason"] == "parts short of the whole"


def _named_agents(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.attrs["query"] = {"skillIds": "all", "agentIds": "10,11,12", "timeframe": 120}
    return df


def test_a_gap_of_whole_chats_on_a_request_naming_agents_is_a_mismatch() -> None:
    """Skill 1's total counts 2 chats, 250 s more than its named agents: nothing excuses it."""
    df = _frame()
    for metric, delta in (("totalInteractiveChats", 2), ("totalHandlingTime", 250),
                          ("connectedEngagements", 2)):
        df = _skill_one_total(df, delta, metric)
    checks = reconcile(_named_agents(df))
    assert _status(checks, "skill_agents_vs_skill", skill=1, span="timeframe") == [
        "mismatch", "ok", "mismatch", "ok", "mismatch"]


def test_skills_total_against_agents_total_when_both_sections_cover_everything() -> None:
    # agent 12's chats added on the agents side only: consistent within that section
    df = bump(_frame(), 3, level="agents_total", span="timeframe", metric="connectedEngagements")
    df = bump(df, 3, level="agent", agent=12, span="timeframe", metric="connectedEngagements")
    checks = reconcile(_all_all(df))
    assert _status(checks, "skills_total_vs_agents_total", span="timeframe",
                   metric="connectedEngagements") == ["mismatch"]
    assert set(_status(checks, "agents_vs_agents_total")) == {"ok"}


def test_an_agents_values_summed_over_skills_are_checked_against_its_own() -> None:
    df = bump(_frame(), 1, level="agent", agent=11, span="interval",
              metric="totalNonInteractiveChats")
    checks = reconcile(_all_all(df))
    assert "mismatch" in _status(checks, "skill_agents_vs_agent", agent=11)
    row = checks.loc[((checks["relation"] == "skill_agents_vs_agent") & (checks["agent"] == 11)
                      & (checks["span"] == "timeframe")
                      & (checks["metric"] == "totalInteractiveChats")).to_numpy(bool)].iloc[0]
    # agent 11 served skills 1 and 2: 1 + 3 interactive chats
    assert (row["sum_of_parts"], row["parts"]) == (4, 2)


def _unknown(df: pd.DataFrame, name: str = "avgWait") -> pd.DataFrame:
    """The frame with connectedEngagements renamed to a metric the catalogue does not know."""
    df = df.copy()
    df["metric"] = df["metric"].cat.rename_categories({"connectedEngagements": name})
    return df


def test_fractional_metrics_are_not_checked_because_averages_do_not_add_up() -> None:
    df = _unknown(_frame())
    df["value"] = df["value"].astype(np.float64)
    avg = (df["metric"] == "avgWait").to_numpy(bool)
    df.loc[avg, "value"] = df.loc[avg, "value"] + 0.5
    checks = reconcile(df)
    assert "avgWait" not in set(checks["metric"].astype(str))
    assert (checks["status"] == "ok").all()
    assert checks["reported"].dtype == np.float64


def test_a_metric_sent_as_floats_is_not_checked_even_where_its_values_are_whole() -> None:
    # an average of 30.0 and 40.0 beside a total of 35.0: whole numbers, still an average
    df = _unknown(_frame())
    df["value"] = df["value"].astype(np.float64)
    df.attrs["float_metrics"] = ["avgWait"]
    checks = reconcile(df)
    assert "avgWait" not in set(checks["metric"].astype(str))
    assert (checks["status"] == "ok").all()
    df.attrs.pop("float_metrics")  # without the record, whole values are counts again
    assert "avgWait" in set(reconcile(df)["metric"].astype(str))


def test_a_messaging_average_with_whole_values_does_not_count_as_a_mismatch() -> None:
    body = {"agentsMetrics": {
        "metricsPerAgent": {"1": {"avgTime_resolvedConversations": 30.0,
                                  "totalResolvedConversations": 2},
                            "2": {"avgTime_resolvedConversations": 40.0,
                                  "totalResolvedConversations": 3}},
        "metricsTotals": {"avgTime_resolvedConversations": 35.0,
                          "totalResolvedConversations": 5}}}
    checks = reconcile(engframe.flatten(body))
    assert set(checks["metric"].astype(str)) == {"totalResolvedConversations"}
    assert (checks["status"] == "ok").all()


# -- hypothesis: drift anywhere is found, never excused without a known request ---------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cells = st.dictionaries(
    st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(10, 14)),
    st.tuples(st.integers(0, 9), st.integers(0, 900), st.integers(0, 3), st.integers(0, 90)),
    min_size=1, max_size=12,
)


@settings(max_examples=120, deadline=None)
@given(cells=_cells, data=st.data())
def test_drift_injected_anywhere_is_found_and_never_excused(
    cells: dict[tuple[int, int, int], tuple[int, int, int, int]], data: st.DataObject
) -> None:
    stamps = [T0 + HOUR_MS * (i + 1) for i in range(3)]
    df = engframe.flatten(consistent_response(
        {key: metrics(*values) for key, values in cells.items()}, stamps=stamps))
    assert set(reconcile(df)["status"].astype(str)) <= {"ok"}
    row = data.draw(st.integers(0, len(df) - 1))
    metric = str(df["metric"].iloc[row])
    rounded = metric in ("totalHandlingTime", "nonInteractiveTotalHandlingTime")
    size = data.draw(st.integers(len(cells) + 2 if rounded else 1, 5000))
    delta = size * data.draw(st.sampled_from([-1, 1]))
    drifted = df.copy()
    drifted.loc[drifted.index[row], "value"] = drifted["value"].iloc[row] + delta
    for request in (None, {"skillIds": "all", "agentIds": "all"}):
        if request is not None:
            drifted.attrs["query"] = request
        statuses = set(reconcile(drifted)["status"].astype(str))
        assert "mismatch" in statuses


# -- the simulator's consistent answers, every request shape ---------------------------------

from engframe import sim  # noqa: E402

_SHAPES = [
    (None, None), ("all", None), (None, "all"), ("all", "all"), ((1,), None), (None, (2,)),
    ("all", (0, 1, 2, 3)), ((0, 1), "all"), ((0, 2), (1, 3, 5, 8)),
]


@pytest.mark.parametrize("interval", [None, 5, 60])
@pytest.mark.parametrize(("skills", "agents"), _SHAPES)
def test_simulated_answers_of_every_request_shape_have_no_mismatch(
    skills: object, agents: object, interval: int | None,
) -> None:
    center = sim.Center(seed=3)

    def ids(selection: object, pool: np.ndarray) -> object:
        return tuple(int(pool[i]) for i in selection) if isinstance(selection, tuple) else (
            selection)

    query = sim.EngQuery(timeframe=1440 if interval != 5 else 240, interval=interval,
                         skill_ids=ids(skills, center.skill_ids),  # type: ignore[arg-type]
                         agent_ids=ids(agents, center.agent_ids))  # type: ignore[arg-type]
    now = 1_795_638_544_123
    body = sim.build_response(center, query, now_ms=now)
    request = {"account": "1", "timeframe": query.timeframe, "interval": interval,
               "skillIds": _csv(query.skill_ids), "agentIds": _csv(query.agent_ids), "v": 1}
    df = engframe.flatten({"request": request, "fetched_at": now, "response": body})
    checks = reconcile(df)
    assert len(checks) or (interval, skills, agents) == (None, None, None)
    assert "mismatch" not in set(checks["status"].astype(str)), summarize(checks)


def _csv(selection: object) -> object:
    return ",".join(map(str, selection)) if isinstance(selection, tuple) else selection
