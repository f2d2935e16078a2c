"""engframe.flatten on bad input: a ResponseError naming the JSON path, never a raw error."""

from __future__ import annotations

import copy
import json
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
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
    assert str(error) == (
        "agentsMetrics.metricsPerAgent[\"agentX\"]: expected a numeric agent id, "
        "found string 'agentX'"
    )


def test_non_numeric_skill_key_is_named_with_its_path(sample):
    response = sample("skill_2")
    per_skill = response["skillsMetricsPerAgent"]["metricsPerSkill"]
    per_skill["-2"] = per_skill.pop("2")
    error = error_for(response)
    assert error.path == 'skillsMetricsPerAgent.metricsPerSkill["-2"]'
    assert "numeric skill id" in error.expected


def test_id_beyond_64_bits_is_refused():
    response = {"agentsMetrics": {"metricsPerAgent": {str(2**64): {"m": 1}}}}
    error = error_for(response)
    assert "64 bits" in error.expected


@pytest.mark.parametrize(("bad", "found"), [("12", "string '12'"), (1.5, "number 1.5"),
                                            (True, "boolean True"), (None, "null None"),
                                            ({"x": 1}, "object")])
def test_value_that_is_not_an_integer_is_named_with_its_path(sample, bad, found):
    response = sample("skills_all_agent_3")
    metrics = response["skillsMetricsPerAgent"]["metricsPerSkill"]["2"]["metricsPerAgent"]["3"]
    metrics["totalHandlingTime"] = bad
    error = error_for(response)
    assert error.path == (
        'skillsMetricsPerAgent.metricsPerSkill["2"].metricsPerAgent["3"].totalHandlingTime'
    )
    assert error.expected == "an integer"
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
