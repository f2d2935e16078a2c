"""engframe.flatten on bad input: a ResponseError naming the JSON path, never a raw error."""

from __future__ import annotations

import copy
import gzip
import json
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe.limits import MAX_INTERVALS, MAX_METRICS
from engframe.schema import METRICS
from tests.strategies import responses


def error_for(response: Any) -> engframe.ResponseError:
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(response)
    return caught.value


def test_not_json_names_the_problem():
    error = error_for(b"<html>502 Bad Gateway</html>")
    assert "malformed JSON" in str(error)
    assert isinstance(error, ValueError) and isinstance(error, engframe.EngframeError)


def test_truncated_json_says_it_was_cut_off(sample):
    text = json.dumps(sample("skills_all_agent_3"))
    error = error_for(text[: len(text) // 2])
    assert "cut off" in str(error)


def test_truncated_interval_list_says_it_was_cut_off(sample):
    text = json.dumps(sample("agent_2_intervals"))
    error = error_for(text[: text.index('"metricsData"', 200)])
    assert "cut off" in str(error)


def test_top_level_array_is_the_wrong_type():
    error = error_for("[1, 2]")
    assert error.path == "" and error.expected == "an object" and error.found == "array"


@pytest.mark.parametrize("wrong", [42, 4.5, None, ["a"], object()])
def test_wrong_python_type_is_a_response_error(wrong):
    error = error_for(wrong)
    assert "(top level)" in str(error)


def test_list_where_an_object_belongs_names_its_path(sample):
    response = sample("skills_all_agent_3")
    response["agentsMetrics"]["metricsPerAgent"] = [1, 2]
    error = error_for(response)
    assert error.path == "agentsMetrics.metricsPerAgent"
    assert "array" in error.found


def test_non_numeric_agent_key_is_named_with_its_path():
    response = {"agentsMetrics": {"metricsPerAgent": {"agentX": {"totalHandlingTime": 1}},
                                  "metricsTotals": {"totalHandlingTime": 1}}}
    error = error_for(response)
    assert error.path == 'agentsMetrics.metricsPerAgent["agentX"]'
    assert error.method == "engactivity"  # its metric names say so
    assert str(error) == (
        "engactivity response: agentsMetrics.metricsPerAgent[\"agentX\"]: expected a "
        "numeric agent id, found string 'agentX'"
    )


def test_an_error_names_the_method_from_the_envelope_or_the_metrics(tmp_path):
    doc = {"agentsMetrics": {"metricsPerAgent": {"2": {"totalResolvedConversations": "x"}}}}
    assert error_for(doc).method == "msgconversation"
    wrapped = {"request": {"method": "msgcsatdistribution"}, "response": {
        "agentsMetrics": {"metricsPerAgent": [1]}}}
    path = tmp_path / "csat.json"
    path.write_text(json.dumps(wrapped))
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(path)
    assert str(caught.value) == (
        f"{path} (msgcsatdistribution response): agentsMetrics.metricsPerAgent: expected an "
        "object of agents by id, found array [1]")
    # metrics no method owns: no method to name
    assert error_for({"metricsTotals": {"custom": "x"}}).method is None


def test_non_numeric_skill_key_is_named_with_its_path(sample):
    response = sample("skill_2")
    per_skill = response["skillsMetricsPerAgent"]["metricsPerSkill"]
    per_skill["+2"] = per_skill.pop("2")
    error = error_for(response)
    assert error.path == 'skillsMetricsPerAgent.metricsPerSkill["+2"]'
    assert "numeric skill id" in error.expected


def test_id_beyond_64_bits_is_refused():
    response = {"agentsMetrics": {"metricsPerAgent": {str(2**64): {"m": 1}}}}
    error = error_for(response)
    assert "64 bits" in error.expected


@pytest.mark.parametrize(("bad", "found"), [("12", "string '12'"), (True, "boolean True"),
                                            (None, "null None"), ({"x": 1}, "object"),
                                            ([1], "array")])
def test_value_that_is_not_a_number_is_named_with_its_path(sample, bad, found):
    response = sample("skills_all_agent_3")
    metrics = response["skillsMetricsPerAgent"]["metricsPerSkill"]["2"]["metricsPerAgent"]["3"]
    metrics["totalHandlingTime"] = bad
    error = error_for(response)
    assert error.path == (
        'skillsMetricsPerAgent.metricsPerSkill["2"].metricsPerAgent["3"].totalHandlingTime'
    )
    assert error.expected == "a number"
    assert error.found.startswith(found)


def test_value_beyond_64_bits_is_refused():
    error = error_for('{"metricsTotals": {"totalHandlingTime": 18446744073709551616}}')
    assert error.path == "metricsTotals.totalHandlingTime"
    assert "64 bits" in error.expected


def test_bad_value_inside_an_interval_names_the_interval(sample):
    response = sample("agent_2_intervals")
    response["metricsByIntervals"][2]["metricsData"]["agentsMetrics"]["metricsTotals"][
        "connectedEngagements"] = "3"
    for given_as in (response, json.dumps(response).encode()):
        error = error_for(given_as)
        assert error.path == (
            "metricsByIntervals[2].metricsData.agentsMetrics.metricsTotals.connectedEngagements"
        )


def test_interval_without_timestamp(sample):
    response = sample("account_intervals")
    del response["metricsByIntervals"][1]["timestamp"]
    error = error_for(response)
    assert error.path == "metricsByIntervals[1]"
    assert "timestamp" in error.expected


def test_interval_with_a_text_timestamp(sample):
    response = sample("account_intervals")
    response["metricsByIntervals"][0]["timestamp"] = "2014-10-07"
    error = error_for(response)
    assert error.path == "metricsByIntervals[0].timestamp"


def test_two_intervals_with_one_timestamp(sample):
    response = sample("account_intervals")
    response["metricsByIntervals"][2]["timestamp"] = response["metricsByIntervals"][0]["timestamp"]
    error = error_for(response)
    assert error.path == "metricsByIntervals[2].timestamp"
    assert "metricsByIntervals[0]" in error.found


def test_intervals_that_are_not_a_list(sample):
    response = sample("account_intervals")
    response["metricsByIntervals"] = {"a": 1}
    for given_as in (response, json.dumps(response)):
        assert error_for(given_as).path == "metricsByIntervals"


def test_malformed_envelope_time():
    error = error_for({"fetched_at": "yesterday", "response": {}})
    assert error.path == "fetched_at"


def test_error_from_a_file_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"metricsTotals": {"x": "1"}}')
    error = error_for(path)
    assert error.source == str(path)
    assert str(error).startswith(f"{path}: metricsTotals.x")


def test_missing_file_is_a_source_error(tmp_path: Path):
    with pytest.raises(engframe.SourceError, match="no such file"):
        engframe.flatten(tmp_path / "absent.json")


def test_damaged_gzip_is_a_response_error(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert "gzip" in str(error_for(path))


# --- fuzzing: corrupt valid responses; only ResponseError (or a frame) may come out ----------

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                          max_size=2),
)


def containers(node: Any, found: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            containers(child, found)
    return found


@st.composite
def corrupted(draw: st.DrawFn) -> Any:
    response = copy.deepcopy(draw(responses()))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 3))):
        nodes = containers(response, [])
        node = rng.choice(nodes)
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            action = draw(st.sampled_from(["replace", "delete", "rename"]))
            if action == "replace":
                node[key] = draw(JUNK)
            elif action == "delete":
                del node[key]
            else:
                node[draw(st.text(max_size=6))] = node.pop(key)
        elif isinstance(node, list) and node:
            node[rng.randrange(len(node))] = draw(JUNK)
    return response


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted(), st.sampled_from(["dict", "bytes", "cut"]), st.floats(0, 1))
def test_corrupted_responses_raise_only_response_errors(response, form, cut):
    if form == "dict":
        given_as: Any = response
    else:
        given_as = json.dumps(response).encode()
        if form == "cut":
            given_as = given_as[: int(len(given_as) * cut)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engframe.EngframeWarning)
        try:
            engframe.flatten(given_as)
        except engframe.ResponseError as error:
            assert str(error)


# --- ids: signed 64-bit decimal integers, each key of an object a different one ---------------


@pytest.mark.parametrize("bad", ["+7", " 7", "7 ", "7.0", "1e3", "0x7", "-", "", "٣"])
def test_an_id_that_is_not_plain_decimal_digits_is_refused(bad):
    response = {"agentsMetrics": {"metricsPerAgent": {bad: {"m": 1}}}}
    for given_as in (response, json.dumps(response).encode()):
        error = error_for(given_as)
        assert error.path == f'agentsMetrics.metricsPerAgent["{bad}"]'
        assert error.expected == "a numeric agent id"


@pytest.mark.parametrize("bad", [str(2**63), str(-(2**63) - 1), "1" + "0" * 5000])
def test_an_id_beyond_the_signed_64_bit_range_is_refused(bad):
    response = {"skillsMetricsPerAgent": {"metricsPerSkill": {bad: {"metricsPerAgent": {}}}}}
    error = error_for(json.dumps(response).encode())
    assert error.path.startswith("skillsMetricsPerAgent.metricsPerSkill[")
    assert "64 bits" in error.expected


@pytest.mark.parametrize("form", ["dict", "bytes"])
def test_two_agent_keys_that_are_one_id_name_the_second(form):
    response = {"agentsMetrics": {"metricsPerAgent": {"007": {"m": 1}, "7": {"m": 2}}}}
    error = error_for(response if form == "dict" else json.dumps(response).encode())
    assert error.path == 'agentsMetrics.metricsPerAgent["7"]'
    assert "same id as the key '007'" in error.found


def test_two_skill_keys_that_are_one_id_name_the_second():
    per_skill = {"-1": {"metricsPerAgent": {}}, "-01": {"metricsPerAgent": {}}}
    error = error_for({"skillsMetricsPerAgent": {"metricsPerSkill": per_skill}})
    assert error.path == 'skillsMetricsPerAgent.metricsPerSkill["-01"]'
    assert "same id as the key '-1'" in error.found


def test_minus_zero_and_zero_are_one_id():
    error = error_for(b'{"agentsMetrics": {"metricsPerAgent": {"0": {"m": 1}, "-0": {"m": 2}}}}')
    assert error.path == 'agentsMetrics.metricsPerAgent["-0"]'


def test_one_id_written_two_ways_in_different_objects_is_fine():
    response = {"skillsMetricsPerAgent": {"metricsPerSkill": {
        "1": {"metricsPerAgent": {"007": {"m": 1}}}, "2": {"metricsPerAgent": {"7": {"m": 2}}}}}}
    assert engframe.flatten(response)["agent"].tolist() == [7, 7]


def test_two_keys_that_are_one_id_in_a_later_interval_are_found(sample):
    response = sample("agent_2_intervals")
    first = response["metricsByIntervals"][0]["metricsData"]["agentsMetrics"]["metricsPerAgent"]
    first["02"] = first.pop("2")
    last = response["metricsByIntervals"][2]["metricsData"]["agentsMetrics"]["metricsPerAgent"]
    last.update({"02": {"totalHandlingTime": 1}, "2": {"totalHandlingTime": 2}})
    error = error_for(json.dumps(response).encode())
    assert error.path == 'metricsByIntervals[2].metricsData.agentsMetrics.metricsPerAgent["2"]'


# --- repeated JSON keys, which decoders silently collapse -------------------------------------

REPEATED = {
    "metric": (b'{"metricsTotals": {"m": 1, "m": 2}}', 'metricsTotals.m'),
    "member": (b'{"metricsTotals": {"m": 1}, "metricsTotals": {"m": 2}}', "metricsTotals"),
    "agent": (b'{"agentsMetrics": {"metricsPerAgent": {"7": {"m": 1}, "7": {"m": 2}}}}',
              'agentsMetrics.metricsPerAgent["7"]'),
    "escaped": (b'{"agentsMetrics": {"metricsPerAgent": {"7": {"m": 1}, "\\u0037": {"m": 2}}}}',
                'agentsMetrics.metricsPerAgent["7"]'),
    "interval": (b'{"metricsByIntervals": [{"timestamp": 1, "timestamp": 2, '
                 b'"metricsData": {}}]}', "metricsByIntervals[0].timestamp"),
    "interval list": (b'{"metricsByIntervals": [], "metricsByIntervals": []}',
                      "metricsByIntervals"),
    "envelope": (b'{"request": {"timeframe": 60, "timeframe": 30}, "fetched_at": 0, '
                 b'"response": {}}', "request.timeframe"),
    "envelope member": (b'{"fetched_at": 0, "fetched_at": 1, "response": {}}', "fetched_at"),
    "wrapped body": (b'{"fetched_at": 0, "response": {"metricsTotals": {"m": 1}, '
                     b'"metricsTotals": {"m": 1}}}', "response.metricsTotals"),
    "unknown member": (b'{"extra": {"a": 1, "a": 1}}', "extra.a"),
}


@pytest.mark.parametrize("case", list(REPEATED))
def test_a_repeated_key_is_named_by_its_path(case):
    data, path = REPEATED[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engframe.EngframeWarning)
        error = error_for(data)
    assert error.path == path
    assert error.expected == "each key once in an object"


def test_a_repeated_key_in_a_usual_interval_is_found(sample):
    text = json.dumps(sample("agent_2_intervals"))
    data = text.replace('"connectedEngagements": 3', '"connectedEngagements": 3, '
                        '"connectedEngagements": 4', 1).encode()
    error = error_for(data)
    assert error.path == ("metricsByIntervals[0].metricsData.agentsMetrics.metricsPerAgent"
                          '["2"].connectedEngagements')


# --- numbers: integers, floats, and what is neither -------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinity_in_a_dict_are_refused(bad):
    error = error_for({"metricsTotals": {"avg": bad}})
    assert error.path == "metricsTotals.avg"
    assert "finite" in error.expected


@pytest.mark.parametrize(("text", "found"), [(b"NaN", "malformed JSON"),
                                             (b"Infinity", "malformed JSON"),
                                             (b"1e400", "out of range"),
                                             (b"-1e400", "out of range")])
def test_nan_infinity_and_overflowing_numbers_in_json_are_refused(text, found):
    error = error_for(b'{"metricsTotals": {"avg": ' + text + b"}}")
    assert found in error.found


def test_an_integer_beyond_two_to_the_53_beside_floats_is_named():
    error = error_for(b'{"metricsTotals": {"avg": 0.5, "big": 9007199254740993}}')
    assert error.path == "metricsTotals.big"
    assert "2**53" in error.expected


def test_an_integer_beyond_two_to_the_53_in_another_interval_than_the_floats(sample):
    response = sample("agent_2_intervals")
    data = response["metricsByIntervals"][1]["metricsData"]["agentsMetrics"]
    data["metricsTotals"]["totalHandlingTime"] = 2**60
    response["metricsByIntervals"][2]["metricsData"]["agentsMetrics"]["metricsTotals"][
        "avg"] = 0.5
    error = error_for(json.dumps(response).encode())
    assert error.path == "metricsByIntervals[1].metricsData.agentsMetrics.metricsTotals" \
                         ".totalHandlingTime"
    assert "2**53" in error.expected


def test_an_integer_beyond_two_to_the_53_without_floats_is_fine():
    df = engframe.flatten(b'{"metricsTotals": {"big": 9007199254740993}}')
    assert df["value"].item() == 9007199254740993


# --- the envelope: what the API could have sent ------------------------------------------------


@pytest.mark.parametrize(("request_", "path"), [
    ({"timeframe": 10**9}, "request.timeframe"), ({"timeframe": 0}, "request.timeframe"),
    ({"timeframe": "60"}, "request.timeframe"), ({"timeframe": True}, "request.timeframe"),
    ({"timeframe": 60, "interval": 7}, "request.interval"),
    ({"timeframe": 60, "interval": 120}, "request.interval"),
    ({"timeframe": 60, "interval": 0}, "request.interval"),
    ({"interval": 1}, "request.interval"),
])
def test_an_envelope_request_the_api_would_refuse_is_named(request_, path):
    error = error_for({"request": request_, "fetched_at": "2026-11-25T14:07:00Z",
                       "response": {}})
    assert error.path == path


@pytest.mark.parametrize("fetched", [99999999999999999, -99999999999999999,
                                     "0001-01-01T00:00:00+01:00"])
def test_a_fetch_time_outside_the_years_1_to_9999_is_refused(fetched):
    error = error_for({"fetched_at": fetched, "response": {}})
    assert error.path == "fetched_at"
    assert "9999" in error.expected


def test_a_request_nested_too_deep_is_refused():
    deep: Any = 1
    for _ in range(100):
        deep = {"a": deep}
    error = error_for({"request": {"extra": deep}, "fetched_at": 0, "response": {}})
    assert error.path == "request"
    assert "MAX_DEPTH" in error.expected


# --- files: how many bytes they may hold or inflate to ------------------------------------------


def padded(response: dict, blanks: int) -> bytes:
    return json.dumps(response).encode() + b" " * blanks


def test_a_gzip_file_inflating_past_max_bytes_is_refused_naming_the_limit(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    path.write_bytes(gzip.compress(padded({"metricsTotals": {"x": 1}}, 1_000_000)))
    error = error_for_file(path, max_bytes=500_000)
    assert error.source == str(path)
    assert "at most 500,000 bytes of JSON (max_bytes=" in error.expected
    assert "inflates past" in error.found


def test_raising_max_bytes_reads_a_larger_gzip_file(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    path.write_bytes(gzip.compress(padded({"metricsTotals": {"x": 1}}, 1_000_000)))
    assert engframe.flatten(path, max_bytes=2_000_000)["value"].tolist() == [1]


def test_a_plain_file_larger_than_max_bytes_is_refused_by_its_size(tmp_path: Path):
    path = tmp_path / "r.json"
    path.write_bytes(padded({"metricsTotals": {"x": 1}}, 1000))
    error = error_for_file(path, max_bytes=1000)
    assert error.found == f"a file of {path.stat().st_size:,} bytes"


def test_a_file_of_exactly_max_bytes_is_read(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    data = padded({"metricsTotals": {"x": 1}}, 100)
    path.write_bytes(gzip.compress(data))
    assert len(engframe.flatten(path, max_bytes=len(data))) == 1


def test_a_gzip_file_of_several_members_and_zero_padding_is_read(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    path.write_bytes(gzip.compress(b'{"metricsTotals": ') + gzip.compress(b'{"x": 1}}')
                     + b"\x00" * 512)
    assert engframe.flatten(path)["value"].tolist() == [1]


def test_a_gzip_file_cut_off_is_a_response_error(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    packed = gzip.compress(padded({"metricsTotals": {"x": 1}}, 10_000))
    path.write_bytes(packed[:-20])
    assert "cut off" in error_for_file(path).found


def test_trailing_bytes_after_a_gzip_member_are_a_response_error(tmp_path: Path):
    path = tmp_path / "r.json.gz"
    path.write_bytes(gzip.compress(b'{"metricsTotals": {"x": 1}}') + b"garbage")
    assert "damaged" in error_for_file(path).found


def error_for_file(path: Path, **options: Any) -> engframe.ResponseError:
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(path, **options)
    return caught.value


# --- nesting --------------------------------------------------------------------------------


def nested(levels: int) -> Any:
    deep: Any = 1
    for _ in range(levels):
        deep = [deep]
    return deep


@pytest.mark.parametrize("where", ["unknown member", "metric value", "interval", "top level"])
def test_a_dict_nested_ten_thousand_levels_is_a_response_error(where):
    deep = nested(10_000)
    response = {"unknown member": {"metricsTotals": {"x": 1}, "extra": deep},
                "metric value": {"metricsTotals": {"x": deep}},
                "interval": {"metricsByIntervals": [deep]},
                "top level": deep}[where]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engframe.EngframeWarning)
        error = error_for(response)
    assert len(str(error)) < 300


def test_an_unknown_member_within_the_nesting_limit_is_kept():
    response = {"metricsTotals": {"x": 1}, "extra": nested(60)}
    with pytest.warns(engframe.EngframeWarning, match="extra"):
        df = engframe.flatten(json.dumps(response).encode())
    assert df.attrs["unknown_keys"]["extra"] == nested(60)


def test_an_unknown_member_past_the_nesting_limit_is_named():
    error = error_for(json.dumps({"metricsTotals": {"x": 1}, "extra": nested(100)}).encode())
    assert error.path == "extra"
    assert "MAX_DEPTH" in error.expected


def test_metric_names_up_to_the_limit_are_read():
    names = {f"m{i}": i for i in range(MAX_METRICS - len(METRICS))}
    df = engframe.flatten(json.dumps({"metricsTotals": names}).encode())
    # the five documented names count towards the limit, present or not
    assert len(df["metric"].cat.categories) == MAX_METRICS - len(METRICS)


def test_one_metric_name_past_the_limit_is_named_with_its_path():
    names = {f"m{i}": i for i in range(MAX_METRICS - len(METRICS) + 1)}
    error = error_for({"metricsByIntervals": [{"timestamp": 1, "metricsData": {
        "metricsTotals": names}}]})
    last = f"m{MAX_METRICS - len(METRICS)}"
    assert error.path == f"metricsByIntervals[0].metricsData.metricsTotals.{last}"
    assert "MAX_METRICS" in error.expected


def test_more_intervals_than_the_limit_are_refused():
    items = [{"timestamp": i, "metricsData": {}} for i in range(MAX_INTERVALS + 1)]
    for given_as in ({"metricsByIntervals": items},
                     json.dumps({"metricsByIntervals": items}).encode()):
        error = error_for(given_as)
        assert error.path == "metricsByIntervals"
        assert error.found == f"{MAX_INTERVALS + 1:,} intervals"
