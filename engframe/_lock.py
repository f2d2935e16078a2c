"""An exclusive lock on a file, so that one writer at a time updates a dataset.

The operating system holds the lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows)
and drops it when its holder exits, even when it is killed: a crashed exporter never
leaves a dataset locked.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from engframe.errors import DatasetError, OptionError

__all__ = ["POLL_SECONDS", "check_timeout", "locked"]

#: How often a waiting writer tries the lock again [s].
POLL_SECONDS: Final = 0.05


def check_timeout(timeout: Any, *, where: str) -> float | None:
    """``timeout`` [s] if it is a number >= 0 or None; infinity means None (wait forever).

    Raises
    ------
    OptionError
        If it is NaN (a wait that never ends, since no time is ever past it), negative, or
        not a number.
    """
    if timeout is None:
        return None
    if (not isinstance(timeout, int | float) or isinstance(timeout, bool)
            or math.isnan(timeout) or timeout < 0):
        raise OptionError(f"{where}: lock_timeout must be seconds >= 0, or None to wait as "
                          f"long as it takes, found {timeout!r}")
    return None if math.isinf(timeout) else float(timeout)


@contextmanager
def locked(path: Path, *, timeout: float | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    Raises
    ------
    DatasetError
        If another process still holds the lock after ``timeout`` seconds
        (``None``: wait as long as it takes), or the lock file cannot be opened (it is a
        folder, or not writable).
    """
    timeout = check_timeout(timeout, where=f"{path.parent}")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        problem = ("it is a folder: remove it" if os.path.isdir(path)
                   else exc.strerror or str(exc))
        fd = -1
    if fd < 0:
        raise DatasetError(f"{path}: the dataset's lock file cannot be opened ({problem})")
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
