"""The Operational Realtime doc examples flatten and come back: every value, every key, in order.

Each JSON of ``data/samples/operational/`` (the examples of ``queue-health.md``,
``agent-activity.md``, ``sla-histogram.md`` and ``current-queue-state.md`` in
``LivePersonInc/developer-center``; the README there says which page and request each is)
is read by ``engframe.flatten`` and by ``engframe.load`` of the file, and ``engframe.unflatten``
of the frame gives the same JSON back: the same keys in the same order (a map of metrics
may come in the catalogue's order, as the typed fast paths read it), equal values. The one
change is the type of a whole number the page prints as an integer for a metric the catalogue
types as a float (``"averageQueueSize": 72``, sla's ``"accumulated": 1``): it comes back as
``72.0`` (the catalogue decides, so a history's files agree on the column's type); the tests
say which values those are.

The flattened values are checked against numbers read by hand from the files, and the -1
"no data" values as the catalogue says: kept in the frame (so the JSON comes back), never a
value for ``derive`` (a skill without data has none, and the totals leave it out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.methods import METHODS

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "operational"
FILES = sorted(p.name for p in SAMPLES.glob("*.json"))


def raw(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def differences(got: Any, expected: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Where two decoded JSON values differ, by JSON path: key order, lengths, types, values.

    A map of metrics may come back in the catalogue's order (the typed fast paths read
    them so; a JSON object's order means nothing): its keys are compared as a set."""
    if isinstance(got, dict) and isinstance(expected, dict):
        metrics = set(got) == set(expected) and all(is_metric(k) for k in got)
        if list(got) != list(expected) and not metrics:
            yield path, list(got), list(expected)
        for key in got.keys() & expected.keys():
            yield from differences(got[key], expected[key], f"{path}/{key}")
    elif isinstance(got, list) and isinstance(expected, list):
        if len(got) != len(expected):
            yield path, len(got), len(expected)
        for n, (a, b) in enumerate(zip(got, expected, strict=False)):
            yield from differences(a, b, f"{path}[{n}]")
    elif type(got) is not type(expected) or got != expected:
        yield path, got, expected


def is_metric(name: str) -> bool:
    return any(name in method.metric_map or name in method.synonyms
               for method in METHODS.values())


def is_float_metric(name: str) -> bool:
    return any(m.json_float for method in METHODS.values() for m in method.metrics
               if m.name == name)


def values(df: pd.DataFrame, **where: object) -> list[float]:
    hit = np.ones(len(df), bool)
    for column, value in where.items():
        hit &= df[column].astype(object).eq(value).fillna(False).to_numpy(bool)
    return df.loc[hit, "value"].tolist()


# -- every example round-trips --------------------------------------------------------------

@pytest.mark.parametrize("reader", ["flatten", "load"])
@pytest.mark.parametrize("name", FILES)
def test_each_doc_example_comes_back_from_its_frame(name: str, reader: str) -> None:
    df = getattr(engframe, reader)(SAMPLES / name)
    expected = raw(name)
    back = engframe.unflatten(df)
    assert back == expected  # equal values (72.0 == 72)
    for path, got, printed in differences(back, expected):
        # only a whole number printed as an int for a float metric comes back otherwise
        assert type(printed) is int and type(got) is float and got == printed, path
        assert is_float_metric(path.rsplit("/", 1)[1]), path


def test_queuehealth_whole_numbers_of_float_metrics_come_back_as_floats() -> None:
    # queuehealth_skills.json prints skill 199's "averageQueueSize": 72 (an int) where the
    # totals print 35.125: the catalogue types the metric a float, and so does unflatten
    back = engframe.unflatten(engframe.flatten(SAMPLES / "queuehealth_skills.json"))
    skill = back["skillsMetrics"]["199"]
    assert skill["averageQueueSize"] == 72 and type(skill["averageQueueSize"]) is float
    assert type(skill["avgTimeToAnswer"]) is int  # whole seconds: an int as printed


def test_sla_shares_printed_as_ints_come_back_as_fractions() -> None:
    # sla.json prints "accumulated": 1 and "percentageFromTotal": 0 beside 0.4 and 0.8
    back = engframe.unflatten(engframe.flatten(SAMPLES / "sla.json"))["slaDataRange"]
    assert back["20"]["accumulated"] == 1.0 and type(back["20"]["accumulated"]) is float
    assert type(back["20"]["chats"]) is int


def test_agentactivity_page_name_of_state_3_is_kept_while_the_frame_holds_it() -> None:
    # agentactivity.json names state 3 "Back in 5"; the frame's state column holds the
    # element table's "Back soon" and its attrs the page's names, which unflatten writes back
    df = engframe.flatten(SAMPLES / "agentactivity.json")
    assert set(df["state"].astype(str)) == {"Logged in", "Online", "Back soon", "Away"}
    back = engframe.unflatten(df)["agentsMetrics"]["metricsPerAgent"]["2"]
    assert [s["name"] for s in back] == ["Online", "Back in 5", "Away", "Logged in"]


def test_agentactivity_without_attrs_comes_back_with_the_catalogues_state_names() -> None:
    # a frame that lost its attrs (a parquet file read by another tool) keeps only the
    # catalogue's names: every value and state id still comes back
    df = engframe.flatten(SAMPLES / "agentactivity.json")
    df.attrs.clear()
    back = engframe.unflatten(df)["agentsMetrics"]["metricsPerAgent"]
    expected = raw("agentactivity.json")["agentsMetrics"]["metricsPerAgent"]
    for agent, states in expected.items():
        assert [s["id"] for s in back[agent]] == [s["id"] for s in states]
        assert [s["value"] for s in back[agent]] == [s["value"] for s in states]
        assert [s["name"] for s in back[agent]] == ["Online", "Back soon", "Away", "Logged in"]


def test_agentactivity_interval_example_keeps_its_empty_whole_timeframe() -> None:
    # agentactivity_intervals.json: "metricsPerAgent": {} for the whole timeframe
    back = engframe.unflatten(engframe.flatten(SAMPLES / "agentactivity_intervals.json"))
    assert back["agentsMetrics"] == {"metricsPerAgent": {}, "metricsTotals": []}
    stamps = [i["timestamp"] for i in back["metricsByIntervals"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first, as printed


def test_the_folder_loads_as_one_frame_whose_sources_each_come_back() -> None:
    # engframe.load of the folder keeps only the attrs every file shares: the page's name
    # of agentactivity's state 3 ("Back in 5") is one agentactivity's files alone hold, so
    # their states come back with the catalogue's names; every value and key comes back
    df = engframe.load(SAMPLES)
    assert set(df["method"].astype(str)) == {"queuehealth", "agentactivity", "sla",
                                             "queuestate"}
    assert sorted(df["source"].unique()) == FILES
    for name in FILES:
        back = engframe.unflatten(df[df["source"] == name])
        expected = raw(name)
        found = list(differences(back, expected))
        if name.startswith("agentactivity"):
            assert found and {(printed, got) for path, got, printed in found
                              if path.endswith("/name")} == {("Back in 5", "Back soon")}
            found = [d for d in found if not d[0].endswith("/name")]
        else:
            assert back == expected, name
        assert all(type(printed) is int and got == printed for _, got, printed in found), name


# -- flattened values, read by hand from the files -------------------------------------------

def test_queuehealth_skill_values_are_the_files() -> None:
    # queuehealth_skills.json: skill 200 has "abandonedEng": 3, "totalTimeToAbandon": 6666;
    # the totals' "maxQueueSize": 92
    df = engframe.flatten(SAMPLES / "queuehealth_skills.json")
    assert set(df["method"].astype(str)) == {"queuehealth"}
    assert values(df, skill=200, metric="abandonedEng", level="skill") == [3]
    assert values(df, skill=200, metric="totalTimeToAbandon") == [6666]
    assert values(df, metric="maxQueueSize", level="skills_total") == [92]
    assert values(df, metric="averageQueueSize", level="skills_total") == [35.125]
    assert set(df["span"].astype(str)) == {"timeframe"}


def test_queuehealth_interval_values_are_the_files() -> None:
    # queuehealth_skills_intervals.json, first interval (1465286700000 = 2016-06-07 08:05
    # UTC): skill 11 "averageQueueSize": 0.010390574264774098, "queueSizeSum": 112
    df = engframe.flatten(SAMPLES / "queuehealth_skills_intervals.json")
    first = df[df["timestamp"] == pd.Timestamp(1465286700000, unit="ms", tz="UTC")]
    assert values(first, skill=11, metric="averageQueueSize", span="interval") == [
        0.010390574264774098]
    assert values(first, skill=11, metric="queueSizeSum", span="interval") == [112]
    assert sorted(set(df["timestamp"].dropna())) == [
        pd.Timestamp(ms, unit="ms", tz="UTC")
        for ms in (1465286700000, 1465308300000, 1465329900000)]


def test_agentactivity_state_seconds_are_the_files() -> None:
    # agentactivity.json: agent 2 is Online 4714 s, Back in 5 2361 s chatting; Away has
    # reasons 2642559712 (72 s) and 2642559112 (53 s); Logged in 7200 s
    df = engframe.flatten(SAMPLES / "agentactivity.json")
    assert values(df, agent=2, state="Online", metric="total") == [4714]
    assert values(df, agent=2, state="Back soon", metric="chatting") == [2361]
    assert values(df, agent=2, state="Logged in", metric="total") == [7200]
    away = df[(df["agent"] == 2) & (df["metric"] == "total") & df["reason"].notna()]
    assert dict(zip(away["reason"].astype(str), away["value"], strict=True)) == {
        "2642559712": 72, "2642559112": 53}
    assert values(df, agent=3, state="Away", metric="total") == [0]
    assert df["reason"][df["agent"] == 3].isna().all()  # agent 3's Away has "reasons": []


def test_sla_bucket_values_are_the_files() -> None:
    # sla.json: bucket 5 holds 2 chats, "accumulated": 0.8; bucket 20 holds 1 chat
    df = engframe.flatten(SAMPLES / "sla.json")
    assert sorted(set(df["bucket"].astype(int))) == [0, 5, 10, 20, 30]
    assert values(df, bucket=5, metric="chats") == [2]
    assert values(df, bucket=5, metric="accumulated") == [0.8]
    assert values(df, bucket=20, metric="chats") == [1]
    assert sum(values(df, metric="chats")) == 5


def test_queuestate_v2_values_are_the_files() -> None:
    # queuestate_skills_1_100_v2.json: skill 1's "currentMaxWaitTimeInQueue": 65203 [ms]
    df = engframe.flatten(SAMPLES / "queuestate_skills_1_100_v2.json")
    assert values(df, skill=1, metric="currentMaxWaitTimeInQueue") == [65203]
    assert set(df["span"].astype(str)) == {"snapshot"}


# -- -1: no data ------------------------------------------------------------------------------

def test_queuestate_minus_one_is_kept_in_the_frame_and_no_value_for_derive() -> None:
    # queuestate_skills_1_100.json: skill 100 has -1 (no data) everywhere; totals are skill 1's
    df = engframe.flatten(SAMPLES / "queuestate_skills_1_100.json")
    assert values(df, skill=100, metric="currentQueueSize") == [-1]
    per_skill = engframe.derive(df, by="skill", metrics=["currentQueueSize"])
    got = dict(zip(per_skill["skill"].astype(int), per_skill["value"], strict=True))
    assert got[1] == 5 and np.isnan(got[100])
    total = engframe.derive(df, metrics=["currentQueueSize", "currentAvailableSlots"])
    assert total["value"].tolist() == [5, 5]


def test_queuestate_v2_longest_wait_total_leaves_out_no_data() -> None:
    df = engframe.flatten(SAMPLES / "queuestate_skills_1_100_v2.json")
    total = engframe.derive(df, metrics=["currentMaxWaitTimeInQueue"])
    assert total["value"].tolist() == [65203]


def test_queuehealth_current_values_of_intervals_are_no_data() -> None:
    # queuehealth_skills_intervals.json: "currentQueueSize": -1 in every interval; the whole
    # timeframe's skill 269364510 has 1, the totals 1
    df = engframe.flatten(SAMPLES / "queuehealth_skills_intervals.json")
    intervals = df[(df["span"] == "interval") & (df["metric"] == "currentQueueSize")]
    assert set(intervals["value"]) == {-1}
    per_interval = engframe.derive(df, by="timestamp", metrics=["currentQueueSize"])
    assert per_interval["value"].isna().all()
    whole = engframe.derive(df, by="skill", metrics=["currentQueueSize"])
    assert dict(zip(whole["skill"].astype(int), whole["value"], strict=True)) == {
        11: 0, 21: 0, 269364510: 1}


def test_queuehealth_skills_current_queue_is_read_under_the_element_tables_name() -> None:
    # queuehealth_skills.json: the skills send "currentQueueState": 78 and 14, the totals
    # "currentQueueSize": 92; asked by either name, each skill has its queue
    df = engframe.flatten(SAMPLES / "queuehealth_skills.json")
    for name in ("currentQueueSize", "currentQueueState"):
        out = engframe.derive(df, by="skill", metrics=[name])
        assert dict(zip(out["skill"].astype(int), out["value"], strict=True)) == {
            199: 78, 200: 14}, name
    assert engframe.derive(df, metrics=["currentQueueSize"])["value"].tolist() == [92]
