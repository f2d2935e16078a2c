"""Hostile and broken servers: no credential in clear text or to a stranger, no poison kept,
no request without end (issue 18).

Every server here is a fake on loopback (:mod:`tests.hostile.servers`): a Domain API that
names hosts it should not, a token server that redirects to another loopback address
(``127.0.0.2``, "another host"), a **recording proxy** that every plain-HTTP request goes
through (so a test sees what would have left the machine, and to where), servers that drip
their answer a byte at a time, answer gigabytes, or answer JSON nested thousands of levels
deep. Nothing reaches the outside network. No test asserts a speed: bounds on time only
prove that a call ends, and are generous.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from engframe import sim
from engframe.auth import ENV_BEARER_TOKEN, resolve_auth
from engframe.client import Client
from engframe.errors import (
    APIError,
    AuthError,
    ConfigError,
    EngframeWarning,
    OutputError,
    ResponseError,
    SourceError,
)
from engframe.names._endpoints import ENDPOINTS
from engframe.transport import RetryPolicy, Transport, make_session
from tests.clocks import FakeClock
from tests.hostile.servers import Answer, Dripping, Scripted, Seen, wait_until

ACCOUNT = "56072331"
CLIENT_ID, CLIENT_SECRET = "the-client", "s3cr3t-client-secret"
TOKEN = "t0ken-issued-by-the-fake"
#: Nested far past what any decoder recurses through.
DEEP = b"[" * 100_000 + b"]" * 100_000


def domain_answer(host: str) -> Callable[[Seen], Answer]:
    """A Domain API that names ``host`` for every service."""
    def answer(request: Seen) -> Answer:
        service = request.path.split("/service/")[1].split("/")[0]
        return Answer(body=json.dumps({"service": service, "account": ACCOUNT,
                                       "baseURI": host}).encode())
    return answer


def world(domain_host: str) -> Callable[[Seen], Answer]:
    """Every service on one fake: Domain API lookups name ``domain_host``; tokens; data."""
    lookup = domain_answer(domain_host)

    def answer(request: Seen) -> Answer:
        if "/baseURI.json" in request.path:
            return lookup(request)
        if request.path.endswith("/app/token"):
            return Answer(body=json.dumps({"access_token": TOKEN, "expires_in": 3600}).encode())
        return Answer(body=b'{"metricsTotals": {"totalInteractiveChats": 1}}')
    return answer


def proxied(proxy: Scripted) -> requests.Session:
    """A session whose plain-HTTP requests all go through ``proxy``, to whatever host."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": proxy.url}
    return session


def leaks(seen: list[Seen], *secrets: str) -> list[str]:
    """The hosts that got a request holding one of ``secrets`` (header or body)."""
    return [request.host for request in seen
            if any(secret in json.dumps(request.headers) or secret.encode() in request.body
                   for secret in secrets)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- 1. clear text: a Domain API naming a URL, or a host reached over plain http -------------


@pytest.mark.parametrize("named", ["http://evil.example", "evil.example",
                                   "evil.example:8080", "user:pw@evil.example",
                                   "evil.example/steal"])
def test_no_credential_goes_where_a_hostile_domain_api_points(named: str) -> None:
    with Scripted(world(named)) as proxy:
        client = Client(ACCOUNT, auth=(CLIENT_ID, CLIENT_SECRET), csds_url=proxy.url,
                        session=proxied(proxy), environ={})
        with pytest.raises(ResponseError, match="baseURI") as caught:
            client.fetch(timeframe=60)
    assert leaks(proxy.seen, CLIENT_SECRET, TOKEN) == []
    assert {request.host for request in proxy.seen} == {proxy.host}  # lookups only
    assert "/baseURI.json" in str(caught.value.source)


def test_a_signed_request_is_never_sent_over_plain_http_to_another_host(clock: FakeClock) -> None:
    with Scripted(world("x")) as proxy:
        transport = Transport(proxied(proxy), clock=clock, sleep=clock.sleep)
        with pytest.raises(ConfigError, match="in clear text"):
            transport.get("http://evil.example/data",
                          sign=lambda: resolve_auth(TOKEN).signer(now=0.0))
        with pytest.raises(ConfigError, match="in clear text"):
            transport.post_form("http://evil.example/token", f"client_secret={CLIENT_SECRET}")
    assert proxy.seen == []


def test_an_unsigned_request_may_use_plain_http(clock: FakeClock) -> None:
    with Scripted(world("x")) as proxy:
        transport = Transport(proxied(proxy), clock=clock, sleep=clock.sleep)
        transport.get("http://csds.example/api/account/1/service/sentinel/baseURI.json")
    assert [request.host for request in proxy.seen] == ["csds.example"]


def test_a_plain_http_domain_api_elsewhere_than_loopback_is_refused_at_once() -> None:
    with pytest.raises(ConfigError, match="csds_url"):
        Client(ACCOUNT, auth=TOKEN, csds_url="http://api.liveperson.net", cache=False,
               environ={})


# -- 2. redirects: a token request never follows one; credentials never go to another host --


def redirecting_to(target: Scripted, status: int = 307) -> Callable[[Seen], Answer]:
    def answer(request: Seen) -> Answer:
        return Answer(status=status, body=b"",
                      headers=(("Location", f"{target.url}/steal"),))
    return answer


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_token_request_redirected_to_another_host_is_an_error_naming_both(status: int) -> None:
    with (Scripted(world("x"), address="127.0.0.2") as stranger,
          Scripted(redirecting_to(stranger, status)) as token_server):
        client = Client(ACCOUNT, auth=(CLIENT_ID, CLIENT_SECRET), cache=False, environ={},
                        domain={"sentinel": token_server.url, "leDataReporting": stranger.url})
        with pytest.raises(APIError) as caught:
            client.fetch(timeframe=60)
    assert stranger.seen == []
    assert token_server.host in str(caught.value) and stranger.host in str(caught.value)
    assert caught.value.status == status and CLIENT_SECRET not in str(caught.value)


def test_a_data_request_redirected_to_another_host_loses_its_credentials() -> None:
    with (Scripted(world("x"), address="127.0.0.2") as stranger,
          Scripted(redirecting_to(stranger, 302)) as data_host):
        client = Client(ACCOUNT, auth=TOKEN, cache=False, environ={}, domain=data_host.url)
        client.fetch(timeframe=60)
    (followed,) = stranger.seen
    assert "Authorization" not in followed.headers
    assert leaks(stranger.seen, TOKEN) == []
    assert data_host.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


# -- 3. tokens holding control characters or characters outside latin-1 -------------------


BAD_TOKENS = ["abc\ndef", "abc\r\nX-Evil: 1", "abc\x00def", "abc\x7fdef", "tok\u20acen",
              "abc\tdef"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_bearer_token_variable_holding_a_control_character_is_refused_by_name(
    token: str,
) -> None:
    with pytest.raises(AuthError) as caught:
        Client(ACCOUNT, environ={ENV_BEARER_TOKEN: token}, cache=False, domain="h.example")
    message = str(caught.value)
    assert ENV_BEARER_TOKEN in message and "\n" not in message
    assert token.strip() not in message and "abc" not in message


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_bearer_token_argument_holding_a_control_character_is_a_config_error(
    token: str,
) -> None:
    with pytest.raises(ConfigError, match=r"^token is invalid") as caught:
        resolve_auth(token)
    assert "abc" not in str(caught.value)


@given(head=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1),
       bad=st.one_of(st.characters(max_codepoint=0x1f), st.characters(min_codepoint=0x7f,
                                                                       max_codepoint=0x9f),
                     st.characters(min_codepoint=0x100)),
       tail=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1))
def test_no_token_with_a_bad_character_is_accepted_or_shown(head: str, bad: str,
                                                            tail: str) -> None:
    token = head + bad + tail
    with pytest.raises(AuthError) as caught:
        resolve_auth(None, environ={ENV_BEARER_TOKEN: token})
    assert ENV_BEARER_TOKEN in str(caught.value) and token not in str(caught.value)


@pytest.mark.parametrize("token", [t for t in BAD_TOKENS if t != "abc\tdef"] + ["", 5])
def test_a_token_answer_holding_a_bad_token_is_an_auth_error_naming_the_server(
    token: object,
) -> None:
    def answer(request: Seen) -> Answer:
        return Answer(body=json.dumps({"access_token": token, "expires_in": 60}).encode())

    with Scripted(answer) as token_server:
        client = Client(ACCOUNT, auth=(CLIENT_ID, CLIENT_SECRET), cache=False, environ={},
                        domain={"sentinel": token_server.url,
                                "leDataReporting": token_server.url})
        with pytest.raises(AuthError) as caught:
            client.fetch(timeframe=60)
    message = str(caught.value)
    assert token_server.host in message and "no usable token" in message
    assert (not isinstance(token, str) or not token) or token not in message
    assert [request.method for request in token_server.seen] == ["POST"]  # no data request


# -- 4. the budget is wall-clock: a dripping server cannot stretch a call ---------------------

#: Generous: the budget is 2 s; only a call that does not end at the budget passes this.
ENDS_WITHIN = 15.0
DRIP_BODY = b"x" * 400  # at 0.05 s a byte: 20 s, far past ENDS_WITHIN


@pytest.mark.parametrize("drip_head", [False, True], ids=["body", "headers"])
def test_a_dripping_server_costs_the_budget_not_its_pace(drip_head: bool) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    if drip_head:
        head += b"X-Slow: " + b"y" * 400 + b"\r\n"
    head += f"Content-Length: {len(DRIP_BODY)}\r\n\r\n".encode()
    transport = Transport(make_session(False), timeout=5.0, retry=RetryPolicy(max_total=2.0))
    with Dripping(head=head, body=DRIP_BODY, pause=0.05, drip_head=drip_head) as server:
        started = time.monotonic()
        with pytest.raises(APIError) as caught:
            transport.get(server.url)
        took = time.monotonic() - started
    assert took < ENDS_WITHIN
    assert str(caught.value) == (f"no complete answer from {server.url.split('/')[2]}: the "
                                 "2 s budget (max_total) ran out")


@pytest.mark.parametrize("drip_head", [False, True], ids=["body", "headers"])
def test_a_dripping_server_leaves_no_worker_behind(drip_head: bool) -> None:
    """Once the budget ran out the attempt's worker ends too, whether the server drips its
    body (its socket is shut) or its headers (the connection it was handed is shut): it
    used to live on for as long as the server kept dripping (at a byte per 0.05 s, this
    server's 400-byte header and body take 20 s each; 5 s of socket timeout never
    passes)."""
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 400 + b"\r\n"
    head += f"Content-Length: {len(DRIP_BODY)}\r\n\r\n".encode()
    transport = Transport(make_session(False), timeout=5.0, retry=RetryPolicy(max_total=1.0))

    def workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "engframe-attempt"]

    before = set(workers())  # any other test's, if one lingers
    with Dripping(head=head, body=DRIP_BODY, pause=0.05, drip_head=drip_head) as server:
        with pytest.raises(APIError, match="budget"):
            transport.get(server.url)
        assert wait_until(lambda: not set(workers()) - before, seconds=3.0), workers()


def test_a_dripping_token_server_cannot_hang_a_client() -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(DRIP_BODY)}\r\n\r\n".encode()
    with Dripping(head=head, body=DRIP_BODY, pause=0.05) as server:
        host = server.url.removesuffix("/x")
        client = Client(ACCOUNT, auth=(CLIENT_ID, CLIENT_SECRET), cache=False, environ={},
                        domain={"sentinel": host, "leDataReporting": host},
                        retry=RetryPolicy(max_total=2.0))
        started = time.monotonic()
        with pytest.raises(APIError, match="budget"):
            client.fetch(timeframe=60)
    assert time.monotonic() - started < ENDS_WITHIN


def test_a_whole_answer_within_the_budget_is_read() -> None:
    body = json.dumps({"metricsTotals": {"m": 1}}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    transport = Transport(make_session(False), retry=RetryPolicy(max_total=30.0))
    with Dripping(head=head, body=body, pause=0.01, step=8) as server:
        assert transport.get(server.url).content == body


# -- 5. answers read against a limit on decoded bytes -------------------------------------------

LIMIT = 4 << 20


def _inflating_to(mib: int) -> bytes:
    """A gzip body (concatenated members) that inflates to ``mib`` MiB of JSON blanks."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    member = b"".join([packer.compress(b" " * (1 << 20)) for _ in range(16)]) + packer.flush()
    return gzip.compress(b'{"a": 1}') + member * (mib // 16)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _inflating_to(256)  # 256 MiB from about 250 KB


def peak_bytes_of(call: Callable[[], object]) -> tuple[int, BaseException | None]:
    """The peak of Python's allocations while ``call`` runs, and what it raised."""
    tracemalloc.start()
    try:
        call()
    except Exception as error:
        raised: BaseException | None = error
    else:
        raised = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, raised


def test_a_gzip_bomb_is_refused_near_the_limit_in_memory(bomb: bytes) -> None:
    assert len(bomb) < 1 << 20
    headers = (("Content-Encoding", "gzip"), ("Content-Type", "application/json"))
    with Scripted(lambda request: Answer(body=bomb, headers=headers)) as server:
        transport = Transport(make_session(False), max_bytes=LIMIT)
        peak, raised = peak_bytes_of(lambda: transport.get(server.url + "/x"))
    assert isinstance(raised, ResponseError), raised
    assert f"at most {LIMIT:,} bytes" in str(raised) and server.url in str(raised.source)
    assert peak < 3 * LIMIT


def test_a_chunked_answer_past_the_limit_is_refused_near_the_limit_in_memory() -> None:
    piece = b" " * (1 << 20)
    body = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for _ in range(64))
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    with Dripping(head=head, body=body + b"0\r\n\r\n", pause=0.0, step=1 << 20) as server:
        transport = Transport(make_session(False), max_bytes=LIMIT)
        peak, raised = peak_bytes_of(lambda: transport.get(server.url))
    assert isinstance(raised, ResponseError) and "an answer that is larger" in str(raised)
    assert peak < 3 * LIMIT


def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {2**40}\r\n\r\n".encode()
    with Dripping(head=head, body=b"x" * 10, pause=0.05) as server:
        transport = Transport(make_session(False), max_bytes=LIMIT)
        with pytest.raises(ResponseError, match=f"an answer of {2**40:,} bytes"):
            transport.get(server.url)


def test_an_error_page_of_gigabytes_is_cut_to_its_start(clock: FakeClock) -> None:
    page = b"<html><title>Bad Gateway</title>" + b" " * (8 << 20)
    with Scripted(lambda request: Answer(502, page, (("Content-Type", "text/html"),))) as server:
        transport = Transport(make_session(False), max_bytes=LIMIT, clock=clock,
                              sleep=clock.sleep, retry=RetryPolicy(retries_5xx=0))
        with pytest.raises(APIError, match="Bad Gateway"):
            transport.get(server.url + "/x")


@pytest.mark.parametrize("max_bytes", [0, -1, 2**70, 1.5, True])
def test_a_max_bytes_out_of_range_is_a_config_error(max_bytes: object) -> None:
    with pytest.raises(ConfigError, match="max_bytes"):
        Transport(make_session(False), max_bytes=max_bytes)  # type: ignore[arg-type]


# -- 6. poison: an answer that fails to parse or validate is never cached -----------------------


class Flaky:
    """Answers ``bad`` to the first ``count`` requests to a path ending in ``path``."""

    def __init__(self, fallback: Callable[[Seen], Answer], path: str, bad: bytes,
                 count: int = 1) -> None:
        self.fallback, self.path, self.bad, self.count = fallback, path, bad, count
        self.lock = threading.Lock()

    def __call__(self, request: Seen) -> Answer:
        with self.lock:
            if request.path.endswith(self.path) and self.count:
                self.count -= 1
                return Answer(body=self.bad)
        return self.fallback(request)


@pytest.fixture
def sim_server(clock: FakeClock) -> Iterator[sim.SimServer]:
    with sim.serve(seed=1, now=clock.ms) as running:
        yield running


def sim_client(server: sim.SimServer, clock: FakeClock, cache: Path, **options: Any) -> Client:
    settings: dict[str, Any] = {"auth": (server.client_id, server.client_secret),
                                "csds_url": server.base_url, "cache": cache, "clock": clock,
                                "sleep": clock.sleep, "environ": {}}
    return Client(server.account, **{**settings, **options})


def forwarding(server: sim.SimServer) -> Callable[[Seen], Answer]:
    """Answers as the simulator does (a fake in front of it, for one endpoint's faults)."""
    def answer(request: Seen) -> Answer:
        got = requests.request(request.method, server.base_url + request.target,
                               headers={k: v for k, v in request.headers.items()
                                        if k.lower() in ("authorization", "content-type")},
                               data=request.body, timeout=10)
        return Answer(got.status_code, got.content)
    return answer


@pytest.mark.parametrize("bad", [DEEP, b"[1, 2", b'{"not": "an array"}'],
                         ids=["deep", "cut", "object"])
def test_a_bad_configuration_answer_is_an_error_and_never_cached(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path, bad: bytes,
) -> None:
    flaky = Flaky(forwarding(sim_server), "/users", bad)
    with Scripted(flaky) as config:
        client = sim_client(sim_server, clock, tmp_path / "cache",
                            domain={"accountConfigReadOnly": config.url})
        with pytest.raises(ResponseError):
            client.agents()
        assert len(client.agents())  # the server recovered: asked again, not served poison
    assert sum(request.path.endswith("/users") for request in config.seen) == 2


def test_a_deeply_nested_domain_api_answer_is_an_error_and_never_cached(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    flaky = Flaky(forwarding(sim_server), "/leDataReporting/baseURI.json", DEEP)
    with Scripted(flaky) as csds:
        client = sim_client(sim_server, clock, tmp_path / "cache", csds_url=csds.url)
        with pytest.raises(ResponseError, match="nested"):
            client.fetch(timeframe=60)
        assert client.fetch(timeframe=60)["response"]


def test_a_deeply_nested_token_answer_is_an_auth_error(tmp_path: Path) -> None:
    with Scripted(lambda request: Answer(body=DEEP)) as token_server:
        client = Client(ACCOUNT, auth=(CLIENT_ID, CLIENT_SECRET), cache=tmp_path / "c",
                        environ={}, domain={"sentinel": token_server.url,
                                            "leDataReporting": token_server.url})
        with pytest.raises(AuthError, match=r"no usable token \(JSON nested too deeply"):
            client.fetch(timeframe=60)


@pytest.mark.parametrize("bad", [DEEP[:-1], b'{"metricsTotals": {"m": 1}', b"[]"],
                         ids=["deep", "cut", "array"])
def test_a_bad_data_answer_is_an_error_and_never_cached(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path, bad: bytes,
) -> None:
    flaky = Flaky(forwarding(sim_server), "/engactivity", bad)
    with Scripted(flaky) as data_host:
        client = sim_client(sim_server, clock, tmp_path / "cache", domain=data_host.url)
        with pytest.raises(ResponseError):
            client.fetch(timeframe=60)
        assert client.fetch(timeframe=60)["response"]
    assert sum(request.path.endswith("/engactivity") for request in data_host.seen) == 2


def test_a_poisoned_answer_an_older_engframe_cached_is_dropped_and_fetched_again(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    flaky = Flaky(forwarding(sim_server), "/users", DEEP)
    with Scripted(flaky) as config:
        client = sim_client(sim_server, clock, tmp_path / "cache",
                            domain={"accountConfigReadOnly": config.url})
        url = config.url + ENDPOINTS["agents"].target(sim_server.account)
        session = client._transport.session
        # an engframe without the check stored the poison (the session's own GET)
        assert session.get(url).content == DEEP
        assert session.get(url).from_cache  # type: ignore[attr-defined]
        assert len(client.agents())
    assert sum(request.path.endswith("/users") for request in config.seen) == 2


# -- 6b. the HTTP cache's own file ------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_cache_file_is_set_aside_with_a_warning_and_rebuilt(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path, damage: str,
) -> None:
    cache = tmp_path / "http_cache.sqlite"
    sim_client(sim_server, clock, cache).fetch(timeframe=60)
    if damage == "garbage":
        cache.write_bytes(b"this is not a database" * 1000)
    else:
        data = cache.read_bytes()
        cache.write_bytes(data[:len(data) // 2])
    with pytest.warns(EngframeWarning, match="the HTTP cache is damaged") as warned:
        client = sim_client(sim_server, clock, cache)
    assert str(cache) in str(warned[0].message)
    assert client.fetch(timeframe=60)["response"]
    assert len(list(tmp_path.glob("http_cache.sqlite.damaged-*"))) == 1


def test_a_cache_file_damaged_while_in_use_is_a_source_error_naming_it(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    cache = tmp_path / "http_cache.sqlite"
    client = sim_client(sim_server, clock, cache)
    client.fetch(timeframe=60)
    cache.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(SourceError, match="the HTTP cache is damaged") as caught:
        client.fetch(timeframe=60)
    assert str(cache) in str(caught.value)


# -- the answers of issue 22 ------------------------------------------------------------------


def test_a_wrong_account_says_the_account_may_be_wrong(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    client = sim_client(sim_server, clock, tmp_path / "c")
    client.account = "12345678"
    with pytest.raises(AuthError) as caught:
        client.fetch(timeframe=60)
    assert "the account id 12345678 may be wrong too (account=, or LP_ACCOUNT)" in str(
        caught.value)


def test_a_retry_after_that_is_not_a_number_of_seconds_is_ignored(clock: FakeClock) -> None:
    answers = iter([Answer(429, b"{}", (("Retry-After", "nan"),)),
                    Answer(429, b"{}", (("Retry-After", "inf"),)), Answer()])
    with Scripted(lambda request: next(answers)) as server:
        transport = Transport(make_session(False), clock=clock, sleep=clock.sleep,
                              random=lambda: 0.0)
        assert transport.get(server.url + "/x").status_code == 200
    assert clock.sleeps == [1.0, 2.0]


# -- a full disk while saving answers names the file ----------------------------------------


def test_a_full_disk_while_saving_answers_is_an_output_error_naming_the_file(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engframe import _atomic

    def full(path: Path, write: Callable[[Path], None], *, durable: bool) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    client = sim_client(sim_server, clock, tmp_path / "c", save_raw=tmp_path / "raw")
    monkeypatch.setattr(_atomic, "write_beside", full)
    with pytest.raises(OutputError, match="No space left on device") as caught:
        client.fetch(timeframe=60)
    assert str(tmp_path / "raw" / "engactivity_") in str(caught.value)
    with pytest.raises(OutputError, match="No space left on device") as caught:
        client.names()
    assert str(tmp_path / "raw" / "names" / "names_") in str(caught.value)


def test_a_save_raw_path_that_is_a_file_is_an_output_error(
    sim_server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    (tmp_path / "raw").write_text("x")
    client = sim_client(sim_server, clock, tmp_path / "c", save_raw=tmp_path / "raw")
    with pytest.raises(OutputError, match="save_raw: cannot create the folder"):
        client.fetch(timeframe=60)
