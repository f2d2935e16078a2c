"""A history of the operational methods: one root, a table set each, sums that stay right.

queuehealth, agentactivity, sla and queuestate are synced from the simulator
(``tests/simfetch.py``: the simulator and the client read one manual clock) into one root,
in one turn each time, at 09:54:11 and 40 minutes later: the two fetches of queuehealth and
agentactivity overlap (the second starts before the first's newest, still filling bucket),
sla's windows follow each other, queuestate is a snapshot a turn. Every figure is computed by
hand from the raw envelopes the client saved (plain JSON):

- a bucket of queuehealth or agentactivity counts once, with the values of the newest fetch
  that saw it whole (its start inside the fetch's window, its end before the fetch), or
  of the newest fetch at all where none did;
- sla's windows add up bucket by bucket;
- queuestate's snapshots are kept apart, each as it came; they never reach the interval
  tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.history import MANIFEST_NAME, export, read_dataset
from engframe.sync import sync
from tests.simfetch import BASE_MS, MINUTE, sim_client

AT = BASE_MS + 7 * MINUTE + 31_000  # 2026-11-25 09:54:11 UTC
LATER = AT + 40 * MINUTE
BUCKET = 5 * MINUTE
OPERATIONAL = ["queuehealth", "agentactivity", "sla", "queuestate"]


def envelopes(folder: Path, method: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"{method}_*.json"))]


def fetched_ms(envelope: dict[str, Any]) -> int:
    return int(pd.Timestamp(envelope["fetched_at"]).timestamp() * 1000)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two turns of the four methods, 40 minutes apart, into one root; the raw answers."""
    base = tmp_path_factory.mktemp("ops")
    root, raw = base / "history", base / "raw"
    results = []
    with sim_client(AT, save_raw=raw) as (clock, client):
        for moment in (AT, LATER):
            clock.set(moment)
            results.append(sync(root, client=client, skills="all", agents="all",
                                method=OPERATIONAL))
    return {"root": root, "raw": raw, "results": results}


def best_buckets(folder: Path, method: str, section: Any) -> dict[int, Any]:
    """Per bucket end: ``section(item)`` of the newest fetch that saw the bucket whole, else
    of the newest fetch holding it."""
    found: dict[int, tuple[tuple[bool, int], Any]] = {}
    for envelope in envelopes(folder, method):
        at = fetched_ms(envelope)
        start = at - envelope["request"]["timeframe"] * MINUTE  # the exact window's start
        if method != "agentactivity":
            start = start // BUCKET * BUCKET  # widened to the API's buckets
        for item in envelope["response"]["metricsByIntervals"]:
            end = item["timestamp"]
            rank = (end - BUCKET >= start and end <= at, at)
            if end not in found or rank > found[end][0]:
                found[end] = (rank, section(item))
    return {end: value for end, (_, value) in found.items()}


def values(out: pd.DataFrame, key: str | None = None) -> dict[Any, float]:
    keys = out[key].astype(object) if key else out["metric"].astype(str)
    return {k: float(v) for k, v in zip(keys, out["value"], strict=True) if pd.notna(v)}


# -- one root, a table set per method ------------------------------------------------------

def test_each_turn_syncs_the_four_methods_in_order(synced: dict[str, Any]) -> None:
    for results in synced["results"]:
        assert [r.method for r in results] == OPERATIONAL
    first, second = synced["results"]
    assert [r.timeframe for r in first] == [1440, 1440, 1440, 0]
    assert second[2].fetched[0] == first[2].fetched[1]  # sla: the next window starts there


def test_the_methods_share_one_root_each_in_its_own_tables(synced: dict[str, Any]) -> None:
    root = synced["root"]
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert set(manifest["methods"]) == set(OPERATIONAL)
    assert {p.name for p in root.iterdir() if p.is_dir()} == set(OPERATIONAL)
    for method in OPERATIONAL:
        facts = read_dataset(root, method=method)
        assert set(facts["method"].astype(str)) == {method}
    assert set(read_dataset(root)["method"].astype(str)) == set(OPERATIONAL)


def test_the_dimension_columns_come_back_with_their_methods(synced: dict[str, Any]) -> None:
    root = synced["root"]
    states = read_dataset(root, method="agentactivity")
    assert set(states["state"].astype(str)) == {"Logged in", "Online", "Back soon", "Away"}
    assert "bucket" not in states.columns
    histogram = read_dataset(root, method="sla")
    assert sorted(set(histogram["bucket"].astype(int))) == [0, 15, 30, 45, 60, 90, 120]
    assert "state" not in read_dataset(root, method="queuehealth").columns


def test_queuestate_goes_to_its_snapshot_table_only(synced: dict[str, Any]) -> None:
    root = synced["root"]
    snapshots = read_dataset(root, method="queuestate")
    assert set(snapshots["span"].astype(str)) == {"snapshot"}
    everything = read_dataset(root)
    snapshot_rows = everything["span"].astype(str) == "snapshot"
    assert set(everything.loc[snapshot_rows, "method"].astype(str)) == {"queuestate"}
    queue_metrics = {"currentQueueSize", "currentAvailableSlots", "currentMaxWaitTimeInQueue"}
    for method in ("queuehealth", "agentactivity"):  # the interval tables
        facts = read_dataset(root, method=method)
        assert set(facts["span"].astype(str)) == {"interval"}
        assert "currentMaxWaitTimeInQueue" not in set(facts["metric"].astype(str))
    parquet = [p.relative_to(root).parts[0] for p in root.rglob("*.parquet")
               if "currentMaxWaitTimeInQueue" in set(
                   pd.read_parquet(p, columns=["metric"])["metric"].astype(str))]
    assert set(parquet) == {"queuestate"}
    assert queue_metrics == set(snapshots["metric"].astype(str))


def test_each_queue_snapshot_is_kept_as_it_came(synced: dict[str, Any]) -> None:
    snapshots = read_dataset(synced["root"], method="queuestate")
    by_hand = {}
    for envelope in envelopes(synced["raw"], "queuestate"):
        totals = envelope["response"]["totals"]
        by_hand[pd.Timestamp(envelope["fetched_at"])] = totals["currentAvailableSlots"]
    assert len(by_hand) == 2
    out = engframe.derive(snapshots, by="fetched_at", metrics=["currentAvailableSlots"])
    assert values(out, "fetched_at") == {k: v for k, v in by_hand.items() if v != -1}


def test_a_bucket_nobody_was_logged_in_is_not_fetched_again(synced: dict[str, Any]) -> None:
    # agentactivity sends no row for a bucket nobody was logged in (07:35 here): the second
    # turn still fetches from the first's newest bucket on, as queuehealth's does
    history = read_dataset(synced["root"], method="agentactivity")
    stamps = set(history["timestamp"])
    ends = pd.date_range(min(stamps), max(stamps), freq="5min")
    assert any(end not in stamps for end in ends)  # a bucket without rows
    _, second = synced["results"]
    queues, agents = second[0], second[1]
    assert agents.timeframe <= queues.timeframe == 55


# -- sums over overlapping fetches, by hand ------------------------------------------------

def test_queue_history_derives_to_the_raw_answers_by_hand(synced: dict[str, Any]) -> None:
    best = best_buckets(synced["raw"], "queuehealth",
                        lambda item: item["metricsData"]["metricsTotals"])
    total = {name: sum(v[name] for v in best.values())
             for name in ("connectedEng", "abandonedEng", "totalTimeToAnswer",
                          "queueSizeSum", "queueSizeCount")}
    history = read_dataset(synced["root"], method="queuehealth")
    out = values(engframe.derive(history, metrics=[
        "connectedEng", "avgTimeToAnswer", "abandonmentRate", "averageQueueSize"]))
    assert out == pytest.approx({
        "connectedEng": total["connectedEng"],
        "avgTimeToAnswer": total["totalTimeToAnswer"] / total["connectedEng"],
        "abandonmentRate": total["abandonedEng"] / (total["abandonedEng"]
                                                    + total["connectedEng"]),
        "averageQueueSize": total["queueSizeSum"] / total["queueSizeCount"],
    }, rel=1e-12)
    assert len(history["timestamp"].unique()) == len(best)  # each bucket once


def test_the_later_fetch_completes_the_bucket_the_first_saw_filling(
        synced: dict[str, Any]) -> None:
    first, second = envelopes(synced["raw"], "queuehealth")
    filling = max(i["timestamp"] for i in first["response"]["metricsByIntervals"])
    assert filling > fetched_ms(first)  # 09:55, fetched at 09:54:11

    def measures(envelope: dict[str, Any]) -> int:
        (item,) = [i for i in envelope["response"]["metricsByIntervals"]
                   if i["timestamp"] == filling]
        return int(item["metricsData"]["metricsTotals"]["queueSizeCount"])

    assert measures(first) < measures(second)
    history = read_dataset(synced["root"], method="queuehealth")
    stored = history[(history["timestamp"] == pd.Timestamp(filling, unit="ms", tz="UTC"))
                     & (history["level"] == "skills_total")
                     & (history["metric"] == "queueSizeCount")]
    assert stored["value"].tolist() == [measures(second)]


def test_queue_history_per_skill_derives_to_the_raw_answers_by_hand(
        synced: dict[str, Any]) -> None:
    best = best_buckets(synced["raw"], "queuehealth",
                        lambda item: item["metricsData"]["skillsMetrics"])
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for skills in best.values():
        for skill, metrics in skills.items():
            sums[int(skill)][0] += metrics["totalTimeToAnswer"]
            sums[int(skill)][1] += metrics["connectedEng"]
    history = read_dataset(synced["root"], method="queuehealth")
    out = engframe.derive(history, by="skill", metrics=["avgTimeToAnswer"])
    assert values(out, "skill") == pytest.approx(
        {skill: n / d for skill, (n, d) in sums.items() if d}, rel=1e-12)


def test_queue_history_maximum_over_the_day_is_the_largest_never_the_sum(
        synced: dict[str, Any]) -> None:
    best = best_buckets(synced["raw"], "queuehealth",
                        lambda item: item["metricsData"]["metricsTotals"]["maxQueueSize"])
    per_day: dict[str, list[int]] = defaultdict(list)
    for end, value in best.items():
        if value != -1:
            per_day[str(pd.Timestamp(end - 1, unit="ms", tz="UTC").date())].append(value)
    history = read_dataset(synced["root"], method="queuehealth")
    out = engframe.derive(history, by="day", metrics=["maxQueueSize"])
    got = {str(day.date()): v for day, v in values(out, "day").items()}
    assert got == {day: max(v) for day, v in per_day.items()}
    assert any(sum(v) > max(v) for v in per_day.values())


def test_agent_history_derives_to_the_raw_answers_by_hand(synced: dict[str, Any]) -> None:
    def logged_in(item: dict[str, Any]) -> dict[int, dict[str, int]]:
        return {int(agent): next(s["value"] for s in states if s["id"] == -1)
                for agent, states in item["metricsData"]["agentsMetrics"][
                    "metricsPerAgent"].items()}

    best = best_buckets(synced["raw"], "agentactivity", logged_in)
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for agents in best.values():
        for agent, whole in agents.items():
            sums[agent][0] += whole["chatting"]
            sums[agent][1] += whole["total"]
    history = read_dataset(synced["root"], method="agentactivity")
    out = engframe.derive(history, by="agent", metrics=["utilization", "loggedIn"])
    assert values(out[out["metric"] == "loggedIn"], "agent") == {
        a: t for a, (_, t) in sums.items()}
    assert values(out[out["metric"] == "utilization"], "agent") == pytest.approx(
        {a: c / t for a, (c, t) in sums.items() if t}, rel=1e-12)


def test_sla_windows_add_up_bucket_by_bucket(synced: dict[str, Any]) -> None:
    chats: dict[int, int] = defaultdict(int)
    for envelope in envelopes(synced["raw"], "sla"):
        for bound, bucket in envelope["response"]["slaDataRange"].items():
            chats[int(bound)] += bucket["chats"]
    history = read_dataset(synced["root"], method="sla")
    assert len(history[["start", "timestamp"]].drop_duplicates()) == 2  # two windows
    out = engframe.derive(history, by="bucket", metrics=["chats"])
    assert {int(k): v for k, v in values(out, "bucket").items()} == dict(chats)
    level = engframe.service_level(history, within=30)
    below = sum(n for bound, n in chats.items() if bound < 30)
    assert level["value"].tolist() == pytest.approx([below / sum(chats.values())])


def test_the_history_reconciles_clean(synced: dict[str, Any]) -> None:
    for method in OPERATIONAL:
        checks = engframe.reconcile(read_dataset(synced["root"], method=method))
        assert set(checks["status"].astype(str)) <= {"ok", "rounding"}, method


# -- a killed writer -----------------------------------------------------------------------

def test_a_sync_killed_while_publishing_a_method_leaves_a_readable_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engframe.history import _sums

    root = tmp_path / "history"
    with sim_client(AT) as (clock, client):
        sync(root, client=client, skills="all", agents="all", method=OPERATIONAL,
             timeframe=60)
        before = {m: read_dataset(root, method=m) for m in OPERATIONAL}
        clock.set(LATER)
        real = _sums.swap_in
        published: list[Path] = []

        def killed_at_agentactivity(tmp: Path, path: Path, *, durable: bool) -> None:
            if "agentactivity" in path.parts:
                raise KeyboardInterrupt  # after the manifest listed old and new checksums
            published.append(path)
            real(tmp, path, durable=durable)

        monkeypatch.setattr(_sums, "swap_in", killed_at_agentactivity)
        with pytest.raises(KeyboardInterrupt):
            sync(root, client=client, skills="all", agents="all", method=OPERATIONAL,
                 timeframe=60)
        monkeypatch.undo()
        assert published and all("queuehealth" in p.parts for p in published)
        # queuehealth's turn was published whole, agentactivity's not at all
        assert len(read_dataset(root, method="queuehealth")) > len(before["queuehealth"])
        pd.testing.assert_frame_equal(read_dataset(root, method="agentactivity"),
                                      before["agentactivity"])
        pd.testing.assert_frame_equal(read_dataset(root, method="sla"), before["sla"])
        results = sync(root, client=client, skills="all", agents="all", method=OPERATIONAL,
                       timeframe=60)
    assert [r.method for r in results] == OPERATIONAL
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert all(len(sums) == 1 for sums in manifest["files"].values())
    for method in OPERATIONAL:
        assert np.isfinite(read_dataset(root, method=method)["value"]).all()


def test_a_queue_snapshot_export_killed_leaves_the_snapshots_as_they_were(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engframe.history import _sums

    root = tmp_path / "history"
    with sim_client(AT) as (clock, client):
        export(client.frame(method="queuestate", skills="all"), root)
        before = read_dataset(root)
        clock.set(LATER)
        later = client.frame(method="queuestate", skills="all")

    def killed(tmp: Path, path: Path, *, durable: bool) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_sums, "swap_in", killed)
    with pytest.raises(KeyboardInterrupt):
        export(later, root)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(read_dataset(root), before)
    assert export(later, root).inserted
    assert read_dataset(root)["fetched_at"].nunique() == 2
