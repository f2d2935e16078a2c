"""engframe.unflatten: rebuilding responses, and refusing frames that are not one response."""

from __future__ import annotations

import pandas as pd
import pytest

import engframe


def test_ids_come_back_as_string_keys_and_values_as_ints(sample):
    rebuilt = engframe.unflatten(engframe.flatten(sample("skill_2")))
    agent = rebuilt["skillsMetricsPerAgent"]["metricsPerSkill"]["2"]["metricsPerAgent"]["3"]
    assert all(type(v) is int for v in agent.values())
    assert list(rebuilt["skillsMetricsPerAgent"]["metricsPerSkill"]) == ["2"]


def test_shuffled_rows_rebuild_the_same_response(sample):
    response = sample("skills_all_agent_3")
    df = engframe.flatten(response).sample(frac=1, random_state=7)
    assert engframe.unflatten(df) == response


def test_a_folder_frame_must_be_narrowed_to_one_source(samples_dir):
    df = engframe.load(samples_dir)
    with pytest.raises(engframe.FrameError, match="select one"):
        engframe.unflatten(df)
    one = df[df["source"] == "account.json"]
    assert engframe.unflatten(one) == {"metricsTotals": {
        "totalInteractiveChats": 1, "totalNonInteractiveChats": 2, "totalHandlingTime": 12,
        "nonInteractiveTotalHandlingTime": 13, "connectedEngagements": 3}}


def test_duplicate_rows_are_refused(sample):
    df = engframe.flatten(sample("account"))
    with pytest.raises(engframe.FrameError, match="repeats 'totalHandlingTime'"):
        engframe.unflatten(pd.concat([df, df.iloc[[2]]]))


def test_float_metrics_come_back_as_floats_and_the_others_as_ints(sample):
    rebuilt = engframe.unflatten(engframe.flatten(sample("messaging/msgconversation")))
    totals = rebuilt["skillsMetricsPerAgent"]["metricsTotals"]
    assert {name: type(value) for name, value in totals.items()} == {
        "totalResolvedConversations": int, "totalHandlingTime_resolvedConversations": int,
        "avgTime_resolvedConversations": float}


def test_a_float_metric_keeps_integral_values_as_floats(sample):
    df = engframe.flatten({"metricsTotals": {"avg": 2.0, "n": 3}})
    assert df.attrs["float_metrics"] == ["avg"]
    rebuilt = engframe.unflatten(df)["metricsTotals"]
    assert type(rebuilt["avg"]) is float and type(rebuilt["n"]) is int


def test_without_float_metrics_integral_floats_come_back_as_ints(sample):
    df = engframe.flatten(sample("account"))
    df["value"] = df["value"].astype(float)
    df.loc[0, "value"] = 1.5
    rebuilt = engframe.unflatten(df)["metricsTotals"]
    assert rebuilt["totalInteractiveChats"] == 1.5
    assert type(rebuilt["totalHandlingTime"]) is int and rebuilt["totalHandlingTime"] == 12


def test_nan_values_are_refused(sample):
    df = engframe.flatten(sample("account"))
    df["value"] = df["value"].astype(float)
    df.loc[3, "value"] = float("nan")
    with pytest.raises(engframe.FrameError, match=r"row 3 has value nan"):
        engframe.unflatten(df)


def test_a_value_column_of_text_is_refused(sample):
    df = engframe.flatten(sample("account"))
    df["value"] = df["value"].astype(str)
    with pytest.raises(engframe.FrameError, match="int64 or float64"):
        engframe.unflatten(df)


def test_skill_minus_one_comes_back_as_its_key(sample):
    response = sample("live_skill_unassigned")
    rebuilt = engframe.unflatten(engframe.flatten(response))
    assert "-1" in rebuilt["skillsMetricsPerAgent"]["metricsPerSkill"]
    assert rebuilt == response


def test_level_and_ids_must_agree(sample):
    df = engframe.flatten(sample("account"))
    df.loc[0, "skill"] = 5
    with pytest.raises(engframe.FrameError, match=r"level 'account'.*needs no skill"):
        engframe.unflatten(df)


def test_a_skill_row_without_a_skill_is_refused(sample):
    df = engframe.flatten(sample("skill_2"))
    df.loc[df["level"] == "skill", "skill"] = pd.NA
    with pytest.raises(engframe.FrameError, match=r"skill <NA>.*needs a skill"):
        engframe.unflatten(df)


def test_missing_columns_are_named():
    with pytest.raises(engframe.FrameError, match=r"lacks the tidy column.*span"):
        engframe.unflatten(pd.DataFrame({"timestamp": [], "skill": [], "agent": [],
                                         "metric": [], "value": [], "level": []}))


def test_not_a_frame():
    with pytest.raises(engframe.FrameError, match="found dict"):
        engframe.unflatten({"metricsTotals": {}})  # type: ignore[arg-type]


def test_without_attrs_the_catalogue_says_which_metrics_are_floats(sample):
    # a msgconversation frame that lost its attrs (a parquet file read by another tool):
    # its averages come back as floats even where a value is whole, the counts as ints
    df = engframe.flatten(sample("messaging/msgconversation"))
    df.attrs.clear()
    interval = engframe.unflatten(df)["metricsByIntervals"][0]["metricsData"]
    assert type(interval["skillsMetricsPerAgent"]["metricsTotals"][
        "avgTime_resolvedConversations"]) is float  # 0.0, whole
    totals = engframe.unflatten(df)["skillsMetricsPerAgent"]["metricsTotals"]
    assert type(totals["totalResolvedConversations"]) is int


def test_a_frame_of_several_methods_is_refused_by_name(sample):
    chat = engframe.flatten(sample("account"))
    msg = engframe.flatten(sample("messaging/msgconversation"))
    with pytest.raises(engframe.FrameError, match=r"2 methods.*engactivity, msgconversation"):
        engframe.unflatten(pd.concat([chat, msg], ignore_index=True))
