"""The operational methods fetched from the simulator at an odd moment derive to hand figures.

Fetched at 09:54:11 UTC (queuehealth and agentactivity: 600 minutes in 5-minute intervals,
so the window crosses midnight and its oldest and newest hours are partial; sla over the same
600 minutes; queuestate now), with the names and teams of the simulated Account Configuration
API. Every figure below is computed by hand from the saved envelopes with plain JSON: sums of
the numerator and of the denominator over the grain's group, divided last; never a sum or a
mean of the API's averages. The rules are the pages' (queue-health.md, agent-activity.md,
sla-histogram.md, current-queue-state.md in LivePersonInc/developer-center):

- queuehealth: speed of answer = totalTimeToAnswer / connectedEng, abandonment =
  abandonedEng / (abandonedEng + connectedEng), average queue size = queueSizeSum /
  queueSizeCount, average free slots = availableSlotsSum / availableSlotsCount; the minima
  and maxima are never added over time (a group of periods has their minimum or maximum);
- agentactivity: utilization = chatting / total of Logged in (state -1), saturation =
  chatting at maximum concurrency / chatting, each state's share = its total / Logged in's,
  per agent, team (the agent's group), skill (each agent counted under every skill it serves)
  and hour; by state and by reason each state's and reason's own times;
- sla: the service level within T = chats of the buckets below T / all chats, at each edge;
- queuestate: each skill's value now; -1 (no data) is never a value, and the totals leave it
  out.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe import sim
from engframe.errors import EngframeWarning, MetricError, OptionError
from engframe.names import spread_to_skills
from tests.simfetch import BASE_MS, HOUR, MINUTE, sim_client

AT = BASE_MS + 7 * MINUTE + 31_000  # 2026-11-25 09:54:11 UTC
DAY = 24 * HOUR
#: Ten agents at 3000 chats a day: their breaks bring Away (with reasons) and Back soon.
BUSY = sim.CenterConfig(n_skills=3, n_agents=10, chats_per_day=3000)
QUEUE_RATIOS = {
    "avgTimeToAnswer": ("totalTimeToAnswer", ("connectedEng",)),
    "avgTimeToAbandon": ("totalTimeToAbandon", ("abandonedEng",)),
    "abandonmentRate": ("abandonedEng", ("abandonedEng", "connectedEng")),
    "averageQueueSize": ("queueSizeSum", ("queueSizeCount",)),
    "averageAvailableSlots": ("availableSlotsSum", ("availableSlotsCount",)),
}
STATES = {-1: "Logged in", 2: "Online", 3: "Back soon", 4: "Away"}
STATE_RATIOS = {  # metric: (numerator (measure, state id), denominator (measure, state id))
    "utilization": (("chatting", -1), ("total", -1)),
    "saturation": (("chattingInMaxConcurrency", -1), ("chatting", -1)),
    "onlineShare": (("total", 2), ("total", -1)),
    "backSoonShare": (("total", 3), ("total", -1)),
    "awayShare": (("total", 4), ("total", -1)),
}

Pairs = dict[Any, list[float]]


def _response(folder: Path, method: str) -> dict[str, Any]:
    (path,) = folder.glob(f"{method}_*.json")
    envelope: dict[str, Any] = json.loads(path.read_text())
    return envelope["response"]


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = tmp_path_factory.mktemp("raw")
    with sim_client(AT, center=BUSY, save_raw=raw) as (_clock, client):
        frames = {
            "queuehealth": client.frame(method="queuehealth", timeframe=600, interval=5,
                                        skills="all", names=True),
            "agentactivity": client.frame(method="agentactivity", timeframe=600, interval=5,
                                          agents="all", names=True),
            "sla": client.frame(method="sla", timeframe=600, skills="all"),
        }
    (names,) = raw.rglob("names_*.json")
    agents = json.loads(names.read_text())["agents"]
    return {**{f"{m}_frame": df for m, df in frames.items()},
            **{f"{m}_raw": _response(raw, m) for m in frames},
            "groups": {a["agent"]: a["agent_group"] for a in agents},
            "agents": pd.DataFrame(agents)}


@pytest.fixture(scope="module")
def queues_now(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """queuestate at 09:54:11 in the six-agent center: all skills, then each skill by id."""
    raw = tmp_path_factory.mktemp("state")
    with sim_client(AT, save_raw=raw) as (_clock, client):
        every = client.frame(method="queuestate", skills="all")
        health = client.frame(method="queuehealth", timeframe=60, skills="all")
        asked = sorted(int(s) for s in set(health["skill"].dropna()))
        by_id = client.frame(method="queuestate", skills=asked)
    answers = [json.loads(p.read_text()) for p in sorted(raw.glob("queuestate_*.json"))]
    responses = {e["request"]["skillIds"]: e["response"] for e in answers}
    return {"all": every, "by_id": by_id, "all_raw": responses["all"],
            "by_id_raw": responses[",".join(map(str, asked))]}


def got(out: pd.DataFrame, metric: str, key: str | Callable[[pd.Series], Any]) -> dict[Any, float]:
    rows = out[out["metric"] == metric]
    keys = rows.apply(key, axis=1) if callable(key) else rows[key].astype(object)
    return {k: float(v) for k, v in zip(keys, rows["value"], strict=True) if pd.notna(v)}


def ratio(pairs: Pairs) -> dict[Any, float]:
    """Sum of numerators over sum of denominators per key; no value where none was counted."""
    return {k: n / d for k, (n, d) in pairs.items() if d}


def add(pairs: Pairs, key: Any, numerator: float, denominator: float) -> None:
    pairs[key][0] += numerator
    pairs[key][1] += denominator


def pairs() -> Pairs:
    return defaultdict(lambda: [0.0, 0.0])


def stamp_ms(value: Any) -> int:
    return int(pd.Timestamp(value).timestamp() * 1000)


def hour_of(end_ms: int) -> int:
    return (end_ms - 1) // HOUR * HOUR  # a 5-minute interval lies inside its last instant's hour


def day_of(end_ms: int) -> int:
    return (end_ms - 1) // DAY * DAY


def at(column: str) -> Callable[[pd.Series], int]:
    return lambda row: stamp_ms(row[column])


# -- queuehealth ----------------------------------------------------------------------------

def queue_pairs(blocks: Iterable[tuple[Any, dict[str, Any]]], metric: str) -> Pairs:
    top, bottom = QUEUE_RATIOS[metric]
    out = pairs()
    for key, values in blocks:
        add(out, key, values[top], sum(values[b] for b in bottom))
    return out


def interval_totals(raw: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(i["timestamp"], i["metricsData"]["metricsTotals"]) for i in raw["metricsByIntervals"]]


@pytest.mark.parametrize("metric", list(QUEUE_RATIOS))
def test_queue_ratios_over_the_whole_window_and_per_skill(fetched: dict[str, Any],
                                                          metric: str) -> None:
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    whole = ratio(queue_pairs([("all", raw["metricsTotals"])], metric))
    assert got(engframe.derive(df, metrics=[metric]), metric, lambda _: "all") == (
        pytest.approx(whole, rel=1e-12))
    skills = ratio(queue_pairs(((int(s), v) for s, v in raw["skillsMetrics"].items()), metric))
    assert len(skills) >= 2 or metric in ("avgTimeToAbandon",)
    assert got(engframe.derive(df, by="skill", metrics=[metric]), metric, "skill") == (
        pytest.approx(skills, rel=1e-12))


@pytest.mark.parametrize("metric", list(QUEUE_RATIOS))
def test_queue_ratios_per_interval_hour_and_day(fetched: dict[str, Any], metric: str) -> None:
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    totals = interval_totals(raw)
    stamps = ratio(queue_pairs(totals, metric))
    hours = ratio(queue_pairs(((hour_of(t), v) for t, v in totals), metric))
    days = ratio(queue_pairs(((day_of(t), v) for t, v in totals), metric))
    assert len({hour_of(t) for t, _ in totals}) == 11  # 23:55 to 09:55: ten hours and a bit
    assert len({day_of(t) for t, _ in totals}) == 2
    out = engframe.derive(df, by="timestamp", metrics=[metric])
    assert got(out, metric, at("timestamp")) == pytest.approx(stamps, rel=1e-12)
    out = engframe.derive(df, by="hour", metrics=[metric])
    assert got(out, metric, at("hour")) == pytest.approx(hours, rel=1e-12)
    out = engframe.derive(df, by="day", metrics=[metric])
    assert got(out, metric, at("day")) == pytest.approx(days, rel=1e-12)


@pytest.mark.parametrize("metric", ["avgTimeToAnswer", "abandonmentRate", "averageQueueSize"])
def test_queue_ratios_per_skill_and_hour(fetched: dict[str, Any], metric: str) -> None:
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    blocks = [((int(skill), hour_of(item["timestamp"])), values)
              for item in raw["metricsByIntervals"]
              for skill, values in item["metricsData"]["skillsMetrics"].items()]
    hand = ratio(queue_pairs(blocks, metric))
    out = engframe.derive(df, by=["skill", "hour"], metrics=[metric])
    assert got(out, metric, lambda row: (int(row["skill"]), stamp_ms(row["hour"]))) == (
        pytest.approx(hand, rel=1e-12))


def test_queue_ratios_are_not_the_mean_of_the_apis_averages(fetched: dict[str, Any]) -> None:
    # a guard that the hand figures above test something: in some hours the mean of the
    # API's per-interval speeds of answer is not the hour's speed of answer
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    shown: dict[int, list[int]] = defaultdict(list)
    for end, values in interval_totals(raw):
        if values["connectedEng"]:
            shown[hour_of(end)].append(values["avgTimeToAnswer"])
    out = got(engframe.derive(df, by="hour", metrics=["avgTimeToAnswer"]), "avgTimeToAnswer",
              at("hour"))
    assert max(abs(sum(v) / len(v) - out[h]) for h, v in shown.items()) > 1


def extremes(groups: dict[Any, list[int]], best: Callable[..., int]) -> dict[Any, float]:
    """Each group's minimum or maximum, -1 ("no data") left out; none for a group of -1."""
    return {key: best(known) for key, values in groups.items()
            if (known := [v for v in values if v != -1])}


@pytest.mark.parametrize(("metric", "best"), [
    ("maxQueueSize", max), ("minQueueSize", min),
    ("maxAvailableSlots", max), ("minAvailableSlots", min)])
def test_queue_extremes_are_taken_over_time_never_added(fetched: dict[str, Any], metric: str,
                                                        best: Callable[..., int]) -> None:
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    per_hour: dict[int, list[int]] = defaultdict(list)
    per_skill_hour: dict[tuple[int, int], list[int]] = defaultdict(list)
    for item in raw["metricsByIntervals"]:
        data = item["metricsData"]
        per_hour[hour_of(item["timestamp"])].append(data["metricsTotals"][metric])
        for skill, values in data["skillsMetrics"].items():
            per_skill_hour[(int(skill), hour_of(item["timestamp"]))].append(values[metric])
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngframeWarning)  # one series a group: a value each
        out = engframe.derive(df, by="hour", metrics=[metric])
        assert got(out, metric, at("hour")) == extremes(per_hour, best)
        out = engframe.derive(df, by=["skill", "hour"], metrics=[metric])
        assert got(out, metric, lambda row: (int(row["skill"]), stamp_ms(row["hour"]))) == (
            extremes(per_skill_hour, best))
        out = engframe.derive(df, by="timestamp", metrics=[metric])
        assert got(out, metric, at("timestamp")) == extremes(
            {t: [v[metric]] for t, v in interval_totals(raw)}, best)
        out = engframe.derive(df, by="skill", metrics=[metric])  # the API's whole window
        assert got(out, metric, "skill") == extremes(
            {int(s): [v[metric]] for s, v in raw["skillsMetrics"].items()}, best)
    if metric == "maxQueueSize":  # the hours where adding would have differed
        assert any(sum(v) != max(v) for v in per_hour.values())
    assert any(-1 in v for v in per_skill_hour.values())  # no data, left out above


def test_queue_extremes_across_skills_and_hours_have_no_value(fetched: dict[str, Any]) -> None:
    # several skills' maxima over several periods: neither their sum nor their maximum is
    # the queue's maximum (the skills' queues peak at different times); no value, a warning
    with pytest.warns(EngframeWarning, match="maxQueueSize.*never added up"):
        out = engframe.derive(fetched["queuehealth_frame"], by="hour", level="skill",
                              metrics=["maxQueueSize"])
    assert out["value"].isna().all()


def test_queue_current_values_are_no_data_in_intervals(fetched: dict[str, Any]) -> None:
    # "currentQueueSize" is -1 in every interval: never a value; the whole window has one
    df, raw = fetched["queuehealth_frame"], fetched["queuehealth_raw"]
    assert {v["currentQueueSize"] for _, v in interval_totals(raw)} == {-1}
    out = engframe.derive(df, by="timestamp", metrics=["currentQueueSize"])
    assert out["value"].isna().all()
    out = engframe.derive(df, metrics=["currentQueueSize", "currentAvailableSlots"])
    whole = raw["metricsTotals"]
    expected = {m: whole[m] for m in ("currentQueueSize", "currentAvailableSlots")
                if whole[m] != -1}
    assert {m: v for m, v in zip(out["metric"].astype(str), out["value"], strict=True)
            if pd.notna(v)} == expected


# -- agentactivity --------------------------------------------------------------------------

def state_times(items: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
    """A state list's times by state id (never by position)."""
    return {item["id"]: item["value"] for item in items}


def agent_pairs(per_agent: dict[str, list[dict[str, Any]]], metric: str,
                key: Callable[[int], Any]) -> Pairs:
    (top, top_state), (bottom, bottom_state) = STATE_RATIOS[metric]
    out = pairs()
    for agent, items in per_agent.items():
        times = state_times(items)
        add(out, key(int(agent)), times[top_state][top], times[bottom_state][bottom])
    return out


@pytest.mark.parametrize("metric", list(STATE_RATIOS))
def test_agent_ratios_per_agent_team_and_overall(fetched: dict[str, Any], metric: str) -> None:
    df, raw = fetched["agentactivity_frame"], fetched["agentactivity_raw"]
    per_agent = raw["agentsMetrics"]["metricsPerAgent"]
    groups = fetched["groups"]
    for grain, key in (("agent", lambda a: a), ("agent_group", lambda a: groups[a]),
                       ((), lambda a: "all")):
        hand = ratio(agent_pairs(per_agent, metric, key))
        assert hand, (metric, grain)
        out = engframe.derive(df, by=grain, metrics=[metric])
        column: str | Callable[[pd.Series], Any] = grain if grain else (lambda _: "all")
        assert got(out, metric, column) == pytest.approx(hand, rel=1e-12), grain


def test_agent_states_beyond_online_are_present(fetched: dict[str, Any]) -> None:
    # a guard: the shares of Away and Back soon are tested on time actually spent there
    out = engframe.derive(fetched["agentactivity_frame"], metrics=["awayShare", "backSoonShare"])
    assert (out["value"] > 0).all()


@pytest.mark.parametrize("metric", ["utilization", "saturation", "awayShare"])
def test_agent_ratios_per_hour_and_day(fetched: dict[str, Any], metric: str) -> None:
    df, raw = fetched["agentactivity_frame"], fetched["agentactivity_raw"]
    hours, days, teams_hours = pairs(), pairs(), pairs()
    groups = fetched["groups"]
    for item in raw["metricsByIntervals"]:
        per_agent = item["metricsData"]["agentsMetrics"]["metricsPerAgent"]
        end = item["timestamp"]
        for key, value in agent_pairs(per_agent, metric, lambda a: a).items():
            add(hours, hour_of(end), *value)
            add(days, day_of(end), *value)
            add(teams_hours, (groups[key], hour_of(end)), *value)
    out = engframe.derive(df, by="hour", metrics=[metric])
    assert got(out, metric, at("hour")) == pytest.approx(ratio(hours), rel=1e-12)
    out = engframe.derive(df, by="day", metrics=[metric])
    assert got(out, metric, at("day")) == pytest.approx(ratio(days), rel=1e-12)
    out = engframe.derive(df, by=["agent_group", "hour"], metrics=[metric])
    assert got(out, metric, lambda row: (row["agent_group"], stamp_ms(row["hour"]))) == (
        pytest.approx(ratio(teams_hours), rel=1e-12))


def test_agent_times_by_state_are_each_states_own(fetched: dict[str, Any]) -> None:
    df, raw = fetched["agentactivity_frame"], fetched["agentactivity_raw"]
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for items in raw["agentsMetrics"]["metricsPerAgent"].values():
        for state, times in state_times(items).items():
            for measure, seconds in times.items():
                totals[STATES[state]][measure] += seconds
    out = engframe.derive(df, by="state", metrics=["total", "chatting", "utilization"])
    assert got(out, "total", "state") == {s: t["total"] for s, t in totals.items()}
    assert got(out, "chatting", "state") == {s: t["chatting"] for s, t in totals.items()}
    # utilization by state: the share of each state's own time spent chatting
    assert got(out, "utilization", "state") == pytest.approx(
        {s: t["chatting"] / t["total"] for s, t in totals.items() if t["total"]}, rel=1e-12)


@pytest.mark.parametrize("by", ["state", ["agent", "state"], "reason"])
def test_state_shares_are_not_split_by_state(fetched: dict[str, Any], by: Any) -> None:
    # once each state's time over itself: onlineShare 1.0 for every state, in silence
    df = fetched["agentactivity_frame"]
    out = engframe.derive(df, by=by)
    assert not {"onlineShare", "backSoonShare", "awayShare"} & set(out["metric"].astype(str))
    assert "utilization" in set(out["metric"].astype(str))
    with pytest.raises(MetricError, match="'awayShare' compare one state's time with another"):
        engframe.derive(df, by=by, metrics=["utilization", "awayShare"])


def test_agent_times_by_reason_are_each_away_reasons_own(fetched: dict[str, Any]) -> None:
    df, raw = fetched["agentactivity_frame"], fetched["agentactivity_raw"]
    reasons = pairs()
    for items in raw["agentsMetrics"]["metricsPerAgent"].values():
        for item in items:
            for reason in item.get("reasons", []):
                add(reasons, str(reason["id"]), reason["value"]["chatting"],
                    reason["value"]["total"])
    assert reasons
    out = engframe.derive(df, by="reason", metrics=["total", "utilization"])
    assert got(out, "total", lambda row: str(row["reason"])) == {
        r: total for r, (_, total) in reasons.items()}
    assert got(out, "utilization", lambda row: str(row["reason"])) == pytest.approx(
        ratio(reasons), rel=1e-12)


def test_agent_ratios_per_skill_count_each_agent_under_every_skill_it_serves(
        fetched: dict[str, Any]) -> None:
    df, raw = fetched["agentactivity_frame"], fetched["agentactivity_raw"]
    agents = fetched["agents"]
    serves = {int(a): [int(s) for s in str(ids).split(",")]
              for a, ids in zip(agents["agent"], agents["skill_ids"], strict=True)
              if isinstance(ids, str) and ids}
    assert any(len(s) > 1 for s in serves.values())  # some agents serve several skills
    per_skill, logged = pairs(), defaultdict[int, float](float)
    for agent, items in raw["agentsMetrics"]["metricsPerAgent"].items():
        whole = state_times(items)[-1]
        for skill in serves.get(int(agent), []):
            add(per_skill, skill, whole["chatting"], whole["total"])
            logged[skill] += whole["total"]
    spread = spread_to_skills(df, agents)
    out = engframe.derive(spread, by="skill", metrics=["utilization", "loggedIn"])
    assert got(out, "utilization", "skill") == pytest.approx(ratio(per_skill), rel=1e-12)
    assert got(out, "loggedIn", "skill") == dict(logged)


# -- sla ------------------------------------------------------------------------------------

def hand_service_level(buckets: dict[str, dict[str, Any]], within: int) -> float:
    chats = {int(bound): b["chats"] for bound, b in buckets.items()}
    return sum(n for bound, n in chats.items() if bound < within) / sum(chats.values())


def test_service_level_at_every_edge_is_the_chats_below_it(fetched: dict[str, Any]) -> None:
    buckets = fetched["sla_raw"]["slaDataRange"]
    edges = sorted(int(b) for b in buckets if int(b) > 0)
    assert edges == [15, 30, 45, 60, 90, 120]  # the API's default histogram
    curve = engframe.service_level(fetched["sla_frame"])
    assert curve["within"].tolist() == edges
    assert dict(zip(curve["within"], curve["value"], strict=True)) == pytest.approx(
        {t: hand_service_level(buckets, t) for t in edges}, rel=1e-12)
    total = sum(b["chats"] for b in buckets.values())
    assert set(curve["chats"]) == {total}


def test_service_level_is_the_previous_buckets_accumulated_share(
        fetched: dict[str, Any]) -> None:
    # the page's running share of the bucket below T is the service level within T
    buckets = fetched["sla_raw"]["slaDataRange"]
    bounds = sorted(int(b) for b in buckets)
    level = engframe.service_level(fetched["sla_frame"], within=bounds[1:])
    for (lower, upper), value in zip(itertools.pairwise(bounds), level["value"], strict=True):
        assert value == pytest.approx(buckets[str(lower)]["accumulated"], rel=1e-9), upper


def test_a_threshold_off_the_edges_is_refused_with_the_edges(fetched: dict[str, Any]) -> None:
    with pytest.raises(OptionError, match=r"within=20 s is not a bucket edge.*"
                                          r"the edges are 15, 30, 45, 60, 90, 120$"):
        engframe.service_level(fetched["sla_frame"], within=20)


def test_sla_chats_per_bucket_add_up_by_derive(fetched: dict[str, Any]) -> None:
    buckets = fetched["sla_raw"]["slaDataRange"]
    out = engframe.derive(fetched["sla_frame"], by="bucket", metrics=["chats"])
    assert got(out, "chats", lambda row: int(row["bucket"])) == {
        int(b): v["chats"] for b, v in buckets.items()}


@pytest.fixture(scope="module")
def moving() -> Any:
    """A client of the six-agent center whose clock the tests move (hypothesis's moments)."""
    with sim_client(AT) as (clock, client):
        yield clock, client


@settings(max_examples=12)
@given(minute=st.integers(0, 24 * 60 - 1), second=st.integers(0, 59),
       edges=st.lists(st.integers(1, 24).map(lambda k: 5 * k), min_size=1, max_size=5,
                      unique=True))
def test_service_level_at_any_moment_and_histogram(moving: Any, minute: int, second: int,
                                                   edges: list[int]) -> None:
    clock, client = moving
    clock.set(BASE_MS + minute * MINUTE + second * 1000)
    histogram = [0, *sorted(edges)]
    envelope = client.fetch(method="sla", timeframe=120, histogram=histogram)
    buckets = envelope["response"]["slaDataRange"]
    assert sorted(int(b) for b in buckets) == histogram
    if not sum(b["chats"] for b in buckets.values()):
        return  # a quiet night: no chats, no service level
    level = engframe.service_level(engframe.flatten(envelope))
    assert dict(zip(level["within"], level["value"], strict=True)) == pytest.approx(
        {t: hand_service_level(buckets, t) for t in sorted(edges)}, rel=1e-12)


@settings(max_examples=10)
@given(minute=st.integers(0, 24 * 60 - 1), second=st.integers(0, 59))
def test_queue_ratios_per_hour_at_any_moment(moving: Any, minute: int, second: int) -> None:
    clock, client = moving
    clock.set(BASE_MS + minute * MINUTE + second * 1000)
    envelope = client.fetch(method="queuehealth", timeframe=90, interval=5, skills="all")
    df = engframe.flatten(envelope)
    totals = interval_totals(envelope["response"])
    for metric in ("avgTimeToAnswer", "abandonmentRate", "averageQueueSize"):
        hand = ratio(queue_pairs(((hour_of(t), v) for t, v in totals), metric))
        out = engframe.derive(df, by="hour", metrics=[metric])
        assert got(out, metric, at("hour")) == pytest.approx(hand, rel=1e-12), metric


@settings(max_examples=10)
@given(minute=st.integers(0, 24 * 60 - 1), second=st.integers(0, 59))
def test_agent_utilization_per_agent_and_hour_at_any_moment(moving: Any, minute: int,
                                                            second: int) -> None:
    clock, client = moving
    clock.set(BASE_MS + minute * MINUTE + second * 1000)
    envelope = client.fetch(method="agentactivity", timeframe=90, interval=5, agents="all")
    df = engframe.flatten(envelope)
    hours = pairs()
    for item in envelope["response"]["metricsByIntervals"]:
        per_agent = item["metricsData"]["agentsMetrics"]["metricsPerAgent"]
        for value in agent_pairs(per_agent, "utilization", lambda a: a).values():
            add(hours, hour_of(item["timestamp"]), *value)
    agents = ratio(agent_pairs(envelope["response"]["agentsMetrics"]["metricsPerAgent"],
                               "utilization", lambda a: a))
    out = engframe.derive(df, by="agent", metrics=["utilization"])
    assert got(out, "utilization", "agent") == pytest.approx(agents, rel=1e-12)
    out = engframe.derive(df, by="hour", metrics=["utilization"])
    assert got(out, "utilization", at("hour")) == pytest.approx(ratio(hours), rel=1e-12)


# -- queuestate -----------------------------------------------------------------------------

def test_queue_now_per_skill_is_the_answers(queues_now: dict[str, Any]) -> None:
    raw = queues_now["all_raw"]
    assert raw["skills"]  # someone is logged in at 09:54:11
    out = engframe.derive(queues_now["all"], by="skill",
                          metrics=["currentQueueSize", "currentAvailableSlots"])
    for metric in ("currentQueueSize", "currentAvailableSlots"):
        assert got(out, metric, "skill") == {
            int(s): v[metric] for s, v in raw["skills"].items() if v[metric] != -1}


def test_queue_now_totals_leave_out_skills_without_data(queues_now: dict[str, Any]) -> None:
    raw = queues_now["by_id_raw"]
    without = [s for s, v in raw["skills"].items() if v["currentQueueSize"] == -1]
    assert without and len(without) < len(raw["skills"])  # a skill nobody serves now
    df = queues_now["by_id"]
    out = engframe.derive(df, metrics=["currentQueueSize", "currentAvailableSlots"])
    for metric in ("currentQueueSize", "currentAvailableSlots"):
        hand = sum(v[metric] for v in raw["skills"].values() if v[metric] != -1)
        assert got(out, metric, lambda _: "all") == {"all": hand}
    per_skill = engframe.derive(df, by="skill", metrics=["currentQueueSize"])
    assert per_skill.loc[per_skill["skill"].astype(str).isin(without), "value"].isna().all()


def test_queue_now_longest_wait_total_is_the_skills_longest(queues_now: dict[str, Any]) -> None:
    raw = queues_now["by_id_raw"]
    waits = [v["currentMaxWaitTimeInQueue"] for v in raw["skills"].values()
             if v["currentMaxWaitTimeInQueue"] != -1]
    out = engframe.derive(queues_now["by_id"], metrics=["currentMaxWaitTimeInQueue"])
    assert got(out, "currentMaxWaitTimeInQueue", lambda _: "all") == (
        {"all": max(waits)} if waits else {})
