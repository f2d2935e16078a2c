"""How much an incremental sync moves, against fetching the whole day every turn.

Run from the repository root::

    python benchmarks/bench_sync.py [--agents 1000] [--skills 50] [--turns 3]

A simulated contact center of ``--agents`` agents and ``--skills`` skills (the simulator's
model, scaled to ~70 chats per agent a day) is served on 127.0.0.1. ``engframe.sync`` runs
hourly turns into an empty history (the simulator's clock moves an hour between turns); the
simulator's answers are measured in bytes. The same turns with ``timeframe=1440`` (every
turn the whole day, what engframe 0.1's sync did) are the reference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engframe
from engframe import sim
from engframe.client import Client
from engframe.sim.render import build_response, encode

NOW_MS = 1_795_638_544_123  # 2026-11-25 20:29:04 UTC


def measure(turns: int, center: sim.CenterConfig, *, whole_day: bool) -> list[tuple[int, int]]:
    """(timeframe asked, bytes answered) of each turn."""
    clock = sim.ManualClock(NOW_MS)
    sizes: list[tuple[int, int]] = []
    with tempfile.TemporaryDirectory() as root, sim.serve(
            seed=1, now=clock, center=center, max_in_flight=None) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000) as client:
        for _ in range(turns):
            (result,) = engframe.sync(root, client=client,
                                      timeframe=1440 if whole_day else None)
            query = sim.EngQuery(timeframe=result.timeframe, interval=5, skill_ids="all",
                                 agent_ids="all")
            size = len(encode(build_response(server.center, query, now_ms=clock())))
            sizes.append((result.timeframe, size))
            clock.advance(3_600_000)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    center = sim.CenterConfig(n_skills=args.skills, n_agents=args.agents,
                              chats_per_day=70.0 * args.agents)
    began = time.perf_counter()
    incremental = measure(args.turns, center, whole_day=False)
    whole = measure(args.turns, center, whole_day=True)
    print(f"simulated center: {args.skills} skills, {args.agents} agents, "
          f"{center.chats_per_day:,.0f} chats a weekday; hourly turns\n")
    print("| turn | incremental: minutes asked | MB answered | whole day each turn: MB |")
    print("|---:|---:|---:|---:|")
    for turn, ((minutes, size), (_, day)) in enumerate(zip(incremental, whole, strict=True),
                                                       start=1):
        print(f"| {turn} | {minutes} | {size / 1e6:.1f} | {day / 1e6:.1f} |")
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
