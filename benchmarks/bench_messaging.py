"""Benchmark a 24-hour msgconversation answer: flatten, reconcile and derive against orjson.

Run from the repository root::

    python benchmarks/bench_messaging.py              # the large size, 5 runs
    python benchmarks/bench_messaging.py --runs 3 --size medium

On a msgconversation answer of ``responses.py``'s large size (288 five-minute intervals, 50
skills, 1000 agents, about 60 agents per skill; twelve metrics per map, four of them the
API's averages as 32-bit floats) it times, in the same run and interleaved so that the
machine's load falls on all alike, ``orjson.loads`` of the bytes (the floor for anything
that builds Python objects), ``engframe.flatten`` of them, and on the flattened frame
``reconcile`` (every relation: levels, identities among the metrics, averages against
their sums) and ``derive`` at several grains. Then the same for the large engactivity
answer's ``flatten``, so that its ratio is read beside (the issue: unchanged, within 1.4x).

Targets (issue 19): msgconversation flatten within 1.5x ``orjson.loads``, reconcile within
1.0x flatten. Medians; read the ratios, absolute times vary on a shared machine. Beside the
wall clock, each step's CPU time in user space and in the kernel: reconcile writes a checks
frame of 5.7 million rows (half a gigabyte) into fresh memory, and the kernel's time to hand
it out (zeroing pages; compacting memory where numpy asks for huge pages) swings with the
machine's state, run to run, more than the work itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from responses import SIZES, response_bytes
from timing import interleaved_spent

import engframe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="large", choices=list(SIZES))
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    data = response_bytes(size, method="msgconversation")
    chat = response_bytes(size)
    frame = engframe.flatten(data)
    asked = frame.copy(deep=False)
    asked.attrs = {**frame.attrs, "query": {"skillIds": "all", "agentIds": "all",
                                            "interval": 5}}
    print(f"msgconversation {args.size}: {len(data) / 1e6:.0f} MB of JSON, {len(frame):,} "
          f"values; engactivity {len(chat) / 1e6:.0f} MB", flush=True)
    actions: dict[str, Callable[[], object]] = {
        "orjson.loads (msgconversation)": lambda: orjson.loads(data),
        "flatten (msgconversation)": lambda: engframe.flatten(data),
        "reconcile": lambda: engframe.reconcile(frame),
        "reconcile (skillIds=all&agentIds=all)": lambda: engframe.reconcile(asked),
        "derive(by='agent')": lambda: engframe.derive(frame, by="agent"),
        # hours need 5-minute intervals (the large size's 288); others' periods straddle them
        **({"derive(by=['skill', 'hour'])": lambda: engframe.derive(frame, by=["skill", "hour"])}
           if size.intervals == 288 else {}),
        "derive(by=['agent', 'timestamp'])": lambda: engframe.derive(
            frame, by=["agent", "timestamp"]),
        "orjson.loads (engactivity)": lambda: orjson.loads(chat),
        "flatten (engactivity)": lambda: engframe.flatten(chat),
    }
    spent = interleaved_spent(actions, args.runs)
    found = {name: medians.wall for name, medians in spent.items()}
    flat, flat_user = found["flatten (msgconversation)"], spent["flatten (msgconversation)"].user
    print("\n| step | median | / orjson.loads | / flatten | user CPU | / flatten's | kernel |"
          "\n|---|---:|---:|---:|---:|---:|---:|")
    for name, medians in spent.items():
        floor = found["orjson.loads (engactivity)" if "engactivity" in name
                      else "orjson.loads (msgconversation)"]
        print(f"| {name} | {medians.wall:.2f} s | {medians.wall / floor:.2f} | "
              f"{medians.wall / flat:.2f} | {medians.user:.2f} s | {medians.user / flat_user:.2f} "
              f"| {medians.kernel:.2f} s |")
    floor = found["orjson.loads (msgconversation)"]
    print(f"\nmsgconversation flatten / orjson: {flat / floor:.2f} (target <= 1.5); "
          "reconcile / flatten: "
          f"{found['reconcile'] / flat:.2f} (target <= 1.0; in user CPU "
          f"{spent['reconcile'].user / flat_user:.2f}); engactivity flatten / orjson: "
          f"{found['flatten (engactivity)'] / found['orjson.loads (engactivity)']:.2f} "
          "(target <= 1.4)")
    print("kernel: the process's time in the kernel, mostly zeroing fresh pages (and, where "
          "numpy asks for huge pages, compacting memory for them: "
          "NUMPY_MADVISE_HUGEPAGE=0 turns that off)")

if __name__ == "__main__":
    main()
