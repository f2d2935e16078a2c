"""engframe.history: the Hive-partitioned history dataset and its upserts.

Fixtures and helpers (local to this file):

- ``fetch(at, ...)`` flattens a saved envelope of a synthetic fetch made at ``at``
  (an ISO time): agents 1 and 2 (plus their total), 5-minute intervals by default. A value
  depends only on (interval end, agent, metric), except in the newest interval, which is
  still filling when fetched (its end lies after ``at``) and holds half of it; ``bump``
  adds to every value, to tell fetches apart.
- ``root``: an empty folder for a dataset.
- ``WRITER``: the script a writer subprocess runs (killed-writer and concurrency tests).
"""

from __future__ import annotations

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
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe._lock import locked
from engframe.errors import DatasetError, FrameError, OptionError, SourceError
from engframe.history import LOCK_NAME, PART_NAME, export, read_dataset
from engframe.parquet import to_parquet
from engframe.schema import METRICS, build_frame
from engframe.window import query_window

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "56072331"
KEY = ["account", "timestamp", "span", "level", "skill", "agent", "metric", "start"]
MINUTE = 60_000


def _ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


def _metrics(end_ms: int, agent: int, fetched_ms: int, bump: int) -> dict[str, int]:
    base = (end_ms // 300_000 * 7 + agent * 13) % 97 + bump
    if end_ms > fetched_ms:
        base //= 2
    return {name: base + i for i, name in enumerate(METRICS)}


def envelope(at: str, *, timeframe: int = 60, interval: int | None = 5, bump: int = 0,
             account: str | None = ACCOUNT) -> dict[str, Any]:
    fetched = _ms(at)
    window = query_window(now_ms=fetched, timeframe=timeframe, interval=interval)

    def section(end: int) -> dict[str, Any]:
        agents = {str(a): _metrics(end, a, fetched, bump) for a in (1, 2)}
        return {"agentsMetrics": {"metricsPerAgent": agents,
                                  "metricsTotals": _metrics(end, 0, fetched, bump)}}

    response: dict[str, Any] = section(window.end_ms + 1)
    if interval is not None:
        response["metricsByIntervals"] = [
            {"timestamp": i.end_ms, "metricsData": section(i.end_ms)} for i in window.intervals]
    request = {"timeframe": timeframe, "interval": interval, "skillIds": None,
               "agentIds": "1,2", "v": 1}
    if account is not None:
        request["account"] = account
    return {"request": request, "fetched_at": at, "response": response}


def fetch(at: str, **options: Any) -> pd.DataFrame:
    return engframe.flatten(envelope(at, **options))


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    key = [k for k in KEY if k in df.columns]
    out = df.sort_values(key, kind="stable").reset_index(drop=True)
    return out.astype({"metric": str, **({"account": str} if "account" in out else {})})


def _interval(df: pd.DataFrame, end: str) -> pd.DataFrame:
    """The interval rows of ``df`` that end at ``end``."""
    rows = df[(df["span"] == "interval") & (df["timestamp"] == pd.Timestamp(end))]
    return rows.reset_index(drop=True)


def _parts(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob(PART_NAME))}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "history"


# --- layout -------------------------------------------------------------------------------


def test_partitions_are_hive_folders_by_account_and_date(root):
    result = export(fetch("2026-11-27T00:29:04Z"), root)
    assert result.written == (f"account={ACCOUNT}/date=2026-11-26",
                              f"account={ACCOUNT}/date=2026-11-27")
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet")) == [
        f"{w}/{PART_NAME}" for w in result.written]


def test_frames_without_an_account_get_date_partitions_only(root):
    export(fetch("2026-11-27T12:29:04Z", account=None), root)
    assert [p.name for p in root.iterdir() if p.is_dir()] == ["date=2026-11-27"]
    assert "account" not in read_dataset(root).columns


def test_read_dataset_gives_back_what_was_exported(root):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    back = read_dataset(root)
    assert list(back.columns) == list(df.columns)
    assert back.dtypes.to_dict() == df.dtypes.to_dict()
    pd.testing.assert_frame_equal(_sorted(back), _sorted(df), check_exact=True)


def test_pyarrow_dataset_reads_the_folder_as_it_is(root):
    df = fetch("2026-11-27T00:29:04Z")
    export(df, root)
    table = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(df)
    assert set(table.column_names) >= {"account", "date", "timestamp", "metric", "value"}


def test_duckdb_reads_the_dataset_and_gets_the_sums_pandas_gets(root):
    for at in ("2026-11-26T23:29:04Z", "2026-11-27T00:29:04Z", "2026-11-27T01:31:00Z"):
        export(fetch(at), root)
    export(fetch("2026-11-27T01:31:00Z", account="111"), root)
    pandas_sums = (read_dataset(root).groupby(["account", "span", "metric"], observed=True)
                   ["value"].sum().sort_index())
    duck = duckdb.sql(
        f"select account::varchar as account, span, metric, sum(value)::bigint as value "
        f"from read_parquet('{root}/**/*.parquet', hive_partitioning = true) "
        f"group by all").df().set_index(["account", "span", "metric"])["value"].sort_index()
    assert duck.to_dict() == pandas_sums.to_dict()
    assert len(duck) == 2 * 2 * len(METRICS)


def test_read_dataset_filters_by_time_and_account(root):
    export(fetch("2026-11-27T00:29:04Z"), root)
    export(fetch("2026-11-27T00:29:04Z", account="111"), root)
    part = read_dataset(root, start="2026-11-27T00:00Z", end="2026-11-27T00:10Z",
                        account="111")
    assert set(part["account"]) == {"111"}
    assert part["timestamp"].min() >= pd.Timestamp("2026-11-27T00:00Z")
    assert part["timestamp"].max() < pd.Timestamp("2026-11-27T00:10Z")
    assert len(part) == 2 * 3 * len(METRICS)  # 00:00 and 00:05, three entities


def test_read_dataset_of_an_empty_folder_is_an_empty_frame(root):
    root.mkdir()
    assert read_dataset(root).empty


def test_read_dataset_of_a_missing_folder_raises_source_error(root):
    with pytest.raises(SourceError, match="no such folder"):
        read_dataset(root)


# --- upserts ------------------------------------------------------------------------------


def test_exporting_the_same_fetch_twice_changes_nothing(root):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    before = _parts(root)
    again = export(df, root)
    assert again.written == () and again.inserted == again.updated == 0
    assert again.unchanged == len(df)
    assert _parts(root) == before


def test_overlapping_fetches_keep_one_row_per_key(root):
    for minute in range(0, 60, 10):
        export(fetch(f"2026-11-27T12:{minute:02d}:04Z"), root)
    back = read_dataset(root)
    intervals = back[back["span"] == "interval"]
    assert not intervals.duplicated(["timestamp", "level", "agent", "metric"]).any()
    assert intervals["timestamp"].nunique() == 23  # 11:05 .. 12:55
    assert len(intervals) == 23 * 3 * len(METRICS)


def test_a_partial_interval_is_replaced_by_its_complete_value(root):
    export(fetch("2026-11-27T12:29:04Z"), root)  # 12:30 is still filling
    export(fetch("2026-11-27T12:44:04Z"), root)
    row = _interval(read_dataset(root), "2026-11-27T12:30Z")
    assert row["complete"].all()
    assert (row["fetched_at"] == pd.Timestamp("2026-11-27T12:44:04Z")).all()


def test_a_complete_interval_is_never_replaced_by_a_partial_one(root):
    export(fetch("2026-11-27T12:44:04Z"), root)
    complete = _interval(read_dataset(root), "2026-11-27T12:30Z")
    export(fetch("2026-11-27T12:29:04Z"), root)  # an older fetch, exported late
    after = _interval(read_dataset(root), "2026-11-27T12:30Z")
    assert len(after) == 3 * len(METRICS) and after["complete"].all()
    pd.testing.assert_frame_equal(after, complete)


def test_a_later_complete_value_wins_over_an_earlier_one(root):
    export(fetch("2026-11-27T12:44:04Z"), root)
    result = export(fetch("2026-11-27T12:49:04Z", bump=5), root)
    back = read_dataset(root, start="2026-11-27T11:50Z", end="2026-11-27T12:46Z").query(
        "span == 'interval'")  # the intervals both fetches hold complete
    assert result.updated == len(back) == 12 * 3 * len(METRICS)
    assert (back["fetched_at"] == pd.Timestamp("2026-11-27T12:49:04Z")).all()


def test_an_earlier_complete_value_does_not_replace_a_later_one(root):
    export(fetch("2026-11-27T12:49:04Z", bump=5), root)
    result = export(fetch("2026-11-27T12:44:04Z"), root)  # an older fetch, exported late
    assert result.updated == 0
    back = read_dataset(root, start="2026-11-27T11:50Z", end="2026-11-27T12:46Z").query(
        "span == 'interval'")
    assert (back["fetched_at"] == pd.Timestamp("2026-11-27T12:49:04Z")).all()


def test_the_oldest_remainder_interval_never_replaces_a_full_one(root):
    # 60-minute intervals: the fetch at 13:29 ends its window with a 5-minute remainder
    # ending 13:30 the day before; the fetch an hour earlier held that interval in full.
    export(fetch("2026-11-27T12:29:04Z", timeframe=1440, interval=60), root)
    export(fetch("2026-11-27T13:29:04Z", timeframe=1440, interval=60, bump=3), root)
    row = _interval(read_dataset(root), "2026-11-26T13:30Z")
    assert len(row) == 3 * len(METRICS)
    assert ((row["timestamp"] - row["start"]) == pd.Timedelta(hours=1)).all()
    assert (row["fetched_at"] == pd.Timestamp("2026-11-27T12:29:04Z")).all()


def test_whole_timeframe_rows_of_different_windows_are_kept_apart(root):
    export(fetch("2026-11-27T12:29:04Z", timeframe=60), root)
    export(fetch("2026-11-27T12:29:04Z", timeframe=30), root)  # same end, other start
    export(fetch("2026-11-27T13:29:04Z", timeframe=60), root)  # other end
    whole = read_dataset(root).query("span == 'timeframe'")
    assert whole.groupby(["timestamp", "start"]).ngroups == 3
    assert len(whole) == 3 * 3 * len(METRICS)


def test_rows_without_fetch_columns_count_as_partial_and_fetched_at_export(root):
    bare = fetch("2026-11-27T12:29:04Z").iloc[:, :7].query("span == 'interval'")
    export(bare, root, account=ACCOUNT, fetched_at="2026-11-27T12:30:00Z")
    stored = read_dataset(root)
    assert not stored["complete"].any()
    assert (stored["fetched_at"] == pd.Timestamp("2026-11-27T12:30:00Z")).all()
    assert stored["start"].isna().all()
    export(fetch("2026-11-27T12:44:04Z"), root)  # complete rows replace them
    assert read_dataset(root, start="2026-11-27T11:45Z", end="2026-11-27T12:44Z")["complete"].all()


def test_export_takes_the_account_and_fetch_time_from_attrs(root):
    df = fetch("2026-11-27T12:29:04Z")
    bare = df.iloc[:, :7].query("span == 'interval'")
    bare.attrs = dict(df.attrs)
    export(bare, root)
    stored = read_dataset(root)
    assert set(stored["account"]) == {ACCOUNT}
    assert (stored["fetched_at"] == pd.Timestamp(df.attrs["fetched_at"])).all()


def test_derived_float_frames_make_a_float_dataset(root):
    df = fetch("2026-11-27T12:29:04Z")
    derived = df.assign(value=df["value"] / 7)
    export(derived, root)
    back = read_dataset(root)
    assert back["value"].dtype == np.float64
    assert np.allclose(np.sort(back["value"].to_numpy()), np.sort(derived["value"].to_numpy()))


def test_float_values_into_an_integer_dataset_raise_frame_error(root):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    later = fetch("2026-11-28T12:29:04Z")
    with pytest.raises(FrameError, match="stores int64 values"):
        export(later.assign(value=later["value"] / 2), root)


def _bare_response_frame() -> pd.DataFrame:
    return engframe.flatten(envelope("2026-11-27T12:29:04Z", interval=None)["response"])


@pytest.mark.parametrize("make, match", [
    (_bare_response_frame, "no timestamp"),  # whole-timeframe rows, no window end: NaT
    (lambda: fetch("2026-11-27T12:29:04Z").assign(account="../x"), "cannot name a folder"),
    (lambda: fetch("2026-11-27T12:29:04Z").assign(value="x"), "'value'"),
])
def test_frames_that_cannot_be_stored_raise_frame_error(root, make, match):
    with pytest.raises(FrameError, match=match):
        export(make(), root)


def test_a_frame_without_account_into_an_account_dataset_raises_frame_error(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    with pytest.raises(FrameError, match="partitioned by account"):
        export(fetch("2026-11-27T13:29:04Z", account=None), root)


def test_an_unusable_fetch_time_raises_option_error(root):
    bare = fetch("2026-11-27T12:29:04Z").iloc[:, :7].query("span == 'interval'")
    with pytest.raises(OptionError, match="fetched_at"):
        export(bare, root, account=ACCOUNT, fetched_at="yesterday-ish")


def test_an_upsert_rewrites_only_the_partitions_it_touches(root):
    export(fetch("2026-11-25T12:29:04Z"), root)
    export(fetch("2026-11-27T12:29:04Z"), root)
    untouched = root / f"account={ACCOUNT}/date=2026-11-25" / PART_NAME
    stamp = untouched.stat().st_mtime_ns
    assert export(fetch("2026-11-27T12:39:04Z"), root).written == (
        f"account={ACCOUNT}/date=2026-11-27",)
    assert untouched.stat().st_mtime_ns == stamp


# --- the rule, against a plain Python model --------------------------------------------------

BASE_MS = _ms("2026-11-27T00:00:00Z")


@st.composite
def batches(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Exports of rows over a small key space: (end, agent, metric) x coverage x fetch."""
    row = st.fixed_dictionaries({
        "end": st.integers(1, 3), "agent": st.integers(1, 2), "metric": st.integers(0, 1),
        "coverage": st.sampled_from([5, 60, None]), "complete": st.booleans(),
        "fetched": st.integers(0, 3), "value": st.integers(0, 3),
    })
    return draw(st.lists(st.lists(row, min_size=1, max_size=6), min_size=1, max_size=5))


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    n = len(rows)
    end = np.array([BASE_MS + r["end"] * 3_600_000 for r in rows], np.int64)
    df = build_frame(
        timestamp_ms=end, skill=np.full(n, -1), agent=np.array([r["agent"] for r in rows]),
        metric_codes=np.array([r["metric"] for r in rows], np.int8), metrics=list(METRICS),
        value=np.array([r["value"] for r in rows], np.int64),
        level_codes=np.full(n, 4, np.int8), span_codes=np.zeros(n, np.int8))
    start = [e - r["coverage"] * MINUTE if r["coverage"] else None
             for e, r in zip(end, rows, strict=True)]
    df["fetched_at"] = pd.to_datetime([BASE_MS + r["fetched"] * MINUTE for r in rows],
                                      unit="ms", utc=True).as_unit("ms")
    df["start"] = pd.to_datetime(start, unit="ms", utc=True).as_unit("ms")
    df["complete"] = [r["complete"] for r in rows]
    return df


def _model(exports: list[list[dict[str, Any]]]) -> dict[tuple[int, int, int], tuple]:
    """The documented rule, row by row: rank (complete, coverage, fetched), ties keep the
    stored row (the last of a batch among new ones), equal facts keep the stored row."""
    stored: dict[tuple[int, int, int], dict[str, Any]] = {}
    for batch in exports:
        best: dict[tuple[int, int, int], dict[str, Any]] = {}
        for r in batch:
            key = (r["end"], r["agent"], r["metric"])
            if key not in best or _rank(r) >= _rank(best[key]):
                best[key] = r
        for key, r in best.items():
            old = stored.get(key)
            same = old is not None and (old["value"], old["complete"], old["coverage"]) == (
                r["value"], r["complete"], r["coverage"])
            if old is None or (_rank(r) > _rank(old) and not same):
                stored[key] = r
    return {k: (r["value"], r["complete"], r["coverage"], r["fetched"])
            for k, r in stored.items()}


def _rank(r: dict[str, Any]) -> tuple[bool, int, int]:
    return (r["complete"], r["coverage"] * MINUTE if r["coverage"] else -1, r["fetched"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exports=batches())
def test_any_sequence_of_exports_follows_the_documented_rule(exports, tmp_path_factory):
    root = tmp_path_factory.mktemp("rule")
    for batch in exports:
        export(_frame(batch), root, account=ACCOUNT)
    back = read_dataset(root)
    metric_index = {m: i for i, m in enumerate(METRICS)}
    got = {
        ((ts.value // 1_000_000 - BASE_MS) // 3_600_000, int(agent), metric_index[metric]):
        (int(value), bool(complete),
         None if pd.isna(start) else int((ts - start) / pd.Timedelta(minutes=1)),
         int((fetched.value // 1_000_000 - BASE_MS) // MINUTE))
        for ts, agent, metric, value, complete, start, fetched in back[
            ["timestamp", "agent", "metric", "value", "complete", "start", "fetched_at"]
        ].itertuples(index=False)
    }
    assert got == _model(exports)


# --- locks, crashes and concurrent writers ----------------------------------------------------

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
    import json

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


def test_a_writer_killed_anywhere_leaves_the_dataset_whole_and_losing_nothing(tmp_path):
    first = fetch("2026-11-27T00:04:04Z", timeframe=120)
    second = _save(tmp_path, "second", "2026-11-27T00:39:04Z", timeframe=120, bump=1)
    expected_root = tmp_path / "expected"
    export(first, expected_root)
    before = {k: _sorted(read_dataset(expected_root, start=k, end=k + pd.Timedelta(days=1)))
              for k in (pd.Timestamp("2026-11-26T00:00Z"), pd.Timestamp("2026-11-27T00:00Z"))}
    export(engframe.flatten(second), expected_root)
    after = {k: _sorted(read_dataset(expected_root, start=k, end=k + pd.Timedelta(days=1)))
             for k in before}
    events = _events_of_one_export(tmp_path)
    assert events >= 8  # two partitions: write, half, fsync, rename, rename, fsync ...
    for kill_at in sorted(random.Random(6).sample(range(1, events + 1), 5)):
        root = tmp_path / f"killed-{kill_at}"
        export(first, root)
        process = _writer(tmp_path, root, kill_at, second)
        _go(process)
        line = process.stdout.readline()
        assert line.startswith("PAUSED"), line
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        # Readable by every reader, each partition old or new, never a mix or a loss.
        duckdb.sql(f"select count(*) from read_parquet('{root}/**/*.parquet', "
                   f"hive_partitioning = true)").fetchall()
        ds.dataset(root, format="parquet", partitioning="hive").to_table()
        for day in before:
            got = _sorted(read_dataset(root, start=day, end=day + pd.Timedelta(days=1)))
            assert got.equals(before[day]) or got.equals(after[day]), (kill_at, line, day)
        # The lock died with the writer; exporting again completes the export.
        export(engframe.flatten(second), root, lock_timeout=5)
        assert _sorted(read_dataset(root)).equals(_sorted(read_dataset(expected_root)))
        assert not [p for p in root.rglob(".*.tmp")]


def test_two_exporters_at_once_lose_no_rows(tmp_path):
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


def test_mixed_partitionings_raise_dataset_error(root):
    export(fetch("2026-11-27T12:29:04Z"), root)
    (root / "date=2026-11-27").mkdir()
    with pytest.raises(DatasetError, match="one partitioning"):
        read_dataset(root)


def test_a_parquet_file_of_the_frame_and_the_dataset_agree(root, tmp_path):
    df = fetch("2026-11-27T12:29:04Z")
    export(df, root)
    to_parquet(df, tmp_path / "f.parquet")
    file_sum = duckdb.sql(f"select sum(value) from '{tmp_path / 'f.parquet'}'").fetchall()
    dataset_sum = duckdb.sql(f"select sum(value) from read_parquet('{root}/**/*.parquet')"
                             ).fetchall()
    assert file_sum == dataset_sum
