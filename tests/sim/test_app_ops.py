"""The four Operational Realtime methods behind the simulated API: routes, POST, limits, faults."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from engframe import sim
from engframe.sim.app import Request, SimApp

from .conftest import NOW_MS
from .test_app import ACCOUNT, bearer, get

BASE = f"/operations/api/account/{ACCOUNT}"
JSON = {"content-type": "application/json"}


def post(app: SimApp, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    reply = app.handle(Request("POST", path, {**JSON, "authorization": f"Bearer {token}"}, body))
    return reply.status, reply.body


@pytest.mark.parametrize(("method", "query"), [
    ("queuehealth", "timeframe=60&v=1&skillIds=all&interval=30"),
    ("agentactivity", "timeframe=60&v=1&agentIds=all"),
    ("sla", "timeframe=60&v=1&histogram=0,30,60"),
    ("queuestate", "v=2"),
])
def test_each_method_answers_200_json(app: SimApp, method: str, query: str) -> None:
    status, body = get(app, f"{BASE}/{method}?{query}", bearer(app))
    assert status == 200 and isinstance(json.loads(body), dict)


def test_agentactivity_answers_a_post_of_string_parameters_as_the_get(app: SimApp) -> None:
    token = bearer(app)
    agents = ",".join(str(a) for a in app.center.agent_ids[:40])
    _, by_get = get(app, f"{BASE}/agentactivity?timeframe=120&v=1&interval=60&agentIds={agents}",
                    token)
    body = json.dumps({"timeframe": "120", "v": "1", "interval": "60", "agentIds": agents})
    status, by_post = post(app, f"{BASE}/agentactivity", body.encode(), token)
    assert status == 200 and by_post == by_get


def test_a_post_with_a_number_is_400_naming_the_parameter(app: SimApp) -> None:
    status, body = post(app, f"{BASE}/agentactivity",
                        b'{"timeframe":120,"v":"1","agentIds":"all"}', bearer(app))
    assert status == 400 and json.loads(body)["param"] == "timeframe"


def test_only_agentactivity_takes_a_post(app: SimApp) -> None:
    reply = app.handle(Request("POST", f"{BASE}/queuehealth", JSON, b"{}"))
    assert reply.status == 405 and dict(reply.headers)["Allow"] == "GET"
    reply = app.handle(Request("DELETE", f"{BASE}/agentactivity"))
    assert reply.status == 405 and dict(reply.headers)["Allow"] == "GET, POST"


def test_credentials_are_checked_before_parameters(app: SimApp) -> None:
    status, _ = get(app, f"{BASE}/agentactivity?timeframe=60&v=1")  # agentIds missing too
    assert status == 401


def test_a_missing_required_parameter_is_400_naming_it(app: SimApp) -> None:
    status, body = get(app, f"{BASE}/agentactivity?timeframe=60&v=1", bearer(app))
    assert status == 400 and json.loads(body)["param"] == "agentIds"
    status, body = get(app, f"{BASE}/sla?timeframe=60&v=1&interval=30", bearer(app))
    assert status == 400 and json.loads(body)["param"] == "interval"


def test_the_methods_share_engactivitys_rate_limit() -> None:
    app = SimApp.build(seed=1, now=NOW_MS, host="127.0.0.1:9", stop=threading.Event(),
                       rate_limit=(1, 60.0))
    token = bearer(app)
    assert get(app, f"{BASE}/queuestate?v=1", token)[0] == 200
    assert get(app, f"{BASE}/sla?timeframe=60&v=1", token)[0] == 429


def test_faults_can_be_scripted_per_method(app: SimApp) -> None:
    app.faults.script("status", status=503, endpoint="queuestate")
    token = bearer(app)
    assert get(app, f"{BASE}/queuestate?v=1", token)[0] == 503
    assert get(app, f"{BASE}/queuehealth?timeframe=60&v=1", token)[0] == 200
    assert get(app, f"{BASE}/queuestate?v=1", token)[0] == 200


def test_agentactivity_post_over_loopback(server: sim.SimServer, http: requests.Session,
                                          token: str) -> None:
    url = f"{server.base_url}{BASE}/agentactivity"
    params = {"timeframe": "60", "v": "1", "agentIds": "all"}
    auth = {"Authorization": f"Bearer {token}"}
    by_post = http.post(url, json=params, headers=auth, timeout=10)
    by_get = http.get(url, params=params, headers=auth, timeout=10)
    assert by_post.status_code == by_get.status_code == 200
    assert by_post.json() == by_get.json()
    assert [(r["method"], r["path"].rsplit("/", 1)[1]) for r in server.requests] == [
        ("POST", "agentactivity"), ("GET", "agentactivity")]
