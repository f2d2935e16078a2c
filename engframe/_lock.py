"""An exclusive lock on a file, so that one writer at a time updates a dataset.

The operating system holds the lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows)
and drops it when its holder exits, even when it is killed: a crashed exporter never
leaves a dataset locked.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from engframe.errors import DatasetError

__all__ = ["POLL_SECONDS", "locked"]

#: How often a waiting writer tries the lock again [s].
POLL_SECONDS: Final = 0.05


@contextmanager
def locked(path: Path, *, timeout: float | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    Raises
    ------
    DatasetError
        If another process still holds the lock after ``timeout`` seconds
        (``None``: wait as long as it takes).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not _try_lock(fd):
            if deadline is not None and time.monotonic() >= deadline:
                raise DatasetError(f"{path}: another exporter has held this lock for more "
                                   f"than {timeout} s")
            time.sleep(POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
