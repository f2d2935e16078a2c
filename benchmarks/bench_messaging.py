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
1.0x flatten. Medians; read the ratios, absolute times vary on a shared machine.
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
from timing import interleaved

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
    found = interleaved(actions, args.runs)
    flat = found["flatten (msgconversation)"]
    print("\n| step | median | / orjson.loads | / flatten |\n|---|---:|---:|---:|")
    for name, seconds in found.items():
        floor = found["orjson.loads (engactivity)" if "engactivity" in name
                      else "orjson.loads (msgconversation)"]
        print(f"| {name} | {seconds:.2f} s | {seconds / floor:.2f} | {seconds / flat:.2f} |")
    floor = found["orjson.loads (msgconversation)"]
    print(f"\nmsgconversation flatten / orjson: {flat / floor:.2f} (target <= 1.5); "
          "reconcile / flatten: "
          f"{found['reconcile'] / flat:.2f} (target <= 1.0); engactivity flatten / orjson: "
          f"{found['flatten (engactivity)'] / found['orjson.loads (engactivity)']:.2f} "
          "(target <= 1.4)")


if __name__ == "__main__":
    main()
