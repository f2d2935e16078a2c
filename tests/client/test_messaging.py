"""Fetching the Messaging Operations methods: GET, POST for long id lists, rules checked first.

Against engframe's simulator on loopback (``server``, ``make_client`` from
``tests/simclient.py``), and, for what a hostile server could make a POST do, the scripted
fakes of ``tests/hostile/servers.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import APIError, ConfigError, QueryError
from engframe.transport import Transport, make_session
from tests.hostile.servers import Answer, Scripted, Seen

ACCOUNT = "56072331"
TOKEN = "t0ken-issued-by-the-fake"


def data_requests(server: sim.SimServer) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["path"].startswith("/operations/")]


def test_a_msgconversation_frame_says_its_method_and_reconciles(
        server: sim.SimServer, make_client: Callable[..., Client]) -> None:
    df = make_client().frame(method="msgconversation", timeframe=60, interval=5,
                             skills="all", agents="all")
    assert (df["method"] == "msgconversation").all()
    assert df.attrs["query"]["method"] == "msgconversation"
    assert "avgTime_resolvedConversations" in df.attrs["float_metrics"]
    statuses = set(engframe.reconcile(df)["status"].astype(str))
    assert statuses <= {"ok", "rounding"}
    assert data_requests(server)[-1]["path"].endswith("/msgconversation")


def test_a_long_id_list_goes_as_one_post_that_answers_as_the_get(
        server: sim.SimServer, make_client: Callable[..., Client]) -> None:
    agents = [int(a) for a in server.center.agent_ids]
    short = make_client(max_url_length=300, cache=False)
    posted = short.frame(method="msgconversation", timeframe=60, interval=30, agents=agents)
    (request,) = data_requests(server)
    assert request["method"] == "POST" and request["query"] == {}
    got = make_client(cache=False).frame(method="msgconversation", timeframe=60, interval=30,
                                         agents=agents)
    assert data_requests(server)[-1]["method"] == "GET"
    key = ["timestamp", "level", "agent", "metric"]
    pd.testing.assert_frame_equal(
        posted.sort_values(key).reset_index(drop=True)[[*key, "value"]],
        got.sort_values(key).reset_index(drop=True)[[*key, "value"]])
    assert posted.attrs["requests"] == 1


def test_engactivity_is_still_split_into_gets(server: sim.SimServer,
                                              make_client: Callable[..., Client]) -> None:
    agents = [int(a) for a in server.center.agent_ids]
    make_client(max_url_length=300, cache=False).frame(timeframe=60, agents=agents)
    requests = data_requests(server)
    assert len(requests) > 1 and {r["method"] for r in requests} == {"GET"}


def test_csat_with_an_interval_is_refused_before_any_traffic(
        server: sim.SimServer, make_client: Callable[..., Client]) -> None:
    with pytest.raises(QueryError, match="msgcsatdistribution takes no interval") as caught:
        make_client().frame(method="msgcsatdistribution", timeframe=60, interval=30)
    assert caught.value.parameter == "interval"
    assert server.requests == []


def test_an_unknown_method_is_refused_naming_the_known_ones(
        make_client: Callable[..., Client]) -> None:
    with pytest.raises(QueryError, match="msgconversation, msgcsatdistribution"):
        make_client().fetch(method="msgqueuehealth", timeframe=60)


def test_load_fetches_a_method_and_saves_its_envelope(server: sim.SimServer, tmp_path: Any,
                                                      make_client: Callable[..., Client]) -> None:
    df = engframe.load(account=server.account, method="msgcsatdistribution", timeframe=1440,
                       skills="all", auth=(server.client_id, server.client_secret),
                       csds_url=server.base_url, cache=False, save_raw=tmp_path)
    (saved,) = tmp_path.glob("msgcsatdistribution_*.json")
    assert json.loads(saved.read_text())["request"]["method"] == "msgcsatdistribution"
    again = engframe.load(saved)
    assert (again["method"] == "msgcsatdistribution").all()
    assert again["value"].sum() == df["value"].sum()


# -- a POST keeps every rule of the transport ---------------------------------------------------


def test_a_post_is_never_sent_with_credentials_in_clear_text_to_another_host() -> None:
    transport = Transport(make_session(False))
    with pytest.raises(ConfigError, match="clear text"):
        transport.post_json("http://data.example/operations/api/account/1/msgconversation",
                            b"{}", sign=lambda: None)  # type: ignore[arg-type,return-value]


def test_offline_a_post_has_no_cached_answer(tmp_path: Any) -> None:
    transport = Transport(make_session(tmp_path / "c.sqlite"), offline=True)
    with pytest.raises(APIError, match="POST answers are not cached"):
        transport.post_json("https://h.example/x", b"{}")


def _redirecting(target: Scripted) -> Callable[[Seen], Answer]:
    def answer(request: Seen) -> Answer:
        return Answer(status=307, body=b"", headers=(("Location", f"{target.url}/steal"),))
    return answer


def test_a_post_redirected_elsewhere_is_refused_and_sends_nothing_there() -> None:
    with (Scripted(lambda request: Answer(body=b"{}"), address="127.0.0.2") as stranger,
          Scripted(_redirecting(stranger)) as data_host):
        client = Client(ACCOUNT, auth=TOKEN, cache=False, environ={}, domain=data_host.url,
                        max_url_length=100)
        with pytest.raises(APIError) as caught:
            client.fetch(method="msgconversation", timeframe=60,
                         agents=list(range(10**9, 10**9 + 40)))
    assert stranger.seen == []
    assert data_host.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert stranger.host in str(caught.value)


def test_a_post_answer_that_is_not_json_is_refused(tmp_path: Any) -> None:
    with Scripted(lambda request: Answer(body=b"<html>no</html>")) as data_host:
        client = Client(ACCOUNT, auth=TOKEN, cache=False, environ={}, domain=data_host.url,
                        max_url_length=100)
        with pytest.raises(engframe.ResponseError) as caught:
            client.fetch(method="msgconversation", timeframe=60,
                         agents=list(range(10**9, 10**9 + 40)))
        assert caught.value.method == "msgconversation"
        assert "(msgconversation response)" in str(caught.value)
