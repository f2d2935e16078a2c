"""Benchmark the analytics on the large response, and measure the rounding drift they allow.

Run from the repository root::

    python benchmarks/bench_reconcile.py             # speed: reconcile, derive, select, ...
    python benchmarks/bench_reconcile.py --drift     # the simulator's rounding drift

**Speed.** On the large response of ``responses.py`` (288 five-minute intervals, 50 skills,
1000 agents, about 4.6 million values) it times, in the same run and interleaved,
``engframe.flatten`` of its bytes and then, on the flattened frame, ``reconcile`` (as a bare
response, and as an answer to ``skillIds=all&agentIds=all``, which adds the relations such
a request implies), ``derive`` at several grains, ``select``, ``to_wide`` and the two plots
that aggregate. It reports medians and each one's ratio to ``flatten``: the issue's target
is ``reconcile`` within 1.0x ``flatten``.

**Drift.** The API shows handling times in whole seconds, each value rounded on its own, so
a total drifts from the sum of its parts. ``--drift`` asks the simulator (which rounds half
up, element by element, as the API warns) for whole days of 5-minute intervals of all skills
and agents, at several seeds and times, reconciles them with no tolerance, and reports the
distribution of |difference| per part for the handling-time checks: the evidence for
``engframe.reconcile.SECONDS_PER_PART``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from responses import SIZES, response_bytes

import engframe
from engframe import sim
from engframe.reconcile import ROUNDED_METRICS


def median(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def speed(runs: int) -> None:
    data = response_bytes(SIZES["large"])
    bare = engframe.flatten(data)
    asked = bare.copy(deep=False)
    asked.attrs = {"query": {"skillIds": "all", "agentIds": "all", "interval": 5}}
    interval_agents = engframe.select(bare, level="agent", span="interval")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    def plotted(draw: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            draw()
            pyplot.close("all")
        return run

    actions: dict[str, Callable[[], object]] = {
        "flatten(bytes)": lambda: engframe.flatten(data),
        "reconcile (bare response)": lambda: engframe.reconcile(bare),
        "reconcile (skillIds=all&agentIds=all)": lambda: engframe.reconcile(asked),
        "derive(by='agent')": lambda: engframe.derive(bare, by="agent"),
        "derive(by=['skill', 'hour'])": lambda: engframe.derive(bare, by=["skill", "hour"]),
        "derive(by=['agent', 'timestamp'])": lambda: engframe.derive(
            bare, by=["agent", "timestamp"]),
        "select(level='agent', span='interval')": lambda: engframe.select(
            bare, level="agent", span="interval"),
        "to_wide(agent intervals)": lambda: engframe.to_wide(interval_agents),
        "plot.timeseries(by='skill')": plotted(lambda: engframe.plot.timeseries(
            bare, "avgInteractiveHandlingTime", by="skill")),
        "plot.ranking(by='agent')": plotted(lambda: engframe.plot.ranking(bare, by="agent")),
    }
    found: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):  # interleaved, so that the machine's load hits all alike
        for name, action in actions.items():
            found[name].append(median(action, 1))
    floor = statistics.median(found["flatten(bytes)"])
    print(f"large response: {len(data) / 2**20:.0f} MiB of JSON, {len(bare):,} values; "
          f"medians of {runs} interleaved runs\n")
    print("| step | median [s] | / flatten |")
    print("|---|---:|---:|")
    for name, times in found.items():
        value = statistics.median(times)
        print(f"| {name} | {value:.3f} | {value / floor:.2f} |")


def drift(days: int) -> None:
    parts: list[np.ndarray] = []
    diffs: list[np.ndarray] = []
    outside: list[np.ndarray] = []
    for seed in range(1, days + 1):
        now = 1_795_638_544_123 + seed * 86_400_000 // 3
        center = sim.Center(seed=seed)
        query = sim.EngQuery(timeframe=1440, interval=5, skill_ids="all", agent_ids="all")
        body = sim.build_response(center, query, now_ms=now)
        request = {"timeframe": 1440, "interval": 5, "skillIds": "all", "agentIds": "all"}
        frame = engframe.flatten({"request": request, "fetched_at": now, "response": body})
        checks = engframe.reconcile(frame)
        rounded = checks[checks["metric"].astype(str).isin(ROUNDED_METRICS)
                         & (checks["parts"] > 0)]
        parts.append(rounded["parts"].to_numpy())
        diffs.append(rounded["difference"].abs().to_numpy())
        outside.append(rounded["beyond"].to_numpy())
    n, d = np.concatenate(parts), np.concatenate(diffs)
    per_part = d / n
    print(f"simulated days: {days} (seeds 1..{days}), handling-time checks: {len(d):,}\n")
    print("| |difference| per part [s] | share of checks |")
    print("|---|---:|")
    for low, high in ((0, 0), (0, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, np.inf)):
        hit = (per_part == 0) if high == 0 else (per_part > low) & (per_part <= high)
        label = "0 (exact)" if high == 0 else f"({low:g}, {high:g}]"
        print(f"| {label} | {hit.mean():.2%} |")
    print(f"\nmax |difference| per part: {per_part.max():.3f} s; "
          f"max |difference|: {int(d.max())} s over {int(n[np.argmax(d)])} parts; "
          f"99.9th percentile per part: {np.quantile(per_part, 0.999):.3f} s")
    beyond = np.concatenate(outside)
    print(f"checks beyond the bound of rounding to the nearest (n // 2 s for n parts): "
          f"{int((beyond > 0).sum())}; largest share of the bound used: "
          f"{np.max(np.where(n > 1, d / np.maximum(n // 2, 1), 0)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drift", action="store_true", help="measure the rounding drift")
    parser.add_argument("--days", type=int, default=10, help="simulated days for --drift")
    args = parser.parse_args()
    if args.drift:
        drift(args.days)
    else:
        speed(args.runs)


if __name__ == "__main__":
    main()
