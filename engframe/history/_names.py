"""The history's name tables: their columns, the rows a read gives, and which row stays.

Three dimension tables sit beside the facts, one row per (account, id), with the id
column named as in the fact tables so that a BI join is one column (and the account):

=================  ==============================================================
table              columns
=================  ==============================================================
``skills``         account, skill, skill_name, description, deleted, read_at
``agents``         account, agent, agent_name, full_name, nickname, login_name,
                   agent_group, agent_group_name, user_type, enabled, deleted,
                   read_at
``agent_groups``   account, agent_group, agent_group_name, parent, enabled,
                   deleted, read_at
=================  ==============================================================

- ``read_at`` is when the row's names were read from the Account Configuration API.
  **The latest read wins**: a row replaces the stored one of its (account, id) when it
  was read later; rows of the same read complete each other (a value one of them lacks
  is taken from the other); an older read changes nothing. A name is never deleted: the
  agents who left keep theirs, so old facts keep their names.
- ``agents.agent_group_name`` is the name of the agent's group in ``agent_groups`` (or
  ``"group <id>"`` when that group is not there), set whenever the tables are written,
  so that chats per team need one join (a star schema, as Power BI prefers).
- ``skills`` has a row for skill -1, ``"Unassigned"`` (the skill live data gives chats
  never assigned to one), so that a join gives it a name too.
- Labels are those of :mod:`engframe.names`: fallbacks for missing names, and a name two
  ids of one account share carries the id (``"Dana Levi (1282939616)"``).

Pure: no I/O here (:mod:`engframe.history._names_store` reads and writes the tables).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from engframe.errors import OptionError
from engframe.names import Names
from engframe.names._names import KINDS
from engframe.names._tables import (
    FALLBACK,
    TABLES,
    UNASSIGNED_NAME,
    UNASSIGNED_SKILL,
    Table,
)

__all__ = [
    "FRAME_COLUMNS",
    "NAME_TABLES",
    "NameTable",
    "finish",
    "merge",
    "names_of",
    "rows_of_frame",
    "rows_of_names",
]

_ID: Final = pd.Int64Dtype()
_TEXT: Final = pd.StringDtype()
_FLAG: Final = pd.BooleanDtype()
_STAMP: Final = pd.DatetimeTZDtype("ms", "UTC")
#: Parquet (arrow) type of each pandas dtype of the tables.
_ARROW: Final[Mapping[Any, pa.DataType]] = {
    _ID: pa.int64(), _TEXT: pa.string(), _FLAG: pa.bool_(),
    _STAMP: pa.timestamp("ms", tz="UTC"),
}
_FROM_ARROW: Final[Mapping[pa.DataType, Any]] = {
    pa.int64(): _ID, pa.string(): _TEXT, pa.large_string(): _TEXT, pa.bool_(): _FLAG,
}


@dataclass(frozen=True, slots=True)
class NameTable:
    """One name table of a history: the :mod:`engframe.names` table it stores, its columns."""

    names: Table
    dtypes: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """``skills``, ``agents`` or ``agent_groups``: the table's folder under ``names/``."""
        return self.names.kind

    @property
    def key(self) -> str:
        """The id column, named as in the fact tables."""
        return self.names.key

    @property
    def label(self) -> str:
        """The name column."""
        return self.names.label

    @property
    def schema(self) -> pa.Schema:
        """The parquet schema."""
        return pa.schema([(name, _ARROW[dtype]) for name, dtype in self.dtypes.items()])


def _table(names: Table, *, after: Mapping[str, tuple[str, Any]] | None = None) -> NameTable:
    dtypes: dict[str, Any] = {"account": _TEXT}
    for name, dtype in names.dtypes.items():
        # deleted is bool in Names; here NA says "not known" (names taken from a frame)
        dtypes[name] = _FLAG if dtype == np.dtype(bool) else dtype
        if after is not None and name in after:
            extra, extra_dtype = after[name]
            dtypes[extra] = extra_dtype
    dtypes["read_at"] = _STAMP
    return NameTable(names, dtypes)


#: The name tables of a history, by kind (the folder under ``names/``).
NAME_TABLES: Final = {
    "skills": _table(TABLES["skills"]),
    "agents": _table(TABLES["agents"], after={"agent_group": ("agent_group_name", _TEXT)}),
    "agent_groups": _table(TABLES["agent_groups"]),
}


#: The columns names taken from a frame know (besides account, id and read_at).
FRAME_COLUMNS: Final = {
    "skills": ("skill_name",),
    "agents": ("agent_name", "agent_group"),
    "agent_groups": ("agent_group_name",),
}


def _shaped(df: pd.DataFrame, spec: NameTable) -> pd.DataFrame:
    """``df`` with exactly the table's columns and dtypes, in order (missing ones NA)."""
    n = len(df)
    columns = {}
    for name, dtype in spec.dtypes.items():
        if name in df.columns:
            column = df[name].reset_index(drop=True)
            columns[name] = (column.dt.tz_convert("UTC").astype(dtype) if dtype == _STAMP
                             else column.astype(dtype))
        else:
            columns[name] = pd.Series(pd.array([None] * n, dtype=dtype))
    return pd.DataFrame(columns)


def from_arrow(table: pa.Table, spec: NameTable) -> pd.DataFrame:
    """A stored table as a frame of the table's columns and dtypes."""
    frame = table.to_pandas(types_mapper=_FROM_ARROW.get)
    return _shaped(frame, spec)


def to_arrow(df: pd.DataFrame, spec: NameTable, metadata: Mapping[str, str]) -> pa.Table:
    """A frame of the table's columns as the parquet table to write."""
    table = pa.Table.from_pandas(_shaped(df, spec), schema=spec.schema, preserve_index=False)
    return table.replace_schema_metadata(dict(metadata))


def rows_of_names(names: Names, *, account: str,
                  read_at: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The rows a :class:`Names` gives each table it holds (tables it failed to read: none).

    ``read_at`` stands for the names' own when they have none.
    """
    if "names" in names.failed:
        return {}
    moment = names.read_at if names.read_at is not None else read_at
    rows = {}
    for kind in KINDS:
        if kind in names.failed:
            continue
        rows[kind] = _read_at(_shaped(getattr(names, kind).assign(account=account),
                                      NAME_TABLES[kind]), moment)
    if "skills" in rows:
        rows["skills"] = _with_unassigned(rows["skills"], moment)
    return rows


def _read_at(table: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    table["read_at"] = pd.Series([moment] * len(table), dtype=_STAMP)
    return table


def _with_unassigned(skills: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """Skills with a row for skill -1, "Unassigned", for each account that has none."""
    accounts = skills["account"].dropna().unique()
    listed = skills.loc[(skills["skill"] == UNASSIGNED_SKILL).fillna(False).to_numpy(bool),
                        "account"]
    lacking = [a for a in accounts if a not in set(listed)]
    if not lacking:
        return skills
    rows = pd.DataFrame({"account": lacking, "skill": [UNASSIGNED_SKILL] * len(lacking),
                         "skill_name": [UNASSIGNED_NAME] * len(lacking),
                         "deleted": [False] * len(lacking)})
    added = _read_at(_shaped(rows, NAME_TABLES["skills"]), moment)
    return pd.concat([skills, added], ignore_index=True)


def rows_of_frame(df: pd.DataFrame, *, account: str | None,
                  where: str) -> dict[str, pd.DataFrame]:
    """The rows of the names a frame was loaded with (``export(..., names=True)``).

    They are what the frame's name columns show, for the ids it holds: each skill's and
    agent's name, each agent's group and that group's name, read at
    ``df.attrs["names"]["read_at"]``. Ids shown with a fallback (not in the configuration,
    or of a table that could not be read) give no row. The other columns (``deleted``,
    ``full_name``, a group's ``parent``, ...) are NA: the frame does not hold them.

    Raises
    ------
    OptionError
        If the frame was not loaded with names.
    """
    attrs = df.attrs.get("names")
    lacking = [c for c in ("skill_name", "agent_name", "agent_group", "agent_group_name")
               if c not in df.columns]
    if not isinstance(attrs, Mapping) or lacking:
        raise OptionError(
            f"{where}: names=True stores the names the frame was loaded with, and this frame "
            f"has none ({'df.attrs has no names' if not lacking else 'no column ' + lacking[0]}"
            "): load it with names=True, or pass names= an engframe.names.Names or the path "
            "of saved names")
    failed = set(attrs.get("failed") or {})
    unknown = attrs.get("unknown") or {}
    stamp = attrs.get("read_at")
    try:
        moment = pd.Timestamp(stamp) if stamp is not None else pd.Timestamp.now(tz="UTC")
    except (TypeError, ValueError):
        raise OptionError(f"{where}: df.attrs['names']['read_at'] = {stamp!r} is not a "
                          "time") from None
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    owner = attrs.get("account") or account
    if "account" in df.columns:
        accounts = df["account"].astype(_TEXT)
        if owner is not None:
            accounts = accounts.fillna(str(owner))
    else:
        accounts = pd.Series(pd.array([owner] * len(df), dtype=_TEXT), index=df.index)
    if "names" in failed:
        return {}
    account_codes = pd.factorize(accounts)[0].astype(np.int64) + 1  # NA: 0

    def distinct(key: str, columns: list[str], leave: set[int]) -> pd.DataFrame:
        """The first row of each (account, id) the frame holds, but ids in ``leave``."""
        ids, uniques = pd.factorize(df[key])
        pair = account_codes * (len(uniques) + 1) + (ids + 1)
        codes = pd.factorize(pair)[0]  # numbered in order of first appearance
        seen = np.maximum.accumulate(codes) if len(codes) else codes
        first = np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]]) if len(codes) else codes
        picked = df[[key, *columns]].iloc[first].assign(account=accounts.iloc[first].array)
        keep = picked[key].notna() & picked["account"].notna() & ~picked[key].isin(
            sorted(leave))
        return picked[keep.to_numpy(bool)]

    rows: dict[str, pd.DataFrame] = {}
    if "skills" not in failed:
        rows["skills"] = distinct("skill", ["skill_name"],
                                  {*unknown.get("skill", []), UNASSIGNED_SKILL})
    if "agents" not in failed:
        agents = distinct("agent", ["agent_name", "agent_group"], set(unknown.get("agent", [])))
        rows["agents"] = agents
        if "agent_groups" not in failed:
            groups = distinct("agent_group", ["agent_group_name"],
                              set(unknown.get("agent_group", [])))
            rows["agent_groups"] = groups
    out = {}
    for kind, table in rows.items():  # agent_group_name is the groups' (see finish)
        out[kind] = _read_at(_shaped(table, NAME_TABLES[kind]), moment)
    if "skills" in out:
        out["skills"] = _with_unassigned(out["skills"], moment)
    return out


def merge(stored: pd.DataFrame | None, new: pd.DataFrame, spec: NameTable, *,
          known: Collection[str] | None = None) -> pd.DataFrame:
    """One row per (account, id): the latest read's; rows of the same read complete each other.

    ``known`` names the columns the new rows know (``None``: all of them; a NA there means
    the configuration has no value); the others are taken from the stored row (names
    taken from a frame know only the names and the agents' groups). Stored rows the new
    ones do not name stay: a name is never deleted.
    """
    if stored is None or not len(stored):
        return new
    if not len(new):
        return stored
    key = ["account", spec.key]
    old = stored.set_index(key)
    fresh = new.set_index(key)
    at = old.index.get_indexer(fresh.index)
    found = at >= 0
    before = old.iloc[at[found]]
    after = fresh.iloc[np.flatnonzero(found)]
    read_old = before["read_at"].to_numpy()
    read_new = after["read_at"].to_numpy()
    later, same = read_new > read_old, read_new == read_old
    # a value the new row has, or (same read, or a column it does not know) the stored one
    keep_new = after.notna()
    told = [name for name in after.columns
            if known is None or name in known or name == "read_at"]
    keep_new.loc[later, told] = True
    merged = after.where(keep_new, before)[later | same]
    kept = old.drop(index=merged.index)
    out: pd.DataFrame = pd.concat([kept, merged, fresh[~found]]).reset_index()
    return out


def finish(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables as written: groups' names on agents, namesakes apart, sorted by key."""
    out = {}
    for kind, table in tables.items():
        spec = NAME_TABLES[kind]
        table = _shaped(table, spec)
        if kind == "agents":
            table["agent_group_name"] = _group_names(table, tables.get("agent_groups"))
        table[spec.label] = _apart(table, spec)
        out[kind] = table.sort_values(["account", spec.key], kind="stable",
                                      ignore_index=True)
    return out


def _group_names(agents: pd.DataFrame, groups: pd.DataFrame | None) -> pd.Series:
    """Each agent's group name, from the groups table (a fallback where it is not there)."""
    group = agents["agent_group"]
    names = pd.Series(pd.array([None] * len(agents), dtype=_TEXT))
    if groups is not None and len(groups):
        index = pd.MultiIndex.from_arrays([groups["account"], groups["agent_group"]])
        at = index.get_indexer(pd.MultiIndex.from_arrays([agents["account"], group]))
        found = at >= 0
        names[found] = groups["agent_group_name"].to_numpy(object)[at[found]]
    missing = (names.isna() & group.notna()).to_numpy(bool)
    if missing.any():
        pattern = FALLBACK["agent_group"]
        names[missing] = [pattern.format(int(g)) for g in group[missing]]
    return names


def _apart(table: pd.DataFrame, spec: NameTable) -> pd.Series:
    """Labels with `` (<id>)`` appended where two ids of one account share one."""
    label = table[spec.label]
    shared = pd.MultiIndex.from_arrays([table["account"], label]).duplicated(keep=False)
    shared &= label.notna().to_numpy(bool)
    if not shared.any():
        return label
    out = label.copy()
    out[shared] = label[shared] + " (" + table[spec.key][shared].astype(_TEXT) + ")"
    return out


def names_of(tables: Mapping[str, pd.DataFrame | None], *, account: str | None,
             source: str, missing: str) -> Names:
    """The :class:`Names` of one account in a history's tables (``None``: table absent).

    The tables' ``read_at`` stays as a column; ``Names.read_at`` is the newest of them.
    Skill -1 is left out (the join names it ``"Unassigned"`` anyway); ``deleted`` not
    known counts as not deleted. ``missing`` says why an absent table is absent.
    """
    found: dict[str, pd.DataFrame] = {}
    failed: dict[str, str] = {}
    newest: list[pd.Timestamp] = []
    for kind in KINDS:
        table = tables.get(kind)
        if table is None:
            failed[kind] = missing.format(kind=kind)
            continue
        table = table[(table["account"] == account).fillna(False).to_numpy(bool)]
        if kind == "skills":
            table = table[(table["skill"] != UNASSIGNED_SKILL).to_numpy(bool)]
        if kind == "agents":
            table = table.drop(columns=["agent_group_name"])
        table = table.drop(columns=["account"]).assign(
            deleted=table["deleted"].fillna(False).astype(bool))
        if len(table):
            newest.append(table["read_at"].max())
        found[kind] = table.reset_index(drop=True)
    return Names(**found, read_at=max(newest) if newest else None, account=account,
                 source=source, failed=failed)
