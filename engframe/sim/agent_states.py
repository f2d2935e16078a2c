"""What each agent is doing at any moment, and how long they spent in each state.

An agent is **logged in** while on shift (:meth:`Center.on_duty`) and, past the shift, as
long as a chat of theirs is still open (an agent stays to finish their chats; the center's
fallback agent for a skill nobody on shift serves logs in for the chat). While logged in the
agent is in a break's state (:data:`~engframe.sim.operational.BACK_SOON`, or
:data:`~engframe.sim.operational.AWAY` with a reason) or else Online. Their **load** is the
number of their chats open (connected, not closed); they are **chatting** while it is above
0 and **chatting in max concurrency** while it reaches their maximum.

Everything is exact in milliseconds: :func:`state_times` cuts each agent's time at every
change (a chat connecting or closing, a break starting or ending, a shift hour, an interval
edge) and adds up the pieces, so an agent's states add up to their logged-in time to the
millisecond; the API shows whole seconds, each value rounded on its own.

Examples
--------
>>> import numpy as np
>>> from engframe.sim.model import Center
>>> from engframe.sim.operational import Operations
>>> center = Center(seed=1)
>>> ops = Operations(center)
>>> day = 1_795_564_800_000  # 2026-11-25 00:00 UTC
>>> times = state_times(center, ops, agent_mask=np.ones(60, bool),
...                     edges_ms=np.array([day, day + 86_400_000]))
>>> bool((times.ms[:, 1] <= times.ms[:, 0]).all())  # chatting within the state's time
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engframe.sim.model import Center
from engframe.sim.operational import ONLINE, Operations

__all__ = ["MEASURES", "StateTimes", "Status", "Timeline", "state_times"]

#: The measures of :attr:`StateTimes.ms`, in its column order.
MEASURES: Final = ("total", "chatting", "chattingInMaxConcurrency")
_HOUR_MS: Final = 3_600_000
_MINUTE_MS: Final = 60_000
_STATES: Final = 3


@dataclass(frozen=True, slots=True)
class Status:
    """Agents at moments, element by element.

    Attributes
    ----------
    load : numpy.ndarray of int64
        Chats open.
    logged_in : numpy.ndarray of bool
        Logged in.
    state : numpy.ndarray of int64
        ``ONLINE``, ``BACK_SOON`` or ``AWAY`` (meaningful while logged in).
    reason : numpy.ndarray of int64
        The Away reason's position, -1 for none.
    """

    load: np.ndarray
    logged_in: np.ndarray
    state: np.ndarray
    reason: np.ndarray


class Timeline:
    """The center's agents over a window, ready to say what any of them does at any moment.

    Parameters
    ----------
    center : Center
        The center.
    ops : Operations
        Its breaks and concurrency.
    start_ms, end_ms : int
        The window ``[start_ms, end_ms)`` [epoch ms]; moments asked must lie within it.

    Examples
    --------
    >>> import numpy as np
    >>> from engframe.sim.model import Center
    >>> center = Center(seed=1)
    >>> line = Timeline(center, Operations(center), 1_795_600_000_000, 1_795_603_600_000)
    >>> line.at(np.arange(60), np.full(60, 1_795_600_000_000)).load.shape
    (60,)
    """

    def __init__(self, center: Center, ops: Operations, start_ms: int, end_ms: int) -> None:
        self.center = center
        self.ops = ops
        self.start_ms = start_ms
        self.end_ms = end_ms
        self._span = end_ms - start_ms + 1
        chats = center.chats(start_ms, end_ms)
        live = (chats.connect_ms < end_ms) & (chats.close_ms > start_ms)
        self.chat_agent: np.ndarray = chats.agent[live]
        self.chat_connect: np.ndarray = chats.connect_ms[live]
        self.chat_close: np.ndarray = chats.close_ms[live]
        self._connects = np.sort(self._keys(self.chat_agent, self.chat_connect))
        self._closes = np.sort(self._keys(self.chat_agent, self.chat_close))
        breaks = ops.breaks(start_ms, end_ms)
        keep = (breaks.start_ms < end_ms) & (breaks.end_ms > start_ms)
        self.break_agent: np.ndarray = breaks.agent[keep]
        self.break_start: np.ndarray = breaks.start_ms[keep]
        self.break_end: np.ndarray = breaks.end_ms[keep]
        self._break_state = breaks.state[keep]
        self._break_reason = breaks.reason[keep]
        # Breaks never overlap for one agent, so their clipped starts stay sorted.
        self._break_keys = self._keys(self.break_agent, self.break_start)

    def _keys(self, agent: np.ndarray, ms: np.ndarray) -> np.ndarray:
        """(agent, moment) as one sortable int64: moments clipped into the window."""
        offset = np.clip(ms - self.start_ms, 0, self._span - 1)
        keys: np.ndarray = agent.astype(np.int64) * self._span + offset
        return keys

    def at(self, agent: np.ndarray, ms: np.ndarray) -> Status:
        """What agent ``agent[k]`` is doing at ``ms[k]``, for every ``k``.

        Parameters
        ----------
        agent : numpy.ndarray of int64
            Agent positions.
        ms : numpy.ndarray of int64
            Moments within the window [epoch ms], as long as ``agent``.

        Returns
        -------
        Status
        """
        key = self._keys(agent, ms)
        load = (np.searchsorted(self._connects, key, side="right")
                - np.searchsorted(self._closes, key, side="right")).astype(np.int64)
        logged_in = self.center.on_duty(ms, agent) | (load > 0)
        state = np.full(len(key), ONLINE, dtype=np.int64)
        reason = np.full(len(key), -1, dtype=np.int64)
        if len(self.break_agent):
            found = np.searchsorted(self._break_keys, key, side="right") - 1
            safe = np.maximum(found, 0)
            on_break = ((found >= 0) & (self.break_agent[safe] == agent)
                        & (self.break_end[safe] > ms))
            state = np.where(on_break, self._break_state[safe], state)
            reason = np.where(on_break, self._break_reason[safe], reason)
        return Status(load=load, logged_in=logged_in, state=state, reason=reason)

    def hour_edges(self) -> np.ndarray:
        """The moments inside the window where the center's local hour changes."""
        offset = self.center.config.utc_offset_minutes * _MINUTE_MS
        first = -(-(self.start_ms + offset) // _HOUR_MS) * _HOUR_MS - offset
        edges: np.ndarray = np.arange(first, self.end_ms, _HOUR_MS, dtype=np.int64)
        return edges


@dataclass(frozen=True, slots=True)
class StateTimes:
    """Logged-in time per (interval, agent, state, reason), exact [ms].

    Rows are the groups with time; ``reason`` is -1 outside Away.

    Attributes
    ----------
    interval, agent, state, reason : numpy.ndarray of int64
        The group.
    ms : numpy.ndarray of int64, shape (n, 3)
        Time in the state, of it chatting, and of it chatting in max concurrency
        (:data:`MEASURES`); not chatting is the first minus the second.
    """

    interval: np.ndarray
    agent: np.ndarray
    state: np.ndarray
    reason: np.ndarray
    ms: np.ndarray


def state_times(
    center: Center, ops: Operations, *, agent_mask: np.ndarray, edges_ms: np.ndarray,
    timeline: Timeline | None = None,
) -> StateTimes:
    """How long each asked agent spent in each state in each interval.

    Parameters
    ----------
    center : Center
        The center.
    ops : Operations
        Its breaks and concurrency.
    agent_mask : numpy.ndarray of bool
        Which agent positions count.
    edges_ms : numpy.ndarray of int64
        Interval boundaries, ascending [epoch ms]: interval ``i`` is
        ``[edges_ms[i], edges_ms[i + 1])``.
    timeline : Timeline, optional
        One already built for ``[edges_ms[0], edges_ms[-1])``.

    Returns
    -------
    StateTimes
        Exact milliseconds, sorted by interval, agent, state and reason.
    """
    start, end = int(edges_ms[0]), int(edges_ms[-1])
    line = Timeline(center, ops, start, end) if timeline is None else timeline
    agents = np.flatnonzero(agent_mask).astype(np.int64)
    cuts = np.unique(np.concatenate([np.asarray(edges_ms, dtype=np.int64), line.hour_edges()]))
    span = end - start + 1
    chat_who = agent_mask[line.chat_agent]
    break_who = agent_mask[line.break_agent]
    point_agent = np.concatenate([
        np.repeat(agents, len(cuts)),
        np.tile(line.chat_agent[chat_who], 2), np.tile(line.break_agent[break_who], 2)])
    point_ms = np.concatenate([
        np.tile(cuts, len(agents)),
        line.chat_connect[chat_who], line.chat_close[chat_who],
        line.break_start[break_who], line.break_end[break_who]])
    keys = np.unique(point_agent * span + np.clip(point_ms - start, 0, span - 1))
    who, offset = keys // span, keys % span
    same = who[1:] == who[:-1]  # a piece runs to the agent's next cut
    piece_agent, piece_start = who[:-1][same], start + offset[:-1][same]
    length = (offset[1:] - offset[:-1])[same]
    status = line.at(piece_agent, piece_start)
    on = status.logged_in
    interval = np.searchsorted(edges_ms, piece_start[on], side="right") - 1
    agent, state, reason = piece_agent[on], status.state[on], status.reason[on]
    load, length = status.load[on], length[on]
    n_agents, n_reasons = len(agent_mask), len(ops.reasons) + 1
    code = ((interval * n_agents + agent) * _STATES + state) * n_reasons + reason + 1
    groups, inverse = np.unique(code, return_inverse=True)
    columns = [length, np.where(load > 0, length, 0),
               np.where(load >= ops.max_concurrency[agent], length, 0)]
    sums = np.stack([np.bincount(inverse.ravel(), weights=c, minlength=len(groups))
                     for c in columns], axis=1).round().astype(np.int64)
    rest, group_reason = np.divmod(groups, n_reasons)
    rest, group_state = np.divmod(rest, _STATES)
    group_interval, group_agent = np.divmod(rest, n_agents)
    return StateTimes(interval=group_interval, agent=group_agent, state=group_state,
                      reason=group_reason - 1, ms=sums)
