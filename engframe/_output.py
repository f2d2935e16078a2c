"""Write one file where the caller asked, or fail with one line naming that path.

The file is written beside its destination and renamed over it
(:func:`engframe._atomic.replace_file`), so a failed write leaves whatever was there. The
error names the caller's path and the reason, never the temporary file the write used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from engframe._atomic import replace_file
from engframe.errors import OutputError

__all__ = ["check_destination", "write_file"]


def check_destination(path: str | os.PathLike[str], *, probe: bool = False) -> Path:
    """Check that ``path`` can be created or replaced: its folder exists, it is no folder.

    Called before long work (a fetch) so a typo in the output path fails at once, not
    after the data was fetched.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    probe : bool, default False
        Also create (and remove) a temporary file in the folder, to learn now whether
        writing there is allowed.

    Raises
    ------
    OutputError
        If the folder is missing, ``path`` is a folder, or (``probe``) the folder refuses
        new files.

    Examples
    --------
    >>> check_destination("nowhere/x.parquet")
    Traceback (most recent call last):
    ...
    engframe.errors.OutputError: cannot write nowhere/x.parquet: the folder nowhere does not exist
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        state = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"cannot write {target}: the folder {folder} {state}")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder")
    if probe:
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {reason(exc)}") from None
    return target


def write_file(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Raises
    ------
    OutputError
        If the folder is missing, or writing or renaming fails (permission, full disk):
        the message names ``path`` and the operating system's reason.
    """
    target = check_destination(path)
    try:
        replace_file(target, write, durable=False)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {reason(exc)}") from None


def reason(exc: OSError) -> str:
    """What went wrong, in the operating system's words, without the file name it tried."""
    if exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__
