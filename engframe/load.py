"""``engframe.load``: the notebook entry point, from saved responses or the live API."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engframe import _files
from engframe._resolve import resolve
from engframe.client import load_live
from engframe.errors import QueryError, ResponseError, SourceError
from engframe.flatten import flatten
from engframe.flatten._arrays import inexact
from engframe.flatten._walk import value_path
from engframe.limits import MAX_RESPONSE_BYTES
from engframe.methods import DEFAULT_METHOD, get_method
from engframe.names._option import NamesOption, check_names_option, with_names
from engframe.query import IdsLike
from engframe.schema import MAX_EXACT_INT, categorical, concat_frames
from engframe.scope import request_of

__all__ = ["load"]


def load(
    source: Any = None,
    /,
    *,
    account: str | int | None = None,
    timeframe: int | None = None,
    interval: int | None = None,
    skills: IdsLike = None,
    agents: IdsLike = None,
    method: str | None = None,
    groups: IdsLike = None,
    histogram: Iterable[int | str] | str | None = None,
    auth: Any = None,
    refresh: bool = False,
    recursive: bool = False,
    names: NamesOption = False,
    max_bytes: int = MAX_RESPONSE_BYTES,
    **client_options: Any,
) -> pd.DataFrame:
    """Load real-time data (any method) as one tidy frame, from saved responses or the API.

    Give either a ``source`` to read, or a query (``timeframe``, and ``account`` unless
    ``$LP_ACCOUNT`` is set) to fetch from the live API: Engagement Activity by default,
    ``method="msgconversation"`` (or another of :data:`engframe.methods.METHODS`) for
    another.

    Parameters
    ----------
    source : path-like, dict, str or bytes, optional
        A saved response file (``.json`` or ``.json.gz``, plain or in the envelope the
        live client saves); a folder of such files; or anything :func:`engframe.flatten`
        takes.
    account : str or int, optional
        Fetch from the live API for this account (``$LP_ACCOUNT`` when omitted).
    timeframe : int, optional
        Minutes to fetch, 1..1440; giving it (or ``account``) means a live fetch.
    interval : int, optional
        Interval size [minutes]: a multiple of 5, at most ``timeframe`` and a divisor of it.
    skills, agents : "all", iterable of int or comma string, optional
        The skills and agents to split the values by.
    method : str, optional
        For a live fetch, the method (default ``"engactivity"``; its rules are checked
        before anything is sent: ``msgcsatdistribution`` takes no ``interval``,
        ``agentactivity`` needs ``agents``, ``queuestate`` takes no ``timeframe``: naming
        it alone means a live fetch). Saved responses say their own (the ``method``
        column).
    groups, histogram : optional
        sla's agent groups and bucket bounds [s] (see :class:`engframe.query.Query`).
    auth : optional
        Credentials (see :class:`engframe.Client`); ``None`` reads the ``LP_*``
        environment variables.
    refresh : bool, default False
        Ask the API even when a fresh answer is in the HTTP cache.
    recursive : bool, default False
        For a folder: also read the files in its subfolders.
    names : bool, Names or path-like, default False
        Add ``skill_name``, ``agent_name``, ``agent_group`` and ``agent_group_name``
        (see :func:`engframe.names.attach_names`). ``True``: for a live fetch, read them
        from the Account Configuration API (see :meth:`engframe.Client.frame`); for a file
        or folder, the newest names saved beside it (in ``names/``, where ``save_raw=``
        puts them), or, when none are saved, fallback names and one warning. Or a
        :class:`~engframe.names.Names`, or the path of saved names.
    max_bytes : int, default engframe.limits.MAX_RESPONSE_BYTES (256 MiB)
        The most bytes of JSON a file may hold, or a ``.json.gz`` file inflate to; for a live
        fetch, the most bytes an answer may inflate to (a 24-hour msgconversation answer of
        1000 agents in 5-minute intervals is about 500 MB).
    **client_options
        Other options of :class:`engframe.Client` for a live fetch (``domain``, ``cache``,
        ``offline``, ``save_raw``, ``timeout``, ...).

    Returns
    -------
    pandas.DataFrame
        The tidy frame (see :mod:`engframe.schema`). From a folder, the frames of all its
        files stacked, with a categorical ``source`` column naming each row's file
        (relative to the folder); columns only some files have (such as ``fetched_at``)
        are missing (NA, NaT or False) for the others. ``value`` is float64 if any file
        held a float. ``df.attrs`` keeps the entries whose values are equal in every file
        (the ``query`` of a folder of one fetch's pieces, say), and drops the others;
        ``df.attrs["queries"]`` maps each saved envelope's file to its request (so that
        :func:`engframe.reconcile` checks each file with its own).

        **Overlapping fetches** of one request (the same account, skills and agents, as
        ``save_raw=`` and ``engframe demo`` leave them) hold the same periods again: each
        period is kept once, as :func:`engframe.export` keeps it in a history, so every
        sum over the folder equals the sum over the history built from the same files.
        An interval is taken whole from the fetch whose data covers most of it (the
        newest interval is still filling, the API's oldest holds only the remainder of
        the window), then the later fetch; whole-timeframe rows of fetches whose windows
        overlap without being the same window are left out (their intervals hold the same
        chats). ``df.attrs["overlaps"]`` counts the rows ``superseded`` and ``left_out``.
        Bare responses (no envelope: neither request nor fetch time) are kept as they
        are; :func:`engframe.derive` refuses to add up responses that hold the same chats.

    Raises
    ------
    SourceError
        If the path does not exist, is not a regular file or folder, a folder holds no
        ``.json``/``.json.gz`` file, or two fetches of one request hold periods that
        overlap without being the same period (60-minute intervals fetched at :02 and :09;
        whole timeframes of fetches without intervals): the message names both files.
    ResponseError
        If a response is malformed or past a bound of :mod:`engframe.limits`; the message
        names the file and the JSON path. One such file fails the whole folder.
    QueryError, AuthError, RateLimitError, APIError
        From a live fetch (see :class:`engframe.Client`).

    Examples
    --------
    >>> import engframe
    >>> df = engframe.load("data/samples")
    >>> len(df["source"].unique()), sorted(df["source"].unique())[:2]
    (8, ['account.json', 'account_intervals.json'])
    >>> int(df.loc[df["source"] == "account.json", "value"].sum())
    31
    """
    check_names_option(names, where="engframe.load")
    snapshot = source is None and method is not None and get_method(method).snapshot
    live = account is not None or timeframe is not None or snapshot
    if live:
        if source is not None:
            raise QueryError("engframe.load: give a source to read or a query to fetch, not "
                             "both", parameter="source", rule="a file or a live query")
        if timeframe is None and not snapshot:
            raise QueryError("engframe.load: a live fetch needs timeframe= (minutes, 1..1440)",
                             parameter="timeframe", rule="an integer from 1 to 1440")
        return load_live(account=account, timeframe=timeframe, interval=interval,
                         skills=skills, agents=agents, groups=groups, histogram=histogram,
                         auth=auth, refresh=refresh, names=names,
                         method=DEFAULT_METHOD if method is None else method,
                         max_bytes=max_bytes, **client_options)
    max_bytes = _files.check_max_bytes(max_bytes, where="engframe.load")
    if client_options or auth is not None or interval is not None or skills is not None or (
        agents is not None or method is not None or groups is not None
        or histogram is not None
    ):
        raise QueryError("engframe.load: query options need a live query (timeframe=...)",
                         parameter="timeframe", rule="given with interval, skills, agents")
    if isinstance(source, str | os.PathLike) and not _is_json_text(source):
        path = Path(source)
        if path.is_dir():
            return with_names(_load_folder(path, recursive=recursive, max_bytes=max_bytes),
                              names, beside=path)
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
    if source is None:
        raise SourceError("engframe.load: give a file, a folder, or a response to read; or "
                          "fetch live with account= (or $LP_ACCOUNT) and timeframe= (minutes)")
    is_path = isinstance(source, str | os.PathLike) and not _is_json_text(source)
    return with_names(flatten(source, max_bytes=max_bytes), names,
                      beside=Path(source).parent if is_path else None)


def _is_json_text(source: Any) -> bool:
    return isinstance(source, str) and source.lstrip().startswith(("{", "["))


def _load_folder(folder: Path, *, recursive: bool, max_bytes: int) -> pd.DataFrame:
    files = _files.response_files(folder, recursive=recursive)
    if not files:
        raise SourceError(
            f"{folder}: holds no saved responses (files named {' or '.join(_files.PATTERNS)})"
        )
    frames = [flatten(path, max_bytes=max_bytes) for path in files]
    if any(frame["value"].dtype.kind == "f" for frame in frames):
        for path, frame in zip(files, frames, strict=True):
            _check_exact(frame, str(path))
    names = [path.relative_to(folder).as_posix() for path in files]
    agreed = _agreed(frames)
    queries = {name: dict(query) for name, frame in zip(names, frames, strict=True)
               if (query := request_of(frame.attrs)) is not None}
    resolution = resolve(frames, names)
    frames = [frame if kept is None else _rows(frame, kept)
              for frame, kept in zip(frames, resolution.keep, strict=True)]
    stacked = concat_frames(frames)
    codes = np.repeat(np.arange(len(files), dtype=np.int32), [len(f) for f in frames])
    stacked["source"] = categorical(codes, names)
    stacked.attrs.update(agreed)
    if queries:
        stacked.attrs["queries"] = queries
    if resolution.superseded or resolution.left_out:
        stacked.attrs["overlaps"] = {"superseded": resolution.superseded,
                                     "left_out": resolution.left_out}
    return stacked


def _rows(frame: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    out = frame.take(np.flatnonzero(kept)).reset_index(drop=True)
    out.attrs = frame.attrs
    return out


def _agreed(frames: list[pd.DataFrame]) -> dict[Any, Any]:
    """The ``attrs`` entries whose values are equal in every frame."""
    first, *others = frames
    return {key: value for key, value in first.attrs.items()
            if all(key in other.attrs and other.attrs[key] == value for other in others)}


def _check_exact(frame: pd.DataFrame, source: str) -> None:
    """Refuse an integer of an int64 frame that the folder's float64 column cannot hold."""
    values = frame["value"].to_numpy()
    if values.dtype.kind != "i":
        return
    beyond = np.flatnonzero((values > MAX_EXACT_INT) | (values < -MAX_EXACT_INT))
    if not len(beyond):
        return
    row = frame.iloc[int(beyond[0])]
    section = ""
    if row["span"] == "interval":  # rows follow the response: the k-th timestamp, interval k
        stamps = frame.loc[frame["span"] == "interval", "timestamp"].unique()
        section = f"metricsByIntervals[{list(stamps).index(row['timestamp'])}].metricsData"
    where = value_path(section, str(row["level"]), row["skill"], row["agent"], str(row["metric"]),
                       frame.attrs.get("spellings", {}))
    error = inexact(where, int(values[beyond[0]]))
    raise ResponseError(error.path, error.expected + "; other files of the folder hold decimals",
                        error.found, source=source)
