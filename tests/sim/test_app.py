"""The simulated API without sockets: routes, the Domain API, the token endpoint, engactivity."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from engframe.sim.app import Request, SimApp
from engframe.sim.model import Center
from engframe.sim.query import EngQuery
from engframe.sim.render import build_response, encode

from .conftest import NOW_MS

ACCOUNT = "56072331"
ENG = f"/operations/api/account/{ACCOUNT}/engactivity"
TOKEN = f"/sentinel/api/account/{ACCOUNT}/app/token?v=1.0"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def get(app: SimApp, target: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    reply = app.handle(Request("GET", target, headers))
    return reply.status, reply.body


def bearer(app: SimApp) -> str:
    creds = app.auth.credentials
    body = (
        "grant_type=client_credentials"
        f"&client_id={creds.client_id}&client_secret={creds.client_secret}"
    )
    reply = app.handle(Request("POST", TOKEN, FORM, body.encode()))
    return str(json.loads(reply.body)["access_token"])


def test_domain_api_answers_its_own_host_for_each_service(app: SimApp) -> None:
    for service in ("leDataReporting", "sentinel"):
        status, body = get(
            app, f"/api/account/{ACCOUNT}/service/{service}/baseURI.json?version=1.0"
        )
        assert status == 200
        assert json.loads(body) == {
            "service": service,
            "account": ACCOUNT,
            "baseURI": "127.0.0.1:9",
        }


def test_domain_api_lists_all_services(app: SimApp) -> None:
    status, body = get(app, f"/api/account/{ACCOUNT}/service/baseURI.json?version=1.0")
    assert status == 200
    assert [entry["service"] for entry in json.loads(body)["baseURIs"]] == [
        "leDataReporting",
        "sentinel",
        "accountConfigReadOnly",
    ]


def test_domain_api_service_names_are_case_sensitive(app: SimApp) -> None:
    status, body = get(app, f"/api/account/{ACCOUNT}/service/ledatareporting/baseURI.json")
    assert status == 404
    assert "leDataReporting" in json.loads(body)["message"]


def test_unknown_path_is_404_json(app: SimApp) -> None:
    status, body = get(app, "/operations/api/account/1/nosuchmethod")
    assert status == 404 and json.loads(body)["status"] == 404


def test_wrong_method_is_405_naming_the_right_one(app: SimApp) -> None:
    reply = app.handle(Request("POST", ENG))
    assert reply.status == 405 and ("Allow", "GET") in reply.headers


def test_token_endpoint_issues_a_bearer_token(app: SimApp) -> None:
    status, _ = get(app, f"{ENG}?timeframe=60&v=1", bearer(app))
    assert status == 200


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("client_id=a&client_secret=b", 400, "invalid_request"),
        ("grant_type=password&client_id=a&client_secret=b", 400, "unsupported_grant_type"),
        ("grant_type=client_credentials&client_id=a&client_secret=b", 401, "invalid_client"),
    ],
)
def test_token_endpoint_errors_are_oauth2_style(
    app: SimApp, body: str, status: int, error: str
) -> None:
    reply = app.handle(Request("POST", TOKEN, FORM, body.encode()))
    assert reply.status == status
    assert json.loads(reply.body)["error"] == error


def test_engactivity_without_credentials_is_401_with_www_authenticate(app: SimApp) -> None:
    reply = app.handle(Request("GET", f"{ENG}?timeframe=60&v=1"))
    assert reply.status == 401
    assert any(name == "WWW-Authenticate" for name, _ in reply.headers)


def test_engactivity_for_another_account_is_403(app: SimApp) -> None:
    status, _ = get(
        app, "/operations/api/account/12345678/engactivity?timeframe=60&v=1", bearer(app)
    )
    assert status == 403


def test_auth_is_checked_before_parameters(app: SimApp) -> None:
    status, _ = get(app, f"{ENG}?timeframe=abc")
    assert status == 401


def test_bad_parameter_is_400_with_a_json_body_naming_it(app: SimApp) -> None:
    status, body = get(app, f"{ENG}?timeframe=60&v=1&interval=31", bearer(app))
    assert status == 400
    error = json.loads(body)
    assert error["param"] == "interval" and "31" in error["message"] and error["status"] == 400


def test_engactivity_body_is_the_rendered_response(app: SimApp) -> None:
    status, body = get(app, f"{ENG}?timeframe=60&v=1&interval=30&skillIds=all", bearer(app))
    expected = build_response(
        Center(seed=1), EngQuery(timeframe=60, interval=30, skill_ids="all"), now_ms=NOW_MS
    )
    assert status == 200 and body == encode(expected)


def test_scripted_status_fault_answers_first_then_normal_service(app: SimApp) -> None:
    token = bearer(app)
    app.faults.script("status", status=429, count=2, retry_after=1)
    replies = [
        app.handle(Request("GET", f"{ENG}?timeframe=60&v=1", {"authorization": f"Bearer {token}"}))
        for _ in range(3)
    ]
    assert [r.status for r in replies] == [429, 429, 200]
    assert ("Retry-After", "1") in replies[0].headers


def test_truncate_fault_cuts_the_json_body_in_half_keeping_200(app: SimApp) -> None:
    token = bearer(app)
    _, whole = get(app, f"{ENG}?timeframe=60&v=1", token)
    app.faults.script("truncate")
    status, cut = get(app, f"{ENG}?timeframe=60&v=1", token)
    assert status == 200 and cut == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


def test_html_fault_is_a_non_json_page(app: SimApp) -> None:
    app.faults.script("html", status=504)
    reply = app.handle(Request("GET", f"{ENG}?timeframe=60&v=1"))
    assert reply.status == 504 and reply.content_type.startswith("text/html")
    assert reply.body.startswith(b"<!DOCTYPE html>")


def test_token_endpoint_faults_can_be_scripted(app: SimApp) -> None:
    app.faults.script("status", status=503, endpoint="token")
    reply = app.handle(Request("POST", TOKEN, FORM, b"grant_type=client_credentials"))
    assert reply.status == 503


def test_slow_fault_is_cut_short_when_the_server_stops() -> None:
    stop = threading.Event()
    app = SimApp.build(seed=1, now=NOW_MS, host="127.0.0.1:9", stop=stop)
    app.faults.script("slow", delay=60)
    stop.set()
    assert app.handle(Request("GET", f"{ENG}?timeframe=60&v=1")).status == 401


def test_requests_are_recorded_without_secrets(app: SimApp) -> None:
    get(app, f"{ENG}?timeframe=60&v=1&client_secret=hunter2")
    record = app.requests[-1]
    assert record == {
        "method": "GET",
        "path": ENG,
        "status": 401,
        "query": {"timeframe": "60", "v": "1", "client_secret": "<redacted>"},
    }
    assert "hunter2" not in repr(app.requests)


def test_token_request_record_holds_no_secret(app: SimApp) -> None:
    bearer(app)
    assert app.auth.credentials.client_secret not in repr(app.requests)
