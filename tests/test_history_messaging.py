"""A history of several methods: a table set per method, one grid each, sums that stay right.

Fetches come from engframe's simulator at chosen moments (``tests/simfetch.py``: a small
center, a manual clock shared by the simulator and the client); hand totals are read from
the raw envelopes the client saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.errors import DatasetError
from engframe.history import MANIFEST_NAME, export, read_dataset
from engframe.sync import sync
from tests.simfetch import BASE_MS, HOUR, MINUTE, sim_client

AT = BASE_MS + 7 * MINUTE + 13_000  # an odd moment: windows widened, a bucket still filling


def manifest(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / MANIFEST_NAME).read_text()))


def envelopes(folder: Path, method: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"{method}_*.json"))]


def test_methods_share_one_root_each_in_its_own_tables(tmp_path: Path) -> None:
    root = tmp_path / "history"
    with sim_client(AT) as (_, client):
        export(client.frame(timeframe=60, interval=5, skills="all", agents="all"), root)
        assert manifest(root)["version"] == 2  # engactivity alone: as engframe 0.2 wrote it
        export(client.frame(method="msgconversation", timeframe=60, interval=5, skills="all",
                            agents="all"), root)
    assert (root / "agent").is_dir()  # engactivity where engframe 0.2 wrote it
    assert (root / "msgconversation" / "agent").is_dir()
    written = manifest(root)
    assert written["version"] == 3
    assert set(written["methods"]) == {"engactivity", "msgconversation"}
    assert written["methods"]["msgconversation"]["values"] == "float64"
    assert written["methods"]["engactivity"]["values"] == "int64"
    both = read_dataset(root)
    assert set(both["method"].astype(str)) == {"engactivity", "msgconversation"}
    only = read_dataset(root, method="msgconversation")
    assert set(only["method"].astype(str)) == {"msgconversation"}
    assert only.attrs["query"]["method"] == "msgconversation"


def test_a_messaging_history_sums_to_the_raw_answers_by_hand(tmp_path: Path) -> None:
    root, raw = tmp_path / "history", tmp_path / "raw"
    with sim_client(AT, save_raw=raw) as (clock, client):
        for moment in (AT, AT + 17 * MINUTE, AT + HOUR):  # overlapping fetches
            clock.set(moment)
            export(client.frame(method="msgconversation", timeframe=60, interval=5,
                                agents="all"), root)
    # by hand: each bucket's agents' total from the fetch that saw it complete (the last
    # fetch holding it), summed over the buckets of the last fetch's window
    best: dict[int, dict[str, Any]] = {}
    for envelope in envelopes(raw, "msgconversation"):
        for item in envelope["response"]["metricsByIntervals"]:
            best[item["timestamp"]] = item["metricsData"]["agentsMetrics"]["metricsTotals"]
    resolved = sum(m["totalResolvedConversations"] for m in best.values())
    seconds = sum(m["totalHandlingTime_resolvedConversations"] for m in best.values())
    history = read_dataset(root, method="msgconversation")
    out = engframe.derive(history, metrics=["totalResolvedConversations",
                                            "avgTime_resolvedConversations"])
    values = dict(zip(out["metric"].astype(str), out["value"], strict=True))
    assert values["totalResolvedConversations"] == resolved
    assert values["avgTime_resolvedConversations"] == pytest.approx(seconds / resolved)
    assert set(engframe.reconcile(history)["status"].astype(str)) <= {"ok", "rounding"}


def test_csat_windows_are_stored_as_they_came_and_add_up(tmp_path: Path) -> None:
    root, raw = tmp_path / "history", tmp_path / "raw"
    with sim_client(AT, save_raw=raw) as (clock, client):
        results = sync(root, client=client, method="msgcsatdistribution", skills="all")
        clock.set(AT + 3 * HOUR)
        results += sync(root, client=client, method="msgcsatdistribution", skills="all")
    first, second = (r.fetched for r in results)
    assert first[1] == second[0]  # the second window starts where the first ended
    history = read_dataset(root)
    assert set(history["span"].astype(str)) == {"timeframe"}
    windows = history[["start", "timestamp"]].drop_duplicates()
    assert len(windows) == 2
    total = sum(e["response"]["skillsMetricsPerAgent"]["metricsTotals"]["total_answers"]
                for e in envelopes(raw, "msgcsatdistribution"))
    positive = sum(e["response"]["skillsMetricsPerAgent"]["metricsTotals"]["positive_answers"]
                   for e in envelopes(raw, "msgcsatdistribution"))
    out = engframe.derive(history, metrics=["total_answers", "csat_score"])
    values = dict(zip(out["metric"].astype(str), out["value"], strict=True))
    assert values["total_answers"] == total
    assert values["csat_score"] == pytest.approx(positive / total)


def test_a_csat_turn_within_a_minute_of_the_stored_window_says_it_waits(tmp_path: Path) -> None:
    # once silent: no result, so `sync --method all` printed a line fewer and said nothing why
    root = tmp_path / "history"
    with sim_client(AT) as (clock, client):
        (first,) = sync(root, client=client, method="msgcsatdistribution", skills="all")
        clock.set(AT + 40_000)
        (second,) = sync(root, client=client, method="msgcsatdistribution", skills="all")
    assert first.waiting_since is None and first.inserted
    # fetched at 09:53:53, the window ends at 09:55: that time is in no window, and said so
    assert first.unfetched == ("2026-11-25T09:53:53Z", "2026-11-25T09:55:00Z")
    assert first.fetched[1] == first.unfetched[1]
    assert second.waiting_since == first.fetched[1]
    assert (second.inserted, second.updated, second.unchanged, second.written) == (0, 0, 0, ())


def test_a_csat_window_overlapping_a_stored_one_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "history"
    with sim_client(AT) as (clock, client):
        export(client.frame(method="msgcsatdistribution", timeframe=120), root)
        before = read_dataset(root)
        clock.set(AT + 30 * MINUTE)
        later = client.frame(method="msgcsatdistribution", timeframe=120)
        with pytest.raises(DatasetError, match="overlap without being the same window"):
            export(later, root)
        pd.testing.assert_frame_equal(read_dataset(root), before)  # nothing was written
        # 28 minutes back from 10:23:53 starts at 09:55, where the stored window ended
        assert export(client.frame(method="msgcsatdistribution", timeframe=28), root).inserted
    assert len(read_dataset(root)) > len(before)


def test_the_same_csat_window_again_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "history"
    with sim_client(AT) as (_, client):
        frame = client.frame(method="msgcsatdistribution", timeframe=120, agents="all")
    export(frame, root)
    again = export(frame, root)
    assert (again.inserted, again.updated, again.written) == (0, 0, ())


def test_a_sync_of_several_methods_fills_each_table(tmp_path: Path) -> None:
    root = tmp_path / "history"
    with sim_client(AT) as (_, client):
        results = sync(root, client=client, skills="all", agents="all",
                       method=["engactivity", "msgconversation", "msgcsatdistribution"])
    assert [r.method for r in results] == ["engactivity", "msgconversation",
                                          "msgcsatdistribution"]
    assert set(manifest(root)["methods"]) == {r.method for r in results}
    assert results[2].timeframe == 1440


def test_a_messaging_export_killed_while_publishing_leaves_a_readable_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "history"
    with sim_client(AT) as (clock, client):
        export(client.frame(method="msgconversation", timeframe=60, interval=5,
                            agents="all"), root)
        before = read_dataset(root)
        clock.set(AT + 20 * MINUTE)
        later = client.frame(method="msgconversation", timeframe=60, interval=5, agents="all")
    from engframe.history import _sums

    def killed(tmp: Path, path: Path, *, durable: bool) -> None:
        raise KeyboardInterrupt  # after the manifest listed old and new checksums

    monkeypatch.setattr(_sums, "swap_in", killed)
    with pytest.raises(KeyboardInterrupt):
        export(later, root)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(read_dataset(root), before)
    export(later, root)
    assert all(len(sums) == 1 for sums in manifest(root)["files"].values())
    assert np.isfinite(read_dataset(root)["value"]).all()
