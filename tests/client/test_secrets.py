"""Credentials never reach a log record or the local variables a traceback prints.

Two leaks are tested for, each with every auth method against the simulator:

- log records: with the root logger at DEBUG and every library's logger propagating,
  oauthlib and requests-oauthlib print OAuth 1.0 keys and tokens while they sign; every
  record a fetch causes is checked, its formatted message and its arguments;
- tracebacks: ``traceback.TracebackException.from_exception(error, capture_locals=True)``
  prints the repr of every local of every frame, of the error and of each exception it
  chains to; every failure engframe raises is formatted that way and checked.

The secrets looked for are every credential the simulator accepts and every token it
issued to the client (recorded by :class:`RecordingCredentials`).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests_oauthlib import OAuth1  # type: ignore[import-untyped]

from engframe import sim
from engframe.auth import Auth, BearerToken, OAuth1Keys, OAuth2ClientCredentials, TokenPost
from engframe.client import Client
from engframe.errors import AuthError, EngframeError

from .conftest import closed_port

MakeClient = Callable[..., Client]
METHODS = ("bearer", "oauth2", "oauth1")
#: The loggers that see engframe's requests; all propagate to the root in these tests.
LIBRARIES = ("oauthlib", "requests_oauthlib", "urllib3", "requests_cache", "requests",
             "engframe")


class RecordingCredentials(OAuth2ClientCredentials):
    """OAuth 2.0 client credentials that remember every token the token server issued."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__(client_id, client_secret)
        self.issued: list[str] = []

    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        def recording(url: str, body: str) -> str:
            assert post is not None
            answer = post(url, body)
            self.issued.append(json.loads(answer)["access_token"])
            return answer

        return super().signer(now=now, token_url=token_url,
                              post=None if post is None else recording)


def make_auth(server: sim.SimServer, method: str) -> Auth:
    if method == "bearer":
        return BearerToken(server.issue_token())
    if method == "oauth2":
        return RecordingCredentials(server.client_id, server.client_secret)
    return OAuth1Keys(*server.oauth1)


def secrets_of(server: sim.SimServer, auth: Auth) -> list[str]:
    found = [server.client_id, server.client_secret, *server.oauth1]
    if isinstance(auth, BearerToken):
        found.append(str(auth._token))
    if isinstance(auth, RecordingCredentials):
        found += auth.issued
    return found


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


# -- log records ---------------------------------------------------------------------------


@pytest.fixture
def debug_everywhere(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The root logger at DEBUG, every library's logger propagating to it at any level."""
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        assert logger.propagate
        logger.setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    return caplog


def record_texts(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name}: {r.getMessage()} | msg={r.msg!r} | args={r.args!r}"
                     for r in records)


@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
@pytest.mark.parametrize("method", METHODS)
def test_no_log_record_of_a_fetch_holds_a_secret(
    make_client: MakeClient, server: sim.SimServer, debug_everywhere: pytest.LogCaptureFixture,
    method: str, cache: bool,
) -> None:
    auth = make_auth(server, method)
    client = make_client(auth=auth, **({} if cache else {"cache": False}))
    server.faults.script("status", status=503, count=1)  # engframe logs the retry
    client.frame(timeframe=60, skills="all")
    client.frame(timeframe=60, skills="all")
    client.frame(timeframe=60, skills="all", refresh=True)
    records = debug_everywhere.records
    sources = {r.name.partition(".")[0] for r in records}
    assert {"urllib3", "engframe"} <= sources  # DEBUG really reached the root
    assert leaked(record_texts(records), secrets_of(server, auth)) == []


def test_oauth_libraries_log_nothing_while_engframe_signs(
    make_client: MakeClient, server: sim.SimServer, debug_everywhere: pytest.LogCaptureFixture,
) -> None:
    make_client(auth=OAuth1Keys(*server.oauth1), cache=False).frame(timeframe=60)
    names = {r.name.partition(".")[0] for r in debug_everywhere.records}
    assert not names & {"oauthlib", "requests_oauthlib"}


def test_oauth_libraries_log_as_usual_outside_engframe(
    debug_everywhere: pytest.LogCaptureFixture,
) -> None:
    # Code of the caller's own that signs with requests-oauthlib keeps its DEBUG records.
    signer = OAuth1("key", client_secret="secret", resource_owner_key="token",
                    resource_owner_secret="token-secret")
    signer(requests.Request("GET", "https://h.example/p").prepare())
    names = {r.name.partition(".")[0] for r in debug_everywhere.records}
    assert {"oauthlib", "requests_oauthlib"} <= names


class QueryToken(requests.auth.AuthBase):
    """A caller's own auth that sends the token in the query string, too."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        request.url = f"{request.url}&access_token={self.token}"
        return request


def test_a_token_in_a_query_string_is_masked_in_urllib3_s_records(
    make_client: MakeClient, server: sim.SimServer, debug_everywhere: pytest.LogCaptureFixture,
) -> None:
    token = server.issue_token()
    make_client(auth=QueryToken(token), cache=False).frame(timeframe=60)
    texts = record_texts([r for r in debug_everywhere.records if r.name.startswith("urllib3")])
    assert "access_token=***" in texts
    assert token not in texts


# -- tracebacks with capture_locals ----------------------------------------------------------


def failure_of(call: Callable[[], object]) -> EngframeError:
    """The error ``call`` raises, caught in a frame that holds no secret of its own."""
    try:
        call()
    except EngframeError as error:
        return error
    raise AssertionError("no error was raised")


def fetch(client: Client) -> Callable[[], object]:
    return lambda: client.frame(timeframe=60)


def traceback_text(error: BaseException) -> str:
    """The error's traceback with every frame's locals, and each chained exception's."""
    texts: list[str] = []
    todo: list[BaseException | None] = [error]
    seen: list[BaseException] = []
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        shown = traceback.TracebackException.from_exception(current, capture_locals=True)
        texts.append("".join(shown.format()))
        todo += [current.__cause__, current.__context__]
    return "\n".join(texts)


def script(server: sim.SimServer, endpoint: str, status: int, count: int) -> None:
    server.faults.script("status", status=status, count=count, endpoint=endpoint)


#: Failures any auth method can meet: (what to do to the client options / server, kind).
FAILURES: dict[str, Callable[[sim.SimServer], dict[str, Any]]] = {
    "connection refused": lambda server: {"domain": f"127.0.0.1:{closed_port()}"},
    "API 500": lambda server: script(server, "engactivity", 500, 4) or {},
    "API 401": lambda server: script(server, "engactivity", 401, 2) or {},
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("method", METHODS)
def test_no_traceback_of_a_failed_fetch_shows_a_secret(
    make_client: MakeClient, server: sim.SimServer, method: str, failure: str,
) -> None:
    auth = make_auth(server, method)
    error = failure_of(fetch(make_client(auth=auth, **FAILURES[failure](server))))
    assert leaked(traceback_text(error), secrets_of(server, auth)) == []


@pytest.mark.parametrize("status", [401, 500])
def test_no_traceback_of_a_failed_token_request_shows_a_secret(
    make_client: MakeClient, server: sim.SimServer, status: int,
) -> None:
    script(server, "token", status, 4)
    auth = make_auth(server, "oauth2")
    error = failure_of(fetch(make_client(auth=auth)))
    assert isinstance(error, AuthError if status == 401 else EngframeError)
    assert leaked(traceback_text(error), secrets_of(server, auth)) == []


def test_the_traceback_shows_locals_so_the_check_is_not_vacuous(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    auth = make_auth(server, "oauth2")
    script(server, "engactivity", 500, 4)
    text = traceback_text(failure_of(fetch(make_client(auth=auth))))
    assert "<hidden>" in text  # a credential's repr, among the printed locals
    assert "OAuth2ClientCredentials(client_id=<hidden>" in text


def test_no_traceback_shows_the_environment(
    server: sim.SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Credentials in the environment, and a client option that fails after reading them.
    monkeypatch.setenv("LP_CLIENT_ID", server.client_id)
    monkeypatch.setenv("LP_CLIENT_SECRET", server.client_secret)
    error = failure_of(lambda: Client("56072331", cache=False, timeout=0))
    assert leaked(traceback_text(error), [server.client_id, server.client_secret]) == []


def test_no_traceback_of_missing_credentials_shows_the_environment(
    server: sim.SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LP_CLIENT_ID", server.client_id)  # the secret is missing
    monkeypatch.setenv("UNRELATED_SECRET", server.client_secret)
    error = failure_of(lambda: Client("56072331", cache=False))
    assert isinstance(error, AuthError)
    assert leaked(traceback_text(error), [server.client_id, server.client_secret]) == []
