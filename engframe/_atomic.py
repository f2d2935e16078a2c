"""Replace a file atomically: write beside it, then rename over it.

Readers see the old file or the new one, never half of one; a writer killed on the way
leaves at most a hidden temporary file (``.NAME.<pid>-<random>.tmp``) that readers skip
(pyarrow.dataset and Spark ignore names starting with ``.``, DuckDB's ``*.parquet`` globs
do not match them) and that :func:`sweep` removes later.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

__all__ = ["fsync_folder", "replace_file", "swap_in", "sweep", "write_beside"]

_SUFFIX: Final = ".tmp"


def replace_file(path: Path, write: Callable[[Path], None], *, durable: bool) -> None:
    """Call ``write(tmp)`` for a temporary path beside ``path``, then rename it to ``path``.

    With ``durable``, the new file and its folder are flushed to disk (fsync) before and
    after the rename, so the swap also survives a power loss.
    """
    swap_in(write_beside(path, write, durable=durable), path, durable=durable)


def write_beside(path: Path, write: Callable[[Path], None], *, durable: bool) -> Path:
    """Call ``write(tmp)`` for a temporary path beside ``path``; return ``tmp``.

    The first half of :func:`replace_file`, for writers that record something (a
    checksum) between writing a file and renaming it into place with :func:`swap_in`.
    A failed write leaves no temporary file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}")
    try:
        write(tmp)
        if durable:
            _fsync(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def swap_in(tmp: Path, path: Path, *, durable: bool) -> None:
    """Rename ``tmp`` (from :func:`write_beside`) over ``path``; flush the folder if durable."""
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


def sweep(folder: Path, name: str) -> None:
    """Remove temporary files a killed writer of ``folder/name`` left behind.

    Only call this while holding the lock that keeps other writers of ``name`` out.
    """
    for leftover in folder.glob(f".{name}.*{_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its renames are durable already
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
