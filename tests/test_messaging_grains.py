"""Messaging fetched from the simulator at an odd moment derives to hand-computed ratios.

A fetch at 09:54:11 (its window 06:50 to 09:55, its oldest and newest hours partial) of
msgconversation (5-minute intervals) and msgcsatdistribution (no intervals), skills and
agents, with the names and teams of the simulated Account Configuration API. Every figure
below is computed by hand from the saved envelopes (plain JSON): sums of the numerator and
of the denominator over the grain's group, divided last; never a sum or mean of the API's
``avgTime_*`` or ``csat_score``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import engframe
from tests.simfetch import BASE_MS, HOUR, MINUTE, sim_client

AT = BASE_MS + 7 * MINUTE + 31_000  # 2026-11-25 09:54:11 UTC
BY = ("byCCP", "byConsumer", "bySystem")


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = tmp_path_factory.mktemp("raw")
    with sim_client(AT, save_raw=raw) as (_clock, client):
        msg = client.frame(method="msgconversation", timeframe=180, interval=5,
                           skills="all", agents="all", names=True)
        csat = client.frame(method="msgcsatdistribution", timeframe=180, skills="all",
                            agents="all", names=True)

    def response(method: str) -> dict[str, Any]:
        (path,) = raw.glob(f"{method}_*.json")
        envelope: dict[str, Any] = json.loads(path.read_text())
        return envelope["response"]

    (names,) = raw.rglob("names_*.json")
    groups = {a["agent"]: a["agent_group"] for a in json.loads(names.read_text())["agents"]}
    return {"msg": msg, "csat": csat, "msg_raw": response("msgconversation"),
            "csat_raw": response("msgcsatdistribution"), "groups": groups}


def got(out: pd.DataFrame, metric: str, key: str | Callable[[pd.Series], Any]) -> dict[Any, float]:
    rows = out[out["metric"] == metric]
    keys = rows.apply(key, axis=1) if callable(key) else rows[key].astype(object)
    return {k: float(v) for k, v in zip(keys, rows["value"], strict=True) if pd.notna(v)}


def ratio(pairs: dict[Any, list[float]]) -> dict[Any, float]:
    """Sum of numerators over sum of denominators per key; no value where none was counted."""
    return {k: n / d for k, (n, d) in pairs.items() if d}


def add(pairs: dict[Any, list[float]], key: Any, numerator: float, denominator: float) -> None:
    pairs[key][0] += numerator
    pairs[key][1] += denominator


def stamp_ms(value: Any) -> int:
    return int(pd.Timestamp(value).timestamp() * 1000)


@pytest.mark.parametrize("by", BY)
def test_aht_per_resolution_type_per_agent_skill_and_team(fetched: dict[str, Any],
                                                          by: str) -> None:
    msg, raw = fetched["msg"], fetched["msg_raw"]
    count, total = f"resolvedConversations_{by}", f"totalHandlingTime_resolvedConversations_{by}"
    metric = f"avgTime_resolvedConversations_{by}"
    per_agent = raw["agentsMetrics"]["metricsPerAgent"]
    agents: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    teams: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for agent, values in per_agent.items():
        add(agents, int(agent), values[total], values[count])
        add(teams, fetched["groups"][int(agent)], values[total], values[count])
    skills: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for skill, block in raw["skillsMetricsPerAgent"]["metricsPerSkill"].items():
        add(skills, int(skill), block["metricsTotals"][total], block["metricsTotals"][count])
    assert ratio(agents) and ratio(teams) and ratio(skills)
    for grain, hand in (("agent", agents), ("skill", skills), ("agent_group", teams)):
        out = engframe.derive(msg, by=grain, metrics=[metric])
        assert got(out, metric, grain) == pytest.approx(ratio(hand), rel=1e-12), grain


def test_hours_days_and_intervals_in_utc_and_in_india(fetched: dict[str, Any]) -> None:
    msg, raw = fetched["msg"], fetched["msg_raw"]
    metric = "avgTime_resolvedConversations"
    total, count = "totalHandlingTime_resolvedConversations", "totalResolvedConversations"
    hours: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    india: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    stamps: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    day: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    shift = 5 * HOUR + 30 * MINUTE
    for item in raw["metricsByIntervals"]:
        end, totals = item["timestamp"], item["metricsData"]["skillsMetricsPerAgent"][
            "metricsTotals"]
        # a 5-minute bucket lies inside the hour of its last instant
        add(hours, (end - 1) // HOUR * HOUR, totals[total], totals[count])
        add(india, (end - 1 + shift) // HOUR * HOUR - shift, totals[total], totals[count])
        add(stamps, end, totals[total], totals[count])
        add(day, "2026-11-25", totals[total], totals[count])
    assert len(ratio(hours)) == 4  # 06:50-07:00 and 09:00-09:55 are partial hours

    def at(column: str) -> Callable[[pd.Series], int]:
        return lambda row: stamp_ms(row[column])

    out = engframe.derive(msg, by="hour", metrics=[metric])
    assert got(out, metric, at("hour")) == pytest.approx(ratio(hours), rel=1e-12)
    out = engframe.derive(msg, by="hour", tz="Asia/Kolkata", metrics=[metric])
    assert got(out, metric, at("hour")) == pytest.approx(ratio(india), rel=1e-12)
    out = engframe.derive(msg, by="timestamp", metrics=[metric])
    assert got(out, metric, at("timestamp")) == pytest.approx(ratio(stamps), rel=1e-12)
    out = engframe.derive(msg, by="day", metrics=[metric])
    assert got(out, metric, lambda row: str(row["day"].date())) == pytest.approx(
        ratio(day), rel=1e-12)


def test_resolution_mix_per_skill_and_hour_adds_to_one(fetched: dict[str, Any]) -> None:
    msg, raw = fetched["msg"], fetched["msg_raw"]
    hand: dict[str, dict[Any, list[float]]] = {b: defaultdict(lambda: [0.0, 0.0]) for b in BY}
    for item in raw["metricsByIntervals"]:
        end = item["timestamp"]
        for skill, block in item["metricsData"]["skillsMetricsPerAgent"][
                "metricsPerSkill"].items():
            values = block["metricsTotals"]
            resolved = sum(values[f"resolvedConversations_{b}"] for b in BY)
            for b in BY:
                add(hand[b], (int(skill), (end - 1) // HOUR * HOUR),
                    values[f"resolvedConversations_{b}"], resolved)
    out = engframe.derive(msg, by=["skill", "hour"],
                          metrics=[f"resolutionShare_{b}" for b in BY])
    shares = {b: got(out, f"resolutionShare_{b}",
                     lambda row: (int(row["skill"]), stamp_ms(row["hour"]))) for b in BY}
    for b in BY:
        assert shares[b] == pytest.approx(ratio(hand[b]), rel=1e-12)
    for key in shares["byCCP"]:
        assert sum(shares[b][key] for b in BY) == pytest.approx(1.0)


def test_csat_and_its_distribution_per_skill_agent_and_team(fetched: dict[str, Any]) -> None:
    csat, raw = fetched["csat"], fetched["csat_raw"]
    wanted = ["csat_score", *(f"csatShare_score{k}" for k in range(1, 6))]
    numerators = {"csat_score": "positive_answers",
                  **{f"csatShare_score{k}": f"csat_score{k}_answers" for k in range(1, 6)}}
    per_agent = raw["agentsMetrics"]["metricsPerAgent"]
    per_skill = raw["skillsMetricsPerAgent"]["metricsPerSkill"]
    for metric in wanted:
        top = numerators[metric]
        hand: dict[str, dict[Any, list[float]]] = {
            g: defaultdict(lambda: [0.0, 0.0]) for g in ("agent", "skill", "agent_group")}
        for agent, values in per_agent.items():
            add(hand["agent"], int(agent), values[top], values["total_answers"])
            add(hand["agent_group"], fetched["groups"][int(agent)], values[top],
                values["total_answers"])
        for skill, block in per_skill.items():
            add(hand["skill"], int(skill), block["metricsTotals"][top],
                block["metricsTotals"]["total_answers"])
        for grain, pairs in hand.items():
            out = engframe.derive(csat, by=grain, metrics=[metric])
            assert ratio(pairs), (metric, grain)
            assert got(out, metric, grain) == pytest.approx(ratio(pairs), rel=1e-12)


def test_csat_has_no_hours_its_window_straddles(fetched: dict[str, Any]) -> None:
    with pytest.raises(engframe.FrameError, match="do not lie inside one hour"):
        engframe.derive(fetched["csat"], by="hour", metrics=["csat_score"])


def test_the_derived_units_are_the_catalogues(fetched: dict[str, Any]) -> None:
    out = engframe.derive(fetched["msg"], by="skill")
    units = out.attrs["units"]
    assert units["avgTime_resolvedConversations_byCCP"] == "s"
    assert units["resolutionShare_bySystem"] == "fraction"
    assert engframe.derive(fetched["csat"], by="skill").attrs["units"]["csat_score"] == (
        "fraction")


def test_the_bare_response_derives_as_the_fetched_frame(fetched: dict[str, Any]) -> None:
    # the method inferred from the metric names: the same defaults, the same figures
    again = engframe.derive(engframe.flatten(fetched["msg_raw"]), by="skill")
    direct = engframe.derive(fetched["msg"], by="skill")
    key = ["skill", "metric"]
    pd.testing.assert_series_equal(
        again.sort_values(key)["value"].reset_index(drop=True),
        direct.sort_values(key)["value"].reset_index(drop=True))
