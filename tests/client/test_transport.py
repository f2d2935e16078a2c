"""engframe.transport: the retry loop, timeouts, errors, the cache, and what it stores.

The retry tests talk to the simulator over real HTTP with its scripted faults; only the
waiting is faked (``clock.sleep`` records the pause and moves the fake clock on).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import requests_cache
from hypothesis import given
from hypothesis import strategies as st

from engframe import sim
from engframe.auth import BearerToken
from engframe.errors import APIError, AuthError, ConfigError, QueryError, RateLimitError
from engframe.http._transport import (
    FETCHED_AT_HEADER,
    LONG_WAIT,
    RetryPolicy,
    Signer,
    Transport,
    default_cache_path,
    make_session,
    redact_url,
    server_message,
)
from tests.clocks import FakeClock

from .conftest import closed_port

# -- the policy --------------------------------------------------------------------------


def test_5xx_pauses_follow_liveperson_s_policy_and_the_last_repeats() -> None:
    policy = RetryPolicy()
    assert [policy.pause_5xx(i) for i in range(5)] == [5.0, 10.0, 15.0, 15.0, 15.0]


def test_429_waits_start_at_a_second_and_double_up_to_the_cap() -> None:
    policy = RetryPolicy(jitter=0.0, max_wait_429=8.0)
    assert [policy.wait_429(i, retry_after=None, draw=0.9) for i in range(6)] == [
        1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_stretches_a_429_wait_by_at_most_its_fraction() -> None:
    policy = RetryPolicy(jitter=0.5)
    assert policy.wait_429(1, retry_after=None, draw=0.0) == 2.0
    assert policy.wait_429(1, retry_after=None, draw=0.999) == pytest.approx(2.999)


def test_retry_after_sets_the_wait_but_never_under_a_second() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert policy.wait_429(0, retry_after=7.0, draw=0.0) == 7.0
    assert policy.wait_429(0, retry_after=0.0, draw=0.0) == 1.0


@pytest.mark.parametrize("options", [{"retries_5xx": -1}, {"retries_429": 1.5},
                                     {"pauses_5xx": ()}, {"pauses_5xx": [5]},
                                     {"max_total": -1}, {"max_total": 0}, {"min_attempt": 0},
                                     {"jitter": "x"}])
def test_a_bad_policy_is_a_config_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="RetryPolicy"):
        RetryPolicy(**options)


# -- small helpers -----------------------------------------------------------------------


def test_secret_looking_parameters_are_masked_in_urls() -> None:
    url = "https://u:pw@h/p?timeframe=60&access_token=abc&oauth_signature=x&skillIds=1,2"
    assert redact_url(url) == (
        "https://h/p?timeframe=60&access_token=***&oauth_signature=***&skillIds=1,2")


def test_the_cache_lives_in_xdg_cache_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    path = default_cache_path(environ={"XDG_CACHE_HOME": "/x/cache"})
    assert path.as_posix() == "/x/cache/engframe/http_cache.sqlite"


def test_engframe_cache_dir_overrides_the_platform_default() -> None:
    path = default_cache_path(environ={"ENGFRAME_CACHE_DIR": "/y", "XDG_CACHE_HOME": "/x"})
    assert path.as_posix() == "/y/http_cache.sqlite"


def test_a_cache_directory_gets_the_cache_file_inside(tmp_path: Path) -> None:
    session = make_session(tmp_path)
    assert isinstance(session, requests_cache.CachedSession)
    session.get  # noqa: B018  (the backend opens lazily)
    assert Path(session.cache.db_path) == tmp_path / "http_cache.sqlite"  # type: ignore[attr-defined]
    session.close()


def test_cache_false_gives_a_plain_session() -> None:
    assert not isinstance(make_session(False), requests_cache.CacheMixin)


@pytest.mark.parametrize("cache", [5, None, ["a"]])
def test_an_unknown_cache_option_is_a_config_error(cache: object) -> None:
    with pytest.raises(ConfigError, match="cache is invalid"):
        make_session(cache)


def test_offline_without_a_cache_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="offline"):
        Transport(make_session(False), offline=True)


# -- the retry loop, over HTTP -----------------------------------------------------------


@pytest.fixture
def url(server: sim.SimServer) -> str:
    return (f"{server.base_url}/operations/api/account/{server.account}/engactivity"
            "?timeframe=60&v=1")


@pytest.fixture
def sign(server: sim.SimServer) -> Callable[[], requests.auth.AuthBase]:
    token = BearerToken(server.issue_token())
    calls: list[int] = []

    def signer() -> requests.auth.AuthBase:
        calls.append(1)
        return token.signer(now=0.0)

    signer.calls = calls  # type: ignore[attr-defined]
    return signer


@pytest.fixture
def transport(clock: FakeClock) -> Transport:
    return Transport(make_session(False), timeout=5.0, clock=clock, sleep=clock.sleep,
                     random=lambda: 0.0)


def engactivity_statuses(server: sim.SimServer) -> list[int]:
    return [r["status"] for r in server.requests if r["path"].endswith("/engactivity")]


def test_5xx_then_success_pauses_5_then_10_seconds(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    server.faults.script("status", status=503, count=2)
    response = transport.get(url, sign=sign)
    assert response.status_code == 200
    assert clock.sleeps == [5.0, 10.0]
    assert engactivity_statuses(server) == [503, 503, 200]


def test_each_retry_is_signed_again(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
) -> None:
    server.faults.script("status", status=500, count=2)
    transport.get(url, sign=sign)
    assert len(sign.calls) == 3  # type: ignore[attr-defined]


def test_5xx_after_three_retries_is_an_api_error_with_status_and_message(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    server.faults.script("status", status=503, count=4)
    with pytest.raises(APIError) as caught:
        transport.get(url, sign=sign)
    assert type(caught.value) is APIError
    assert caught.value.status == 503
    assert caught.value.server_message == "injected fault"
    assert caught.value.url == url
    assert "after 3 retries" in str(caught.value)
    assert clock.sleeps == [5.0, 10.0, 15.0]


def test_an_html_error_page_is_retried_and_reported_by_its_title(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
) -> None:
    server.faults.script("html", count=4)
    with pytest.raises(APIError) as caught:
        transport.get(url, sign=sign)
    assert caught.value.status == 502
    assert caught.value.server_message == "502 Bad Gateway"


def test_a_429_storm_that_ends_backs_off_from_one_second(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    server.faults.script("status", status=429, count=5)
    assert transport.get(url, sign=sign).status_code == 200
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_a_429_storm_that_does_not_end_is_a_rate_limit_error(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    server.faults.script("status", status=429, count=50)
    transport.retry = RetryPolicy(max_total=10_000)
    with pytest.raises(RateLimitError) as caught:
        transport.get(url, sign=sign)
    assert caught.value.status == 429
    assert len(clock.sleeps) == RetryPolicy().retries_429
    assert min(clock.sleeps) >= 1.0


def test_retry_after_is_honoured(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    server.faults.script("status", status=429, count=1, retry_after=7)
    transport.get(url, sign=sign)
    assert clock.sleeps == [7.0]


def test_no_retry_waits_past_the_total_budget(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    transport.retry = RetryPolicy(max_total=12.0)
    server.faults.script("status", status=503, count=3)
    with pytest.raises(APIError, match="12 s budget"):
        transport.get(url, sign=sign)
    assert clock.sleeps == [5.0]


def test_a_400_fails_at_once_as_a_query_error_with_the_server_s_message(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    clock: FakeClock,
) -> None:
    with pytest.raises(QueryError) as caught:
        transport.get(url.replace("timeframe=60", "timeframe=0"), sign=sign)
    assert caught.value.status == 400
    assert caught.value.server_message and "timeframe" in caught.value.server_message
    assert clock.sleeps == []


def test_a_401_fails_at_once_as_an_auth_error(
    server: sim.SimServer, transport: Transport, url: str, clock: FakeClock,
) -> None:
    with pytest.raises(AuthError) as caught:
        transport.get(url)
    assert caught.value.status == 401
    assert isinstance(caught.value, PermissionError)
    assert clock.sleeps == []


def test_a_refused_token_is_renewed_once(
    server: sim.SimServer, transport: Transport, url: str,
) -> None:
    tokens = iter(["not-a-token", server.issue_token()])
    current: list[str] = []

    def renew() -> bool:
        current.append(next(tokens))
        return True

    renew()
    response = transport.get(url, sign=lambda: BearerToken(current[-1]).signer(now=0.0),
                              renew=renew)
    assert response.status_code == 200
    assert engactivity_statuses(server) == [401, 200]


def test_a_refused_connection_is_retried_once_after_a_second(clock: FakeClock) -> None:
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError, match="connection refused") as caught:
        transport.get(f"http://127.0.0.1:{closed_port()}/x")
    assert caught.value.status is None
    assert clock.sleeps == [1.0]


def test_a_refused_connection_fails_within_seconds_on_the_real_clock() -> None:
    # issue 22: three 5-15 s pauses made a refused Domain API take 33 s to fail
    transport = Transport(make_session(False), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(APIError, match="connection refused"):
        transport.get(f"http://127.0.0.1:{closed_port()}/x")
    assert time.monotonic() - started < 10


def test_a_timeout_is_not_retried(
    server: sim.SimServer, url: str, sign: Signer, clock: FakeClock,
) -> None:
    server.faults.script("slow", delay=1.0, count=1)
    transport = Transport(make_session(False), timeout=0.2, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError, match=r"timed out after 0\.2 s$"):
        transport.get(url, sign=sign)
    assert clock.sleeps == []


# -- the cache ---------------------------------------------------------------------------


def bearer(token: str) -> Callable[[], requests.auth.AuthBase]:
    return lambda: BearerToken(token).signer(now=0.0)


@pytest.fixture
def cached(clock: FakeClock, cache_path: Path) -> Transport:
    return Transport(make_session(cache_path), clock=clock, sleep=clock.sleep)


def test_a_repeated_get_is_a_cache_hit_whatever_the_signature(
    server: sim.SimServer, cached: Transport, url: str,
) -> None:
    first = cached.get(url, sign=bearer(server.issue_token()))
    second = cached.get(url, sign=bearer(server.issue_token()))
    assert (first.from_cache, second.from_cache) == (False, True)  # type: ignore[attr-defined]
    assert engactivity_statuses(server) == [200]


def test_a_cache_hit_keeps_its_original_fetch_time(
    server: sim.SimServer, cached: Transport, url: str, clock: FakeClock,
) -> None:
    sign = bearer(server.issue_token())
    first = cached.get(url, sign=sign)
    clock.advance(30)
    second = cached.get(url, sign=sign)
    assert second.headers[FETCHED_AT_HEADER] == first.headers[FETCHED_AT_HEADER]


def test_refresh_asks_the_server_again(
    server: sim.SimServer, cached: Transport, url: str,
) -> None:
    sign = bearer(server.issue_token())
    cached.get(url, sign=sign)
    again = cached.get(url, sign=sign, refresh=True)
    assert again.from_cache is False  # type: ignore[attr-defined]
    assert engactivity_statuses(server) == [200, 200]


def test_offline_serves_what_is_cached_and_nothing_else(
    server: sim.SimServer, cached: Transport, url: str, clock: FakeClock, cache_path: Path,
) -> None:
    cached.get(url, sign=bearer(server.issue_token()))
    offline = Transport(make_session(cache_path, expire_after=0.001), offline=True,
                        clock=clock, sleep=clock.sleep)
    assert offline.get(url).from_cache is True  # type: ignore[attr-defined]
    with pytest.raises(APIError, match="offline: no cached answer"):
        offline.get(url.replace("timeframe=60", "timeframe=61"))
    assert engactivity_statuses(server) == [200]


def test_the_cache_stores_no_authorization_header(
    server: sim.SimServer, cached: Transport, url: str, cache_path: Path,
) -> None:
    token = server.issue_token()
    cached.get(url, sign=bearer(token))
    cached.session.close()
    assert token.encode() not in cache_path.read_bytes()


def test_server_message_prefers_the_json_message() -> None:
    response = requests.Response()
    response._content = b'{"error": "Bad Request", "message": "timeframe: expected 1..1440"}'
    assert server_message(response) == "timeframe: expected 1..1440"


# -- the budget: attempts' timeouts count ----------------------------------------------------


class TimingOutSession(requests.Session):
    """A session whose every attempt takes its whole timeout, then answers 503.

    The clock moves on by the attempt's timeout; ``timeouts`` records the timeout each
    attempt was given. (A 503, not a timeout: timeouts are not retried.)
    """

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.timeouts: list[float] = []

    def request(self, method: str | bytes, url: str | bytes,  # type: ignore[override]
                **options: Any) -> requests.Response:
        self.timeouts.append(options["timeout"])
        self.clock.advance(options["timeout"])
        answer = requests.Response()
        answer.status_code, answer.reason, answer._content = 503, "Service Unavailable", b""
        return answer


def timing_out(clock: FakeClock, **policy: Any) -> tuple[Transport, TimingOutSession]:
    session = TimingOutSession(clock)
    transport = Transport(session, timeout=30.0, retry=RetryPolicy(**policy), clock=clock,
                          sleep=clock.sleep)
    return transport, session


def test_attempts_that_time_out_never_pass_the_budget(clock: FakeClock) -> None:
    transport, session = timing_out(clock)
    start = clock.now
    with pytest.raises(APIError) as caught:
        transport.get("https://h.example/x")
    # 30 s + 5 + 30 + 10 + 30 = 105 s; one more (15 + 30) would end at 150 s.
    assert session.timeouts == [30.0, 30.0, 30.0]
    assert clock.sleeps == [5.0, 10.0]
    assert clock.now - start == 105.0
    assert caught.value.retries == 2
    assert "gave up after 2 retries: another attempt would pass the 120 s budget" in str(
        caught.value)


def test_the_last_attempt_s_timeout_is_cut_to_the_budget_left(clock: FakeClock) -> None:
    transport, session = timing_out(clock, max_total=100.0)
    start = clock.now
    with pytest.raises(APIError):
        transport.get("https://h.example/x")
    assert session.timeouts == [30.0, 30.0, 25.0]
    assert clock.now - start == 100.0


def test_no_retry_starts_with_less_than_min_attempt_left(clock: FakeClock) -> None:
    transport, session = timing_out(clock, max_total=75.5, min_attempt=1.0)
    with pytest.raises(APIError):
        transport.get("https://h.example/x")
    # After 65 s, a 10 s wait would leave 0.5 s: less than a second, so no wait either.
    assert session.timeouts == [30.0, 30.0]
    assert clock.sleeps == [5.0]


def test_a_budget_shorter_than_the_timeout_cuts_the_first_attempt(clock: FakeClock) -> None:
    transport, session = timing_out(clock, max_total=12.0)
    with pytest.raises(APIError):
        transport.get("https://h.example/x")
    assert session.timeouts == [12.0]
    assert clock.sleeps == []


@given(timeout=st.floats(0.5, 60), max_total=st.floats(1, 300), min_attempt=st.floats(0.1, 5),
       pauses=st.lists(st.floats(0, 20), min_size=1, max_size=3))
def test_a_request_never_takes_longer_than_its_budget(
    timeout: float, max_total: float, min_attempt: float, pauses: list[float],
) -> None:
    clock = FakeClock()
    session = TimingOutSession(clock)
    transport = Transport(session, timeout=timeout, clock=clock, sleep=clock.sleep,
                          retry=RetryPolicy(max_total=max_total, min_attempt=min_attempt,
                                            pauses_5xx=tuple(pauses)))
    start = clock.now
    with pytest.raises(APIError) as caught:
        transport.get("https://h.example/x")
    assert clock.now - start <= max_total + 1e-6
    assert all(t >= min(timeout, min_attempt) - 1e-9 for t in session.timeouts[1:])
    assert caught.value.retries == len(session.timeouts) - 1 == len(clock.sleeps)


# -- how many retries were made ------------------------------------------------------------


def test_giving_up_before_any_retry_says_none_was_made(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
) -> None:
    transport.retry = RetryPolicy(max_total=3.0)
    server.faults.script("status", status=503, count=1)
    with pytest.raises(APIError) as caught:
        transport.get(url, sign=sign)
    assert caught.value.retries == 0
    assert "gave up without retrying" in str(caught.value)
    assert "after 1 retr" not in str(caught.value)


def test_the_count_of_retries_is_the_retries_made(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer, clock: FakeClock,
) -> None:
    # 429 waits 1, 2, 4, 8, 16, 30: 61 s; a seventh (30 s) would pass the 80 s budget.
    transport.retry = RetryPolicy(max_total=80.0)
    server.faults.script("status", status=429, count=20)
    with pytest.raises(RateLimitError) as caught:
        transport.get(url, sign=sign)
    assert len(clock.sleeps) == 6
    assert caught.value.retries == 6
    assert "gave up after 6 retries" in str(caught.value)
    assert len(engactivity_statuses(server)) == 7


def test_retries_spent_are_counted_in_the_message(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer, clock: FakeClock,
) -> None:
    server.faults.script("status", status=500, count=4)
    with pytest.raises(APIError) as caught:
        transport.get(url, sign=sign)
    assert len(clock.sleeps) == caught.value.retries == 3


# -- every retry and wait is logged ----------------------------------------------------------


def transport_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "engframe.transport"]


def test_each_retry_is_logged_with_what_failed_the_attempt_and_the_wait(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="engframe.transport")
    server.faults.script("status", status=429, count=2)
    transport.get(url, sign=sign)
    host = url.split("/")[2]
    assert [r.getMessage() for r in transport_records(caplog)] == [
        f"HTTP 429 Too Many Requests from {host} (attempt 1): retry 1 of 8 in 1 s",
        f"HTTP 429 Too Many Requests from {host} (attempt 2): retry 2 of 8 in 2 s",
    ]


def test_short_waits_are_logged_at_info(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="engframe.transport")
    server.faults.script("status", status=429, count=1)
    transport.get(url, sign=sign)
    assert [r.levelno for r in transport_records(caplog)] == [logging.INFO]


def test_a_wait_longer_than_long_wait_is_a_warning(
    server: sim.SimServer, transport: Transport, url: str, sign: Signer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="engframe.transport")
    server.faults.script("status", status=503, count=1)
    transport.get(url, sign=sign)
    (record,) = transport_records(caplog)
    assert RetryPolicy().pause_5xx(0) > LONG_WAIT
    assert record.levelno == logging.WARNING
    assert "HTTP 503" in record.getMessage() and "in 5 s" in record.getMessage()


def test_connection_retries_are_logged_with_the_host(
    clock: FakeClock, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="engframe.transport")
    port = closed_port()
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError):
        transport.get(f"http://127.0.0.1:{port}/x")
    messages = [r.getMessage() for r in transport_records(caplog)]
    assert messages == [f"cannot connect to 127.0.0.1:{port}: connection refused "
                        "(attempt 1): retry 1 of 1 in 1 s"]


def test_a_refused_token_s_retry_is_logged(
    server: sim.SimServer, transport: Transport, url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="engframe.transport")
    tokens = iter(["not-a-token", server.issue_token()])
    current = [next(tokens)]
    transport.get(url, sign=lambda: BearerToken(current[-1]).signer(now=0.0),
                  renew=lambda: bool(current.append(next(tokens))) or True)
    (record,) = transport_records(caplog)
    assert "HTTP 401" in record.getMessage() and "new token" in record.getMessage()


# -- connection failures: one short line -------------------------------------------------


def test_a_refused_connection_is_one_line_naming_the_host(clock: FakeClock) -> None:
    port = closed_port()
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get(f"http://127.0.0.1:{port}/x?timeframe=60")
    assert str(caught.value) == (f"cannot connect to 127.0.0.1:{port}: connection refused; "
                                 "gave up after 1 retry")
    assert (caught.value.host, caught.value.reason) == (f"127.0.0.1:{port}", "connection refused")


def test_the_library_s_full_text_is_kept_in_detail(clock: FakeClock) -> None:
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get(f"http://127.0.0.1:{closed_port()}/x")
    assert caught.value.detail is not None and "Connection refused" in caught.value.detail
    assert "HTTPConnectionPool" not in str(caught.value)


def test_a_name_that_does_not_exist_fails_at_once(
    clock: FakeClock, no_such_host: Callable[[int], None],
) -> None:
    no_such_host(socket.EAI_NONAME)
    transport = Transport(make_session(False), clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get("https://nonexistent.invalid/x")
    assert str(caught.value) == "cannot connect to nonexistent.invalid: name not resolved"
    assert clock.sleeps == []


def test_a_name_lookup_that_fails_for_now_is_retried(
    clock: FakeClock, no_such_host: Callable[[int], None],
) -> None:
    no_such_host(socket.EAI_AGAIN)
    transport = Transport(make_session(False), clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError, match="name not resolved; gave up after 3 retries"):
        transport.get("https://nonexistent.invalid/x")
    assert clock.sleeps == [5.0, 10.0, 15.0]


def test_a_late_answer_says_how_long_it_was_waited_for(
    server: sim.SimServer, url: str, sign: Signer, clock: FakeClock,
) -> None:
    server.faults.script("slow", delay=1.0, count=4)
    transport = Transport(make_session(False), timeout=0.2, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get(url, sign=sign)
    host = url.split("/")[2]
    assert str(caught.value) == f"no answer from {host}: timed out after 0.2 s"


def test_a_connection_failure_names_the_role_of_the_host(clock: FakeClock) -> None:
    port = closed_port()
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep,
                          retry=RetryPolicy(retries_refused=0))
    with pytest.raises(APIError) as caught:
        transport.get(f"http://127.0.0.1:{port}/x", service="sentinel",
                      role="the token server 'sentinel', named by the Domain API")
    assert str(caught.value) == (f"cannot connect to 127.0.0.1:{port} (the token server "
                                 "'sentinel', named by the Domain API): connection refused")
    assert caught.value.service == "sentinel"


def test_a_connection_failure_keeps_no_chained_exception(clock: FakeClock) -> None:
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get(f"http://127.0.0.1:{closed_port()}/x")
    assert caught.value.__context__ is None and caught.value.__cause__ is None


# -- bytes headers (requests-oauthlib) with the cache ------------------------------------


class BytesHeaderAuth(requests.auth.AuthBase):
    """Sets its header, then re-encodes every header as bytes, as requests-oauthlib does."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        for name, value in list(request.headers.items()):
            request.headers[name] = value.encode() if isinstance(value, str) else value
        return request


def test_an_auth_that_sets_bytes_headers_works_with_a_forced_refresh(
    server: sim.SimServer, cached: Transport, url: str,
) -> None:
    token = server.issue_token()
    cached.get(url, sign=lambda: BytesHeaderAuth(token))
    again = cached.get(url, sign=lambda: BytesHeaderAuth(token), refresh=True)
    assert again.status_code == 200 and again.from_cache is False  # type: ignore[attr-defined]


@pytest.fixture
def hangs_up() -> Iterator[str]:
    """A URL on loopback whose server reads each request and closes without answering."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/x"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_connection_closed_without_an_answer_is_retried_and_named(
    hangs_up: str, clock: FakeClock,
) -> None:
    transport = Transport(make_session(False), timeout=5.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError) as caught:
        transport.get(hangs_up)
    host = hangs_up.split("/")[2]
    assert str(caught.value) == (f"lost the connection to {host}: closed by the server "
                                 "without an answer; gave up after 3 retries")
