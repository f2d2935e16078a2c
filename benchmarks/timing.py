"""Timing shared by the benchmarks: medians of actions that take turns, run after run.

Interleaving spreads the shared machine's load over every action alike, so the ratios of
one run compare like with like.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def interleaved(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each action, the actions taking turns run after run."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            gc.collect()
            began = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - began)
    return {name: statistics.median(found) for name, found in times.items()}
