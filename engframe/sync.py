"""Collect history: fetch what the dataset still lacks and upsert it, once or on a schedule.

The API looks back 24 hours only; a team that wants last month's numbers collects them as it
goes. Each turn of :func:`sync` fetches 5-minute intervals (the API's buckets, the grid of
the history) from the oldest bucket the dataset does not hold complete yet, a small margin
earlier, up to now: an hourly sync of a 1000-agent account moves a few MB instead of the whole
day. A first run fetches the whole 24 hours the API keeps; a gap longer than that fetches what
it can and says what was lost. Overlapping fetches are what the dataset's upsert is for: the
newest bucket of one fetch is still filling and the next one completes it.

Every method of the catalogue syncs into the same history (``method=``, one or several per
turn): engactivity and msgconversation in 5-minute buckets as above; msgcsatdistribution,
which has no intervals, in fetch windows that start where the last stored window ended
(:func:`plan_window`), so that no answer is counted twice.

Examples
--------
>>> from engframe.sync import plan_fetch
>>> plan = plan_fetch(complete=[], newest=None, now_ms=1_795_000_203_000)
>>> plan.timeframe, plan.lost
(1440, None)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.client import Client
from engframe.errors import (
    APIError,
    AuthError,
    DatasetError,
    EngframeError,
    OptionError,
    ResponseError,
)
from engframe.history import BUCKETS, ExportResult, export, history_state
from engframe.limits import MAX_EVERY, MIN_EVERY
from engframe.methods import DEFAULT_METHOD, METHODS, Method, get_method
from engframe.names import Names
from engframe.query import IdsLike
from engframe.window import BUCKET_MINUTES, BUCKET_MS, MAX_TIMEFRAME, bucket_ceil, bucket_floor

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_MARGIN",
    "DEFAULT_TIMEFRAME",
    "MAX_EVERY",
    "MIN_EVERY",
    "MIN_PAUSE",
    "FetchPlan",
    "SyncResult",
    "plan_fetch",
    "plan_window",
    "sync",
]

log = logging.getLogger(__name__)

#: The whole day the API keeps [minutes]: what a first sync fetches.
DEFAULT_TIMEFRAME: Final = MAX_TIMEFRAME
#: The API's finest grain [minutes], the grid of a synced history.
DEFAULT_INTERVAL: Final = BUCKET_MINUTES
#: How far before the oldest incomplete bucket a turn starts [minutes], to catch values the
#: API revised after they were first fetched.
DEFAULT_MARGIN: Final = 10
#: The shortest pause between two turns [s], even when a turn took longer than ``every``.
MIN_PAUSE: Final = 10.0
_MINUTE_MS: Final = 60_000


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """What one turn fetches: ``timeframe`` minutes up to now, and what is beyond reach.

    Attributes
    ----------
    timeframe : int
        Minutes to fetch (a multiple of 5, at most 1440).
    since_ms : int
        The start of the oldest bucket asked for [epoch ms].
    lost : tuple of int or None
        ``(start_ms, end_ms)`` of buckets never fetched that the API no longer keeps.
    """

    timeframe: int
    since_ms: int
    lost: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class SyncResult(ExportResult):
    """An :class:`~engframe.history.ExportResult` and what the turn fetched.

    Attributes
    ----------
    fetched : tuple of str
        The window fetched, ``(start, end)`` in ISO-8601 UTC.
    timeframe : int
        Minutes asked for.
    lost : tuple of str or None
        ``(start, end)`` of a gap the API no longer keeps, when there was one.
    method : str
        The method fetched.
    waiting_since : str or None
        For a method fetched in windows (msgcsatdistribution, sla): the end of the stored
        window when not a minute has passed since it, so nothing was fetched this turn
        (ISO-8601 UTC); None when the turn fetched.
    unfetched : tuple of str or None
        For a method fetched in windows: ``(fetched_at, window end)`` when the window ends
        after it was fetched (the API widens it to its still-filling bucket). What happens
        in that time is in no stored window (the next one starts at the window's end), so
        sums over windows fall short by it; None when the window had ended.
    """

    fetched: tuple[str, str] = ("", "")
    timeframe: int = 0
    lost: tuple[str, str] | None = None
    method: str = DEFAULT_METHOD
    waiting_since: str | None = None
    unfetched: tuple[str, str] | None = None


def plan_fetch(*, complete: Sequence[int] | np.ndarray, newest: int | None, now_ms: int,
               margin: int = DEFAULT_MARGIN, sparse: bool = False) -> FetchPlan:
    """Decide what a turn fetches, from the buckets the history holds complete.

    Parameters
    ----------
    complete : sequence of int
        Ends [epoch ms] of the buckets of the last 24 hours held complete.
    newest : int or None
        The newest complete bucket end anywhere in the history (None: nothing yet).
    now_ms : int
        Now [epoch ms].
    margin : int
        Minutes to fetch again before the oldest incomplete bucket.
    sparse : bool
        The method sends no row for a bucket without data (agentactivity when nobody was
        logged in, :attr:`engframe.methods.Layout.sparse`): a bucket between two held
        complete ones was fetched, and counts as held. Otherwise such a bucket would be
        fetched again every turn, from a night without agents the whole day. (A hole
        that a repair leaves between held buckets of such a method is then not fetched
        again by itself: a turn with an explicit ``timeframe`` fetches it.)

    Returns
    -------
    FetchPlan

    Examples
    --------
    >>> now = 1_795_000_203_000  # 5 min 3 s after a bucket boundary
    >>> ends = [1_795_000_200_000 - 300_000 * k for k in range(288)]
    >>> plan_fetch(complete=ends, newest=max(ends), now_ms=now).timeframe   # 10 + 5 min
    15
    """
    oldest = bucket_floor(now_ms - MAX_TIMEFRAME * _MINUTE_MS)  # the API's horizon
    ends = np.arange(oldest + BUCKET_MS, bucket_ceil(now_ms) + 1, BUCKET_MS, dtype=np.int64)
    held = np.isin(ends, np.asarray(complete, np.int64))
    if sparse and held.any():
        # turns fetch from the oldest bucket lacking on, so a hole between held buckets
        # lay inside a window fetched: a period without data, not one missed
        inside = np.flatnonzero(held)
        held[inside[0]:inside[-1] + 1] = True
    lacking = ends[~held]
    first = int(lacking[0]) if len(lacking) else int(ends[-1])
    since = max(first - BUCKET_MS - margin * _MINUTE_MS, oldest)
    minutes = -(-(now_ms - since) // _MINUTE_MS)
    timeframe = min(MAX_TIMEFRAME, max(BUCKET_MINUTES, -(-minutes // BUCKET_MINUTES)
                                       * BUCKET_MINUTES))
    lost = None
    if newest is not None and newest < oldest:
        lost = (int(newest), int(oldest))
    return FetchPlan(timeframe, since, lost)


def plan_window(*, newest: int | None, now_ms: int) -> FetchPlan:
    """The window a turn fetches of a method without intervals: from the newest stored
    window's end up to now, so that windows never overlap.

    ``timeframe`` is the whole minutes since that end (the API's window then starts right
    at it, a bucket boundary), at most the 1440 the API keeps; 0 when not a minute has
    passed (nothing to fetch). A first turn fetches the whole day.

    Examples
    --------
    >>> end = 1_795_000_200_000  # a bucket boundary
    >>> plan = plan_window(newest=end, now_ms=end + 47 * 60_000 + 30_000)
    >>> plan.timeframe, plan.since_ms == end
    (47, True)
    """
    horizon = bucket_floor(now_ms - MAX_TIMEFRAME * _MINUTE_MS)
    if newest is None:
        return FetchPlan(MAX_TIMEFRAME, horizon, None)
    if newest < horizon:
        return FetchPlan(MAX_TIMEFRAME, horizon, (int(newest), int(horizon)))
    minutes = max(0, (now_ms - newest) // _MINUTE_MS)
    return FetchPlan(int(min(minutes, MAX_TIMEFRAME)), int(newest), None)


def sync(
    root: str | os.PathLike[str],
    *,
    account: str | int | None = None,
    method: str | Sequence[str] = DEFAULT_METHOD,
    timeframe: int | None = None,
    interval: int = DEFAULT_INTERVAL,
    skills: IdsLike = "all",
    agents: IdsLike = "all",
    every: float | None = None,
    times: int | None = None,
    margin: int = DEFAULT_MARGIN,
    names: bool = False,
    client: Client | None = None,
    on_export: Callable[[SyncResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    **client_options: Any,
) -> list[SyncResult]:
    """Fetch what the history at ``root`` lacks and upsert it, once or every ``every`` minutes.

    Parameters
    ----------
    root : str or path-like
        The history dataset's folder (see :func:`engframe.export`).
    account : str or int, optional
        The account id; ``$LP_ACCOUNT`` when omitted (ignored when ``client`` is given).
    method : str or sequence of str, default "engactivity"
        The method(s) to sync, each turn one after the other (``["engactivity",
        "msgconversation", "msgcsatdistribution"]``), into one history: a table set per
        method. A method without intervals (msgcsatdistribution, sla) is fetched in windows
        that start where the stored ones end (:func:`plan_window`); a snapshot method
        (queuestate) is fetched each turn into its snapshot table.
    timeframe : int, optional
        Minutes to fetch each turn. Default: what the history lacks (from the oldest
        bucket not yet complete, ``margin`` minutes earlier; the whole 24 hours at first).
        Methods without intervals always fetch from their last window on.
    interval : int, default DEFAULT_INTERVAL
        Must be 5: a synced history keeps the API's 5-minute buckets, on which every fetch
        lines up; coarser periods are derived when reading.
    skills, agents : "all", iterable of int, comma string or None, default "all"
        Which skills and agents, for the methods that take them (queuehealth, sla and
        queuestate take skills only, agentactivity agents only).
    every : float, optional
        Repeat every this many minutes (start to start, from :data:`MIN_EVERY` to
        :data:`MAX_EVERY`; turns are at least :data:`MIN_PAUSE` seconds apart); ``None``
        runs once, for cron. A failed fetch in a repeated sync is logged and retried at
        the next turn, except for authentication, query and dataset errors, which stop it.
    times : int, optional
        Stop after this many turns (default: once when ``every`` is None, else forever).
    margin : int, default DEFAULT_MARGIN
        Minutes fetched again before the oldest incomplete bucket.
    names : bool, default False
        Also read the account's skill, agent and agent group names each turn
        (:meth:`Client.names <engframe.Client.names>`: cached for 6 hours, so an hourly
        sync reads them a few times a day) and export them into the history's name
        tables (see :func:`engframe.export`). Names never cost a turn its facts: if they
        cannot be read (refused, failing, malformed) or stored (a damaged name table),
        the turn logs a warning and exports the facts without them; the next turn tries
        again.
    client : engframe.Client, optional
        Fetch with this client; otherwise one is made from ``account`` and
        ``client_options`` and closed at the end.
    on_export : callable, optional
        Called with each :class:`SyncResult` (the CLI prints them).
    clock, sleep : callable
        The monotonic clock [s] and the wait between turns (injected by tests).
    **client_options
        Options of :class:`engframe.Client` (``auth``, ``domain``, ``csds_url``, ``cache``...).

    Returns
    -------
    list of SyncResult
        One per successful turn and method.

    Raises
    ------
    OptionError
        If ``every``, ``times``, ``interval`` or ``margin`` is not usable.
    AuthError, QueryError, DatasetError
        At once, repeated or not.
    APIError, RateLimitError, ResponseError
        When running once (``every=None``), or on the last turn.

    Examples
    --------
    >>> import engframe
    >>> engframe.sync("history/", account="56072331", every=60)  # doctest: +SKIP
    """
    _check(every=every, times=times, interval=interval, margin=margin, names=names)
    chosen = [get_method(m).name for m in ([method] if isinstance(method, str) else method)]
    if not chosen:
        raise OptionError("sync: method= names no method; give one or several of "
                          f"{', '.join(METHODS)}")
    turns = times if times is not None else (1 if every is None else None)
    owned = client is None
    active = client if client is not None else Client(account, **client_options)
    results: list[SyncResult] = []
    try:
        turn = 0
        while turns is None or turn < turns:
            started = clock()
            turn += 1
            last = turns is not None and turn == turns
            for position, name in enumerate(chosen):
                try:
                    result = _turn(active, root, timeframe=timeframe, skills=skills,
                                   agents=agents, margin=margin,
                                   names=names and position == 0, method=name)
                except (AuthError, DatasetError):
                    raise
                except (APIError, ResponseError) as error:
                    if every is None or last:
                        raise
                    log.warning("sync turn %d failed for %s, trying again next turn: %s",
                                turn, name, error)
                else:
                    if result is None:
                        continue
                    results.append(result)
                    if on_export is not None:
                        on_export(result)
            if every is None or last:
                break
            sleep(max(MIN_PAUSE, every * 60 - (clock() - started)))
    finally:
        if owned:
            active.close()
    return results


def _check(*, every: float | None, times: int | None, interval: int, margin: int,
           names: bool) -> None:
    if every is not None and (not isinstance(every, int | float) or isinstance(every, bool)
                              or not MIN_EVERY <= every <= MAX_EVERY):  # also refuses nan
        raise OptionError(f"sync: every must be from {MIN_EVERY:g} to {MAX_EVERY:g} minutes "
                          f"(the API keeps a day), found {every!r}")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool)
                              or times < 1):
        raise OptionError(f"sync: times must be a positive integer, found {times!r}")
    if interval != BUCKET_MINUTES:
        raise OptionError(f"sync: interval must be {BUCKET_MINUTES}, found {interval!r}: a "
                          "history keeps the API's 5-minute buckets, on which every fetch "
                          "lines up; derive hours and days when reading")
    if not isinstance(margin, int) or isinstance(margin, bool) or not 0 <= margin <= 1440:
        raise OptionError(f"sync: margin must be whole minutes 0..1440, found {margin!r}")
    if not isinstance(names, bool):
        raise OptionError(f"sync: names must be True or False, found {names!r}")


def _turn(client: Client, root: str | os.PathLike[str], *, timeframe: int | None,
          skills: IdsLike, agents: IdsLike, margin: int, names: bool,
          method: str = DEFAULT_METHOD) -> SyncResult | None:
    now = round(client.clock() * 1000)
    found = METHODS[method]
    windows = found.windows
    if found.snapshot:  # queuestate: the moment of each turn, into its snapshot table
        log.info("sync: taking a snapshot of %s for account %s", method, client.account)
        chosen_skills, chosen_agents = _ids_for(found, skills, agents)
        frame = client.frame(method=method, refresh=True, skills=chosen_skills,
                             agents=chosen_agents)
        result = _export(frame, root, account=client.account,
                         names=_names(client) if names else None)
        return SyncResult(result.root, result.written, result.inserted, result.updated,
                          result.unchanged, result.left_out, result.names,
                          fetched=(str(frame.attrs.get("fetched_at", "")),) * 2, timeframe=0,
                          lost=None, method=method)
    state = history_state(root, account=client.account, method=method,
                          since_ms=bucket_floor(now - MAX_TIMEFRAME * _MINUTE_MS))
    if windows:
        plan = plan_window(newest=state.newest, now_ms=now)
        minutes = plan.timeframe
        if not minutes:
            log.info("sync: %s: not a minute since the last window ended; nothing to fetch",
                     method)
            return SyncResult(Path(root), (), 0, 0, 0, 0, (), method=method,
                              waiting_since=_iso(int(plan.since_ms)))
    else:
        if state.grid is not None and state.grid != BUCKETS:
            raise DatasetError(f"sync: {root} keeps {method} in {state.grid.describe()}; "
                               "sync keeps 5-minute buckets: sync into another folder")
        plan = plan_fetch(complete=state.complete, newest=state.newest, now_ms=now,
                          margin=margin, sparse=found.layout.sparse)
        minutes = timeframe if timeframe is not None else plan.timeframe
    if plan.lost is not None:
        log.warning("sync: %s: %s to %s was never fetched and the API no longer keeps it: "
                    "lost", method, _iso(plan.lost[0]), _iso(plan.lost[1]))
    log.info("sync: fetching the last %d minutes of %s for account %s", minutes, method,
             client.account)
    chosen_skills, chosen_agents = _ids_for(found, skills, agents)
    frame = client.frame(method=method, timeframe=minutes,
                         interval=None if windows else BUCKET_MINUTES, refresh=True,
                         skills=chosen_skills, agents=chosen_agents)
    result = _export(frame, root, account=client.account,
                     names=_names(client) if names else None)
    window = frame.attrs.get("window") or {}
    fetched = (str(window.get("start", "")), str(window.get("end", "")))
    return SyncResult(
        result.root, result.written, result.inserted, result.updated, result.unchanged,
        result.left_out, result.names, fetched=fetched, timeframe=minutes,
        lost=None if plan.lost is None else (_iso(plan.lost[0]), _iso(plan.lost[1])),
        method=method,
        unfetched=_unfetched(frame.attrs.get("fetched_at"), fetched[1]) if windows else None,
    )


def _unfetched(fetched_at: object, end: str) -> tuple[str, str] | None:
    """``(fetched_at, end)`` when a window ends after it was fetched (see SyncResult)."""
    if not fetched_at or not end:
        return None
    at, until = pd.Timestamp(str(fetched_at)), pd.Timestamp(end)
    return (str(fetched_at), end) if at < until else None


def _ids_for(method: Method, skills: IdsLike, agents: IdsLike) -> tuple[IdsLike, IdsLike]:
    """The skills and agents of a turn that ``method`` takes (queuehealth no agents,
    agentactivity no skills); an id it requires is ``"all"`` when not given."""
    chosen = [value if name in method.ids else None
              for name, value in (("skills", skills), ("agents", agents))]
    for position, name in enumerate(("skills", "agents")):
        if name in method.required and chosen[position] is None:
            chosen[position] = "all"
    return chosen[0], chosen[1]


def _export(frame: Any, root: str | os.PathLike[str], *, account: str,
            names: Names | None) -> ExportResult:
    """Export the turn's facts and names; names that cannot be stored are left out (logged).

    Names must never cost the history its facts: should exporting them with the facts fail
    (a damaged name table, names that do not fit), the facts are exported alone; an error
    about the facts themselves comes again from that export.
    """
    if names is None:
        return export(frame, root, account=account)
    try:
        return export(frame, root, account=account, names=names)
    except (DatasetError, OptionError) as error:
        problem = error
    log.warning("sync: names not exported this turn, trying again next turn: %s", problem)
    return export(frame, root, account=account)


def _names(client: Client) -> Names | None:
    """The account's names for this turn, or None (logged) when they cannot be read.

    Names must never cost the history its facts: a configuration call refused or failing
    leaves the tables it could not read out (the tolerant read the client's
    ``frame(names=True)`` uses), and any other engframe error (a malformed answer, which
    the client never keeps in its cache, a damaged HTTP cache) leaves them all out; the
    next turn tries again.
    """
    try:
        names = client._names(tolerant=True)
    except EngframeError as error:
        log.warning("sync: names not exported this turn, trying again next turn: %s", error)
        return None
    if names.failed:
        reasons = "; ".join(f"{kind}: {reason}" for kind, reason in names.failed.items())
        log.warning("sync: names could not be read (%s); their tables are left as they "
                    "are, trying again next turn", reasons)
    return names


def _iso(ms: int) -> str:
    return np.datetime_as_string(np.datetime64(ms, "ms"), unit="s") + "Z"
