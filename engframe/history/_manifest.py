"""What a history dataset records about itself, in ``ROOT/_engframe.json``.

The manifest names the dataset's format version and, for each method it holds (a
:class:`Tables`: engactivity's tables at ``ROOT/<level>/``, as engframe 0.2 wrote them, every
other method's at ``ROOT/<method>/<level>/``), its grid (every fact is one period of it; a
method without intervals, msgcsatdistribution, is stored per fetch window instead), the
dtype of its values, and the scope of the requests it holds (which skills and agents they
asked for: a skill's total means something else when the request named agents). A dataset
of engactivity alone is written in version 2, which engframe 0.2 reads; one holding another
method in version 3, which engframe 0.2 refuses rather than rewrite without the others.
Every writer reads it first and refuses what does not fit, before writing anything. It also
records the SHA-256 of every file engframe wrote into the dataset (``files``), which
engframe's readers verify (:mod:`engframe.history._sums`). Other readers of the parquet
files need not know it: its name starts with ``_``, which pyarrow, Spark and
Hive skip, and it is not a ``.parquet`` file for DuckDB's globs.

engframe 0.1 wrote ``ROOT/account=*/date=*/part-0.parquet`` (whole-timeframe rows and
overlapping intervals beside each other) and no manifest; such a folder is recognised, and
:func:`engframe.history.repair_dataset` converts it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from engframe._atomic import replace_file
from engframe.errors import DatasetError
from engframe.history._grid import Grid
from engframe.methods import DEFAULT_METHOD, METHODS
from engframe.scope import Scope

__all__ = [
    "FORMAT",
    "MANIFEST_NAME",
    "VERSION",
    "VERSIONS",
    "Manifest",
    "Tables",
    "legacy_folders",
    "method_folder",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME: Final = "_engframe.json"
FORMAT: Final = "engframe history"
#: 1 was engframe 0.1's manifest-less layout; 2 has one table per level on one grid
#: (engactivity's); 3 a set of tables per method.
VERSION: Final = 3
#: The versions this engframe reads.
VERSIONS: Final = (2, 3)
_LEGACY_PREFIXES: Final = ("account=", "date=")


def method_folder(base: Path, method: str) -> Path:
    """Where a method's level tables live: the root for engactivity (as engframe 0.2 wrote
    them, so that existing datasets and BI paths keep working), ``ROOT/<method>`` otherwise.

    Examples
    --------
    >>> method_folder(Path("h"), "engactivity").as_posix(), method_folder(Path("h"),
    ...     "msgconversation").as_posix()
    ('h', 'h/msgconversation')
    """
    return base if method == DEFAULT_METHOD else base / method


@dataclass(frozen=True, slots=True)
class Tables:
    """One method's tables in a history: their grid (or windows), values dtype and scope.

    ``windows``: the method has no intervals (msgcsatdistribution), so each fact is one
    fetch window's value, ``start`` to ``timestamp`` (``grid`` is then unused).
    """

    grid: Grid
    values: str
    scope: Scope | None
    windows: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "grid": self.grid.to_json(),
            "values": self.values,
            "scope": None if self.scope is None else self.scope.text(),
        }
        if self.windows:
            data["windows"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tables:
        scope = data.get("scope")
        return cls(grid=Grid.from_json(data["grid"]), values=str(data["values"]),
                   scope=None if scope is None else Scope.of_request(scope),
                   windows=bool(data.get("windows", False)))


@dataclass(frozen=True, slots=True)
class Manifest:
    """A dataset's tables, method by method, and the checksums of the files written.

    ``files`` maps the path of each file engframe wrote (under the root, with ``/``) to the
    checksums it may have (two while a writer publishes it); ``None`` for a manifest written
    before checksums were recorded. ``grid``, ``values`` and ``scope`` are those of the
    first method's tables (engactivity's, when it holds them), for code that knows one.
    """

    methods: Mapping[str, Tables]
    written_by: str = ""
    files: Mapping[str, tuple[str, ...]] | None = None

    @property
    def primary(self) -> Tables:
        """Engactivity's tables, else the first method's."""
        return self.methods.get(DEFAULT_METHOD) or next(iter(self.methods.values()))

    @property
    def grid(self) -> Grid:
        return self.primary.grid

    @property
    def values(self) -> str:
        return self.primary.values

    @property
    def scope(self) -> Scope | None:
        return self.primary.scope

    def of(self, method: str) -> Tables | None:
        """A method's tables, or None if the dataset holds none of it."""
        return self.methods.get(method)

    def with_tables(self, method: str, found: Tables) -> Manifest:
        """The manifest with ``method``'s tables set."""
        return replace(self, methods={**self.methods, method: found})

    def to_json(self) -> dict[str, Any]:
        only_engactivity = set(self.methods) == {DEFAULT_METHOD}
        data: dict[str, Any] = {"format": FORMAT, "version": 2 if only_engactivity else VERSION}
        if only_engactivity:
            data.update(self.methods[DEFAULT_METHOD].to_json())
        else:
            data["methods"] = {name: tables.to_json() for name, tables in self.methods.items()}
        data["written_by"] = self.written_by
        if self.files is not None:
            data["files"] = {path: list(sums) for path, sums in sorted(self.files.items())}
        return data


def legacy_folders(base: Path) -> list[Path]:
    """The top-level partition folders engframe 0.1 wrote (``account=*``, ``date=*``)."""
    if not base.is_dir():
        return []
    return sorted(Path(entry.path) for entry in os.scandir(base)
                  if entry.is_dir() and entry.name.startswith(_LEGACY_PREFIXES))


def read_manifest(base: Path, *, legacy: bool = False) -> Manifest | None:
    """The manifest of the dataset at ``base``; ``None`` for a new (empty) dataset.

    ``legacy=True`` reads it even beside engframe 0.1 folders (for the repair).

    Raises
    ------
    DatasetError
        If ``base`` holds an engframe 0.1 history (with what to do), or a damaged manifest,
        or tables without a manifest.
    """
    old = [] if legacy else legacy_folders(base)
    if old:
        raise DatasetError(
            f"{base}: holds a history written by engframe 0.1 ({len(old)} partition "
            f"folder(s) such as {old[0].name}/), whose whole-timeframe rows and "
            "overlapping intervals make sums wrong; convert it with "
            f"engframe.repair_dataset({str(base)!r}) or `engframe repair {base}` "
            "(the old files are kept aside)")
    path = base / MANIFEST_NAME
    if not path.is_file():
        from engframe.schema import LEVELS  # a folder per level: the tables

        tables = [name for name in (*LEVELS, *METHODS) if (base / name).is_dir()]
        if tables and not legacy:
            raise DatasetError(f"{base}: has history tables ({', '.join(tables)}) but no "
                               f"{MANIFEST_NAME}; restore it from a backup")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        if data.get("version") not in VERSIONS:
            raise ValueError(f"version {data.get('version')!r}, this engframe reads "
                             f"{' and '.join(map(str, VERSIONS))}")
        if data["version"] == 2:
            methods = {DEFAULT_METHOD: Tables.from_json(data)}
        else:
            found = data["methods"]
            if not isinstance(found, dict) or not found:
                raise ValueError("'methods' is not an object of methods' tables")
            methods = {str(name): Tables.from_json(tables) for name, tables in found.items()}
        return Manifest(
            methods=methods,
            written_by=str(data.get("written_by", "")),
            files=_files(data.get("files")),
        )
    except RecursionError:  # JSON nested thousands of levels deep
        problem = "JSON nested too deeply"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = str(exc)[:200]
    raise DatasetError(f"{path}: not a manifest this engframe can read ({problem})")


def _files(value: Any) -> dict[str, tuple[str, ...]] | None:
    """The ``files`` member: paths to lists of checksums (``None`` when absent)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            isinstance(path, str) and isinstance(sums, list) and sums
            and all(isinstance(one, str) for one in sums) for path, sums in value.items()):
        raise ValueError("'files' is not an object of paths to lists of checksums")
    return {path: tuple(sums) for path, sums in value.items()}


def write_manifest(base: Path, manifest: Manifest) -> None:
    """Write the manifest atomically (readers see the old one or the new one)."""
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    replace_file(base / MANIFEST_NAME, write, durable=True)
