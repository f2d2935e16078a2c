"""What the Operational Realtime methods see beyond the chats: abandoners, breaks, slots.

The center of :mod:`engframe.sim.model` draws chats that all reach an agent. The queue,
agent-state and service-level methods (``queuehealth``, ``agentactivity``, ``sla``,
``queuestate``) need a little more of the same center, drawn here from generators of their
own so that nothing engactivity answers changes:

- **abandoners**: visitors who enter a skill's queue and leave before an agent is connected.
  Each day's abandoners shadow that day's chats (a share of them, per skill), so they follow
  the same daily rhythm; each waits an exponential time (mean :data:`ABANDON_MEAN_MS`,
  at most :data:`ABANDON_MAX_MS`) before giving up. They never reach an agent, so they are in
  no engactivity number.
- **maximum concurrency**: how many chats each agent may hold at once (1 to 4). An agent
  holding that many is "chatting in max concurrency"; below it, the difference is free slots.
- **breaks**: while on shift, each agent takes a lunch (Away, reason "Lunch"), a few short
  "Back in 5" breaks and now and then another Away with a reason (meeting, training...).
  Breaks never overlap: a break that starts during another ends the earlier one.
- **away reasons**: the account's configured Away reasons, ids as strings (as the API sends
  them) with their names.

Examples
--------
>>> from engframe.sim.model import Center
>>> ops = Operations.for_center(Center(seed=1))
>>> sorted(set(ops.max_concurrency.tolist())) <= [1, 2, 3, 4]
True
>>> [reason.name for reason in ops.reasons][:2]
['Lunch', 'Meeting']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from engframe.sim.model import DAY_MS, MAX_CHAT_SPAN_MS, Center

__all__ = [
    "ABANDON_MAX_MS",
    "ABANDON_MEAN_MS",
    "ABANDON_SHARE",
    "AWAY",
    "AWAY_REASON_NAMES",
    "BACK_SOON",
    "ONLINE",
    "Abandoners",
    "AwayReason",
    "Breaks",
    "Operations",
]

#: The state codes breaks use (Online is the state outside breaks).
ONLINE: Final = 0
BACK_SOON: Final = 1
AWAY: Final = 2

#: Share of the visitors entering a skill's queue who abandon it, drawn per skill.
ABANDON_SHARE: Final = (0.03, 0.10)
#: Mean wait before abandoning [ms], and its cap.
ABANDON_MEAN_MS: Final = 75_000
ABANDON_MAX_MS: Final = 15 * 60_000
#: An abandoner arrives up to this long after the chat it shadows [ms].
_SHADOW_MS: Final = 60_000
#: The longest an abandoner stays [ms]: how far back to look for them.
MAX_ABANDONER_SPAN_MS: Final = _SHADOW_MS + ABANDON_MAX_MS

#: The account's Away reasons, by name; the first is the lunch break.
AWAY_REASON_NAMES: Final = ("Lunch", "Meeting", "Training", "Coaching", "Technical issue")
#: How often each non-lunch Away reason is chosen.
_REASON_WEIGHTS: Final = (0.35, 0.25, 0.25, 0.15)
#: Maximum concurrency values and how often agents have each.
_CONCURRENCY: Final = ((1, 2, 3, 4), (0.1, 0.3, 0.4, 0.2))
#: Break lengths [minutes]: lunch, back soon, other away.
_LUNCH_MIN: Final = (30, 60)
_BACK_MIN: Final = (3, 15)
_AWAY_MIN: Final = (10, 45)
#: Mean number of "Back in 5" breaks and of other Away breaks per shift.
_BACK_PER_DAY: Final = 2.5
_AWAY_PER_DAY: Final = 0.8
#: The longest break [ms]: how far back to look for breaks.
MAX_BREAK_MS: Final = max(_LUNCH_MIN[1], _BACK_MIN[1], _AWAY_MIN[1]) * 60_000

_HOUR_MS: Final = 3_600_000
_MINUTE_MS: Final = 60_000
_REASON_ID_RANGE: Final = (2_600_000_000, 2_700_000_000)


@dataclass(frozen=True, slots=True)
class AwayReason:
    """One of the account's Away reasons: its id (a string, as the API sends it) and name."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Abandoners:
    """Visitors who left a queue before being connected, as parallel arrays.

    Attributes
    ----------
    skill : numpy.ndarray of int64
        The skill's position in ``center.skill_ids``.
    arrival_ms, abandon_ms : numpy.ndarray of int64
        When the visitor entered the queue and when they left it [epoch ms].
    """

    skill: np.ndarray
    arrival_ms: np.ndarray
    abandon_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.skill.shape[0])


@dataclass(frozen=True, slots=True)
class Breaks:
    """Agents' breaks, sorted by (agent, start), never overlapping for one agent.

    Attributes
    ----------
    agent : numpy.ndarray of int64
        The agent's position in ``center.agent_ids``.
    start_ms, end_ms : numpy.ndarray of int64
        The break ``[start_ms, end_ms)`` [epoch ms].
    state : numpy.ndarray of int64
        :data:`BACK_SOON` or :data:`AWAY`.
    reason : numpy.ndarray of int64
        Position in :attr:`Operations.reasons` for an Away break, -1 otherwise.
    """

    agent: np.ndarray
    start_ms: np.ndarray
    end_ms: np.ndarray
    state: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return int(self.agent.shape[0])


class Operations:
    """The center's queues and agents beyond its chats (see the module's docs).

    Parameters
    ----------
    center : Center
        The simulated contact center.

    Attributes
    ----------
    center : Center
        The center.
    max_concurrency : numpy.ndarray of int64
        Per agent position, the chats the agent may hold at once.
    abandon_share : numpy.ndarray of float
        Per skill position, the share of queue entries that abandon.
    reasons : tuple of AwayReason
        The account's Away reasons.

    Examples
    --------
    >>> from engframe.sim.model import Center
    >>> ops = Operations(Center(seed=1))
    >>> len(ops.max_concurrency), len(ops.reasons)
    (60, 5)
    """

    def __init__(self, center: Center) -> None:
        self.center = center
        # Streams of their own ([seed, 5..7]): drawing these never changes a chat.
        rng = np.random.default_rng([center.seed, 7])
        values, weights = _CONCURRENCY
        n_agents, n_skills = len(center.agent_ids), len(center.skill_ids)
        self.max_concurrency: np.ndarray = rng.choice(
            np.asarray(values, dtype=np.int64), size=n_agents, p=weights)
        self.abandon_share: np.ndarray = rng.uniform(*ABANDON_SHARE, n_skills)
        ids = rng.choice(np.arange(*_REASON_ID_RANGE), size=len(AWAY_REASON_NAMES),
                         replace=False)
        self.reasons: tuple[AwayReason, ...] = tuple(
            AwayReason(str(int(i)), name) for i, name in zip(ids, AWAY_REASON_NAMES, strict=True))

    @classmethod
    def for_center(cls, center: Center) -> Operations:
        """The operations of ``center`` (the same center gives the same ones).

        Examples
        --------
        >>> from engframe.sim.model import Center
        >>> a = Operations.for_center(Center(seed=2)).max_concurrency
        >>> bool((a == Operations.for_center(Center(seed=2)).max_concurrency).all())
        True
        """
        return cls(center)

    def abandoners(self, start_ms: int, end_ms: int) -> Abandoners:
        """Every abandoner who could be in a queue during ``[start_ms, end_ms)``.

        Whole days, like :meth:`Center.chats`: filter on the times for the exact span.

        Examples
        --------
        >>> from engframe.sim.model import Center
        >>> ops = Operations(Center(seed=1))
        >>> found = ops.abandoners(86_400_000, 90_000_000)
        >>> bool((found.abandon_ms > found.arrival_ms).all())
        True
        """
        first = (start_ms - MAX_ABANDONER_SPAN_MS) // DAY_MS
        last = (max(end_ms, start_ms + 1) - 1) // DAY_MS
        days = [self._abandoners_of(day) for day in range(first, last + 1)]
        return Abandoners(*(np.concatenate([getattr(d, name) for d in days])
                            for name in ("skill", "arrival_ms", "abandon_ms")))

    def breaks(self, start_ms: int, end_ms: int) -> Breaks:
        """Every break that could overlap ``[start_ms, end_ms)``, sorted by (agent, start).

        Examples
        --------
        >>> from engframe.sim.model import Center
        >>> ops = Operations(Center(seed=1))
        >>> found = ops.breaks(86_400_000, 2 * 86_400_000)
        >>> bool((found.end_ms > found.start_ms).all())
        True
        """
        first = (start_ms - MAX_BREAK_MS) // DAY_MS
        last = (max(end_ms, start_ms + 1) - 1) // DAY_MS
        days = [self._breaks_of(day) for day in range(first, last + 1)]
        agent, start, end, state, reason = (
            np.concatenate([d[i] for d in days]) for i in range(5))
        order = np.lexsort((start, agent))
        agent, start, end, state, reason = (
            a[order] for a in (agent, start, end, state, reason))
        # A break that starts during another ends the earlier one.
        same = np.r_[agent[1:] == agent[:-1], False]
        following = np.r_[start[1:], 0]
        end = np.where(same, np.minimum(end, following), end)
        keep = end > start
        return Breaks(agent[keep], start[keep], end[keep], state[keep], reason[keep])

    def _abandoners_of(self, day: int) -> Abandoners:
        center = self.center
        chats = center.chats(day * DAY_MS + MAX_CHAT_SPAN_MS, (day + 1) * DAY_MS)
        rng = np.random.default_rng([center.seed, 5, day % 2**63])
        share = self.abandon_share[chats.skill]
        # One abandoner per chat with probability share / (1 - share): a share of all entries.
        chosen = rng.random(len(chats)) < share / (1.0 - share)
        n = int(chosen.sum())
        arrival = chats.arrival_ms[chosen] + rng.integers(0, _SHADOW_MS, n)
        wait = np.clip(rng.exponential(ABANDON_MEAN_MS, n), 1_000, ABANDON_MAX_MS)
        return Abandoners(chats.skill[chosen], arrival, arrival + wait.astype(np.int64))

    def _breaks_of(self, day: int) -> tuple[np.ndarray, ...]:
        center = self.center
        rng = np.random.default_rng([center.seed, 6, day % 2**63])
        n_agents = len(center.agent_ids)
        hours = day * DAY_MS + np.arange(24, dtype=np.int64) * _HOUR_MS
        duty = center.on_duty(hours + _HOUR_MS // 2)  # (agents, 24): on shift in that UTC hour
        counts = duty.sum(axis=1)
        lunch = np.ones(n_agents, dtype=np.int64)
        back = rng.poisson(_BACK_PER_DAY, n_agents)
        away = rng.poisson(_AWAY_PER_DAY, n_agents)
        per_agent = np.where(counts > 0, lunch + back + away, 0)
        agent = np.repeat(np.arange(n_agents, dtype=np.int64), per_agent)
        n = len(agent)
        # Each agent's breaks: first the lunch (0), then "Back in 5" (1), then other Away (2).
        rank = np.arange(n) - np.repeat(np.cumsum(per_agent) - per_agent, per_agent)
        kind = np.where(rank == 0, 0, np.where(rank <= back[agent], 1, 2))
        # A uniformly chosen on-shift hour of the agent, then a moment within it.
        hour_order = np.argsort(~duty, axis=1, kind="stable")
        pick = (rng.random(n) * counts[agent]).astype(np.int64)
        start = hours[hour_order[agent, pick]] + rng.integers(0, _HOUR_MS, n)
        low = np.choose(kind, [_LUNCH_MIN[0], _BACK_MIN[0], _AWAY_MIN[0]])
        high = np.choose(kind, [_LUNCH_MIN[1], _BACK_MIN[1], _AWAY_MIN[1]])
        length = (rng.uniform(low, high) * _MINUTE_MS).astype(np.int64)
        state = np.where(kind == 1, BACK_SOON, AWAY).astype(np.int64)
        other = 1 + rng.choice(len(_REASON_WEIGHTS), size=n, p=_REASON_WEIGHTS)
        reason = np.where(kind == 0, 0, np.where(kind == 2, other, -1)).astype(np.int64)
        return agent, start, start + length, state, reason
