"""Benchmark the analyst's whole pipeline, and exporting into a history, on the large response.

Run from the repository root::

    python benchmarks/bench_pipeline.py [--runs 5]

On the large response of ``responses.py`` (148 MB of JSON, about 4.6 million values) it
times, interleaved in the same run:

- ``orjson.loads`` of the bytes: the floor for anything that builds Python objects;
- the pipeline: ``flatten`` -> ``derive(by="agent")`` -> ``reconcile`` -> ``export`` into an
  empty history -> ``read_dataset`` back (issue target: within 5x ``orjson.loads``);
- ``export`` of the flattened frame into an empty history against
  ``pyarrow.parquet.write_table`` of the same rows (issue target: within 2x), as one prebuilt
  Arrow table: of the columns a history stores (timestamp, account, skill, agent, metric,
  value, start, fetched_at, complete), and of the seven tidy columns.

Medians; the ratios are what to read on a shared machine.
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

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from responses import SIZES, response_bytes

import engframe

FETCHED_AT = "2026-11-18T12:00:00Z"


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def pipeline(data: bytes, root: Path) -> dict[str, float]:
    """The analyst's pipeline on ``data``, each step timed, and the whole."""
    parts: dict[str, float] = {}
    began = time.perf_counter()
    step = time.perf_counter()
    df = engframe.flatten(data)
    parts["flatten"] = time.perf_counter() - step
    parts["derive(by='agent')"] = timed(lambda: engframe.derive(df, by="agent"))
    parts["reconcile"] = timed(lambda: engframe.reconcile(df))
    parts["export (empty)"] = timed(lambda: engframe.export(
        df, root, account="56072331", fetched_at=FETCHED_AT))
    parts["read_dataset"] = timed(lambda: engframe.read_dataset(root))
    parts["pipeline"] = time.perf_counter() - began
    shutil.rmtree(root)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = response_bytes(SIZES["large"])
    frame = engframe.flatten(data)
    rows = frame[(frame["span"] == "interval").to_numpy()].reset_index(drop=True)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    stored = rows.assign(  # the columns a history stores, as engframe.export fills them
        account=pd.Categorical(["56072331"] * len(rows)),
        fetched_at=pd.Timestamp(FETCHED_AT),
        start=rows["timestamp"] - pd.Timedelta(minutes=5),
        complete=True,
    ).drop(columns=["span"])
    stored_table = pa.Table.from_pandas(stored, preserve_index=False)
    folder = Path(tempfile.mkdtemp(prefix="engframe-bench-"))
    steps: dict[str, list[float]] = {name: [] for name in (
        "orjson.loads", "flatten", "derive(by='agent')", "reconcile", "export (empty)",
        "read_dataset", "pipeline", "pq.write_table (same rows)",
        "pq.write_table (same rows, stored columns)", "export alone")}
    try:
        for run in range(args.runs):
            steps["orjson.loads"].append(timed(lambda: orjson.loads(data)))
            for name, seconds in pipeline(data, folder / f"history-{run}").items():
                steps[name].append(seconds)
            steps["pq.write_table (same rows)"].append(
                timed(lambda: pq.write_table(table, folder / "rows.parquet")))
            steps["pq.write_table (same rows, stored columns)"].append(
                timed(lambda: pq.write_table(stored_table, folder / "stored.parquet")))
            alone = folder / f"alone-{run}"
            steps["export alone"].append(timed(lambda a=alone: engframe.export(
                frame, a, account="56072331", fetched_at=FETCHED_AT)))
            shutil.rmtree(alone)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    medians = {name: statistics.median(times) for name, times in steps.items()}
    print(f"large response: {len(data) / 2**20:.0f} MiB of JSON, {len(frame):,} values "
          f"({len(rows):,} interval facts); medians of {args.runs} runs\n")
    print("| step | median [s] | ratio |")
    print("|---|---:|---:|")
    floor = medians["orjson.loads"]
    for name in ("orjson.loads", "flatten", "derive(by='agent')", "reconcile",
                 "export (empty)", "read_dataset", "pipeline"):
        print(f"| {name} | {medians[name]:.3f} | {medians[name] / floor:.2f}x orjson |")
    write = medians["pq.write_table (same rows, stored columns)"]
    tidy = medians["pq.write_table (same rows)"]
    alone = medians["export alone"]
    print("\n| write | median [s] | export / it |")
    print("|---|---:|---:|")
    print(f"| pq.write_table, same rows, the columns a history stores | {write:.3f} | "
          f"{alone / write:.2f}x |")
    print(f"| pq.write_table, same rows, the seven tidy columns | {tidy:.3f} | "
          f"{alone / tidy:.2f}x |")
    print(f"| engframe.export into an empty history | {alone:.3f} | |")


if __name__ == "__main__":
    main()
