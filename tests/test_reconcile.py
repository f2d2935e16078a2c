"""engframe.reconcile: do the response's totals add up, and where not."""

from __future__ import annotations

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


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_spec_examples_all_add_up(name: str) -> None:
    checks = reconcile(sample_frame(name))
    assert (checks["status"] == "ok").all()


def test_spec_example_with_skills_and_agents_checks_every_level_relation() -> None:
    checks = reconcile(sample_frame("skills_all_agent_3"))
    assert set(checks["relation"]) == {
        "skill_agents_vs_skill", "skills_vs_skills_total", "agents_vs_agents_total"}
    assert len(checks) == 3 * 5


def test_consistent_frame_is_all_ok_and_covers_every_relation() -> None:
    checks = reconcile(_frame())
    assert (checks["status"] == "ok").all()
    assert set(checks["relation"]) == {r.name for r in RELATIONS}


def test_one_row_per_check_with_the_documented_columns() -> None:
    checks = reconcile(_frame())
    assert checks.columns.tolist() == [
        "relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
        "sum_of_parts", "difference", "relative_difference", "parts", "tolerance", "status"]
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
    # skill 1 at the first interval has 2 agents: 2 s drift is rounding, 3 s is not
    where = {"level": "skill", "skill": 1, "span": "interval", "metric": "totalHandlingTime",
             "timestamp": pd.Timestamp(STAMPS[0], unit="ms", tz="UTC")}
    two = _status(reconcile(bump(_frame(), 2, **where), filtered=False),
                  "skill_agents_vs_skill", skill=1, metric="totalHandlingTime", span="interval")
    three = _status(reconcile(bump(_frame(), 3, **where), filtered=False),
                    "skill_agents_vs_skill", skill=1, metric="totalHandlingTime", span="interval")
    assert two[0] == "rounding" and three[0] == "mismatch"


def test_tolerance_is_a_parameter() -> None:
    df = bump(_frame(), 1, level="skills_total", span="timeframe", metric="totalHandlingTime")
    strict = reconcile(df, seconds_per_part=0.0)
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
    checks = reconcile(df, filtered=False)
    assert _status(checks, "agents_vs_agents_total", span="timeframe",
                   metric="totalHandlingTime") == ["mismatch"]
    assert _status(checks, "intervals_vs_timeframe", level="agent", agent=11,
                   metric="totalHandlingTime") == ["mismatch"]
    row = checks.loc[(checks["status"] == "mismatch").to_numpy(bool)].iloc[0]
    assert row["difference"] == -600
    # agents_total 1550 s; the agents now add up to 950 s
    assert row["relative_difference"] == pytest.approx(-600 / 1550)


def _filtered_frame() -> pd.DataFrame:
    """skillIds=all&agentIds=10: skill 1 also served agent 11, who is not listed."""
    df = engframe.flatten(consistent_response({(0, 1, 10): metrics(2, 300)}, stamps=STAMPS[:1]))
    df = bump(df, 5, level="skill", skill=1, metric="totalInteractiveChats")
    df = bump(df, 5, level="skills_total", metric="totalInteractiveChats")
    return df


def test_filtered_request_shortfall_is_labelled_filtered_not_mismatch() -> None:
    df = _filtered_frame()
    df.attrs["query"] = {"skillIds": "all", "agentIds": "10", "timeframe": 60}
    checks = reconcile(df)
    assert set(_status(checks, "skill_agents_vs_skill", metric="totalInteractiveChats")) == {
        "filtered"}
    assert "mismatch" not in set(checks["status"])


def test_filtered_can_be_forced_off() -> None:
    checks = reconcile(_filtered_frame(), filtered=False)
    assert "mismatch" in _status(checks, "skill_agents_vs_skill")


def test_without_attrs_a_skills_and_agents_frame_is_presumed_filtered() -> None:
    checks = reconcile(_filtered_frame())
    assert "mismatch" not in set(checks["status"])


def test_request_with_all_agents_is_not_filtered() -> None:
    df = _filtered_frame()
    df.attrs["query"] = {"skillIds": "all", "agentIds": "all"}
    assert "mismatch" in _status(reconcile(df), "skill_agents_vs_skill")


def test_filtered_never_excuses_parts_exceeding_the_whole() -> None:
    df = bump(_frame(), -3, level="skill", skill=2, metric="totalNonInteractiveChats")
    checks = reconcile(df, filtered=True)
    assert "mismatch" in _status(checks, "skill_agents_vs_skill", skill=2)


def test_absent_whole_counts_as_zero() -> None:
    df = _frame()
    gone = ((df["level"] == "skill") & (df["skill"] == 2)).fillna(False).to_numpy(bool)
    checks = reconcile(df.loc[~gone].reset_index(drop=True), filtered=False)
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
    assert line.endswith("parts 11 vs reported 12 (-1, -8.3%, mismatch)")


def test_summary_of_clean_frame_has_no_worst() -> None:
    assert summarize(reconcile(sample_frame("skill_2"))) == (
        "10 checks: 10 ok, 0 rounding, 0 filtered, 0 mismatch")


def test_bad_tolerance_raises_option_error() -> None:
    with pytest.raises(OptionError, match="seconds_per_part"):
        reconcile(_frame(), seconds_per_part=-1)


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
