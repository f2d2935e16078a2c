"""A lazy handle on a history: which facts to read, decided before anything is read.

:func:`scan` checks the history's root and manifest and records the filters (time span,
accounts, skills, agents) and the engine; nothing else is read until a result is asked for
(``derive``, ``reconcile``, :meth:`Scan.read`), and then only the partitions and rows the
filters keep. The filters mean what filtering the tidy frame would: ``skills=[1, 2]`` keeps
the facts whose ``skill`` is 1 or 2, so levels without a skill id (the agents, the totals)
hold none of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from engframe.errors import OptionError, SourceError
from engframe.history._export import timestamp_ms
from engframe.history._manifest import MANIFEST_NAME, Manifest, Tables, read_manifest
from engframe.history._store import partition_files, tables
from engframe.history._sums import Verifier
from engframe.methods import DEFAULT_METHOD, METHODS, get_method
from engframe.query import IdsLike
from engframe.schema import DIMENSION_COLUMNS, LEVEL_HAS

if TYPE_CHECKING:
    from engframe.lazy._engine import Engine

__all__ = ["HISTORY_COLUMNS", "Scan", "as_scan", "is_history", "scan"]

#: The columns of a history's tidy frame (``engframe.read_dataset``), as ``by`` sees them.
HISTORY_COLUMNS: Final = ("timestamp", "skill", "agent", "metric", "value", "level", "span",
                          "method", "account", "fetched_at", "start", "complete")
_DAY_MS: Final = 86_400_000


@dataclass(frozen=True)
class Scan:
    """The facts of a history that a computation will read, and the engine that reads them.

    Made by :func:`scan`; pass it to :func:`engframe.derive`, :func:`engframe.reconcile`
    and the plots in place of a frame. Times are epoch milliseconds.
    """

    root: Path
    manifest: Manifest | None
    start_ms: int | None = None
    end_ms: int | None = None
    accounts: tuple[str, ...] | None = None
    skills: tuple[int, ...] | None = None
    agents: tuple[int, ...] | None = None
    engine: Any = field(default=None, compare=False)
    #: the method computed on; None: every method the history holds (one after the other)
    method: str | None = None
    #: how agentactivity's states are read (:func:`engframe.derive._states.states_mode`):
    #: None as stored; "whole", "state" or "reason" as ``derive`` reads them
    states: str | None = None
    #: whether each file's checksum is verified before an engine reads it
    verify: bool = True
    #: the files verified, with the size and time of change they had then (shared by the
    #: scans made from this one: a file is hashed again only if it changed)
    verified: dict[Path, tuple[int, int]] = field(default_factory=dict, compare=False,
                                                  repr=False)

    def methods(self) -> list[str]:
        """The methods the scan covers, in the catalogue's order."""
        if self.method is not None:
            return [self.method]
        held = [] if self.manifest is None else list(self.manifest.methods)
        return [m for m in METHODS if m in held] + [m for m in held if m not in METHODS]

    def one(self, method: str) -> Scan:
        """The same scan of one method's tables."""
        return replace(self, method=method)

    @property
    def dimensions(self) -> list[str]:
        """The dimension columns of the method's tables (agentactivity's state and reason,
        sla's bucket; none for the others)."""
        found = METHODS.get(self.current)
        return [] if found is None else [d for d in DIMENSION_COLUMNS if d in found.dimensions]

    @property
    def current(self) -> str:
        """The one method this scan's tables are read of (engactivity unless set)."""
        if self.method is not None:
            return self.method
        found = self.methods()
        return found[0] if len(found) == 1 else DEFAULT_METHOD

    @property
    def tables(self) -> Tables | None:
        """The manifest's entry of the scan's method."""
        return None if self.manifest is None else self.manifest.of(self.current)

    @property
    def windows(self) -> bool:
        """Whether the method is stored per fetch window (no intervals)."""
        return self.tables is not None and self.tables.windows

    @property
    def span(self) -> str:
        """The span of the method's facts: ``"interval"``, ``"timeframe"`` (stored per fetch
        window) or ``"snapshot"`` (queuestate: the moment of each fetch)."""
        found = METHODS.get(self.current)
        if found is not None and found.snapshot:
            return "snapshot"
        return "timeframe" if self.windows else "interval"

    @property
    def values(self) -> str:
        """The dtype of the method's values (int64 for an empty history)."""
        return "int64" if self.tables is None else self.tables.values

    @property
    def period_ms(self) -> int:
        """The length of a period of the history's grid [ms] (5 minutes for an empty one)."""
        return self.tables.grid.period_ms if self.tables is not None else 300_000

    def levels(self) -> list[str]:
        """The level tables the filters can find facts in, in the order of ``LEVELS``."""
        found = tables(self.root, self.current) if self.tables is not None else []
        return [level for level in found
                if not (self.skills is not None and not LEVEL_HAS[level][0])
                and not (self.agents is not None and not LEVEL_HAS[level][1])
                and self._listed(level)]

    def days(self) -> tuple[str | None, str | None]:
        """The first and last partition day (``YYYY-MM-DD``) that can hold the facts asked."""
        first = None if self.start_ms is None else _day(self.start_ms)
        last = None if self.end_ms is None else _day(self.end_ms - 1)
        return first, last

    def files(self, level: str) -> list[Path]:
        """The partition files of ``level`` that can hold the facts asked, each verified
        against the checksum its writer recorded (unless the scan was made with
        ``verify=False``).

        Raises
        ------
        DatasetError
            If a file is not a regular file or is not what was written (named).
        """
        found = self._listed(level)
        if self.verify:
            self._verify(found)
        return found

    def _listed(self, level: str) -> list[Path]:
        first, last = self.days()
        return partition_files(self.root, level, first_day=first, last_day=last,
                               method=self.current)

    def _verify(self, paths: Sequence[Path]) -> None:
        checker = None
        for path in paths:
            try:
                seen = os.stat(path)
            except OSError:
                seen = None
            state = None if seen is None else (seen.st_size, seen.st_mtime_ns)
            if state is not None and self.verified.get(path) == state:
                continue
            checker = checker or Verifier(self.root, self.manifest)
            checker.check(path)  # any damage is a DatasetError naming the file
            if state is not None:
                self.verified[path] = state

    def read(self, *, levels: Sequence[str] | None = None, metrics: Sequence[str] | None = None,
             columns: Sequence[str] | None = None, names: Any = False) -> pd.DataFrame:
        """The facts of the scan as a tidy frame in memory (:func:`engframe.read_dataset`).

        Examples
        --------
        >>> import engframe, tempfile
        >>> engframe.scan(tempfile.mkdtemp()).read(columns=["account"]).columns.tolist()[-2:]
        ['method', 'account']
        """
        from engframe.history import read_dataset

        return read_dataset(
            self.root, start=_stamp(self.start_ms), end=_stamp(self.end_ms),
            account=None if self.accounts is None else list(self.accounts),
            skills=None if self.skills is None else list(self.skills),
            agents=None if self.agents is None else list(self.agents),
            levels=levels, metrics=metrics, columns=columns, names=names, method=self.method)

    def runner(self) -> Engine:
        """The engine this scan computes on (DuckDB in-process unless one was given)."""
        from engframe.lazy._engine import engine_for

        return engine_for(self.engine)

    def __repr__(self) -> str:
        shown = [repr(str(self.root))]
        for name, ms in (("start", self.start_ms), ("end", self.end_ms)):
            if ms is not None:
                shown.append(f"{name}='{_stamp(ms):%Y-%m-%dT%H:%M:%S}Z'")
        for name, ids in (("account", self.accounts), ("skills", self.skills),
                          ("agents", self.agents)):
            if ids is not None:
                shown.append(f"{name}={list(ids)!r}")
        return f"engframe.scan({', '.join(shown)})"


def _day(ms: int) -> str:
    return str(np.datetime64(ms // _DAY_MS, "D"))


def _stamp(ms: int | None) -> pd.Timestamp | None:
    return None if ms is None else pd.Timestamp(ms, unit="ms", tz="UTC")


def _ids(values: IdsLike | Iterable[int] | None, name: str) -> tuple[int, ...] | None:
    if values is None:
        return None
    items = [values] if isinstance(values, int | str) else list(values)
    ids = []
    for item in items:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            raise OptionError(f"scan: {name}= holds {item!r}; expected integer ids") from None
    return tuple(sorted(set(ids)))


def scan(
    root: str | os.PathLike[str],
    *,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    account: str | int | Sequence[str | int] | None = None,
    skills: int | Iterable[int] | None = None,
    agents: int | Iterable[int] | None = None,
    engine: Any = None,
    method: str | None = None,
    verify: bool = True,
) -> Scan:
    """A lazy handle on the history at ``root``: derive and reconcile it out of core.

    Nothing is read but the manifest: ``engframe.derive(scan(...), by=...)`` computes on the
    parquet files where they are (DuckDB in-process by default; or Spark) and returns the
    small result, equal to deriving ``read_dataset(...)`` in memory.

    Parameters
    ----------
    root : str or path-like
        The history's folder (``engframe.export``, ``engframe sync``).
    start, end : str or datetime, optional
        Keep the facts whose period lies within ``[start, end)`` [UTC if naive], as
        :func:`engframe.read_dataset` does.
    account : str, int or sequence of them, optional
        Keep these accounts only.
    skills, agents : int or iterable of int, optional
        Keep the facts of these skills (agents) only: levels without that id hold none.
    engine : optional
        Where to compute: ``None`` or ``"duckdb"`` (an in-process DuckDB), a
        ``duckdb.DuckDBPyConnection``, or a ``pyspark.sql.SparkSession``.
    method : str, optional
        Keep this method's facts only (default: every method the history holds, each
        computed on its own tables; the results say which in their ``method`` column).
    verify : bool, default True
        Verify each file the engine will read against the SHA-256 its writer recorded in
        the manifest (as :func:`engframe.read_dataset` does), once per scan and file until
        the file changes: a damaged file is a :class:`~engframe.errors.DatasetError` naming
        it, not numbers read from it. It reads each file once more (about a second a
        gigabyte); ``False`` skips it for a history you trust.

    Returns
    -------
    Scan

    Raises
    ------
    SourceError
        If ``root`` is not a folder.
    OptionError
        If a time or an id is not usable, or ``engine`` is of an unknown kind.
    DatasetError
        If the history was written by engframe 0.1 or its manifest is damaged; later, when
        a result is computed, if a file is damaged (``verify=True``).

    Examples
    --------
    >>> import engframe, tempfile
    >>> hist = engframe.scan(tempfile.mkdtemp(), start="2026-11-01", end="2026-12-01")
    >>> hist.start_ms, hist.end_ms
    (1793491200000, 1796083200000)
    """
    where = "scan"
    base = Path(root)
    if not base.is_dir():
        raise SourceError(f"{base}: no such folder; engframe.export(df, root) creates a history")
    lower = None if start is None else timestamp_ms(start, "start", where=where)
    upper = None if end is None else timestamp_ms(end, "end", where=where)
    accounts = None if account is None else tuple(
        str(a) for a in ([account] if isinstance(account, str | int) else account))
    chosen = None if method is None else get_method(method, parameter="scan: method").name
    if not isinstance(verify, bool):
        raise OptionError(f"{where}: verify must be True or False, found {verify!r}")
    made = Scan(base, read_manifest(base), lower, upper, accounts, _ids(skills, "skills"),
                _ids(agents, "agents"), engine, chosen, verify=verify)
    if engine is not None:
        made.runner()  # an unknown engine fails here, not at the first result
    return made


def is_history(value: object) -> bool:
    """Whether ``value`` names a history (a :class:`Scan`, or a folder's path) for analytics."""
    return isinstance(value, Scan | str | os.PathLike)


def as_scan(value: object) -> Scan:
    """``value`` as a :class:`Scan` (a path becomes the scan of the whole history).

    Raises
    ------
    SourceError
        If a path is not a history's folder (no manifest): saved responses are read with
        :func:`engframe.load`, and :func:`scan` takes a history not yet written.
    """
    if isinstance(value, Scan):
        return value
    assert isinstance(value, str | os.PathLike)
    found = scan(value)
    if found.manifest is None:
        raise SourceError(
            f"{found.root}: not a history (no {MANIFEST_NAME}); read saved responses with "
            "engframe.load(folder), or pass engframe.scan(folder) for a history not yet "
            "written")
    return found
