"""One line that says how a reconcile went, and names the worst drift."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engframe.errors import FrameError
from engframe.reconcile._terms import (
    _NAMED,
    _OUTPUT,
    AVERAGE_RELATION,
    CHECK_DIMENSIONS,
    RATIO_RELATION,
    STATUSES,
)

__all__ = ["summarize"]


def summarize(checks: pd.DataFrame) -> str:
    """Say in one line how a reconciliation went: counts per status and the worst drift.

    Parameters
    ----------
    checks : pandas.DataFrame
        The result of :func:`reconcile`.

    Returns
    -------
    str
        For example ``"12 checks: 10 ok, 1 rounding, 1 mismatch; worst:
        skills_vs_skills_total totalHandlingTime at 2014-10-07 11:20 UTC: parts 15 vs
        reported 12 (+3, +25.0%, mismatch: parts exceed the whole)"``.

    Raises
    ------
    FrameError
        If ``checks`` lacks the columns :func:`reconcile` writes.

    Examples
    --------
    >>> import engframe
    >>> from engframe.reconcile import reconcile, summarize
    >>> print(summarize(reconcile(engframe.flatten("data/samples/account.json"))))
    0 checks: 0 ok, 0 rounding, 0 mismatch
    """
    needed = set(_OUTPUT) - {"reason", "beyond"}
    if not isinstance(checks, pd.DataFrame) or not needed <= set(checks.columns):
        raise FrameError("summarize: expected the DataFrame reconcile() returns")
    status = pd.Categorical(checks["status"], categories=list(STATUSES))
    counts = np.bincount(status.codes[status.codes >= 0], minlength=len(STATUSES))
    line = f"{len(checks)} checks: " + ", ".join(
        f"{count} {name}" for count, name in zip(counts, STATUSES, strict=True))
    drifted = np.flatnonzero(status.codes > 0)
    if not len(drifted):
        return line
    severity = status.codes[drifted]
    size = np.abs(checks["relative_difference"].to_numpy(np.float64)[drifted])
    size = np.where(np.isnan(size), np.inf, size)
    absolute = np.abs(checks["difference"].to_numpy(np.float64)[drifted])
    worst = drifted[np.lexsort((absolute, size, severity))[-1]]
    return f"{line}; worst: {_describe(checks.iloc[worst])}"


def _describe(row: pd.Series) -> str:
    where = [str(row["relation"]), str(row["metric"])]
    for key, column in _NAMED:
        if pd.isna(row[key]):
            continue
        name = row[column] if column in row.index else None
        if pd.isna(name):
            where.append(f"{key} {row[key]}")
        else:
            shown = str(name)
            if shown == f"{key} {row[key]}":  # a fallback name (no saved names): the id itself
                where.append(shown)
            elif shown.endswith(f"({row[key]})"):  # a name two ids share ends with its id
                where.append(f"{key} {shown}")
            else:
                where.append(f"{key} {shown} ({row[key]})")
    for column in CHECK_DIMENSIONS.values():  # the state, Away reason or bucket
        if column in row.index and not pd.isna(row[column]):
            where.append(f"{column.replace('_', ' ')} {row[column]}")
    if not pd.isna(row["timestamp"]):
        where.append(f"at {row['timestamp']:%Y-%m-%d %H:%M} UTC")
    relative = row["relative_difference"]
    share = "" if pd.isna(relative) else f", {relative:+.1%}"
    why = f": {row['reason']}" if "reason" in row.index else ""
    if "beyond" in row.index and row["tolerance"] > 0 and row["beyond"] > 0:
        why += (f", {_number(row['beyond'])} beyond the {_number(row['tolerance'])} "
                "rounding explains")
    side = "recomputed" if row["relation"] in (AVERAGE_RELATION, RATIO_RELATION) else "parts"
    return (
        f"{' '.join(where)}: {side} {_number(row['sum_of_parts'])} vs reported "
        f"{_number(row['reported'])} ({_number(row['difference'], sign=True)}{share}, "
        f"{row['status']}{why})"
    )


def _number(value: Any, *, sign: bool = False) -> str:
    if float(value).is_integer():
        return f"{int(value):+d}" if sign else f"{int(value)}"
    return f"{value:+g}" if sign else f"{value:g}"
