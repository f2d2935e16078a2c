"""Build queuehealth, agentactivity, sla and queuestate responses in the pages' exact shapes.

The numbers come from the same center as engactivity's (:mod:`engframe.sim.queues`,
:mod:`engframe.sim.agent_states`); the shapes follow each method's page (its examples are in
``data/samples/operational/``). Where a page is silent or its examples disagree, the
simulator does what the page's element table says:

- **queuehealth**: ``skillsMetrics`` (with ``skillIds``) and ``metricsTotals``, in each
  interval of ``metricsByIntervals`` (oldest first, as the page's example) and for the whole
  timeframe. Waits are shown in whole seconds, each value rounded on its own;
  ``avgTimeToAnswer``/``avgTimeToAbandon`` are those totals divided by their counts, rounded
  (0 without a count); ``abandonmentRate`` is ``abandoned / (abandoned + connected)`` to two
  decimals; ``averageQueueSize``/``averageAvailableSlots`` are sum / count as full doubles.
  Without a measure, the extremes and averages are -1; so are the current values in every
  interval. A skill's whole-timeframe extremes are the extremes of its measures (the page's
  example sums the intervals'); a total's are the sums of its skills' (as the example shows),
  leaving -1 out. The current queue size is ``currentQueueSize`` in skills too (the page's
  second example; its first writes ``currentQueueState``).
- **agentactivity**: per agent, states by id (2 Online, 3 "Back in 5", 4 Away with its
  reasons, -1 Logged in, in that order), each ``total = chatting + notChatting`` and
  ``chattingInMaxConcurrency`` within ``chatting``, seconds rounded on their own from exact
  milliseconds (so a sum of states can differ from Logged in by up to a second a state).
  The window is exactly the ``timeframe`` back from now, not widened to buckets (the page's
  example: 3368 + 3600 + 232 s for 120 minutes); intervals end on bucket edges, newest first.
  ``metricsTotals`` is ``[]`` ("not supported"). The whole timeframe's ``metricsPerAgent``
  holds every agent (the page's example shows it empty).
- **sla**: ``slaDataRange`` keyed by each bucket's lower bound [s]: ``chats`` connected in the
  window whose wait (arrival to connection, whole seconds) falls in the bucket,
  ``percentageFromTotal = chats / all chats`` and ``accumulated`` the running share, both as
  doubles (0 when no chat).
- **queuestate**: every skill with queue state data now (or each asked skill, -1 without
  data) and ``totals`` of the values other than -1; version 2 adds
  ``currentMaxWaitTimeInQueue`` [ms], whose total is the skills' maximum.

Examples
--------
>>> from engframe.sim.model import Center
>>> from engframe.sim.operational import Operations
>>> from engframe.sim.query_ops import parse_ops_query
>>> center = Center(seed=1)
>>> body = build_ops_response(center, Operations(center),
...     parse_ops_query("queuestate", {"v": "1", "skillIds": "1"}), now_ms=1_795_638_544_123)
>>> body["skills"]  # no such skill: no queue state data
{'1': {'currentAvailableSlots': -1, 'currentQueueSize': -1}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np

from engframe.scope import Scope
from engframe.sim.agent_states import state_times
from engframe.sim.model import Center
from engframe.sim.operational import AWAY, BACK_SOON, ONLINE, Operations
from engframe.sim.query import IdSelection
from engframe.sim.query_ops import OpsQuery
from engframe.sim.queues import QueueActivity, QueueNow, queue_activity, queue_now
from engframe.sim.render import REFRESH_MS
from engframe.window import Window, exact_window, query_window

__all__ = [
    "AGENTACTIVITY_NEWEST_FIRST",
    "QUEUEHEALTH_METRICS",
    "STATES",
    "build_ops_response",
]

#: queuehealth's metrics, in the page's first example's order.
QUEUEHEALTH_METRICS: Final = (
    "totalTimeToAnswer", "enteredQEng", "avgTimeToAnswer", "abandonmentRate", "abandonedEng",
    "connectedEng", "avgTimeToAbandon", "totalTimeToAbandon", "maxQueueSize", "minQueueSize",
    "averageQueueSize", "maxAvailableSlots", "minAvailableSlots", "averageAvailableSlots",
    "currentQueueSize", "currentAvailableSlots", "availableSlotsSum", "availableSlotsCount",
    "queueSizeSum", "queueSizeCount",
)
#: agentactivity's states: (id, name, the simulator's state code or None for the whole).
STATES: Final = ((2, "Online", ONLINE), (3, "Back in 5", BACK_SOON), (4, "Away", AWAY),
                 (-1, "Logged in", None))
#: agentactivity's intervals come newest first in its page's example; queuehealth's oldest first.
AGENTACTIVITY_NEWEST_FIRST: Final = True
_Data = dict[str, Any]


def build_ops_response(
    center: Center,
    ops: Operations,
    query: OpsQuery,
    *,
    now_ms: int,
    agent_groups: np.ndarray | None = None,
    refresh_ms: int = REFRESH_MS,
) -> dict[str, Any]:
    """The response to ``query`` asked at ``now_ms``.

    Parameters
    ----------
    center : Center
        The simulated contact center.
    ops : Operations
        Its abandoners, breaks, concurrency and away reasons.
    query : OpsQuery
        A validated query (:func:`engframe.sim.query_ops.parse_ops_query`).
    now_ms : int
        When the query is asked [epoch ms, UTC].
    agent_groups : numpy.ndarray of int64, optional
        Each agent's group id (by position), for sla's ``groupIds``; without it, ``groupIds``
        lists select no agent.
    refresh_ms : int, optional
        Data refresh period [ms]: later events are not shown yet.

    Returns
    -------
    dict
        The decoded JSON response.

    Examples
    --------
    >>> from engframe.sim.query_ops import parse_ops_query
    >>> center = Center(seed=1)
    >>> q = parse_ops_query("sla", {"timeframe": "60", "v": "1", "histogram": "0,30"})
    >>> list(build_ops_response(center, Operations(center), q, now_ms=1_795_638_544_123)
    ...      ["slaDataRange"])
    ['0', '30']
    """
    visible = now_ms - now_ms % refresh_ms
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "queuehealth": lambda: _queuehealth(center, ops, query, now_ms=now_ms, visible=visible),
        "agentactivity": lambda: _agentactivity(center, ops, query, now_ms=now_ms),
        "sla": lambda: _sla(center, query, now_ms=now_ms, visible=visible,
                            agent_groups=agent_groups),
        "queuestate": lambda: _queuestate(center, ops, query, visible=visible),
    }
    return builders[query.method]()


def _chosen(selection: IdSelection, ids: np.ndarray) -> np.ndarray:
    """Which positions of ``ids`` a selection picks (none sent: all of them)."""
    return Scope(skills=selection, agents=None).chosen("skills", ids)


def _edges(window: Window) -> np.ndarray:
    if window.intervals:
        return np.array([i.start_ms for i in window.intervals] + [window.end_ms], dtype=np.int64)
    return np.array([window.start_ms, window.end_ms], dtype=np.int64)


def _seconds(ms: int) -> int:
    return (ms + 500) // 1000  # half a second rounds up, as engactivity's handling times


def _per(total: int, count: int) -> int:
    return (2 * total + count) // (2 * count) if count else 0  # rounded, half up


# -- queuehealth ---------------------------------------------------------------------------

def _queuehealth(
    center: Center, ops: Operations, query: OpsQuery, *, now_ms: int, visible: int
) -> dict[str, Any]:
    assert query.timeframe is not None
    window = query_window(now_ms=now_ms, timeframe=query.timeframe, interval=query.interval)
    activity = queue_activity(center, ops, edges_ms=_edges(window), visible_ms=visible)
    now = queue_now(center, ops, now_ms=visible)
    chosen = _chosen(query.skill_ids, center.skill_ids)
    response: dict[str, Any] = {}
    if window.intervals:
        response["metricsByIntervals"] = [
            {"timestamp": span.end_ms,
             "metricsData": _queue_blocks(center, query, _period(activity, i), None, chosen)}
            for i, span in enumerate(window.intervals)
        ]
    response.update(_queue_blocks(center, query, _whole(activity), now, chosen))
    return response


def _period(activity: QueueActivity, i: int) -> QueueActivity:
    return QueueActivity(*(getattr(activity, name)[i] for name in QueueActivity.__slots__))


def _whole(activity: QueueActivity) -> QueueActivity:
    measured = activity.size_count > 0
    anything = measured.any(axis=0)

    def largest(values: np.ndarray) -> np.ndarray:
        found: np.ndarray = np.where(measured, values, -1).max(axis=0)
        return found

    def smallest(values: np.ndarray) -> np.ndarray:
        found = np.where(measured, values, np.iinfo(np.int64).max).min(axis=0)
        return np.where(anything, found, -1)

    return QueueActivity(
        events=activity.events.sum(axis=0),
        size_sum=activity.size_sum.sum(axis=0), size_count=activity.size_count.sum(axis=0),
        size_max=largest(activity.size_max), size_min=smallest(activity.size_min),
        slots_sum=activity.slots_sum.sum(axis=0),
        slots_max=largest(activity.slots_max), slots_min=smallest(activity.slots_min),
    )


def _queue_blocks(
    center: Center, query: OpsQuery, cell: QueueActivity, now: QueueNow | None,
    chosen: np.ndarray,
) -> _Data:
    n_skills = len(center.skill_ids)
    current = (np.full(n_skills, -1, np.int64), np.full(n_skills, -1, np.int64)) \
        if now is None else (now.size, now.slots)
    has_data = (cell.events[:, :3].sum(axis=1) > 0) | (cell.size_count > 0)
    shown: list[int] = np.flatnonzero(chosen & has_data).tolist()
    blocks: _Data = {}
    if query.skill_ids is not None:
        blocks["skillsMetrics"] = {
            str(int(center.skill_ids[s])): _queue_metrics(
                cell.events[s].tolist(), [int(getattr(cell, f)[s]) for f in _MEASURES],
                int(current[0][s]), int(current[1][s]))
            for s in shown
        }
    picked = np.flatnonzero(chosen)
    events = cell.events[picked].sum(axis=0).tolist()
    measures = [int(cell.size_sum[picked].sum()), int(cell.size_count[picked].sum()),
                *(_sum_known(getattr(cell, f)[picked]) for f in _MEASURES[2:4]),
                int(cell.slots_sum[picked].sum()),
                *(_sum_known(getattr(cell, f)[picked]) for f in _MEASURES[5:])]
    blocks["metricsTotals"] = _queue_metrics(events, measures, _sum_known(current[0][picked]),
                                             _sum_known(current[1][picked]))
    return blocks


_MEASURES: Final = ("size_sum", "size_count", "size_max", "size_min", "slots_sum", "slots_max",
                    "slots_min")


def _sum_known(values: np.ndarray) -> int:
    """The sum of the values other than -1 (no data); -1 when every one is."""
    known = values[values != -1]
    return int(known.sum()) if len(known) else -1


def _queue_metrics(events: list[int], measures: list[int], current_size: int,
                   current_slots: int) -> dict[str, int | float]:
    entered, connected, abandoned, answer_ms, abandon_ms = events
    size_sum, count, size_max, size_min, slots_sum, slots_max, slots_min = measures
    to_answer, to_abandon = _seconds(answer_ms), _seconds(abandon_ms)
    started = abandoned + connected
    return {
        "totalTimeToAnswer": to_answer,
        "enteredQEng": entered,
        "avgTimeToAnswer": _per(to_answer, connected),
        "abandonmentRate": round(abandoned / started, 2) if started else 0.0,
        "abandonedEng": abandoned,
        "connectedEng": connected,
        "avgTimeToAbandon": _per(to_abandon, abandoned),
        "totalTimeToAbandon": to_abandon,
        "maxQueueSize": size_max,
        "minQueueSize": size_min,
        "averageQueueSize": size_sum / count if count else -1,
        "maxAvailableSlots": slots_max,
        "minAvailableSlots": slots_min,
        "averageAvailableSlots": slots_sum / count if count else -1,
        "currentQueueSize": current_size,
        "currentAvailableSlots": current_slots,
        "availableSlotsSum": slots_sum,
        "availableSlotsCount": count,
        "queueSizeSum": size_sum,
        "queueSizeCount": count,
    }


# -- agentactivity -------------------------------------------------------------------------

def agent_window(*, now_ms: int, timeframe: int, interval: int | None) -> tuple[
        np.ndarray, list[int]]:
    """agentactivity's cuts and interval timestamps: exactly ``timeframe`` back from now.

    Returns
    -------
    edges : numpy.ndarray of int64
        ``[now - timeframe, ..., now]``: the oldest interval starts at the window's start,
        the newest ends now.
    stamps : list of int
        Each interval's timestamp (its end on a bucket edge), oldest first; empty without
        an interval.

    Examples
    --------
    The page's example: 120 minutes in hours at 14:46:08 UTC end at 12:50, 13:50, 14:50.

    >>> edges, stamps = agent_window(now_ms=1_404_225_968_000, timeframe=120, interval=60)
    >>> [int(e) for e in (edges[1:] - edges[:-1]) // 1000], stamps[-1]
    ([232, 3600, 3368], 1404226200000)
    """
    window = exact_window(now_ms=now_ms, timeframe=timeframe, interval=interval)
    if not window.intervals:
        return np.array([window.start_ms, now_ms], dtype=np.int64), []
    edges = [*(span.start_ms for span in window.intervals), now_ms]
    return np.array(edges, dtype=np.int64), [span.end_ms for span in window.intervals]


def _agentactivity(
    center: Center, ops: Operations, query: OpsQuery, *, now_ms: int
) -> dict[str, Any]:
    assert query.timeframe is not None
    edges, stamps = agent_window(now_ms=now_ms, timeframe=query.timeframe,
                                 interval=query.interval)
    chosen = _chosen(query.agent_ids, center.agent_ids)
    times = state_times(center, ops, agent_mask=chosen, edges_ms=edges)
    n_periods, n_agents, n_reasons = len(edges) - 1, len(center.agent_ids), len(ops.reasons)
    # (period, agent, state or reason, measure) in exact ms; reasons after the three states.
    cells = np.zeros((n_periods, n_agents, 3 + n_reasons, 3), dtype=np.int64)
    np.add.at(cells, (times.interval, times.agent, times.state), times.ms)
    away = times.reason >= 0
    np.add.at(cells, (times.interval[away], times.agent[away], 3 + times.reason[away]),
              times.ms[away])
    response: dict[str, Any] = {}
    if stamps:
        entries = [{"timestamp": stamp, "metricsData": _agents_block(ops, center, cells[i])}
                   for i, stamp in enumerate(stamps)]
        response["metricsByIntervals"] = entries[::-1] if AGENTACTIVITY_NEWEST_FIRST else entries
    response.update(_agents_block(ops, center, cells.sum(axis=0)))
    return response


def _agents_block(ops: Operations, center: Center, cells: np.ndarray) -> _Data:
    logged = cells[:, :3, 0].sum(axis=1)
    per_agent = {str(int(center.agent_ids[a])): _agent_states(ops, cells[a].tolist())
                 for a in np.flatnonzero(logged > 0)}
    return {"agentsMetrics": {"metricsPerAgent": per_agent, "metricsTotals": []}}


def _agent_states(ops: Operations, cell: list[list[int]]) -> list[_Data]:
    whole = [sum(cell[state][m] for state in range(3)) for m in range(3)]
    items: list[_Data] = []
    for state_id, name, code in STATES:
        values = whole if code is None else cell[code]
        item: _Data = {"id": state_id, "name": name, "value": _state_value(values)}
        if code == AWAY:
            reasons = [{"id": reason.id, "value": _state_value(cell[3 + r])}
                       for r, reason in enumerate(ops.reasons) if cell[3 + r][0] > 0]
            item = {"reasons": reasons, **item}
        items.append(item)
    return items


def _state_value(ms: list[int]) -> dict[str, int]:
    total, chatting, at_max = ms
    return {"total": _seconds(total), "chatting": _seconds(chatting),
            "notChatting": _seconds(total - chatting),
            "chattingInMaxConcurrency": _seconds(at_max)}


# -- sla -----------------------------------------------------------------------------------

def _sla(center: Center, query: OpsQuery, *, now_ms: int, visible: int,
         agent_groups: np.ndarray | None) -> dict[str, Any]:
    assert query.timeframe is not None and query.histogram is not None
    window = query_window(now_ms=now_ms, timeframe=query.timeframe)
    chats = center.chats(window.start_ms, window.end_ms)
    high = min(window.end_ms, visible + 1)
    skills = _chosen(query.skill_ids, center.skill_ids)
    groups = np.zeros(len(center.agent_ids), dtype=np.int64) if agent_groups is None \
        else agent_groups
    agents = np.ones(len(groups), dtype=bool) if query.group_ids in (None, "all") \
        else np.isin(groups, np.asarray(query.group_ids, dtype=np.int64))
    hit = (skills[chats.skill] & agents[chats.agent] & (chats.connect_ms >= window.start_ms)
           & (chats.connect_ms < high))
    waits = (chats.connect_ms[hit] - chats.arrival_ms[hit]) // 1000
    bounds = np.asarray(query.histogram, dtype=np.int64)
    counts = np.bincount(np.searchsorted(bounds, waits, side="right") - 1,
                         minlength=len(bounds)).tolist()
    total = sum(counts)
    running = np.cumsum(counts).tolist()
    return {"slaDataRange": {
        str(bound): {"accumulated": below / total if total else 0.0,
                     "percentageFromTotal": chats_in / total if total else 0.0,
                     "chats": chats_in}
        for bound, chats_in, below in zip(query.histogram, counts, running, strict=True)
    }}


# -- queuestate ----------------------------------------------------------------------------

def _queuestate(center: Center, ops: Operations, query: OpsQuery, *, visible: int
                ) -> dict[str, Any]:
    now = queue_now(center, ops, now_ms=visible)
    position = {int(skill): s for s, skill in enumerate(center.skill_ids)}
    if query.skill_ids in (None, "all"):
        asked = [int(center.skill_ids[s]) for s in np.flatnonzero(now.size != -1)]
    else:
        asked = list(dict.fromkeys(query.skill_ids))  # type: ignore[arg-type]
    with_wait = query.version == "2"

    def state(s: int | None) -> dict[str, int]:
        values = (-1, -1, -1) if s is None else (
            int(now.slots[s]), int(now.size[s]), int(now.max_wait_ms[s]))
        item = {"currentAvailableSlots": values[0], "currentQueueSize": values[1]}
        if with_wait:
            item["currentMaxWaitTimeInQueue"] = values[2]
        return item

    skills = {str(skill): state(position.get(skill)) for skill in asked}
    known = [position[skill] for skill in asked if skill in position]
    totals = {"currentAvailableSlots": _sum_known(now.slots[known]),
              "currentQueueSize": _sum_known(now.size[known])}
    if with_wait:
        waits = now.max_wait_ms[known]
        totals["currentMaxWaitTimeInQueue"] = int(waits.max()) if len(waits) else -1
    return {"skills": skills, "totals": totals}
