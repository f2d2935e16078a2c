"""Names saved beside saved responses: ``<folder>/names/names_<account>_<read_at>.json``.

(``..._partial.json`` when a table could not be read.) The ``names/`` subfolder keeps
them apart from the engactivity responses, so
``engframe.load(folder)`` never reads one as a response (recursive loads skip it).
Each file holds one :class:`~engframe.names.Names`: the three tables as arrays of
objects with the tidy column names as members, plus ``account``, ``read_at`` (ISO UTC),
``source`` and ``failed``. The newest complete file (by ``read_at`` in its name), else
the newest partial one, is the one read when a folder is given.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Final

import msgspec
import pandas as pd

from engframe._files import NAMES_FOLDER
from engframe._output import write_file
from engframe.errors import ResponseError, SourceError, describe
from engframe.names._names import KINDS, Names
from engframe.names._parse import parse_rows, saved_fields
from engframe.names._tables import TABLES

__all__ = ["FILE_VERSION", "NAMES_FOLDER", "find_names", "read_names", "save_names"]

#: The layout version written in every file (member ``engframe_names``).
FILE_VERSION: Final = 1
_FILE: Final = re.compile(
    r"names_(?P<account>[0-9A-Za-z-]*)_(?P<stamp>[0-9]{8}T[0-9]{9}Z)(?P<partial>_partial)?\.json"
)
#: Marks the file of names some table of which could not be read.
PARTIAL_SUFFIX: Final = "_partial"
_STAMP: Final = "%Y%m%dT%H%M%S"


def _stamp(moment: pd.Timestamp) -> str:
    return moment.strftime(_STAMP) + f"{moment.microsecond // 1000:03d}Z"


def _iso(moment: pd.Timestamp | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _records(df: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    # NA becomes null; Int64 values become Python ints, exact.
    values = {name: df[name].astype(object).where(df[name].notna(), None).tolist()
              for name in columns}
    return [dict(zip(columns, row, strict=True)) for row in zip(*values.values(), strict=True)]


def save_names(names: Names, folder: str | os.PathLike[str]) -> Path:
    """Write ``names`` into ``folder/names/`` (see :meth:`Names.save`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_names(Names(read_at="2026-11-27T13:29:04Z"), folder).parent.name
    'names'
    """
    if not isinstance(folder, str | os.PathLike):
        raise SourceError(f"Names.save: folder={folder!r} is not a path")
    target_dir = Path(folder) / NAMES_FOLDER
    moment = names.read_at if names.read_at is not None else pd.Timestamp.now(tz="UTC")
    account = re.sub(r"[^0-9A-Za-z-]", "", names.account or "")
    partial = PARTIAL_SUFFIX if names.failed else ""
    target = target_dir / f"names_{account}_{_stamp(moment)}{partial}.json"
    document: dict[str, Any] = {
        "engframe_names": FILE_VERSION,
        "account": names.account,
        "read_at": _iso(names.read_at),
        "source": names.source,
        "failed": dict(names.failed),
    }
    for kind in KINDS:
        document[kind] = _records(getattr(names, kind), TABLES[kind].columns)
    content = json.dumps(document, indent=1, ensure_ascii=False).encode()
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(f"{target_dir}: cannot be created ({exc.strerror or exc})") from None

    def write(temporary: Path) -> None:
        temporary.write_bytes(content)

    write_file(target, write)  # a full disk: an OutputError naming the file
    return target


def find_names(folder: str | os.PathLike[str]) -> Path | None:
    """The newest names file in ``folder/names/`` (or in ``folder`` itself), if any.

    Complete names come first: a file saved when a table could not be read
    (``..._partial.json``) is taken only when no complete one is there, so one failed
    read during a long series of fetches does not hide the names saved before it.

    Parameters
    ----------
    folder : path-like
        The folder of saved responses; or a saved response: the names saved beside it.

    Returns
    -------
    pathlib.Path or None
        The file, or ``None`` when no names are saved there.

    Examples
    --------
    >>> find_names("data/samples") is None
    True
    >>> find_names("data/samples/skill_2.json") is None   # beside a response
    True
    """
    base = Path(folder)
    if base.is_file():
        base = base.parent
    for place in (base / NAMES_FOLDER, base):
        found = [(match["partial"] is None, match["stamp"], path)
                 for path in place.glob("names_*.json")
                 if (match := _FILE.fullmatch(path.name)) and path.is_file()]
        if found:
            return max(found)[2]
    return None


def _member(document: dict[str, Any], key: str, kinds: tuple[type, ...], expected: str,
            source: str) -> Any:
    value = document.get(key)
    if value is not None and not isinstance(value, kinds):
        raise ResponseError(key, expected, describe(value), source=source)
    return value


def read_names(path: str | os.PathLike[str]) -> Names:
    """Read names saved by :meth:`Names.save` (or by ``save_raw=`` of a live fetch).

    Parameters
    ----------
    path : path-like
        A names file; or a folder: the newest file in its ``names/`` subfolder (or in
        the folder itself) is read.

    Returns
    -------
    Names
        With ``source`` the file read.

    Raises
    ------
    SourceError
        If the path does not exist, holds no saved names, or cannot be read.
    ResponseError
        If the file is not saved names; the message names the file and the JSON path.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from engframe.names import Names, read_names
    >>> names = Names(skills=pd.DataFrame({"skill": [7], "skill_name": ["Billing"]}))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = names.save(folder)
    ...     read_names(folder).skills["skill_name"].tolist()
    ['Billing']
    """
    if not isinstance(path, str | os.PathLike):
        raise SourceError(f"read_names: path={path!r} is not a path")
    file = Path(path)
    if file.is_dir():
        newest = find_names(file)
        if newest is None:
            history = (file / NAMES_FOLDER / "agents").is_dir() or (
                file / NAMES_FOLDER / "skills").is_dir()
            hint = ("; it holds a history's name tables: "
                    "engframe.history.read_history_names(root) reads them") if history else ""
            raise SourceError(f"{file}: holds no saved names (files "
                              f"{NAMES_FOLDER}/names_<account>_<time>.json){hint}")
        file = newest
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{file}: no such file or folder") from None
    except OSError as exc:
        raise SourceError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    source = str(file)
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ResponseError("", "a JSON document of saved names", str(exc),
                            source=source) from None
    if not isinstance(document, dict) or "engframe_names" not in document:
        raise ResponseError("", "saved names: an object with a member 'engframe_names'",
                            describe(document), source=source)
    tables = {}
    for kind in KINDS:
        table = TABLES[kind]
        try:
            columns = parse_rows(document.get(kind, []), saved_fields(table),
                                 what=kind.removesuffix("s").replace("_", " "), source=source)
        except ResponseError as exc:
            raise ResponseError(f"{kind}{exc.path}", exc.expected, exc.found,
                                source=source) from None
        tables[kind] = pd.DataFrame({name: pd.array(values, dtype=table.dtypes[name])
                                     for name, values in columns.items()})
    failed = _member(document, "failed", (dict,), "an object of reasons", source) or {}
    read_at = _member(document, "read_at", (str,), "an ISO time", source)
    try:
        moment = None if read_at is None else pd.Timestamp(read_at)
    except ValueError:
        raise ResponseError("read_at", "an ISO time", describe(read_at), source=source) from None
    return Names(
        **tables,
        read_at=moment,
        account=_member(document, "account", (str,), "an account id", source),
        source=source,
        failed={str(k): str(v) for k, v in failed.items()},
    )
