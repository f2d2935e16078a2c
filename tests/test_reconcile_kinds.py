"""engframe.reconcile checks the relations among a method's metrics, by kind.

- identities of the catalogue (``totalResolvedConversations`` = the three resolution types;
  ``total_answers`` = the answers 1 to 5; ``positive_answers`` = 4 + 5), row by row;
- averages and ratios against the ratio of their own sums, within the 32-bit float rounding
  the API shows (426 / 21 is sent as ``20.285715``);
- counts and duration totals still against their levels' totals; averages and ratios never.

The msgconversation page's example (``data/samples/messaging/msgconversation_doc.json``,
from LivePersonInc/developer-center ``pages/documents/data/messaging-operations/methods/
messaging-conversation.md``) does not add up: that is drift reconcile reports, never a crash.
"""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.reconcile import reconcile, summarize
from tests.conftest import SAMPLES_DIR

DOC = SAMPLES_DIR / "messaging" / "msgconversation_doc.json"
CSAT = SAMPLES_DIR / "messaging" / "msgcsatdistribution.json"


def checks_of(data: Any) -> pd.DataFrame:
    return reconcile(engframe.flatten(data))


def rows(checks: pd.DataFrame, relation: str, **where: object) -> pd.DataFrame:
    hit = (checks["relation"] == relation).to_numpy(bool)
    for column, value in where.items():
        hit = hit & checks[column].eq(value).fillna(False).to_numpy(bool)
    return checks[hit]


def test_the_doc_examples_parts_that_do_not_add_up_are_mismatches() -> None:
    checks = checks_of(DOC)
    # agent 2 on skill 3: 21 + 41 + 11 = 73 conversations, reported 103
    agent_2 = rows(checks, "resolved_by_type", level="skill_agent", agent=2)
    assert agent_2[["reported", "sum_of_parts", "parts"]].values.tolist() == [[103, 73, 3]]
    assert agent_2["status"].tolist() == ["mismatch"]
    assert agent_2["reason"].tolist() == ["parts short of the whole"]
    # agent 6: 215 resolved by the system out of a total of 0
    agent_6 = rows(checks, "resolved_by_type", level="skill_agent", agent=6)
    assert agent_6[["reported", "sum_of_parts"]].values.tolist() == [[0, 215]]
    # handling times: 426 + 1411 + 215 = 2052 s, reported 3248 s: far beyond the 1 s that
    # rounding explains for three parts
    times = rows(checks, "handling_time_by_type", level="agent", agent=2)
    assert times[["reported", "sum_of_parts", "tolerance"]].values.tolist() == [[3248, 2052, 1]]
    assert times["status"].tolist() == ["mismatch"]
    assert "mismatch" in summarize(checks)


def test_the_doc_examples_averages_are_their_sums_ratio_but_for_float_rounding() -> None:
    checks = rows(checks_of(DOC), "average_vs_its_sums")
    assert set(checks["status"].astype(str)) <= {"ok", "rounding"}
    ccp = rows(checks, "average_vs_its_sums", level="agent", agent=2,
               metric="avgTime_resolvedConversations_byCCP")
    assert ccp["reported"].tolist() == [20.285715]
    assert ccp["sum_of_parts"].tolist() == [pytest.approx(426 / 21)]
    # skill 3's 215 s over 226 conversations resolved by the system: 0.95132744
    system = rows(checks, "average_vs_its_sums", level="skill", skill=3,
                  metric="avgTime_resolvedConversations_bySystem")
    assert system["sum_of_parts"].tolist() == [pytest.approx(215 / 226)]
    assert system["status"].tolist() == ["rounding"]
    # agent 6's average over no conversations resolved by the agent is shown as 0
    empty = rows(checks, "average_vs_its_sums", agent=6,
                 metric="avgTime_resolvedConversations_byCCP")
    assert empty[["reported", "sum_of_parts", "status"]].values.tolist() == [[0.0, 0.0, "ok"]]


def test_averages_are_never_checked_against_levels() -> None:
    checks = checks_of(DOC)
    level_relations = checks[~checks["relation"].isin(
        ["average_vs_its_sums", "resolved_by_type", "handling_time_by_type"])]
    assert not level_relations["metric"].astype(str).str.startswith("avgTime").any()


def test_the_csat_sample_reconciles_clean() -> None:
    checks = reconcile(engframe.load(CSAT))
    assert set(checks["relation"].astype(str)) >= {
        "answers_by_score", "positive_by_score", "ratio_vs_its_counts", "skills_vs_skills_total",
        "skills_total_vs_agents_total", "skill_agents_vs_agent"}
    assert set(checks["status"].astype(str)) <= {"ok", "rounding"}
    assert not (checks["metric"] == "csat_score").to_numpy(bool)[
        ~checks["relation"].eq("ratio_vs_its_counts").to_numpy(bool)].any()


def _csat() -> dict[str, Any]:
    return json.loads(CSAT.read_text())


def _agent_2(data: dict[str, Any]) -> dict[str, Any]:
    return data["response"]["agentsMetrics"]["metricsPerAgent"]["2"]


@pytest.mark.parametrize(("change", "relation"), [
    ({"total_answers": 16}, "answers_by_score"),
    ({"csat_score4_answers": 5}, "positive_by_score"),
    ({"csat_score": 0.7}, "ratio_vs_its_counts"),
])
def test_drift_injected_into_each_csat_relation_is_a_mismatch(change: dict[str, Any],
                                                              relation: str) -> None:
    data = _csat()
    _agent_2(data).update(change)
    checks = rows(checks_of(data), relation, level="agent", agent=2)
    assert checks["status"].tolist() == ["mismatch"]


def test_a_float32_rounding_of_a_score_is_rounding_and_a_real_drift_a_mismatch() -> None:
    data = _csat()
    _agent_2(data)["csat_score"] = float(np.float32(10 / 15))  # 0.6666666865348816
    assert rows(checks_of(data), "ratio_vs_its_counts", level="agent", agent=2)[
        "status"].tolist() == ["rounding"]
    _agent_2(data)["csat_score"] = 0.6667  # four decimals: not what a float32 shows
    assert rows(checks_of(data), "ratio_vs_its_counts", level="agent", agent=2)[
        "reason"].tolist() == ["differs from the ratio of its sums"]


def _doc() -> dict[str, Any]:
    return copy.deepcopy(json.loads(DOC.read_text()))


def test_drift_injected_into_an_average_is_a_mismatch() -> None:
    data = _doc()
    data["agentsMetrics"]["metricsPerAgent"]["2"]["avgTime_resolvedConversations"] = 31.54
    checks = rows(checks_of(data), "average_vs_its_sums", level="agent", agent=2,
                  metric="avgTime_resolvedConversations")
    assert checks["status"].tolist() == ["mismatch"]


def test_handling_times_by_type_within_rounding_are_rounding() -> None:
    data = _doc()
    agent = data["agentsMetrics"]["metricsPerAgent"]["2"]
    agent["totalResolvedConversations"] = 73
    agent["totalHandlingTime_resolvedConversations"] = 2053  # 1 s over three rounded parts
    checks = checks_of(data)
    assert rows(checks, "resolved_by_type", level="agent", agent=2)["status"].tolist() == ["ok"]
    assert rows(checks, "handling_time_by_type", level="agent", agent=2)[
        "status"].tolist() == ["rounding"]


# -- the simulator's answers: clean, and drift injected into each relation is caught --------

@pytest.fixture(scope="module")
def simulated() -> dict[str, dict[str, Any]]:
    from tests.simfetch import BASE_MS, MINUTE, sim_client

    with sim_client(BASE_MS + 7 * MINUTE + 31_000) as (_clock, client):
        return {method: client.fetch(method=method, timeframe=60, skills="all", agents="all",
                                     **({"interval": 5} if method == "msgconversation" else {}))
                for method in ("msgconversation", "msgcsatdistribution")}


@pytest.mark.parametrize("method", ["msgconversation", "msgcsatdistribution"])
def test_the_simulators_answers_reconcile_clean(simulated: dict[str, dict[str, Any]],
                                                method: str) -> None:
    checks = checks_of(simulated[method])
    assert (checks["method"] == method).all()
    assert set(checks["status"].astype(str)) <= {"ok", "rounding"}
    expected = {"skills_vs_skills_total", "agents_vs_agents_total", "skill_agents_vs_skill",
                "skill_agents_vs_agent", "skills_total_vs_agents_total"}
    expected |= ({"resolved_by_type", "handling_time_by_type", "average_vs_its_sums",
                  "intervals_vs_timeframe"} if method == "msgconversation" else
                 {"answers_by_score", "positive_by_score", "ratio_vs_its_counts"})
    assert set(checks["relation"].astype(str)) >= expected


@pytest.mark.parametrize("rounding", ["nearest", "truncate"])
@pytest.mark.parametrize("method", ["msgconversation", "msgcsatdistribution"])
def test_checks_from_the_table_of_metric_maps_are_those_of_the_rows(
        simulated: dict[str, dict[str, Any]], method: str, rounding: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks between levels and spans read each metric summed once per metric map (the
    table the checks among a map's metrics need): summing the rows themselves instead gives
    the same checks, in the same order, to the bit."""
    data = copy.deepcopy(simulated[method])
    if method == "msgconversation":  # some drift, between levels and among metrics
        skill, agent = _busy(data["response"])
        for where in ("skill", "agent_time", "agent_average"):
            _inject(data["response"], where, skill, agent)
    frame = engframe.flatten(data)
    by_maps = reconcile(frame, rounding=rounding)
    assert (by_maps["status"] != "ok").any() or method != "msgconversation"
    monkeypatch.setattr(importlib.import_module("engframe.reconcile._levels"), "_map_check",
                        lambda *args: False)
    pd.testing.assert_frame_equal(reconcile(frame, rounding=rounding), by_maps,
                                  check_exact=True)


def _busy(response: dict[str, Any]) -> tuple[str, str]:
    """A skill and one of its agents with conversations the agent resolved."""
    for skill, block in response["skillsMetricsPerAgent"]["metricsPerSkill"].items():
        for agent, values in block["metricsPerAgent"].items():
            if skill != "-1" and values["resolvedConversations_byCCP"]:
                return skill, agent
    raise AssertionError("no busy agent")


def _inject(response: dict[str, Any], where: str, skill: str, agent: str) -> None:
    top_skills = response["skillsMetricsPerAgent"]
    top_agents = response["agentsMetrics"]
    if where == "agent_type":
        top_agents["metricsPerAgent"][agent]["resolvedConversations_byCCP"] += 5
    elif where == "agent_time":
        top_agents["metricsPerAgent"][agent]["totalHandlingTime_resolvedConversations"] += 900
    elif where == "agent_average":
        top_agents["metricsPerAgent"][agent]["avgTime_resolvedConversations_byCCP"] += 1.0
    elif where == "agents_total":
        top_agents["metricsTotals"]["resolvedConversations_bySystem"] += 4
    elif where == "skills_total":
        top_skills["metricsTotals"]["resolvedConversations_bySystem"] += 4
    elif where == "skill":
        top_skills["metricsPerSkill"][skill]["metricsTotals"]["resolvedConversations_byCCP"] += 3
    elif where == "skill_agent":
        top_skills["metricsPerSkill"][skill]["metricsPerAgent"][agent][
            "resolvedConversations_byConsumer"] += 3
    elif where == "interval":
        newest = response["metricsByIntervals"][0]["metricsData"]["agentsMetrics"]
        newest["metricsPerAgent"].setdefault(agent, {}).setdefault(
            "resolvedConversations_byCCP", 0)
        newest["metricsPerAgent"][agent]["resolvedConversations_byCCP"] += 2


@pytest.mark.parametrize(("where", "relation", "level", "at"), [
    ("agent_type", "resolved_by_type", "agent", "agent"),
    ("agent_time", "handling_time_by_type", "agent", "agent"),
    ("agent_average", "average_vs_its_sums", "agent", "agent"),
    ("agents_total", "agents_vs_agents_total", "agents_total", None),
    ("skills_total", "skills_vs_skills_total", "skills_total", None),
    ("skills_total", "skills_total_vs_agents_total", "agents_total", None),
    ("skill", "skill_agents_vs_skill", "skill", "skill"),
    ("skill_agent", "skill_agents_vs_agent", "agent", "agent"),
    ("interval", "intervals_vs_timeframe", "agent", "agent"),
])
def test_drift_injected_into_each_msgconversation_relation_is_a_mismatch(
        simulated: dict[str, dict[str, Any]], where: str, relation: str, level: str,
        at: str | None) -> None:
    envelope = copy.deepcopy(simulated["msgconversation"])
    skill, agent = _busy(envelope["response"])
    _inject(envelope["response"], where, skill, agent)
    place: dict[str, object] = {"level": level, "span": "timeframe"}
    if at is not None:
        place[at] = int(skill if at == "skill" else agent)
    found = rows(checks_of(envelope), relation, **place)
    assert "mismatch" in set(found["status"].astype(str)), found


# -- the dimension a check is about: agentactivity's state and Away reason, sla's bucket ------

OPERATIONAL = SAMPLES_DIR / "operational"


def test_checks_of_agentactivity_name_the_state_they_are_about() -> None:
    # agentactivity.json, agent 2: Away has "total": 0 but "notChatting": 125
    checks = checks_of(OPERATIONAL / "agentactivity.json")
    assert {"state", "away_reason"} <= set(checks.columns)
    split = rows(checks, "chatting_split", agent=2, status="mismatch")
    assert split["state"].tolist() == ["Away"]
    # a breakdown's check is its whole's: Logged in for the states, Away for its reasons
    assert set(rows(checks, "states_vs_logged_in")["state"].astype(str)) == {"Logged in"}
    assert set(rows(checks, "reasons_vs_away")["state"].astype(str)) == {"Away"}
    assert rows(checks, "reasons_vs_away")["away_reason"].isna().all()
    reason = rows(checks, "chatting_split", agent=2, away_reason="2642559712")
    assert reason[["state", "reported", "sum_of_parts"]].values.tolist() == [["Away", 72, 72]]


def test_checks_of_sla_name_their_bucket() -> None:
    # sla.json: buckets 0, 5, 10, 20 and 30, each with its two shares
    checks = checks_of(OPERATIONAL / "sla.json")
    assert sorted(checks["bucket"].astype(int).unique()) == [0, 5, 10, 20, 30]
    at_5 = rows(checks, "accumulated_vs_chats", bucket=5, metric="accumulated")
    assert at_5[["reported", "sum_of_parts"]].values.tolist() == [[0.8, pytest.approx(0.8)]]


def test_a_check_s_reason_is_still_why_its_status_is_what_it_is() -> None:
    checks = checks_of(OPERATIONAL / "agentactivity.json")
    assert set(checks["reason"].astype(str)) <= {
        "exact", "rounding", "parts exceed the whole", "parts short of the whole"}


def test_the_summary_names_the_state_or_bucket_of_the_worst_drift() -> None:
    line = summarize(checks_of(OPERATIONAL / "agentactivity.json"))
    assert "worst: reasons_vs_away total agent 2 state Away:" in line
    data = json.loads((OPERATIONAL / "sla.json").read_text())
    data["slaDataRange"]["20"]["chats"] = 3  # 2 + 2 + 0 + 3 + 0: every share is off
    assert "percentageFromTotal bucket 20:" in summarize(checks_of(data))
