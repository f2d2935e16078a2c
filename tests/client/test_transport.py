"""engframe.transport: the retry loop, timeouts, errors, the cache, and what it stores.

The retry tests talk to the simulator over real HTTP with its scripted faults; only the
waiting is faked (``clock.sleep`` records the pause and moves the fake clock on).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import requests_cache

from engframe import sim
from engframe.auth import BearerToken
from engframe.errors import APIError, AuthError, ConfigError, QueryError, RateLimitError
from engframe.transport import (
    FETCHED_AT_HEADER,
    RetryPolicy,
    Signer,
    Transport,
    default_cache_path,
    make_session,
    redact_url,
    server_message,
)

from .conftest import FakeClock

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
                                     {"max_total": -1}, {"jitter": "x"}])
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


def test_connection_errors_are_retried_then_reported(clock: FakeClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = Transport(make_session(False), timeout=1.0, clock=clock, sleep=clock.sleep)
    with pytest.raises(APIError, match="could not reach") as caught:
        transport.get(f"http://127.0.0.1:{port}/x")
    assert caught.value.status is None
    assert clock.sleeps == [5.0, 10.0, 15.0]


def test_a_timeout_is_retried(
    server: sim.SimServer, url: str, sign: Signer, clock: FakeClock,
) -> None:
    server.faults.script("slow", delay=1.0, count=1)
    transport = Transport(make_session(False), timeout=0.2, clock=clock, sleep=clock.sleep)
    assert transport.get(url, sign=sign).status_code == 200
    assert clock.sleeps == [5.0]


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
