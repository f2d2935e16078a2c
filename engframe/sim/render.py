"""Build a method's response, in the API's exact shapes, from the simulated center.

Every method the simulator serves answers in Engagement Activity's shape (the catalogue's
``sections`` layout); what it counts and how it shows it is its measure's
(:mod:`engframe.sim.methods`).

Which sections a response has follows the spec's examples:

=====================  ===================================================
asked for              sections (also inside each interval's metricsData)
=====================  ===================================================
neither ids            ``metricsTotals`` (the account)
``skillIds``           ``skillsMetricsPerAgent``
``agentIds``           ``agentsMetrics``
both                   ``skillsMetricsPerAgent`` then ``agentsMetrics``
=====================  ===================================================

Every section counts the chats the request selects (the model of :mod:`engframe.scope`): with
both, each section holds the chats of the asked agents on the asked skills (the spec's
``skillIds=all&agentIds=3`` example). A skill or agent with no event in a period is left
out of that period's map; totals are always there, zeros when nothing happened. With an
``interval``, ``metricsByIntervals`` comes first, newest interval first (as in the spec's
example), each stamped with its end [epoch ms]; the whole-timeframe sections follow.
Maps are ordered by ascending id.

Examples
--------
>>> from engframe.sim.model import Center
>>> from engframe.sim.query import EngQuery
>>> body = build_response(Center(seed=1), EngQuery(timeframe=60, interval=30),
...                       now_ms=1_395_821_220_000)
>>> list(body), len(body["metricsByIntervals"])
(['metricsByIntervals', 'metricsTotals'], 3)
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import numpy as np

from engframe.schema import (
    AGENTS_KEY,
    INTERVALS_KEY,
    PER_AGENT_KEY,
    PER_SKILL_KEY,
    SKILLS_KEY,
    TOTALS_KEY,
)
from engframe.scope import Scope
from engframe.sim.aggregate import Events, group
from engframe.sim.methods import MEASURES, Measure
from engframe.sim.model import Center
from engframe.sim.query import EngQuery
from engframe.window import query_window

__all__ = [
    "AGENTS_KEY",
    "DEFAULT_NEWEST_FIRST",
    "REFRESH_MS",
    "SKILLS_KEY",
    "TOTALS_KEY",
    "build_response",
    "encode",
]

#: The API's data refreshes every 10 seconds: events after the last refresh are not shown.
REFRESH_MS: Final = 10_000
#: Intervals newest first, as in this method's example in the spec.
DEFAULT_NEWEST_FIRST: Final = True

_Data = dict[str, Any]


def build_response(
    center: Center,
    query: EngQuery,
    *,
    now_ms: int,
    newest_first: bool = DEFAULT_NEWEST_FIRST,
    refresh_ms: int = REFRESH_MS,
) -> dict[str, Any]:
    """The response of ``query``'s method for ``query`` asked at ``now_ms``.

    Parameters
    ----------
    center : Center
        The simulated contact center.
    query : EngQuery
        A validated query (see :func:`engframe.sim.query.parse_query`).
    now_ms : int
        When the query is asked [epoch ms, UTC]; the window comes from
        :func:`engframe.window.query_window`.
    newest_first : bool, optional
        Order of ``metricsByIntervals``; the API has been seen both ways.
    refresh_ms : int, optional
        Data refresh period [ms]: events later than ``now_ms`` rounded down to it are not
        shown yet.

    Returns
    -------
    dict
        The decoded JSON response.

    Examples
    --------
    >>> from engframe.sim.model import Center
    >>> from engframe.sim.query import EngQuery
    >>> body = build_response(Center(seed=1), EngQuery(timeframe=1440, skill_ids="all",
    ...                       agent_ids="all"), now_ms=1_395_821_220_000)
    >>> list(body)
    ['skillsMetricsPerAgent', 'agentsMetrics']
    """
    window = query_window(now_ms=now_ms, timeframe=query.timeframe, interval=query.interval)
    scope = Scope(skills=query.skill_ids, agents=query.agent_ids)
    if window.intervals:
        edges = [span.start_ms for span in window.intervals] + [window.end_ms]
    else:
        edges = [window.start_ms, window.end_ms]
    measure = MEASURES[query.method]
    skill_ids = measure.skill_ids(center)
    events = measure.events(
        center, np.asarray(edges, dtype=np.int64), now_ms - now_ms % refresh_ms,
        scope.chosen("skills", skill_ids), scope.chosen("agents", center.agent_ids))
    shape = _Shape(measure, skill_ids, center.agent_ids, width=events.raw.shape[1])
    response: dict[str, Any] = {}
    if window.intervals:
        per_interval = _metrics_data(shape, query, events, by_interval=True)
        entries = [
            {"timestamp": span.end_ms, "metricsData": data}
            for span, data in zip(window.intervals, per_interval, strict=True)
        ]
        response[INTERVALS_KEY] = entries[::-1] if newest_first else entries
    response.update(_metrics_data(shape, query, events, by_interval=False)[0])
    return response


def encode(response: dict[str, Any]) -> bytes:
    """Compact JSON bytes of a response, keys in insertion order (deterministic).

    Parameters
    ----------
    response : dict
        A response from :func:`build_response`.

    Returns
    -------
    bytes
        UTF-8 JSON.

    Examples
    --------
    >>> encode({"metricsTotals": {"totalInteractiveChats": 1}})
    b'{"metricsTotals":{"totalInteractiveChats":1}}'
    """
    return msgspec.json.encode(response)


class _Shape:
    """What laying out a method's response needs: how it shows values, and the ids."""

    def __init__(self, measure: Measure, skill_ids: np.ndarray, agent_ids: np.ndarray,
                 width: int) -> None:
        self.measure = measure
        self.skill_keys = np.asarray(skill_ids).astype(str)
        self.agent_keys = np.asarray(agent_ids).astype(str)
        self.width = width  # the summed metrics of the measure's events

    def rows(self, raw: np.ndarray) -> list[dict[str, Any]]:
        return self.measure.shown(raw)

    def zeros(self) -> dict[str, Any]:
        """A metric map of nothing: the totals the API sends when nothing happened."""
        return self.measure.shown(np.zeros((1, self.width), np.int64))[0]


def _metrics_data(
    shape: _Shape, query: EngQuery, events: Events, *, by_interval: bool
) -> list[_Data]:
    """One ``metricsData`` per interval (or a single one for the whole timeframe)."""
    count = events.shape[0] if by_interval else 1
    data: list[_Data] = [{} for _ in range(count)]
    skills, agents = query.skill_ids is not None, query.agent_ids is not None
    if not skills and not agents:
        totals = _totals(shape, events, by_interval=by_interval, count=count)
        for target, metrics in zip(data, totals, strict=True):
            target[TOTALS_KEY] = metrics
    if skills:
        for target, section in zip(
            data, _skills_section(shape, events, by_interval=by_interval, count=count),
            strict=True,
        ):
            target[SKILLS_KEY] = section
    if agents:
        for target, section in zip(
            data, _agents_section(shape, events, by_interval=by_interval, count=count),
            strict=True,
        ):
            target[AGENTS_KEY] = section
    return data


def _totals(shape: _Shape, events: Events, *, by_interval: bool,
            count: int) -> list[dict[str, Any]]:
    totals = [shape.zeros() for _ in range(count)]
    grouped = group(events, by_interval=by_interval)
    for position, metrics in zip(grouped.interval.tolist(), shape.rows(grouped.raw),
                                 strict=True):
        totals[position] = metrics
    return totals


def _skills_section(
    shape: _Shape, events: Events, *, by_interval: bool, count: int
) -> list[_Data]:
    per_skill: list[dict[str, _Data]] = [{} for _ in range(count)]
    skill = group(events, by_interval=by_interval, by_skill=True)
    skill_keys = shape.skill_keys[skill.skill].tolist()
    for position, key, metrics in zip(
        skill.interval.tolist(), skill_keys, shape.rows(skill.raw), strict=True
    ):
        per_skill[position][key] = {PER_AGENT_KEY: {}, TOTALS_KEY: metrics}
    cell = group(events, by_interval=by_interval, by_skill=True, by_agent=True)
    cell_skills = shape.skill_keys[cell.skill].tolist()
    cell_agents = shape.agent_keys[cell.agent].tolist()
    for position, key, agent, metrics in zip(
        cell.interval.tolist(), cell_skills, cell_agents, shape.rows(cell.raw), strict=True
    ):
        per_skill[position][key][PER_AGENT_KEY][agent] = metrics
    totals = _totals(shape, events, by_interval=by_interval, count=count)
    return [
        {PER_SKILL_KEY: skills, TOTALS_KEY: total}
        for skills, total in zip(per_skill, totals, strict=True)
    ]


def _agents_section(
    shape: _Shape, events: Events, *, by_interval: bool, count: int
) -> list[_Data]:
    per_agent: list[dict[str, dict[str, Any]]] = [{} for _ in range(count)]
    agent = group(events, by_interval=by_interval, by_agent=True)
    agent_keys = shape.agent_keys[agent.agent].tolist()
    for position, key, metrics in zip(
        agent.interval.tolist(), agent_keys, shape.rows(agent.raw), strict=True
    ):
        per_agent[position][key] = metrics
    totals = _totals(shape, events, by_interval=by_interval, count=count)
    return [
        {PER_AGENT_KEY: agents, TOTALS_KEY: total}
        for agents, total in zip(per_agent, totals, strict=True)
    ]
