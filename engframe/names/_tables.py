"""The three name tables (skills, agents, agent groups): their columns, dtypes and labels.

Defined once, as data, and used by the parser, the :class:`~engframe.names.Names` object,
the join and the saved files.

Labels (the names engframe shows) follow these rules, in this order:

1. a skill's label is its ``name``; an agent's is its full name, else its nickname, else
   its login name; a group's is its ``name`` (blank names count as missing);
2. without one, the label is a readable fallback: ``"skill 3867783315"``,
   ``"agent 1282939616"``, ``"group 12"`` (:data:`FALLBACK`);
3. a label two ids of one table share gets the id appended, ``"Dana Levi (1282939616)"``,
   so that two namesakes stay two bars, two lines, two rows in every chart and table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.errors import FrameError

__all__ = [
    "AGENTS",
    "AGENT_GROUPS",
    "FALLBACK",
    "SKILLS",
    "TABLES",
    "UNASSIGNED_NAME",
    "UNASSIGNED_SKILL",
    "Table",
    "distinct_labels",
    "fallback_labels",
    "normalize",
]

#: The skill id live data uses for chats never assigned to a skill, and its name.
UNASSIGNED_SKILL: Final = -1
UNASSIGNED_NAME: Final = "Unassigned"

#: The label of an id that has no name, by the tidy column holding the id.
FALLBACK: Final = {"skill": "skill {}", "agent": "agent {}", "agent_group": "group {}"}

_ID: Final = pd.Int64Dtype()
_TEXT: Final = pd.StringDtype()
_FLAG: Final = pd.BooleanDtype()
_BOOL: Final = np.dtype(bool)


@dataclass(frozen=True, slots=True)
class Table:
    """One name table: its key column, its label column and every column's dtype."""

    kind: str
    key: str
    label: str
    dtypes: Mapping[str, Any]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns, in order."""
        return tuple(self.dtypes)


SKILLS: Final = Table("skills", "skill", "skill_name", {
    "skill": _ID, "skill_name": _TEXT, "description": _TEXT, "deleted": _BOOL,
})
AGENTS: Final = Table("agents", "agent", "agent_name", {
    "agent": _ID, "agent_name": _TEXT, "full_name": _TEXT, "nickname": _TEXT,
    "login_name": _TEXT, "agent_group": _ID, "user_type": _ID, "enabled": _FLAG,
    "deleted": _BOOL, "skill_ids": _TEXT,
})
AGENT_GROUPS: Final = Table("agent_groups", "agent_group", "agent_group_name", {
    "agent_group": _ID, "agent_group_name": _TEXT, "parent": _ID, "enabled": _FLAG,
    "deleted": _BOOL,
})
#: The tables by kind, in the order ``Names`` holds them.
TABLES: Final = {table.kind: table for table in (SKILLS, AGENTS, AGENT_GROUPS)}


def fallback_labels(key: str, ids: Any) -> list[str]:
    """The fallback label of each id (``"agent 1282939616"``) for the id column ``key``.

    Examples
    --------
    >>> fallback_labels("skill", [3867783315])
    ['skill 3867783315']
    """
    pattern = FALLBACK[key]
    return [pattern.format(int(i)) for i in ids]


def distinct_labels(labels: pd.Series, ids: pd.Series) -> pd.Series:
    """Append `` (<id>)`` to every label that more than one id has.

    Examples
    --------
    >>> labels = pd.Series(["Dana Levi", "Noa Cohen", "Dana Levi"], dtype="string")
    >>> distinct_labels(labels, pd.Series([1, 2, 3], dtype="Int64")).tolist()
    ['Dana Levi (1)', 'Noa Cohen', 'Dana Levi (3)']
    """
    shared = labels.duplicated(keep=False).to_numpy(bool)
    if not shared.any():
        return labels
    out = labels.copy()
    out[shared] = labels[shared] + " (" + ids[shared].astype("string") + ")"
    return out


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype(_TEXT)
    filled = (text.str.strip().str.len() > 0).fillna(False).astype(bool)
    return text.where(filled)


def normalize(df: pd.DataFrame, table: Table, *, where: str) -> pd.DataFrame:
    """Give a name table its columns, dtypes and labels (see the module docstring).

    Columns missing from ``df`` are added (NA; ``deleted`` False); extra ones are kept
    after them. Idempotent: a normalized table comes back equal.

    Raises
    ------
    FrameError
        If the key column is missing, holds NA or repeats an id, or a column cannot
        take its dtype.
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"{where}: expected a DataFrame of {table.kind}, found "
                         f"{type(df).__name__}")
    if table.key not in df.columns:
        raise FrameError(f"{where}: the {table.kind} table lacks its id column "
                         f"{table.key!r}; it has {', '.join(map(str, df.columns)) or 'none'}")
    columns: dict[str, pd.Series] = {}
    for name, dtype in table.dtypes.items():
        if name in df.columns:
            try:
                columns[name] = df[name].reset_index(drop=True).astype(dtype)
            except (TypeError, ValueError) as exc:
                raise FrameError(f"{where}: column {name!r} of the {table.kind} table cannot "
                                 f"be {dtype} ({exc})") from None
        else:
            fill = False if dtype == _BOOL else None
            columns[name] = pd.Series([fill] * len(df), dtype=dtype)
    ids = columns[table.key]
    if ids.isna().any():
        raise FrameError(f"{where}: the {table.kind} table has a row without an id "
                         f"({table.key!r} is NA)")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise FrameError(f"{where}: the {table.kind} table lists id {int(repeated.iloc[0])} "
                         "more than once")
    label = _blank_to_na(columns[table.label])
    missing = label.isna().to_numpy(bool)
    if missing.any():
        label = label.copy()
        label.iloc[np.flatnonzero(missing)] = fallback_labels(table.key, ids[missing])
    columns[table.label] = distinct_labels(label, ids)
    extra = {name: df[name].reset_index(drop=True) for name in df.columns
             if name not in table.dtypes}
    return pd.DataFrame({**columns, **extra})
