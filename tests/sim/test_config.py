"""The simulated Account Configuration API: skills, users and agentGroups lists."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests

from engframe import sim
from engframe.sim.app import Request, SimApp
from engframe.sim.config import DEFAULT_USER_FIELDS

from .conftest import NOW_MS

ACCOUNT = "56072331"
BASE = f"/api/account/{ACCOUNT}/configuration/le-users"
SKILLS = f"{BASE}/skills?v=2.0&include_deleted=true"
USERS = f"{BASE}/users?v=4.0&include_deleted=true"
GROUPS = f"{BASE}/agentGroups?v=2.0&include_deleted=true"


@pytest.fixture
def bearer(app: SimApp) -> str:
    creds = app.auth.credentials
    answer = app.auth.issue_token(account=ACCOUNT, client_id=creds.client_id,
                                  client_secret=creds.client_secret)
    return str(answer["access_token"])


def call(app: SimApp, target: str, token: str | None, **headers: str) -> tuple[int, Any, dict]:
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    if token:
        sent["authorization"] = f"Bearer {token}"
    reply = app.handle(Request("GET", target, sent))
    body = json.loads(reply.body) if reply.body else None
    return reply.status, body, dict(reply.headers)


def test_domain_api_names_the_account_configuration_service(app: SimApp) -> None:
    reply = app.handle(Request(
        "GET", f"/api/account/{ACCOUNT}/service/accountConfigReadOnly/baseURI.json?version=1.0"))
    assert reply.status == 200
    assert json.loads(reply.body)["baseURI"] == "127.0.0.1:9"


@pytest.mark.parametrize("target", [SKILLS, USERS, GROUPS])
def test_each_list_answers_a_json_array_with_an_etag(app: SimApp, bearer: str, target: str) -> None:
    status, body, headers = call(app, target, bearer)
    assert status == 200
    assert isinstance(body, list) and body and all(isinstance(item, dict) for item in body)
    assert headers["ETag"].startswith('"')


def test_skills_carry_id_name_description_deleted(app: SimApp, bearer: str) -> None:
    _, body, _ = call(app, SKILLS, bearer)
    assert {"id", "name", "description", "deleted"} <= set(body[0])
    names = {str(item["name"]) for item in body}
    assert {s.name for s in app.directory.skills} == names


def test_users_without_select_answer_only_the_documented_four_fields(
    app: SimApp, bearer: str
) -> None:
    _, body, _ = call(app, USERS, bearer)
    assert all(sorted(item) == sorted(DEFAULT_USER_FIELDS) for item in body)


def test_users_select_picks_the_fields(app: SimApp, bearer: str) -> None:
    _, body, _ = call(app, USERS + "&select=id,fullName,memberOf,userTypeId", bearer)
    agent = body[0]
    assert set(agent) == {"id", "fullName", "memberOf", "userTypeId"}
    assert set(agent["memberOf"]) == {"agentGroupId", "assignmentDate"}


def test_select_all_answers_every_field(app: SimApp, bearer: str) -> None:
    _, body, _ = call(app, USERS + "&select=$all", bearer)
    assert {"id", "loginName", "fullName", "nickname", "skillIds", "memberOf",
            "isEnabled", "deleted"} <= set(body[0])


@pytest.mark.parametrize(("target", "entries"), [
    (SKILLS, "skills"), (USERS, "users"), (GROUPS, "groups"),
])
def test_deleted_items_come_only_with_include_deleted(
    app: SimApp, bearer: str, target: str, entries: str
) -> None:
    every = getattr(app.directory, entries)
    _, with_deleted, _ = call(app, target, bearer)
    _, without, _ = call(app, target.replace("include_deleted=true", "include_deleted=false"),
                         bearer)
    _, default, _ = call(app, target.replace("&include_deleted=true", ""), bearer)
    assert len(with_deleted) == len(every)
    assert len(without) == len(default) == sum(not e.deleted for e in every)


def test_user_and_group_ids_are_written_as_strings(app: SimApp, bearer: str) -> None:
    _, users, _ = call(app, USERS + "&select=id,memberOf", bearer)
    _, groups, _ = call(app, GROUPS, bearer)
    assert all(isinstance(u["id"], str) for u in users)
    assert all(isinstance(u["memberOf"]["agentGroupId"], str) for u in users if "memberOf" in u)
    assert all(isinstance(g["id"], str) for g in groups)


def test_some_items_write_booleans_and_skill_ids_as_strings(app: SimApp, bearer: str) -> None:
    _, skills, _ = call(app, SKILLS, bearer)
    _, users, _ = call(app, USERS, bearer)
    assert {type(s["id"]) for s in skills} == {int, str}
    assert {type(s["deleted"]) for s in skills} == {bool, str}
    assert {type(u["deleted"]) for u in users} == {bool, str}
    assert {s["deleted"] for s in skills if isinstance(s["deleted"], str)} <= {"true", "false"}


def test_the_root_group_has_no_parent(app: SimApp, bearer: str) -> None:
    _, groups, _ = call(app, GROUPS, bearer)
    roots = [g for g in groups if "parentGroupId" not in g]
    assert [g["name"] for g in roots] == ["Main Group"]


def test_the_system_user_has_no_names_and_no_group(app: SimApp, bearer: str) -> None:
    _, users, _ = call(app, USERS + "&select=$all", bearer)
    system = [u for u in users if u["userTypeId"] == 0]
    assert len(system) == 1
    assert "fullName" not in system[0] and "memberOf" not in system[0]


@pytest.mark.parametrize("header", ["if_none_match", "if_match"])
def test_a_matching_etag_gets_304_without_a_body(app: SimApp, bearer: str, header: str) -> None:
    _, _, headers = call(app, SKILLS, bearer)
    status, body, again = call(app, SKILLS, bearer, **{header: headers["ETag"]})
    assert status == 304 and body is None
    assert again["ETag"] == headers["ETag"]


def test_an_old_etag_gets_the_full_answer(app: SimApp, bearer: str) -> None:
    status, body, _ = call(app, SKILLS, bearer, if_none_match='"0000000000000000"')
    assert status == 200 and body


def test_the_etag_differs_between_answers(app: SimApp, bearer: str) -> None:
    _, _, all_fields = call(app, USERS + "&select=$all", bearer)
    _, _, default = call(app, USERS, bearer)
    assert all_fields["ETag"] != default["ETag"]


@pytest.mark.parametrize("target", [SKILLS, USERS, GROUPS])
def test_no_credentials_get_401(app: SimApp, target: str) -> None:
    status, body, headers = call(app, target, None)
    assert status == 401 and body["status"] == 401
    assert "WWW-Authenticate" in headers


def test_another_account_gets_403(app: SimApp, bearer: str) -> None:
    status, _, _ = call(app, SKILLS.replace(ACCOUNT, "12345678"), bearer)
    assert status == 403


@pytest.mark.parametrize(("query", "param"), [
    ("", "v"), ("?v=two", "v"), ("?v=2.0&include_deleted=maybe", "include_deleted"),
    ("?v=2.0&select=id;name", "select"),
])
def test_bad_parameters_get_400_naming_them(
    app: SimApp, bearer: str, query: str, param: str
) -> None:
    status, body, _ = call(app, f"{BASE}/skills{query}", bearer)
    assert status == 400 and body["param"] == param


@pytest.mark.parametrize("endpoint", ["skills", "users", "agentGroups"])
def test_faults_can_be_scripted_for_each_list(app: SimApp, bearer: str, endpoint: str) -> None:
    app.faults.script("status", status=503, endpoint=endpoint)
    target = {"skills": SKILLS, "users": USERS, "agentGroups": GROUPS}[endpoint]
    assert call(app, target, bearer)[0] == 503
    assert call(app, target, bearer)[0] == 200


def test_the_lists_are_the_same_bytes_for_the_same_seed() -> None:
    bodies = []
    for _ in range(2):
        app = SimApp.build(seed=1, now=NOW_MS, host="127.0.0.1:9", stop=threading.Event())
        creds = app.auth.credentials
        token = app.auth.issue_token(account=ACCOUNT, client_id=creds.client_id,
                                     client_secret=creds.client_secret)["access_token"]
        bodies.append(app.handle(Request("GET", USERS + "&select=$all",
                                         {"authorization": f"Bearer {token}"})).body)
    assert bodies[0] == bodies[1]


def test_the_server_answers_the_lists_over_http(
    server: sim.SimServer, http: requests.Session, token: str
) -> None:
    response = http.get(server.base_url + USERS + "&select=id,fullName",
                        headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code == 200
    names = {u["fullName"] for u in response.json() if "fullName" in u}
    assert {u.full_name for u in server.directory.users if u.full_name} == names
    revalidated = http.get(response.url, timeout=5, headers={
        "Authorization": f"Bearer {token}", "If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304
