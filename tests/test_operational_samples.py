"""The Operational Realtime doc examples: which documented relations hold in them, which do not.

The samples are the JSON examples of four pages of ``LivePersonInc/developer-center``
(``pages/documents/RealTimeData/OperationalRealtimeAPI/methods/`` and the older
``pages/documents/data/operational-realtime/methods/``): ``queue-health.md``,
``agent-activity.md``, ``sla-histogram.md``, ``current-queue-state.md``. Each file's page and
request are in ``data/samples/operational/README.md``, with the one fix made (the older SLA
page's prose inside its JSON). Where a page's example disagrees with the page, the test below
says so by asserting the disagreement: if a future copy of the docs fixes it, the test fails
and the README's list needs updating.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "operational"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.json"))


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def test_every_sample_is_listed_in_the_readme() -> None:
    readme = (SAMPLES / "README.md").read_text()
    assert NAMES and all(f"`{name}.json`" in readme for name in NAMES)


# -- queue-health.md --------------------------------------------------------------------------

def test_queuehealth_first_example_writes_the_current_queue_two_ways() -> None:
    body = sample("queuehealth_skills")
    assert all("currentQueueState" in m and "currentQueueSize" not in m
               for m in body["skillsMetrics"].values())
    assert "currentQueueSize" in body["metricsTotals"]


def test_queuehealth_first_example_average_answer_time_disagrees_with_its_calculation() -> None:
    body = sample("queuehealth_skills")
    for metrics in [*body["skillsMetrics"].values(), body["metricsTotals"]]:
        ratio = metrics["totalTimeToAnswer"] / metrics["connectedEng"]  # 7/3, 3/2, 10/5
        assert metrics["avgTimeToAnswer"] == 0 and ratio >= 1.5


def test_queuehealth_first_example_totals_abandoned_is_not_its_skills_sum() -> None:
    body = sample("queuehealth_skills")
    skills, totals = body["skillsMetrics"].values(), body["metricsTotals"]
    assert sum(m["abandonedEng"] for m in skills) == 5 and totals["abandonedEng"] == 4
    assert totals["abandonmentRate"] == 0.4  # neither 4 / (4 + 5) nor 5 / (5 + 5)
    for name in ("enteredQEng", "connectedEng", "totalTimeToAnswer", "totalTimeToAbandon",
                 "queueSizeSum", "queueSizeCount", "availableSlotsSum", "availableSlotsCount"):
        assert totals[name] == sum(m[name] for m in skills)


def test_queuehealth_first_example_skill_200_average_slots_is_not_sum_over_count() -> None:
    skill = sample("queuehealth_skills")["skillsMetrics"]["200"]
    assert skill["availableSlotsSum"] / skill["availableSlotsCount"] == 7
    assert skill["averageAvailableSlots"] == 25


def test_queuehealth_totals_extremes_are_the_skills_extremes_summed() -> None:
    for name in ("queuehealth_skills", "queuehealth_skills_intervals"):
        body = sample(name)
        blocks = [i["metricsData"] for i in body.get("metricsByIntervals", [])] + [body]
        for block in blocks:
            skills, totals = block["skillsMetrics"].values(), block["metricsTotals"]
            for metric in ("maxQueueSize", "minQueueSize", "maxAvailableSlots",
                           "minAvailableSlots"):
                assert totals[metric] == sum(m[metric] for m in skills)


def test_queuehealth_interval_example_skill_extremes_over_time_are_summed_not_taken() -> None:
    body = sample("queuehealth_skills_intervals")
    eleven = [i["metricsData"]["skillsMetrics"]["11"] for i in body["metricsByIntervals"]]
    assert [m["maxQueueSize"] for m in eleven] == [1, 2, 0]
    assert body["skillsMetrics"]["11"]["maxQueueSize"] == 3  # 1 + 2 + 0, not max = 2


def test_queuehealth_interval_example_adds_up_but_for_rounding() -> None:
    body = sample("queuehealth_skills_intervals")
    intervals = [i["metricsData"] for i in body["metricsByIntervals"]]
    off_by_one = {
        (0, "totals", "totalTimeToAnswer"), (2, "totals", "totalTimeToAbandon"),
        ("whole", "11", "totalTimeToAnswer"), ("whole", "21", "totalTimeToAbandon"),
    }
    found = set()
    for n, block in enumerate(intervals):
        for metric in ("totalTimeToAnswer", "totalTimeToAbandon", "enteredQEng",
                       "connectedEng", "abandonedEng", "queueSizeSum", "queueSizeCount"):
            parts = sum(m[metric] for m in block["skillsMetrics"].values())
            if parts != block["metricsTotals"][metric]:
                assert abs(parts - block["metricsTotals"][metric]) == 1
                found.add((n, "totals", metric))
    for skill, metrics in body["skillsMetrics"].items():
        for metric in ("totalTimeToAnswer", "totalTimeToAbandon", "enteredQEng"):
            parts = sum(b["skillsMetrics"][skill][metric] for b in intervals)
            if parts != metrics[metric]:
                assert abs(parts - metrics[metric]) == 1
                found.add(("whole", skill, metric))
    assert found == off_by_one


def test_queuehealth_interval_example_averages_of_interval_totals_are_whole_numbers() -> None:
    body = sample("queuehealth_skills_intervals")
    first = body["metricsByIntervals"][0]["metricsData"]["metricsTotals"]
    assert first["availableSlotsSum"] / first["availableSlotsCount"] == pytest.approx(4.8766, 1e-4)
    assert first["averageAvailableSlots"] == 4
    skill = body["skillsMetrics"]["11"]
    assert skill["averageQueueSize"] == skill["queueSizeSum"] / skill["queueSizeCount"]


def test_queuehealth_interval_example_comes_oldest_first() -> None:
    stamps = [i["timestamp"] for i in sample("queuehealth_skills_intervals")["metricsByIntervals"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


# -- agent-activity.md ------------------------------------------------------------------------

def states(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_agentactivity_agent_2_away_total_is_zero_with_125_seconds_of_reasons() -> None:
    agent = states(sample("agentactivity")["agentsMetrics"]["metricsPerAgent"]["2"])
    away = agent[4]
    assert away["value"]["total"] == 0 and away["value"]["notChatting"] == 125
    assert sum(r["value"]["total"] for r in away["reasons"]) == 125
    parts = sum(agent[s]["value"]["total"] for s in (2, 3, 4))
    assert parts == 7075 != agent[-1]["value"]["total"] == 7200
    assert sum(agent[s]["value"]["chatting"] for s in (2, 3, 4)) == 2361 != 2486


def test_agentactivity_agent_3_adds_up() -> None:
    agent = states(sample("agentactivity")["agentsMetrics"]["metricsPerAgent"]["3"])
    for measure in ("total", "chatting", "notChatting", "chattingInMaxConcurrency"):
        assert sum(agent[s]["value"][measure] for s in (2, 3, 4)) == agent[-1]["value"][measure]


def test_agentactivity_names_state_3_back_in_5_not_back_soon() -> None:
    for name in ("agentactivity", "agentactivity_intervals"):
        text = (SAMPLES / f"{name}.json").read_text()
        assert '"Back in 5"' in text and "Back soon" not in text


def test_agentactivity_interval_example_is_exactly_the_120_minutes_asked() -> None:
    body = sample("agentactivity_intervals")
    stamps = [i["timestamp"] for i in body["metricsByIntervals"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    for agent in ("2", "3"):
        logged = [states(i["metricsData"]["agentsMetrics"]["metricsPerAgent"][agent])[-1]
                  ["value"]["total"] for i in body["metricsByIntervals"]]
        assert logged == [3368, 3600, 232] and sum(logged) == 120 * 60


def test_agentactivity_interval_example_has_an_empty_whole_timeframe() -> None:
    body = sample("agentactivity_intervals")
    assert body["agentsMetrics"] == {"metricsPerAgent": {}, "metricsTotals": []}
    assert all(i["metricsData"]["agentsMetrics"]["metricsPerAgent"]
               for i in body["metricsByIntervals"])


def test_agentactivity_interval_example_states_add_up_but_do_not_all_split() -> None:
    body = sample("agentactivity_intervals")
    unsplit = []
    for n, interval in enumerate(body["metricsByIntervals"]):
        for agent, items in interval["metricsData"]["agentsMetrics"]["metricsPerAgent"].items():
            by_id = states(items)
            assert sum(by_id[s]["value"]["total"] for s in (2, 3, 4)) == (
                by_id[-1]["value"]["total"])
            unsplit += [(n, agent, i) for i, item in by_id.items()
                        if item["value"]["chatting"] + item["value"]["notChatting"]
                        != item["value"]["total"]]
    assert (0, "2", -1) in unsplit and (0, "3", 3) in unsplit and (2, "2", 2) in unsplit


def test_agentactivity_totals_are_an_empty_list() -> None:
    for name in ("agentactivity", "agentactivity_intervals"):
        body = sample(name)
        sections = [i["metricsData"] for i in body.get("metricsByIntervals", [])] + [body]
        assert all(s["agentsMetrics"]["metricsTotals"] == [] for s in sections)


# -- sla-histogram.md -------------------------------------------------------------------------

def test_sla_example_is_consistent() -> None:
    buckets = sample("sla")["slaDataRange"]
    assert list(buckets) == ["0", "5", "10", "20", "30"]  # histogram=0,5,10,20,30
    counts = [b["chats"] for b in buckets.values()]
    assert counts == [2, 2, 0, 1, 0]  # waits of 2, 2, 7, 7 and 27 seconds
    running = 0
    for bucket in buckets.values():
        running += bucket["chats"]
        assert bucket["percentageFromTotal"] == pytest.approx(bucket["chats"] / 5)
        assert bucket["accumulated"] == pytest.approx(running / 5)


# -- current-queue-state.md -------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("queuestate")])
def test_queuestate_totals_sum_the_skills_leaving_out_no_data(name: str) -> None:
    body = sample(name)
    skills = body["skills"].values()
    for metric in ("currentAvailableSlots", "currentQueueSize"):
        assert body["totals"][metric] == sum(s[metric] for s in skills if s[metric] != -1)
    if "currentMaxWaitTimeInQueue" in body["totals"]:  # version 2: the longest wait
        assert body["totals"]["currentMaxWaitTimeInQueue"] == max(
            s["currentMaxWaitTimeInQueue"] for s in skills)


def test_queuestate_pages_disagree_on_skill_4s_queue() -> None:
    older, newer = sample("queuestate_all_older_page"), sample("queuestate_all")
    assert older["skills"]["4"]["currentQueueSize"] == 20
    assert newer["skills"]["4"]["currentQueueSize"] == 0
