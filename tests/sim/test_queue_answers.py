"""queuehealth, queuestate and sla answers: the pages' shapes and relations, true to the chats.

Every figure is recomputed here by hand from the simulated center's chats and abandoners
(``ops_support.chats_in``/``abandoners_in``), and the relations the pages state are checked:
queue-health.md ("avgTimeToAnswer ... Calculation: totalTimeToAnswer / connectedEng",
"abandonmentRate ... abandonedEng / (abandonedEng + connectedEng)", "averageQueueSize ...
queueSizeSum / queueSizeCount", "Default value if no such data exists is -1"),
current-queue-state.md ("only valid (non -1) skill queue state values are summed up") and
sla-histogram.md (bucket lower bounds in seconds, ``accumulated`` the share of chats in this
bucket or earlier ones). The pages: ``pages/documents/RealTimeData/OperationalRealtimeAPI/
methods/`` in ``LivePersonInc/developer-center``; their examples: ``data/samples/operational/``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engframe.sim.model import Center, CenterConfig
from engframe.sim.operational import Operations
from engframe.sim.query import EngQuery
from engframe.sim.render import build_response
from engframe.window import query_window

from .conftest import NOW_MS
from .ops_support import CENTER, VISIBLE_MS, abandoners_in, answer, chats_in, seconds

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "operational"
HOUR_MS = 3_600_000
#: A small center at 02:29 local time, when some skills have nobody logged in.
SMALL = Center(seed=1, config=CenterConfig(n_skills=3, n_agents=4, chats_per_day=300))
SMALL_OPS = Operations(SMALL)
SMALL_NOW = NOW_MS + 6 * HOUR_MS
COUNTS = ("enteredQEng", "connectedEng", "abandonedEng", "queueSizeSum", "queueSizeCount",
          "availableSlotsSum", "availableSlotsCount")
WAITS = ("totalTimeToAnswer", "totalTimeToAbandon")
EXTREMES = ("maxQueueSize", "minQueueSize", "maxAvailableSlots", "minAvailableSlots")


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def blocks(body: dict[str, Any]) -> list[tuple[int | None, dict[str, Any]]]:
    """(timestamp or None for the whole timeframe, its skillsMetrics/metricsTotals block)."""
    found: list[tuple[int | None, dict[str, Any]]] = [
        (item["timestamp"], item["metricsData"]) for item in body.get("metricsByIntervals", [])]
    whole = {key: value for key, value in body.items() if key != "metricsByIntervals"}
    return [*found, (None, whole)]


@pytest.fixture(scope="module")
def health() -> dict[str, Any]:
    return answer("queuehealth", timeframe="120", interval="30", skillIds="all")


def test_queuehealth_has_the_shape_and_metrics_of_the_pages_interval_example(
        health: dict[str, Any]) -> None:
    documented = sample("queuehealth_skills_intervals")
    assert list(health) == ["metricsByIntervals", "skillsMetrics", "metricsTotals"]
    assert set(health["metricsByIntervals"][0]) == {"timestamp", "metricsData"}
    for (_, ours), (_, theirs) in zip(blocks(health)[-1:], blocks(documented)[-1:], strict=True):
        assert set(ours) == set(theirs) == {"skillsMetrics", "metricsTotals"}
        assert set(ours["metricsTotals"]) == set(theirs["metricsTotals"])
        assert set(next(iter(ours["skillsMetrics"].values()))) == set(theirs["metricsTotals"])


def test_queuehealth_intervals_come_oldest_first_ending_on_bucket_edges(
        health: dict[str, Any]) -> None:
    window = query_window(now_ms=NOW_MS, timeframe=120, interval=30)
    assert [item["timestamp"] for item in health["metricsByIntervals"]] == [
        span.end_ms for span in window.intervals]


def test_a_skills_connected_chats_are_engactivitys_connected_engagements(
        health: dict[str, Any]) -> None:
    eng = build_response(CENTER, EngQuery(timeframe=120, interval=30, skill_ids="all"),
                         now_ms=NOW_MS, newest_first=False)
    theirs = [(None, item["metricsData"]) for item in eng["metricsByIntervals"]] + [(None, eng)]
    for (_, ours), (_, data) in zip(blocks(health), theirs, strict=True):
        per_skill = data["skillsMetricsPerAgent"]["metricsPerSkill"]
        engaged = {k: v["metricsTotals"]["connectedEngagements"] for k, v in per_skill.items()
                   if v["metricsTotals"]["connectedEngagements"]}
        connected = {k: v["connectedEng"] for k, v in ours["skillsMetrics"].items()
                     if v["connectedEng"]}
        assert connected == engaged


def test_queuehealth_counts_and_waits_are_the_chats_counted_by_hand(
        health: dict[str, Any]) -> None:
    window = query_window(now_ms=NOW_MS, timeframe=120, interval=30)
    chats, gone = chats_in(window.start_ms, window.end_ms), abandoners_in(
        window.start_ms, window.end_ms)
    spans = [(s.start_ms, s.end_ms) for s in window.intervals]
    for (_, block), (low, high) in zip(blocks(health),
                                       [*spans, (window.start_ms, window.end_ms)], strict=True):
        high = min(high, VISIBLE_MS + 1)
        for skill, metrics in block["skillsMetrics"].items():
            mine = chats[chats.skill == int(skill)]
            left = gone[gone.skill == int(skill)]
            connected = mine[mine.connect.between(low, high - 1)]
            abandoned = left[left.abandon.between(low, high - 1)]
            entered = (mine.arrival.between(low, high - 1).sum()
                       + left.arrival.between(low, high - 1).sum())
            assert metrics["enteredQEng"] == entered
            assert metrics["connectedEng"] == len(connected)
            assert metrics["abandonedEng"] == len(abandoned)
            assert metrics["totalTimeToAnswer"] == seconds(connected.wait.sum())
            assert metrics["totalTimeToAbandon"] == seconds(abandoned.wait.sum())


def test_queuehealth_averages_follow_the_pages_calculations(health: dict[str, Any]) -> None:
    for _, block in blocks(health):
        for metrics in [*block["skillsMetrics"].values(), block["metricsTotals"]]:
            connected, abandoned = metrics["connectedEng"], metrics["abandonedEng"]
            if connected:
                assert abs(metrics["avgTimeToAnswer"]
                           - metrics["totalTimeToAnswer"] / connected) <= 0.5
            if abandoned:
                assert abs(metrics["avgTimeToAbandon"]
                           - metrics["totalTimeToAbandon"] / abandoned) <= 0.5
            if connected + abandoned:
                assert metrics["abandonmentRate"] == round(abandoned / (abandoned + connected), 2)
            count = metrics["queueSizeCount"]
            assert count == metrics["availableSlotsCount"]
            if count:
                assert metrics["averageQueueSize"] == metrics["queueSizeSum"] / count
                assert metrics["averageAvailableSlots"] == metrics["availableSlotsSum"] / count


def test_a_skills_average_lies_between_its_extremes(health: dict[str, Any]) -> None:
    # Not the totals': their extremes are the skills' summed (as the page's example shows).
    for _, block in blocks(health):
        for metrics in block["skillsMetrics"].values():
            if metrics["queueSizeCount"]:
                assert (metrics["minQueueSize"] <= metrics["averageQueueSize"]
                        <= metrics["maxQueueSize"])
                assert (metrics["minAvailableSlots"] <= metrics["averageAvailableSlots"]
                        <= metrics["maxAvailableSlots"])


def test_queuehealth_totals_are_their_skills_sums_leaving_out_no_data(
        health: dict[str, Any]) -> None:
    for _, block in blocks(health):
        skills, totals = list(block["skillsMetrics"].values()), block["metricsTotals"]
        for name in COUNTS:
            assert totals[name] == sum(m[name] for m in skills)
        for name in WAITS:  # each value rounded to seconds on its own
            assert abs(totals[name] - sum(m[name] for m in skills)) <= 0.5 * len(skills)
        for name in (*EXTREMES, "currentQueueSize", "currentAvailableSlots"):
            known = [m[name] for m in skills if m[name] != -1]
            assert totals[name] == (sum(known) if known else -1)


def test_queuehealth_intervals_add_up_to_the_whole_timeframe_and_extremes_do_not(
        health: dict[str, Any]) -> None:
    *intervals, (_, whole) = blocks(health)
    for skill, metrics in whole["skillsMetrics"].items():
        parts = [block["skillsMetrics"].get(skill) for _, block in intervals]
        parts = [p for p in parts if p is not None]
        for name in COUNTS:
            assert metrics[name] == sum(p[name] for p in parts)
        for name in WAITS:
            assert abs(metrics[name] - sum(p[name] for p in parts)) <= 0.5 * len(parts)
        for name, pick in (("maxQueueSize", max), ("minQueueSize", min),
                           ("maxAvailableSlots", max), ("minAvailableSlots", min)):
            measured = [p[name] for p in parts if p["queueSizeCount"]]
            assert metrics[name] == (pick(measured) if measured else -1)


def test_current_values_are_no_data_in_intervals_and_the_queue_state_now(
        health: dict[str, Any]) -> None:
    *intervals, (_, whole) = blocks(health)
    for _, block in intervals:
        for metrics in [*block["skillsMetrics"].values(), block["metricsTotals"]]:
            assert metrics["currentQueueSize"] == metrics["currentAvailableSlots"] == -1
    state = answer("queuestate", skillIds=",".join(whole["skillsMetrics"]))
    for skill, metrics in whole["skillsMetrics"].items():
        assert (metrics["currentQueueSize"], metrics["currentAvailableSlots"]) == (
            state["skills"][skill]["currentQueueSize"],
            state["skills"][skill]["currentAvailableSlots"])


def test_without_skill_ids_the_account_totals_are_every_skills_totals(
        health: dict[str, Any]) -> None:
    account = answer("queuehealth", timeframe="120", interval="30")
    assert all(set(block) == {"metricsTotals"} for _, block in blocks(account))
    assert [b["metricsTotals"] for _, b in blocks(account)] == [
        b["metricsTotals"] for _, b in blocks(health)]


def test_asked_skills_without_data_are_left_out_and_totals_are_zero_or_no_data() -> None:
    body = answer("queuehealth", timeframe="60", skillIds="1,2")
    assert body["skillsMetrics"] == {}
    totals = body["metricsTotals"]
    assert all(totals[name] == 0 for name in (*COUNTS, *WAITS, "abandonmentRate"))
    assert all(totals[name] == -1 for name in (*EXTREMES, "averageQueueSize",
                                               "averageAvailableSlots", "currentQueueSize"))


def test_a_skill_with_chats_but_nobody_logged_in_has_no_queue_measures() -> None:
    body = answer("queuehealth", now_ms=SMALL_NOW, center=SMALL, ops=SMALL_OPS,
                  timeframe="60", interval="30", skillIds="all")
    unmeasured = [m for _, b in blocks(body) for m in b["skillsMetrics"].values()
                  if m["queueSizeCount"] == 0]
    assert unmeasured, "the scenario should hold a skill without measures"
    for metrics in unmeasured:
        assert metrics["enteredQEng"] + metrics["connectedEng"] + metrics["abandonedEng"] > 0
        assert all(metrics[name] == -1 for name in (*EXTREMES, "averageQueueSize",
                                                    "averageAvailableSlots"))


# -- queuestate ------------------------------------------------------------------------------

def waiting_now(skill: int) -> tuple[int, int]:
    """Visitors of ``skill`` waiting at the last refresh, and the longest wait [ms], by hand."""
    chats, gone = chats_in(VISIBLE_MS, VISIBLE_MS + 1), abandoners_in(VISIBLE_MS, VISIBLE_MS + 1)
    arrivals = np.concatenate([
        chats.arrival[(chats.skill == skill) & (chats.arrival <= VISIBLE_MS)
                      & (chats.connect > VISIBLE_MS)],
        gone.arrival[(gone.skill == skill) & (gone.arrival <= VISIBLE_MS)
                     & (gone.abandon > VISIBLE_MS)]])
    return len(arrivals), (VISIBLE_MS - int(arrivals.min())) if len(arrivals) else -1


def test_queuestate_counts_the_visitors_waiting_now_and_the_longest_wait() -> None:
    state = answer("queuestate", v="2")
    assert state["skills"], "the afternoon peak should have queues"
    for skill, values in state["skills"].items():
        size, longest = waiting_now(int(skill))
        assert values["currentQueueSize"] == size
        assert values["currentMaxWaitTimeInQueue"] == longest


def test_queuestate_totals_sum_the_skills_and_take_the_longest_wait() -> None:
    state = answer("queuestate", v="2")
    skills = list(state["skills"].values())
    assert state["totals"] == {
        "currentAvailableSlots": sum(v["currentAvailableSlots"] for v in skills),
        "currentQueueSize": sum(v["currentQueueSize"] for v in skills),
        "currentMaxWaitTimeInQueue": max(v["currentMaxWaitTimeInQueue"] for v in skills),
    }


def test_queuestate_version_one_has_the_shape_of_the_pages_example() -> None:
    state = answer("queuestate")
    documented = sample("queuestate_all")
    assert list(state) == list(documented)
    assert set(state["totals"]) == set(documented["totals"])


def test_queuestate_keeps_an_asked_skill_without_data_at_minus_one_out_of_the_totals() -> None:
    every = ",".join(str(s) for s in SMALL.skill_ids)
    state = answer("queuestate", now_ms=SMALL_NOW, center=SMALL, ops=SMALL_OPS,
                   skillIds=every + ",100")
    closed = [k for k, v in state["skills"].items() if v["currentQueueSize"] == -1]
    assert "100" in closed and len(closed) > 1, "the scenario should close some queue"
    assert all(v == {"currentAvailableSlots": -1, "currentQueueSize": -1}
               for k, v in state["skills"].items() if k in closed)
    open_ = [v for k, v in state["skills"].items() if k not in closed]
    assert state["totals"]["currentQueueSize"] == (
        sum(v["currentQueueSize"] for v in open_) if open_ else -1)
    every_open = answer("queuestate", now_ms=SMALL_NOW, center=SMALL, ops=SMALL_OPS)
    assert set(every_open["skills"]) == set(state["skills"]) - set(closed)


# -- sla -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def histogram() -> dict[str, Any]:
    return answer("sla", timeframe="1440", histogram="0,10,20,30,60,120,300")["slaDataRange"]


def test_sla_buckets_hold_the_chats_answered_in_the_window_by_their_wait(
        histogram: dict[str, Any]) -> None:
    window = query_window(now_ms=NOW_MS, timeframe=1440)
    chats = chats_in(window.start_ms, window.end_ms)
    answered = chats[chats.connect.between(window.start_ms, min(window.end_ms, VISIBLE_MS + 1)
                                           - 1)]
    waits = answered.wait // 1000
    bounds = [int(b) for b in histogram]
    assert bounds == [0, 10, 20, 30, 60, 120, 300]
    edges = [*bounds, np.inf]
    assert [v["chats"] for v in histogram.values()] == [
        int(((waits >= low) & (waits < high)).sum()) for low, high in itertools.pairwise(edges)]


def test_sla_shares_are_the_counts_over_their_total_and_accumulate(
        histogram: dict[str, Any]) -> None:
    counts = [v["chats"] for v in histogram.values()]
    total = sum(counts)
    running = np.cumsum(counts)
    for (values, below) in zip(histogram.values(), running, strict=True):
        assert values["percentageFromTotal"] == pytest.approx(values["chats"] / total, rel=1e-12)
        assert values["accumulated"] == pytest.approx(below / total, rel=1e-12)
    assert list(histogram.values())[-1]["accumulated"] == 1.0


def test_sla_counts_every_chat_queuehealth_counts_as_connected(
        histogram: dict[str, Any]) -> None:
    health = answer("queuehealth", timeframe="1440")
    assert sum(v["chats"] for v in histogram.values()) == (
        health["metricsTotals"]["connectedEng"])


def test_sla_by_skill_and_by_group_add_up_to_all(histogram: dict[str, Any]) -> None:
    def counts(**params: str) -> np.ndarray:
        body = answer("sla", timeframe="1440", histogram="0,10,20,30,60,120,300", **params)
        return np.array([v["chats"] for v in body["slaDataRange"].values()])

    every = np.array([v["chats"] for v in histogram.values()])
    by_skill = sum(counts(skillIds=str(s)) for s in CENTER.skill_ids)
    by_group = sum(counts(groupIds=g) for g in ("1", "2", "3"))
    assert (by_skill == every).all() and (by_group == every).all()
    assert (counts(groupIds="all") == every).all() and (counts(skillIds="all") == every).all()


def test_sla_without_chats_is_all_zeros() -> None:
    body = answer("sla", timeframe="60", skillIds="1")
    assert body["slaDataRange"] == {
        str(b): {"accumulated": 0.0, "percentageFromTotal": 0.0, "chats": 0}
        for b in (0, 15, 30, 45, 60, 90, 120)}


def test_sla_has_the_shape_of_the_pages_example() -> None:
    body = answer("sla", timeframe="60", histogram="0,5,10,20,30")
    documented = sample("sla")
    assert list(body) == list(documented)
    assert list(body["slaDataRange"]) == list(documented["slaDataRange"])
    assert {k: list(v) for k, v in body["slaDataRange"].items()} == {
        k: list(v) for k, v in documented["slaDataRange"].items()}


def test_the_same_seed_and_moment_give_the_same_answers() -> None:
    fresh = Center(seed=1)
    for method, params in (("queuehealth", {"timeframe": "60", "skillIds": "all"}),
                           ("sla", {"timeframe": "60"}), ("queuestate", {})):
        assert answer(method, center=fresh, ops=Operations(fresh), **params) == answer(
            method, **params)
