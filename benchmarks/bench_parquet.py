"""Benchmark engframe's parquet files and history dataset on the large tidy frame.

Two questions, each answered with medians of several runs:

1. Files: does ``engframe.to_parquet`` stay within 1.5x of ``pyarrow.parquet.write_table``
   on the same ~4.4-million-row tidy frame (and ``read_parquet`` near
   ``pyarrow.parquet.read_table(...).to_pandas()``)?
2. History: is an upsert of one more 24-hour fetch into a dataset proportional to the
   partitions it touches, not to the dataset's size? Datasets holding 5 and 30 days
   get the same fetch; the times should match. (Exporting into an empty history against
   ``pyarrow.parquet.write_table``, and the analyst's whole pipeline, are measured by
   ``bench_pipeline.py``.)

The frames are synthetic (:func:`engframe.schema.build_frame`), shaped like the large
response of ``benchmarks/responses.py``: 288 five-minute intervals, 50 skills with about
60 agents each and 1000 agents, about 75% of them active in an interval, plus the
whole-timeframe rows; the fetch columns of a saved envelope (account, fetched_at, start,
complete) follow. Ids and values derive from a hash of (interval, entity), so two
fetches agree on every interval both hold complete.

Run: ``.venv/bin/python benchmarks/bench_parquet.py [--runs 5] [--days 5 30]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engframe.history import PART_NAME, export, read_dataset
from engframe.parquet import read_parquet, to_parquet
from engframe.schema import LEVELS, METRICS, build_frame

ACCOUNT = "56072331"
DAY_MS = 86_400_000
STEP_MS = 300_000
INTERVALS = 288
SKILLS, AGENTS, AGENTS_PER_SKILL, ACTIVE = 50, 1000, 60, 0.75
START_MS = 1_795_000_000_000 // DAY_MS * DAY_MS  # a UTC midnight in 2026


def _entities() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(skill, agent, level code) of every entity one interval can report, -1 for none."""
    rng = np.random.default_rng(0)
    skills = rng.choice(np.arange(2_152_260_000, 2_152_300_000), SKILLS, replace=False)
    agents = rng.choice(np.arange(3_705_340_000, 3_705_400_000), AGENTS, replace=False)
    pairs_skill = np.repeat(skills, AGENTS_PER_SKILL)
    pairs_agent = np.concatenate(
        [np.sort(rng.choice(agents, AGENTS_PER_SKILL, replace=False)) for _ in skills])
    none = np.full(1, -1)
    level = {name: code for code, name in enumerate(LEVELS)}
    skill = np.concatenate([pairs_skill, skills, none, np.full(AGENTS, -1), none])
    agent = np.concatenate([pairs_agent, np.full(SKILLS, -1), none, agents, none])
    codes = np.concatenate([
        np.full(len(pairs_skill), level["skill_agent"]), np.full(SKILLS, level["skill"]),
        [level["skills_total"]], np.full(AGENTS, level["agent"]), [level["agents_total"]]])
    return skill, agent, codes.astype(np.int8)


ENTITIES = _entities()


def _hash(*parts: np.ndarray) -> np.ndarray:
    mixed = np.zeros(np.broadcast(*parts).shape, np.uint64)
    for part in parts:
        mixed = (mixed ^ part.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
        mixed ^= mixed >> np.uint64(29)
    return mixed


def fetch_frame(fetched_ms: int) -> pd.DataFrame:
    """The tidy frame of a 24-hour, 5-minute-interval fetch made at ``fetched_ms``."""
    skill, agent, level = ENTITIES
    end = -(-fetched_ms // STEP_MS) * STEP_MS
    ends = end - STEP_MS * np.arange(INTERVALS)[::-1]
    entity = np.arange(len(skill))
    active = _hash(ends[:, None] // STEP_MS, entity[None, :]) % np.uint64(1000) < ACTIVE * 1000
    totals = (level != LEVELS.index("skill_agent")) & (level != LEVELS.index("agent"))
    active[:, totals] = True  # totals always come
    rows_t, rows_e = np.nonzero(active)
    n_metrics = len(METRICS)
    rows_t, rows_e = np.repeat(rows_t, n_metrics), np.repeat(rows_e, n_metrics)
    metric = np.tile(np.arange(n_metrics, dtype=np.int8), len(rows_t) // n_metrics)
    stamps = np.concatenate([ends[rows_t], np.full(len(skill) * n_metrics, end)])
    whole_e = np.repeat(entity, n_metrics)
    value = (_hash(stamps // STEP_MS, np.concatenate([rows_e, whole_e]),
                   np.concatenate([metric, np.tile(metric[:n_metrics], len(skill))]))
             % np.uint64(900)).astype(np.int64)
    partial = stamps > fetched_ms
    value[partial] //= 2  # the newest interval is still filling
    span = np.r_[np.zeros(len(rows_t), np.int8), np.ones(len(whole_e), np.int8)]
    frame = build_frame(
        timestamp_ms=stamps,
        skill=skill[np.concatenate([rows_e, whole_e])],
        agent=agent[np.concatenate([rows_e, whole_e])],
        metric_codes=np.concatenate([metric, np.tile(metric[:n_metrics], len(skill))]),
        metrics=list(METRICS),
        value=value,
        level_codes=level[np.concatenate([rows_e, whole_e])],
        span_codes=span,
    )
    window_start = end - INTERVALS * STEP_MS
    start = np.where(span == 0, np.maximum(stamps - STEP_MS, window_start), window_start)
    frame["account"] = pd.Categorical.from_codes(np.zeros(len(frame), np.int8), [ACCOUNT])
    frame["fetched_at"] = _utc(np.full(len(frame), fetched_ms))
    frame["start"] = _utc(start)
    frame["complete"] = ~partial
    return frame


def _utc(ms: np.ndarray) -> pd.Series:
    return pd.Series(ms.astype(np.int64).view("M8[ms]")).dt.tz_localize("UTC")


def median_time(action: Callable[[], object], *, runs: int,
                before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def bench_files(frame: pd.DataFrame, folder: Path, runs: int) -> None:
    tidy = frame[list(frame.columns[:7])]
    path = folder / "frame.parquet"
    print(f"\n## Files: the tidy frame, {len(tidy):,} rows x {tidy.shape[1]} columns "
          f"(median of {runs})\n")
    table = pa.Table.from_pandas(tidy, preserve_index=False)
    floor = median_time(lambda: pq.write_table(table, path), runs=runs)
    size = path.stat().st_size
    rows = [
        ("pyarrow.parquet.write_table(table) [prebuilt table]", floor),
        ("pyarrow.parquet.write_table(Table.from_pandas(df))", median_time(
            lambda: pq.write_table(pa.Table.from_pandas(tidy, preserve_index=False), path),
            runs=runs)),
        ("df.to_parquet(path) [pandas]", median_time(lambda: tidy.to_parquet(path), runs=runs)),
        ("engframe.to_parquet(df, path)", median_time(lambda: to_parquet(tidy, path),
                                                      runs=runs)),
        ("engframe.to_parquet(df, path, layout='wide')", median_time(
            lambda: to_parquet(tidy, path, layout="wide"), runs=runs)),
    ]
    _table(rows, floor, "write")
    to_parquet(tidy, path)
    print(f"\nfile size (long, snappy): {size / 2**20:.1f} MiB")
    read_floor = median_time(lambda: pq.read_table(path).to_pandas(), runs=runs)
    reads = [
        ("pyarrow.parquet.read_table(path).to_pandas()", read_floor),
        ("engframe.read_parquet(path)", median_time(lambda: read_parquet(path), runs=runs)),
    ]
    to_parquet(tidy, path, layout="wide")
    reads.append(("engframe.read_parquet(path) [wide file]",
                  median_time(lambda: read_parquet(path), runs=runs)))
    print()
    _table(reads, read_floor, "read")


def bench_history(days_held: list[int], folder: Path, runs: int) -> None:
    print(f"\n## History: one more 24-hour fetch into a dataset (median of {runs})\n")
    print("| days held | facts held | upsert new 24 h fetch [s] | same fetch again [s] "
          "| fetch 1 h later [s] | read_dataset, 1 day [s] |")
    print("|---:|---:|---:|---:|---:|---:|")
    for days in days_held:
        root = folder / f"held-{days}"
        for day in range(days):
            export(fetch_frame(START_MS + (day + 1) * DAY_MS), root)
        held = _rows(root)
        fetched = START_MS + (days + 1) * DAY_MS + 13 * 3_600_000 + 124_000  # 13:02:04
        new = fetch_frame(fetched)
        later = fetch_frame(fetched + 3_600_000)
        touched_days = {int(ms // DAY_MS) for ms in (fetched - DAY_MS - STEP_MS, fetched,
                                                     fetched + 3_600_000)}
        touched = [root / level / f"date={np.datetime64(d, 'D')}"
                   for level in LEVELS for d in touched_days]
        backup = folder / "backup"

        def save(touched: list[Path] = touched, backup: Path = backup) -> None:
            shutil.rmtree(backup, ignore_errors=True)
            for part in touched:
                if part.exists():
                    shutil.copytree(part, backup / part.parent.name / part.name)

        def restore(touched: list[Path] = touched, backup: Path = backup) -> None:
            for part in touched:
                shutil.rmtree(part, ignore_errors=True)
                if (backup / part.parent.name / part.name).exists():
                    shutil.copytree(backup / part.parent.name / part.name, part)

        save()
        upsert = median_time(lambda r=root, f=new: export(f, r), runs=runs, before=restore)
        again = median_time(lambda r=root, f=new: export(f, r), runs=runs)
        shifted = median_time(lambda r=root, f=later: export(f, r), runs=runs,
                              before=lambda r=root, f=new: (restore(), export(f, r)))
        one_day = pd.Timestamp(fetched - DAY_MS, unit="ms", tz="UTC").floor("D")
        read = median_time(lambda r=root, s=one_day: read_dataset(
            r, start=s, end=s + pd.Timedelta(days=1)), runs=runs)
        print(f"| {days} | {held:,} | {upsert:.2f} | {again:.2f} | {shifted:.2f} | {read:.2f} |")


def _rows(root: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in root.rglob(PART_NAME))


def _table(rows: list[tuple[str, float]], floor: float, verb: str) -> None:
    print(f"| {verb} | median [s] | ratio |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / floor:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement")
    parser.add_argument("--days", type=int, nargs="+", default=[5, 30],
                        help="days the datasets hold before the upsert")
    parser.add_argument("--skip-files", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    args = parser.parse_args()
    print(f"pandas {pd.__version__}, pyarrow {pa.__version__}, numpy {np.__version__}, "
          f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="engframe-bench-") as tmp:
        folder = Path(tmp)
        if not args.skip_files:
            bench_files(fetch_frame(START_MS + DAY_MS + 13 * 3_600_000), folder, args.runs)
        if not args.skip_history:
            bench_history(args.days, folder, args.runs)


if __name__ == "__main__":
    main()
