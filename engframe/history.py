"""A growing history of fetches: a Hive-partitioned parquet dataset, upserted in place.

The API looks back 24 hours only; exporting every fetch into one dataset keeps the rest.
Layout (readable as it is by DuckDB, pyarrow.dataset, Spark, Athena)::

    ROOT/account=56072331/date=2026-11-27/part-0.parquet
    ROOT/date=2026-11-27/part-0.parquet              (frames that name no account)

``date`` is the UTC date of ``timestamp`` (the end of the period a row covers). A dataset
holds either account partitions or date-only ones, never both. The files hold the tidy
columns plus ``start``, ``fetched_at`` and ``complete``; ``account`` and ``date`` live in
the folder names only.

Each key (timestamp, span, level, skill, agent, metric, account; plus the window start
for whole-timeframe rows) has one row: see :mod:`engframe._upsert` for which one wins.
Each partition is rewritten beside its old file and swapped in with an atomic rename,
under a lock file (``ROOT/.engframe.lock``) so that concurrent exporters queue up.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from tqdm import tqdm

from engframe import _meta
from engframe._arrow import ColumnSpec, to_frame, to_table
from engframe._atomic import fsync_folder, replace_file, sweep
from engframe._keys import group_ids
from engframe._lock import locked
from engframe._upsert import upsert
from engframe.errors import DatasetError, FrameError, OptionError, SourceError
from engframe.parquet import COMPRESSIONS, DEFAULT_COMPRESSION, WRITE_OPTIONS
from engframe.schema import DTYPES, METRICS, TIMESTAMP_DTYPE, check_frame

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "LOCK_NAME",
    "PART_NAME",
    "ExportResult",
    "export",
    "read_dataset",
]

#: The one file of each partition.
PART_NAME: Final = "part-0.parquet"
#: The lock file at the dataset's root (hidden from readers by its leading dot).
LOCK_NAME: Final = ".engframe.lock"
#: How long an exporter waits for another one to finish [s]; ``None`` waits forever.
DEFAULT_LOCK_TIMEOUT: Final[float | None] = 600.0
_ACCOUNT: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DAY_MS: Final = 86_400_000
_NAT: Final = np.iinfo(np.int64).min
_VALUE_TYPES: Final = {"i": (np.dtype("int64"), pa.int64()), "u": (np.dtype("int64"), pa.int64()),
                       "f": (np.dtype("float64"), pa.float64())}
_DICTIONARY: Final = pa.dictionary(pa.int32(), pa.string())


@dataclass(frozen=True, slots=True)
class Accounts:
    """The account of each row: ``names[codes[i]]``."""

    codes: np.ndarray
    names: list[str]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export` did.

    Attributes
    ----------
    root : pathlib.Path
        The dataset.
    written : tuple of str
        The partitions written again, as paths under ``root``
        (``"account=56072331/date=2026-11-27"``); partitions the frame did not change
        are not written.
    inserted : int
        Rows whose key was new to the dataset.
    updated : int
        Stored rows replaced by a better one of the frame (completer, fuller or later).
    unchanged : int
        Rows of the frame that changed nothing (already stored, or outranked).
    """

    root: Path
    written: tuple[str, ...]
    inserted: int
    updated: int
    unchanged: int


def export(
    df: pd.DataFrame,
    root: str | os.PathLike[str],
    *,
    account: str | int | None = None,
    fetched_at: str | datetime | None = None,
    compression: str = DEFAULT_COMPRESSION,
    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
) -> ExportResult:
    """Upsert a tidy frame into the history dataset at ``root`` (created if missing).

    Exporting the same fetch twice changes nothing; exporting overlapping fetches keeps
    one row per key (timestamp, span, level, skill, agent, metric, account; whole-timeframe
    rows also keyed by their window start, so different windows stay apart). Per key:
    a complete interval is never replaced by a partial one; the API's oldest interval,
    a remainder, never replaces a fuller value of the same interval; of equally complete
    rows the later fetch wins. Rows without ``complete`` count as partial (not known to be
    complete), rows without ``fetched_at`` as fetched at ``fetched_at`` (below).

    Only the partitions the frame touches are read and rewritten, each swapped in
    atomically: a process killed mid-export leaves every partition whole (old or new),
    and exporting the frame again completes the export. The files keep the tidy columns
    and ``fetched_at``, ``start``, ``complete``; other columns (``source``) are not stored.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame of raw values, best flattened from a saved envelope (it then has the
        ``account``, ``fetched_at``, ``start`` and ``complete`` columns). Every row needs
        a timestamp: whole-timeframe rows of a bare response have none (NaT).
    root : str or path-like
        The dataset's folder.
    account : str or int, optional
        The account of rows that name none (no ``account`` column, or ``<NA>`` in it);
        by default ``df.attrs["account"]`` when set. Without any account the partitions
        are ``date=`` only.
    fetched_at : str or datetime, optional
        When rows without a ``fetched_at`` were fetched [UTC if naive]; by default
        ``df.attrs["fetched_at"]``, else now.
    compression : str, default "snappy"
        Codec of the partitions written, one of :data:`engframe.parquet.COMPRESSIONS`.
    lock_timeout : float or None, default 600
        How long to wait for another exporter of the same dataset [s]; ``None`` waits
        as long as it takes.

    Returns
    -------
    ExportResult
        Partitions written, and rows inserted, updated and left unchanged.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, has rows without a timestamp, a non-numeric value,
        an account that cannot name a folder, or does not fit the dataset (an account
        for a date-only dataset or none for an account one; float values for integer ones).
    OptionError
        If ``compression`` or ``fetched_at`` is not usable.
    DatasetError
        If the lock stays taken past ``lock_timeout``, the dataset mixes partitionings,
        or a partition file is damaged.

    Examples
    --------
    >>> import engframe, tempfile
    >>> df = engframe.flatten({"metricsByIntervals": [{"timestamp": 1795003200000,
    ...     "metricsData": {"metricsTotals": {"totalInteractiveChats": 4}}}],
    ...     "metricsTotals": {"totalInteractiveChats": 4}})
    >>> interval_rows = df[df["span"] == "interval"]
    >>> root = tempfile.mkdtemp()
    >>> engframe.export(interval_rows, root, fetched_at="2026-11-18T09:00Z").written
    ('date=2026-11-18',)
    >>> engframe.export(interval_rows, root, fetched_at="2026-11-18T09:00Z").written
    ()
    >>> engframe.read_dataset(root)[["timestamp", "metric", "value"]]
                      timestamp                 metric  value
    0 2026-11-18 12:00:00+00:00  totalInteractiveChats      4
    """
    frame = check_frame(df, where="export")
    if compression not in COMPRESSIONS:
        raise OptionError(f"export: compression must be one of "
                          f"{', '.join(map(repr, COMPRESSIONS))}, found {compression!r}")
    rows, accounts = _stored_rows(frame, account=account, fetched_at=fetched_at)
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    inserted = updated = 0
    with locked(base / LOCK_NAME, timeout=lock_timeout):
        _check_partitioning(base, has_account=accounts is not None)
        value_type: np.dtype[Any] | None = None
        partitions = list(_partitions(rows, accounts))
        # A backfill can touch many partitions: show the progress on a terminal.
        for folder, index in tqdm(partitions, desc="export", unit="partition", file=sys.stderr,
                                  leave=False, disable=None if len(partitions) > 1 else True):
            part = rows.take(index)
            path = base / folder / PART_NAME
            if path.parent.is_dir():
                sweep(path.parent, PART_NAME)
            old = _read_partition(path) if path.exists() else None
            if old is None and value_type is None:
                value_type = _dataset_value_type(base)
            stored_type = old["value"].dtype if old is not None else value_type
            if stored_type is not None and stored_type != part["value"].dtype:
                raise FrameError(f"export: {base} stores {stored_type} values; this frame's "
                                 f"are {part['value'].dtype} (keep raw and derived apart)")
            old, part = _same_metrics(old, part)
            merged = upsert(old, part)
            inserted += merged.inserted
            updated += merged.updated
            if merged.changed:
                _write_partition(merged.frame, path, compression=compression)
                written.append(folder)
    return ExportResult(base, tuple(written), inserted, updated, len(rows) - inserted - updated)


def read_dataset(
    root: str | os.PathLike[str],
    *,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    account: str | int | Sequence[str | int] | None = None,
) -> pd.DataFrame:
    """Read the history dataset at ``root`` as one tidy frame.

    Only the partitions that can hold the rows asked for are read.

    Parameters
    ----------
    root : str or path-like
        The dataset's folder, as given to :func:`export`.
    start, end : str or datetime, optional
        Keep rows with ``start <= timestamp < end`` [UTC if naive].
    account : str, int or sequence of them, optional
        Keep these accounts only.

    Returns
    -------
    pandas.DataFrame
        The tidy columns, then ``account`` (when the dataset has account partitions),
        ``fetched_at``, ``start`` and ``complete``; partition by partition (account,
        then date), each sorted by key.

    Raises
    ------
    SourceError
        If ``root`` is not a folder.
    OptionError
        If ``start`` or ``end`` is not a time.
    DatasetError
        If the dataset mixes partitionings or a file is damaged.

    Examples
    --------
    >>> import engframe, tempfile
    >>> df = engframe.flatten({"metricsByIntervals": [{"timestamp": 1795003200000,
    ...     "metricsData": {"metricsTotals": {"totalInteractiveChats": 4}}}]})
    >>> root = tempfile.mkdtemp()
    >>> _ = engframe.export(df[df["span"] == "interval"], root, account="56072331")
    >>> engframe.read_dataset(root, start="2026-11-18")["account"].tolist()
    ['56072331']
    """
    base = Path(root)
    if not base.is_dir():
        raise SourceError(f"{base}: no such folder; engframe.export(df, root) creates one")
    lower = None if start is None else _timestamp(start, "start", where="read_dataset")
    upper = None if end is None else _timestamp(end, "end", where="read_dataset")
    accounts = None if account is None else {
        str(a) for a in ([account] if isinstance(account, str | int) else account)}
    has_account = _partitioning(base) == "account"
    files = list(_files(base, lower=lower, upper=upper, accounts=accounts))
    keys = ("account", "date") if has_account else ("date",)
    if not files:
        return to_frame(_empty_table(pa.int64(), keys), _specs(pa.int64(), has_account))
    partitioning = ds.partitioning(pa.schema([(k, pa.string()) for k in keys]), flavor="hive")
    condition = None
    if lower is not None:
        condition = ds.field("timestamp") >= pa.scalar(lower, pa.timestamp("ms", tz="UTC"))
    if upper is not None:
        below = ds.field("timestamp") < pa.scalar(upper, pa.timestamp("ms", tz="UTC"))
        condition = below if condition is None else condition & below
    try:
        dataset = ds.dataset([str(f) for f in files], format="parquet",
                             partitioning=partitioning, partition_base_dir=str(base))
        table = dataset.to_table(filter=condition)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{base}: a partition file cannot be read ({exc})") from None
    frame = to_frame(table, _specs(table.schema.field("value").type, has_account))
    frame["metric"] = frame["metric"].cat.set_categories(
        _canonical(frame["metric"].cat.categories))
    return frame


def _stored_rows(frame: pd.DataFrame, *, account: str | int | None,
                 fetched_at: str | datetime | None) -> tuple[pd.DataFrame, Accounts | None]:
    """The frame's rows in the dataset's stored columns and dtypes, and each row's account."""
    n = len(frame)
    stamps = _ms_column(frame, "timestamp")
    missing = int((stamps == _NAT).sum())
    if missing:
        raise FrameError(
            f"export: {missing} row(s) have no timestamp (NaT); whole-timeframe rows of a "
            "response flattened without its envelope have none. Export "
            "df[df['span'] == 'interval'], or flatten the saved envelope"
        )
    value = frame["value"].dtype
    if not isinstance(value, np.dtype) or value.kind not in _VALUE_TYPES:
        raise FrameError(f"export: column 'value' must hold int or float numbers, found dtype "
                         f"{value}")
    fetched_default = _default_fetched_at(frame, fetched_at)
    fetched = _ms_column(frame, "fetched_at") if "fetched_at" in frame else np.full(n, _NAT)
    fetched = np.where(fetched == _NAT, fetched_default, fetched)
    start = _ms_column(frame, "start") if "start" in frame else np.full(n, _NAT)
    complete = (frame["complete"].fillna(False).to_numpy(bool) if "complete" in frame
                else np.zeros(n, bool))
    columns: dict[str, Any] = {
        "timestamp": _stamps(stamps),
        "skill": _ids(frame, "skill"),
        "agent": _ids(frame, "agent"),
        "metric": _metrics(frame["metric"]),
        "value": frame["value"].to_numpy().astype(_VALUE_TYPES[value.kind][0], copy=False),
        "level": frame["level"].astype(DTYPES["level"]).array,
        "span": frame["span"].astype(DTYPES["span"]).array,
        "fetched_at": _stamps(fetched),
        "start": _stamps(start),
        "complete": complete,
    }
    rows = pd.DataFrame(columns, copy=False)
    return rows, _accounts(frame, account)


def _ms_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    column = frame[name]
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        raise FrameError(f"export: column {name!r} must hold UTC timestamps, found dtype "
                         f"{column.dtype}")
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column.to_numpy("datetime64[ms]").view(np.int64)


def _stamps(ms: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ms.view("M8[ms]")).tz_localize("UTC")


def _ids(frame: pd.DataFrame, name: str) -> pd.Series:
    try:
        return frame[name].astype("Int64").reset_index(drop=True)
    except (TypeError, ValueError):
        raise FrameError(f"export: column {name!r} must hold integer ids or <NA>, found dtype "
                         f"{frame[name].dtype}") from None


def _metrics(metric: pd.Series) -> pd.Series:
    found = metric.astype("category").reset_index(drop=True)
    if (found.cat.codes < 0).any():
        raise FrameError("export: column 'metric' holds <NA>; every value needs a metric name")
    return found.cat.set_categories(_canonical(found.cat.categories))


def _canonical(names: Any) -> list[str]:
    """Metric names in a stable order: the documented five first, the rest sorted."""
    names = {str(name) for name in names}
    return [m for m in METRICS if m in names] + sorted(names - set(METRICS))


def _default_fetched_at(frame: pd.DataFrame, fetched_at: str | datetime | None) -> int:
    if fetched_at is not None:
        return _timestamp(fetched_at, "fetched_at", where="export")
    if isinstance(frame.attrs.get("fetched_at"), str):
        return _timestamp(frame.attrs["fetched_at"], "df.attrs['fetched_at']", where="export")
    return int(pd.Timestamp.now(tz="UTC").value // 1_000_000)


def _timestamp(value: str | datetime, name: str, *, where: str) -> int:
    """Epoch milliseconds of a time given by a user [UTC if naive]."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise OptionError(f"{where}: {name} must be a time (ISO-8601 text or datetime), "
                          f"found {value!r}") from None
    if pd.isna(stamp):
        raise OptionError(f"{where}: {name} must be a time, found {value!r}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)  # .value is nanoseconds whatever the unit


def _accounts(frame: pd.DataFrame, account: str | int | None) -> Accounts | None:
    """Each row's account (codes into names), or ``None`` when the frame names none."""
    fallback = account if account is not None else frame.attrs.get("account")
    if "account" not in frame:
        if fallback is None:
            return None
        codes, names = np.zeros(len(frame), np.int64), [str(fallback)]
    else:
        found, uniques = pd.factorize(frame["account"])
        names = [str(name) for name in uniques]
        codes = found.astype(np.int64, copy=False)
        absent = codes < 0
        if absent.any():
            if fallback is None:
                raise FrameError(f"export: {int(absent.sum())} row(s) have no account; pass "
                                 "export(df, root, account=...)")
            codes = np.where(absent, len(names), codes)
            names.append(str(fallback))
    for name in names:
        if not _ACCOUNT.fullmatch(name):
            raise FrameError(f"export: account {name!r} cannot name a folder; expected letters, "
                             "digits, '_', '.' or '-'")
    return Accounts(codes, names)


def _partitions(rows: pd.DataFrame,
                accounts: Accounts | None) -> Iterator[tuple[str, np.ndarray]]:
    """(folder under the root, row positions) of each partition the rows fall in."""
    if not len(rows):
        return
    days = rows["timestamp"].to_numpy("datetime64[ms]").view(np.int64) // _DAY_MS
    keys: list[Any] = [days] if accounts is None else [
        (accounts.codes, len(accounts.names)), days]
    ids, _ = group_ids(keys)
    order = np.argsort(ids, kind="stable")
    cuts = np.flatnonzero(np.diff(ids[order])) + 1
    parts = []
    for index in np.split(order, cuts):
        first = index[0]
        folder = f"date={np.datetime64(int(days[first]), 'D')}"
        if accounts is not None:
            folder = f"account={accounts.names[accounts.codes[first]]}/{folder}"
        parts.append((folder, index))
    yield from sorted(parts, key=lambda part: part[0])


def _partitioning(base: Path) -> str | None:
    """``"account"`` or ``"date"``: how the dataset at ``base`` is partitioned (None: empty)."""
    kinds = {entry.name.split("=", 1)[0] for entry in os.scandir(base)
             if entry.is_dir() and entry.name.startswith(("account=", "date="))}
    if len(kinds) > 1:
        raise DatasetError(f"{base}: holds both account= and date= partitions at its top; "
                           "a dataset must use one partitioning")
    return kinds.pop() if kinds else None


def _check_partitioning(base: Path, *, has_account: bool) -> None:
    kind = _partitioning(base)
    if kind == "account" and not has_account:
        raise FrameError(f"export: {base} is partitioned by account and this frame names none; "
                         "pass export(df, root, account=...)")
    if kind == "date" and has_account:
        raise FrameError(f"export: {base} holds frames without an account (date= partitions "
                         "only); export frames that name an account to another folder")


def _files(base: Path, *, lower: int | None, upper: int | None,
           accounts: set[str] | None) -> Iterator[Path]:
    """The partition files that may hold rows in ``[lower, upper)``, in path order."""
    first = None if lower is None else str(np.datetime64(lower // _DAY_MS, "D"))
    last = None if upper is None else str(np.datetime64((upper - 1) // _DAY_MS, "D"))
    folders = [base]
    if _partitioning(base) == "account":
        folders = [base / name for name in _names(base, "account=")
                   if accounts is None or name.split("=", 1)[1] in accounts]
    elif accounts is not None:
        return
    for folder in folders:
        for name in _names(folder, "date="):
            day = name.split("=", 1)[1]
            if (first is None or day >= first) and (last is None or day <= last):
                path = folder / name / PART_NAME
                if path.is_file():
                    yield path


def _names(folder: Path, prefix: str) -> list[str]:
    return sorted(entry.name for entry in os.scandir(folder)
                  if entry.is_dir() and entry.name.startswith(prefix))


def _dataset_value_type(base: Path) -> np.dtype[Any] | None:
    """The value dtype of the dataset's files, from the first file found (None: no file)."""
    for path in _files(base, lower=None, upper=None, accounts=None):
        value = pq.read_schema(path).field("value").type
        return np.dtype("float64") if pa.types.is_floating(value) else np.dtype("int64")
    return None


def _same_metrics(old: pd.DataFrame | None,
                  new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give both frames' ``metric`` the same categories, so they stack as categorical."""
    if old is None:
        return new.iloc[:0], new
    names = _canonical([*old["metric"].cat.categories, *new["metric"].cat.categories])
    if list(old["metric"].cat.categories) != names:
        old = old.assign(metric=old["metric"].cat.set_categories(names))
    if list(new["metric"].cat.categories) != names:
        new = new.assign(metric=new["metric"].cat.set_categories(names))
    return old, new


def _read_partition(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"{path}: a partition file cannot be read ({exc})") from None
    frame = to_frame(table, _specs(table.schema.field("value").type, False))
    frame["metric"] = frame["metric"].cat.set_categories(
        _canonical(frame["metric"].cat.categories))
    return frame


def _write_partition(frame: pd.DataFrame, path: Path, *, compression: str) -> None:
    table = to_table(frame, where="export")
    schema = pa.schema(
        [pa.field(f.name, _DICTIONARY) if pa.types.is_dictionary(f.type) else f
         for f in table.schema],
        metadata={**(table.schema.metadata or {}),
                  _meta.VERSION_KEY.encode(): _meta.version().encode(),
                  _meta.LAYOUT_KEY.encode(): b"dataset"},
    )
    table = table.cast(schema)
    new_folder = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, lambda tmp: pq.write_table(table, tmp, compression=compression,
                                                  **WRITE_OPTIONS), durable=True)
    if new_folder:
        fsync_folder(path.parent.parent)


def _specs(value: pa.DataType, has_account: bool) -> list[ColumnSpec]:
    """How the dataset's columns come back into pandas."""
    value_dtype = "float64" if pa.types.is_floating(value) else "int64"
    stamp = str(TIMESTAMP_DTYPE)
    specs = [
        ColumnSpec("timestamp", stamp),
        ColumnSpec("skill", "Int64"),
        ColumnSpec("agent", "Int64"),
        ColumnSpec("metric", "category", tuple(METRICS)),
        ColumnSpec("value", value_dtype),
        ColumnSpec("level", "category", tuple(DTYPES["level"].categories)),
        ColumnSpec("span", "category", tuple(DTYPES["span"].categories)),
    ]
    if has_account:
        specs.append(ColumnSpec("account", "category"))
    return [*specs, ColumnSpec("fetched_at", stamp), ColumnSpec("start", stamp),
            ColumnSpec("complete", "bool")]


def _empty_table(value: pa.DataType, keys: Sequence[str]) -> pa.Table:
    fields = [
        ("timestamp", pa.timestamp("ms", tz="UTC")), ("skill", pa.int64()),
        ("agent", pa.int64()), ("metric", _DICTIONARY), ("value", value),
        ("level", _DICTIONARY), ("span", _DICTIONARY),
        ("fetched_at", pa.timestamp("ms", tz="UTC")), ("start", pa.timestamp("ms", tz="UTC")),
        ("complete", pa.bool_()),
        *[(key, _DICTIONARY) for key in keys],
    ]
    return pa.schema(fields).empty_table()
