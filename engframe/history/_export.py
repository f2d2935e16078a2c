"""``engframe.export``: upsert one fetch's interval facts into the history dataset."""

from __future__ import annotations

import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from tqdm import tqdm

from engframe import _meta
from engframe._atomic import sweep
from engframe._lock import check_timeout, locked
from engframe._output import reason
from engframe.errors import DatasetError, EngframeWarning, FrameError, OptionError, OutputError
from engframe.history._facts import NAT, Facts, dims_of_frame, frame_codes
from engframe.history._grid import BUCKETS, WINDOWS_GRID, Grid, frame_minutes
from engframe.history._manifest import (
    MANIFEST_NAME,
    Manifest,
    Tables,
    method_folder,
    read_manifest,
)
from engframe.history._names_store import NamesOption, plan_names, stage_names, to_store
from engframe.history._store import PART_NAME, partitions, read_partition, stage_partition
from engframe.history._sums import Staged, Verifier, publish
from engframe.history._upsert import keys_of, repeats, upsert
from engframe.history._windows import check_windows
from engframe.methods import DEFAULT_METHOD, METHODS, infer
from engframe.parquet import COMPRESSIONS, DEFAULT_COMPRESSION
from engframe.schema import LEVEL_HAS, LEVELS, METHOD_COLUMN, SPANS, check_frame
from engframe.scope import Scope, request_of
from engframe.window import BUCKET_MS

__all__ = ["DEFAULT_LOCK_TIMEOUT", "LOCK_NAME", "ExportResult", "export"]

#: The lock file at the dataset's root (hidden from readers by its leading dot).
LOCK_NAME: Final = ".engframe.lock"
#: How long an exporter waits for another one to finish [s]; ``None`` waits forever.
DEFAULT_LOCK_TIMEOUT: Final[float | None] = 600.0
#: Partitions written at once.
WRITERS: Final = min(4, os.cpu_count() or 1)
_VALUE_KINDS: Final = {"i": "int64", "u": "int64", "f": "float64"}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export` did.

    Attributes
    ----------
    root : pathlib.Path
        The dataset.
    written : tuple of str
        The partitions written again, as paths under ``root``
        (``"agent/date=2026-11-27"``); partitions the frame did not change are not written.
    inserted : int
        Facts (one period of one series) new to the dataset.
    updated : int
        Stored facts replaced by a better value of the frame (covering more of the period,
        or of a later fetch).
    unchanged : int
        Facts of the frame that changed nothing (already stored, or outranked).
    left_out : int
        Rows of the frame that are not facts of a history: its whole-timeframe rows.
    names : tuple of str
        The name tables written again, as paths under ``root`` (``"names/agents"``);
        tables the names did not change are not written.
    """

    root: Path
    written: tuple[str, ...]
    inserted: int
    updated: int
    unchanged: int
    left_out: int = 0
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Rows:
    """A frame's interval rows, as the arrays a history stores."""

    level: np.ndarray
    stamp: np.ndarray
    start: np.ndarray
    fetched: np.ndarray
    account: np.ndarray
    accounts: list[str]
    skill: np.ndarray
    agent: np.ndarray
    metric: np.ndarray
    metrics: list[str]
    value: np.ndarray
    fetch: np.ndarray  # which fetch (source, fetched_at) each row comes from
    ends: np.ndarray  # the distinct period ends
    stamp_code: np.ndarray  # each row's position in ends
    key: np.ndarray  # dense key codes (level included)
    key_size: int
    unique: bool  # no two rows share a key
    dim: np.ndarray | None = None  # codes into dim_values (states, reasons, buckets)
    dim_values: list[Any] | None = None
    dim_names: tuple[str, ...] = ()

    def facts(self, level: str, grid: Grid, at: np.ndarray, *, windows: bool = False) -> Facts:
        """The facts of rows ``at`` (all of ``level``); of fetch windows with ``windows``."""
        has_skill, has_agent = LEVEL_HAS[level]
        stamp, start, fetched = self.stamp[at], self.start[at], self.fetched[at]
        if windows:  # a window covers its start to its end, complete once it had ended
            covered_from, complete = start, fetched >= stamp
        else:
            period_start = stamp - grid.period_ms
            covered_from = np.where(start == NAT, NAT, np.maximum(start, period_start))
            complete = (covered_from == period_start) & (fetched >= stamp)
        return Facts(
            stamp=stamp, account=self.account[at], accounts=self.accounts,
            skill=self.skill[at] if has_skill else None,
            agent=self.agent[at] if has_agent else None,
            metric=self.metric[at], metrics=self.metrics, value=self.value[at],
            start=covered_from, fetched=fetched, complete=complete,
            dim=None if self.dim is None else self.dim[at],
            dim_values=self.dim_values or [], dim_names=self.dim_names,
        )


def export(
    df: pd.DataFrame,
    root: str | os.PathLike[str],
    *,
    account: str | int | None = None,
    fetched_at: str | datetime | None = None,
    compression: str = DEFAULT_COMPRESSION,
    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
    names: NamesOption = None,
) -> ExportResult:
    """Upsert a fetch's interval values into the history dataset at ``root``.

    A history holds facts: for every series (level, account, skill, agent, metric) one value
    per period of the dataset's grid, never two for overlapping periods, so any sum over it
    counts every chat once. The grid is the first export's interval length (5-minute
    buckets for what ``engframe sync`` and ``engframe demo`` fetch); a frame whose
    intervals do not line up with it is refused with nothing written. Of the values
    fetches gave for a period the one covering most of it wins (the newest interval is
    still filling; the oldest holds only the remainder of the window), then the later
    fetch. Whole-timeframe rows are not facts of a history and are not stored (counted in
    ``left_out``); nor is a frame's request scope mixed with another's (a skill's total
    means other chats when the request named agents).

    Only the partitions the frame touches are read and rewritten, each swapped in
    atomically, after every touched partition has been read and verified: a process killed
    mid-export leaves every partition whole (old or new), and exporting again completes
    the export. Concurrent exporters queue on ``ROOT/.engframe.lock``.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame with interval rows, best one fetched by :class:`engframe.Client` or
        flattened from a saved envelope (it then has the ``account``, ``fetched_at``,
        ``start`` and ``complete`` columns and ``attrs["query"]``). Rows of several fetches
        (a folder) are ranked fact by fact.
    root : str or path-like
        The dataset's folder (created if missing).
    account : str or int, optional
        The account of rows that name none; by default ``df.attrs["account"]``.
    fetched_at : str or datetime, optional
        When rows without a ``fetched_at`` were fetched [UTC if naive]; by default
        ``df.attrs["fetched_at"]``, else now.
    compression : str, default "snappy"
        Codec of the partitions written, one of :data:`engframe.parquet.COMPRESSIONS`.
    lock_timeout : float or None, default 600
        How long to wait for another exporter of the same dataset [s]; ``None`` (or
        infinity) waits as long as it takes.
    names : Names, path-like or bool, optional
        Also upsert skill, agent and agent group names into the name tables beside the
        facts (``ROOT/names/skills``, ``agents``, ``agent_groups``: one row per
        account and id, the latest read winning, names never deleted; see
        :mod:`engframe.history`). A :class:`~engframe.names.Names` (or the path of saved
        names) is stored whole, for its account, which must be the frame's. ``True``
        stores the names the frame was loaded with (``load(..., names=True)``): those
        its name columns show, for the ids it holds, read at
        ``df.attrs["names"]["read_at"]`` (pass the ``Names`` for the whole tables:
        deleted flags, groups' parents, ...). Tables that could not be read change
        nothing. Names are stored with facts: a frame without interval rows stores none.

    Returns
    -------
    ExportResult
        Partitions and name tables written, and facts inserted, updated and left
        unchanged.

    Raises
    ------
    DatasetError
        If the frame's intervals do not line up with the dataset's grid, its scope or
        values differ from the dataset's, the dataset was written by engframe 0.1 (see
        :func:`repair_dataset`), a touched partition or a name table is damaged (its
        checksum or schema is not what was recorded, or it is not a regular file), or the
        lock stays taken past ``lock_timeout``: nothing is written then. Also when a file
        cannot be written (a full disk): the message names it, and every file is whole.
    FrameError
        If ``df`` is not a tidy frame of numbers, an interval row lacks its timestamp, or
        a value is NaN or infinite.
    OptionError
        If ``compression``, ``fetched_at``, ``lock_timeout`` or ``names`` is not usable
        (``True`` for a frame loaded without names; names of another account than the
        frame's).
    OutputError
        If ``root`` cannot be a folder (it is a file, or cannot be created there).
    SourceError, ResponseError
        If a path given as ``names`` is missing or not saved names.

    Examples
    --------
    >>> import engframe, tempfile
    >>> envelope = {"request": {"account": "56072331", "timeframe": 10, "interval": 5},
    ...             "fetched_at": "2026-11-18T12:07:00Z",
    ...             "response": {"metricsByIntervals": [
    ...                 {"timestamp": 1795003200000,  # 12:00, complete
    ...                  "metricsData": {"metricsTotals": {"totalInteractiveChats": 4}}},
    ...                 {"timestamp": 1795003500000,  # 12:05, complete
    ...                  "metricsData": {"metricsTotals": {"totalInteractiveChats": 1}}}]}}
    >>> df = engframe.flatten(envelope)
    >>> root = tempfile.mkdtemp()
    >>> engframe.export(df, root).written
    ('account/date=2026-11-18',)
    >>> engframe.export(df, root).written   # the same fetch again changes nothing
    ()
    >>> engframe.read_dataset(root)[["timestamp", "metric", "value"]]
                      timestamp                 metric  value
    0 2026-11-18 12:00:00+00:00  totalInteractiveChats      4
    1 2026-11-18 12:05:00+00:00  totalInteractiveChats      1
    """
    frame = check_frame(df, where="export")
    if compression not in COMPRESSIONS:
        raise OptionError(f"export: compression must be one of "
                          f"{', '.join(map(repr, COMPRESSIONS))}, found {compression!r}")
    lock_timeout = check_timeout(lock_timeout, where="export")
    base = Path(root)
    if base.exists() and not base.is_dir():  # said even when there is nothing to store
        make_root(base, where="export")
    parts = []
    left_out = 0
    for method, part in by_method(frame):
        snapshot = method in METHODS and METHODS[method].snapshot
        windows = method in METHODS and (METHODS[method].windows or snapshot)
        rows, left = _interval_rows(part, account=account, fetched_at=fetched_at,
                                    windows=windows, snapshot=snapshot)
        left_out += left
        if rows is not None:
            parts.append((method, part, rows, windows))
    if not parts:
        warnings.warn(
            f"export: the frame has no interval rows, so nothing was stored in {base}: a "
            "history keeps interval values (fetch with interval=5)", EngframeWarning,
            stacklevel=2)
        return ExportResult(base, (), 0, 0, 0, left_out)
    owner = account if account is not None else frame.attrs.get("account")
    accounts = list(dict.fromkeys(a for _, _, rows, _ in parts for a in rows.accounts))
    name_rows = to_store(names, frame, accounts=accounts,
                         account=None if owner is None else str(owner))
    make_root(base, where="export")
    written: list[str] = []
    inserted = updated = stored = 0
    with locked(base / LOCK_NAME, timeout=lock_timeout):
        manifest = read_manifest(base)
        sweep(base, MANIFEST_NAME)  # a manifest write killed before leaves its temporary file
        planned = []
        for method, part, rows, windows in parts:
            found = manifest.of(method) if manifest is not None else None
            grid = WINDOWS_GRID if windows else _grid(rows, part, found, base, method)
            rows = _values(rows, found, base, method)
            scope = _scope(part, found, base, method)
            tables = found or Tables(grid, _VALUE_KINDS[rows.value.dtype.kind], scope,
                                     windows=windows)
            manifest = (Manifest({method: tables}, f"engframe {_meta.version()}", files={})
                        if manifest is None else manifest.with_tables(method, tables))
            planned.append((method, rows, tables))
        assert manifest is not None
        verify = Verifier(base, manifest)
        for method, rows, tables in planned:
            if tables.windows and not (method in METHODS and METHODS[method].snapshot):
                check_windows(rows, base, method, verify)
        # stored names verified before writing
        name_tables = plan_names(base, name_rows, verify)
        staged: list[Staged] = []
        for method, rows, tables in planned:
            done, new, changed, pieces = store(rows, tables, base, compression=compression,
                                               verify=verify, method=method)
            written += done
            inserted += new
            updated += changed
            stored += len(rows.stamp)
            staged += pieces
        names_written, names_staged = stage_names(base, name_tables, compression=compression)
        publish_files(base, manifest, [*staged, *names_staged])
    return ExportResult(base, tuple(written), inserted, updated, stored - inserted - updated,
                        left_out, tuple(names_written))


def by_method(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The frame's rows by method: its ``method`` column's, else the one its metrics tell.

    A frame without a known method (a bare response of metrics no method of the catalogue
    has) is stored as engactivity's, as engframe 0.2 stored every frame.
    """
    if METHOD_COLUMN in frame.columns:
        column = frame[METHOD_COLUMN].astype("category").array
        codes = np.asarray(column.codes)
        used = np.unique(codes)
        if len(used) == 1:
            name = DEFAULT_METHOD if used[0] < 0 else str(column.categories[used[0]])
            return [(name, frame)]
        out = []
        for code in used:
            part = frame.take(np.flatnonzero(codes == code)).reset_index(drop=True)
            part.attrs = frame.attrs
            out.append((DEFAULT_METHOD if code < 0 else str(column.categories[code]), part))
        return out
    metric = frame["metric"].astype("category").array
    present = metric.categories[np.unique(np.asarray(metric.codes)[np.asarray(metric.codes)
                                                                   >= 0])]
    found = infer(map(str, present))
    return [(DEFAULT_METHOD if found is None else found.name, frame)]


def make_root(base: Path, *, where: str) -> None:
    """Create the dataset's folder, or say in one line why it cannot be one.

    Raises
    ------
    OutputError
        If ``base`` is a file (or a device such as ``/dev/null``), or cannot be created.
    """
    if base.exists() and not base.is_dir():
        raise OutputError(f"{where}: {base} is a file, not a folder; a history is a folder: "
                          "give another path")
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{where}: cannot create the folder {base} ({reason(exc)})") from None


def publish_files(base: Path, manifest: Manifest, staged: list[Staged]) -> Manifest:
    """Rename staged files into place, checksums recorded (a full disk named: DatasetError)."""
    try:
        return publish(base, manifest, staged)
    except OSError as exc:
        where = getattr(exc, "filename", None) or base / MANIFEST_NAME
        problem = reason(exc)
    raise DatasetError(f"{where}: cannot be written ({problem}); every file of {base} is "
                       "whole (old or new): export again once that is fixed")


def store(rows: _Rows, tables: Tables, base: Path, *, compression: str,
          verify: Verifier, method: str = DEFAULT_METHOD,
          ) -> tuple[list[str], int, int, list[Staged]]:
    """Upsert checked rows of a method (under the dataset's lock): partitions, counts, files.

    Every touched partition is read and verified before anything is written; the changed
    ones are written beside their place, for :func:`publish_files` to put in place.

    Raises
    ------
    DatasetError
        If a touched partition is damaged, or a file cannot be written (naming it).
    """
    grid = tables.grid
    folder_of = method_folder(base, method)
    work = _plan(rows, grid, folder_of, verify, windows=tables.windows)

    def one(item: tuple[str, str, Facts | None, np.ndarray]) -> tuple[str, int, int,
                                                                      Staged | None]:
        level, folder, old, at = item
        new = rows.facts(level, grid, at, windows=tables.windows)
        merged = upsert(old, new, grid, keys=(rows.key[at], rows.key_size), unique=rows.unique)
        if not merged.changed:
            return "", merged.inserted, merged.updated, None
        path = folder_of / level / folder / PART_NAME
        try:
            staged = stage_partition(merged.facts, path, level=level, grid=grid,
                                     compression=compression)
        except OSError as exc:
            problem = reason(exc)
        else:
            return path.parent.relative_to(base).as_posix(), merged.inserted, merged.updated, \
                staged
        raise DatasetError(f"{path}: cannot be written ({problem}); nothing was changed: "
                           "export again once that is fixed")

    # Partitions are independent: write them side by side (the parquet writer releases the
    # GIL). A backfill can touch many: show the progress.
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [pool.submit(one, item) for item in work]
        for _ in tqdm(as_completed(futures), total=len(work), desc="export",
                      unit="partition", file=sys.stderr, leave=False,
                      disable=None if len(work) > 1 else True):
            pass
    failed = next((f.exception() for f in futures if f.exception() is not None), None)
    if failed is not None:
        for future in futures:  # none of the staged files is wanted now
            piece = None if future.exception() is not None else future.result()[3]
            if piece is not None:
                piece.tmp.unlink(missing_ok=True)
        raise failed
    done = [future.result() for future in futures]
    written = [folder for folder, _, _, _ in done if folder]
    staged = [piece for *_, piece in done if piece is not None]
    return written, sum(d[1] for d in done), sum(d[2] for d in done), staged


def _plan(rows: _Rows, grid: Grid, base: Path, verify: Verifier, *,
          windows: bool = False) -> list[tuple[str, str, Facts | None, np.ndarray]]:
    """Each touched partition: (level, folder, its stored facts or None, its new rows).

    ``base`` is the method's folder (the root for engactivity).
    """
    work = []
    starts = rows.start if windows else None
    for (level, folder), at in partitions(rows.level, (rows.stamp_code, rows.ends), grid,
                                          starts=starts):
        path = base / level / folder / PART_NAME
        old = read_partition(path, level, verify) if os.path.lexists(path) else None
        work.append((level, folder, old, at))
    return work


def _interval_rows(frame: pd.DataFrame, *, account: str | int | None,
                   fetched_at: str | datetime | None,
                   windows: bool = False, snapshot: bool = False) -> tuple[_Rows | None, int]:
    """The frame's interval rows as stored arrays, and how many rows are left out.

    With ``windows`` (a method without intervals), its whole-timeframe rows: each fetch
    window is a fact; with ``snapshot`` too (queuestate), its snapshot rows: each moment
    fetched is a fact, from itself to itself.
    """
    span = np.asarray(pd.Categorical(frame["span"], categories=list(SPANS)).codes)
    kept = "snapshot" if snapshot else "timeframe" if windows else "interval"
    found = np.flatnonzero(span == SPANS.index(kept))
    left_out = len(frame) - len(found)
    if not len(found):
        return None, left_out
    # a response's intervals come before its whole-timeframe rows: a view, not a copy
    at: np.ndarray | slice = (slice(int(found[0]), int(found[-1]) + 1)
                              if found[-1] - found[0] + 1 == len(found) else found)
    value = frame["value"].to_numpy()[at]
    if value.dtype.kind not in _VALUE_KINDS:
        raise FrameError(f"export: column 'value' must hold int or float numbers, found dtype "
                         f"{frame['value'].dtype}")
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        # no answer of the API holds one (JSON has no NaN); a derived ratio over zero does
        bad = np.flatnonzero(~np.isfinite(value))
        first = frame.iloc[int(found[bad[0]])]
        raise FrameError(f"export: {len(bad)} interval value(s) are NaN or infinite (the "
                         f"first: {first['metric']} at {first['timestamp']}, {value[bad[0]]}); "
                         "a history stores numbers the API counted: export the raw frame, "
                         "not a derived one")
    n = len(found)
    stamp = _ms_column(frame, "timestamp")[at]
    if (stamp == NAT).any():
        raise FrameError(f"export: {int((stamp == NAT).sum())} interval row(s) have no "
                         "timestamp (NaT); every interval of a response has one")
    default = _default_fetched_at(frame, fetched_at)
    fetched = (_ms_column(frame, "fetched_at")[at] if "fetched_at" in frame.columns
               else np.full(n, NAT))
    if (fetched == NAT).any():
        fetched = np.where(fetched == NAT, default, fetched)
    start = (_ms_column(frame, "start")[at].copy() if "start" in frame.columns
             else np.full(n, NAT))  # a copy: the grid check fills unknown starts in place
    level = np.asarray(pd.Categorical(frame["level"], categories=list(LEVELS)).codes)[at]
    skill, agent = _ids(frame, "skill", at, level), _ids(frame, "agent", at, level)
    metric, metrics = frame_codes(frame["metric"], at)
    if (metric < 0).any():
        raise FrameError("export: column 'metric' holds <NA>; every value needs a metric name")
    account_codes, accounts = _accounts(frame, at, n, account if account is not None
                                        else frame.attrs.get("account"))
    if "source" in frame.columns:
        fetch, _ = pd.factorize(pd.MultiIndex.from_arrays(
            [fetched, frame_codes(frame["source"], at)[0]]))
    elif fetched.min() == fetched.max():
        fetch = np.zeros(n, np.int64)  # one fetch: the usual case
    else:
        fetch, _ = pd.factorize(fetched)
    stamp_codes, ends = pd.factorize(stamp)
    stamp_codes = stamp_codes.astype(np.int64, copy=False)
    if snapshot:
        start = np.where(start == NAT, stamp, start)  # a moment starts where it ends
    dims = dims_of_frame(frame, at)
    dim = dims.get("dim")
    key, key_size = keys_of(stamp=(stamp_codes, len(ends)),
                            skill=skill, agent=agent, metric=(metric, len(metrics)),
                            account=(account_codes, len(accounts)), level=level,
                            dim=None if dim is None else (dim, len(dims["dim_values"])))
    return _Rows(level=level, stamp=stamp, start=start, fetched=fetched,
                 account=account_codes, accounts=accounts, skill=skill, agent=agent,
                 metric=metric, metrics=metrics, value=value,
                 fetch=np.asarray(fetch, np.int64), ends=np.asarray(ends, np.int64),
                 stamp_code=stamp_codes,
                 key=key, key_size=key_size,
                 unique=not repeats(key, key_size), dim=dim,
                 dim_values=dims.get("dim_values"),
                 dim_names=dims.get("dim_names", ())), left_out


def _grid(rows: _Rows, frame: pd.DataFrame, manifest: Tables | None, base: Path,
          method: str = DEFAULT_METHOD) -> Grid:
    """The dataset's grid, after checking that every fetch in the frame lines up with it.

    Also fills the unknown ``start`` of bare frames' intervals: each covers its whole period,
    except the oldest of each fetch, which may hold only the remainder of the window (its
    start stays unknown, so it ranks below any value of known coverage).
    """
    expected = manifest.grid if manifest is not None else None
    fetches = pd.unique(rows.fetch)
    for fetch in fetches:
        mine = (rows.fetch == fetch) if len(fetches) > 1 else np.ones(len(rows.fetch), bool)
        stamps = rows.stamp[mine]
        ends = pd.unique(stamps) if len(fetches) > 1 else rows.ends
        minutes = frame_minutes(stamps, rows.start[mine], dict(frame.attrs.items()), ends=ends)
        if minutes is None:
            if expected is None:
                raise DatasetError(
                    f"export: cannot tell how long this frame's intervals are (one bare "
                    f"interval); nothing was written to {base}. Export the saved envelope, or "
                    "a fetch of several intervals")
            minutes = expected.minutes
        grid = Grid.of(minutes, int(ends[0]))
        on_grid = bool(grid.aligned(ends).all())
        if expected is None and on_grid:
            expected = grid
        if not on_grid or grid != expected:
            _refuse(base, expected, grid, ends)
        unknown = mine & (rows.start == NAT)
        if unknown.any():
            fill = unknown & (rows.stamp != ends.min())
            rows.start[fill] = rows.stamp[fill] - grid.period_ms
    assert expected is not None
    return expected


def _refuse(base: Path, expected: Grid | None, found: Grid, stamps: np.ndarray) -> None:
    off = stamps[stamps % BUCKET_MS != 0]
    keeps = expected.describe() if expected is not None else BUCKETS.describe()
    if len(off):
        ends = pd.Timestamp(int(off[0]), unit="ms", tz="UTC").strftime("%H:%M:%S.%f")[:-3]
        what = (f"end off the API's 5-minute bucket boundaries (one at {ends} UTC), as no "
                "answer of the API does")
    else:
        ends = pd.Timestamp(int(stamps[0]), unit="ms", tz="UTC").strftime("%H:%M")
        what = (f"are {found.describe()} (one ends at {ends} UTC), which do not line up with "
                "them")
    raise DatasetError(
        f"export: {base} keeps {keeps}; this frame's intervals {what}, so nothing was "
        "written. Fetch "
        f"with interval={expected.minutes if expected else BUCKETS.minutes} (what engframe "
        "sync and engframe demo do) and derive coarser periods when reading "
        "(engframe.derive(..., by='hour')), or export this frame into another folder")


def _values(rows: _Rows, manifest: Tables | None, base: Path,
            method: str = DEFAULT_METHOD) -> _Rows:
    if manifest is None:
        return rows
    kind = _VALUE_KINDS[rows.value.dtype.kind]
    if kind == manifest.values:
        return rows
    if manifest.values == "float64":
        return _with_value(rows, rows.value.astype(np.float64))
    if np.all(np.isfinite(rows.value)) and np.all(rows.value == np.floor(rows.value)):
        return _with_value(rows, rows.value.astype(np.int64))
    raise DatasetError(f"export: {base} stores {method}'s integer values; this frame's "
                       f"{method} values hold fractions (averages or scores): export them "
                       "into a dataset of their own; nothing was written")


def _with_value(rows: _Rows, value: np.ndarray) -> _Rows:
    from dataclasses import replace

    return replace(rows, value=value)


def _scope(frame: pd.DataFrame, manifest: Tables | None, base: Path,
           method: str = DEFAULT_METHOD) -> Scope | None:
    scope = Scope.of_request(request_of(frame.attrs))
    if manifest is None:
        return scope
    if scope is not None and manifest.scope is not None and scope != manifest.scope:
        raise DatasetError(
            f"export: {base} holds {method} answers to {_request(manifest.scope)}; this frame "
            f"answers {_request(scope)}. Their totals count different chats (see "
            "engframe.scope), so nothing was written: export it into another folder")
    return manifest.scope


def _request(scope: Scope) -> str:
    return "&".join(f"{name}={value}" for name, value in scope.text().items()
                    if value is not None) or "neither skillIds nor agentIds"


def _ms_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    column = frame[name]
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        raise FrameError(f"export: column {name!r} must hold UTC timestamps, found dtype "
                         f"{column.dtype}")
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column.to_numpy("datetime64[ms]").view(np.int64)


def _ids(frame: pd.DataFrame, name: str, at: np.ndarray | slice,
         level: np.ndarray) -> np.ndarray:
    column = frame[name]
    if not (pd.api.types.is_integer_dtype(column.dtype) or column.isna().all()):
        raise FrameError(f"export: column {name!r} must hold integer ids or <NA>, found dtype "
                         f"{column.dtype}")
    missing = column.isna().to_numpy()[at]
    needs = np.array([LEVEL_HAS[lv][0 if name == "skill" else 1] for lv in LEVELS])[level]
    if (needs & missing).any():
        first = LEVELS[int(level[np.argmax(needs & missing)])]
        raise FrameError(f"export: a row of level {first!r} has no {name}; that level needs one")
    ids: np.ndarray = column.to_numpy(np.int64, na_value=0)[at]
    return ids


def _accounts(frame: pd.DataFrame, at: np.ndarray | slice, n: int,
              fallback: Any) -> tuple[np.ndarray, list[str]]:
    if "account" not in frame.columns:
        if fallback is None:
            return np.full(n, -1, np.int64), []
        return np.zeros(n, np.int64), [str(fallback)]
    codes, names = frame_codes(frame["account"], at)
    if (codes < 0).any() and fallback is not None:
        codes = np.where(codes < 0, len(names), codes)
        names = [*names, str(fallback)]
    return codes, names


def _default_fetched_at(frame: pd.DataFrame, fetched_at: str | datetime | None) -> int:
    if fetched_at is not None:
        return timestamp_ms(fetched_at, "fetched_at", where="export")
    if isinstance(frame.attrs.get("fetched_at"), str):
        return timestamp_ms(frame.attrs["fetched_at"], "df.attrs['fetched_at']", where="export")
    return int(pd.Timestamp.now(tz="UTC").value // 1_000_000)


def timestamp_ms(value: str | datetime, name: str, *, where: str) -> int:
    """Epoch milliseconds of a time given by a user [UTC if naive]."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise OptionError(f"{where}: {name} must be a time (ISO-8601 text or datetime), "
                          f"found {value!r}") from None
    if pd.isna(stamp):
        raise OptionError(f"{where}: {name} must be a time, found {value!r}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    # not .value, which is nanoseconds and overflows for years before 1677 or after 2262
    return int(stamp.tz_localize(None).as_unit("ms").asm8.view(np.int64))

