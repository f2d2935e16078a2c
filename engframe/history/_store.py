"""Where a history's facts live on disk, and how a partition is read and written.

Layout (DuckDB, pyarrow.dataset, Spark and Athena read each table as it is)::

    ROOT/_engframe.json                               the manifest (grid, values, scope)
    ROOT/<level>/date=2026-11-27/part-0.parquet       one table per level

``date`` is the UTC day the period lies in (its start). A partition is rewritten beside its
old file and swapped in with an atomic rename; files carry parquet page checksums, verified
on every read, so a damaged file is reported as damaged, never read as data and written back
as truth.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from engframe._atomic import fsync_folder, replace_file, sweep
from engframe.errors import DatasetError
from engframe.history._facts import Facts
from engframe.history._grid import Grid
from engframe.parquet import WRITE_OPTIONS
from engframe.schema import LEVELS

__all__ = [
    "CHECKED_FORMAT",
    "PART_NAME",
    "partition_files",
    "partitions",
    "read_partition",
    "tables",
    "write_partition",
]

#: The one file of each partition.
PART_NAME: Final = "part-0.parquet"
_DAY_MS: Final = 86_400_000
#: Reads that verify every page's checksum.
CHECKED_FORMAT: Final = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


def tables(base: Path) -> list[str]:
    """The level tables the dataset holds, in the order of :data:`engframe.schema.LEVELS`."""
    return [level for level in LEVELS if (base / level).is_dir()]


def partitions(level: np.ndarray, stamp: np.ndarray | tuple[np.ndarray, np.ndarray],
               grid: Grid) -> Iterator[tuple[tuple[str, str], np.ndarray]]:
    """``((level, "date=YYYY-MM-DD"), positions)`` of each partition rows fall in.

    ``level`` holds level codes (positions in :data:`engframe.schema.LEVELS`); ``stamp`` the
    period ends, or their codes and distinct values. ``date`` is the UTC day of each
    period's start. Rows keep their order within a partition.
    """
    codes, ends = stamp if isinstance(stamp, tuple) else pd.factorize(stamp)
    # the day of each distinct period end (a few hundred), then of each row
    end_day, found = pd.factorize((np.asarray(ends) - grid.period_ms) // _DAY_MS, sort=True)
    day = end_day[codes]
    group = level.astype(np.int64) * len(found) + day
    # few groups: a stable radix sort of small integers, cheap on millions of rows
    order = np.argsort(group.astype(np.uint16 if len(LEVELS) * len(found) < 2**16
                                    else np.int64), kind="stable")
    counts = np.bincount(group, minlength=len(LEVELS) * len(found))
    ends = np.cumsum(counts)
    for code in np.flatnonzero(counts):
        positions = order[ends[code] - counts[code]:ends[code]]
        level_code, day_code = divmod(int(code), len(found))
        yield ((LEVELS[level_code], f"date={np.datetime64(int(found[day_code]), 'D')}"),
               positions)


def partition_files(base: Path, level: str, *, first_day: str | None = None,
                    last_day: str | None = None) -> list[Path]:
    """The partition files of a table whose day lies in ``[first_day, last_day]``."""
    folder = base / level
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not (entry.is_dir() and entry.name.startswith("date=")):
            continue
        day = entry.name.split("=", 1)[1]
        if (first_day is None or day >= first_day) and (last_day is None or day <= last_day):
            path = Path(entry.path) / PART_NAME
            if path.is_file():
                found.append(path)
    return found


def read_partition(path: Path, level: str) -> Facts:
    """The facts of one partition file, its checksums verified.

    Raises
    ------
    DatasetError
        If the file is damaged or not a partition of this table.
    """
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        return Facts.from_table(table, level)
    except (pa.ArrowException, OSError, KeyError, ValueError) as exc:
        raise DatasetError(
            f"{path}: a damaged partition ({exc}); nothing was written. Restore the file from "
            "a backup, or move it away and export the fetches again (the API keeps 24 hours)"
        ) from None


def write_partition(facts: Facts, path: Path, *, level: str, grid: Grid,
                    compression: str) -> None:
    """Write one partition atomically (and durably), with page checksums."""
    table = facts.to_table(level, grid)
    new_folder = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not new_folder:
        sweep(path.parent, PART_NAME)
    replace_file(path, lambda tmp: pq.write_table(
        table, tmp, compression=compression, write_page_checksum=True, **WRITE_OPTIONS),
        durable=True)
    if new_folder:
        fsync_folder(path.parent.parent)
