"""Read a history back: the tidy frame of its facts, and what ``sync`` still has to fetch."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from engframe.errors import OptionError, SourceError
from engframe.history._export import timestamp_ms
from engframe.history._facts import NAT, _codes, measure
from engframe.history._grid import Grid
from engframe.history._manifest import Manifest, read_manifest
from engframe.history._names_join import join_history_names
from engframe.history._store import partition_files, read_files, tables
from engframe.history._sums import Verifier
from engframe.methods import DEFAULT_METHOD, METHODS, get_method
from engframe.names import Names, NamesOption, attach_names
from engframe.names._option import check_names_option, names_from
from engframe.schema import (
    BUCKET_COLUMN,
    COLUMNS,
    DIMENSION_COLUMNS,
    LEVEL_HAS,
    LEVELS,
    METHOD_COLUMN,
    SPANS,
    TIMESTAMP_DTYPE,
    categorical,
    concat_frames,
    empty_frame,
    utc_stamps,
)

__all__ = ["EXTRA_COLUMNS", "HistoryState", "history_attrs", "history_state", "read_dataset"]

_DAY_MS: Final = 86_400_000
#: The tables that hold a row for every interval of every fetch (the API always sends its
#: totals, zeros included), smallest first: what tells which periods a history has.
_EVERY_INTERVAL: Final = ("account", "skills_total", "agents_total", "skill", "agent",
                          "skill_agent")


def read_dataset(
    root: str | os.PathLike[str],
    *,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    account: str | int | Sequence[str | int] | None = None,
    levels: Sequence[str] | None = None,
    names: NamesOption = False,
    skills: int | Iterable[int] | None = None,
    agents: int | Iterable[int] | None = None,
    metrics: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    method: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read the history dataset at ``root`` as one tidy frame of its facts.

    Only the partitions that can hold the rows asked for are read, and every page's
    checksum is verified.

    Parameters
    ----------
    root : str or path-like
        The dataset's folder, as given to :func:`export`.
    start, end : str or datetime, optional
        Keep the facts whose period lies within ``[start, end)`` [UTC if naive]: with
        ``start="2026-11-25", end="2026-11-26"`` the day's 288 buckets, from the one ending
        00:05 to the one ending at midnight.
    account : str, int or sequence of them, optional
        Keep these accounts only.
    levels : sequence of str, optional
        Read these levels' tables only (default: all).
    skills, agents : int or iterable of int, optional
        Keep the facts of these skills (agents) only; levels without that id (the totals,
        and ``agent`` for ``skills=``) hold none of them and are not read.
    metrics : str or sequence of str, optional
        Keep these metrics only (default: all).
    method : str or sequence of str, optional
        Read these methods' tables only (default: every method the history holds; the
        ``method`` column says which each row is).
    columns : sequence of str, optional
        The columns besides the seven tidy ones to read, among ``account``,
        ``fetched_at``, ``start`` and ``complete`` (default: all four; ``names`` needs
        ``account`` and reads it anyway). Every filter is applied while the parquet files
        are scanned, and only the columns asked for are read.
    names : bool, Names or path-like, default False
        Add ``skill_name``, ``agent_name``, ``agent_group`` and ``agent_group_name`` as
        :func:`engframe.load` does (see :func:`engframe.names.attach_names`). ``True``:
        the names stored in the history (``ROOT/names/``, written by ``export(...,
        names=...)``), each account's rows with that account's names; a history without
        them gives fallback names and one warning. Or a :class:`~engframe.names.Names`,
        or the path of saved names, joined to every row.

    Returns
    -------
    pandas.DataFrame
        The tidy columns (``span`` is ``interval``: a history holds interval facts only,
        but for a method stored per fetch window, whose rows are ``timeframe`` rows from
        ``start`` to ``timestamp``), then ``method``, ``account``, ``fetched_at``, ``start``
        and ``complete`` (and the name columns, with ``names``); method by method, table by
        table (in the order of :data:`engframe.schema.LEVELS`), day by day.
        ``df.attrs["query"]`` holds the request scope and the grid as ``interval`` (of the
        method read, or engactivity's); ``df.attrs["history"]`` the grid, the root and each
        method's tables; with names, ``df.attrs["names"]`` what
        :func:`~engframe.names.attach_names` records (for several accounts,
        ``account`` is None and ``accounts`` lists them).

    Raises
    ------
    SourceError
        If ``root`` is not a folder.
    OptionError
        If ``start``, ``end``, ``levels`` or ``names`` is not usable.
    DatasetError
        If the dataset was written by engframe 0.1 (see :func:`repair_dataset`) or a file
        (a partition or a name table) is damaged.

    Examples
    --------
    >>> import engframe, tempfile
    >>> df = engframe.flatten({"request": {"account": "56072331", "timeframe": 5,
    ...                                    "interval": 5},
    ...                        "fetched_at": "2026-11-18T12:07:00Z",
    ...                        "response": {"metricsByIntervals": [
    ...                            {"timestamp": 1795003200000, "metricsData": {
    ...                                "metricsTotals": {"totalInteractiveChats": 4}}}]}})
    >>> root = tempfile.mkdtemp()
    >>> _ = engframe.export(df, root)
    >>> engframe.read_dataset(root, start="2026-11-18")["account"].tolist()
    ['56072331']
    """
    base = Path(root)
    if not base.is_dir():
        raise SourceError(f"{base}: no such folder; engframe.export(df, root) creates one")
    check_names_option(names, where="read_dataset")
    lower = None if start is None else timestamp_ms(start, "start", where="read_dataset")
    upper = None if end is None else timestamp_ms(end, "end", where="read_dataset")
    wanted = _levels(levels)
    extras = _extras(columns, names=names is not False)
    wanted_skills = _id_filter(skills, "skills")
    wanted_agents = _id_filter(agents, "agents")
    wanted_metrics = _metric_filter(metrics)
    # names given are read first: a bad path fails before the facts are read
    given = None if names is True else names_from(names, beside=None, where="read_dataset")
    manifest = read_manifest(base)
    if manifest is None:
        return _named(_with_attrs(_empty(extras), None, base), names, given, base)
    accounts = None if account is None else [
        str(a) for a in ([account] if isinstance(account, str | int) else account)]
    verify = Verifier(base, manifest)
    chosen = _methods(method, manifest)
    frames = []
    for name in chosen:
        found = manifest.of(name)
        assert found is not None
        read = [
            (level, _read_table(base, level, found.grid, verify, lower=lower, upper=upper,
                                accounts=accounts, skills=wanted_skills, agents=wanted_agents,
                                metrics=wanted_metrics, extras=extras, method=name,
                                windows=found.windows))
            for level in tables(base, name) if level in wanted
            and not (wanted_skills is not None and not LEVEL_HAS[level][0])
            and not (wanted_agents is not None and not LEVEL_HAS[level][1])
        ]
        tables_read = [(level, table) for level, table in read if table is not None]
        if tables_read:
            frames.append(_tidy(tables_read, extras, method=name, windows=found.windows))
    frame = (frames[0] if len(frames) == 1 else concat_frames(frames)) if frames else (
        _empty(extras))
    return _named(_with_attrs(frame, manifest, base, chosen), names, given, base)


def _methods(method: str | Sequence[str] | None, manifest: Manifest) -> list[str]:
    """The methods to read: those asked (that the history holds), in the catalogue's order."""
    held = [m for m in METHODS if m in manifest.methods] + [
        m for m in manifest.methods if m not in METHODS]
    if method is None:
        return held
    asked = [method] if isinstance(method, str) else list(method)
    for name in asked:
        get_method(name, parameter="read_dataset: method")
    return [m for m in held if m in asked]


#: The columns of a history's frame besides the seven tidy ones, in their order.
EXTRA_COLUMNS: Final = ("account", "fetched_at", "start", "complete")


def _extras(columns: Sequence[str] | None, *, names: bool) -> tuple[str, ...]:
    if columns is None:
        return EXTRA_COLUMNS
    chosen = [columns] if isinstance(columns, str) else list(columns)
    known = set(EXTRA_COLUMNS) | set(COLUMNS)
    bad = [c for c in chosen if c not in known]
    if bad:
        raise OptionError(f"read_dataset: columns= holds {bad[0]!r}; expected some of "
                          f"{', '.join(EXTRA_COLUMNS)} (the tidy columns come always)")
    if names:
        chosen.append("account")  # the names are joined account by account
    return tuple(c for c in EXTRA_COLUMNS if c in chosen)


def _id_filter(ids: int | Iterable[int] | None, name: str) -> list[int] | None:
    if ids is None:
        return None
    items = [ids] if isinstance(ids, int | str) else list(ids)
    try:
        return sorted({int(i) for i in items})
    except (TypeError, ValueError):
        raise OptionError(f"read_dataset: {name}= holds {items!r}; expected integer ids") \
            from None


def _metric_filter(metrics: str | Sequence[str] | None) -> list[str] | None:
    if metrics is None:
        return None
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    bad = [m for m in chosen if not isinstance(m, str) or not m]
    if bad:
        raise OptionError(f"read_dataset: metrics= holds {bad[0]!r}; expected metric names")
    return chosen


def _named(frame: pd.DataFrame, option: Any, given: Names | None,
           base: Path) -> pd.DataFrame:
    """The frame with the names ``read_dataset(names=option)`` asks for."""
    if option is True:
        return join_history_names(frame, base, stacklevel=4)
    return frame if given is None else attach_names(frame, given, stacklevel=4)


def _levels(levels: Sequence[str] | None) -> set[str]:
    if levels is None:
        return set(LEVELS)
    chosen = [levels] if isinstance(levels, str) else list(levels)
    bad = [level for level in chosen if level not in LEVELS]
    if bad:
        raise OptionError(f"read_dataset: levels= holds {bad[0]!r}; expected some of "
                          f"{', '.join(LEVELS)}")
    return set(chosen)


def _read_table(base: Path, level: str, grid: Grid, verify: Verifier, *, lower: int | None,
                upper: int | None, accounts: list[str] | None,
                skills: list[int] | None = None, agents: list[int] | None = None,
                metrics: list[str] | None = None,
                extras: tuple[str, ...] = EXTRA_COLUMNS, method: str = DEFAULT_METHOD,
                windows: bool = False) -> pa.Table | None:
    # a partition holds the periods that start on its day
    first = None if lower is None else _day(lower)
    last = None if upper is None else _day(upper - 1)
    files = partition_files(base, level, first_day=first, last_day=last, method=method)
    if not files:
        return None
    condition = None
    stamp = pa.timestamp("ms", tz="UTC")
    if lower is not None and windows:  # a window starts at or after ``start``
        condition = ds.field("start") >= pa.scalar(lower, stamp)
    elif lower is not None:  # the period starts at or after ``start``
        condition = ds.field("timestamp") >= pa.scalar(lower + grid.period_ms, stamp)
    if upper is not None:  # and ends at or before ``end``
        below = ds.field("timestamp") <= pa.scalar(upper, stamp)
        condition = below if condition is None else condition & below
    for name, values, kind in (("account", accounts, pa.string()),
                               ("skill", skills, pa.int64()), ("agent", agents, pa.int64()),
                               ("metric", metrics, pa.string())):
        if values is not None:
            chosen = ds.field(name).isin(pa.array(values, kind))
            condition = chosen if condition is None else condition & chosen
    has_skill, has_agent = LEVEL_HAS[level]
    read = ["timestamp", *(["skill"] if has_skill else []), *(["agent"] if has_agent else []),
            "metric", *_dimensions(method), measure(level), *extras]
    return read_files(files, level, verify, condition=condition, columns=read)


def _dimensions(method: str) -> list[str]:
    """The dimension columns a method's tables hold (agentactivity's state and reason...)."""
    found = METHODS.get(method)
    return [] if found is None else [d for d in DIMENSION_COLUMNS if d in found.dimensions]


def _day(ms: int) -> str:
    return str(np.datetime64(ms // _DAY_MS, "D"))


def _tidy(tables: list[tuple[str, pa.Table]],
          extras: tuple[str, ...] = EXTRA_COLUMNS, *, method: str = DEFAULT_METHOD,
          windows: bool = False) -> pd.DataFrame:
    """Level tables of a method as one tidy frame, built once from their stacked columns.

    A method stored per fetch window gives ``timeframe`` rows (each fact a whole window).
    """
    def stacked(read: Any) -> np.ndarray:
        return np.concatenate([read(table, level) for level, table in tables])

    def ids(name: str) -> pd.arrays.IntegerArray:
        values, missing = [], []
        for level, table in tables:
            n = table.num_rows
            if LEVEL_HAS[level][0 if name == "skill" else 1]:
                column = table.column(name)
                values.append(column.fill_null(0).to_numpy().astype(np.int64, copy=False))
                missing.append(column.is_null().to_numpy(zero_copy_only=False))
            else:
                values.append(np.zeros(n, np.int64))
                missing.append(np.ones(n, bool))
        return pd.arrays.IntegerArray(np.concatenate(values), np.concatenate(missing))

    metric, metrics = _united([_codes(table.column("metric")) for _, table in tables])
    level = np.concatenate([np.full(table.num_rows, LEVELS.index(level), np.int8)
                            for level, table in tables])
    frame = {
        "timestamp": _stamps(stacked(lambda t, _: _ms(t.column("timestamp")))),
        "skill": ids("skill"),
        "agent": ids("agent"),
        "metric": _canonical_metric(metric, metrics),
        "value": stacked(lambda t, lv: t.column(measure(lv)).to_numpy()),
        "level": categorical(level, LEVELS),
        "span": categorical(np.full(len(level), SPANS.index(_span(method, windows)), np.int8),
                            SPANS),
        METHOD_COLUMN: categorical(np.zeros(len(level), np.int8), [method]),
    }
    for name in _dimensions(method):
        present = [table for _, table in tables if name in table.column_names]
        if len(present) < len(tables):
            continue
        if name == BUCKET_COLUMN:
            column = pa.chunked_array([c for t in present for c in t.column(name).chunks],
                                      pa.int64())
            frame[name] = pd.arrays.IntegerArray(
                column.fill_null(0).to_numpy().astype(np.int64, copy=False),
                column.is_null().to_numpy(zero_copy_only=False))
        else:
            codes, names = _united([_codes(table.column(name)) for _, table in tables])
            frame[name] = categorical(codes, names)
    if "account" in extras:
        account, accounts = _united([_codes(table.column("account")) for _, table in tables])
        frame["account"] = categorical(account, accounts)
    for name in ("fetched_at", "start"):
        if name in extras:
            frame[name] = _stamps(stacked(lambda t, _, name=name: _ms(t.column(name))))
    if "complete" in extras:
        frame["complete"] = stacked(lambda t, _: t.column("complete").to_numpy(
            zero_copy_only=False).astype(bool))
    return pd.DataFrame(frame, copy=False)


def _span(method: str, windows: bool) -> str:
    """The span of a method's stored rows: a snapshot's moments, a window's whole, else
    intervals."""
    found = METHODS.get(method)
    if found is not None and found.snapshot:
        return "snapshot"
    return "timeframe" if windows else "interval"


def _united(parts: list[tuple[np.ndarray, list[str]]]) -> tuple[np.ndarray, list[str]]:
    """Codes into one list of names, from codes into each part's own names."""
    names = list(dict.fromkeys(name for _, part in parts for name in part))
    index = {name: code for code, name in enumerate(names)}
    small = _smallest(len(names))  # codes stay as small as the names are few
    recoded = [np.append(np.array([index[n] for n in part], small), -1)[codes]
               for codes, part in parts]
    return np.concatenate(recoded), names


def _smallest(n: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type holding codes ``-1 .. n - 1``."""
    for kind in (np.int8, np.int16, np.int32):
        if n < np.iinfo(kind).max:
            return kind
    return np.int64


def _canonical_metric(codes: np.ndarray, names: list[str]) -> Any:
    """The metric column, its categories in a stable order (the documented five first)."""
    order = _canonical(names)
    lookup = np.append(np.array([order.index(n) for n in names], _smallest(len(names))), -1)
    return categorical(lookup[codes], order)


def _ms(column: pa.ChunkedArray) -> np.ndarray:
    ms: np.ndarray = column.cast(pa.int64()).fill_null(NAT).to_numpy().astype(np.int64,
                                                                              copy=False)
    return ms


def _stamps(ms: np.ndarray) -> Any:
    return utc_stamps(ms).array


def _empty(extras: tuple[str, ...] = EXTRA_COLUMNS) -> pd.DataFrame:
    frame = empty_frame()
    frame[METHOD_COLUMN] = pd.Categorical([])
    if "account" in extras:
        frame["account"] = pd.Categorical([])
    for name in ("fetched_at", "start"):
        if name in extras:
            frame[name] = pd.Series([], dtype=TIMESTAMP_DTYPE)
    if "complete" in extras:
        frame["complete"] = np.zeros(0, bool)
    return frame


def _canonical(names: Any) -> list[str]:
    """Metric names in a stable order: the documented ones in the catalogue's order first
    (engactivity's five, then the other methods'), the rest sorted."""
    names = {str(name) for name in names}
    known = list(dict.fromkeys(m for method in METHODS.values() for m in method.metric_names))
    return [m for m in known if m in names] + sorted(names - set(known))


def history_attrs(manifest: Manifest | None, base: Path,
                  methods: Sequence[str] | None = None) -> dict[str, Any]:
    """The ``attrs`` a frame read from the history at ``base`` carries: its query and grid.

    The query is the one method's read (of ``methods``), else engactivity's (or the first
    one's): its scope, and its grid as ``interval`` (none for a method stored per window).
    """
    if manifest is None:
        return {}
    chosen = list(methods) if methods else list(manifest.methods)
    name = chosen[0] if len(chosen) == 1 else (
        DEFAULT_METHOD if DEFAULT_METHOD in chosen else chosen[0] if chosen else None)
    tables = manifest.of(name) if name is not None else None
    tables = tables or manifest.primary
    query: dict[str, Any] = {} if tables.windows else {"interval": tables.grid.minutes}
    if len(chosen) == 1:
        query["method"] = chosen[0]
    if tables.scope is not None:
        query.update(tables.scope.text())
    return {"query": query, "history": {
        "root": str(base), "grid": tables.grid.to_json(),
        "methods": {m: t.to_json() for m, t in manifest.methods.items()}}}


def _with_attrs(frame: pd.DataFrame, manifest: Manifest | None, base: Path,
                methods: Sequence[str] | None = None) -> pd.DataFrame:
    frame.attrs.update(history_attrs(manifest, base, methods))
    return frame


@dataclass(frozen=True, slots=True)
class HistoryState:
    """What a history holds of one account near the end: for ``sync`` to fetch the rest.

    Attributes
    ----------
    grid : Grid or None
        The dataset's grid (``None`` for a new dataset).
    complete : numpy.ndarray
        Period ends [epoch ms] at or after the asked moment whose facts are complete.
    newest : int or None
        The newest complete period end the dataset holds for the account, anywhere.
    """

    grid: Grid | None
    complete: np.ndarray
    newest: int | None


def history_state(root: str | os.PathLike[str], *, account: str | None,
                  since_ms: int, method: str = DEFAULT_METHOD) -> HistoryState:
    """The complete periods of ``account`` ending at or after ``since_ms``, and the newest.

    For a method stored per window, ``newest`` is the end of its newest window, complete
    or not: the next window starts there.
    """
    base = Path(root)
    manifest = read_manifest(base) if base.is_dir() else None
    found = manifest.of(method) if manifest is not None else None
    if manifest is None or found is None:
        return HistoryState(None, np.zeros(0, np.int64), None)
    present = tables(base, method)
    table = next((level for level in _EVERY_INTERVAL if level in present), None)
    if table is None:
        return HistoryState(found.grid, np.zeros(0, np.int64), None)
    files = partition_files(base, table, method=method)
    recent = [f for f in files
              if f.parent.name.split("=", 1)[1] >= _day(since_ms - found.grid.period_ms)]
    chosen = recent or files[-1:]  # nothing recent: the newest day tells what was last fetched
    ends, complete = _complete_ends(chosen, table, account, Verifier(base, manifest))
    if found.windows:
        newest = int(ends.max()) if len(ends) else None
        return HistoryState(found.grid, np.unique(ends[ends >= since_ms]), newest)
    newest = int(ends[complete].max()) if complete.any() else None
    keep = complete & (ends >= since_ms)
    return HistoryState(found.grid, np.unique(ends[keep]), newest)


def _complete_ends(files: list[Path], level: str, account: str | None,
                   verify: Verifier) -> tuple[np.ndarray, np.ndarray]:
    condition = None if account is None else ds.field("account") == account
    table = read_files(files, level, verify, condition=condition,
                       columns=["timestamp", "complete"])
    ends = _ms(table.column("timestamp"))
    done = table.column("complete").to_numpy(zero_copy_only=False).astype(bool)
    if not len(ends):
        return ends, done
    # a period is complete when every one of its facts is
    codes, uniques = pd.factorize(ends)
    partial = np.bincount(codes, weights=~done, minlength=len(uniques)) > 0
    return np.asarray(uniques, np.int64), ~partial
