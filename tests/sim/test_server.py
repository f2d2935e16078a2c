"""The simulator over real HTTP on 127.0.0.1: clients, limits, faults, determinism, clean stop."""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests_oauthlib import OAuth1

from engframe import sim
from engframe.errors import SimConfigError

from .conftest import NOW_MS

TIMEOUT = 10
SPEC_0807 = 1_395_821_220_000  # 2014-03-26 08:07 UTC


def test_base_url_is_loopback_on_the_bound_port(server: sim.SimServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0


def test_discovery_then_token_then_engactivity(
    server: sim.SimServer, http: requests.Session
) -> None:
    domain = http.get(
        f"{server.base_url}/api/account/{server.account}/service/leDataReporting/baseURI.json",
        params={"version": "1.0"},
        timeout=TIMEOUT,
    ).json()
    sentinel = http.get(
        f"{server.base_url}/api/account/{server.account}/service/sentinel/baseURI.json",
        params={"version": "1.0"},
        timeout=TIMEOUT,
    ).json()
    token = http.post(
        f"http://{sentinel['baseURI']}/sentinel/api/account/{server.account}/app/token",
        params={"v": "1.0"},
        timeout=TIMEOUT,
        data={
            "grant_type": "client_credentials",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
        },
    ).json()["access_token"]
    answer = http.get(
        f"http://{domain['baseURI']}/operations/api/account/{server.account}/engactivity",
        params={"timeframe": 60, "v": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert set(answer.json()) == {"metricsTotals"}


def test_oauth1_signed_requests_are_served(
    server: sim.SimServer, http: requests.Session, engactivity_url: str
) -> None:
    auth = OAuth1(*server.oauth1, signature_method="HMAC-SHA1")
    answers = [
        http.get(
            engactivity_url,
            params={"timeframe": 60, "v": 1, "agentIds": "all"},
            auth=auth,
            timeout=TIMEOUT,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]  # each request is signed anew


def test_spec_0807_example_interval_timestamps_over_http(http: requests.Session) -> None:
    with sim.serve(seed=1, now=SPEC_0807) as server:
        answer = http.get(
            f"{server.base_url}/operations/api/account/{server.account}/engactivity",
            params={"timeframe": 20, "interval": 10, "v": 1},
            headers={"Authorization": f"Bearer {server.issue_token()}"},
            timeout=TIMEOUT,
        ).json()
    minute = 60_000
    assert [e["timestamp"] for e in answer["metricsByIntervals"]] == [
        SPEC_0807 + 3 * minute,
        SPEC_0807 - 7 * minute,
        SPEC_0807 - 17 * minute,
    ]


def test_same_seed_and_clock_give_identical_bytes_across_servers(http: requests.Session) -> None:
    params = {"timeframe": 1440, "interval": 5, "skillIds": "all", "agentIds": "all", "v": 1}
    bodies = []
    for _ in range(2):
        with sim.serve(seed=1, now=NOW_MS) as server:
            bodies.append(
                http.get(
                    f"{server.base_url}/operations/api/account/{server.account}/engactivity",
                    params=params,
                    headers={"Authorization": f"Bearer {server.issue_token()}"},
                    timeout=TIMEOUT,
                ).content
            )
    assert bodies[0] == bodies[1] and len(bodies[0]) > 100_000


def test_full_day_all_skills_all_agents_answers_every_bucket(
    server: sim.SimServer, http: requests.Session, engactivity_url: str, token: str
) -> None:
    params = {"timeframe": 1440, "interval": 5, "skillIds": "all", "agentIds": "all", "v": 1}
    headers = {"Authorization": f"Bearer {token}"}
    answer = http.get(engactivity_url, params=params, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert len(answer.json()["metricsByIntervals"]) == 289


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"v": 1}, 400),
        ({"timeframe": 1441, "v": 1}, 400),
        ({"timeframe": 60}, 400),
        ({"timeframe": 60, "v": 1, "interval": 7}, 400),
        ({"timeframe": 60, "v": 1, "skillIds": "a,b"}, 400),
    ],
)
def test_bad_parameters_are_400_json(
    http: requests.Session, engactivity_url: str, token: str, params: dict[str, object], status: int
) -> None:
    answer = http.get(
        engactivity_url,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == status
    assert answer.json()["status"] == status


def test_no_or_bad_credentials_are_401(http: requests.Session, engactivity_url: str) -> None:
    assert (
        http.get(engactivity_url, params={"timeframe": 60, "v": 1}, timeout=TIMEOUT).status_code
        == 401
    )
    bad = http.get(
        engactivity_url,
        params={"timeframe": 60, "v": 1},
        timeout=TIMEOUT,
        headers={"Authorization": "Bearer forged"},
    )
    assert bad.status_code == 401


def test_another_account_is_403(server: sim.SimServer, http: requests.Session, token: str) -> None:
    answer = http.get(
        f"{server.base_url}/operations/api/account/11111111/engactivity",
        params={"timeframe": 60, "v": 1},
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403


def test_token_expires_when_the_clock_moves(
    http: requests.Session, no_leaked_threads: None
) -> None:
    clock = sim.ManualClock(NOW_MS)
    with sim.serve(seed=1, now=clock, token_ttl=60) as server:
        url = f"{server.base_url}/operations/api/account/{server.account}/engactivity"
        headers = {"Authorization": f"Bearer {server.issue_token()}"}
        fresh = http.get(url, params={"timeframe": 60, "v": 1}, headers=headers, timeout=TIMEOUT)
        clock.advance(60_000)
        stale = http.get(url, params={"timeframe": 60, "v": 1}, headers=headers, timeout=TIMEOUT)
    assert (fresh.status_code, stale.status_code) == (200, 401)
    assert "expired" in stale.json()["message"]


def test_scripted_429s_then_success(
    server: sim.SimServer, http: requests.Session, engactivity_url: str, token: str
) -> None:
    server.faults.script("status", status=429, count=3)
    statuses = [
        http.get(
            engactivity_url,
            params={"timeframe": 60, "v": 1},
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [429, 429, 429, 200]
    assert [r["status"] for r in server.requests] == statuses


def test_truncated_body_is_status_200_and_not_json(
    server: sim.SimServer, http: requests.Session, engactivity_url: str, token: str
) -> None:
    server.faults.script("truncate")
    answer = http.get(
        engactivity_url,
        params={"timeframe": 60, "v": 1},
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)


def test_html_error_page(
    server: sim.SimServer, http: requests.Session, engactivity_url: str
) -> None:
    server.faults.script("html")
    answer = http.get(engactivity_url, params={"timeframe": 60, "v": 1}, timeout=TIMEOUT)
    assert answer.status_code == 502 and answer.headers["Content-Type"].startswith("text/html")


def test_slow_answer_takes_at_least_its_delay(
    server: sim.SimServer, http: requests.Session, engactivity_url: str, token: str
) -> None:
    server.faults.script("slow", delay=0.3)
    started = time.perf_counter()
    answer = http.get(
        engactivity_url,
        params={"timeframe": 60, "v": 1},
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200 and time.perf_counter() - started >= 0.3


def test_too_many_requests_in_flight_get_429(no_leaked_threads: None) -> None:
    with sim.serve(seed=1, now=NOW_MS, max_in_flight=1) as server:
        url = f"{server.base_url}/operations/api/account/{server.account}/engactivity"
        headers = {"Authorization": f"Bearer {server.issue_token()}"}
        server.faults.script("slow", delay=1.0)

        def fetch() -> int:
            return requests.get(
                url, params={"timeframe": 60, "v": 1}, headers=headers, timeout=TIMEOUT
            ).status_code

        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(fetch)
            while server.faults.pending() != 0:  # the slow request holds the only place
                time.sleep(0.01)
            quick = pool.submit(fetch)
            assert quick.result() == 429
            assert slow.result() == 200


def test_rate_limit_gives_429(http: requests.Session, no_leaked_threads: None) -> None:
    with sim.serve(seed=1, now=NOW_MS, rate_limit=(2, 60.0)) as server:
        url = f"{server.base_url}/operations/api/account/{server.account}/engactivity"
        headers = {"Authorization": f"Bearer {server.issue_token()}"}
        statuses = [
            http.get(
                url, params={"timeframe": 60, "v": 1}, headers=headers, timeout=TIMEOUT
            ).status_code
            for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


def test_seeded_faults_repeat_across_runs(http: requests.Session, no_leaked_threads: None) -> None:
    runs = []
    for _ in range(2):
        plan = sim.FaultPlan(seed=4, p_429=0.3, p_5xx=0.2)
        with sim.serve(seed=1, now=NOW_MS, faults=plan) as server:
            url = f"{server.base_url}/operations/api/account/{server.account}/engactivity"
            headers = {"Authorization": f"Bearer {server.issue_token()}"}
            runs.append(
                [
                    http.get(
                        url, params={"timeframe": 60, "v": 1}, headers=headers, timeout=TIMEOUT
                    ).status_code
                    for _ in range(12)
                ]
            )
    assert runs[0] == runs[1]
    assert {429, 503, 200} <= set(runs[0])


def test_close_frees_the_port_and_leaves_no_threads(no_leaked_threads: None) -> None:
    server = sim.serve(now=NOW_MS)
    port = server.port
    requests.get(f"{server.base_url}/nowhere", timeout=TIMEOUT)
    server.close()
    with socket.create_server(("127.0.0.1", port)):
        pass
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/nowhere", timeout=TIMEOUT)


def test_open_keep_alive_connection_does_not_hold_up_close(no_leaked_threads: None) -> None:
    session = requests.Session()
    server = sim.serve(now=NOW_MS)
    session.get(f"{server.base_url}/nowhere", timeout=TIMEOUT)  # connection stays open
    started = time.perf_counter()
    server.close()
    session.close()
    assert time.perf_counter() - started < 15.0  # not the keep-alive timeout: it did not wait


def test_close_cuts_a_slow_answer_short(no_leaked_threads: None) -> None:
    server = sim.serve(now=NOW_MS)
    server.faults.script("slow", delay=30)
    url = f"{server.base_url}/operations/api/account/{server.account}/engactivity"
    worker = threading.Thread(target=lambda: requests.get(url, timeout=TIMEOUT))
    worker.start()
    while server.faults.pending():
        time.sleep(0.01)
    started = time.perf_counter()
    server.close()
    worker.join(TIMEOUT)
    # well short of the 30 s delay (a generous bound: this proves the cut, not a speed)
    assert time.perf_counter() - started < 15.0 and not worker.is_alive()


def test_close_twice_is_harmless_and_start_after_close_is_refused() -> None:
    server = sim.serve(now=NOW_MS)
    server.close()
    server.close()
    with pytest.raises(SimConfigError, match="start"):
        server.start()


def test_a_taken_port_is_an_os_error() -> None:
    with sim.serve(now=NOW_MS) as server, pytest.raises(OSError):
        sim.serve(port=server.port)


@pytest.mark.parametrize(
    ("options", "named"), [({"port": 70_000}, "port"), ({"account": "abc"}, "account")]
)
def test_bad_server_options_are_refused(options: dict[str, object], named: str) -> None:
    with pytest.raises(SimConfigError, match=named):
        sim.serve(**options)  # type: ignore[arg-type]


def test_log_gets_one_line_per_request_without_secrets(no_leaked_threads: None) -> None:
    log = io.StringIO()
    with sim.serve(now=NOW_MS, log=log) as server:
        requests.post(
            f"{server.base_url}/sentinel/api/account/{server.account}/app/token",
            params={"v": "1.0", "client_secret": "hunter2"},
            timeout=TIMEOUT,
            data={
                "grant_type": "client_credentials",
                "client_id": server.client_id,
                "client_secret": server.client_secret,
            },
        )
    assert log.getvalue().count("\n") == 1
    assert "hunter2" not in log.getvalue() and server.client_secret not in log.getvalue()
    assert "<redacted>" in log.getvalue()


def test_repr_names_url_and_state_but_no_secret() -> None:
    with sim.serve(now=NOW_MS) as server:
        text = repr(server)
    assert server.base_url in text and "running" in text
    assert server.client_secret not in text


def _hang_up_after_sending(server: sim.SimServer, path: str) -> None:
    """Send a request, then reset the connection (RST) before the answer comes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as client:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_client_hanging_up_is_logged_as_one_line_not_a_traceback(
    no_leaked_threads: None,
) -> None:
    log = io.StringIO()
    with sim.serve(now=NOW_MS, log=log) as server:
        server.faults.script("slow", delay=0.3, endpoint="domain")
        _hang_up_after_sending(
            server, f"/api/account/{server.account}/service/sentinel/baseURI.json?version=1.0")
        deadline = time.monotonic() + TIMEOUT
        while "disconnected" not in log.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
    text = log.getvalue()
    assert "Traceback" not in text and "Error" in text
    line = next(line for line in text.splitlines() if "disconnected" in line)
    assert line.startswith("client 127.0.0.1:")


def test_a_fault_inside_the_simulator_is_logged_with_its_traceback(no_leaked_threads: None,
                                                                   monkeypatch) -> None:
    log = io.StringIO()
    with sim.serve(now=NOW_MS, log=log) as server:
        def broken(request: object) -> None:
            raise RuntimeError("a bug in the simulator")

        monkeypatch.setattr(server._app, "handle", broken)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.base_url}/anything", timeout=TIMEOUT)
    assert "Traceback" in log.getvalue() and "a bug in the simulator" in log.getvalue()
