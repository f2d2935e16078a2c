"""engframe.flatten: every response shape of the spec, the tidy contract, and the edge cases."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import engframe
from engframe.schema import COLUMNS, DTYPES, TIMESTAMP_DTYPE
from tests.strategies import count_values, responses

SAMPLE_NAMES = [
    "skill_2",
    "skills_all_agent_3",
    "account",
    "skill_agent_no_data",
    "agent_2_intervals",
    "skill_no_data_intervals",
    "account_intervals",
]


def rows(df: pd.DataFrame, **where: object) -> pd.DataFrame:
    mask = np.ones(len(df), bool)
    for column, value in where.items():
        mask &= df[column].eq(value).fillna(False).to_numpy(bool)
    return df[mask]


def test_columns_come_in_contract_order_with_contract_dtypes(sample):
    df = engframe.flatten(sample("skills_all_agent_3"))
    assert tuple(df.columns) == (*COLUMNS, "method")
    assert isinstance(df["method"].dtype, pd.CategoricalDtype)
    assert df["timestamp"].dtype == TIMESTAMP_DTYPE
    assert df["skill"].dtype == pd.Int64Dtype()
    assert df["agent"].dtype == pd.Int64Dtype()
    assert isinstance(df["metric"].dtype, pd.CategoricalDtype)
    assert df["value"].dtype == np.dtype("int64")
    assert df["level"].dtype == DTYPES["level"]
    assert df["span"].dtype == DTYPES["span"]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_spec_example_gives_one_row_per_numeric_value(sample, name):
    response = sample(name)
    df = engframe.flatten(response)
    assert len(df) == count_values(response)
    assert engframe.unflatten(df) == response


def test_skill_request_has_skill_agent_skill_and_skills_total_levels(sample):
    df = engframe.flatten(sample("skill_2"))
    assert df["level"].value_counts().to_dict() == {
        "skill_agent": 5, "skill": 5, "skills_total": 5,
        "account": 0, "agent": 0, "agents_total": 0,
    }
    agent_rows = rows(df, level="skill_agent")
    assert set(agent_rows["skill"]) == {2} and set(agent_rows["agent"]) == {3}
    skill_rows = rows(df, level="skill")
    assert set(skill_rows["skill"]) == {2} and skill_rows["agent"].isna().all()
    total = rows(df, level="skills_total")
    assert total["skill"].isna().all() and total["agent"].isna().all()
    handling = rows(df, level="skill_agent", metric="totalHandlingTime")
    assert handling["value"].tolist() == [12]


def test_skills_and_agents_together_give_all_five_levels(sample):
    df = engframe.flatten(sample("skills_all_agent_3"))
    assert set(df["level"]) == {"skill_agent", "skill", "skills_total", "agent", "agents_total"}
    assert rows(df, level="agent", metric="nonInteractiveTotalHandlingTime")["value"].item() == 13
    assert rows(df, level="agent")["agent"].unique().tolist() == [3]


def test_account_level_without_skills_or_agents(sample):
    df = engframe.flatten(sample("account"))
    assert (df["level"] == "account").all()
    assert df["skill"].isna().all() and df["agent"].isna().all()
    assert dict(zip(df["metric"], df["value"], strict=True)) == {
        "totalInteractiveChats": 1, "totalNonInteractiveChats": 2, "totalHandlingTime": 12,
        "nonInteractiveTotalHandlingTime": 13, "connectedEngagements": 3,
    }


def test_empty_maps_with_zero_totals_keep_the_zeros(sample):
    df = engframe.flatten(sample("skill_agent_no_data"))
    assert len(df) == 10
    assert set(df["level"]) == {"skills_total", "agents_total"}
    assert (df["value"] == 0).all()


def test_intervals_get_their_own_timestamp_and_the_timeframe_the_newest_end(sample):
    df = engframe.flatten(sample("agent_2_intervals"))
    interval = rows(df, span="interval")
    stamps = sorted(interval["timestamp"].unique())
    assert [int(t.value // 1_000_000) for t in stamps] == [
        1412608800000, 1412644800000, 1412680800000
    ]
    whole = rows(df, span="timeframe")
    assert (whole["timestamp"] == pd.Timestamp(1412680800000, unit="ms", tz="UTC")).all()
    newest = rows(df, span="interval", level="agent", metric="totalHandlingTime")
    assert newest["timestamp"].tolist() == [pd.Timestamp(1412680800000, unit="ms", tz="UTC")]


def test_account_level_inside_intervals(sample):
    df = engframe.flatten(sample("account_intervals"))
    assert set(df["level"]) == {"account"}
    assert rows(df, span="interval")["timestamp"].nunique() == 3
    assert len(rows(df, span="timeframe")) == 5


def test_timeframe_rows_without_intervals_or_envelope_have_nat(sample):
    df = engframe.flatten(sample("skill_2"))
    assert df["timestamp"].isna().all()


def test_rows_follow_the_response_order_of_intervals(sample):
    response = sample("agent_2_intervals")
    response["metricsByIntervals"].reverse()
    df = engframe.flatten(response)
    firsts = df.loc[df["span"] == "interval", "timestamp"].drop_duplicates().tolist()
    assert firsts == sorted(firsts)
    assert engframe.unflatten(df) == response


def test_intervals_in_any_order_give_the_same_rows(sample):
    forward = sample("agent_2_intervals")
    backward = sample("agent_2_intervals")
    backward["metricsByIntervals"].reverse()
    key = ["span", "timestamp", "level", "skill", "agent", "metric"]
    a = engframe.flatten(forward).sort_values(key).reset_index(drop=True)
    b = engframe.flatten(backward).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_skills_metrics_spelling_of_the_element_table_is_accepted(sample):
    response = sample("skill_2")
    renamed = {"skillsMetrics": response["skillsMetricsPerAgent"]}
    df = engframe.flatten(renamed)
    assert len(df) == 15
    assert set(df["level"]) == {"skill_agent", "skill", "skills_total"}
    assert engframe.unflatten(df) == renamed


def test_metrics_total_singular_spelling_is_accepted():
    response = {"metricsTotal": {"totalInteractiveChats": 4}}
    df = engframe.flatten(response)
    assert df["level"].tolist() == ["account"] and df["value"].tolist() == [4]
    assert engframe.unflatten(df) == response


def test_both_spellings_in_one_object_is_an_error(sample):
    response = sample("skill_2")
    response["skillsMetrics"] = response["skillsMetricsPerAgent"]
    with pytest.raises(engframe.ResponseError, match="not both"):
        engframe.flatten(response)


def test_unknown_metric_name_is_kept_verbatim():
    response = {"metricsTotals": {"totalInteractiveChats": 1, "avgWaitTime (s)": 7}}
    df = engframe.flatten(response)
    assert df["metric"].tolist() == ["totalInteractiveChats", "avgWaitTime (s)"]
    # the categories are the metrics present, the documented ones first
    assert list(df["metric"].cat.categories) == ["totalInteractiveChats", "avgWaitTime (s)"]
    assert (df["method"] == "engactivity").all()  # known by its other metric


def test_unknown_top_level_key_warns_naming_it_and_is_kept_in_attrs(sample):
    response = sample("account")
    response["serverVersion"] = {"build": 7}
    with pytest.warns(engframe.EngframeWarning, match="serverVersion"):
        df = engframe.flatten(response)
    assert df.attrs["unknown_keys"] == {"serverVersion": {"build": 7}}
    assert len(df) == 5


def test_unknown_key_inside_an_interval_warns_with_its_path(sample):
    response = sample("account_intervals")
    response["metricsByIntervals"][1]["metricsData"]["queueHealth"] = 1
    with pytest.warns(engframe.EngframeWarning, match=r"metricsByIntervals\[1\]\.metricsData"):
        engframe.flatten(response)


def test_zeros_are_data(sample):
    df = engframe.flatten(sample("skill_no_data_intervals"))
    assert len(df) == 20 and (df["value"] == 0).all()


def test_ids_beyond_float_precision_stay_exact():
    big = 9007199254740993
    per_agent = {str(big): {"connectedEngagements": 2**62 + 1}}
    response = {"agentsMetrics": {"metricsPerAgent": per_agent,
                                  "metricsTotals": {"connectedEngagements": 0}}}
    for given_as in (response, json.dumps(response), json.dumps(response).encode()):
        df = engframe.flatten(given_as)
        assert df.loc[df["level"] == "agent", "agent"].item() == big
        assert df.loc[df["level"] == "agent", "value"].item() == 2**62 + 1


def test_largest_int64_id_and_value_are_kept():
    top = 2**63 - 1
    response = {"agentsMetrics": {"metricsPerAgent": {str(top): {"m": top}}}}
    df = engframe.flatten(response)
    assert df["agent"].item() == top and df["value"].item() == top


def test_json_text_bytes_and_dict_give_the_same_frame(sample):
    response = sample("skills_all_agent_3")
    expected = engframe.flatten(response)
    pd.testing.assert_frame_equal(engframe.flatten(json.dumps(response)), expected)
    pd.testing.assert_frame_equal(engframe.flatten(json.dumps(response).encode()), expected)


def test_json_and_gzip_files_by_str_or_path(tmp_path: Path, sample):
    response = sample("agent_2_intervals")
    plain = tmp_path / "r.json"
    plain.write_text(json.dumps(response))
    packed = tmp_path / "r.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(response).encode()))
    expected = engframe.flatten(response)
    for source in (plain, str(plain), packed, str(packed)):
        pd.testing.assert_frame_equal(engframe.flatten(source), expected)


def test_meta_body_wrapper_is_unwrapped(sample):
    response = sample("account")
    df = engframe.flatten({"meta": {"status": "ok"}, "body": response})
    assert engframe.unflatten(df) == response


ENVELOPE_FETCHED = "2014-10-07T11:07:00.000Z"  # 11:07 UTC; buckets round up to 11:10


def envelope(response: dict, **request: object) -> dict:
    return {"request": {"account": "56072331", "v": 1, **request},
            "fetched_at": ENVELOPE_FETCHED, "from_cache": False, "response": response}


def test_envelope_gives_window_end_and_fetch_columns(sample):
    df = engframe.flatten(envelope(sample("skill_2"), timeframe=20, interval=None))
    end = pd.Timestamp("2014-10-07T11:10:00Z")
    assert (df["timestamp"] == end).all()
    assert list(df.columns[:7]) == list(COLUMNS)
    assert list(df.columns[7:]) == ["method", "account", "fetched_at", "start", "complete"]
    assert (df["account"] == "56072331").all()
    assert (df["fetched_at"] == pd.Timestamp(ENVELOPE_FETCHED)).all()
    assert (df["start"] == pd.Timestamp("2014-10-07T10:45:00Z")).all()
    assert not df["complete"].any()
    assert df.attrs["account"] == "56072331"
    assert df.attrs["window"] == {"start": "2014-10-07T10:45:00Z", "end": "2014-10-07T11:10:00Z"}
    assert df.attrs["from_cache"] is False


def test_envelope_with_intervals_marks_the_filling_interval_incomplete():
    # The spec's 08:07 example: timeframe=20, interval=10 -> 08:00-08:10 (filling),
    # 07:50-08:00, 07:45-07:50 (remainder).
    def at(hhmm: str) -> int:
        return int(pd.Timestamp(f"2014-03-26T{hhmm}Z").value // 1_000_000)

    data = {"metricsTotals": {"totalInteractiveChats": 1}}
    response = {"metricsByIntervals": [{"timestamp": at(t), "metricsData": data}
                                       for t in ("08:10", "08:00", "07:50")],
                "metricsTotals": {"totalInteractiveChats": 3}}
    wrapped = {"request": {"timeframe": 20, "interval": 10},
               "fetched_at": "2014-03-26T08:07:00Z", "response": response}
    df = engframe.flatten(wrapped).set_index("timestamp")
    interval = df[df["span"] == "interval"]
    assert interval["complete"].to_dict() == {
        pd.Timestamp("2014-03-26T08:10Z"): False,
        pd.Timestamp("2014-03-26T08:00Z"): True,
        pd.Timestamp("2014-03-26T07:50Z"): True,
    }
    assert interval["start"].tolist() == [pd.Timestamp(f"2014-03-26T{t}Z")
                                          for t in ("08:00", "07:50", "07:45")]
    whole = df[df["span"] == "timeframe"]
    assert whole.index.tolist() == [pd.Timestamp("2014-03-26T08:10Z")]
    assert whole["start"].tolist() == [pd.Timestamp("2014-03-26T07:45Z")]
    assert "account" not in df.columns


def test_envelope_fetched_at_as_epoch_milliseconds(sample):
    wrapped = {"fetched_at": 1412680020000, "response": sample("account")}
    df = engframe.flatten(wrapped)
    assert (df["timestamp"] == pd.Timestamp("2014-10-07T11:10:00Z")).all()
    assert df["start"].isna().all()


@settings(max_examples=150, deadline=None)
@given(responses())
def test_unflatten_inverts_flatten_for_random_valid_responses(response):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = engframe.flatten(response)
    assert len(df) == count_values(response)
    assert engframe.unflatten(df) == response


@settings(max_examples=60, deadline=None)
@given(responses())
def test_bytes_and_dicts_flatten_alike(response):
    from_dict = engframe.flatten(response)
    from_bytes = engframe.flatten(json.dumps(response).encode())
    pd.testing.assert_frame_equal(from_dict, from_bytes)


def test_flatten_does_not_modify_the_callers_dict(sample):
    response = sample("agent_2_intervals")
    before = json.dumps(response, sort_keys=True)
    engframe.flatten(response)
    assert json.dumps(response, sort_keys=True) == before


def test_empty_object_gives_an_empty_frame_with_contract_dtypes():
    df = engframe.flatten({})
    assert len(df) == 0 and tuple(df.columns) == (*COLUMNS, "method")
    assert df["value"].dtype == np.dtype("int64")


# --- live shapes: skill -1, and the Messaging Operations methods' floats --------------------


def test_unassigned_skill_minus_one_is_an_ordinary_skill_id(sample):
    response = sample("live_skill_unassigned")
    df = engframe.flatten(json.dumps(response).encode())
    unassigned = rows(df, level="skill", skill=-1)
    assert len(unassigned) > 0 and unassigned["agent"].isna().all()
    assert set(rows(df, level="skill_agent", skill=-1)["agent"]) == {3705342610, 3705342621}
    assert engframe.unflatten(df) == response


def test_unassigned_skill_sample_keeps_integers(sample):
    df = engframe.flatten(sample("live_skill_unassigned"))
    assert df["value"].dtype == np.dtype("int64")
    assert "float_metrics" not in df.attrs


def test_messaging_sample_gives_float64_values_that_round_trip(sample):
    response = sample("messaging/msgconversation")
    df = engframe.flatten(json.dumps(response).encode())
    assert df["value"].dtype == np.dtype("float64")
    assert df.attrs["float_metrics"] == ["avgTime_resolvedConversations"]
    rebuilt = engframe.unflatten(df)
    assert rebuilt == response
    agents = rebuilt["agentsMetrics"]["metricsPerAgent"]["3705342610"]
    assert agents["avgTime_resolvedConversations"] == 31.533981
    assert type(agents["totalHandlingTime_resolvedConversations"]) is int
    assert agents["totalHandlingTime_resolvedConversations"] == 3248


def test_one_float_in_one_interval_makes_the_whole_response_float64(sample):
    response = sample("agent_2_intervals")
    response["metricsByIntervals"][2]["metricsData"]["agentsMetrics"]["metricsTotals"][
        "avgWait"] = 2.5
    df = engframe.flatten(json.dumps(response).encode())
    assert df["value"].dtype == np.dtype("float64")
    assert df.attrs["float_metrics"] == ["avgWait"]
    assert rows(df, metric="totalHandlingTime", level="agent")["value"].tolist() == [12.0, 12.0]
    assert engframe.unflatten(df) == response


def test_a_number_with_an_exponent_is_a_float():
    df = engframe.flatten(b'{"metricsTotals": {"share": 1e2, "count": 3}}')
    assert df["value"].tolist() == [100.0, 3.0]
    assert df.attrs["float_metrics"] == ["share"]


def test_integers_up_to_two_to_the_53_stay_exact_beside_floats():
    response = {"metricsTotals": {"avg": 0.5, "big": 2**53, "small": -(2**53)}}
    df = engframe.flatten(json.dumps(response))
    assert engframe.unflatten(df) == response


@settings(max_examples=100, deadline=None)
@given(responses(floats=True))
def test_unflatten_inverts_flatten_for_responses_with_floats(response):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = engframe.flatten(json.dumps(response).encode())
    assert len(df) == count_values(response)
    assert engframe.unflatten(df) == response


@settings(max_examples=60, deadline=None)
@given(responses(floats=True))
def test_bytes_and_dicts_with_floats_flatten_alike(response):
    pd.testing.assert_frame_equal(engframe.flatten(response),
                                  engframe.flatten(json.dumps(response).encode()))


def test_ids_with_leading_zeros_are_the_same_id():
    response = {"agentsMetrics": {"metricsPerAgent": {"007": {"m": 1}}}}
    assert engframe.flatten(json.dumps(response))["agent"].tolist() == [7]


def test_smallest_int64_id_is_kept():
    response = {"agentsMetrics": {"metricsPerAgent": {str(-(2**63)): {"m": 1}}}}
    assert engframe.flatten(json.dumps(response))["agent"].item() == -(2**63)


def test_colons_inside_names_and_strings_are_not_taken_for_repeated_keys():
    response = {"metricsTotals": {"wait:p50": 4, "wait:p90": 9},
                "serverTime": "12:00:00", "metricsByIntervals": [
                    {"timestamp": 1, "note": "a:b", "metricsData": {"metricsTotals": {"x:y": 1}}}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engframe.EngframeWarning)
        df = engframe.flatten(json.dumps(response).encode())
    assert df["metric"].tolist() == ["x:y", "wait:p50", "wait:p90"]


def test_envelope_of_a_messaging_response_keeps_floats(sample):
    wrapped = envelope(sample("messaging/msgconversation"), timeframe=60, interval=30)
    df = engframe.flatten(json.dumps(wrapped).encode())
    assert df["value"].dtype == np.dtype("float64")
    assert df.attrs["float_metrics"] == ["avgTime_resolvedConversations"]
