"""The HTTP cache's file: a damaged one is set aside and started anew, never a raw error.

requests-cache keeps answers in a sqlite file. A file cut short (a full disk, a copy that
stopped) or overwritten is found when the session is made (sqlite's ``PRAGMA quick_check``)
and renamed beside itself, ``http_cache.sqlite.damaged-<UTC time>``, with a warning: the
cache holds nothing that cannot be fetched again. Damage met later, while answers are read
or stored, is a :class:`~engframe.errors.SourceError` naming the file.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "http_cache.sqlite"
>>> set_aside_if_damaged(path)  # no file yet: nothing to check
"""

from __future__ import annotations

import sqlite3
import time
import warnings
from contextlib import closing
from pathlib import Path
from typing import Any, Final

from engframe.errors import ConfigError, EngframeWarning, SourceError

__all__ = ["DAMAGED_SUFFIX", "damaged_cache", "set_aside_if_damaged"]

#: What a damaged cache file is renamed to, after its name (then the UTC time).
DAMAGED_SUFFIX: Final = ".damaged-"
#: sqlite's names of the errors that mean the file itself is damaged.
_DAMAGE: Final = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
#: Files sqlite keeps beside a database while it is written.
_BESIDE: Final = ("-journal", "-wal", "-shm")


def _damage(path: Path) -> str | None:
    """What is wrong with the sqlite file at ``path``, or None when it reads whole."""
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as db:
            found = db.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", None) in _DAMAGE:
            return str(error)
        return None  # locked or unreadable: not damage; requests-cache will say
    if found is None or found[0] != "ok":
        return str(found[0]) if found else "no answer to an integrity check"
    return None


def set_aside_if_damaged(path: Path) -> None:
    """Rename a damaged cache file at ``path`` aside (with a warning), so a new one starts.

    Raises
    ------
    ConfigError
        If ``path`` exists but is not a regular file.

    Warns
    -----
    EngframeWarning
        Naming the file, what is wrong and where it went.
    """
    if not path.exists():
        return
    if not path.is_file():
        raise ConfigError(f"cache={str(path)!r} is invalid: it is not a regular file; give a "
                          "folder or a file path for the HTTP cache", option="cache")
    problem = _damage(path)
    if problem is None:
        return
    aside = path.with_name(path.name + DAMAGED_SUFFIX + time.strftime("%Y%m%dT%H%M%SZ",
                                                                      time.gmtime()))
    path.replace(aside)
    for suffix in _BESIDE:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    warnings.warn(f"{path}: the HTTP cache is damaged ({problem}); it was set aside as "
                  f"{aside.name} and a new one started", EngframeWarning, stacklevel=4)


def damaged_cache(session: Any, error: sqlite3.DatabaseError) -> SourceError:
    """The error for a cache file found unusable while answers are read or stored."""
    path = getattr(getattr(session, "cache", None), "db_path", None)
    where = str(path) if path else "the HTTP cache"
    if getattr(error, "sqlite_errorname", None) in _DAMAGE:
        return SourceError(f"{where}: the HTTP cache is damaged ({error}); delete the file "
                           "(engframe starts a new one) or pass cache=False")
    return SourceError(f"{where}: the HTTP cache cannot be used ({error})")
