"""Messaging conversations in the simulated center: who resolved them, how long, and CSAT.

The same center (:class:`~engframe.sim.model.Center`: its skills, agents and shifts, its daily
rhythm) also runs messaging. Conversations are drawn per UTC day from their own generator,
seeded by ``(seed, 3, day)``, so the center's chats never change and any moment has the same
conversations whatever was asked before:

- a conversation arrives with the center's rhythm (:data:`MESSAGING_SHARE` of its chat
  volume), on a skill by the skills' shares, or on no skill at all (:data:`UNASSIGNED_SHARE`:
  the API's skill ``-1``), and goes to an agent on duty serving its skill (any agent on duty
  for an unassigned one);
- it is resolved by the agent (``byCCP``: the contact center professional closes it), the
  consumer or the system (a timeout), with probabilities that vary by skill, after a
  handling time whose median depends on who resolved it (a timeout waits long);
- a share of the resolved conversations get a CSAT answer from 1 to 5 a few minutes later,
  better for the better agents, worse when the system timed the conversation out.

Times are epoch milliseconds. The ground truth behind the simulated Messaging Operations
answers is :meth:`Messaging.frame`.

Examples
--------
>>> from engframe.sim.model import Center
>>> messaging = Messaging.for_center(Center(seed=1))
>>> table = messaging.conversations(0, 86_400_000)
>>> bool((table.resolved_ms - table.connect_ms == table.handling_ms).all())
True
>>> sorted(set(table.resolver.tolist()))
[0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pandas as pd

from engframe.sim._days import DayCache
from engframe.sim.model import DAY_MS, WAIT_MAX_MS, WAIT_MEAN_MS, Center

__all__ = [
    "CSAT_RESPONSE_RATE",
    "MESSAGING_SHARE",
    "RESOLVERS",
    "UNASSIGNED_SHARE",
    "ConversationTable",
    "Messaging",
]

#: Messaging conversations a day, as a share of the center's chats.
MESSAGING_SHARE: Final = 0.6
#: The share of conversations never assigned a skill (the API's skill -1).
UNASSIGNED_SHARE: Final = 0.03
#: Who resolves a conversation, in the metrics' order: the agent (CCP), the consumer, the
#: system (a timeout).
RESOLVERS: Final = ("byCCP", "byConsumer", "bySystem")
#: How often each resolves one, drawn per skill around these shares.
RESOLVER_SHARE: Final = (0.55, 0.3, 0.15)
#: An unassigned conversation is resolved by the consumer or the system only.
UNASSIGNED_RESOLVER_SHARE: Final = (0.0, 0.5, 0.5)
#: Median handling time by who resolved [ms], and the spread (sigma of the log).
HANDLING_MEDIAN_MS: Final = (420_000, 300_000, 1_500_000)
HANDLING_SIGMA: Final = 0.7
HANDLING_MIN_MS: Final = 5_000
HANDLING_MAX_MS: Final = 4 * 3_600_000
#: The share of conversations resolved by the agent or the consumer (and by the system) that
#: get a CSAT answer.
CSAT_RESPONSE_RATE: Final = (0.35, 0.35, 0.10)
#: Mean delay of a CSAT answer after the resolution [ms], and its cap.
CSAT_DELAY_MEAN_MS: Final = 120_000
CSAT_DELAY_MAX_MS: Final = 1_800_000
#: How far back to draw conversations for a window: arrival to resolution and answer.
MAX_SPAN_MS: Final = WAIT_MAX_MS + HANDLING_MAX_MS + CSAT_DELAY_MAX_MS
_MINUTE_MS: Final = 60_000
_HOUR_MS: Final = 3_600_000
_THURSDAY: Final = 3


@dataclass(frozen=True, slots=True)
class ConversationTable:
    """Conversations as parallel arrays, one element per conversation.

    Attributes
    ----------
    skill : numpy.ndarray of int64
        Position in :attr:`Messaging.skill_ids`: 0 is skill -1 (unassigned), then the
        center's skills in ascending order.
    agent : numpy.ndarray of int64
        Position in the center's ``agent_ids``.
    arrival_ms, connect_ms, resolved_ms : numpy.ndarray of int64
        When it arrived, reached its agent and was resolved [epoch ms].
    resolver : numpy.ndarray of int64
        Who resolved it: 0 the agent (CCP), 1 the consumer, 2 the system.
    handling_ms : numpy.ndarray of int64
        ``resolved_ms - connect_ms`` [ms].
    csat : numpy.ndarray of int64
        The CSAT answer, 1 to 5, or 0 when none was given.
    csat_ms : numpy.ndarray of int64
        When the answer was given [epoch ms] (meaningless without one).
    """

    skill: np.ndarray
    agent: np.ndarray
    arrival_ms: np.ndarray
    connect_ms: np.ndarray
    resolved_ms: np.ndarray
    resolver: np.ndarray
    handling_ms: np.ndarray
    csat: np.ndarray
    csat_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.skill.shape[0])

    @staticmethod
    def concat(tables: list[ConversationTable]) -> ConversationTable:
        """Stack tables, in the order given."""
        names = [f.name for f in fields(ConversationTable)]
        return ConversationTable(*(np.concatenate([getattr(t, n) for t in tables])
                                   for n in names))


class Messaging:
    """The messaging side of a simulated center (see the module's docstring).

    Parameters
    ----------
    center : Center
        The center whose skills, agents, shifts and rhythm it shares.
    """

    def __init__(self, center: Center) -> None:
        self.center = center
        #: The ids a skill position stands for: -1 (unassigned), then the center's skills.
        self.skill_ids: np.ndarray = np.concatenate([[-1], center.skill_ids]).astype(np.int64)
        rng = np.random.default_rng([center.seed, 3])
        n_skills, n_agents = len(center.skill_ids), len(center.agent_ids)
        shares = np.asarray(RESOLVER_SHARE)
        per_skill = rng.dirichlet(shares * 40, n_skills)
        self._resolver_share = np.vstack([UNASSIGNED_RESOLVER_SHARE, per_skill])
        #: how good each agent's conversations feel to consumers (0 poor .. 1 excellent)
        self.quality: np.ndarray = rng.beta(5, 2, n_agents)
        self._days: DayCache[ConversationTable] = DayCache(self._draw_day)

    @classmethod
    def for_center(cls, center: Center) -> Messaging:
        """The messaging of ``center``, made once and kept on it.

        Examples
        --------
        >>> center = Center(seed=2)
        >>> Messaging.for_center(center) is Messaging.for_center(center)
        True
        """
        found: Messaging | None = getattr(center, "_messaging", None)
        if found is None:
            found = cls(center)
            center._messaging = found  # type: ignore[attr-defined]
        return found

    def conversations(self, start_ms: int, end_ms: int) -> ConversationTable:
        """Every conversation that could have an event in ``[start_ms, end_ms)``.

        Whole UTC days of arrival, from the one a conversation resolved (or answered) at
        ``start_ms`` could have arrived in up to the one holding ``end_ms``.
        """
        first = (start_ms - MAX_SPAN_MS) // DAY_MS
        last = (max(end_ms, start_ms + 1) - 1) // DAY_MS
        return ConversationTable.concat([self._day(day) for day in range(first, last + 1)])

    def frame(self, start_ms: int, end_ms: int) -> pd.DataFrame:
        """The conversations of :meth:`conversations` with ids and UTC times (ground truth).

        Columns ``skill`` (-1 for unassigned), ``agent``, ``arrival``, ``connect``,
        ``resolved``, ``resolver`` (``byCCP``, ``byConsumer``, ``bySystem``),
        ``handling_ms``, ``csat`` (0: no answer), ``csat_at``.

        Examples
        --------
        >>> frame = Messaging.for_center(Center(seed=1)).frame(0, 3_600_000)
        >>> list(frame.columns)[:3]
        ['skill', 'agent', 'arrival']
        """
        table = self.conversations(start_ms, end_ms)

        def stamps(ms: np.ndarray) -> pd.DatetimeIndex:
            return pd.DatetimeIndex(ms.astype("M8[ms]")).tz_localize("UTC")

        return pd.DataFrame({
            "skill": self.skill_ids[table.skill],
            "agent": self.center.agent_ids[table.agent],
            "arrival": stamps(table.arrival_ms),
            "connect": stamps(table.connect_ms),
            "resolved": stamps(table.resolved_ms),
            "resolver": np.asarray(RESOLVERS)[table.resolver],
            "handling_ms": table.handling_ms,
            "csat": table.csat,
            "csat_at": stamps(table.csat_ms),
        })

    def _day(self, day: int) -> ConversationTable:
        return self._days(day)

    def _draw_day(self, day: int) -> ConversationTable:
        center = self.center
        rng = np.random.default_rng([center.seed, 3, day % 2**63])
        day_ms = day * DAY_MS
        offset_ms = center.config.utc_offset_minutes * _MINUTE_MS
        minute_ms = day_ms + np.arange(1440, dtype=np.int64) * _MINUTE_MS
        local_minute = ((minute_ms + offset_ms) // _MINUTE_MS) % 1440
        weekday = ((minute_ms + offset_ms) // DAY_MS + _THURSDAY) % 7
        rate = (center._minute_rate[local_minute] * MESSAGING_SHARE
                * np.where(weekday >= 5, 0.55, 1.0))
        counts = rng.poisson(rate)
        n = int(counts.sum())
        arrival = np.repeat(minute_ms, counts) + rng.integers(0, _MINUTE_MS, n)
        arrival.sort()
        n_skills = len(center.skill_ids)
        routed = rng.choice(n_skills, size=n, p=center._skill_share)  # whose agents take it
        unassigned = rng.random(n) < UNASSIGNED_SHARE
        skill = np.where(unassigned, 0, routed + 1).astype(np.int64)
        local = arrival + offset_ms
        hour = (local // _HOUR_MS) % 24
        day_of_week = (local // DAY_MS + _THURSDAY) % 7
        pick = (rng.random(n) * center._n_eligible[routed, day_of_week, hour]).astype(np.int64)
        agent = center._eligible[routed, day_of_week, hour, pick].astype(np.int64)
        wait = np.minimum(rng.exponential(WAIT_MEAN_MS, n), WAIT_MAX_MS).astype(np.int64)
        cumulative = np.cumsum(self._resolver_share[skill], axis=1)
        resolver = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1).astype(np.int64)
        median = np.asarray(HANDLING_MEDIAN_MS, np.float64)[resolver]
        handling = np.clip(rng.lognormal(np.log(median), HANDLING_SIGMA),
                           HANDLING_MIN_MS, HANDLING_MAX_MS).astype(np.int64)
        connect = arrival + wait
        resolved = connect + handling
        answered = rng.random(n) < np.asarray(CSAT_RESPONSE_RATE)[resolver]
        csat = np.where(answered, _scores(rng, self.quality[agent], resolver), 0)
        delay = np.minimum(rng.exponential(CSAT_DELAY_MEAN_MS, n), CSAT_DELAY_MAX_MS)
        return ConversationTable(
            skill=skill, agent=agent, arrival_ms=arrival, connect_ms=connect,
            resolved_ms=resolved, resolver=resolver, handling_ms=handling,
            csat=csat.astype(np.int64), csat_ms=resolved + delay.astype(np.int64))


def _scores(rng: np.random.Generator, quality: np.ndarray, resolver: np.ndarray) -> np.ndarray:
    """A CSAT answer 1..5 per conversation: better agents better, timeouts worse."""
    mood = quality - 0.35 * (resolver == 2)
    centre = 1.0 + 4.0 * np.clip(mood + rng.normal(0.0, 0.18, len(mood)), 0.0, 1.0)
    scores: np.ndarray = np.clip(np.rint(centre), 1, 5).astype(np.int64)
    return scores

