"""Every file of a history verified whole: a checksum recorded at write, its schema checked.

Parquet's page checksums cover the data pages only, not the footer (column names, types,
row groups) nor the Arrow schema kept in its key-value metadata: a bit flipped there reads
as data (a column renamed, a blank metric) or fails deep inside pyarrow. So each file a
history writes has its SHA-256 recorded in the manifest (``files``: the path under the
root, and the checksums it may have), and each read

- reads the file's bytes once, refusing what is not a regular file (a folder, a FIFO, a
  device where a partition should be);
- compares their checksum with the recorded ones (a file written by an engframe that did
  not record checksums is accepted unrecorded);
- parses those very bytes, and checks the footer's schema against the one the manifest
  implies (the level's columns and types, the dataset's value dtype).

Any mismatch is a :class:`~engframe.errors.DatasetError` naming the file.

Files are published in four steps (:func:`publish`), so that a writer killed anywhere
leaves every file matching a checksum the manifest lists:

1. each new file is written beside its place (a hidden temporary file) and hashed
   (:func:`stage`);
2. the manifest is written listing, for each, its old and its new checksum;
3. the files are renamed into place;
4. the manifest is written with the new checksums only.

Readers take no lock: one that meets a file newer than the manifest it read reads the
manifest again before calling the file damaged.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import pyarrow as pa

from engframe._atomic import fsync_folder, swap_in, write_beside
from engframe.errors import DatasetError
from engframe.history._facts import Facts
from engframe.history._grid import Grid
from engframe.history._manifest import Manifest, read_manifest, write_manifest
from engframe.methods import DEFAULT_METHOD, METHODS
from engframe.schema import DIMENSION_COLUMNS, LEVEL_HAS

__all__ = ["Staged", "Verifier", "digest", "digest_regular", "not_regular", "publish",
           "read_regular", "stage"]

_ALGORITHM: Final = "sha256"
#: Bytes hashed at a time where a file is checked without being kept.
_HASH_BLOCK: Final = 1 << 20
_KINDS: Final = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                 (stat.S_ISSOCK, "a socket"))


def digest(data: bytes | memoryview) -> str:
    """The recorded form of a file's checksum: ``"sha256:<hex>"``.

    Examples
    --------
    >>> digest(b"")[:15]
    'sha256:e3b0c442'
    """
    return f"{_ALGORITHM}:{hashlib.sha256(data).hexdigest()}"


def not_regular(path: Path, mode: int) -> DatasetError:
    """The error for what is not a regular file where the history keeps one."""
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return DatasetError(f"{path}: is {kind}, where the history keeps a parquet file; move it "
                        "away (and restore the file from a backup)")


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at ``path``; a DatasetError for anything else.

    Opened without blocking (a FIFO must not wait for a writer) and checked once open, so
    that what is read is what was checked.
    """
    with _open_regular(path) as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def digest_regular(path: Path) -> str:
    """The checksum of the regular file at ``path`` (:func:`digest`'s form), read a block at
    a time (a DatasetError for anything but a regular file)."""
    found = hashlib.new(_ALGORITHM)
    with _open_regular(path) as handle:
        try:
            while block := handle.read(_HASH_BLOCK):
                found.update(block)
        except OSError as exc:
            raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return f"{_ALGORITHM}:{found.hexdigest()}"


def _open_regular(path: Path) -> BinaryIO:
    """``path`` open for reading if it is a regular file (checked once open)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:  # where folders cannot be opened
        fd = -1
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    mode = stat.S_IFDIR if fd < 0 else os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        if fd >= 0:
            os.close(fd)
        raise not_regular(path, mode)
    return os.fdopen(fd, "rb")


@cache
def expected_schema(level: str, values: str, dims: tuple[str, ...] = ()) -> pa.Schema:
    """The columns and types a partition of ``level`` has, for a dataset of ``values`` (and
    a method with the dimension columns ``dims``)."""
    empty = np.zeros(0, np.int64)
    has_skill, has_agent = LEVEL_HAS[level]
    facts = Facts(stamp=empty, account=empty, accounts=[], skill=empty if has_skill else None,
                  agent=empty if has_agent else None, metric=empty, metrics=[],
                  value=np.zeros(0, np.dtype(values)), start=empty, fetched=empty,
                  complete=np.zeros(0, bool), dim=empty if dims else None, dim_names=dims)
    return facts.to_table(level, Grid.of(5, 0)).schema.remove_metadata()


class Verifier:
    """Reads the files of one history, verified against its manifest (see the module).

    Parameters
    ----------
    base : pathlib.Path
        The history's root.
    manifest : Manifest or None
        The manifest read at the start (``None``: a history without one yet).
    """

    def __init__(self, base: Path, manifest: Manifest | None) -> None:
        self.base = base
        self._manifest = manifest
        self._lock = threading.Lock()
        self._fresh = False  # whether the manifest was read again since

    @classmethod
    def of(cls, base: Path) -> Verifier:
        """A verifier for the history at ``base``, its manifest read now."""
        return cls(base, read_manifest(base, legacy=True) if base.is_dir() else None)

    def _accepted(self, rel: str) -> tuple[str, ...] | None:
        files = None if self._manifest is None else self._manifest.files
        return None if files is None else files.get(rel)

    def read(self, path: Path, *, what: str = "partition") -> bytes:
        """The bytes of ``path``, their checksum verified when one is recorded.

        ``what`` names the file in messages (``"partition"``, ``"name table"``).

        Raises
        ------
        DatasetError
            If ``path`` is not a regular file, or its checksum is not one recorded for it.
        """
        data = read_regular(path)
        self._verify(path, lambda: digest(data), what)
        return data

    def check(self, path: Path, *, what: str = "partition") -> None:
        """Verify ``path``'s checksum, read a block at a time and not kept (for an engine
        that reads the file itself).

        Raises
        ------
        DatasetError
            As :meth:`read` does.
        """
        self._verify(path, lambda: digest_regular(path), what)

    def _verify(self, path: Path, digested: Callable[[], str], what: str) -> None:
        rel = path.relative_to(self.base).as_posix()
        accepted = self._accepted(rel)
        if accepted is None and not self._recorded():
            return  # a history from before checksums: its schema is still checked
        found = digested()
        if accepted is not None and found in accepted:
            return
        with self._lock:  # a writer may have published since this manifest was read
            if not self._fresh:
                self._manifest = read_manifest(self.base, legacy=True)
                self._fresh = True
        accepted = self._accepted(rel)
        if accepted is None or found in accepted:
            return  # not recorded (written before checksums were), or now published
        raise DatasetError(
            f"{path}: a damaged {what}: its checksum is not the one recorded when it was written "
            "(bit rot, a partial copy, or another program changed it); nothing was written. "
            "Restore it from a backup, or move it away and export the fetches again (the "
            "API keeps 24 hours)")

    def _recorded(self) -> bool:
        return self._manifest is not None and self._manifest.files is not None

    def _values(self, path: Path) -> str | None:
        """The values dtype of the method whose table ``path`` belongs to."""
        if self._manifest is None:
            return None
        first = path.relative_to(self.base).parts[0]
        tables = self._manifest.of(first) if first in METHODS else None
        if tables is None:
            tables = self._manifest.of(DEFAULT_METHOD) or self._manifest.primary
        return tables.values

    def check_schema(self, schema: pa.Schema, level: str, path: Path) -> None:
        """Refuse a partition whose footer's schema is not what its level's table has.

        Raises
        ------
        DatasetError
            Naming the file and the first column that differs.
        """
        values = self._values(path)
        if values not in ("int64", "float64"):
            return
        first = path.relative_to(self.base).parts[0]
        method = METHODS.get(first)
        dims = () if method is None else tuple(d for d in DIMENSION_COLUMNS
                                               if d in method.dimensions)
        expected = expected_schema(level, values, dims)
        found = schema.remove_metadata()
        if found.equals(expected):
            return
        names = found.names
        wrong = next((f"no column {field.name!r} of type {field.type}" if field.name not in
                      names else f"column {field.name!r} is {found.field(field.name).type}, "
                      f"not {field.type}" for field in expected
                      if field.name not in names or not found.field(field.name).type.equals(
                          field.type)), f"columns {names}, not {expected.names}")
        raise DatasetError(
            f"{path}: a damaged partition: its schema is not the dataset's ({wrong}); nothing "
            "was written. Restore it from a backup, or move it away and export the fetches "
            "again (the API keeps 24 hours)")


@dataclass(frozen=True, slots=True)
class Staged:
    """A file written beside its place and hashed, waiting to be renamed into place."""

    path: Path
    tmp: Path
    digest: str
    new_folder: bool


def stage(path: Path, write: Callable[[Path], None]) -> Staged:
    """Write a file beside ``path`` (durably) and hash it; :func:`publish` puts it in place."""
    new_folder = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_beside(path, write, durable=True)
    try:
        found = digest(tmp.read_bytes())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Staged(path, tmp, found, new_folder)


def publish(base: Path, manifest: Manifest, staged: Sequence[Staged]) -> Manifest:
    """Rename staged files into place, their checksums recorded first (see the module).

    Returns the manifest as written last. A failure leaves no temporary file behind.
    """
    if not staged:
        return manifest
    recorded: dict[str, tuple[str, ...]] = dict(manifest.files or {})
    moving = {piece.path.relative_to(base).as_posix(): piece.digest for piece in staged}
    pending: Mapping[str, tuple[str, ...]] = {
        rel: tuple(dict.fromkeys((*recorded.get(rel, ()), new))) for rel, new in moving.items()}
    try:
        write_manifest(base, replace(manifest, files={**recorded, **pending}))
        for piece in staged:
            swap_in(piece.tmp, piece.path, durable=True)
            if piece.new_folder:
                fsync_folder(piece.path.parent.parent)
    finally:
        for piece in staged:
            piece.tmp.unlink(missing_ok=True)
    done = replace(manifest, files={**recorded, **{rel: (new,) for rel, new in moving.items()}})
    write_manifest(base, done)
    return done
