"""Request validation of queuehealth, agentactivity, sla and queuestate, as their pages say.

The pages: ``pages/documents/RealTimeData/OperationalRealtimeAPI/methods/{queue-health,
agent-activity,sla-histogram,current-queue-state}.md`` in ``LivePersonInc/developer-center``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engframe.errors import SimRequestError
from engframe.sim.query_ops import (
    DEFAULT_HISTOGRAM,
    MAX_BOUND_S,
    OPS_METHODS,
    params_from_body,
    parse_ops_query,
)


def valid(method: str) -> dict[str, str]:
    """The smallest valid parameters of ``method``."""
    if method == "queuestate":
        return {"v": "1"}
    required = {"agentIds": "all"} if method == "agentactivity" else {}
    return {"timeframe": "60", "v": "1", **required}


def refused(method: str, params: dict[str, str]) -> SimRequestError:
    with pytest.raises(SimRequestError) as caught:
        parse_ops_query(method, params)
    assert caught.value.status == 400
    return caught.value


def test_agentactivity_requires_agent_ids() -> None:
    error = refused("agentactivity", {"timeframe": "60", "v": "1"})
    assert error.param == "agentIds" and "required" in str(error)


@pytest.mark.parametrize("method", ["queuehealth", "agentactivity", "sla"])
def test_timeframe_is_required_where_the_method_takes_one(method: str) -> None:
    params = valid(method)
    del params["timeframe"]
    assert refused(method, params).param == "timeframe"


def test_queuestate_needs_nothing_but_v() -> None:
    query = parse_ops_query("queuestate", {"v": "1"})
    assert (query.timeframe, query.skill_ids) == (None, None)


@pytest.mark.parametrize(("method", "param"), [
    ("sla", "interval"),            # the histogram covers the whole timeframe
    ("queuestate", "timeframe"),    # a snapshot: skillIds only
    ("queuestate", "interval"),
    ("queuestate", "agentIds"),
    ("agentactivity", "skillIds"),
    ("queuehealth", "agentIds"),
    ("queuehealth", "histogram"),
])
def test_a_family_parameter_the_method_does_not_take_is_refused_by_name(
        method: str, param: str) -> None:
    error = refused(method, {**valid(method), param: "30"})
    assert error.param == param and f"{method} takes no {param}" in str(error)


def test_unknown_parameters_are_ignored_as_engactivity_does() -> None:
    assert parse_ops_query("queuestate", {"v": "1", "utm_source": "x"}).skill_ids is None


def test_queuestate_answers_versions_one_and_two_the_others_one() -> None:
    assert parse_ops_query("queuestate", {"v": "2"}).version == "2"
    assert refused("queuehealth", {"timeframe": "60", "v": "2"}).param == "v"
    assert refused("queuestate", {"v": "3"}).param == "v"


@pytest.mark.parametrize("interval", ["31", "61", "7"])
def test_intervals_follow_engactivity_rules(interval: str) -> None:
    assert refused("queuehealth", {"timeframe": "60", "v": "1", "interval": interval}
                   ).param == "interval"


def test_histogram_defaults_to_the_documented_buckets() -> None:
    assert parse_ops_query("sla", {"timeframe": "60", "v": "1"}).histogram == DEFAULT_HISTOGRAM
    assert DEFAULT_HISTOGRAM == (0, 15, 30, 45, 60, 90, 120)


def test_histogram_always_starts_at_zero_sorted_without_repeats() -> None:
    query = parse_ops_query("sla", {"timeframe": "60", "v": "1", "histogram": "50,10,50"})
    assert query.histogram == (0, 10, 50)


@given(st.integers(min_value=1, max_value=MAX_BOUND_S).filter(lambda n: n % 5))
def test_histogram_bounds_must_be_multiples_of_five(bound: int) -> None:
    error = refused("sla", {"timeframe": "60", "v": "1", "histogram": f"0,{bound}"})
    assert error.param == "histogram" and f"item 2 is {bound}" in str(error)


@pytest.mark.parametrize("text", ["0,,5", "0,-5", "0,5s", f"0,{MAX_BOUND_S + 5}"])
def test_histogram_items_must_be_whole_seconds_in_range(text: str) -> None:
    assert refused("sla", {"timeframe": "60", "v": "1", "histogram": text}).param == "histogram"


def test_group_ids_are_ids_or_all() -> None:
    query = parse_ops_query("sla", {"timeframe": "60", "v": "1", "groupIds": "4,15"})
    assert query.group_ids == (4, 15)
    assert refused("sla", {"timeframe": "60", "v": "1", "groupIds": "x"}).param == "groupIds"


def test_post_body_parameters_are_json_strings() -> None:
    body = b'{"timeframe":"1440","v":"1","agentIds":"2152260212,2152260212","interval":"1440"}'
    query = parse_ops_query("agentactivity", params_from_body(body))  # the page's example
    assert (query.timeframe, query.interval, query.agent_ids) == (
        1440, 1440, (2152260212, 2152260212))


@pytest.mark.parametrize(("body", "param"), [
    (b'{"timeframe":60,"v":"1","agentIds":"all"}', "timeframe"),
    (b'{"timeframe":"60","v":"1","agentIds":[1,2]}', "agentIds"),
    (b'["timeframe"]', None),
    (b'{"timeframe":', None),
])
def test_post_bodies_that_are_not_an_object_of_strings_are_refused(
        body: bytes, param: str | None) -> None:
    with pytest.raises(SimRequestError) as caught:
        params_from_body(body)
    assert caught.value.status == 400 and caught.value.param == param


def test_every_method_is_described() -> None:
    assert set(OPS_METHODS) == {"queuehealth", "agentactivity", "sla", "queuestate"}
