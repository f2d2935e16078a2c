"""Benchmark: what adding names costs engframe.load.

Run from the repository root::

    python benchmarks/bench_names.py              # the large preset, 9 runs
    python benchmarks/bench_names.py --size medium --runs 7

On the same bytes (``responses.SIZES``; large: 288 intervals, 50 skills, 1000 agents,
4.6 million rows) it times, interleaved run by run so that a busy machine slows both alike:

- ``load``: ``engframe.load(data)``, bytes in, tidy frame out (the reference);
- ``load + names``: ``engframe.names.attach_names(engframe.load(data), names)`` with names
  for every skill and agent of the response (agents spread over 10 teams), built by the
  parsers from configuration answers shaped like the API's;
- ``attach_names`` alone, on a frame already loaded.

It reports medians, the ratio of the medians ``load + names`` / ``load``, the median of
each run's own ratio (the two ran back to back, so a slow spell of a shared machine hits
both; the target is <= 1.10), and ``attach_names`` / ``load``, what the join adds.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from responses import SIZES, response_bytes

import engframe
from engframe.names import Names, attach_names, parse_agent_groups, parse_agents, parse_skills

TEAMS = 10


def names_for(df: Any) -> Names:
    """Names for every skill and agent of ``df``, as the configuration API would answer."""
    skills = sorted(int(s) for s in df["skill"].dropna().unique())
    agents = sorted(int(a) for a in df["agent"].dropna().unique())
    groups = [{"id": str(900 + t), "name": f"Team {t}", "parentGroupId": "900"}
              for t in range(1, TEAMS + 1)]
    return Names(
        skills=parse_skills([{"id": s, "name": f"Skill {s}", "deleted": False} for s in skills]),
        agents=parse_agents([
            {"id": str(a), "fullName": f"Agent {a}", "loginName": f"agent{a}",
             "memberOf": {"agentGroupId": str(901 + a % TEAMS)}, "deleted": "false"}
            for a in agents
        ]),
        agent_groups=parse_agent_groups([{"id": "900", "name": "Main Group"}, *groups]),
    )


def bench(size: str, runs: int) -> dict[str, Any]:
    data = response_bytes(SIZES[size])
    frame = engframe.load(data)
    names = names_for(frame)
    attach_names(frame, names)  # warm up
    plain: list[float] = []
    named: list[float] = []
    alone: list[float] = []
    steps: list[tuple[list[float], Callable[[], Any]]] = [
        (plain, lambda: engframe.load(data)),
        (named, lambda: attach_names(engframe.load(data), names)),
        (alone, lambda: attach_names(frame, names)),
    ]
    for turn in range(runs):
        # Alternate the order, so a slow spell of the shared machine does not always hit
        # the same step; results are freed outside the timed spans.
        for times, run in steps if turn % 2 == 0 else steps[::-1]:
            gc.collect()
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
            del result
    load_s, named_s = statistics.median(plain), statistics.median(named)
    attach_s = statistics.median(alone)
    return {
        "size": size, "rows": len(frame), "skills": len(names.skills),
        "agents": len(names.agents), "load_s": load_s, "load+names_s": named_s,
        "attach_names_s": attach_s, "(load+names)/load": named_s / load_s,
        # Each run's two pipelines ran back to back: their ratio cancels slow spells.
        "paired_ratio": statistics.median(n / p for n, p in zip(named, plain, strict=True)),
        "attach_names/load": attach_s / load_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="large", choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    result = bench(args.size, args.runs)
    header = list(result)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    print("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v)
                            for v in result.values()) + " |")


if __name__ == "__main__":
    main()
