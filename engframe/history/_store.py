"""Where a history's facts live on disk, and how a partition is read and written.

Layout (DuckDB, pyarrow.dataset, Spark and Athena read each table as it is)::

    ROOT/_engframe.json                                        the manifest (per method)
    ROOT/<level>/date=2026-11-27/part-0.parquet                engactivity: a table per level
    ROOT/<method>/<level>/date=2026-11-27/part-0.parquet       any other method's tables

``date`` is the UTC day the period lies in (its start; a fetch window's start, for a method
stored per window). A partition is rewritten beside its
old file and swapped in with an atomic rename; files carry parquet page checksums, and the
manifest the SHA-256 of each whole file (:mod:`engframe.history._sums`), both verified on
every read with the footer's schema, so a damaged file is reported as damaged, never read
as data and written back as truth. Where a partition should be, anything but a regular file
(a folder, a FIFO, a device) is an error, never a partition skipped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engframe._atomic import sweep
from engframe.errors import DatasetError
from engframe.history._facts import Facts
from engframe.history._grid import Grid
from engframe.history._manifest import method_folder
from engframe.history._sums import Staged, Verifier, not_regular, stage
from engframe.methods import DEFAULT_METHOD
from engframe.parquet import WRITE_OPTIONS
from engframe.schema import LEVELS

__all__ = [
    "PARSE_ERRORS",
    "PART_NAME",
    "partition_files",
    "partitions",
    "read_files",
    "read_partition",
    "stage_partition",
    "tables",
]

#: The one file of each partition.
PART_NAME: Final = "part-0.parquet"
_DAY_MS: Final = 86_400_000
#: What pyarrow raises on a damaged file (a flipped bit in the stored Arrow schema can
#: surface as an OverflowError or an IndexError).
PARSE_ERRORS: Final = (pa.ArrowException, OSError, KeyError, ValueError, TypeError,
                       OverflowError, IndexError)
#: Files read at once (pyarrow parses with the GIL released).
_READERS: Final = min(4, os.cpu_count() or 1)


def tables(base: Path, method: str = DEFAULT_METHOD) -> list[str]:
    """The level tables the dataset holds of ``method``, in the order of ``LEVELS``."""
    folder = method_folder(base, method)
    return [level for level in LEVELS if (folder / level).is_dir()]


def partitions(level: np.ndarray, stamp: np.ndarray | tuple[np.ndarray, np.ndarray],
               grid: Grid, *, starts: np.ndarray | None = None,
               ) -> Iterator[tuple[tuple[str, str], np.ndarray]]:
    """``((level, "date=YYYY-MM-DD"), positions)`` of each partition rows fall in.

    ``level`` holds level codes (positions in :data:`engframe.schema.LEVELS`); ``stamp`` the
    period ends, or their codes and distinct values. ``date`` is the UTC day of each
    period's start (of ``starts``, when given: fetch windows). Rows keep their order within
    a partition.
    """
    if starts is not None:
        day, found = pd.factorize(starts // _DAY_MS, sort=True)
        day = day.astype(np.int64, copy=False)
    else:
        codes, ends = stamp if isinstance(stamp, tuple) else pd.factorize(stamp)
        # the day of each distinct period end (a few hundred), then of each row
        end_day, found = pd.factorize((np.asarray(ends) - grid.period_ms) // _DAY_MS,
                                      sort=True)
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
                    last_day: str | None = None, method: str = DEFAULT_METHOD) -> list[Path]:
    """The partition files of a method's table whose day lies in ``[first_day, last_day]``.

    A ``date=`` folder without its file (a first write killed) holds no partition.

    Raises
    ------
    DatasetError
        If a ``date=`` entry is not a folder, or its partition is not a regular file (a
        folder, a FIFO, a device link): never a partition skipped in silence.
    """
    folder = method_folder(base, method) / level
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.name.startswith("date="):
            continue
        if not entry.is_dir():
            raise DatasetError(f"{entry.path}: is not a folder, where the history keeps a "
                               f"partition's folder ({PART_NAME} inside); move it away")
        day = entry.name.split("=", 1)[1]
        if (first_day is None or day >= first_day) and (last_day is None or day <= last_day):
            path = Path(entry.path) / PART_NAME
            try:
                mode = path.stat().st_mode  # a link is followed: to a device, refused
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(mode):
                raise not_regular(path, mode)
            found.append(path)
    return found


def read_partition(path: Path, level: str, verify: Verifier) -> Facts:
    """The facts of one partition file, verified whole (see :mod:`engframe.history._sums`).

    Raises
    ------
    DatasetError
        If the file is damaged, not a regular file, or not a partition of this table.
    """
    return Facts.from_table(read_files([path], level, verify), level)


def read_files(files: Sequence[Path], level: str, verify: Verifier, *,
               condition: Any = None, columns: list[str] | None = None) -> pa.Table:
    """The rows of partition ``files`` of one table meeting ``condition``, verified whole.

    Each file's bytes are read once, their checksum verified, then parsed (page checksums
    verified) and its footer's schema checked; files are read side by side.

    Raises
    ------
    DatasetError
        Naming the first damaged file.
    """
    def one(path: Path) -> pa.Table:
        data = verify.read(path)
        try:
            schema = pq.read_schema(pa.BufferReader(data))
            verify.check_schema(schema, level, path)
            return pq.read_table(pa.BufferReader(data), columns=columns, filters=condition,
                                 page_checksum_verification=True)
        except DatasetError:
            raise
        except PARSE_ERRORS as exc:
            problem = str(exc)[:300]
        raise DatasetError(
            f"{path}: a damaged partition ({problem}); nothing was written. Restore the file "
            "from a backup, or move it away and export the fetches again (the API keeps 24 "
            "hours)")

    if len(files) == 1:
        return one(files[0])
    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        return pa.concat_tables(list(pool.map(one, files)))


def stage_partition(facts: Facts, path: Path, *, level: str, grid: Grid,
                    compression: str) -> Staged:
    """Write one partition beside its place (durably), with page checksums, and hash it.

    :func:`engframe.history._sums.publish` renames it into place.
    """
    table = facts.to_table(level, grid)
    if path.parent.exists():
        sweep(path.parent, PART_NAME)
    return stage(path, lambda tmp: pq.write_table(
        table, tmp, compression=compression, write_page_checksum=True, **WRITE_OPTIONS))
