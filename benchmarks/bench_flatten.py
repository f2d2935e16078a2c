"""Benchmark: engframe.flatten against the analyst's json_normalize way and orjson.loads.

Run from the repository root::

    python benchmarks/bench_flatten.py            # all three sizes
    python benchmarks/bench_flatten.py --sizes small medium --runs 5
    python benchmarks/bench_flatten.py --sizes large --normalize-runs 0   # skip json_normalize

For each size (see ``responses.SIZES``) it times, in the same run and on the same bytes:

- ``flatten``: ``engframe.flatten(data)``, bytes in, tidy frame out;
- ``orjson``: ``orjson.loads(data)`` alone, the floor for anything that builds Python objects;
- ``normalize``: ``json.loads`` + ``pandas.json_normalize`` + ``melt`` + ``concat`` + splitting
  the column paths, the way an analyst would do it by hand (it loses ints to floats where
  agents are missing from some intervals, so it is a reference for speed only).

It reports medians, the ratios the issue sets targets for, and the peak memory of
``flatten`` measured in a fresh subprocess (resident set growth over the process holding the
JSON bytes), against the JSON size and the output frame's size. Noisy shared machines make
absolute times vary: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from responses import SIZES, Size, response_bytes

import engframe


def normalize_way(data: bytes) -> pd.DataFrame:
    """The tidy frame by hand, with json_normalize / melt / concat."""
    response = json.loads(data)
    parts = []
    intervals = response.pop("metricsByIntervals", None)
    if intervals:
        wide = pd.json_normalize(intervals)
        long = wide.melt(id_vars="timestamp", var_name="path", value_name="value")
        long["path"] = long["path"].str.removeprefix("metricsData.")
        long["span"] = "interval"
        parts.append(long)
    wide = pd.json_normalize(response)
    long = wide.melt(var_name="path", value_name="value")
    long["timestamp"] = np.nan
    long["span"] = "timeframe"
    parts.append(long)
    df = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    pieces = df["path"].str.split(".", expand=True)
    first = pieces[0]
    per_skill = pieces[1] == "metricsPerSkill"
    per_agent_skill = per_skill & (pieces[3] == "metricsPerAgent")
    per_agent = (first == "agentsMetrics") & (pieces[1] == "metricsPerAgent")
    df["level"] = np.select(
        [per_agent_skill, per_skill, first == "skillsMetricsPerAgent", per_agent,
         first == "agentsMetrics"],
        ["skill_agent", "skill", "skills_total", "agent", "agents_total"],
        "account",
    )
    df["skill"] = pd.to_numeric(pieces[2].where(per_skill), errors="coerce").astype("Int64")
    agent = pieces[4].where(per_agent_skill).fillna(pieces[2].where(per_agent))
    df["agent"] = pd.to_numeric(agent, errors="coerce").astype("Int64")
    df["metric"] = pieces.ffill(axis=1).iloc[:, -1].astype("category")
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True)
    return df[["timestamp", "skill", "agent", "metric", "value", "level", "span"]]


def median_time(func: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's size at fork.
_PEAK_SCRIPT = """
import sys
import engframe
# engframe imports pandas, pyarrow and the flattener on first use (a lazy package): a
# flatten of a small sample first, so that the peak is the flatten's, not the imports'
engframe.flatten(b'{"metricsTotals": {"totalInteractiveChats": 1}}')
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
data = open(sys.argv[1], "rb").read()
before = status("VmRSS")
if status("VmHWM") > before:
    open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
df = engframe.flatten(data)
print(status("VmHWM") - before, int(df.memory_usage(deep=True).sum()), len(df))
"""


def peak_memory(data: bytes) -> tuple[int, int, int]:
    """(peak growth over the bytes, output frame size, rows) of flatten, in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, handle.name],
                             check=True, capture_output=True, text=True).stdout.split()
    peak, frame, rows = map(int, out)
    return peak, frame, rows


def bench(size: Size, runs: int, normalize_runs: int) -> dict[str, Any]:
    data = response_bytes(size)
    flat = median_time(lambda: engframe.flatten(data), runs)
    floor = median_time(lambda: orjson.loads(data), runs)
    # json_normalize takes minutes on the large response: 0 runs leaves it out (NaN).
    normal = float("nan")
    if normalize_runs:
        normal = median_time(lambda: normalize_way(data), normalize_runs)
    peak, frame, rows = peak_memory(data)
    return {
        "size": size.name, "MB": len(data) / 1e6, "values": rows,
        "flatten_s": flat, "orjson_s": floor, "normalize_s": normal,
        "flatten/orjson": flat / floor, "normalize/flatten": normal / flat,
        "peak_MB": peak / 1e6, "frame_MB": frame / 1e6,
        "peak/(2*json+frame)": peak / (2 * len(data) + frame),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--normalize-runs", type=int, default=3,
                        help="runs of the json_normalize way (0: leave it out)")
    args = parser.parse_args(argv)
    results = []
    for name in args.sizes:
        results.append(bench(SIZES[name], args.runs, args.normalize_runs))
        print(f"{name}: {results[-1]}", file=sys.stderr, flush=True)
    print(markdown_table(results))


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows of results as a Markdown table, numbers to three significant digits."""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
