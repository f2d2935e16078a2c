"""Parameter validation of engactivity, as the real API answers 400."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.errors import QueryError, SimRequestError
from engframe.query import Query
from engframe.sim.query import ALL, parse_query


def q(**params: str) -> dict[str, list[str]]:
    return {name: [value] for name, value in params.items()}


def test_minimal_query_has_timeframe_and_version() -> None:
    query = parse_query(q(timeframe="60", v="1"))
    assert (query.timeframe, query.interval, query.skill_ids, query.agent_ids) == (
        60,
        None,
        None,
        None,
    )


def test_id_lists_keep_the_order_sent_and_accept_spaces() -> None:
    query = parse_query(q(timeframe="60", v="1", skillIds="4,15, 3", agentIds="2152260212"))
    assert query.skill_ids == (4, 15, 3)
    assert query.agent_ids == (2152260212,)


@pytest.mark.parametrize("text", ["all", "ALL", " all "])
def test_all_selects_every_id(text: str) -> None:
    assert parse_query(q(timeframe="60", v="1", agentIds=text)).agent_ids == ALL


def test_spec_example_interval_30_of_60_is_accepted() -> None:
    assert parse_query(q(timeframe="60", v="1", interval="30")).interval == 30


def test_first_value_counts_when_a_parameter_is_repeated() -> None:
    assert parse_query({"timeframe": ["60", "x"], "v": ["1"]}).timeframe == 60


def test_unknown_parameters_are_ignored() -> None:
    assert parse_query(q(timeframe="5", v="1", source="me")).timeframe == 5


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"v": "1"}, "timeframe"),
        ({"timeframe": "abc", "v": "1"}, "timeframe"),
        ({"timeframe": "7.5", "v": "1"}, "timeframe"),
        ({"timeframe": "1441", "v": "1"}, "timeframe"),
        ({"timeframe": "0", "v": "1"}, "timeframe"),
        ({"timeframe": "-5", "v": "1"}, "timeframe"),
        ({"timeframe": "60"}, "v"),
        ({"timeframe": "60", "v": "one"}, "v"),
        ({"timeframe": "60", "v": "2"}, "v"),
        ({"timeframe": "14", "v": "1", "interval": "7"}, "interval"),
        ({"timeframe": "60", "v": "1", "interval": "4"}, "interval"),
        ({"timeframe": "60", "v": "1", "interval": "61"}, "interval"),
        ({"timeframe": "60", "v": "1", "interval": "31"}, "interval"),
        ({"timeframe": "60", "v": "1", "interval": ""}, "interval"),
        ({"timeframe": "60", "v": "1", "skillIds": "4,,3"}, "skillIds"),
        ({"timeframe": "60", "v": "1", "skillIds": ""}, "skillIds"),
        ({"timeframe": "60", "v": "1", "agentIds": "x1"}, "agentIds"),
        ({"timeframe": "60", "v": "1", "agentIds": "+3"}, "agentIds"),
        ({"timeframe": "60", "v": "1", "agentIds": "99999999999999999999"}, "agentIds"),
    ],
)
def test_bad_parameter_is_a_400_naming_it_and_its_value(params: dict[str, str], param: str) -> None:
    with pytest.raises(SimRequestError) as caught:
        parse_query(q(**params))
    assert caught.value.status == 400
    assert caught.value.param == param
    assert str(caught.value).startswith(f"{param}: expected")
    assert caught.value.value == params.get(param)


def test_message_says_which_item_of_an_id_list_is_bad() -> None:
    with pytest.raises(SimRequestError, match=r"item 2 is empty"):
        parse_query(q(timeframe="60", v="1", skillIds="4,,3"))


def test_missing_parameter_is_called_required() -> None:
    with pytest.raises(SimRequestError, match="required"):
        parse_query(q(v="1"))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 1440), st.data())
def test_every_divisor_made_of_whole_buckets_is_a_valid_interval(
    timeframe: int, data: st.DataObject
) -> None:
    divisors = [d for d in range(5, timeframe + 1, 5) if timeframe % d == 0]
    if not divisors:
        with pytest.raises(SimRequestError):
            parse_query(q(timeframe=str(timeframe), v="1", interval=str(timeframe)))
        return
    interval = data.draw(st.sampled_from(divisors))
    assert (
        parse_query(q(timeframe=str(timeframe), v="1", interval=str(interval))).interval == interval
    )


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 1440), st.integers(1, 1440))
def test_non_divisors_and_oversized_intervals_are_refused(timeframe: int, interval: int) -> None:
    valid = 5 <= interval <= timeframe and timeframe % interval == 0 and interval % 5 == 0
    params = q(timeframe=str(timeframe), v="1", interval=str(interval))
    if valid:
        assert parse_query(params).interval == interval
    else:
        with pytest.raises(SimRequestError, match="interval"):
            parse_query(params)


@settings(max_examples=300, deadline=None)
@given(
    timeframe=st.integers(-5, 1500),
    interval=st.none() | st.integers(-5, 1500),
    ids=st.none() | st.sampled_from(["all", "ALL"]) | st.lists(
        st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3), min_size=1, max_size=4),
)
def test_the_client_and_the_simulator_accept_the_same_queries(
    timeframe: int, interval: int | None, ids: str | list[int] | None
) -> None:
    """The client's checks (engframe.query) and the simulator's 400s follow one rule."""
    try:
        asked = Query(timeframe=timeframe, interval=interval, skills=ids, agents=ids)
    except QueryError:
        client_ok = False
    else:
        client_ok = True
    params = {"timeframe": str(timeframe), "v": "1"}
    if interval is not None:
        params["interval"] = str(interval)
    if ids is not None:
        params["skillIds"] = params["agentIds"] = ids if isinstance(ids, str) else ",".join(
            map(str, ids))
    try:
        served = parse_query(q(**params))
    except SimRequestError:
        sim_ok = False
    else:
        sim_ok = True
        if client_ok:
            assert (served.timeframe, served.interval) == (asked.timeframe, asked.interval)
    assert client_ok == sim_ok
