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
- ``attach_names`` alone, on a frame freshly loaded (untimed) before each run.

It reports wall-clock medians and the ratio ``load + names`` / ``load`` (the target is
<= 1.10), and the same ratio and ``attach_names`` / ``load`` (what the join adds) of the
process's CPU times, which other work on a shared machine disturbs less.
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
    # Wall-clock and CPU times of this process: on a shared machine the CPU times are
    # the steadier, since waiting for a core does not count.
    timings: dict[str, dict[str, list[float]]] = {
        step: {"wall": [], "cpu": []} for step in ("load", "named", "alone")
    }
    # (step, untimed setup, timed run of the setup's result)
    steps: list[tuple[str, Callable[[], Any], Callable[[Any], Any]]] = [
        ("load", lambda: data, engframe.load),
        ("named", lambda: data, lambda d: attach_names(engframe.load(d), names)),
        # a freshly loaded frame, as a user joins one: its new columns take memory
        # the process has not touched yet, which costs more than a join repeated on one
        ("alone", lambda: engframe.load(data), lambda f: attach_names(f, names)),
    ]
    for turn in range(runs):
        # Alternate the order, so a slow spell of the machine does not always hit the
        # same step; results are freed outside the timed spans.
        for step, setup, run in steps if turn % 2 == 0 else steps[::-1]:
            given = setup()
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = run(given)
            timings[step]["cpu"].append(time.process_time() - cpu)
            timings[step]["wall"].append(time.perf_counter() - wall)
            del result, given

    def median(step: str, clock: str) -> float:
        return statistics.median(timings[step][clock])

    return {
        "size": size, "rows": len(frame), "skills": len(names.skills),
        "agents": len(names.agents),
        "load_s": median("load", "wall"), "load+names_s": median("named", "wall"),
        "attach_names_s": median("alone", "wall"),
        "(load+names)/load": median("named", "wall") / median("load", "wall"),
        "cpu (load+names)/load": median("named", "cpu") / median("load", "cpu"),
        "cpu attach_names/load": median("alone", "cpu") / median("load", "cpu"),
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
