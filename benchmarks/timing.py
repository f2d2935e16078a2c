"""Timing shared by the benchmarks: medians of actions that take turns, run after run.

Interleaving spreads the shared machine's load over every action alike, so the ratios of
one run compare like with like.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple


def interleaved(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each action, the actions taking turns run after run."""
    return {name: spent.wall for name, spent in interleaved_spent(actions, runs).items()}


class Spent(NamedTuple):
    """Medians of one action: wall-clock seconds, and the process's CPU seconds in user
    space and in the kernel (on first touch of fresh memory the kernel zeroes each page, and
    where it hands out huge pages, may compact memory first: a shared machine's state)."""

    wall: float
    user: float
    kernel: float


def interleaved_spent(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, Spent]:
    """:func:`interleaved`, with each action's CPU time in user space and in the kernel."""
    spent: dict[str, list[Spent]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            gc.collect()
            before, began = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            action()
            wall = time.perf_counter() - began
            after = resource.getrusage(resource.RUSAGE_SELF)
            spent[name].append(Spent(wall, after.ru_utime - before.ru_utime,
                                     after.ru_stime - before.ru_stime))
    return {name: Spent(*(statistics.median(field) for field in zip(*found, strict=True)))
            for name, found in spent.items()}
