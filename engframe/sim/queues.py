"""Skills' queues: who entered, was answered or gave up, and the queue and free slots over time.

Every visitor enters their skill's queue on arrival and leaves it when an agent is connected
(a chat of :mod:`engframe.sim.model`) or when they give up (an abandoner of
:mod:`engframe.sim.operational`). Per skill and interval, from those events:

=======================  =====================================================  ==========
sum                      what is added                                          event
=======================  =====================================================  ==========
``entered``              visitors entering the queue                            arrival
``connected``            chats connected to an agent (engactivity's             connect
                         ``connectedEngagements``: the same events)
``abandoned``            visitors giving up                                     abandon
``answer_ms``            connected chats' waits, arrival to connection [ms]     connect
``abandon_ms``           abandoners' waits, arrival to giving up [ms]           abandon
=======================  =====================================================  ==========

The queue is **measured** every :data:`SAMPLE_MS` while it is open, that is while at least one
agent serving the skill is logged in: its size (visitors waiting) and its **free slots** (over
the agents serving the skill who are logged in and Online, their maximum concurrency less the
chats they hold, never below 0). Sums, counts, minima and maxima of the measures per interval
give the API's averages and extremes. Events and measures after the data's last refresh are
not shown, as in engactivity.

Examples
--------
>>> import numpy as np
>>> from engframe.sim.model import Center
>>> from engframe.sim.operational import Operations
>>> center = Center(seed=1)
>>> day = 1_795_564_800_000
>>> q = queue_activity(center, Operations(center), edges_ms=np.array([day, day + 86_400_000]),
...                    visible_ms=day + 86_400_000)
>>> q.events.shape, q.size_count.shape
((1, 10, 5), (1, 10))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engframe.sim.agent_states import Timeline
from engframe.sim.model import Center
from engframe.sim.operational import ONLINE, Operations

__all__ = ["EVENT_SUMS", "SAMPLE_MS", "QueueActivity", "QueueNow", "queue_activity", "queue_now"]

#: How often a queue is measured [ms].
SAMPLE_MS: Final = 30_000
#: The event sums of :attr:`QueueActivity.events`, in its last axis' order.
EVENT_SUMS: Final = ("entered", "connected", "abandoned", "answer_ms", "abandon_ms")


@dataclass(frozen=True, slots=True)
class QueueActivity:
    """Per (interval, skill position): event sums and queue measures.

    Attributes
    ----------
    events : numpy.ndarray of int64, shape (n_intervals, n_skills, 5)
        The sums of :data:`EVENT_SUMS`, exact (milliseconds for the waits).
    size_sum, size_count, size_max, size_min : numpy.ndarray of int64
        Queue sizes measured: their sum, how many measures, the largest and the smallest
        (-1 where there was no measure). Shape ``(n_intervals, n_skills)``.
    slots_sum, slots_max, slots_min : numpy.ndarray of int64
        Free slots at the same measures (their count is ``size_count``).
    """

    events: np.ndarray
    size_sum: np.ndarray
    size_count: np.ndarray
    size_max: np.ndarray
    size_min: np.ndarray
    slots_sum: np.ndarray
    slots_max: np.ndarray
    slots_min: np.ndarray


@dataclass(frozen=True, slots=True)
class QueueNow:
    """Per skill position, the queue at one moment (-1 where the queue is not open).

    Attributes
    ----------
    size, slots : numpy.ndarray of int64
        Visitors waiting; free slots.
    max_wait_ms : numpy.ndarray of int64
        How long the longest-waiting visitor has waited [ms]; -1 when nobody waits.
    """

    size: np.ndarray
    slots: np.ndarray
    max_wait_ms: np.ndarray


class _Visitors:
    """Everyone who could be in a queue in a window: arrival, leaving, skill."""

    def __init__(self, center: Center, ops: Operations, start_ms: int, end_ms: int) -> None:
        chats = center.chats(start_ms, end_ms)
        gone = ops.abandoners(start_ms, end_ms)
        self.skill = np.concatenate([chats.skill, gone.skill])
        self.arrival = np.concatenate([chats.arrival_ms, gone.arrival_ms])
        self.leave = np.concatenate([chats.connect_ms, gone.abandon_ms])
        self.abandoned = np.r_[np.zeros(len(chats), bool), np.ones(len(gone), bool)]
        span = end_ms - start_ms + 1
        self._start, self._span = start_ms, span
        self._arrivals = np.sort(self._keys(self.skill, self.arrival))
        self._leaves = np.sort(self._keys(self.skill, self.leave))

    def _keys(self, skill: np.ndarray, ms: np.ndarray) -> np.ndarray:
        keys: np.ndarray = skill * self._span + np.clip(ms - self._start, 0, self._span - 1)
        return keys

    def waiting(self, skill: np.ndarray, ms: np.ndarray) -> np.ndarray:
        """How many visitors of ``skill[k]`` wait at ``ms[k]``."""
        key = self._keys(skill, ms)
        counts: np.ndarray = (np.searchsorted(self._arrivals, key, side="right")
                              - np.searchsorted(self._leaves, key, side="right"))
        return counts


def queue_activity(
    center: Center, ops: Operations, *, edges_ms: np.ndarray, visible_ms: int
) -> QueueActivity:
    """Events and measures of every skill's queue in each interval.

    Parameters
    ----------
    center : Center
        The center.
    ops : Operations
        Its abandoners, breaks and concurrency.
    edges_ms : numpy.ndarray of int64
        Interval boundaries, ascending [epoch ms].
    visible_ms : int
        The data's last refresh: later events and measures are not shown [epoch ms].

    Returns
    -------
    QueueActivity
    """
    start, end = int(edges_ms[0]), int(edges_ms[-1])
    high = min(end, visible_ms + 1)
    n_intervals, n_skills = len(edges_ms) - 1, len(center.skill_ids)
    visitors = _Visitors(center, ops, start, end)
    events = np.zeros((max(n_intervals, 1), n_skills, len(EVENT_SUMS)), dtype=np.int64)
    wait = visitors.leave - visitors.arrival
    for column, times, values, chosen in (
        (0, visitors.arrival, 1, np.ones(len(wait), bool)),
        (1, visitors.leave, 1, ~visitors.abandoned),
        (2, visitors.leave, 1, visitors.abandoned),
        (3, visitors.leave, wait, ~visitors.abandoned),
        (4, visitors.leave, wait, visitors.abandoned),
    ):
        hit = chosen & (times >= start) & (times < high)
        where = np.searchsorted(edges_ms, times[hit], side="right") - 1
        amount = values[hit] if isinstance(values, np.ndarray) else values
        np.add.at(events[:, :, column], (where, visitors.skill[hit]), amount)
    measures = _measures(center, ops, visitors, edges_ms=edges_ms, high=high)
    return QueueActivity(events, *measures)


def _measures(
    center: Center, ops: Operations, visitors: _Visitors, *, edges_ms: np.ndarray, high: int
) -> tuple[np.ndarray, ...]:
    start = int(edges_ms[0])
    n_intervals, n_skills = max(len(edges_ms) - 1, 1), len(center.skill_ids)
    first = -(-start // SAMPLE_MS) * SAMPLE_MS
    grid = np.arange(first, high, SAMPLE_MS, dtype=np.int64)
    sizes, slots, open_ = _at(center, ops, visitors, grid, start=start, end=max(high, start + 1))
    interval = np.searchsorted(edges_ms, grid, side="right") - 1
    results = []
    for values in (sizes, slots):
        total = np.zeros((n_intervals, n_skills), dtype=np.int64)
        count = np.zeros((n_intervals, n_skills), dtype=np.int64)
        largest = np.full((n_intervals, n_skills), -1, dtype=np.int64)
        smallest = np.full((n_intervals, n_skills), np.iinfo(np.int64).max, dtype=np.int64)
        skill, sample = np.nonzero(open_)
        where = (interval[sample], skill)
        np.add.at(total, where, values[skill, sample])
        np.add.at(count, where, 1)
        np.maximum.at(largest, where, values[skill, sample])
        np.minimum.at(smallest, where, values[skill, sample])
        smallest[count == 0] = -1
        results.append((total, count, largest, smallest))
    (size_sum, size_count, size_max, size_min), (slots_sum, _, slots_max, slots_min) = results
    return size_sum, size_count, size_max, size_min, slots_sum, slots_max, slots_min


def _at(
    center: Center, ops: Operations, visitors: _Visitors, grid: np.ndarray, *, start: int,
    end: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queue sizes, free slots and whether the queue is open, shape (n_skills, len(grid))."""
    n_agents, n_skills = len(center.agent_ids), len(center.skill_ids)
    line = Timeline(center, ops, start, end)
    agent = np.repeat(np.arange(n_agents, dtype=np.int64), len(grid))
    status = line.at(agent, np.tile(grid, n_agents))
    logged = status.logged_in.reshape(n_agents, len(grid))
    free = np.where(status.logged_in & (status.state == ONLINE),
                    np.maximum(ops.max_concurrency[agent] - status.load, 0), 0)
    serves = center.serves.T.astype(np.float64)  # (skills, agents): exact small integers
    open_ = (serves @ logged.astype(np.float64)) > 0
    slots = np.rint(serves @ free.reshape(n_agents, len(grid)).astype(np.float64))
    skill = np.repeat(np.arange(n_skills, dtype=np.int64), len(grid))
    sizes = visitors.waiting(skill, np.tile(grid, n_skills)).reshape(n_skills, len(grid))
    return sizes, slots.astype(np.int64), open_


def queue_now(center: Center, ops: Operations, *, now_ms: int) -> QueueNow:
    """Every skill's queue at ``now_ms``: size, free slots and the longest wait.

    Parameters
    ----------
    center : Center
        The center.
    ops : Operations
        Its abandoners, breaks and concurrency.
    now_ms : int
        The moment [epoch ms] (the data's last refresh).

    Returns
    -------
    QueueNow
        -1 for a skill whose queue is not open (no agent serving it logged in).

    Examples
    --------
    >>> from engframe.sim.model import Center
    >>> center = Center(seed=1)
    >>> now = queue_now(center, Operations(center), now_ms=1_795_638_540_000)
    >>> now.size.shape
    (10,)
    """
    visitors = _Visitors(center, ops, now_ms, now_ms + 1)
    grid = np.array([now_ms], dtype=np.int64)
    sizes, slots, open_ = _at(center, ops, visitors, grid, start=now_ms, end=now_ms + 1)
    waiting = (visitors.arrival <= now_ms) & (visitors.leave > now_ms)
    longest = np.full(len(center.skill_ids), -1, dtype=np.int64)
    np.maximum.at(longest, visitors.skill[waiting], now_ms - visitors.arrival[waiting])
    is_open = open_[:, 0]
    return QueueNow(
        size=np.where(is_open, sizes[:, 0], -1),
        slots=np.where(is_open, slots[:, 0], -1),
        max_wait_ms=np.where(is_open, longest, -1),
    )
