"""The typed fast path for intervals gives exactly the rows of the general path.

Bytes in the API's exact shape take :mod:`engframe.flatten._typed`; a dict, or any interval that
strays from that shape, takes the general path. These tests hold both to the same result.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe import sim
from engframe.flatten._typed import typed_interval
from engframe.flatten._typed_queues import typed_queues
from engframe.schema import METRICS

KEY = ["span", "timestamp", "level", "skill", "agent", "metric"]


def metrics(rng: np.random.Generator, names: tuple[str, ...] = METRICS) -> dict[str, int]:
    return {name: int(rng.integers(0, 5000)) for name in names}


def section(rng: np.random.Generator, skills: list[int], agents: list[int]) -> dict:
    return {
        "skillsMetricsPerAgent": {
            "metricsPerSkill": {
                str(s): {"metricsPerAgent": {str(a): metrics(rng) for a in agents[i::2]},
                         "metricsTotals": metrics(rng)}
                for i, s in enumerate(skills)
            },
            "metricsTotals": metrics(rng),
        },
        "agentsMetrics": {"metricsPerAgent": {str(a): metrics(rng) for a in agents},
                          "metricsTotals": metrics(rng)},
    }


def response(seed: int = 0, intervals: int = 6, *, unassigned: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    skills = [2_152_260_212 + 7 * i for i in range(3)]
    if unassigned:
        skills[0] = -1
    agents = [3_705_342_610 + 11 * i for i in range(8)]
    body = section(rng, skills, agents)
    body["metricsByIntervals"] = [
        {"timestamp": 1_795_000_200_000 - i * 3_600_000,
         "metricsData": section(rng, skills, agents)}
        for i in range(intervals)
    ]
    return body


def both_paths(given: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engframe.EngframeWarning)
        fast = engframe.flatten(json.dumps(given).encode())
        general = engframe.flatten(given)
    return fast, general


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_values(KEY).reset_index(drop=True),
                                  b.sort_values(KEY).reset_index(drop=True))


def spy_on_fast_path(monkeypatch) -> list[bool]:
    """Record, for each interval, whether the fast path converted it."""
    flatten_module = sys.modules["engframe.flatten._core"]
    taken: list[bool] = []

    def spy(raw, metrics, method="engactivity"):
        result = typed_interval(raw, metrics, method)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(flatten_module, "typed_interval", spy)
    return taken


def test_the_usual_shape_gives_identical_frames(monkeypatch):
    taken = spy_on_fast_path(monkeypatch)
    fast, general = both_paths(response())
    assert taken == [True] * 6
    pd.testing.assert_frame_equal(fast, general)
    # per section: 4 + 4 + 3 agents in skills, 3 skill totals, 1 skills total,
    # 8 agents, 1 agents total = 24 metric maps of 5 values; 6 intervals + the timeframe
    assert len(fast) == 24 * 5 * 7


def test_metrics_in_another_order_keep_their_names():
    given = response(1)
    first = given["metricsByIntervals"][0]["metricsData"]["agentsMetrics"]["metricsTotals"]
    given["metricsByIntervals"][0]["metricsData"]["agentsMetrics"]["metricsTotals"] = dict(
        reversed(list(first.items())))
    fast, general = both_paths(given)
    same_rows(fast, general)


@pytest.mark.parametrize("stray", ["unknown_member", "unknown_metric", "missing_metric",
                                   "spelling", "leading_zero_id"])
def test_an_interval_that_strays_from_the_usual_shape_gives_the_same_rows(stray):
    given = response(2)
    data = given["metricsByIntervals"][3]["metricsData"]
    agents = data["agentsMetrics"]["metricsPerAgent"]
    if stray == "unknown_member":
        data["queueHealth"] = {"waiting": 3}
    elif stray == "unknown_metric":
        next(iter(agents.values()))["avgWaitTime"] = 9
    elif stray == "missing_metric":
        del next(iter(agents.values()))["connectedEngagements"]
    elif stray == "spelling":
        data["skillsMetrics"] = data.pop("skillsMetricsPerAgent")
    else:
        key = next(iter(agents))
        agents["00" + key] = agents.pop(key)
    fast, general = both_paths(given)
    same_rows(fast, general)


@pytest.mark.parametrize(("key", "bad"), [("agent", "+5"), ("agent", "5.0"),
                                          ("agent", str(2**63)), ("agent", str(-(2**63) - 1)),
                                          ("value", 2**63), ("value", True), ("value", "7")])
def test_bad_input_in_a_usual_interval_is_named_by_the_general_path(key, bad):
    given = response(3)
    agents = given["metricsByIntervals"][2]["metricsData"]["agentsMetrics"]["metricsPerAgent"]
    first = next(iter(agents))
    if key == "agent":
        agents[bad] = agents.pop(first)
        where = f'metricsByIntervals[2].metricsData.agentsMetrics.metricsPerAgent["{bad}"]'
    else:
        agents[first]["totalHandlingTime"] = bad
        where = (f'metricsByIntervals[2].metricsData.agentsMetrics.metricsPerAgent["{first}"]'
                 ".totalHandlingTime")
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(json.dumps(given).encode())
    assert caught.value.path == where


def test_an_interval_timestamp_out_of_range_is_named():
    given = response(4)
    given["metricsByIntervals"][1]["timestamp"] = -60_000
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(json.dumps(given).encode())
    assert caught.value.path == "metricsByIntervals[1].timestamp"


def test_the_unassigned_skill_minus_one_takes_the_fast_path(monkeypatch):
    taken = spy_on_fast_path(monkeypatch)
    fast, general = both_paths(response(5, unassigned=True))
    assert taken == [True] * 6
    pd.testing.assert_frame_equal(fast, general)
    assert (fast["skill"] == -1).any()


def test_an_interval_with_a_float_gives_the_same_rows_as_the_general_path():
    given = response(6)
    given["metricsByIntervals"][4]["metricsData"]["agentsMetrics"]["metricsTotals"][
        "totalHandlingTime"] = 12.5
    fast, general = both_paths(given)
    assert fast["value"].dtype == np.float64
    pd.testing.assert_frame_equal(fast, general)


def test_a_repeated_metric_in_a_usual_interval_is_not_collapsed_by_the_fast_path():
    text = json.dumps(response(7))
    first = text.index('"totalHandlingTime": ', text.index("metricsByIntervals"))
    data = (text[:first] + '"totalHandlingTime": 1, ' + text[first:]).encode()
    with pytest.raises(engframe.ResponseError, match="each key once"):
        engframe.flatten(data)


# -- other methods: structs made from the catalogue -------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "data" / "samples" / "messaging" / (
    "msgconversation_doc.json")


def test_a_messaging_response_takes_its_own_fast_path_with_the_same_rows(monkeypatch):
    # the page's example (LivePersonInc/developer-center, messaging-conversation.md) as the
    # data of three intervals: averages written 0 (integers) beside 20.285715
    data = json.loads(DOC.read_text())
    given = {"metricsByIntervals": [{"timestamp": 1_795_000_200_000 - k * 300_000,
                                     "metricsData": data} for k in range(3)], **data}
    taken = spy_on_fast_path(monkeypatch)
    fast, general = both_paths(given)
    # the first interval tries engactivity's structs first (a bare response names no
    # method), then msgconversation's; every later interval takes msgconversation's
    assert taken == [False, True, True, True]
    pd.testing.assert_frame_equal(fast, general)
    assert fast["value"].dtype == np.float64
    assert fast.attrs["float_metrics"] == general.attrs["float_metrics"]
    assert engframe.unflatten(fast) == given


def test_a_count_sent_as_a_float_leaves_the_fast_path_with_the_same_rows(monkeypatch):
    data = json.loads(DOC.read_text())
    odd = json.loads(json.dumps(data))
    odd["agentsMetrics"]["metricsTotals"]["totalResolvedConversations"] = 103.5
    given = {"metricsByIntervals": [{"timestamp": 1_795_000_200_000, "metricsData": odd}],
             **data}
    fast, general = both_paths(given)
    same_rows(fast, general)


# -- queuehealth: its own shape, its structs made from the catalogue ---------------------------

def queue_answer() -> dict:
    """The simulator's queuehealth answer: 3 skills, 2 hours in 30-minute intervals."""
    center = sim.Center(seed=2, config=sim.CenterConfig(n_skills=3, n_agents=6,
                                                        chats_per_day=20_000))
    query = sim.parse_ops_query("queuehealth", {"v": "1", "timeframe": "120", "interval": "30",
                                                "skillIds": "all"})
    return sim.build_ops_response(center, sim.Operations(center), query,
                                  now_ms=1_795_638_544_123)


def spy_on_queues_path(monkeypatch) -> list[bool]:
    """Record, for each queuehealth interval, whether its fast path converted it."""
    flatten_module = sys.modules["engframe.flatten._core"]
    taken: list[bool] = []

    def spy(raw, metrics):
        result = typed_queues(raw, metrics)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(flatten_module, "typed_queues", spy)
    return taken


def test_a_queuehealth_answer_takes_its_fast_path_with_identical_frames(monkeypatch):
    given = queue_answer()
    taken = spy_on_queues_path(monkeypatch)
    fast, general = both_paths(given)
    assert taken == [True] * len(given["metricsByIntervals"])
    pd.testing.assert_frame_equal(fast, general)
    assert set(fast["level"]) == {"skill", "skills_total"}
    assert fast.attrs["float_metrics"] == general.attrs["float_metrics"]


@pytest.mark.parametrize("stray", ["other_spelling", "count_as_float", "unknown_metric",
                                   "missing_metric", "leading_zero_id", "totals_alone",
                                   "metricsTotal"])
def test_a_queuehealth_interval_that_strays_gives_the_same_rows(monkeypatch, stray):
    given = queue_answer()
    data = given["metricsByIntervals"][2]["metricsData"]
    skills = data["skillsMetrics"]
    first = next(iter(skills))
    if stray == "other_spelling":  # the page's first example's name of the queue now
        skills[first]["currentQueueState"] = skills[first].pop("currentQueueSize")
    elif stray == "count_as_float":
        skills[first]["connectedEng"] = 3.0
    elif stray == "unknown_metric":
        skills[first]["longestWait"] = 9
    elif stray == "missing_metric":
        del data["metricsTotals"]["queueSizeSum"]
    elif stray == "leading_zero_id":
        skills["00" + first] = skills.pop(first)
    elif stray == "totals_alone":  # an account's answer: level account, not skills_total
        del data["skillsMetrics"]
    else:
        data["metricsTotal"] = data.pop("metricsTotals")
    taken = spy_on_queues_path(monkeypatch)
    fast, general = both_paths(given)
    assert taken[:2] == [True, True]
    assert taken[2] is (stray == "totals_alone")
    same_rows(fast, general)


def test_a_repeated_queuehealth_metric_is_not_collapsed_by_the_fast_path():
    text = json.dumps(queue_answer())
    first = text.index('"connectedEng": ', text.index("metricsByIntervals"))
    data = (text[:first] + '"connectedEng": 1, ' + text[first:]).encode()
    with pytest.raises(engframe.ResponseError, match="each key once"):
        engframe.flatten(data)


@pytest.mark.parametrize("bad", [True, "7", 2**63])
def test_a_bad_queuehealth_value_is_named_by_the_general_path(bad):
    given = queue_answer()
    skills = given["metricsByIntervals"][1]["metricsData"]["skillsMetrics"]
    first = next(iter(skills))
    skills[first]["enteredQEng"] = bad
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.flatten(json.dumps(given).encode())
    assert caught.value.path == (f'metricsByIntervals[1].metricsData.skillsMetrics["{first}"]'
                                 ".enteredQEng")
