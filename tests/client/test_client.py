"""engframe.client: the live client against the simulator over real loopback HTTP.

Nothing about ``requests`` is mocked: every test talks to ``engframe.sim`` on 127.0.0.1.
Only waiting is faked (the ``clock`` fixture), so retries cost no real time.
"""

from __future__ import annotations

import json
import pickle
import re
import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

import engframe
from engframe import sim
from engframe.auth import BearerToken, OAuth1Keys, OAuth2ClientCredentials
from engframe.client import Client, load_live, merge_parts
from engframe.errors import (
    APIError,
    AuthError,
    ConfigError,
    EngframeError,
    QueryError,
    RateLimitError,
    ResponseError,
)
from engframe.schema import COLUMNS
from engframe.transport import RetryPolicy
from tests.clocks import FakeClock

from .conftest import closed_port

MakeClient = Callable[..., Client]
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def engactivity(server: sim.SimServer) -> list[dict[str, object]]:
    return [r for r in server.requests if str(r["path"]).endswith("/engactivity")]


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    keys = ["span", "level", "timestamp", "skill", "agent", "metric"]
    out = df[list(COLUMNS)].astype({"metric": str, "level": str, "span": str})
    return out.sort_values(keys).reset_index(drop=True)


# -- shapes and the envelope ---------------------------------------------------------------


@pytest.mark.parametrize(("skills", "agents", "levels"), [
    (None, None, {"account"}),
    ("all", None, {"skill_agent", "skill", "skills_total"}),
    (None, "all", {"agent", "agents_total"}),
    ("all", "all", {"skill_agent", "skill", "skills_total", "agent", "agents_total"}),
])
@pytest.mark.parametrize("interval", [None, 15])
def test_every_response_shape_becomes_the_tidy_frame(
    make_client: MakeClient, skills: str | None, agents: str | None, levels: set[str],
    interval: int | None,
) -> None:
    df = make_client().frame(timeframe=60, interval=interval, skills=skills, agents=agents)
    assert list(df.columns[:7]) == list(COLUMNS)
    assert set(df["level"].astype(str)) == levels
    spans = {"interval", "timeframe"} if interval else {"timeframe"}
    assert set(df["span"].astype(str)) == spans


def test_fetch_returns_the_saved_envelope_shape(make_client: MakeClient) -> None:
    envelope = make_client().fetch(timeframe=1440, interval=60, skills="all", agents=[1, 2])
    assert list(envelope) == ["request", "fetched_at", "from_cache", "response"]
    assert envelope["request"] == {"account": "56072331", "method": "engactivity",
                                   "timeframe": 1440, "interval": 60,
                                   "skillIds": "all", "agentIds": "1,2", "v": 1}
    assert envelope["fetched_at"] == "2026-11-27T13:29:04.123Z"
    assert ISO_MS.fullmatch(envelope["fetched_at"])
    assert envelope["from_cache"] is False
    assert "metricsByIntervals" in envelope["response"]


def test_the_frame_carries_its_provenance(make_client: MakeClient) -> None:
    df = make_client().frame(timeframe=20, interval=10, agents="all")
    assert df.attrs["account"] == "56072331"
    assert df.attrs["query"] == {"account": "56072331", "method": "engactivity",
                                 "timeframe": 20, "interval": 10,
                                 "skillIds": None, "agentIds": "all", "v": 1}
    assert df.attrs["window"] == {"start": "2026-11-27T13:05:00Z", "end": "2026-11-27T13:30:00Z"}
    assert df.attrs["fetched_at"].startswith("2026-11-27T13:29:04.123")
    assert df.attrs["from_cache"] is False
    assert df.attrs["requests"] == 1


def test_the_newest_interval_is_marked_incomplete(make_client: MakeClient) -> None:
    df = make_client().frame(timeframe=20, interval=10)
    rows = df[df["span"] == "interval"]
    newest = rows["timestamp"] == rows["timestamp"].max()
    assert not rows.loc[newest, "complete"].any()
    assert rows.loc[~newest, "complete"].all()


def test_load_live_returns_the_same_frame_as_the_client(
    make_client: MakeClient, server: sim.SimServer, clock: FakeClock, tmp_path: Path,
) -> None:
    expected = make_client(cache=False).frame(timeframe=60, interval=30, skills="all")
    df = load_live(account=server.account, timeframe=60, interval=30, skills="all",
                   auth=(server.client_id, server.client_secret), csds_url=server.base_url,
                   cache=tmp_path / "other.sqlite", clock=clock, sleep=clock.sleep)
    pd.testing.assert_frame_equal(df, expected)


# -- authentication ------------------------------------------------------------------------


def test_oauth2_bearer_and_oauth1_give_the_same_frame(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    frames = [
        make_client(cache=False, auth=auth).frame(timeframe=60, skills="all")
        for auth in (OAuth2ClientCredentials(server.client_id, server.client_secret),
                     BearerToken(server.issue_token()), OAuth1Keys(*server.oauth1))
    ]
    for df in frames[1:]:
        pd.testing.assert_frame_equal(df, frames[0])


def test_one_token_serves_many_requests(make_client: MakeClient, server: sim.SimServer) -> None:
    client = make_client(cache=False)
    for timeframe in (10, 20, 30):
        client.frame(timeframe=timeframe)
    assert sum(r["method"] == "POST" for r in server.requests) == 1


def test_an_expired_token_is_renewed(
    make_client: MakeClient, server: sim.SimServer, clock: FakeClock,
) -> None:
    client = make_client(cache=False)
    client.frame(timeframe=10)
    clock.advance(3600)
    client.frame(timeframe=10)
    assert sum(r["method"] == "POST" for r in server.requests) == 2
    assert all(r["status"] == 200 for r in engactivity(server))


def test_a_wrong_client_secret_is_an_auth_error_without_the_secret(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    with pytest.raises(AuthError) as caught:
        make_client(auth=(server.client_id, "wrong-secret-123")).frame(timeframe=60)
    assert caught.value.status in (400, 401)
    assert "wrong-secret-123" not in str(caught.value)
    assert server.client_id not in str(caught.value)
    assert engactivity(server) == []


def test_a_bad_bearer_token_is_an_auth_error_with_status_401(make_client: MakeClient) -> None:
    with pytest.raises(AuthError) as caught:
        make_client(auth="not-a-valid-token").frame(timeframe=60)
    assert caught.value.status == 401
    assert "not-a-valid-token" not in str(caught.value)


def test_bad_oauth1_keys_are_an_auth_error(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    key, _, token, token_secret = server.oauth1
    with pytest.raises(AuthError):
        make_client(auth=OAuth1Keys(key, "wrong", token, token_secret)).frame(timeframe=60)


def test_another_account_is_refused_with_403(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    token = server.issue_token()
    with pytest.raises(AuthError) as caught:
        make_client(account="12345678", auth=token,
                    domain=server.base_url).frame(timeframe=60)
    assert caught.value.status == 403


def test_missing_credentials_fail_before_any_request(server: sim.SimServer) -> None:
    with pytest.raises(AuthError, match="LP_CLIENT_ID"):
        Client(server.account, csds_url=server.base_url, cache=False, environ={})
    assert server.requests == []


def test_the_account_can_come_from_the_environment(server: sim.SimServer) -> None:
    client = Client(auth="t", cache=False, environ={"LP_ACCOUNT": server.account})
    assert client.account == server.account


# -- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "parameter"), [
    ({"timeframe": 1441}, "timeframe"),
    ({"timeframe": 60, "interval": 31}, "interval"),
    ({"timeframe": 60, "skills": "1,x"}, "skills"),
    ({"timeframe": 60, "agents": [2**63]}, "agents"),
])
def test_bad_parameters_are_caught_before_any_request(
    make_client: MakeClient, server: sim.SimServer, options: dict[str, object],
    parameter: str,
) -> None:
    with pytest.raises(QueryError) as caught:
        make_client().frame(**options)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert caught.value.status is None
    assert server.requests == []


def test_parameters_the_server_refuses_are_a_query_error_with_its_message(
    make_client: MakeClient, server: sim.SimServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Let a query the local check would stop reach the server, to see its 400 handled.
    monkeypatch.setattr("engframe.query._check_interval",
                        lambda interval, timeframe, method=None: interval)
    with pytest.raises(QueryError) as caught:
        make_client().frame(timeframe=60, interval=31)
    assert caught.value.status == 400
    assert caught.value.server_message == (
        "interval: expected a whole number of 5-minute buckets, at least 5, at most the timeframe "
        "(60) and a divisor of it, found '31'")
    assert "/engactivity?timeframe=60&v=1&interval=31" in str(caught.value.url)


@pytest.mark.parametrize("options", [
    {"timeout": 0}, {"timeout": "5"}, {"retry": 3}, {"max_url_length": 0},
    {"session": object()}, {"cache": 3}, {"domain": 5}, {"save_raw": 5},
])
def test_unusable_options_are_config_errors(
    make_client: MakeClient, options: dict[str, object],
) -> None:
    with pytest.raises(ConfigError):
        make_client(**options)


# -- faults --------------------------------------------------------------------------------


def test_a_429_storm_that_ends_still_gives_the_frame(
    make_client: MakeClient, server: sim.SimServer, clock: FakeClock,
) -> None:
    server.faults.script("status", status=429, count=4)
    df = make_client().frame(timeframe=60, skills="all")
    assert len(df) > 0
    assert len(clock.sleeps) == 4 and min(clock.sleeps) >= 1.0
    assert [r["status"] for r in engactivity(server)] == [429] * 4 + [200]


def test_a_429_storm_that_never_ends_is_a_rate_limit_error(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("status", status=429, count=100)
    with pytest.raises(RateLimitError) as caught:
        make_client().frame(timeframe=60)
    assert caught.value.status == 429


def test_5xx_then_success_gives_the_frame(
    make_client: MakeClient, server: sim.SimServer, clock: FakeClock,
) -> None:
    server.faults.script("status", status=503, count=2)
    expected = make_client(cache=False).frame(timeframe=60, agents="all")
    assert clock.sleeps == [5.0, 10.0]
    again = make_client(cache=False).frame(timeframe=60, agents="all")
    pd.testing.assert_frame_equal(expected, again)


def test_a_body_cut_off_mid_json_is_a_response_error_naming_the_url(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("truncate", count=1)
    client = make_client()
    with pytest.raises(ResponseError) as caught:
        client.frame(timeframe=60, skills="all")
    assert caught.value.source is not None and "/engactivity?timeframe=60" in caught.value.source
    assert "cut-off" in str(caught.value)


def test_fetch_reports_a_cut_off_body_as_a_response_error_too(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("truncate", count=1)
    with pytest.raises(ResponseError):
        make_client().fetch(timeframe=60)


def test_a_cut_off_body_is_not_served_again_from_the_cache(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("truncate", count=1)
    client = make_client()
    with pytest.raises(ResponseError):
        client.frame(timeframe=60)
    df = client.frame(timeframe=60)
    assert df.attrs["from_cache"] is False
    assert len(engactivity(server)) == 2


def test_a_broken_answer_is_an_engframe_error_never_a_crash(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("html", status=500, count=10)
    with pytest.raises(EngframeError) as caught:
        make_client().frame(timeframe=60)
    assert isinstance(caught.value, APIError)
    assert caught.value.server_message == "500 Internal Server Error"


# -- the cache -----------------------------------------------------------------------------


def test_the_second_call_is_a_cache_hit(make_client: MakeClient, server: sim.SimServer) -> None:
    client = make_client()
    first = client.frame(timeframe=60, interval=15, skills="all")
    second = client.frame(timeframe=60, interval=15, skills="all")
    assert (first.attrs["from_cache"], second.attrs["from_cache"]) == (False, True)
    assert len(engactivity(server)) == 1
    pd.testing.assert_frame_equal(first[list(COLUMNS)], second[list(COLUMNS)])


def test_a_new_client_hits_the_cache_without_needing_a_token(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    make_client().frame(timeframe=60)
    tokens_before = sum(r["method"] == "POST" for r in server.requests)
    df = make_client().frame(timeframe=60)
    assert df.attrs["from_cache"] is True
    assert sum(r["method"] == "POST" for r in server.requests) == tokens_before


def test_a_cache_hit_keeps_the_original_fetch_time(
    make_client: MakeClient, clock: FakeClock,
) -> None:
    client = make_client()
    first = client.frame(timeframe=60)
    clock.advance(20)
    second = client.frame(timeframe=60)
    assert second.attrs["fetched_at"] == first.attrs["fetched_at"]


def test_refresh_fetches_again(make_client: MakeClient, server: sim.SimServer) -> None:
    client = make_client()
    client.frame(timeframe=60)
    df = client.frame(timeframe=60, refresh=True)
    assert df.attrs["from_cache"] is False
    assert len(engactivity(server)) == 2


def test_offline_replays_the_cache_without_credentials(
    make_client: MakeClient, server: sim.SimServer, cache_path: Path, clock: FakeClock,
) -> None:
    online = make_client().frame(timeframe=60, agents="all")
    seen = len(server.requests)
    clock.advance(7200)  # long expired: offline serves it anyway
    offline = Client(server.account, csds_url=server.base_url, cache=cache_path,
                     offline=True, environ={}, clock=clock)
    df = offline.frame(timeframe=60, agents="all")
    offline.close()
    pd.testing.assert_frame_equal(df[list(COLUMNS)], online[list(COLUMNS)])
    assert df.attrs["from_cache"] is True
    assert len(server.requests) == seen


def test_offline_without_the_answer_cached_says_so(
    server: sim.SimServer, cache_path: Path,
) -> None:
    client = Client(server.account, csds_url=server.base_url, cache=cache_path,
                    offline=True, environ={})
    with pytest.raises(APIError, match="offline"):
        client.frame(timeframe=60)
    client.close()


def test_domains_are_looked_up_once_per_client(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    client = make_client(cache=False)
    for timeframe in (10, 20, 30):
        client.frame(timeframe=timeframe)
    lookups = [r for r in server.requests if str(r["path"]).endswith("baseURI.json")]
    assert len(lookups) == 2  # leDataReporting and sentinel


def test_a_domain_override_skips_the_data_host_lookup(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    make_client(domain=server.base_url.removeprefix("http://"), cache=False,
                auth=server.issue_token(),
                csds_url="http://127.0.0.1:9").frame(timeframe=60)
    assert not any(str(r["path"]).endswith("baseURI.json") for r in server.requests)


# -- secrets -------------------------------------------------------------------------------


def all_secrets(server: sim.SimServer, *auths: object) -> list[bytes]:
    found = [server.client_id, server.client_secret, *server.oauth1]
    for auth in auths:
        found += [token for token, _ in getattr(auth, "_tokens", {}).values()]
        found += [getattr(auth, "_token", "")]
    return [s.encode() for s in found if s]


def test_the_cache_file_and_saved_envelopes_hold_no_secret(
    make_client: MakeClient, server: sim.SimServer, cache_path: Path, tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    auths = [OAuth2ClientCredentials(server.client_id, server.client_secret),
             BearerToken(server.issue_token()), OAuth1Keys(*server.oauth1)]
    for timeframe, auth in zip((10, 20, 30), auths, strict=True):
        client = make_client(auth=auth, save_raw=raw)
        client.frame(timeframe=timeframe, interval=5, skills="all")
        client.fetch(timeframe=timeframe, agents="all")
        client.close()
    secrets = all_secrets(server, *auths)
    assert len(secrets) >= 8
    files = [*cache_path.parent.iterdir(), *raw.iterdir()]  # sqlite journals included
    assert cache_path in files and len(list(raw.iterdir())) == 6
    for path in files:
        data = path.read_bytes()
        leaked = [s for s in secrets if s in data]
        assert leaked == [], f"{path.name} holds a secret"


def test_the_client_repr_and_errors_hold_no_secret(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    client = make_client()
    assert server.client_secret not in repr(client)
    assert server.client_id not in repr(client)


def test_api_errors_survive_pickling_with_their_details() -> None:
    error = AuthError("HTTP 401 from u", status=401, url="u", server_message="no")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.status, again.url, again.server_message, str(again)) == (
        AuthError, 401, "u", "no", "HTTP 401 from u")


# -- save_raw ------------------------------------------------------------------------------


def test_saved_envelopes_load_back_into_the_same_frame(
    make_client: MakeClient, tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    df = make_client(save_raw=raw).frame(timeframe=60, interval=15, skills="all", agents="all")
    (saved,) = raw.iterdir()
    envelope = json.loads(saved.read_bytes())
    assert list(envelope) == ["request", "fetched_at", "from_cache", "response"]
    replayed = engframe.flatten(saved)
    pd.testing.assert_frame_equal(replayed[list(COLUMNS)], df[list(COLUMNS)])


def test_a_cache_hit_is_saved_as_from_cache(make_client: MakeClient, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    client = make_client(save_raw=raw)
    client.fetch(timeframe=60)
    client.fetch(timeframe=60)
    flags = sorted(json.loads(p.read_bytes())["from_cache"] for p in raw.iterdir())
    assert flags == [False, True] or flags == [True]  # same name when fetched_at is equal


# -- split id lists ------------------------------------------------------------------------


@pytest.mark.parametrize(("skills", "agents"), [("ids", "ids"), (None, "ids"), ("all", "ids"),
                                                ("ids", None)])
def test_split_id_lists_give_the_same_frame_as_one_request(
    make_client: MakeClient, server: sim.SimServer, skills: str | None, agents: str | None,
) -> None:
    skill_ids = [int(s) for s in server.center.skill_ids]
    agent_ids = [int(a) for a in server.center.agent_ids[:24]]
    query = {
        "timeframe": 240, "interval": 60,
        "skills": skill_ids if skills == "ids" else skills,
        "agents": agent_ids if agents == "ids" else agents,
    }
    whole = make_client(cache=False).frame(**query)  # type: ignore[arg-type]
    split = make_client(cache=False, max_url_length=180).frame(**query)  # type: ignore[arg-type]
    parts = split.attrs["requests"]
    assert parts > 1
    assert split.attrs["query"] == whole.attrs["query"]
    a, b = ordered(whole), ordered(split)
    pd.testing.assert_frame_equal(a.drop(columns="value"), b.drop(columns="value"))
    # Counts add up exactly; handling times are rounded per value by the API, so a
    # recomputed total may differ by up to a second per request.
    times = a["metric"].str.endswith("HandlingTime").to_numpy()
    diff = np.abs(a["value"].to_numpy() - b["value"].to_numpy())
    assert (diff[~times] == 0).all()
    assert (diff[times] <= parts).all()


def test_fetch_refuses_a_query_that_needs_several_requests(make_client: MakeClient) -> None:
    with pytest.raises(QueryError, match="fetch_parts"):
        make_client(max_url_length=200).fetch(timeframe=60, agents=range(10**9, 10**9 + 100))


def test_fetch_parts_gives_one_envelope_per_request(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    agents = [int(a) for a in server.center.agent_ids]
    parts = make_client(max_url_length=260).fetch_parts(timeframe=60, agents=agents)
    sent = [a for p in parts for a in map(int, p["request"]["agentIds"].split(","))]
    assert len(parts) > 1 and sent == agents


def test_merge_parts_sums_totals_and_keeps_ids(sample: Callable[[str], object]) -> None:
    one = engframe.flatten({"agentsMetrics": {"metricsPerAgent": {"1": {"m": 2}},
                                              "metricsTotals": {"m": 2}}})
    two = engframe.flatten({"agentsMetrics": {"metricsPerAgent": {"2": {"m": 3}},
                                              "metricsTotals": {"m": 3}}})
    merged = merge_parts([one, two])
    assert merged["value"].tolist() == [2, 5, 3]
    assert merged["agent"].tolist() == [1, pd.NA, 2]
    assert merged.dtypes.to_dict() == one.dtypes.to_dict()


def test_merge_parts_of_one_frame_is_that_frame(sample: Callable[[str], object]) -> None:
    df = engframe.flatten(sample("skill_2"))
    assert merge_parts([df]) is df


class TickingClock(FakeClock):
    """A clock that moves 4 s each time the server reads it, so requests straddle buckets."""

    def ms(self) -> int:
        self.now += 4.0
        return round(self.now * 1000)


def test_parts_fetched_across_a_bucket_boundary_are_fetched_again_into_one_window(
    tmp_path: Path,
) -> None:
    clock = TickingClock(1_795_786_188.0)  # 13:29:48, 12 s before a bucket boundary
    with sim.serve(seed=1, now=clock.ms) as server:
        agents = [int(a) for a in server.center.agent_ids[:12]]
        client = Client(server.account, auth=server.issue_token(), csds_url=server.base_url,
                        cache=False, clock=clock, sleep=clock.sleep, max_url_length=160)
        df = client.frame(timeframe=60, interval=30, agents=agents)
        client.close()
        sent = len(engactivity(server))
    stamps = df.loc[df["span"] == "interval", "timestamp"].unique()
    assert len(stamps) == 3  # one window: 2 full intervals and the remainder
    assert sent > df.attrs["requests"]


# -- every auth method, with the cache on and off, with and without refresh ------------------


AUTHS: dict[str, Callable[[sim.SimServer], object]] = {
    "bearer": lambda server: BearerToken(server.issue_token()),
    "oauth2": lambda server: OAuth2ClientCredentials(server.client_id, server.client_secret),
    "oauth1": lambda server: OAuth1Keys(*server.oauth1),
}


def reference_frame(server: sim.SimServer) -> pd.DataFrame:
    """The frame of the same query fetched without engframe's client, by plain requests."""
    query = "timeframe=60&v=1&interval=15&skillIds=all"
    answer = requests.get(
        f"{server.base_url}/operations/api/account/{server.account}/engactivity?{query}",
        headers={"Authorization": f"Bearer {server.issue_token()}"}, timeout=10)
    request = {"account": server.account, "timeframe": 60, "interval": 15, "skillIds": "all",
               "agentIds": None, "v": 1}
    return engframe.flatten({"request": request, "fetched_at": "2026-11-27T13:29:04.123Z",
                             "response": answer.json()})


@pytest.mark.parametrize("refresh", [False, True], ids=["cached-read", "refresh"])
@pytest.mark.parametrize("cache", [True, False], ids=["cache-on", "cache-off"])
@pytest.mark.parametrize("method", sorted(AUTHS))
def test_every_auth_method_fetches_with_the_cache_on_or_off_with_or_without_refresh(
    make_client: MakeClient, server: sim.SimServer, method: str, cache: bool, refresh: bool,
) -> None:
    expected = reference_frame(server)[list(COLUMNS)]
    sent_before = len(engactivity(server))
    client = make_client(auth=AUTHS[method](server), **({} if cache else {"cache": False}))
    frames = [client.frame(timeframe=60, interval=15, skills="all", refresh=refresh)
              for _ in range(2)]
    for df in frames:
        pd.testing.assert_frame_equal(df[list(COLUMNS)], expected)
    from_cache = cache and not refresh
    assert [df.attrs["from_cache"] for df in frames] == [False, from_cache]
    assert len(engactivity(server)) - sent_before == (1 if from_cache else 2)


# -- which host failed, and which one the caller gave ------------------------------------


def test_an_unreachable_domain_is_named_as_the_domain_given(
    make_client: MakeClient, server: sim.SimServer, no_such_host: Callable[[int], None],
) -> None:
    no_such_host(socket.EAI_NONAME)
    with pytest.raises(APIError) as caught:
        make_client(domain="https://nonexistent.invalid").frame(timeframe=60)
    assert str(caught.value) == ("cannot connect to nonexistent.invalid (the Engagement "
                                 "Activity host 'leDataReporting', given in domain=): name "
                                 "not resolved")
    assert (caught.value.host, caught.value.service, caught.value.reason) == (
        "nonexistent.invalid", "leDataReporting", "name not resolved")
    assert caught.value.url.startswith("https://nonexistent.invalid/operations/")


def test_with_a_domain_given_the_token_server_is_still_looked_up_and_the_error_says_so(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    port = closed_port()
    given = server.base_url.removeprefix("http://")
    client = make_client(domain=given, csds_url=f"http://127.0.0.1:{port}",
                         retry=RetryPolicy(retries_refused=0))
    with pytest.raises(APIError) as caught:
        client.frame(timeframe=60)
    assert str(caught.value) == (
        f"cannot connect to 127.0.0.1:{port} (the Domain API, asked for the token server "
        "'sentinel'; domain= gives only the Engagement Activity host 'leDataReporting'): "
        "connection refused")
    assert (caught.value.host, caught.value.service) == (f"127.0.0.1:{port}", "csds")
    assert given not in str(caught.value)


def test_an_unreachable_token_server_is_named_as_the_token_server(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    port = closed_port()
    domains = {"leDataReporting": server.base_url, "sentinel": f"127.0.0.1:{port}"}
    with pytest.raises(APIError) as caught:
        make_client(domain=domains, retry=RetryPolicy(retries_refused=0)).frame(timeframe=60)
    assert str(caught.value) == (f"cannot connect to 127.0.0.1:{port} (the token server "
                                 "'sentinel', given in domain=): connection refused")
    assert caught.value.service == "sentinel"


def test_a_failing_token_server_is_an_api_error_about_sentinel(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("status", status=500, count=4, endpoint="token")
    with pytest.raises(APIError) as caught:
        make_client().frame(timeframe=60)
    assert (caught.value.status, caught.value.service, caught.value.retries) == (
        500, "sentinel", 3)
    assert "/sentinel/api/account/" in caught.value.url


def test_an_api_error_names_the_data_service(
    make_client: MakeClient, server: sim.SimServer,
) -> None:
    server.faults.script("status", status=500, count=4)
    with pytest.raises(APIError) as caught:
        make_client().frame(timeframe=60)
    assert (caught.value.service, caught.value.reason) == (
        "leDataReporting", "HTTP 500 Internal Server Error")


# -- what a command line needs to word errors in its own terms ---------------------------


@pytest.mark.parametrize(("options", "option"), [
    ({"timeout": 0}, "timeout"), ({"csds_url": "ftp://x"}, "csds_url"),
    ({"cache": False, "offline": True}, "offline"), ({"domain": 5}, "domain"),
    ({"retry": 3}, "retry"), ({"save_raw": 5}, "save_raw"),
])
def test_a_config_error_names_its_option(
    make_client: MakeClient, options: dict[str, object], option: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_client(**options)
    assert caught.value.option == option


def test_missing_credentials_carry_the_environment_variables(server: sim.SimServer) -> None:
    with pytest.raises(AuthError) as caught:
        Client(server.account, csds_url=server.base_url, cache=False, environ={})
    assert ("LP_CLIENT_ID", "LP_CLIENT_SECRET") in caught.value.env_sets


def test_errors_keep_their_new_attributes_through_pickling() -> None:
    errors = [
        APIError("m", url="u", host="h", service="sentinel", reason="connection refused",
                 retries=3, detail="d"),
        AuthError("m", env_sets=(("LP_BEARER_TOKEN",),), env_missing=("LP_CLIENT_SECRET",)),
        ConfigError("m", option="timeout"),
    ]
    for error in errors:
        again = pickle.loads(pickle.dumps(error))
        assert (type(again), vars(again), str(again)) == (type(error), vars(error), "m")
