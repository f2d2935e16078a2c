"""The five metrics, computed from chats per interval, skill and agent.

How each metric is measured (the spec's definitions, made exact):

=================================  ============================================  =======
metric                             what is summed                                event
=================================  ============================================  =======
``totalInteractiveChats``          interactive chats                             close
``totalNonInteractiveChats``       non-interactive chats (abandoned included)    close
``totalHandlingTime``              handling time of the interactive ones [ms]    close
``nonInteractiveTotalHandlingTime``  handling time of the non-interactive [ms]   close
``connectedEngagements``           chats connected to an agent                   connect
=================================  ============================================  =======

A chat counts in the period where its event falls (a chat's whole handling time goes to
the period it closed in), and only once the event has happened (at or before the data's
last refresh). Sums are exact integers in milliseconds; :func:`to_shown` turns each
element into whole seconds on its own (half a second rounds up), so a total can differ
from the sum of its shown parts by rounding, as the real API warns.

Examples
--------
>>> import numpy as np
>>> to_shown(np.array([[1, 0, 1_499, 500, 1]])).tolist()
[[1, 0, 1, 1, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engframe.schema import METRICS
from engframe.sim.model import ChatTable

__all__ = ["MS_METRICS", "Events", "Grouped", "group", "select_events", "to_shown"]

#: Positions (in :data:`engframe.schema.METRICS`) of the metrics kept in ms, shown in s.
MS_METRICS: Final = (2, 3)
_N_METRICS: Final = len(METRICS)


@dataclass(frozen=True, slots=True)
class Events:
    """Metric events (closes and connections) placed in intervals.

    Attributes
    ----------
    interval, skill, agent : numpy.ndarray of int64
        The interval (position in the edges), skill and agent (positions) of each event.
    raw : numpy.ndarray of int64, shape (n, k)
        What each event adds to each summed metric (counts, or milliseconds of handling):
        the five of engactivity, or another method's (:mod:`engframe.sim.methods`).
    shape : tuple of int
        ``(n_intervals, n_skills, n_agents)``.
    """

    interval: np.ndarray
    skill: np.ndarray
    agent: np.ndarray
    raw: np.ndarray
    shape: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Grouped:
    """Metric sums per group, sorted by (interval, skill, agent) position.

    Attributes
    ----------
    interval, skill, agent : numpy.ndarray of int64
        The group's interval, skill and agent positions; 0 for a dimension not grouped by.
    raw : numpy.ndarray of int64, shape (n, 5)
        Exact sums (counts, milliseconds).
    """

    interval: np.ndarray
    skill: np.ndarray
    agent: np.ndarray
    raw: np.ndarray


def select_events(
    chats: ChatTable,
    *,
    edges_ms: np.ndarray,
    visible_ms: int,
    skill_mask: np.ndarray,
    agent_mask: np.ndarray,
) -> Events:
    """The events of ``chats`` inside the intervals, restricted to the skills and agents asked.

    Parameters
    ----------
    chats : ChatTable
        Candidate chats.
    edges_ms : numpy.ndarray of int64
        Interval boundaries, ascending [epoch ms]: interval ``i`` is
        ``[edges_ms[i], edges_ms[i + 1])``.
    visible_ms : int
        Events after this moment have not happened yet [epoch ms].
    skill_mask, agent_mask : numpy.ndarray of bool
        Which skill and agent positions count.

    Returns
    -------
    Events
        The close events followed by the connect events.

    Examples
    --------
    >>> import numpy as np
    >>> from engframe.sim.model import Center
    >>> center = Center(seed=1)
    >>> day = np.array([0, 86_400_000])
    >>> ev = select_events(center.chats(0, 86_400_000), edges_ms=day, visible_ms=86_400_000,
    ...                    skill_mask=np.ones(10, bool), agent_mask=np.ones(60, bool))
    >>> ev.shape
    (1, 10, 60)
    """
    who = skill_mask[chats.skill] & agent_mask[chats.agent]
    low, high = int(edges_ms[0]), min(int(edges_ms[-1]), visible_ms + 1)
    closed = who & (chats.close_ms >= low) & (chats.close_ms < high)
    connected = who & (chats.connect_ms >= low) & (chats.connect_ms < high)
    n_closed = int(closed.sum())
    raw = np.zeros((n_closed + int(connected.sum()), _N_METRICS), dtype=np.int64)
    interactive = chats.interactive[closed]
    handling = chats.handling_ms[closed]
    raw[:n_closed, 0] = interactive
    raw[:n_closed, 1] = ~interactive
    raw[:n_closed, 2] = np.where(interactive, handling, 0)
    raw[:n_closed, 3] = np.where(interactive, 0, handling)
    raw[n_closed:, 4] = 1
    times = np.concatenate([chats.close_ms[closed], chats.connect_ms[connected]])
    return Events(
        interval=np.searchsorted(edges_ms, times, side="right").astype(np.int64) - 1,
        skill=np.concatenate([chats.skill[closed], chats.skill[connected]]),
        agent=np.concatenate([chats.agent[closed], chats.agent[connected]]),
        raw=raw,
        shape=(len(edges_ms) - 1, len(skill_mask), len(agent_mask)),
    )


def group(
    events: Events, *, by_interval: bool, by_skill: bool = False, by_agent: bool = False
) -> Grouped:
    """Sum the events per group; only groups with at least one event appear.

    Parameters
    ----------
    events : Events
        From :func:`select_events`.
    by_interval, by_skill, by_agent : bool
        The dimensions to group by; none of them gives one grand total (when any event).

    Returns
    -------
    Grouped
        Exact sums, sorted by interval, then skill, then agent position.

    Examples
    --------
    >>> import numpy as np
    >>> ev = Events(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([2, 2, 2]),
    ...             np.ones((3, 5), np.int64), (2, 2, 3))
    >>> g = group(ev, by_interval=True)
    >>> g.interval.tolist(), g.raw[:, 0].tolist()
    ([0, 1], [1, 2])
    """
    n_intervals, n_skills, n_agents = events.shape
    zero = np.zeros_like(events.interval)
    parts = (
        events.interval if by_interval else zero,
        events.skill if by_skill else zero,
        events.agent if by_agent else zero,
    )
    keys = np.ravel_multi_index(parts, (max(n_intervals, 1), n_skills, n_agents))
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros((len(unique), events.raw.shape[1]), dtype=np.int64)
    np.add.at(sums, inverse.ravel(), events.raw)
    interval, skill, agent = np.unravel_index(unique, (max(n_intervals, 1), n_skills, n_agents))
    return Grouped(
        interval=interval.astype(np.int64),
        skill=skill.astype(np.int64),
        agent=agent.astype(np.int64),
        raw=sums,
    )


def to_shown(raw: np.ndarray) -> np.ndarray:
    """The values the API shows: handling times in whole seconds, each element on its own.

    Parameters
    ----------
    raw : numpy.ndarray of int64, shape (n, 5)
        Exact sums, handling times in milliseconds.

    Returns
    -------
    numpy.ndarray of int64, shape (n, 5)
        Counts unchanged; handling times rounded to the nearest second (half up).

    Examples
    --------
    >>> import numpy as np
    >>> to_shown(np.array([[0, 0, 2_500, 2_499, 0]]))[0, 2:4].tolist()
    [3, 2]
    """
    shown = raw.copy()
    columns = list(MS_METRICS)
    shown[:, columns] = (raw[:, columns] + 500) // 1000
    return shown
