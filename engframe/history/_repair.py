"""Convert a history written by engframe 0.1 into today's: facts only, on one grid.

engframe 0.1 kept, in ``ROOT/account=*/date=*/part-0.parquet``, every fetch's whole-timeframe
rows and intervals of whatever length and phase the fetches had, side by side: sums over it
count chats several times. The repair keeps what is a fact of one grid and loses no period
it can recover:

- interval rows become facts of the grid most of them lie on (the grid of each fetch is its
  interval length and where its intervals end); of several values for one period the one
  covering most of it wins, then the later fetch, as in every export;
- whole-timeframe rows are not facts (they total the intervals) and are left out;
- intervals of other grids overlap the chosen one's periods and cannot be placed on it.

Nothing is deleted: the 0.1 folders are moved, as they are, into ``ROOT/_engframe_v1/`` (which
readers skip); delete it when satisfied. A repair killed midway can be run again.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engframe import _meta
from engframe._lock import locked
from engframe.errors import DatasetError, SourceError
from engframe.history._export import (
    DEFAULT_LOCK_TIMEOUT,
    LOCK_NAME,
    _interval_rows,
    publish_files,
    store,
)
from engframe.history._facts import NAT
from engframe.history._grid import BUCKETS, Grid, frame_minutes
from engframe.history._manifest import Manifest, Tables, legacy_folders, read_manifest
from engframe.history._sums import Verifier
from engframe.methods import DEFAULT_METHOD
from engframe.parquet import DEFAULT_COMPRESSION
from engframe.schema import LEVELS, SPANS, TIMESTAMP_DTYPE

__all__ = ["BACKUP_NAME", "RepairResult", "repair_dataset"]

#: Where the repair moves engframe 0.1's folders (skipped by readers: it starts with ``_``).
BACKUP_NAME: Final = "_engframe_v1"
_PART: Final = "part-0.parquet"


@dataclass(frozen=True, slots=True)
class RepairResult:
    """What :func:`repair_dataset` did.

    Attributes
    ----------
    root : pathlib.Path
        The dataset.
    grid : str
        The grid chosen, in words ("5-minute buckets"), or "" when there was nothing to do.
    facts : int
        Facts stored (one per series and period; several 0.1 rows of a period make one).
    left_out : int
        Whole-timeframe rows, not facts of a history.
    off_grid : int
        Interval rows of other grids, which overlap the chosen grid's periods.
    backup : pathlib.Path or None
        Where the 0.1 files now are (``None``: nothing was converted).
    """

    root: Path
    grid: str
    facts: int
    left_out: int
    off_grid: int
    backup: Path | None


def repair_dataset(root: str | os.PathLike[str], *,
                   lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT) -> RepairResult:
    """Convert an engframe 0.1 history at ``root`` in place; the old files are kept aside.

    Parameters
    ----------
    root : str or path-like
        The dataset's folder.
    lock_timeout : float or None, default 600
        How long to wait for an exporter of the same dataset [s].

    Returns
    -------
    RepairResult
        The grid chosen and what was kept, left out and moved.

    Raises
    ------
    SourceError
        If ``root`` is not a folder.
    DatasetError
        If a 0.1 file is damaged (nothing is changed then), or the lock stays taken.

    Examples
    --------
    >>> import engframe, tempfile
    >>> engframe.repair_dataset(tempfile.mkdtemp()).backup is None   # nothing to repair
    True
    """
    base = Path(root)
    if not base.is_dir():
        raise SourceError(f"{base}: no such folder")
    with locked(base / LOCK_NAME, timeout=lock_timeout):
        legacy = legacy_folders(base)
        if not legacy:
            return RepairResult(base, "", 0, 0, 0, None)
        frame = _read_legacy(base, legacy)
        interval = (frame["span"] == "interval").to_numpy()
        left_out = int((~interval).sum())
        frame = frame.loc[interval].reset_index(drop=True)
        grid, on_grid = _best_grid(frame)
        facts = 0
        if on_grid.any():
            kept = frame.loc[on_grid].reset_index(drop=True)
            rows, _ = _interval_rows(kept, account=None, fetched_at=None)
            assert rows is not None
            manifest = _existing(base) or Manifest(
                {DEFAULT_METHOD: Tables(
                    grid, "float64" if rows.value.dtype.kind == "f" else "int64", None)},
                f"engframe {_meta.version()} (repaired from 0.1)", files={})
            _fill_starts(rows, grid)
            _, inserted, updated, staged = store(rows, manifest.primary, base,
                                                 compression=DEFAULT_COMPRESSION,
                                                 verify=Verifier(base, manifest))
            publish_files(base, manifest, staged)
            facts = inserted + updated  # the facts stored: one per series and period
        backup = base / BACKUP_NAME
        backup.mkdir(exist_ok=True)
        for folder in legacy:
            target = backup / folder.name
            if target.exists():  # a repair interrupted after moving some: keep both
                target = backup / f"{folder.name}.{os.getpid()}"
            folder.rename(target)
    return RepairResult(base, grid.describe(), facts, left_out, int((~on_grid).sum()), backup)


def _existing(base: Path) -> Manifest | None:
    """The manifest of tables a previous, interrupted repair (or export) wrote."""
    return read_manifest(base, legacy=True)


def _read_legacy(base: Path, folders: list[Path]) -> pd.DataFrame:
    """Every 0.1 partition, as one frame with an ``account`` column."""
    frames = []
    for folder in folders:
        key, _, value = folder.name.partition("=")
        parts = ([(None, folder / _PART)] if key == "date" else
                 [(value, Path(entry.path) / _PART) for entry in os.scandir(folder)
                  if entry.is_dir() and entry.name.startswith("date=")])
        for account, path in parts:
            if not path.is_file():
                continue
            try:
                table = pq.read_table(path)
            except (pa.ArrowException, OSError) as exc:
                raise DatasetError(f"{path}: a damaged engframe 0.1 partition ({exc}); nothing "
                                   "was changed. Move it away and repair again") from None
            frame = table.to_pandas()
            frame["account"] = account
            frames.append(frame)
    if not frames:
        return _typed(pd.DataFrame({name: [] for name in (
            "timestamp", "skill", "agent", "metric", "value", "level", "span", "fetched_at",
            "start", "complete", "account")}))
    return _typed(pd.concat(frames, ignore_index=True))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "timestamp": frame["timestamp"].astype(TIMESTAMP_DTYPE),
        "skill": frame["skill"].astype("Int64"),
        "agent": frame["agent"].astype("Int64"),
        "metric": frame["metric"].astype(str).astype("category"),
        "value": frame["value"].to_numpy(),
        "level": pd.Categorical(frame["level"].astype(str), categories=list(LEVELS)),
        "span": pd.Categorical(frame["span"].astype(str), categories=list(SPANS)),
        "account": frame["account"].astype("category"),
        "fetched_at": frame["fetched_at"].astype(TIMESTAMP_DTYPE),
        "start": frame["start"].astype(TIMESTAMP_DTYPE),
    })
    if len(out) == 0:
        out["value"] = out["value"].astype(np.int64)
    return out


def _best_grid(frame: pd.DataFrame) -> tuple[Grid, np.ndarray]:
    """The grid most interval rows lie on, and which rows do."""
    stamps = _ms(frame["timestamp"])
    starts = _ms(frame["start"])
    fetched = _ms(frame["fetched_at"])
    grids: dict[int, Grid | None] = {}
    votes: Counter[Grid] = Counter()
    codes, uniques = pd.factorize(fetched)
    for code in range(len(uniques)):
        mine = codes == code
        minutes = frame_minutes(stamps[mine], starts[mine], {})
        grid = None if minutes is None else Grid.of(minutes, int(stamps[mine][0]))
        if grid is not None and not grid.aligned(stamps[mine]).all():
            grid = None
        grids[code] = grid
        if grid is not None:
            votes[grid] += int(mine.sum())
    if not votes:
        return BUCKETS, np.zeros(len(frame), bool)
    chosen = max(votes, key=lambda g: (votes[g], g == BUCKETS))
    on_grid = np.array([grids[c] == chosen for c in range(len(uniques))], bool)[codes] if len(
        codes) else np.zeros(0, bool)
    return chosen, on_grid


def _fill_starts(rows: object, grid: Grid) -> None:
    """0.1 rows without a start: all but each fetch's oldest interval cover their period."""
    start, stamp, fetch = rows.start, rows.stamp, rows.fetch  # type: ignore[attr-defined]
    unknown = start == NAT
    if not unknown.any():
        return
    oldest = pd.Series(stamp).groupby(fetch).transform("min").to_numpy()
    fill = unknown & (stamp != oldest)
    start[fill] = stamp[fill] - grid.period_ms


def _ms(column: pd.Series) -> np.ndarray:
    ms: np.ndarray = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
        "datetime64[ms]").view(np.int64)
    return ms
