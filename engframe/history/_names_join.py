"""``read_dataset(root, names=True)``: the history's names joined to its facts, account by account.

Each account's rows get that account's names (ids are the account's own), with
:func:`engframe.names.attach_names`: the same columns, labels, fallbacks and warning as
``engframe.load(..., names=True)``. A history of one account is one join; of several, one
join per account, whose columns are put back together in the frame's row order.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from engframe.errors import EngframeWarning
from engframe.history._names import names_of
from engframe.history._names_store import NAMES_FOLDER, read_name_tables
from engframe.names import NAME_COLUMNS, Names, attach_names
from engframe.names._join import names_warning

__all__ = ["join_history_names"]


def join_history_names(frame: pd.DataFrame, base: Path, *, stacklevel: int) -> pd.DataFrame:
    """``frame`` (read from the history at ``base``) with the history's names joined.

    A history without name tables gives fallback names and one warning saying so.

    Raises
    ------
    DatasetError
        If a name table is damaged; the message names the file.
    """
    tables = read_name_tables(base)
    source = str(base / NAMES_FOLDER)
    if all(table is None for table in tables.values()):
        missing = Names.unavailable(
            f"{base} holds no name tables (engframe.export(df, root, names=...) and "
            "engframe.sync(..., names=True) write them)", source=source)
        return attach_names(frame, missing, stacklevel=stacklevel + 1)
    missing_table = f"no name table {NAMES_FOLDER}/{{kind}} in {base}"
    codes, accounts = _accounts(frame, tables)
    if len(accounts) <= 1:
        names = names_of(tables, account=accounts[0] if accounts else None, source=source,
                         missing=missing_table)
        return attach_names(frame, names, stacklevel=stacklevel + 1)
    parts, where, messages = [], [], []
    for code, account in enumerate(accounts):
        at = np.flatnonzero(codes == code)
        names = names_of(tables, account=account, source=source, missing=missing_table)
        part = attach_names(frame.iloc[at][["skill", "agent"]], names, warn=False)
        message = names_warning(names, part.attrs["names"]["unknown"])
        if message is not None:
            messages.append(f"account {account}: {message}")
        parts.append(part)
        where.append(at)
    out = _stitched(frame, parts, np.concatenate(where))
    out.attrs = {**frame.attrs,
                 "names": _attrs(source, accounts, [p.attrs["names"] for p in parts])}
    if messages:
        warnings.warn("; ".join(messages), EngframeWarning, stacklevel=stacklevel)
    return out


def _accounts(frame: pd.DataFrame,
              tables: dict[str, pd.DataFrame | None]) -> tuple[np.ndarray, list[str | None]]:
    """Each row's account code, and the accounts the frame holds (or the names', if none)."""
    column = pd.Categorical(frame["account"])
    present = np.unique(column.codes)
    if not len(present):  # no rows: the names of the history's one account, if one
        held = sorted({str(a) for t in tables.values() if t is not None
                       for a in t["account"].dropna().unique()})
        return np.zeros(0, np.int64), list(held[:1]) if len(held) == 1 else []
    accounts: list[str | None] = [None if code < 0 else str(column.categories[code])
                                  for code in present]
    lookup = np.full(len(column.categories) + 1, -1, np.int64)
    lookup[present] = np.arange(len(present))  # code -1 (no account) is the last slot
    return lookup[column.codes], accounts


def _stitched(frame: pd.DataFrame, parts: list[pd.DataFrame],
              where: np.ndarray) -> pd.DataFrame:
    """``frame`` with the parts' name columns, put back in the frame's row order."""
    back = np.empty(len(where), np.int64)
    back[where] = np.arange(len(where))
    added: dict[str, Any] = {}
    for name in NAME_COLUMNS:
        if name == "agent_group":
            added[name] = pd.concat([p[name] for p in parts]).array.take(back)
        else:
            united = union_categoricals([p[name].array for p in parts], sort_categories=True)
            added[name] = united.take(back)
    kept = frame.drop(columns=[c for c in NAME_COLUMNS if c in frame.columns])
    return pd.concat([kept, pd.DataFrame(added, index=frame.index, copy=False)], axis=1)


def _attrs(source: str, accounts: list[str | None],
           parts: list[dict[str, Any]]) -> dict[str, Any]:
    """``attrs["names"]`` of a join by account: reasons and ids of every account."""
    failed: dict[str, str] = {}
    unknown: dict[str, set[int]] = {}
    for account, part in zip(accounts, parts, strict=True):
        for kind, reason in part["failed"].items():
            failed[kind] = f"{failed[kind]}; " if kind in failed else ""
            failed[kind] += f"account {account}: {reason}"
        for key, ids in part["unknown"].items():
            unknown.setdefault(key, set()).update(ids)
    stamps = [part["read_at"] for part in parts if part["read_at"] is not None]
    return {
        "source": source,
        "account": None,
        "accounts": accounts,
        "read_at": max(stamps, key=pd.Timestamp) if stamps else None,
        "failed": failed,
        "unknown": {key: sorted(ids) for key, ids in unknown.items()},
    }
