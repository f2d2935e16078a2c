"""A seeded model of a chat contact center: skills, agents on shifts, and their chats.

The center is fixed by ``(seed, CenterConfig)``: skill and agent ids (longs, most above
2^31 like real LivePerson ids), which skills each agent serves, and each agent's shift
and days off. Chats are drawn per UTC day, from a generator seeded by ``(seed, day)``, so
any moment in time has the same chats whatever was asked before, and nothing is stored
beyond a small cache.

Each chat arrives with the daily rhythm of the center's local time (two peaks, a quiet
night, quieter weekends), waits in queue, is connected to an agent on duty who serves
its skill, is interactive or not (a visitor who leaves without a conversation, which
includes abandoning, counts as non-interactive), and closes after a handling time. Times
are epoch milliseconds; the handling time is the time from connection to close [ms].

Examples
--------
>>> from engframe.sim.model import Center
>>> center = Center(seed=1)
>>> len(center.skill_ids), len(center.agent_ids)
(10, 60)
>>> day = 1_395_792_000_000  # 2014-03-26 00:00 UTC
>>> chats = center.chats(day, day + 86_400_000)
>>> bool((chats.close_ms - chats.connect_ms == chats.handling_ms).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pandas as pd

from engframe._defaults import SIM_SEED
from engframe.errors import SimConfigError, describe
from engframe.sim._days import DayCache

__all__ = [
    "DEFAULT_AGENTS",
    "DEFAULT_CHATS_PER_DAY",
    "DEFAULT_SEED",
    "DEFAULT_SKILLS",
    "DEFAULT_UTC_OFFSET_MINUTES",
    "MAX_CHAT_SPAN_MS",
    "Center",
    "CenterConfig",
    "ChatTable",
]

#: The seed used when none is given.
DEFAULT_SEED: Final = SIM_SEED
#: Skills in the default center.
DEFAULT_SKILLS: Final = 10
#: Agents in the default center.
DEFAULT_AGENTS: Final = 60
#: Mean chats a weekday brings to the default center.
DEFAULT_CHATS_PER_DAY: Final = 5000.0
#: The default center's local time (US Eastern standard time), for its daily rhythm [min].
DEFAULT_UTC_OFFSET_MINUTES: Final = -300

DAY_MS: Final = 86_400_000
_HOUR_MS: Final = 3_600_000
_MINUTE_MS: Final = 60_000

#: Relative arrival rate for each local hour (0..23): a quiet night, peaks late morning
#: and mid-afternoon.
HOURLY_RHYTHM: Final = (
    0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.40, 0.70, 1.00, 1.40, 1.60, 1.60,
    1.30, 1.40, 1.60, 1.50, 1.30, 1.00, 0.80, 0.70, 0.60, 0.50, 0.35, 0.25,
)
#: Saturday and Sunday bring this share of a weekday's chats.
WEEKEND_FACTOR: Final = 0.55
#: Mean wait in queue before an agent is connected [ms], and its cap.
WAIT_MEAN_MS: Final = 40_000
WAIT_MAX_MS: Final = 15 * _MINUTE_MS
#: Median handling time of interactive chats, drawn per skill within this range [ms].
INTERACTIVE_MEDIAN_MS: Final = (240_000, 720_000)
#: Median handling time of non-interactive chats [ms] (the agent waits, then closes).
NON_INTERACTIVE_MEDIAN_MS: Final = 90_000
#: Spread (sigma of the log) of interactive and non-interactive handling times.
HANDLING_SIGMA: Final = (0.55, 0.9)
#: Handling times are kept within these bounds [ms].
HANDLING_MIN_MS: Final = 5_000
HANDLING_MAX_MS: Final = 2 * _HOUR_MS
#: Share of a skill's chats that are interactive, drawn per skill within this range.
INTERACTIVE_SHARE: Final = (0.72, 0.90)
#: The longest a chat lasts from arrival to close [ms]: how far back to draw chats.
MAX_CHAT_SPAN_MS: Final = WAIT_MAX_MS + HANDLING_MAX_MS
#: Shift starts (local hour) and how often each is used; every shift lasts SHIFT_HOURS.
SHIFT_STARTS: Final = (0, 6, 7, 8, 9, 10, 12, 14, 16)
SHIFT_WEIGHTS: Final = (1, 2, 3, 4, 3, 2, 3, 3, 2)
SHIFT_HOURS: Final = 9

_ID_RANGE: Final = (1_000_000_000, 4_300_000_000)
_THURSDAY: Final = 3  # 1970-01-01 was a Thursday (Monday = 0)


@dataclass(frozen=True, slots=True)
class CenterConfig:
    """The size and rhythm of the simulated contact center.

    Parameters
    ----------
    n_skills : int
        Number of skills (at least 1).
    n_agents : int
        Number of agents (at least ``n_skills``, so every skill has one).
    chats_per_day : float
        Mean number of chats on a weekday (weekends bring fewer).
    utc_offset_minutes : int
        The center's local time, for its daily rhythm and shifts [minutes east of UTC].

    Examples
    --------
    >>> CenterConfig(n_skills=3, n_agents=12).n_agents
    12
    """

    n_skills: int = DEFAULT_SKILLS
    n_agents: int = DEFAULT_AGENTS
    chats_per_day: float = DEFAULT_CHATS_PER_DAY
    utc_offset_minutes: int = DEFAULT_UTC_OFFSET_MINUTES

    def __post_init__(self) -> None:
        for name, low in (("n_skills", 1), ("n_agents", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SimConfigError(
                    f"CenterConfig.{name}: expected an integer >= {low}, found {describe(value)}"
                )
        if self.n_agents < self.n_skills:
            raise SimConfigError(
                f"CenterConfig.n_agents: expected at least n_skills={self.n_skills} agents "
                f"so every skill has one, found {self.n_agents}"
            )
        rate = self.chats_per_day
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1e7:
            raise SimConfigError(
                "CenterConfig.chats_per_day: expected a number in [0, 1e7), "
                f"found {describe(rate)}"
            )
        offset = self.utc_offset_minutes
        if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > 14 * 60:
            raise SimConfigError(
                "CenterConfig.utc_offset_minutes: expected an integer within +-840, "
                f"found {describe(offset)}"
            )


@dataclass(frozen=True, slots=True)
class ChatTable:
    """Chats as parallel arrays, one element per chat.

    Attributes
    ----------
    skill, agent : numpy.ndarray of int64
        Positions in :attr:`Center.skill_ids` and :attr:`Center.agent_ids`.
    arrival_ms, connect_ms, close_ms : numpy.ndarray of int64
        When the chat arrived, was connected to its agent and closed [epoch ms].
    interactive : numpy.ndarray of bool
        Whether the chat was interactive.
    handling_ms : numpy.ndarray of int64
        ``close_ms - connect_ms`` [ms].
    """

    skill: np.ndarray
    agent: np.ndarray
    arrival_ms: np.ndarray
    connect_ms: np.ndarray
    close_ms: np.ndarray
    interactive: np.ndarray
    handling_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.skill.shape[0])

    @staticmethod
    def concat(tables: list[ChatTable]) -> ChatTable:
        """Stack tables, in the order given.

        Parameters
        ----------
        tables : list of ChatTable
            At least one table.

        Returns
        -------
        ChatTable
            All their chats.

        Examples
        --------
        >>> center = Center(seed=1)
        >>> day = center.chats(0, 86_400_000)
        >>> len(ChatTable.concat([day, day])) == 2 * len(day)
        True
        """
        names = [field.name for field in fields(ChatTable)]
        return ChatTable(*(np.concatenate([getattr(t, n) for t in tables]) for n in names))

    def take(self, mask: np.ndarray) -> ChatTable:
        """The chats where ``mask`` is true (a boolean array as long as the table).

        Parameters
        ----------
        mask : numpy.ndarray of bool
            Which chats to keep.

        Returns
        -------
        ChatTable
            The kept chats, in order.

        Examples
        --------
        >>> chats = Center(seed=1).chats(0, 86_400_000)
        >>> len(chats.take(chats.interactive)) == int(chats.interactive.sum())
        True
        """
        names = [field.name for field in fields(ChatTable)]
        return ChatTable(*(getattr(self, n)[mask] for n in names))


class Center:
    """The seeded contact center: its skills, agents and chats.

    Parameters
    ----------
    seed : int
        Fixes everything: ids, skills served, shifts and every chat.
    config : CenterConfig, optional
        Size and rhythm; the default has 10 skills, 60 agents, ~5000 chats a weekday.

    Attributes
    ----------
    skill_ids, agent_ids : numpy.ndarray of int64
        The ids, ascending.
    serves : numpy.ndarray of bool
        ``serves[a, s]``: agent ``a`` serves skill ``s`` (positions, not ids).

    Raises
    ------
    SimConfigError
        If ``seed`` is not a non-negative integer or ``config`` not a CenterConfig.

    Examples
    --------
    >>> center = Center(seed=7)
    >>> bool(center.serves.any(axis=0).all())  # every skill has an agent
    True
    """

    def __init__(self, *, seed: int = DEFAULT_SEED, config: CenterConfig | None = None) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SimConfigError(f"seed: expected a non-negative integer, found {describe(seed)}")
        config = CenterConfig() if config is None else config
        if not isinstance(config, CenterConfig):
            raise SimConfigError(f"config: expected a CenterConfig, found {describe(config)}")
        self.seed = seed
        self.config = config
        rng = np.random.default_rng([seed, 0])
        n_skills, n_agents = config.n_skills, config.n_agents
        ids = _unique_ids(rng, n_skills + n_agents)
        self.skill_ids: np.ndarray = np.sort(ids[:n_skills])
        self.agent_ids: np.ndarray = np.sort(ids[n_skills:])
        self._skill_share = rng.dirichlet(np.full(n_skills, 2.0))
        self._interactive_share = rng.uniform(*INTERACTIVE_SHARE, n_skills)
        self._median_ms = rng.uniform(*INTERACTIVE_MEDIAN_MS, n_skills)
        self.serves: np.ndarray = _skills_served(rng, n_agents, self._skill_share)
        self._on_duty = _duty(rng, n_agents)
        self._eligible, self._n_eligible = _eligible(self.serves, self._on_duty)
        self._minute_rate = _minute_rhythm(config.chats_per_day)
        self._days: DayCache[ChatTable] = DayCache(self._draw_day)

    def __repr__(self) -> str:
        return (
            f"Center(seed={self.seed}, skills={len(self.skill_ids)}, "
            f"agents={len(self.agent_ids)})"
        )

    def chats(self, start_ms: int, end_ms: int) -> ChatTable:
        """Every chat that could have an event (connection or close) in ``[start_ms, end_ms)``.

        Chats are drawn per UTC day of arrival; this returns whole days, from the one a
        chat closing at ``start_ms`` could have arrived in up to the one holding
        ``end_ms``. Filter on ``connect_ms``/``close_ms`` for the exact span.

        Parameters
        ----------
        start_ms, end_ms : int
            The span [epoch ms].

        Returns
        -------
        ChatTable
            The chats of the days concerned, ordered by arrival.

        Examples
        --------
        >>> center = Center(seed=1)
        >>> chats = center.chats(86_400_000, 86_400_000 + 3_600_000)
        >>> bool((chats.arrival_ms < 86_400_000 + 86_400_000).all())
        True
        """
        first = (start_ms - MAX_CHAT_SPAN_MS) // DAY_MS
        last = (max(end_ms, start_ms + 1) - 1) // DAY_MS
        return ChatTable.concat([self._day(day) for day in range(first, last + 1)])

    def chats_frame(self, start_ms: int, end_ms: int) -> pd.DataFrame:
        """The chats of :meth:`chats` as a DataFrame with ids and UTC timestamps.

        For notebooks: the ground truth behind the simulated API's numbers.

        Parameters
        ----------
        start_ms, end_ms : int
            The span [epoch ms].

        Returns
        -------
        pandas.DataFrame
            Columns ``skill``, ``agent`` (ids, int64), ``arrival``, ``connect``, ``close``
            (datetime64[ms, UTC]), ``interactive`` (bool), ``handling_ms`` (int64).

        Examples
        --------
        >>> frame = Center(seed=1).chats_frame(0, 3_600_000)
        >>> list(frame.columns)[:3]
        ['skill', 'agent', 'arrival']
        """
        chats = self.chats(start_ms, end_ms)

        def stamps(ms: np.ndarray) -> pd.DatetimeIndex:
            return pd.DatetimeIndex(ms.astype("M8[ms]")).tz_localize("UTC")

        return pd.DataFrame(
            {
                "skill": self.skill_ids[chats.skill],
                "agent": self.agent_ids[chats.agent],
                "arrival": stamps(chats.arrival_ms),
                "connect": stamps(chats.connect_ms),
                "close": stamps(chats.close_ms),
                "interactive": chats.interactive,
                "handling_ms": chats.handling_ms,
            }
        )

    def on_duty(self, ms: np.ndarray, agents: np.ndarray | None = None) -> np.ndarray:
        """Whether agents' shifts cover moments (by the hour of the center's local time).

        Parameters
        ----------
        ms : numpy.ndarray of int64
            Moments [epoch ms].
        agents : numpy.ndarray of int64, optional
            Agent positions, one per moment: then the answer is for each pair.

        Returns
        -------
        numpy.ndarray of bool
            ``result[a, k]`` (shape ``(n_agents, len(ms))``): agent position ``a`` is on shift
            at ``ms[k]``; with ``agents``, ``result[k]`` for agent ``agents[k]``.

        Examples
        --------
        >>> center = Center(seed=1)
        >>> center.on_duty(np.array([0, 43_200_000])).shape
        (60, 2)
        >>> center.on_duty(np.array([0, 0]), np.array([0, 1])).shape
        (2,)
        """
        local = np.asarray(ms, dtype=np.int64) + self.config.utc_offset_minutes * _MINUTE_MS
        hour = (local // _HOUR_MS) % 24
        weekday = (local // DAY_MS + _THURSDAY) % 7
        if agents is None:
            every: np.ndarray = self._on_duty[:, weekday, hour]
            return every
        pairs: np.ndarray = self._on_duty[agents, weekday, hour]
        return pairs

    def _day(self, day: int) -> ChatTable:
        return self._days(day)

    def _draw_day(self, day: int) -> ChatTable:
        # A generator per (seed, day): a day's chats never depend on which days were asked for.
        rng = np.random.default_rng([self.seed, 1, day % 2**63])
        day_ms = day * DAY_MS
        offset_ms = self.config.utc_offset_minutes * _MINUTE_MS
        minute_ms = day_ms + np.arange(1440, dtype=np.int64) * _MINUTE_MS
        local_minute = ((minute_ms + offset_ms) // _MINUTE_MS) % 1440
        weekday = ((minute_ms + offset_ms) // DAY_MS + _THURSDAY) % 7
        rate = self._minute_rate[local_minute] * np.where(weekday >= 5, WEEKEND_FACTOR, 1.0)
        counts = rng.poisson(rate)
        n = int(counts.sum())
        arrival = np.repeat(minute_ms, counts) + rng.integers(0, _MINUTE_MS, n)
        arrival.sort()
        skill = rng.choice(len(self.skill_ids), size=n, p=self._skill_share)
        local = arrival + offset_ms
        hour = (local // _HOUR_MS) % 24
        day_of_week = (local // DAY_MS + _THURSDAY) % 7
        pick = (rng.random(n) * self._n_eligible[skill, day_of_week, hour]).astype(np.int64)
        agent = self._eligible[skill, day_of_week, hour, pick]
        wait = np.minimum(rng.exponential(WAIT_MEAN_MS, n), WAIT_MAX_MS).astype(np.int64)
        interactive = rng.random(n) < self._interactive_share[skill]
        median = np.where(interactive, self._median_ms[skill], NON_INTERACTIVE_MEDIAN_MS)
        sigma = np.where(interactive, HANDLING_SIGMA[0], HANDLING_SIGMA[1])
        handling = np.clip(
            rng.lognormal(np.log(median), sigma), HANDLING_MIN_MS, HANDLING_MAX_MS
        ).astype(np.int64)
        connect = arrival + wait
        return ChatTable(
            skill=skill.astype(np.int64),
            agent=agent.astype(np.int64),
            arrival_ms=arrival,
            connect_ms=connect,
            close_ms=connect + handling,
            interactive=interactive,
            handling_ms=handling,
        )


def _unique_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    ids = rng.integers(*_ID_RANGE, size=n, dtype=np.int64)
    while len(np.unique(ids)) < n:  # collisions are rare: redraw rather than reason
        ids = rng.integers(*_ID_RANGE, size=n, dtype=np.int64)
    return ids


def _skills_served(rng: np.random.Generator, n_agents: int, share: np.ndarray) -> np.ndarray:
    n_skills = len(share)
    # The first agents cover every skill once; the rest follow the skills' volume.
    primary = np.concatenate(
        [np.arange(n_skills), rng.choice(n_skills, size=n_agents - n_skills, p=share)]
    )
    rng.shuffle(primary)
    serves = np.zeros((n_agents, n_skills), dtype=bool)
    serves[np.arange(n_agents), primary] = True
    extra = rng.choice(3, size=n_agents, p=[0.45, 0.35, 0.20])
    for k in (1, 2):
        chosen = rng.choice(n_skills, size=n_agents, p=share)
        serves[np.arange(n_agents)[extra >= k], chosen[extra >= k]] = True
    return serves


def _duty(rng: np.random.Generator, n_agents: int) -> np.ndarray:
    """``duty[a, weekday, hour]`` in local time: a shift each working day, two days off."""
    weights = np.asarray(SHIFT_WEIGHTS, dtype=float)
    pick = rng.choice(len(SHIFT_STARTS), n_agents, p=weights / weights.sum())
    start = np.asarray(SHIFT_STARTS)[pick]
    hours = np.arange(24)
    on_shift = ((hours[None, :] - start[:, None]) % 24) < SHIFT_HOURS
    first_off = rng.integers(0, 7, n_agents)
    days = np.arange(7)
    off = ((days[None, :] - first_off[:, None]) % 7) < 2
    result: np.ndarray = on_shift[:, None, :] & ~off[:, :, None]
    return result


def _eligible(serves: np.ndarray, duty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Agents a chat can go to, per (skill, weekday, hour): on duty and serving the skill.

    When nobody serving a skill is on duty, any agent serving it takes the chat, so no
    chat goes unanswered. Returned padded: ``table[s, d, h, :count[s, d, h]]``.
    """
    mask = serves.T[:, None, None, :] & duty.transpose(1, 2, 0)[None, :, :, :]
    nobody = ~mask.any(axis=-1)
    mask = np.where(nobody[..., None], serves.T[:, None, None, :], mask)
    table = np.argsort(~mask, axis=-1, kind="stable")
    return table, mask.sum(axis=-1)


def _minute_rhythm(chats_per_day: float) -> np.ndarray:
    """Expected weekday arrivals in each local minute of the day."""
    hours = np.arange(1440) / 60
    rhythm = np.interp(hours, np.arange(24) + 0.5, HOURLY_RHYTHM, period=24)
    result: np.ndarray = rhythm / rhythm.sum() * chats_per_day
    return result
