"""CSV files whose cells a spreadsheet will not run: formula-like text made inert.

Names come from the Account Configuration API, metric names from the data API: a name such
as ``=HYPERLINK("http://evil.example", "Sales")`` or ``+cmd|' /C calc'!A0`` would be run by
Excel, LibreOffice or Google Sheets when a CSV export is opened. As OWASP recommends for CSV
injection, every text cell (and column name) that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading ``'``, which spreadsheets show as text; numbers
(negative ones included) are written as numbers.

Examples
--------
>>> import pandas as pd
>>> neutralize(pd.DataFrame({"agent_name": ["=1+1", "Dana"], "value": [-1, 2]}))
  agent_name  value
0      '=1+1     -1
1       Dana      2
"""

from __future__ import annotations

import os
from typing import Any, Final

import pandas as pd

from engframe._output import write_file

__all__ = ["FORMULA_STARTS", "neutralize", "write_csv"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: Any) -> Any:
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_STARTS) else text


def _column(values: pd.Series) -> pd.Series | None:
    """A text column with formula-like cells made inert; None when none is."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = list(values.cat.categories)
        renamed = [_inert(c) for c in categories]
        if renamed == categories:
            return None
        if len(set(renamed)) == len(renamed):  # a few categories, not every row
            return values.cat.rename_categories(renamed)
        return values.astype(object).map(_inert)
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        risky = values.map(lambda cell: isinstance(cell, str)
                           and cell.startswith(FORMULA_STARTS)).to_numpy(bool)
        if not risky.any():
            return None
        return values.where(~risky, values.map(_inert))
    return None


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-like text cell and column name made inert.

    Returns ``frame`` itself when nothing needs changing.
    """
    changed = {name: new for name in frame.columns
               if (new := _column(frame[name])) is not None}
    names = [_inert(name) for name in frame.columns]
    if not changed and names == list(frame.columns):
        return frame
    out = pd.DataFrame({new: changed.get(old, frame[old])
                        for new, old in zip(names, frame.columns, strict=True)})
    out.attrs = frame.attrs
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as CSV at ``path`` (atomically), formula-like cells made inert.

    Raises
    ------
    OutputError
        If the file cannot be written there; the message names ``path``.
    """
    safe = neutralize(frame)
    write_file(path, lambda tmp: safe.to_csv(tmp, index=False))
