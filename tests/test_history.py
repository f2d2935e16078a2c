"""engframe.history: a dataset of facts, one per period of one grid, that BI tools can sum.

Fixtures and helpers (local to this file):

- ``fetch(at, ...)`` flattens a saved envelope of a synthetic fetch made at ``at`` (an ISO
  time): agents 1 and 2 (plus their total) in 5-minute intervals by default, as the API
  answers (the window widened to whole buckets, the newest interval still filling). A value
  depends only on (interval end, agent, metric), except in the newest interval, which holds
  half of it; ``bump`` adds to every value, to tell fetches apart.
- ``root``: an empty folder for a dataset.
- ``WRITER``: the script a writer subprocess runs (killed-writer and concurrency tests).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import engframe
from engframe._lock import locked
from engframe.errors import DatasetError, EngframeWarning, FrameError, OptionError, SourceError
from engframe.history import (
    BACKUP_NAME,
    LOCK_NAME,
    MANIFEST_NAME,
    PART_NAME,
    export,
    read_dataset,
    repair_dataset,
)
from engframe.schema import METRICS
from engframe.window import query_window

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "56072331"
KEY = ["account", "level", "timestamp", "skill", "agent", "metric"]
MINUTE = 60_000


def _ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


def _metrics(end_ms: int, agent: int, fetched_ms: int, bump: int) -> dict[str, int]:
    base = (end_ms // 300_000 * 7 + agent * 13) % 97 + bump
    if end_ms > fetched_ms:
        base //= 2
    return {name: base + i for i, name in enumerate(METRICS)}


def envelope(at: str, *, timeframe: int = 60, interval: int | None = 5, bump: int = 0,
             account: str | None = ACCOUNT, agents: str = "1,2") -> dict[str, Any]:
    fetched = _ms(at)
    window = query_window(now_ms=fetched, timeframe=timeframe, interval=interval)

    def section(end: int) -> dict[str, Any]:
        per_agent = {str(a): _metrics(end, a, fetched, bump) for a in (1, 2)}
        return {"agentsMetrics": {"metricsPerAgent": per_agent,
                                  "metricsTotals": _metrics(end, 0, fetched, bump)}}

    response: dict[str, Any] = section(window.end_ms + 1)
    if interval is not None:
        response["metricsByIntervals"] = [
            {"timestamp": i.end_ms, "metricsData": section(i.end_ms)} for i in window.intervals]
    request = {"timeframe": timeframe, "interval": interval, "skillIds": None,
               "agentIds": agents, "v": 1}
    if account is not None:
        request["account"] = account
    return {"request": request, "fetched_at": at, "response": response}


def fetch(at: str, **options: Any) -> pd.DataFrame:
    return engframe.flatten(envelope(at, **options))


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype({"metric": str, "account": str, "level": str})
    key = [k for k in KEY if k in out.columns]
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def _at(df: pd.DataFrame, end: str, *, level: str = "agent", agent: int = 1) -> pd.DataFrame:
    """The facts of ``df`` (a history) at the period ending ``end``."""
    hit = ((df["timestamp"] == pd.Timestamp(end)) & (df["level"] == level)
           & (df["agent"] == agent).fillna(False))
    return df[hit.to_numpy(bool)].reset_index(drop=True)


def _parts(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != LOCK_NAME}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "history"


# --- layout: one table per level, facts only ----------------------------------------------


def test_each_level_is_a_table_of_its_own_partitioned_by_day(root):
    result = export(fetch("2026-11-27T00:29:04Z"), root)
    assert result.written == ("agent/date=2026-11-26", "agent/date=2026-11-27",
                              "agents_total/date=2026-11-26", "agents_total/date=2026-11-27")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))
    assert files == [f"{w}/{PART_NAME}" for w in result.written]
    manifest = json.loads((root / MANIFEST_NAME).read_text())
    assert manifest["grid"] == {"minutes": 5, "phase_minutes": 0}
    assert manifest["scope"] == {"skillIds": None, "agentIds": "1,2"}
    assert manifest["values"] == "int64"


def test_a_period_is_filed_under_the_day_it_lies_in():
    """The bucket 23:55-00:00 belongs to the day it lies in, not to the next one."""
    import tempfile

    root = Path(tempfile.mkdtemp())
    export(fetch("2026-11-27T00:02:04Z", timeframe=5), root)
    (day,) = {p.parent.name for p in (root / "agent").rglob(PART_NAME)
              if "2026-11-26" in str(p)}
    table = pq.read_table(root / "agent" / day / PART_NAME)
    assert table.column("timestamp").to_pylist()[0] == pd.Timestamp("2026-11-27T00:00Z")


def test_each_table_names_its_measure_after_itself_and_holds_only_its_ids(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    agent = pq.read_schema(next((root / "agent").rglob(PART_NAME)))
    total = pq.read_schema(next((root / "agents_total").rglob(PART_NAME)))
    assert agent.names == ["timestamp", "account", "agent", "metric", "agent_value", "start",
                           "fetched_at", "complete"]
    assert total.names == ["timestamp", "account", "metric", "agents_total_value", "start",
                           "fetched_at", "complete"]
    assert str(agent.field("account").type) == "dictionary<values=string, indices=int32, ordered=0>"
    assert json.loads(agent.metadata[b"engframe.units"])["totalHandlingTime"] == "s"


def test_whole_timeframe_rows_are_not_stored_and_are_counted_as_left_out(root):
    df = fetch("2026-11-27T12:29:04Z")
    result = export(df, root)
    timeframe_rows = int((df["span"] == "timeframe").sum())
    assert result.left_out == timeframe_rows > 0
    assert result.inserted == len(df) - timeframe_rows
    assert set(read_dataset(root)["span"]) == {"interval"}


def test_a_frame_without_intervals_stores_nothing_and_says_so(root):
    with pytest.warns(EngframeWarning, match="no interval rows"):
        result = export(fetch("2026-11-27T12:29:04Z", interval=None), root)
    assert (result.inserted, result.written) == (0, ())
    assert not root.exists() or not list(root.rglob("*.parquet"))


def test_read_dataset_gives_back_the_interval_rows_exported(root):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    back = read_dataset(root)
    intervals = df[(df["span"] == "interval").to_numpy()]
    assert list(back.columns) == list(df.columns)
    assert back.dtypes.drop("account").to_dict() == df.dtypes.drop("account").to_dict()
    columns = ["timestamp", "agent", "metric", "value", "level", "fetched_at", "start", "complete"]
    pd.testing.assert_frame_equal(_sorted(back)[columns], _sorted(intervals)[columns],
                                  check_categorical=False)
    assert back.attrs["query"] == {"interval": 5, "method": "engactivity", "skillIds": None,
                                   "agentIds": "1,2"}


def test_read_dataset_filters_by_time_account_and_level(root):
    export(fetch("2026-11-27T00:29:04Z"), root)
    part = read_dataset(root, start="2026-11-27T00:00Z", end="2026-11-27T00:10Z",
                        levels=["agent"])
    assert set(part["level"]) == {"agent"}
    # the periods within: 00:00-00:05 and 00:05-00:10
    assert set(part["timestamp"]) == {pd.Timestamp("2026-11-27T00:05Z"),
                                      pd.Timestamp("2026-11-27T00:10Z")}
    assert len(part) == 2 * 2 * len(METRICS)
    assert read_dataset(root, account="111").empty
    with pytest.raises(OptionError, match="levels"):
        read_dataset(root, levels=["agents"])


def test_read_dataset_of_an_empty_folder_is_an_empty_frame(root):
    root.mkdir()
    assert read_dataset(root).empty


def test_read_dataset_of_a_missing_folder_raises_source_error(root):
    with pytest.raises(SourceError, match="no such folder"):
        read_dataset(root)


# --- one fact per period: the best value any fetch gave --------------------------------------


def test_exporting_the_same_fetch_twice_changes_nothing(root):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    before = _parts(root)
    again = export(df, root)
    assert again.written == () and again.inserted == again.updated == 0
    assert again.unchanged == again.left_out * 0 + len(df) - again.left_out
    assert _parts(root) == before


def test_overlapping_fetches_keep_one_fact_per_period(root):
    for minute in range(0, 60, 10):
        export(fetch(f"2026-11-27T12:{minute:02d}:04Z"), root)
    back = read_dataset(root)
    assert not back.duplicated(KEY).any()
    assert back["timestamp"].nunique() == 23  # buckets ending 11:05 .. 12:55, each once
    assert len(back) == 23 * 3 * len(METRICS)


def test_a_still_filling_bucket_is_replaced_by_its_complete_value(root):
    export(fetch("2026-11-27T12:29:04Z"), root)  # 12:25-12:30 is still filling
    assert not _at(read_dataset(root), "2026-11-27T12:30Z")["complete"].any()
    export(fetch("2026-11-27T12:44:04Z"), root)
    fact = _at(read_dataset(root), "2026-11-27T12:30Z")
    assert fact["complete"].all()
    assert fact["value"].tolist() == list(_at(fetch("2026-11-27T12:44:04Z").query(
        "span == 'interval'"), "2026-11-27T12:30Z")["value"])


def test_a_complete_value_is_never_replaced_by_a_partial_one(root):
    export(fetch("2026-11-27T12:44:04Z"), root)
    export(fetch("2026-11-27T12:29:04Z", bump=5), root)  # an older, partial fetch, later
    fact = _at(read_dataset(root), "2026-11-27T12:30Z")
    assert fact["complete"].all()
    assert fact["fetched_at"].iloc[0] == pd.Timestamp("2026-11-27T12:44:04Z")


def test_of_two_complete_values_the_later_fetch_wins_in_any_order(root):
    export(fetch("2026-11-27T12:44:04Z", bump=3), root)
    export(fetch("2026-11-27T12:39:04Z"), root)
    fact = _at(read_dataset(root), "2026-11-27T12:30Z")
    assert fact["fetched_at"].iloc[0] == pd.Timestamp("2026-11-27T12:44:04Z")


def test_an_older_fetch_exported_after_a_newer_one_changes_nothing(root):
    export(fetch("2026-11-27T12:44:04Z", timeframe=120), root)
    before = _parts(root)
    result = export(fetch("2026-11-27T12:29:04Z"), root)  # a window inside the newer one
    assert result.written == () and result.updated == 0
    assert _parts(root) == before


def test_on_a_coarse_grid_a_57_minute_value_outranks_the_5_minute_remainder(root):
    """The issue's case: 60-minute fetches 24 h apart; the second holds the old interval
    11:05-12:05 only as its oldest remainder (5 minutes)."""
    export(fetch("2026-11-26T12:02:04Z", timeframe=1440, interval=60), root)
    export(fetch("2026-11-27T12:02:04Z", timeframe=1440, interval=60, bump=7), root)
    fact = _at(read_dataset(root), "2026-11-26T12:05Z")
    assert (fact["start"] == pd.Timestamp("2026-11-26T11:05Z")).all()
    assert fact["fetched_at"].iloc[0] == pd.Timestamp("2026-11-26T12:02:04Z")
    assert not fact["complete"].any()  # 57 of 60 minutes


# --- one grid per dataset --------------------------------------------------------------------


def test_a_fetch_that_does_not_line_up_with_the_grid_is_refused_and_nothing_is_written(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    before = _parts(root)
    with pytest.raises(DatasetError) as caught:
        export(fetch("2026-11-27T12:29:04Z", timeframe=120, interval=60), root)
    message = str(caught.value)
    assert "keeps 5-minute buckets" in message
    assert "60-minute periods ending at 30 minutes past the hour" in message
    assert "interval=5" in message and "nothing was written" in message
    assert _parts(root) == before


def test_sixty_minute_fetches_minutes_apart_do_not_overlap_in_one_dataset(root):
    export(fetch("2026-11-27T12:02:04Z", timeframe=180, interval=60), root)
    with pytest.raises(DatasetError, match="ending at 5 minutes past the hour"):
        export(fetch("2026-11-27T12:09:04Z", timeframe=180, interval=60), root)
    export(fetch("2026-11-27T13:03:00Z", timeframe=180, interval=60), root)  # same phase
    back = read_dataset(root)
    assert not back.duplicated(KEY).any()
    assert (back["timestamp"].dt.minute == 5).all()


def test_a_dataset_keeps_one_request_scope(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    with pytest.raises(DatasetError, match=r"agentIds=1,2.*agentIds=all"):
        export(fetch("2026-11-27T12:29:04Z", agents="all"), root)


def test_fractions_into_an_integer_dataset_are_refused_integral_floats_are_not(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    df = fetch("2026-11-27T12:44:04Z")
    df["value"] = df["value"].astype(np.float64)
    assert export(df, root).inserted > 0
    df["value"] = df["value"] + 0.5
    with pytest.raises(DatasetError, match="integer values"):
        export(df, root)


def test_float_frames_make_a_float_dataset_that_takes_integers_too(root):
    df = fetch("2026-11-27T12:29:04Z")
    df["value"] = df["value"] / 2
    export(df, root)
    export(fetch("2026-11-27T12:44:04Z"), root)
    assert read_dataset(root)["value"].dtype == np.float64


def test_frames_that_cannot_be_stored_raise_frame_error(root):
    df = fetch("2026-11-27T12:29:04Z")
    with pytest.raises(FrameError):
        export(df.assign(value=df["value"].astype(str)), root)
    with pytest.raises(FrameError):
        export(df.drop(columns="level"), root)


def test_an_unusable_fetch_time_raises_option_error(root):
    df = fetch("2026-11-27T12:29:04Z").drop(columns=["fetched_at"])
    with pytest.raises(OptionError, match="fetched_at"):
        export(df, root, fetched_at="yesterday-ish")


def test_an_upsert_rewrites_only_the_partitions_it_touches(root):
    export(fetch("2026-11-25T12:29:04Z"), root)
    export(fetch("2026-11-27T12:29:04Z"), root)
    untouched = root / "agent" / "date=2026-11-25" / PART_NAME
    stamp = untouched.stat().st_mtime_ns
    assert export(fetch("2026-11-27T12:39:04Z"), root).written == (
        "agent/date=2026-11-27", "agents_total/date=2026-11-27")
    assert untouched.stat().st_mtime_ns == stamp


# --- what BI tools see ------------------------------------------------------------------------


def _history(root: Path) -> None:
    for at in ("2026-11-26T23:29:04Z", "2026-11-27T00:29:04Z", "2026-11-27T01:31:00Z",
               "2026-11-27T00:44:00Z"):
        export(fetch(at), root)
    export(fetch("2026-11-27T01:31:00Z", account="111"), root)


def test_the_readme_duckdb_query_gives_the_sums_of_the_facts(root):
    _history(root)
    facts = read_dataset(root, levels=["agent"])
    expected = (facts.assign(date=facts["timestamp"].dt.floor("D").dt.date.astype(str))
                .groupby(["account", "metric"], observed=True)["value"].sum())
    duck = duckdb.sql(
        f"SELECT account, metric, sum(agent_value) AS value "
        f"FROM read_parquet('{root}/agent/**/*.parquet', hive_partitioning = true) "
        f"GROUP BY ALL").df().set_index(["account", "metric"])["value"]
    assert duck.astype(int).sort_index().to_dict() == expected.sort_index().to_dict()


def test_summing_value_over_the_whole_folder_cannot_multiply_the_totals(root):
    _history(root)
    # No file has a column 'value': a reader stacking every file gets an error...
    with pytest.raises(duckdb.Error):
        duckdb.sql(f"SELECT sum(value) FROM read_parquet('{root}/**/*.parquet')").fetchall()
    # ... or, stacking by name, one measure column per level, each summing its own rows.
    stacked = duckdb.sql(
        f"SELECT sum(agent_value) AS a, sum(agents_total_value) AS t "
        f"FROM read_parquet('{root}/**/*.parquet', union_by_name = true)").fetchall()[0]
    facts = read_dataset(root)
    assert stacked == (int(facts.loc[facts["level"] == "agent", "value"].sum()),
                       int(facts.loc[facts["level"] == "agents_total", "value"].sum()))
    table = ds.dataset(root, format="parquet").to_table()  # pyarrow: first file's columns
    assert "value" not in table.column_names


def test_account_is_text_in_every_file_and_every_reader(root):
    _history(root)
    types = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{root}/agent/**/*.parquet', "
                       "hive_partitioning = true)").df().set_index("column_name")["column_type"]
    assert types["account"] == "VARCHAR"
    assert types["date"] == "DATE"


# --- analytics on a history -----------------------------------------------------------------


def test_derive_on_a_history_equals_the_sums_of_its_facts(root):
    _history(root)
    hist = read_dataset(root)
    facts = hist[(hist["level"] == "agent").to_numpy()]
    derived = engframe.derive(hist, by=["account", "agent"], metrics=["totalHandlingTime"])
    expected = facts[facts["metric"] == "totalHandlingTime"].groupby(
        ["account", "agent"], observed=True)["value"].sum()
    got = derived.set_index(["account", "agent"])["value"]
    assert got.to_dict() == expected.astype(float).to_dict()


def test_per_hour_rates_on_a_history_count_each_period_once(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    export(fetch("2026-11-27T12:33:04Z"), root)  # a later fetch: some facts now from it
    hist = read_dataset(root)
    assert hist["fetched_at"].nunique() == 2
    out = engframe.derive(hist, by=["hour"], metrics=["connectedEngagementsPerHour"],
                          components=True)
    hour = out[out["hour"] == pd.Timestamp("2026-11-27T11:00Z")]
    hours = float(hour.loc[hour["metric"] == "hours", "value"].iloc[0])
    # buckets whose last instant lies in 11:00-12:00, each counted once (five minutes)
    ends = hist.loc[(hist["timestamp"] > pd.Timestamp("2026-11-27T11:00Z"))
                    & (hist["timestamp"] <= pd.Timestamp("2026-11-27T12:00Z")), "timestamp"]
    assert ends.nunique() == 7
    assert hours == pytest.approx(7 * 5 / 60)
    connected = hist.loc[(hist["level"] == "agents_total")
                         & (hist["metric"] == "connectedEngagements")
                         & hist["timestamp"].isin(ends.unique()), "value"].sum()
    rate = float(hour.loc[hour["metric"] == "connectedEngagementsPerHour", "value"].iloc[0])
    assert rate == pytest.approx(connected / (7 * 5 / 60))


def test_reconcile_on_a_history_of_consistent_fetches_finds_no_mismatch(root):
    clock = sim.ManualClock(_ms("2026-11-27T12:02:04Z"))
    with sim.serve(seed=2, now=clock) as server, _client(server, clock) as client:
        for minutes in (0, 17, 42, 61):
            clock.set(_ms("2026-11-27T12:02:04Z") + minutes * MINUTE)
            export(client.frame(timeframe=120, interval=5, skills="all", agents="all"), root)
    hist = read_dataset(root)
    assert hist["fetched_at"].nunique() == 4
    checks = engframe.reconcile(hist)
    assert set(checks["relation"].astype(str)) >= {"skill_agents_vs_skill", "skill_agents_vs_agent",
                                                   "skills_total_vs_agents_total"}
    assert "mismatch" not in set(checks["status"].astype(str)), engframe.summarize(checks)


# --- damage ------------------------------------------------------------------------------------


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_partition_is_reported_by_readers_and_writers_and_not_overwritten(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    damaged = root / "agent" / "date=2026-11-27" / PART_NAME
    _damage(damaged)
    kept = damaged.read_bytes()
    with pytest.raises(DatasetError, match=r"agent/date=2026-11-27/part-0.parquet: a damaged"):
        read_dataset(root)
    with pytest.raises(DatasetError, match="damaged partition"):
        export(fetch("2026-11-27T12:44:04Z"), root)
    assert damaged.read_bytes() == kept


def test_an_export_of_other_days_is_not_stopped_by_a_damaged_partition(root):
    export(fetch("2026-11-25T12:29:04Z"), root)
    _damage(root / "agent" / "date=2026-11-25" / PART_NAME)
    assert export(fetch("2026-11-27T12:29:04Z"), root).inserted > 0
    assert len(read_dataset(root, start="2026-11-27")) > 0


# --- engframe 0.1 datasets -------------------------------------------------------------------


def _legacy(root: Path) -> pd.DataFrame:
    """An engframe 0.1 history: two 5-minute fetches, a 60-minute one, and their
    whole-timeframe rows, in 0.1's layout. Returns what it wrote."""
    frames = [fetch("2026-11-27T12:29:04Z"), fetch("2026-11-27T12:44:04Z", bump=1),
              fetch("2026-11-27T12:09:04Z", timeframe=120, interval=60)]
    written = pd.concat(frames, ignore_index=True)
    for day, part in written.groupby(written["timestamp"].dt.strftime("%Y-%m-%d")):
        folder = root / f"account={ACCOUNT}" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        columns = ["timestamp", "skill", "agent", "metric", "value", "level", "span",
                   "fetched_at", "start", "complete"]
        table = part[columns].reset_index(drop=True)
        table["metric"] = table["metric"].astype(str)
        table["level"] = table["level"].astype(str)
        table["span"] = table["span"].astype(str)
        pq.write_table(__import__("pyarrow").Table.from_pandas(table, preserve_index=False),
                       folder / PART_NAME)
    return written


def test_a_0_1_dataset_is_detected_with_what_to_do(root):
    _legacy(root)
    for call in (lambda: read_dataset(root), lambda: export(fetch("2026-11-27T13:00:00Z"), root)):
        with pytest.raises(DatasetError, match=r"engframe 0\.1.*repair_dataset"):
            call()


def test_repair_keeps_every_period_of_the_grid_and_moves_the_old_files_aside(root, tmp_path):
    written = _legacy(root)
    before = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob(PART_NAME)}
    result = repair_dataset(root)
    assert result.grid == "5-minute buckets"
    assert result.facts == len(read_dataset(root))  # one per series and period
    assert result.left_out == int((written["span"] == "timeframe").sum())
    sixty = written[(written["span"] == "interval") & (written["fetched_at"]
                    == pd.Timestamp("2026-11-27T12:09:04Z"))]
    assert result.off_grid == len(sixty)
    assert result.backup == root / BACKUP_NAME
    moved = {str(p.relative_to(result.backup)): p.read_bytes()
             for p in result.backup.rglob(PART_NAME)}
    assert moved == before  # nothing lost: the 0.1 files, byte for byte
    expected = tmp_path / "expected"
    export(fetch("2026-11-27T12:29:04Z"), expected)
    export(fetch("2026-11-27T12:44:04Z", bump=1), expected)
    columns = ["timestamp", "agent", "metric", "value", "level", "complete"]
    assert _sorted(read_dataset(root))[columns].equals(_sorted(read_dataset(expected))[columns])
    assert repair_dataset(root).backup is None  # nothing left to repair


# --- ordinary use over time: the simulator ----------------------------------------------------

from engframe import sim  # noqa: E402
from engframe.client import Client  # noqa: E402


def _client(server: sim.SimServer, clock: sim.ManualClock) -> Client:
    return Client(server.account, auth=(server.client_id, server.client_secret),
                  csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000)


def test_the_demo_twice_19_minutes_apart_leaves_a_days_totals_unchanged(tmp_path):
    clock = sim.ManualClock(_ms("2026-11-26T00:02:13Z"))  # its window starts at 00:00
    once, twice = tmp_path / "once", tmp_path / "twice"
    with sim.serve(seed=1, now=clock) as server, _client(server, clock) as client:
        first = client.frame(timeframe=1440, interval=5, skills="all", agents="all")
        export(first, once)
        export(first, twice)
        clock.advance(19 * MINUTE)
        export(client.frame(timeframe=1440, interval=5, skills="all", agents="all"), twice)
    day = {"start": "2026-11-25", "end": "2026-11-26"}

    def totals(root: Path) -> pd.Series:
        return engframe.derive(read_dataset(root, **day), by="day",
                               metrics=["totalChats", "totalHandlingTime"]).set_index(
            "metric")["value"]

    assert totals(twice).to_dict() == totals(once).to_dict()
    # the day's 288 buckets, as the first fetch reported them (all complete then)
    truth = first[(first["level"] == "skills_total") & (first["span"] == "interval")
                  & (first["timestamp"] > pd.Timestamp("2026-11-25T00:00Z"))
                  & (first["timestamp"] <= pd.Timestamp("2026-11-26T00:00Z"))]
    assert truth["timestamp"].nunique() == 288
    chats = truth[truth["metric"].isin(["totalInteractiveChats", "totalNonInteractiveChats"])]
    assert totals(twice)["totalChats"] == chats["value"].sum()
WRITER = textwrap.dedent("""
    import os, signal, sys, time
    import pyarrow.parquet as pq
    sys.path.insert(0, sys.argv[1])
    import engframe
    from engframe.history import export

    root, kill_at, envelopes = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    events = 0

    def event(name):
        # At the chosen event, say so and wait for the parent's SIGKILL.
        global events
        events += 1
        if events == kill_at:
            print("PAUSED", name, flush=True)
            time.sleep(120)

    real_write, real_replace, real_fsync = pq.write_table, os.replace, os.fsync

    def write_table(table, where, **options):
        event("before write")
        real_write(table, where, **options)
        size = os.path.getsize(where)
        with open(where, "r+b") as half:
            half.truncate(size // 2)
        event("half written")
        real_write(table, where, **options)

    def replace(a, b):
        event("before rename")
        real_replace(a, b)
        event("after rename")

    def fsync(fd):
        event("fsync")
        real_fsync(fd)

    pq.write_table, os.replace, os.fsync = write_table, replace, fsync
    frames = [engframe.flatten(path) for path in envelopes]
    print("READY", flush=True)
    sys.stdin.readline()  # start when the parent says so (with the other writer)
    for frame in frames:
        export(frame, root)
    print("DONE", events, flush=True)
""")


def _writer(tmp_path: Path, root: Path, kill_at: int, *envelopes: Path) -> subprocess.Popen:
    """Start a writer subprocess; it has flattened its envelopes once this returns."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    process = subprocess.Popen([sys.executable, str(script), str(REPO), str(root), str(kill_at),
                                *map(str, envelopes)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "READY\n"
    return process


def _go(process: subprocess.Popen) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def _save(tmp_path: Path, name: str, at: str, **options: Any) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(envelope(at, **options)))
    return path


def _events_of_one_export(tmp_path: Path) -> int:
    root = tmp_path / "count"
    export(fetch("2026-11-27T00:04:04Z", timeframe=120), root)
    process = _writer(tmp_path, root, 0, _save(tmp_path, "count", "2026-11-27T00:39:04Z",
                                               timeframe=120, bump=1))
    out, _ = process.communicate("go\n", timeout=60)
    return int(out.split()[-1])


@pytest.mark.slow
def test_a_writer_killed_anywhere_leaves_the_dataset_whole_and_losing_nothing(tmp_path):
    first = fetch("2026-11-27T00:04:04Z", timeframe=120)
    second = _save(tmp_path, "second", "2026-11-27T00:39:04Z", timeframe=120, bump=1)
    expected_root = tmp_path / "expected"
    export(first, expected_root)
    days = (pd.Timestamp("2026-11-26T00:00Z"), pd.Timestamp("2026-11-27T00:00Z"))
    before = {k: _sorted(read_dataset(expected_root, start=k, end=k + pd.Timedelta(days=1)))
              for k in days}
    export(engframe.flatten(second), expected_root)
    after = {k: _sorted(read_dataset(expected_root, start=k, end=k + pd.Timedelta(days=1)))
             for k in days}
    events = _events_of_one_export(tmp_path)
    assert events >= 8  # two partitions: write, half, fsync, rename, rename, fsync ...
    for kill_at in sorted(random.Random(6).sample(range(1, events + 1), 5)):
        root = tmp_path / f"killed-{kill_at}"
        export(first, root)
        process = _writer(tmp_path, root, kill_at, second)
        _go(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PAUSED"), line
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        # Readable by every reader, each partition old or new, never a mix or a loss.
        duckdb.sql(f"select count(*) from read_parquet('{root}/agent/**/*.parquet', "
                   f"hive_partitioning = true)").fetchall()
        ds.dataset(root / "agent", format="parquet", partitioning="hive").to_table()
        for day in days:
            got = _sorted(read_dataset(root, start=day, end=day + pd.Timedelta(days=1)))
            # per table (level), each partition is old or new
            for level in ("agent", "agents_total"):
                mine = got[got["level"] == level].reset_index(drop=True)
                old = before[day][before[day]["level"] == level].reset_index(drop=True)
                new = after[day][after[day]["level"] == level].reset_index(drop=True)
                assert mine.equals(old) or mine.equals(new), (kill_at, line, day, level)
        # The lock died with the writer; exporting again completes the export.
        export(engframe.flatten(second), root, lock_timeout=5)
        assert _sorted(read_dataset(root)).equals(_sorted(read_dataset(expected_root)))
        assert not list(root.rglob(".*.tmp"))


@pytest.mark.slow
def test_two_exporters_at_once_lose_no_facts(tmp_path):
    # Each writer has an account of its own, and both write fetches of a third account,
    # so they update the same partitions at the same time.
    root = tmp_path / "shared"
    own = {name: [_save(tmp_path, f"{name}-{i}", f"2026-11-27T{10 + i:02d}:29:04Z",
                        timeframe=120, account=name) for i in range(6)]
           for name in ("111", "222")}
    shared = [_save(tmp_path, f"shared-{i}", f"2026-11-27T{10 + i:02d}:29:04Z",
                    timeframe=120, account="333", bump=i % 2) for i in range(6)]
    orders = {"111": shared, "222": shared[::-1]}
    writers = [_writer(tmp_path, root, 0, *[p for pair in zip(own[name], orders[name],
                                                              strict=True) for p in pair])
               for name in orders]
    for process in writers:
        _go(process)
    for process in writers:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0 and out.startswith("DONE"), out
    alone = tmp_path / "alone"
    for path in [*own["111"], *own["222"], *shared]:
        export(engframe.flatten(path), alone)
    columns = [*KEY, "value", "complete"]
    assert _sorted(read_dataset(root))[columns].equals(_sorted(read_dataset(alone))[columns])


@pytest.mark.slow
def test_an_exporter_waits_while_another_holds_the_lock(tmp_path):
    root = tmp_path / "held"
    root.mkdir()
    with locked(root / LOCK_NAME, timeout=None):
        process = _writer(tmp_path, root, 0, _save(tmp_path, "a", "2026-11-27T12:29:04Z"))
        _go(process)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)
        assert not list(root.rglob(PART_NAME))
    out, _ = process.communicate(timeout=60)
    assert out.startswith("DONE") and list(root.rglob(PART_NAME))


def test_a_lock_held_too_long_raises_dataset_error(root):
    root.mkdir()
    with locked(root / LOCK_NAME, timeout=None), pytest.raises(DatasetError, match="lock"):
        export(fetch("2026-11-27T12:29:04Z"), root, lock_timeout=0.2)
