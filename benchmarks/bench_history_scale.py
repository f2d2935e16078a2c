"""A year of history on a laptop: derive (and reconcile) out of core, against hand-written SQL.

Builds histories of 1, 7, 30 and 90 days of the large preset (1000 agents, 50 skills, 60
agents per skill, 5-minute buckets: about 4.6 million facts a day) and measures, per size, the
time and the peak memory of each step in a fresh process:

- ``engframe.derive(root, by="agent")`` and ``engframe.derive(root, by=["skill", "hour"])``,
  every built-in derived metric (``connectedEngagementsPerHour`` included, so the periods of
  every level are read for their hours), computed by DuckDB where the files are;
- ``engframe.reconcile(root)``: every relation the history's request implies, period by
  period, with the rounding model (to the nearest second);
- beside each, hand-written DuckDB SQL computing the same numbers: what an analyst fluent in
  SQL would write against the layout, the reference engframe is held to (targets: at 30 days
  each step within 2x of it and under 1 GB; 90 days under 2 GB).

The first day is one 24-hour fetch (``bench_parquet.fetch_frame``) exported with
``engframe.export``; the other days are that day's partitions with every time shifted by whole
days (the values repeat; the work does not care). The smaller histories link to the 90-day
one's partitions. Both results are checked equal on the 1-day history before timing.

Run: ``python benchmarks/bench_history_scale.py --data /work/bench-data/scale [--days 1 7 30
90] [--runs 3]``; histories need about 14 MB a day on disk (``df -h`` first), and are kept
for the next run (``--rebuild`` builds them again).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

DAY_MS: Final = 86_400_000
#: The steps, engframe's and the SQL's, each run by name in a fresh process.
STEPS: Final = ("derive_agent", "derive_skill_hour", "reconcile")

# A union of every level's periods, for the hours: columns all tables share.
_ALL_LEVELS: Final = ("account", "skill_agent", "skill", "skills_total", "agent",
                      "agents_total")
_METRIC_SUMS: Final = """
    sum(v) FILTER (WHERE metric = 'totalInteractiveChats') AS ic,
    sum(v) FILTER (WHERE metric = 'totalNonInteractiveChats') AS nc,
    sum(v) FILTER (WHERE metric = 'totalHandlingTime') AS iht,
    sum(v) FILTER (WHERE metric = 'nonInteractiveTotalHandlingTime') AS nht,
    sum(v) FILTER (WHERE metric = 'connectedEngagements') AS ce"""
_RATIOS: Final = """
    iht / nullif(ic, 0) AS avgInteractiveHandlingTime,
    nht / nullif(nc, 0) AS avgNonInteractiveHandlingTime,
    (iht + nht) / nullif(ic + nc, 0) AS avgHandlingTime,
    CAST(ic + nc AS DOUBLE) AS totalChats,
    ic / nullif(ic + nc, 0) AS interactiveShare,
    ce / nullif(hours, 0) AS connectedEngagementsPerHour"""


def _periods_sql(root: Path) -> str:
    """Every period's clock time: the most any fact of it covers, over every level."""
    files = ", ".join(f"'{root}/{level}/*/*.parquet'" for level in _ALL_LEVELS
                      if (root / level).is_dir())
    return f"""
    SELECT account, timestamp,
           max(greatest(epoch_ms(least(timestamp, fetched_at)) - epoch_ms(start), 0))
             / 3600000.0 AS h
    FROM read_parquet([{files}], union_by_name = true) GROUP BY account, timestamp"""


def hand_sql(step: str, root: Path) -> str:
    """The hand-written DuckDB SQL for a step (UTC hours)."""
    if step == "derive_agent":
        return f"""
        WITH p AS ({_periods_sql(root)}), hrs AS (SELECT sum(h) AS hours FROM p),
        f AS (SELECT agent, metric, CAST(agent_value AS DOUBLE) AS v
              FROM read_parquet('{root}/agent/*/*.parquet')),
        s AS (SELECT agent, {_METRIC_SUMS} FROM f GROUP BY agent)
        SELECT agent, {_RATIOS} FROM s, hrs ORDER BY agent"""
    if step == "derive_skill_hour":
        return f"""
        WITH p AS ({_periods_sql(root)}),
        hrs AS (SELECT time_bucket(INTERVAL 1 hour, timestamp - INTERVAL 1 millisecond) AS hour,
                       sum(h) AS hours FROM p GROUP BY hour),
        f AS (SELECT skill, time_bucket(INTERVAL 1 hour, timestamp - INTERVAL 1 millisecond)
                       AS hour, metric, CAST(skill_value AS DOUBLE) AS v
              FROM read_parquet('{root}/skill/*/*.parquet')),
        s AS (SELECT skill, hour, {_METRIC_SUMS} FROM f GROUP BY skill, hour)
        SELECT skill, hour, {_RATIOS} FROM s JOIN hrs USING (hour) ORDER BY skill, hour"""
    if step == "reconcile":
        def pair(name: str, parts: str, whole: str, key: str) -> str:
            ids = f", {key}" if key else ""
            return f"""
            {name}_w AS (SELECT account, timestamp{ids}, metric, sum({whole}_value) AS s
                  FROM read_parquet('{root}/{whole}/*/*.parquet') GROUP BY ALL),
            {name}_p AS (SELECT account, timestamp{ids}, metric, sum({parts}_value) AS s,
                         count(*) AS n FROM read_parquet('{root}/{parts}/*/*.parquet')
                  GROUP BY ALL),
            {name} AS (SELECT '{name}' AS relation, account, timestamp,
                         {key or 'NULL'} AS skill, metric, coalesce(w.s, 0) AS reported,
                         coalesce(p.s, 0) AS sum_of_parts, coalesce(p.n, 0) AS parts
                  FROM {name}_w AS w FULL JOIN {name}_p AS p
                  USING (account, timestamp{ids}, metric))"""
        return f"""
        WITH {pair("skill_agents_vs_skill", "skill_agent", "skill", "skill")},
        {pair("skills_vs_skills_total", "skill", "skills_total", "")},
        {pair("agents_vs_agents_total", "agent", "agents_total", "")},
        c AS (SELECT * FROM skill_agents_vs_skill UNION ALL SELECT * FROM skills_vs_skills_total
              UNION ALL SELECT * FROM agents_vs_agents_total),
        t AS (SELECT *, sum_of_parts - reported AS difference,
                     CASE WHEN metric IN ('totalHandlingTime', 'nonInteractiveTotalHandlingTime')
                          THEN parts // 2 ELSE 0 END AS tolerance FROM c)
        SELECT *, CASE WHEN difference = 0 THEN 'ok'
                       WHEN abs(difference) <= tolerance THEN 'rounding'
                       ELSE 'mismatch' END AS status
        FROM t ORDER BY relation, account, timestamp, skill, metric"""
    raise SystemExit(f"no hand-written SQL for {step}")


def run_engframe(step: str, root: Path) -> Any:
    import engframe

    if step == "derive_agent":
        return engframe.derive(root, by="agent")
    if step == "derive_skill_hour":
        return engframe.derive(root, by=["skill", "hour"])
    if step == "reconcile":
        return engframe.reconcile(root)
    raise SystemExit(f"unknown step {step}")


def run_sql(step: str, root: Path) -> Any:
    import duckdb

    return duckdb.connect().sql(hand_sql(step, root)).df()


def one(which: str, step: str, root: Path) -> None:
    """Run one step once in this (fresh) process; print seconds and peak memory as JSON."""
    began = time.perf_counter()
    result = (run_engframe if which == "engframe" else run_sql)(step, root)
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "rows": len(result)}))


def _peak_mb() -> float:
    """This process's peak resident memory [MiB].

    ``VmHWM``, the high-water mark of this process's own memory: ``ru_maxrss`` of a process
    started by fork and exec counts the parent's peak too (Linux carries it over the exec).
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(which: str, step: str, root: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--one", which, step, str(root)],
                         capture_output=True, text=True, check=True)
    measured: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured


# -- building the histories ---------------------------------------------------------------

def build(data: Path, days: list[int]) -> dict[int, Path]:
    """The histories of ``days`` days under ``data`` (built once, reused afterwards)."""
    longest = max(days)
    full = data / f"days-{longest}"
    if not (full / "_engframe.json").is_file():
        _build_full(full, longest)
    roots = {longest: full}
    for n in days:
        if n == longest:
            continue
        root = data / f"days-{n}"
        if not (root / "_engframe.json").is_file():
            _link(full, root, n)
        roots[n] = root
    return roots


def _build_full(root: Path, days: int) -> None:
    from bench_parquet import START_MS, fetch_frame

    import engframe
    from engframe.parquet import WRITE_OPTIONS

    template = root.parent / "template"
    shutil.rmtree(template, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    print(f"building {days} days in {root} ...", flush=True)
    engframe.export(fetch_frame(START_MS + DAY_MS), template)  # the day START_MS starts
    root.mkdir(parents=True)
    shutil.copy(template / "_engframe.json", root / "_engframe.json")
    for level_dir in sorted(p for p in template.iterdir() if p.is_dir()):
        (part,) = level_dir.glob("date=*/part-0.parquet")
        table = pq.read_table(part)
        for day in range(days):
            shifted = table
            for name in ("timestamp", "start", "fetched_at"):
                column = shifted.column(name)
                moved = pc.cast(pc.add(pc.cast(column, pa.int64()), day * DAY_MS), pa.int64())
                shifted = shifted.set_column(shifted.schema.get_field_index(name), name,
                                             moved.cast(column.type))
            stamp = (START_MS + day * DAY_MS) // DAY_MS
            folder = root / level_dir.name / f"date={_iso_day(stamp)}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(shifted.replace_schema_metadata(table.schema.metadata),
                           folder / "part-0.parquet", compression="snappy",
                           write_page_checksum=True, **WRITE_OPTIONS)
    shutil.rmtree(template)


def _iso_day(day: int) -> str:
    import numpy as np

    return str(np.datetime64(day, "D"))


def _link(full: Path, root: Path, days: int) -> None:
    """A history of the first ``days`` days of ``full``, its partitions linked, not copied."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copy(full / "_engframe.json", root / "_engframe.json")
    for level_dir in sorted(p for p in full.iterdir() if p.is_dir()):
        (root / level_dir.name).mkdir()
        for part in sorted(level_dir.iterdir())[:days]:
            os.symlink(part, root / level_dir.name / part.name)


def _parts(root: Path) -> list[Path]:
    """The partition files (through the links of the smaller histories)."""
    return sorted(root.glob("*/date=*/*.parquet"))


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in _parts(root))


def check_equal(root: Path, steps: list[str]) -> None:
    """engframe's answers and the SQL's agree (on the smallest history)."""
    import numpy as np

    for step in steps:
        if step == "reconcile":
            _check_reconcile(root)
            continue
        ours = run_engframe(step, root)
        wide = ours.pivot_table(index=["agent"] if step == "derive_agent" else ["skill", "hour"],
                                columns="metric", values="value", observed=True, dropna=False)
        theirs = run_sql(step, root)
        for metric in wide.columns:
            a = wide[metric].to_numpy(np.float64)
            b = theirs[str(metric)].to_numpy(np.float64)
            if not np.allclose(a, b, rtol=1e-12, equal_nan=True):
                raise SystemExit(f"{step}: {metric} differs between engframe and the SQL")
    print("engframe and the hand-written SQL agree on every value", flush=True)


def _check_reconcile(root: Path) -> None:
    import numpy as np

    ours = run_engframe("reconcile", root).astype({"relation": str, "metric": str,
                                                   "status": str})
    theirs = run_sql("reconcile", root)
    key = ["relation", "timestamp", "skill", "metric"]
    ours = ours.sort_values(key).reset_index(drop=True)
    theirs = theirs.astype({"metric": str}).sort_values(key).reset_index(drop=True)
    for column in ("reported", "sum_of_parts", "parts", "status"):
        if not np.array_equal(ours[column].to_numpy(), theirs[column].to_numpy()):
            raise SystemExit(f"reconcile: {column} differs between engframe and the SQL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/engframe-bench-scale"),
                        help="where the histories are built (outside the repository)")
    parser.add_argument("--days", type=int, nargs="+", default=[1, 7, 30, 90])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement")
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=STEPS)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("WHICH", "STEP", "ROOT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], args.one[1], Path(args.one[2]))
        return
    if args.rebuild:
        shutil.rmtree(args.data, ignore_errors=True)
    roots = build(args.data, sorted(args.days))
    if args.build_only:
        return
    import duckdb
    import pandas as pd

    print(f"duckdb {duckdb.__version__}, pandas {pd.__version__}, pyarrow {pa.__version__}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.runs} "
          "fresh processes each, peak = the most any run used (VmHWM)\n")
    check_equal(roots[min(roots)], args.steps)
    print("\n| days | facts | on disk | step | engframe [s] | peak [MB] | SQL [s] | peak [MB] "
          "| time ratio |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for days, root in sorted(roots.items()):
        facts = sum(pq.read_metadata(p).num_rows for p in _parts(root))
        for step in args.steps:
            runs: dict[str, list[dict[str, float]]] = {"engframe": [], "sql": []}
            for _ in range(args.runs):  # interleaved, so that both see the same machine
                for which in runs:
                    runs[which].append(measure(which, step, root))
            ours = statistics.median(r["seconds"] for r in runs["engframe"])
            theirs = statistics.median(r["seconds"] for r in runs["sql"])
            print(f"| {days} | {facts / 1e6:.0f} M | {_size(root) / 2**30:.2f} GiB | {step} "
                  f"| {ours:.2f} | {max(r['peak_mb'] for r in runs['engframe']):.0f} "
                  f"| {theirs:.2f} | {max(r['peak_mb'] for r in runs['sql']):.0f} "
                  f"| {ours / theirs:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
