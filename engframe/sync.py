"""Collect history: fetch the API and upsert into the parquet dataset, once or on a schedule.

The API looks back 24 hours only; a team that wants last month's numbers collects them as it
goes. :func:`sync` is one fetch (:meth:`engframe.client.Client.frame`) followed by one
:func:`engframe.history.export`, repeated every ``every`` minutes if asked. Overlapping fetches
are what the dataset's upsert is for: the newest interval of one fetch is still filling and
is completed by the next.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any, Final

from engframe.client import Client
from engframe.errors import APIError, AuthError, ResponseError
from engframe.history import ExportResult, export
from engframe.query import IdsLike

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_TIMEFRAME", "sync"]

log = logging.getLogger(__name__)

#: The whole day the API keeps [minutes].
DEFAULT_TIMEFRAME: Final = 1440
#: The API's finest grain [minutes]: any coarser one can be computed from it later.
DEFAULT_INTERVAL: Final = 5


def sync(
    root: str | os.PathLike[str],
    *,
    account: str | int | None = None,
    timeframe: int = DEFAULT_TIMEFRAME,
    interval: int | None = DEFAULT_INTERVAL,
    skills: IdsLike = "all",
    agents: IdsLike = "all",
    every: float | None = None,
    times: int | None = None,
    client: Client | None = None,
    on_export: Callable[[ExportResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    **client_options: Any,
) -> list[ExportResult]:
    """Fetch the API and upsert the result into the history dataset at ``root``.

    Parameters
    ----------
    root : str or path-like
        The history dataset's folder (see :func:`engframe.export`).
    account : str or int, optional
        The account id; ``$LP_ACCOUNT`` when omitted (ignored when ``client`` is given).
    timeframe : int, default DEFAULT_TIMEFRAME
        Minutes to fetch, 1..1440.
    interval : int or None, default DEFAULT_INTERVAL
        Interval size [minutes]; ``None`` for whole-timeframe values only.
    skills, agents : "all", iterable of int, comma string or None, default "all"
        Which skills and agents.
    every : float, optional
        Repeat every this many minutes (measured start to start); ``None`` runs once, for
        cron. A failed fetch in a repeated sync is logged and retried at the next turn,
        except for authentication and query errors, which stop it.
    times : int, optional
        Stop after this many turns (default: once when ``every`` is None, else forever).
    client : engframe.Client, optional
        Fetch with this client; otherwise one is made from ``account`` and
        ``client_options`` and closed at the end.
    on_export : callable, optional
        Called with each :class:`~engframe.history.ExportResult` (the CLI prints them).
    clock, sleep : callable
        The monotonic clock [s] and the wait between turns (injected by tests).
    **client_options
        Options of :class:`engframe.Client` (``auth``, ``domain``, ``csds_url``, ``cache``...).

    Returns
    -------
    list of ExportResult
        One per successful turn.

    Raises
    ------
    AuthError, QueryError
        At once, repeated or not.
    APIError, RateLimitError, ResponseError
        When running once (``every=None``), or on the last turn.

    Examples
    --------
    >>> import engframe
    >>> engframe.sync("history/", account="56072331", timeframe=1440, interval=5,
    ...               every=60)  # doctest: +SKIP
    """
    turns = times if times is not None else (1 if every is None else None)
    owned = client is None
    active = client if client is not None else Client(account, **client_options)
    results: list[ExportResult] = []
    try:
        turn = 0
        while turns is None or turn < turns:
            started = clock()
            turn += 1
            last = turns is not None and turn == turns
            try:
                frame = active.frame(timeframe=timeframe, interval=interval, skills=skills,
                                     agents=agents, refresh=True)
                result = export(frame, root, account=active.account)
            except AuthError:
                raise
            except (APIError, ResponseError) as error:
                if every is None or last:
                    raise
                log.warning("sync turn %d failed, trying again next turn: %s", turn, error)
            else:
                results.append(result)
                if on_export is not None:
                    on_export(result)
            if every is None or last:
                break
            sleep(max(0.0, every * 60 - (clock() - started)))
    finally:
        if owned:
            active.close()
    return results
