"""agentactivity answers: the page's shape, states by id, and times true to shifts, chats, breaks.

The page (``pages/documents/RealTimeData/OperationalRealtimeAPI/methods/agent-activity.md`` in
``LivePersonInc/developer-center``; its examples: ``data/samples/operational/agentactivity*``)
says: states Logged in (-1, "total of all states"), Online (2), Back soon (3), Away (4, with
reasons); for each, time chatting, not chatting and chatting at the maximum concurrency, in
seconds; ``metricsTotals`` not supported. States are computed in milliseconds and shown in
seconds, so the states may differ from Logged in by a second each (the project's notes on the
family). Every figure below is recomputed by hand from the center's shifts, chats and breaks.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engframe.sim.operational import AWAY, BACK_SOON
from engframe.sim.render_ops import agent_window

from .conftest import NOW_MS
from .ops_support import CENTER, OPS, answer, seconds

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "operational"
HOUR_MS = 3_600_000
STATE_IDS = {2: "Online", 3: "Back in 5", 4: "Away", -1: "Logged in"}
Segments = list[tuple[int, int]]


def union(segments: Segments) -> Segments:
    merged: Segments = []
    for start, end in sorted(s for s in segments if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def measure(segments: Segments) -> int:
    return sum(end - start for start, end in union(segments))


def intersect(a: Segments, b: Segments) -> Segments:
    return [(max(s, t), min(e, f)) for s, e in union(a) for t, f in union(b)
            if min(e, f) > max(s, t)]


def by_hand(agent_pos: int, start: int, end: int) -> dict[str, Any]:
    """An agent's exact milliseconds in ``[start, end)``: logged in, per state, chatting."""
    hours = range(start - start % HOUR_MS, end, HOUR_MS)  # the center's local hours are whole
    duty = [(max(h, start), min(h + HOUR_MS, end)) for h in hours
            if CENTER.on_duty(np.array([h]), np.array([agent_pos]))[0]]
    table = CENTER.chats(start, end)
    mine = table.agent == agent_pos
    chats = [(max(int(c), start), min(int(e), end))
             for c, e in zip(table.connect_ms[mine], table.close_ms[mine], strict=True)]
    logged = union(duty + chats)
    limit = int(OPS.max_concurrency[agent_pos])
    moments = sorted({start, end, *(t for seg in chats for t in seg)})
    at_max = [(a, b) for a, b in itertools.pairwise(moments)
              if sum(s <= a < e for s, e in chats) >= limit]
    breaks = OPS.breaks(start, end)
    of_agent = breaks.agent == agent_pos

    def in_state(state: int, reason: int | None = None) -> Segments:
        chosen = of_agent & (breaks.state == state)
        if reason is not None:
            chosen &= breaks.reason == reason
        return intersect(logged, [(int(s), int(e)) for s, e in zip(
            breaks.start_ms[chosen], breaks.end_ms[chosen], strict=True)])

    states = {3: in_state(BACK_SOON), 4: in_state(AWAY)}
    online = measure(logged) - measure(states[3]) - measure(states[4])
    return {
        "logged": measure(logged), "chatting": measure(chats),
        "at_max": measure(at_max), "online": online,
        "back": measure(states[3]), "away": measure(states[4]),
        "away_chatting": measure(intersect(states[4], chats)),
        "reasons": {OPS.reasons[r].id: measure(in_state(AWAY, r))
                    for r in range(len(OPS.reasons))},
    }


def states_of(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items}


@pytest.fixture(scope="module")
def activity() -> dict[str, Any]:
    return answer("agentactivity", timeframe="120", interval="60", agentIds="all")


def periods(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [item["metricsData"]["agentsMetrics"] for item in body.get("metricsByIntervals", [])
            ] + [body["agentsMetrics"]]


def test_agentactivity_has_the_shape_of_the_pages_example(activity: dict[str, Any]) -> None:
    documented = json.loads((SAMPLES / "agentactivity_intervals.json").read_text())
    assert list(activity) == list(documented)
    for section in periods(activity):
        assert section["metricsTotals"] == []  # "Totals are not currently supported"
        for items in section["metricsPerAgent"].values():
            assert [(i["id"], i["name"]) for i in items] == list(STATE_IDS.items())
            for item in items:
                assert set(item) == ({"reasons", "id", "name", "value"} if item["id"] == 4
                                     else {"id", "name", "value"})
                assert list(item["value"]) == [
                    "total", "chatting", "notChatting", "chattingInMaxConcurrency"]


def test_intervals_come_newest_first_and_cut_exactly_the_timeframe(
        activity: dict[str, Any]) -> None:
    edges, stamps = agent_window(now_ms=NOW_MS, timeframe=120, interval=60)
    assert [i["timestamp"] for i in activity["metricsByIntervals"]] == stamps[::-1]
    assert edges[0] == NOW_MS - 120 * 60_000 and edges[-1] == NOW_MS
    lengths = [seconds(int(b - a)) for a, b in itertools.pairwise(edges)][::-1]
    whole_day = [agent for agent, items in activity["agentsMetrics"]["metricsPerAgent"].items()
                 if states_of(items)[-1]["value"]["total"] == 7200]
    assert whole_day, "someone should be logged in for the whole two hours"
    for agent in whole_day:
        assert [states_of(p["metricsPerAgent"][agent])[-1]["value"]["total"]
                for p in periods(activity)[:-1]] == lengths


def test_the_pages_example_window_is_232_3600_and_3368_seconds() -> None:
    edges, stamps = agent_window(now_ms=1_404_225_968_000, timeframe=120, interval=60)
    assert np.diff(edges).tolist() == [232_000, 3_600_000, 3_368_000]
    assert stamps == [1404219000000, 1404222600000, 1404226200000]  # the example's, reversed


def test_every_agents_times_are_their_shifts_chats_and_breaks_by_hand(
        activity: dict[str, Any]) -> None:
    start = NOW_MS - 120 * 60_000
    agents = activity["agentsMetrics"]["metricsPerAgent"]
    position = {str(a): p for p, a in enumerate(CENTER.agent_ids)}
    assert len(agents) > 20
    for agent, items in agents.items():
        truth = by_hand(position[agent], start, NOW_MS)
        states = states_of(items)
        assert states[-1]["value"]["total"] == seconds(truth["logged"])
        assert states[-1]["value"]["chatting"] == seconds(truth["chatting"])
        assert states[-1]["value"]["notChatting"] == seconds(truth["logged"] - truth["chatting"])
        assert states[-1]["value"]["chattingInMaxConcurrency"] == seconds(truth["at_max"])
        assert states[2]["value"]["total"] == seconds(truth["online"])
        assert states[3]["value"]["total"] == seconds(truth["back"])
        assert states[4]["value"]["total"] == seconds(truth["away"])
        assert states[4]["value"]["chatting"] == seconds(truth["away_chatting"])
        assert {r["id"]: r["value"]["total"] for r in states[4]["reasons"]} == {
            reason: seconds(ms) for reason, ms in truth["reasons"].items() if ms}


def test_states_add_up_to_logged_in_within_a_second_each(activity: dict[str, Any]) -> None:
    for section in periods(activity):
        for items in section["metricsPerAgent"].values():
            states = states_of(items)
            for measure_name in ("total", "chatting", "notChatting", "chattingInMaxConcurrency"):
                parts = sum(states[s]["value"][measure_name] for s in (2, 3, 4))
                assert abs(parts - states[-1]["value"][measure_name]) <= 3
            for item in items:
                value = item["value"]
                assert abs(value["chatting"] + value["notChatting"] - value["total"]) <= 1
                assert value["chattingInMaxConcurrency"] <= value["chatting"]
            reasons = states[4]["reasons"]
            assert abs(sum(r["value"]["total"] for r in reasons)
                       - states[4]["value"]["total"]) <= len(reasons)
            assert all(r["value"]["total"] > 0 or r["value"]["chatting"] == 0 for r in reasons)


def test_away_reasons_are_the_accounts_by_string_id(activity: dict[str, Any]) -> None:
    ids = {reason.id for reason in OPS.reasons}
    seen = {r["id"] for section in periods(activity)
            for items in section["metricsPerAgent"].values()
            for r in states_of(items)[4]["reasons"]}
    assert seen and seen <= ids and all(isinstance(i, str) for i in seen)


def test_intervals_add_up_to_the_whole_timeframe_within_a_second_each(
        activity: dict[str, Any]) -> None:
    *intervals, whole = periods(activity)
    for agent, items in whole["metricsPerAgent"].items():
        for state_id, item in states_of(items).items():
            parts = [states_of(p["metricsPerAgent"][agent])[state_id]["value"]["total"]
                     for p in intervals if agent in p["metricsPerAgent"]]
            assert abs(sum(parts) - item["value"]["total"]) <= len(parts)


def test_asked_agents_only_and_none_with_data_is_an_empty_map() -> None:
    chosen = [str(a) for a in CENTER.agent_ids[:3]]
    body = answer("agentactivity", timeframe="1440", agentIds=",".join([*chosen, "2"]))
    assert set(body["agentsMetrics"]["metricsPerAgent"]) <= set(chosen)
    nobody = answer("agentactivity", timeframe="60", agentIds="2,3")
    assert nobody == {"agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": []}}


def test_an_agent_answers_the_same_asked_alone_or_with_all(activity: dict[str, Any]) -> None:
    agent = next(iter(activity["agentsMetrics"]["metricsPerAgent"]))
    alone = answer("agentactivity", timeframe="120", interval="60", agentIds=agent)
    for theirs, ours in zip(periods(alone), periods(activity), strict=True):
        assert theirs["metricsPerAgent"].get(agent) == ours["metricsPerAgent"].get(agent)
