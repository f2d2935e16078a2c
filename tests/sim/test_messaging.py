"""The simulator's messaging: msgconversation and msgcsatdistribution from the same center.

Every answer keeps the relations LivePerson's pages document (``avgTime_X`` =
``totalHandlingTime_X / X`` as a 32-bit float, the parts of a total adding up but for the
rounding of handling times, ``positive_answers`` = answers of 4 and 5, ``csat_score`` =
positive / total), unassigned conversations come under skill -1, and the numbers are the
ground truth's (``Messaging.frame``).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.sim.app import Request, SimApp
from engframe.sim.messaging import Messaging
from engframe.sim.model import Center
from engframe.sim.query import EngQuery
from engframe.sim.render import build_response
from engframe.window import query_window

from .conftest import NOW_MS
from .test_app import ACCOUNT, bearer

CONVERSATION = f"/operations/api/account/{ACCOUNT}/msgconversation"
CSAT = f"/operations/api/account/{ACCOUNT}/msgcsatdistribution"


def maps(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric map of a response, whole timeframe and intervals alike."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "metricsData" in node:  # an interval: its timestamp is no metric
                walk(node["metricsData"])
                return
            if any(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values()):
                found.append(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return found


def conversation(center: Center, now: int = NOW_MS, **query: Any) -> dict[str, Any]:
    return build_response(center, EngQuery(method="msgconversation", **query), now_ms=now)


def answers(center: Center, now: int = NOW_MS, **query: Any) -> dict[str, Any]:
    return build_response(center, EngQuery(method="msgcsatdistribution", **query), now_ms=now)


BY = ("byCCP", "byConsumer", "bySystem")


@settings(max_examples=15, deadline=None)
@given(minutes=st.integers(0, 7 * 1440), interval=st.sampled_from([None, 5, 60]))
def test_every_conversation_map_keeps_the_documented_relations(center: Center, minutes: int,
                                                               interval: int | None) -> None:
    body = conversation(center, NOW_MS - minutes * 60_000 - 7_123, timeframe=120,
                        interval=interval, skill_ids="all", agent_ids="all")
    for m in maps(body):
        parts = [m[f"resolvedConversations_{by}"] for by in BY]
        assert m["totalResolvedConversations"] == sum(parts)
        times = [m[f"totalHandlingTime_resolvedConversations_{by}"] for by in BY]
        # each handling time is rounded on its own: the total within a second per part
        assert abs(m["totalHandlingTime_resolvedConversations"] - sum(times)) <= 1
        for by, count, time in zip(BY, parts, times, strict=True):
            average = m[f"avgTime_resolvedConversations_{by}"]
            expected = float(str(np.float32(time / count))) if count else 0
            assert average == expected  # 426 / 21 shows as 20.285715


@settings(max_examples=15, deadline=None)
@given(minutes=st.integers(0, 7 * 1440))
def test_every_csat_map_keeps_the_documented_relations(center: Center, minutes: int) -> None:
    body = answers(center, NOW_MS - minutes * 60_000, timeframe=1440, skill_ids="all",
                   agent_ids="all")
    for m in maps(body):
        scores = [m[f"csat_score{s}_answers"] for s in range(1, 6)]
        assert m["total_answers"] == sum(scores)
        assert m["positive_answers"] == scores[3] + scores[4]
        total, positive = m["total_answers"], m["positive_answers"]
        assert m["csat_score"] == (float(str(np.float32(positive / total))) if total else 0)


def test_unassigned_conversations_come_under_skill_minus_one(center: Center) -> None:
    body = conversation(center, timeframe=1440, skill_ids="all")
    per_skill = body["skillsMetricsPerAgent"]["metricsPerSkill"]
    assert "-1" in per_skill
    assert next(iter(per_skill)) == "-1"  # maps ordered by ascending id
    unassigned = per_skill["-1"]["metricsTotals"]
    assert unassigned["resolvedConversations_byCCP"] == 0  # never the agent's to resolve


def test_the_answer_counts_the_ground_truths_conversations(center: Center) -> None:
    body = conversation(center, timeframe=1440, agent_ids="all")
    window = query_window(now_ms=NOW_MS, timeframe=1440)
    truth = Messaging.for_center(center).frame(window.start_ms, window.end_ms)
    visible = NOW_MS - NOW_MS % 10_000
    at = truth["resolved"].astype("datetime64[ms, UTC]").astype("int64")  # epoch ms
    resolved = truth[(at >= window.start_ms) & (at <= visible)]
    totals = body["agentsMetrics"]["metricsTotals"]
    assert totals["totalResolvedConversations"] == len(resolved)
    assert totals["resolvedConversations_bySystem"] == int((resolved["resolver"]
                                                            == "bySystem").sum())
    seconds = round(resolved["handling_ms"].sum() / 1000)
    assert abs(totals["totalHandlingTime_resolvedConversations"] - seconds) <= 1


def test_the_same_seed_and_clock_give_the_same_answers() -> None:
    one = conversation(Center(seed=5), timeframe=60, interval=5, agent_ids="all")
    two = conversation(Center(seed=5), timeframe=60, interval=5, agent_ids="all")
    assert one == two


def _app() -> SimApp:
    return SimApp.build(seed=1, now=NOW_MS, host="127.0.0.1:9", stop=threading.Event())


def test_a_post_of_strings_answers_as_the_get() -> None:
    app = _app()
    token = {"authorization": f"Bearer {bearer(app)}"}
    got = app.handle(Request("GET", f"{CONVERSATION}?timeframe=60&v=1&interval=30"
                                    "&agentIds=all", token))
    body = {"timeframe": "60", "v": "1", "interval": "30", "agentIds": "all"}
    posted = app.handle(Request("POST", CONVERSATION, {**token,
                                "content-type": "application/json"}, json.dumps(body).encode()))
    assert (got.status, posted.status) == (200, 200)
    assert json.loads(got.body) == json.loads(posted.body)


@pytest.mark.parametrize("body", [b"[1]", b'{"timeframe": 60, "v": "1"}', b"not json"])
def test_a_post_that_is_not_an_object_of_strings_is_a_400(body: bytes) -> None:
    app = _app()
    token = {"authorization": f"Bearer {bearer(app)}"}
    reply = app.handle(Request("POST", CONVERSATION, token, body))
    assert reply.status == 400
    assert json.loads(reply.body)["param"] == "body"


def test_csat_takes_no_post_and_no_interval() -> None:
    app = _app()
    token = {"authorization": f"Bearer {bearer(app)}"}
    assert app.handle(Request("POST", CSAT, token, b"{}")).status == 405
    reply = app.handle(Request("GET", f"{CSAT}?timeframe=60&v=1&interval=30", token))
    assert reply.status == 400
    assert json.loads(reply.body)["param"] == "interval"
    assert app.handle(Request("GET", f"{CSAT}?timeframe=60&v=1", token)).status == 200
