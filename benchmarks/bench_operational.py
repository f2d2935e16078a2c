"""Benchmark the Operational Realtime methods: flatten, derive and reconcile against orjson.

Run from the repository root::

    python benchmarks/bench_operational.py                  # the large size, 5 runs
    python benchmarks/bench_operational.py --quick          # the medium size, 3 runs
    python benchmarks/bench_operational.py --methods agentactivity --runs 9

For each of ``queuehealth``, ``agentactivity``, ``sla`` and ``queuestate`` it builds one
24-hour answer of ``responses_ops.py``'s size (the large one is a large real account: 300
skills and 1000 agents in 5-minute intervals, sla's histogram of 100 buckets, queuestate's
snapshot of every skill) and times, in the same run and interleaved so that the machine's
load falls on all alike:

- ``orjson.loads`` of the bytes, as the other benchmarks time it (the floor for anything that
  builds Python objects), and the same with the cyclic garbage collector paused, as
  ``flatten`` pauses it: the answers of these methods are many small objects, which the
  collector visits again and again while they are made, so the first floor is far above the
  second;
- ``engframe.flatten`` of the bytes;
- on the flattened frame, ``reconcile`` (every relation of the method) and ``derive`` at the
  grains an analyst reads: speed of answer and abandonment per skill and per skill and hour
  (queuehealth); utilization, saturation and the states' shares per agent, per team and per
  agent and hour (agentactivity); the service level at every edge (sla); the queues now
  (queuestate).

Then the peak memory of ``flatten`` in a fresh process: the resident set's growth over the process
holding the JSON bytes, after a first ``flatten`` of the method's sample answer (so that the
libraries it imports on first use are not counted).

Target (issue 21): flatten within 1.5x ``orjson.loads``. Medians; read the ratios, absolute
times vary on a shared machine. sla's and queuestate's answers are a few kilobytes: their
times are the fixed cost of building a frame, and their ratios to ``orjson.loads`` (which
takes microseconds there) say nothing about the flattener.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from responses_ops import METHODS, SIZES, OpsSize, agent_groups, response_bytes
from timing import interleaved

import engframe

ORJSON = "orjson.loads"
ORJSON_NO_GC = "orjson.loads, GC paused"
FLATTEN = "flatten"


ROOT = Path(__file__).resolve().parent.parent
#: A small answer of each method, flattened first so the imports are not counted as peak.
SAMPLES = {"queuehealth": "queuehealth_skills_intervals.json",
           "agentactivity": "agentactivity_intervals.json", "sla": "sla.json",
           "queuestate": "queuestate_all_v2.json"}

# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's size at fork.
_PEAK_SCRIPT = """
import sys
import engframe
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
engframe.flatten(sys.argv[2])
data = open(sys.argv[1], "rb").read()
before = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
df = engframe.flatten(data)
print(status("VmHWM") - before, int(df.memory_usage(deep=True).sum()))
"""


def peak_memory(method: str, data: bytes) -> tuple[int, int]:
    """(peak growth over the bytes, output frame size) of flatten, in a fresh process."""
    sample = ROOT / "data" / "samples" / "operational" / SAMPLES[method]
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, handle.name, str(sample)],
                             check=True, capture_output=True, text=True).stdout.split()
    peak, frame = map(int, out)
    return peak, frame


def loads_no_gc(data: bytes) -> object:
    """``orjson.loads`` with the cyclic garbage collector paused, as flatten runs."""
    gc.disable()
    try:
        return orjson.loads(data)
    finally:
        gc.enable()


def analytics(method: str, frame: pd.DataFrame,
              size: OpsSize) -> dict[str, Callable[[], object]]:
    """The steps an analyst runs on a flattened answer of ``method``."""
    steps: dict[str, Callable[[], object]] = {"reconcile": lambda: engframe.reconcile(frame)}
    if method == "queuehealth":
        steps.update({
            'derive(by="skill")': lambda: engframe.derive(frame, by="skill"),
            'derive(by=["skill", "hour"])': lambda: engframe.derive(frame, by=["skill", "hour"]),
        })
    elif method == "agentactivity":
        teams = frame.copy(deep=False)
        teams["agent_group"] = frame["agent"].map(agent_groups(size)).astype("Int64")
        steps.update({
            'derive(by="agent")': lambda: engframe.derive(frame, by="agent"),
            'derive(by="agent_group")': lambda: engframe.derive(teams, by="agent_group"),
            'derive(by=["agent", "hour"])': lambda: engframe.derive(frame, by=["agent", "hour"]),
        })
    elif method == "sla":
        steps.update({
            "derive()": lambda: engframe.derive(frame),
            "service_level()": lambda: engframe.service_level(frame),
        })
    else:
        steps['derive(by="skill")'] = lambda: engframe.derive(frame, by="skill")
    return steps


def bench(method: str, size: OpsSize, runs: int) -> list[dict[str, object]]:
    """The rows of ``method``'s table: each step's median and its ratios."""
    data = response_bytes(method, size)
    frame = engframe.flatten(data)
    peak, frame_bytes = peak_memory(method, data)
    print(f"{method} {size.name}: {len(data) / 1e6:.3g} MB of JSON, {len(frame):,} values, "
          f"flatten's peak {peak / 1e6:.3g} MB (frame {frame_bytes / 1e6:.3g} MB)",
          file=sys.stderr, flush=True)
    actions: dict[str, Callable[[], object]] = {
        ORJSON: lambda: orjson.loads(data),
        ORJSON_NO_GC: lambda: loads_no_gc(data),
        FLATTEN: lambda: engframe.flatten(data),
        **analytics(method, frame, size),
    }
    found = interleaved(actions, runs)
    rows: list[dict[str, object]] = []
    for name, seconds in found.items():
        rows.append({
            "method": method, "step": name, "MB": len(data) / 1e6, "values": len(frame),
            "seconds": seconds, "/orjson": seconds / found[ORJSON],
            "/orjson_no_gc": seconds / found[ORJSON_NO_GC], "/flatten": seconds / found[FLATTEN],
            "peak_MB": peak / 1e6 if name == FLATTEN else None,
        })
    return rows


def markdown_table(rows: list[dict[str, object]]) -> str:
    """The results as the README's table."""
    lines = ["| method | JSON | values | step | median | / `orjson.loads` | / GC paused "
             "| / `flatten` | peak memory |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        seconds = float(row["seconds"])  # type: ignore[arg-type]
        shown = f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1e3:.3g} ms"
        peak = row["peak_MB"]
        lines.append(
            f"| {row['method']} | {row['MB']:.3g} MB | {row['values']:,} | {row['step']} "
            f"| {shown} | {row['/orjson']:.2f} | {row['/orjson_no_gc']:.2f} "
            f"| {row['/flatten']:.2f} | {'' if peak is None else f'{peak:.3g} MB'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs of each step (5; 3 quick)")
    parser.add_argument("--size", default=None, choices=list(SIZES),
                        help="the answers' size (large; medium quick)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--quick", action="store_true",
                        help="the medium size and 3 runs: a check that it all runs")
    args = parser.parse_args(argv)
    size = SIZES[args.size or ("medium" if args.quick else "large")]
    runs = args.runs or (3 if args.quick else 5)
    rows = [row for method in args.methods for row in bench(method, size, runs)]
    print(markdown_table(rows))
    for method in args.methods:
        ratio = next(float(r["/orjson"]) for r in rows  # type: ignore[arg-type]
                     if r["method"] == method and r["step"] == FLATTEN)
        print(f"{method} flatten / orjson.loads: {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
