"""Parsing the Account Configuration API's answers into tidy name tables (no I/O)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engframe.errors import EngframeError, ResponseError
from engframe.names import parse_agent_groups, parse_agents, parse_skills

URL = "https://va.example/api/account/1/configuration/le-users/skills?v=2.0"


def test_skills_table_has_its_columns_and_dtypes() -> None:
    table = parse_skills([{"id": 5, "name": "Sales", "description": "d", "deleted": False}])
    assert table.dtypes.astype(str).to_dict() == {
        "skill": "Int64", "skill_name": "string", "description": "string", "deleted": "bool",
    }


def test_agents_table_has_its_columns_and_dtypes() -> None:
    table = parse_agents([{"id": "5", "loginName": "x"}])
    assert table.dtypes.astype(str).to_dict() == {
        "agent": "Int64", "agent_name": "string", "full_name": "string",
        "nickname": "string", "login_name": "string", "agent_group": "Int64",
        "user_type": "Int64", "enabled": "boolean", "deleted": "bool", "skill_ids": "string",
    }


def test_agent_groups_table_has_its_columns_and_dtypes() -> None:
    table = parse_agent_groups([{"id": "5", "name": "Tier 1"}])
    assert table.dtypes.astype(str).to_dict() == {
        "agent_group": "Int64", "agent_group_name": "string", "parent": "Int64",
        "enabled": "boolean", "deleted": "bool",
    }


def test_ids_and_booleans_written_as_strings_are_read_as_values() -> None:
    table = parse_skills([{"id": "3705342610", "name": "A", "deleted": "true"},
                          {"id": 2152260212, "name": "B", "deleted": "FALSE"},
                          {"id": "007", "name": "C", "deleted": False}])
    assert table["skill"].tolist() == [3705342610, 2152260212, 7]
    assert table["deleted"].tolist() == [True, False, False]


def test_a_missing_deleted_means_not_deleted_and_missing_enabled_is_na() -> None:
    table = parse_agents([{"id": 1}])
    assert not table.loc[0, "deleted"]
    assert table["enabled"].isna().all() and table["user_type"].isna().all()


def test_an_agents_name_is_full_name_else_nickname_else_login_else_fallback() -> None:
    table = parse_agents([
        {"id": 1, "fullName": "Dana Levi", "nickname": "Dana", "loginName": "dana.levi"},
        {"id": 2, "fullName": "  ", "nickname": "Noa", "loginName": "noa.cohen"},
        {"id": 3, "fullName": None, "loginName": "api.user"},
        {"id": 4},
    ])
    assert table["agent_name"].tolist() == ["Dana Levi", "Noa", "api.user", "agent 4"]
    assert table["full_name"].tolist()[:2] == ["Dana Levi", "  "]


def test_a_skill_without_a_name_gets_the_fallback() -> None:
    assert parse_skills([{"id": 9, "name": ""}])["skill_name"].tolist() == ["skill 9"]


def test_a_group_without_a_name_gets_the_fallback() -> None:
    table = parse_agent_groups([{"id": 9}])
    assert table["agent_group_name"].tolist() == ["group 9"]


def test_a_name_two_agents_share_gets_each_ones_id() -> None:
    table = parse_agents([{"id": 1, "fullName": "Dana Levi"},
                          {"id": 2, "fullName": "Noa Cohen"},
                          {"id": 3, "fullName": "Dana Levi", "deleted": True}])
    assert table["agent_name"].tolist() == ["Dana Levi (1)", "Noa Cohen", "Dana Levi (3)"]


def test_member_of_gives_the_agents_group() -> None:
    table = parse_agents([{"id": 1, "memberOf": {"agentGroupId": "77", "assignmentDate": "x"}},
                          {"id": 2, "memberOf": None}, {"id": 3}])
    assert table["agent_group"].tolist() == [77, pd.NA, pd.NA]


def test_user_type_may_be_a_string() -> None:
    assert parse_agents([{"id": 1, "userTypeId": "2"}])["user_type"].tolist() == [2]


def test_the_root_group_has_no_parent() -> None:
    table = parse_agent_groups([{"id": "1", "name": "Main"},
                                {"id": "2", "name": "T", "parentGroupId": "1"}])
    assert table["parent"].tolist() == [pd.NA, 1]


def test_members_engframe_does_not_use_are_ignored() -> None:
    table = parse_skills([{"id": 1, "name": "S", "skillRoutingConfiguration": [{"x": 1}]}])
    assert list(table.columns) == ["skill", "skill_name", "description", "deleted"]


def test_an_empty_answer_is_an_empty_table() -> None:
    table = parse_agents([])
    assert table.empty and str(table["agent"].dtype) == "Int64"


@pytest.mark.parametrize(("document", "path", "found"), [
    ({"skills": []}, "", "object"),
    ([{"id": 1}, "Sales"], "[1]", "string 'Sales'"),
    ([{"name": "Sales"}], "[0].id", "nothing"),
    ([{"id": None}], "[0].id", "null"),
    ([{"id": "abc"}], "[0].id", "string 'abc'"),
    ([{"id": "7.0"}], "[0].id", "string '7.0'"),
    ([{"id": " 7"}], "[0].id", "string ' 7'"),
    ([{"id": 1.5}], "[0].id", "number 1.5"),
    ([{"id": True}], "[0].id", "boolean True"),
    ([{"id": 2**63}], "[0].id", "integer 9223372036854775808"),
    ([{"id": 1, "name": 5}], "[0].name", "integer 5"),
    ([{"id": 1, "deleted": "yes"}], "[0].deleted", "string 'yes'"),
    ([{"id": 1}, {"id": "1"}], "[1].id", "1 again (first at [0])"),
])
def test_a_malformed_skills_answer_names_the_path(document: Any, path: str, found: str) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_skills(document, source=URL)
    assert caught.value.path == path
    assert found in caught.value.found
    assert str(caught.value).startswith(f"{URL}: {path or '(top level)'}: expected")


@pytest.mark.parametrize(("user", "path"), [
    ({"id": 1, "memberOf": "Tier 1"}, "[0].memberOf"),
    ({"id": 1, "memberOf": {"agentGroupId": "x"}}, "[0].memberOf.agentGroupId"),
    ({"id": 1, "isEnabled": 1}, "[0].isEnabled"),
    ({"id": 1, "userTypeId": "human"}, "[0].userTypeId"),
    ({"id": 1, "fullName": ["Dana"]}, "[0].fullName"),
])
def test_a_malformed_users_answer_names_the_path(user: dict[str, Any], path: str) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_agents([user])
    assert caught.value.path == path


def test_a_malformed_groups_answer_names_the_path() -> None:
    with pytest.raises(ResponseError) as caught:
        parse_agent_groups([{"id": "1"}, {"id": "2", "parentGroupId": "root"}])
    assert caught.value.path == "[1].parentGroupId"


def test_a_malformed_answer_is_an_engframe_value_error() -> None:
    with pytest.raises(ResponseError) as caught:
        parse_agent_groups("not an array")
    assert isinstance(caught.value, EngframeError) and isinstance(caught.value, ValueError)


ids = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(ident=ids, as_text=st.booleans())
def test_any_64_bit_id_reads_back_as_itself(ident: int, as_text: bool) -> None:
    table = parse_skills([{"id": str(ident) if as_text else ident}])
    assert table["skill"].tolist() == [ident]


@given(text=st.text(max_size=12).filter(lambda t: re.fullmatch(r"-?[0-9]+", t) is None))
def test_text_that_is_not_a_plain_decimal_integer_is_not_an_id(text: str) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_agents([{"id": text}])
    assert caught.value.path == "[0].id"


@given(flag=st.sampled_from(["true", "false", "True", "FALSE", True, False]))
def test_booleans_in_any_of_their_forms(flag: Any) -> None:
    expected = flag if isinstance(flag, bool) else flag.lower() == "true"
    assert parse_agent_groups([{"id": 1, "deleted": flag}])["deleted"].tolist() == [expected]


def test_agents_keep_the_skills_they_serve_as_text() -> None:
    table = parse_agents([{"id": "5", "skillIds": [12, "34"]}, {"id": "6", "skillIds": []},
                          {"id": "7"}])
    assert table["skill_ids"].tolist() == ["12,34", "", pd.NA]


def test_agents_skill_ids_must_be_an_array_of_ids() -> None:
    with pytest.raises(ResponseError, match=r"\[0\]\.skillIds: expected an array of ids"):
        parse_agents([{"id": "5", "skillIds": "12"}])
