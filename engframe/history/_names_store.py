"""Where a history's name tables live, and how they are read, upserted and written.

Layout (a folder per table, so that a BI tool points at one)::

    ROOT/names/skills/part-0.parquet
    ROOT/names/agents/part-0.parquet
    ROOT/names/agent_groups/part-0.parquet

The columns and the upsert rule are :mod:`engframe.history._names`'. Like partitions, a
table is written under the dataset's lock, beside its old file, and swapped in with an
atomic rename; its pages carry checksums, verified on every read, and every stored table
is read and verified before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engframe import _meta
from engframe._atomic import sweep
from engframe._files import NAMES_FOLDER
from engframe.errors import DatasetError, OptionError, SourceError
from engframe.history._names import (
    FRAME_COLUMNS,
    NAME_TABLES,
    NameTable,
    finish,
    from_arrow,
    merge,
    names_of,
    rows_of_frame,
    rows_of_names,
    to_arrow,
)
from engframe.history._store import PART_NAME
from engframe.history._sums import Staged, Verifier, stage
from engframe.names import Names, NamesOption
from engframe.names._names import KINDS
from engframe.names._option import check_names_option, names_from
from engframe.parquet import WRITE_OPTIONS

__all__ = [
    "NAMES_FOLDER",
    "NamesOption",
    "NamesToStore",
    "name_path",
    "plan_names",
    "read_history_names",
    "read_name_tables",
    "stage_names",
    "to_store",
]

#: What :func:`to_store` gives: the rows of each table, and the columns they know
#: (``None``: all; names taken from a frame know only some).
NamesToStore = tuple[dict[str, pd.DataFrame], Mapping[str, tuple[str, ...]] | None]
#: Tells a name table from a partition in the file's metadata.
_LAYOUT: Final = "names"


def name_path(base: Path, kind: str) -> Path:
    """The file of one name table (``kind``: skills, agents or agent_groups)."""
    return base / NAMES_FOLDER / kind / PART_NAME


def _read(path: Path, spec: NameTable, verify: Verifier) -> pd.DataFrame:
    """A stored name table, verified whole (its recorded checksum) and its key checked."""
    data = verify.read(path, what="name table")
    try:
        table = pq.read_table(pa.BufferReader(data), page_checksum_verification=True)
        lacking = [c for c in ("account", spec.key, spec.label, "read_at")
                   if c not in table.column_names]
        if lacking:
            raise ValueError(f"no column {lacking[0]!r}")
        frame = from_arrow(table, spec)
    except (pa.ArrowException, OSError, ValueError, TypeError, OverflowError,
            IndexError) as exc:
        raise DatasetError(
            f"{path}: a damaged name table ({exc}); nothing was written. Move it away and "
            "export names again (engframe.export(df, root, names=...) or "
            "engframe.sync(..., names=True) write it anew)") from None
    key = frame[["account", spec.key]]
    if frame[spec.key].isna().any() or key.duplicated().any():
        raise DatasetError(f"{path}: a damaged name table (an id missing or repeated); "
                           "nothing was written. Move it away and export names again")
    return frame


def read_name_tables(base: Path,
                     verify: Verifier | None = None) -> dict[str, pd.DataFrame | None]:
    """Every name table of the history at ``base`` (``None`` where it has none).

    ``verify`` checks each file against the manifest (one is made when not given).

    Raises
    ------
    DatasetError
        If a table is damaged, or not a regular file; the message names the file.
    """
    checker = Verifier.of(base) if verify is None else verify
    return {kind: _read(path, NAME_TABLES[kind], checker)
            if os.path.lexists(path := name_path(base, kind)) else None for kind in KINDS}


def to_store(option: Any, frame: pd.DataFrame, *, accounts: list[str],
             account: str | None, where: str = "export") -> NamesToStore:
    """The name rows ``export(..., names=option)`` stores, checked before anything is written.

    ``accounts`` are those of the frame's interval rows; ``account`` the one rows without
    one are given. ``True`` takes the names the frame was loaded with (see
    :func:`engframe.history._names.rows_of_frame`); a :class:`Names` or a path of saved
    names is stored whole, for its account.

    Raises
    ------
    OptionError
        If ``option`` is of the wrong kind, the frame was not loaded with names
        (``True``), or the names belong to another account than the frame's rows.
    SourceError, ResponseError
        If a path given is missing or not saved names.
    """
    check_names_option(option, where=where)
    if option is None or option is False:
        return {}, None
    if option is True:
        return rows_of_frame(frame, account=account, where=where), FRAME_COLUMNS
    names = names_from(option, beside=None, where=where)
    assert names is not None
    owner = _owner(names, accounts, where=where)
    return rows_of_names(names, account=owner, read_at=pd.Timestamp.now(tz="UTC")), None


def _owner(names: Names, accounts: list[str], *, where: str) -> str:
    """The account the names are stored for: theirs, which must be the frame's."""
    if not accounts:
        raise OptionError(f"{where}: the frame's rows name no account, so its names would "
                          "join no fact: pass account=")
    if names.account is None:
        if len(accounts) > 1:
            raise OptionError(
                f"{where}: the frame holds {len(accounts)} accounts ({', '.join(accounts)}) "
                "and the names say of which they are not: give Names(account=...) for each "
                "and export each account's rows with its names")
        return accounts[0]
    if names.account not in accounts:
        raise OptionError(
            f"{where}: the names are of account {names.account}, the frame's rows of "
            f"{', '.join(accounts)}; nothing was written")
    return names.account


def plan_names(base: Path, store: NamesToStore,
               verify: Verifier | None = None) -> dict[str, pd.DataFrame]:
    """The name tables to write (under the dataset's lock): only those that change.

    Every stored table is read and verified first.
    """
    rows, known = store
    if not rows:
        return {}
    stored = read_name_tables(base, verify)
    merged = {
        kind: merge(stored[kind], rows[kind], NAME_TABLES[kind],
                    known=None if known is None else known[kind])
        if kind in rows else stored[kind]
        for kind in KINDS
    }
    tables = finish({kind: table for kind, table in merged.items() if table is not None})
    changed = {}
    for kind, table in tables.items():
        before = stored[kind]
        if before is None:
            if kind in rows:  # even empty: the table was read, and has nothing
                changed[kind] = table
        elif not table.equals(before):
            changed[kind] = table
    return changed


def stage_names(base: Path, tables: Mapping[str, pd.DataFrame], *,
                compression: str) -> tuple[list[str], list[Staged]]:
    """Write name tables beside their place (durably), with page checksums, and hash them.

    Returns the tables' paths and the staged files, which
    :func:`engframe.history._sums.publish` renames into place.

    Raises
    ------
    DatasetError
        If a file cannot be written (a full disk): the message names it.
    """
    written: list[str] = []
    staged: list[Staged] = []
    for kind, frame in tables.items():
        spec = NAME_TABLES[kind]
        table = to_arrow(frame, spec, {_meta.VERSION_KEY: _meta.version(),
                                       _meta.LAYOUT_KEY: _LAYOUT, "engframe.names": kind})
        path = name_path(base, kind)
        if path.parent.exists():
            sweep(path.parent, PART_NAME)

        def write(tmp: Path, table: pa.Table = table) -> None:
            pq.write_table(table, tmp, compression=compression, write_page_checksum=True,
                           **WRITE_OPTIONS)

        try:
            staged.append(stage(path, write))
        except OSError as exc:
            for piece in staged:
                piece.tmp.unlink(missing_ok=True)
            raise DatasetError(f"{path}: cannot be written ({exc.strerror or exc}); nothing "
                               "was changed: export again once that is fixed") from None
        written.append(f"{NAMES_FOLDER}/{kind}")
    return written, staged


def read_history_names(root: str | os.PathLike[str], *,
                       account: str | int | None = None) -> Names:
    """The names a history holds, as the :class:`~engframe.names.Names` of one account.

    Parameters
    ----------
    root : str or path-like
        The history dataset's folder.
    account : str or int, optional
        Whose names; needed only when the history holds names of several accounts.

    Returns
    -------
    Names
        The tables as stored (each row's ``read_at`` kept as a column; ``read_at`` the
        newest of them; skill -1 left out, the join names it ``"Unassigned"``; a
        ``deleted`` not known counts as not deleted). A table the history lacks is empty
        and listed in ``failed``; so are all three when it holds no names of ``account``.

    Raises
    ------
    SourceError
        If ``root`` is not a folder, or holds no name tables.
    OptionError
        If the history holds names of several accounts and ``account`` is not given.
    DatasetError
        If a name table is damaged; the message names the file.

    Examples
    --------
    >>> import engframe, tempfile
    >>> import pandas as pd
    >>> from engframe.history import read_history_names
    >>> df = engframe.flatten({"request": {"account": "56072331", "timeframe": 5,
    ...                                    "interval": 5, "agentIds": "7"},
    ...                        "fetched_at": "2026-11-18T12:07:00Z",
    ...                        "response": {"metricsByIntervals": [
    ...                            {"timestamp": 1795003200000, "metricsData": {"agentsMetrics": {
    ...                                "metricsPerAgent": {"7": {"totalInteractiveChats": 4}}}}}]}})
    >>> names = engframe.Names(agents=pd.DataFrame({"agent": [7], "agent_name": ["Dana Levi"]}),
    ...                        read_at="2026-11-18T12:00:00Z", account="56072331")
    >>> root = tempfile.mkdtemp()
    >>> engframe.export(df, root, names=names).names
    ('names/skills', 'names/agents', 'names/agent_groups')
    >>> read_history_names(root).agents["agent_name"].tolist()
    ['Dana Levi']
    """
    base = Path(root)
    if not base.is_dir():
        raise SourceError(f"{base}: no such folder; engframe.export(df, root) creates one")
    tables = read_name_tables(base)
    if all(table is None for table in tables.values()):
        raise SourceError(f"{base}: holds no name tables ({NAMES_FOLDER}/skills/{PART_NAME}, "
                          "...): engframe.export(df, root, names=...) writes them")
    held = sorted({str(a) for table in tables.values() if table is not None
                   for a in table["account"].dropna().unique()})
    if account is None:
        if len(held) > 1:
            raise OptionError(f"read_history_names: {base} holds names of {len(held)} "
                              f"accounts ({', '.join(held)}): pass account=")
        chosen = held[0] if held else None
    else:
        chosen = str(account)
    source = str(base / NAMES_FOLDER)
    if chosen not in held:
        return Names.unavailable(f"{base} holds no names of account {chosen}",
                                 account=chosen, source=source)
    return names_of(tables, account=chosen, source=source,
                    missing=f"no name table {NAMES_FOLDER}/{{kind}} in {base}")
