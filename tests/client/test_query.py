"""engframe.query: checking a query before any traffic, its query string, and its splitting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.errors import QueryError
from engframe.query import MAX_ID, MIN_ID, Query, check_account, split_query


def test_query_string_follows_the_spec_order_with_plain_commas() -> None:
    query = Query(timeframe=60, interval=30, skills=[4, 15, 3], agents="all")
    assert query.query_string() == "timeframe=60&v=1&interval=30&skillIds=4,15,3&agentIds=all"


def test_absent_parameters_are_left_out() -> None:
    assert Query(timeframe=7).query_string() == "timeframe=7&v=1"


@pytest.mark.parametrize("ids", ["4,15,3", " 4, 15 ,3 ", [4, 15, 3], (4, 15, 3),
                                 np.array([4, 15, 3]), ["4", "15", "3"], iter([4, 15, 3])])
def test_ids_are_accepted_in_every_documented_form(ids: object) -> None:
    assert Query(timeframe=60, skills=ids).skills == (4, 15, 3)  # type: ignore[arg-type]


def test_a_single_integer_id_is_a_one_id_list() -> None:
    assert Query(timeframe=60, agents=2152260212).agents == (2152260212,)


def test_all_is_accepted_in_any_case() -> None:
    assert Query(timeframe=60, skills=" ALL ").skills == "all"


def test_repeated_ids_are_sent_once_in_first_order() -> None:
    assert Query(timeframe=60, agents=[3, 1, 3, 2, 1]).agents == (3, 1, 2)


def test_ids_beyond_2_to_the_31_stay_exact() -> None:
    assert Query(timeframe=60, skills=[MAX_ID]).query_string().endswith(f"skillIds={MAX_ID}")


@pytest.mark.parametrize("timeframe", [0, -5, 1441, 60.0, "60", True, None])
def test_a_bad_timeframe_is_refused_naming_it(timeframe: object) -> None:
    with pytest.raises(QueryError) as caught:
        Query(timeframe=timeframe)  # type: ignore[arg-type]
    assert caught.value.parameter == "timeframe"
    assert caught.value.value == timeframe
    assert "1440" in caught.value.rule  # type: ignore[operator]
    assert "timeframe" in str(caught.value) and repr(timeframe) in str(caught.value)


@pytest.mark.parametrize(("timeframe", "interval"), [(60, 4), (60, 61), (60, 31), (60, 7.5),
                                                      (20, 0), (60, "30"), (14, 7), (12, 6)])
def test_a_bad_interval_is_refused_with_the_rule(timeframe: int, interval: object) -> None:
    with pytest.raises(QueryError, match="divisor") as caught:
        Query(timeframe=timeframe, interval=interval)  # type: ignore[arg-type]
    assert caught.value.parameter == "interval"


def test_query_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Query(timeframe=0)


@pytest.mark.parametrize("ids", ["", "1,,2", "1,x", "+3", [1.5], [True], b"1,2", {"1": 2},
                                 "9" * 5000, [MAX_ID + 1], [MIN_ID - 1], [], 3.0, object()])
def test_bad_ids_are_refused_naming_the_parameter(ids: object) -> None:
    with pytest.raises(QueryError) as caught:
        Query(timeframe=60, agents=ids)  # type: ignore[arg-type]
    assert caught.value.parameter == "agents"
    assert "agents" in str(caught.value)


def test_a_bad_item_is_pointed_at_by_position() -> None:
    with pytest.raises(QueryError, match=r"item 2 is 'x'"):
        Query(timeframe=60, skills="1,2,x")


@pytest.mark.parametrize("account", ["56072331", 56072331, " 56072331 "])
def test_account_ids_come_back_as_digits(account: object) -> None:
    assert check_account(account) == "56072331"


@pytest.mark.parametrize("account", ["", "abc", "56 07", -1, 0, None, 1.5, "\uff15\uff16"])
def test_bad_account_ids_are_refused(account: object) -> None:
    with pytest.raises(QueryError) as caught:
        check_account(account)
    assert caught.value.parameter == "account"


def test_request_fields_are_what_an_envelope_records() -> None:
    fields = Query(timeframe=1440, interval=60, skills="all", agents=[12, 34]).request_fields()
    assert fields == {"method": "engactivity", "timeframe": 1440, "interval": 60,
                      "skillIds": "all", "agentIds": "12,34", "v": 1}


def test_a_query_that_fits_is_not_split() -> None:
    query = Query(timeframe=60, agents=range(1, 50))
    assert split_query(query, room=1000) == (query,)


def test_the_longer_list_is_cut_and_the_other_sent_whole() -> None:
    query = Query(timeframe=60, skills=[1, 2], agents=range(1000, 1400))
    parts = split_query(query, room=300)
    assert len(parts) > 1
    assert all(part.skills == (1, 2) for part in parts)
    assert [a for part in parts for a in part.agents] == list(range(1000, 1400))  # type: ignore[union-attr]


def test_all_is_never_cut() -> None:
    parts = split_query(Query(timeframe=60, skills="all", agents=range(1, 500)), room=200)
    assert {part.skills for part in parts} == {"all"}


def test_both_lists_are_cut_when_neither_fits_whole() -> None:
    query = Query(timeframe=60, skills=range(100, 200), agents=range(1000, 1100))
    parts = split_query(query, room=300)
    pairs = {(s, a) for part in parts for s in part.skills for a in part.agents}  # type: ignore[union-attr]
    assert pairs == {(s, a) for s in range(100, 200) for a in range(1000, 1100)}
    assert all(len(part.query_string()) <= 300 for part in parts)


def test_too_little_room_is_a_query_error_naming_max_url_length() -> None:
    with pytest.raises(QueryError) as caught:
        split_query(Query(timeframe=60, agents=[123456789, 2]), room=20)
    assert caught.value.parameter == "max_url_length"


ids_lists = st.lists(st.integers(1, 2**40), min_size=1, max_size=300, unique=True)


@settings(max_examples=60, deadline=None)
@given(skills=st.one_of(st.none(), st.just("all"), ids_lists), agents=ids_lists,
       room=st.integers(120, 3000))
def test_split_parts_fit_and_cover_every_id_once(
    skills: object, agents: list[int], room: int
) -> None:
    query = Query(timeframe=1440, interval=60, skills=skills, agents=agents)  # type: ignore[arg-type]
    parts = split_query(query, room=room)
    assert all(len(part.query_string()) <= room for part in parts)
    assert {(p.timeframe, p.interval) for p in parts} == {(1440, 60)}
    if isinstance(query.skills, tuple):
        cells = [(s, a) for p in parts for s in p.skills for a in p.agents]  # type: ignore[union-attr]
        assert sorted(cells) == sorted((s, a) for s in query.skills for a in agents)
    else:
        assert sorted(a for p in parts for a in p.agents) == sorted(agents)  # type: ignore[union-attr]
        assert {p.skills for p in parts} == {query.skills}


def test_ids_are_signed_64_bit_integers_so_the_unassigned_skill_can_be_asked_for() -> None:
    assert Query(timeframe=60, skills="-1,0,7").skills == (-1, 0, 7)
    assert Query(timeframe=60, agents=[MIN_ID]).agents == (MIN_ID,)
