"""reconcile of the operational methods: the simulator's answers are clean, drift is found.

The simulator's answers (``tests/simfetch.py``, fetched at 09:54:11 UTC) hold every relation
the pages state, so reconcile finds nothing but rounding in them. Drift injected into one
value of the raw JSON is then a mismatch exactly where it was put (the relation, level,
period, skill or agent, state or bucket, and metric), and nowhere else; a change of the size
the API's rounding explains is rounding, never a mismatch:

- queuehealth (queue-health.md): a skill's count against the totals (and its intervals
  against its whole timeframe); an extreme (the totals' is the skills' summed, a skill's
  whole-timeframe maximum its intervals' largest); the averages against their sums
  (``avgTimeToAnswer`` in whole seconds, ``averageQueueSize`` to two decimals) and
  ``abandonmentRate`` against its counts;
- agentactivity (agent-activity.md): the states against Logged in and the Away reasons
  against Away, within the documented second a part; chatting + not chatting = the time in
  a state;
- sla (sla-histogram.md): ``percentageFromTotal`` = the bucket's chats over all,
  ``accumulated`` = the running sum of the chats over all;
- queuestate (current-queue-state.md): the totals are the skills' values summed, -1 left out.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe import sim
from tests.simfetch import BASE_MS, MINUTE, sim_client

AT = BASE_MS + 7 * MINUTE + 31_000  # 2026-11-25 09:54:11 UTC
#: Ten agents at 3000 chats a day: their breaks bring Away (with reasons).
BUSY = sim.CenterConfig(n_skills=3, n_agents=10, chats_per_day=3000)
#: Where a check is: the columns that say which value it is about.
PLACE = ("relation", "level", "span", "timestamp", "skill", "agent", "state", "away_reason",
         "bucket", "metric")
SAMPLES = engframe.__file__.rsplit("/", 2)[0] + "/data/samples/operational"


@pytest.fixture(scope="module")
def simulated() -> dict[str, dict[str, Any]]:
    with sim_client(AT, center=BUSY) as (_clock, client):
        answers = {
            "queuehealth": client.fetch(method="queuehealth", timeframe=120, interval=5,
                                        skills="all"),
            "agentactivity": client.fetch(method="agentactivity", timeframe=600, interval=5,
                                          agents="all"),
            "sla": client.fetch(method="sla", timeframe=600, skills="all"),
        }
    with sim_client(AT) as (_clock, client):  # the six-agent center has queues at 09:54
        answers["queuestate"] = client.fetch(method="queuestate", skills="all")
    return answers


def checks_of(envelope: dict[str, Any]) -> pd.DataFrame:
    return engframe.reconcile(engframe.flatten(envelope))


def places(checks: pd.DataFrame, status: str = "mismatch") -> set[tuple[Any, ...]]:
    """Each check of ``status`` as a tuple of its :data:`PLACE` columns (None where absent)."""
    hit = checks[checks["status"].astype(str) == status]
    out = set()
    for _, row in hit.iterrows():
        out.add(tuple(None if c not in row.index or pd.isna(row[c]) else
                      (str(row[c]) if c in ("relation", "level", "span", "metric", "state",
                                            "away_reason") else
                       int(row[c]) if c in ("skill", "agent", "bucket") else row[c])
                      for c in PLACE))
    return out


def place(relation: str, level: str, span: str, timestamp: Any, metric: str, *,
          skill: int | None = None, agent: int | None = None, state: str | None = None,
          away_reason: str | None = None, bucket: int | None = None) -> tuple[Any, ...]:
    stamp = None if timestamp is None else pd.Timestamp(timestamp, unit="ms", tz="UTC")
    return (relation, level, span, stamp, skill, agent, state, away_reason, bucket, metric)


def whole_end(envelope: dict[str, Any]) -> int:
    """The whole timeframe's end [epoch ms]: the newest interval's."""
    return max(i["timestamp"] for i in envelope["response"]["metricsByIntervals"])


# -- clean --------------------------------------------------------------------------------

EXPECTED = {
    "queuehealth": {"skills_vs_skills_total", "intervals_vs_timeframe", "average_vs_its_sums",
                    "ratio_vs_its_counts"},
    "agentactivity": {"states_vs_logged_in", "reasons_vs_away", "chatting_split",
                      "intervals_vs_timeframe"},
    "sla": {"accumulated_vs_chats"},
    "queuestate": {"skills_vs_skills_total"},
}


@pytest.mark.parametrize("method", list(EXPECTED))
def test_the_simulators_answers_reconcile_clean(simulated: dict[str, dict[str, Any]],
                                                method: str) -> None:
    checks = checks_of(simulated[method])
    assert (checks["method"].astype(str) == method).all()
    assert set(checks["status"].astype(str)) <= {"ok", "rounding"}
    assert set(checks["relation"].astype(str)) >= EXPECTED[method]


def test_queuestate_doc_example_with_a_skill_without_data_reconciles_clean() -> None:
    # queuestate_skills_1_100_v2.json: skill 100 is -1 everywhere, the totals are skill 1's
    checks = engframe.reconcile(engframe.flatten(f"{SAMPLES}/queuestate_skills_1_100_v2.json"))
    assert set(checks["status"].astype(str)) == {"ok"}
    assert set(checks["metric"].astype(str)) == {
        "currentAvailableSlots", "currentQueueSize", "currentMaxWaitTimeInQueue"}


# -- queuehealth ------------------------------------------------------------------------------

def _busy_interval(envelope: dict[str, Any], needs: str) -> tuple[int, str, dict[str, Any]]:
    """An interval (its position), a skill and that skill's metrics, with ``needs`` > 0."""
    for n, item in enumerate(envelope["response"]["metricsByIntervals"]):
        for skill, metrics in item["metricsData"]["skillsMetrics"].items():
            if metrics[needs] > 0:
                return n, skill, metrics
    raise AssertionError(f"no interval with {needs}")


def test_queue_count_of_a_skill_off_its_totals_is_a_mismatch_there(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["queuehealth"])
    n, skill, metrics = _busy_interval(envelope, "enteredQEng")
    metrics["enteredQEng"] += 3
    stamp = envelope["response"]["metricsByIntervals"][n]["timestamp"]
    assert places(checks_of(envelope)) == {
        place("skills_vs_skills_total", "skills_total", "interval", stamp, "enteredQEng"),
        # the skill's intervals no longer add up to its whole timeframe either
        place("intervals_vs_timeframe", "skill", "timeframe", whole_end(envelope),
              "enteredQEng", skill=int(skill)),
    }


def test_queue_wait_total_off_by_one_second_is_rounding(
        simulated: dict[str, dict[str, Any]]) -> None:
    # three skills' whole seconds: their sum may differ from the total's by a second
    envelope = copy.deepcopy(simulated["queuehealth"])
    n, _, _ = _busy_interval(envelope, "totalTimeToAnswer")
    item = envelope["response"]["metricsByIntervals"][n]
    item["metricsData"]["metricsTotals"]["totalTimeToAnswer"] += 1
    checks = checks_of(envelope)
    assert places(checks, "mismatch") == set()
    assert place("skills_vs_skills_total", "skills_total", "interval", item["timestamp"],
                 "totalTimeToAnswer") in places(checks, "rounding")
    item["metricsData"]["metricsTotals"]["totalTimeToAnswer"] += 4
    assert place("skills_vs_skills_total", "skills_total", "interval", item["timestamp"],
                 "totalTimeToAnswer") in places(checks_of(envelope))


def test_queue_extreme_of_a_skill_off_its_totals_and_its_intervals_is_a_mismatch(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["queuehealth"])
    response = envelope["response"]
    n, skill, metrics = _busy_interval(envelope, "maxQueueSize")
    metrics["maxQueueSize"] = response["skillsMetrics"][skill]["maxQueueSize"] + 2
    stamp = response["metricsByIntervals"][n]["timestamp"]
    assert places(checks_of(envelope)) == {
        # the totals' maximum is the skills' maxima summed
        place("skills_vs_skills_total", "skills_total", "interval", stamp, "maxQueueSize"),
        # the skill's whole-timeframe maximum is its intervals' largest
        place("intervals_vs_timeframe", "skill", "timeframe", whole_end(envelope),
              "maxQueueSize", skill=int(skill)),
    }


@pytest.mark.parametrize(("metric", "top", "bottom"), [
    ("averageQueueSize", "queueSizeSum", "queueSizeCount"),
    ("avgTimeToAnswer", "totalTimeToAnswer", "connectedEng"),
])
def test_queue_average_off_its_sums_is_a_mismatch_there(
        simulated: dict[str, dict[str, Any]], metric: str, top: str, bottom: str) -> None:
    envelope = copy.deepcopy(simulated["queuehealth"])
    n, skill, metrics = _busy_interval(envelope, top)
    metrics[metric] = metrics[top] / metrics[bottom] + 2.5
    stamp = envelope["response"]["metricsByIntervals"][n]["timestamp"]
    assert places(checks_of(envelope)) == {
        place("average_vs_its_sums", "skill", "interval", stamp, metric, skill=int(skill))}


@pytest.mark.parametrize(("metric", "shown"), [
    ("averageQueueSize", lambda value: round(value, 2)),  # two decimals
    ("avgTimeToAnswer", int),  # whole seconds, cut
])
def test_queue_average_shown_to_its_step_is_not_a_mismatch(
        simulated: dict[str, dict[str, Any]], metric: str, shown: Any) -> None:
    top, bottom = {"averageQueueSize": ("queueSizeSum", "queueSizeCount"),
                   "avgTimeToAnswer": ("totalTimeToAnswer", "connectedEng")}[metric]
    envelope = copy.deepcopy(simulated["queuehealth"])
    n, skill, metrics = _busy_interval(envelope, top)
    metrics[metric] = shown(metrics[top] / metrics[bottom])
    stamp = envelope["response"]["metricsByIntervals"][n]["timestamp"]
    checks = checks_of(envelope)
    assert places(checks) == set()
    found = checks[(checks["metric"] == metric) & (checks["skill"] == int(skill))
                   & (checks["timestamp"] == pd.Timestamp(stamp, unit="ms", tz="UTC"))]
    assert set(found["status"].astype(str)) <= {"ok", "rounding"} and len(found) == 1


def test_queue_abandonment_rate_off_its_counts_is_a_mismatch_and_two_decimals_are_not(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["queuehealth"])
    n, skill, metrics = _busy_interval(envelope, "abandonedEng")
    rate = metrics["abandonedEng"] / (metrics["abandonedEng"] + metrics["connectedEng"])
    stamp = envelope["response"]["metricsByIntervals"][n]["timestamp"]
    metrics["abandonmentRate"] = round(rate, 2)
    assert places(checks_of(envelope)) == set()
    metrics["abandonmentRate"] = round(rate, 2) + 0.05
    assert places(checks_of(envelope)) == {
        place("ratio_vs_its_counts", "skill", "interval", stamp, "abandonmentRate",
              skill=int(skill))}


def test_queue_doc_example_abandonment_rate_is_checked_against_its_counts() -> None:
    # queuehealth_skills.json: the skills' 2 / (2 + 3) and 3 / (3 + 2) are their 0.4 and 0.6;
    # the totals' 0.4 is not 4 / (4 + 5) (the README's list of the example's drift)
    checks = engframe.reconcile(engframe.flatten(f"{SAMPLES}/queuehealth_skills.json"))
    rate = checks[checks["relation"] == "ratio_vs_its_counts"]
    assert [(str(level), None if pd.isna(skill) else int(skill), str(status))
            for level, skill, status in zip(rate["level"], rate["skill"], rate["status"],
                                            strict=True)] == [
        ("skill", 199, "ok"), ("skill", 200, "ok"), ("skills_total", None, "mismatch")]
    assert rate["sum_of_parts"].tolist() == pytest.approx([0.4, 0.6, 4 / 9])


def test_a_ratio_exactly_half_a_step_off_is_rounding() -> None:
    # 3 of 24 abandoned: 0.125, which two decimals show as 0.12 (half to even) or 0.13
    for shown in (0.12, 0.13):
        totals = {"abandonedEng": 3, "connectedEng": 21, "abandonmentRate": shown}
        checks = engframe.reconcile(engframe.flatten({"metricsTotals": totals}))
        rate = checks[checks["relation"] == "ratio_vs_its_counts"]
        assert rate["status"].astype(str).tolist() == ["rounding"], shown


# -- agentactivity ----------------------------------------------------------------------------

def _states(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _agent_interval(envelope: dict[str, Any], state: int,
                    reasons: bool = False) -> tuple[int, str, dict[int, dict[str, Any]]]:
    """An interval's timestamp, an agent and its states, with time in ``state``."""
    for item in envelope["response"]["metricsByIntervals"]:
        for agent, items in item["metricsData"]["agentsMetrics"]["metricsPerAgent"].items():
            by_id = _states(items)
            if by_id[state]["value"]["total"] > 0 and (not reasons or by_id[state].get(
                    "reasons")):
                return item["timestamp"], agent, by_id
    raise AssertionError(f"no interval with time in state {state}")


@pytest.mark.parametrize(("added", "status"), [(3, "rounding"), (4, "mismatch")])
def test_a_state_off_logged_in_beyond_a_second_a_state_is_a_mismatch(
        simulated: dict[str, dict[str, Any]], added: int, status: str) -> None:
    # three states (Online, Back soon, Away), each rounded to the second on its own: their
    # sum may differ from Logged in by up to 3 s, not 4
    envelope = copy.deepcopy(simulated["agentactivity"])
    stamp, agent, by_id = _agent_interval(envelope, 2)
    online = by_id[2]["value"]
    online["total"] += added
    online["notChatting"] += added  # chatting + not chatting still make the total
    checks = checks_of(envelope)
    expected = {place("states_vs_logged_in", "agent", "interval", stamp, metric,
                      agent=int(agent), state="Logged in")
                for metric in ("total", "notChatting")}
    assert expected <= places(checks, status)
    assert places(checks) == (expected if status == "mismatch" else set())


def test_chatting_off_a_states_total_is_a_mismatch_at_that_state(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["agentactivity"])
    stamp, agent, by_id = _agent_interval(envelope, 2)
    by_id[2]["value"]["chatting"] += 5
    assert places(checks_of(envelope)) == {
        place("chatting_split", "agent", "interval", stamp, "total", agent=int(agent),
              state="Online"),
        # and Online's chatting no longer adds up with the other states' to Logged in's
        place("states_vs_logged_in", "agent", "interval", stamp, "chatting", agent=int(agent),
              state="Logged in"),
    }


def test_an_away_reason_off_away_is_a_mismatch_at_away(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["agentactivity"])
    stamp, agent, by_id = _agent_interval(envelope, 4, reasons=True)
    reason = by_id[4]["reasons"][0]
    reason["value"]["total"] += 50
    reason["value"]["notChatting"] += 50
    metrics = ("total", "notChatting")
    assert places(checks_of(envelope)) == {
        *(place("reasons_vs_away", "agent", "interval", stamp, metric, agent=int(agent),
                state="Away") for metric in metrics),
        # and the reason's intervals no longer add up to its whole timeframe
        *(place("intervals_vs_timeframe", "agent", "timeframe", whole_end(envelope), metric,
                agent=int(agent), state="Away", away_reason=str(reason["id"]))
          for metric in metrics)}


def test_the_checks_of_an_away_reason_name_it(simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["agentactivity"])
    stamp, agent, by_id = _agent_interval(envelope, 4, reasons=True)
    reason = by_id[4]["reasons"][0]
    reason["value"]["chatting"] += 5  # its chatting and not chatting no longer split it
    found = places(checks_of(envelope))
    assert place("chatting_split", "agent", "interval", stamp, "total", agent=int(agent),
                 state="Away", away_reason=str(reason["id"])) in found


# -- sla --------------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["accumulated", "percentageFromTotal"])
def test_a_share_off_the_chats_is_a_mismatch_at_its_bucket(
        simulated: dict[str, dict[str, Any]], metric: str) -> None:
    envelope = copy.deepcopy(simulated["sla"])
    buckets = envelope["response"]["slaDataRange"]
    assert sum(b["chats"] for b in buckets.values())
    buckets["30"][metric] += 0.05
    # the account's histogram: the whole window, at its end
    stamp = pd.Timestamp(engframe.flatten(envelope)["timestamp"].iloc[0])
    assert places(checks_of(envelope)) == {
        ("accumulated_vs_chats", "account", "timeframe", stamp, None, None, None, None, 30,
         metric)}


def test_a_share_rounded_to_a_float_is_not_a_mismatch(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["sla"])
    buckets = envelope["response"]["slaDataRange"]
    for bucket in buckets.values():  # as a 32-bit float shows them
        bucket["accumulated"] = float(np.float32(bucket["accumulated"]))
        bucket["percentageFromTotal"] = float(np.float32(bucket["percentageFromTotal"]))
    checks = checks_of(envelope)
    assert places(checks) == set() and len(checks) == 2 * len(buckets)


def test_chats_moved_between_buckets_is_a_mismatch_of_the_shares_between(
        simulated: dict[str, dict[str, Any]]) -> None:
    # a chat moved from bucket 15 to bucket 45: the total is unchanged, so only the shares
    # of those two buckets and the running shares from 15 up to (not including) 45 are off
    envelope = copy.deepcopy(simulated["sla"])
    buckets = envelope["response"]["slaDataRange"]
    assert buckets["15"]["chats"] > 0
    buckets["15"]["chats"] -= 1
    buckets["45"]["chats"] += 1
    found = {(p[8], p[9]) for p in places(checks_of(envelope))}
    assert found == {(15, "percentageFromTotal"), (45, "percentageFromTotal"),
                     (15, "accumulated"), (30, "accumulated")}


# -- queuestate -------------------------------------------------------------------------------

def test_a_queue_total_off_its_skills_is_a_mismatch(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["queuestate"])
    envelope["response"]["totals"]["currentAvailableSlots"] += 1
    stamp = pd.Timestamp(engframe.flatten(envelope)["timestamp"].iloc[0])
    assert places(checks_of(envelope)) == {
        ("skills_vs_skills_total", "skills_total", "snapshot", stamp, None, None, None, None,
         None, "currentAvailableSlots")}


def test_a_skill_without_data_is_left_out_of_the_queue_totals(
        simulated: dict[str, dict[str, Any]]) -> None:
    envelope = copy.deepcopy(simulated["queuestate"])
    response = envelope["response"]
    skill, values = next(iter(response["skills"].items()))
    for metric, value in values.items():
        if value != -1 and metric != "currentMaxWaitTimeInQueue":
            response["totals"][metric] -= value
    response["skills"][skill] = {metric: -1 for metric in values}
    others = [v["currentMaxWaitTimeInQueue"] for s, v in response["skills"].items()
              if s != skill and v["currentMaxWaitTimeInQueue"] != -1]
    response["totals"]["currentMaxWaitTimeInQueue"] = max(others, default=-1)
    assert places(checks_of(envelope)) == set()
