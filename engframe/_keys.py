"""Number the distinct combinations of several columns, vectorised.

Each column is factorised (sorted, missing values first) and the codes are combined in
mixed radix, so the ids sort like the rows' values do, column by column. When the
product of the columns' sizes nears the int64 range the ids so far are renumbered densely
first, which keeps their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = ["as_integers", "first_rows", "group_ids", "run_starts"]

_LIMIT: Final = 2**62


#: Rows read at a time where a temporary of every row would cost fresh memory (a page fault
#: a page on first touch: on eleven million rows, more time than the work itself).
BLOCK: Final = 1 << 20


def code_counts(codes: np.ndarray, n: int) -> np.ndarray:
    """How many rows hold each code ``0..n-1``, then how many -1 (missing), a block of rows
    at a time.

    Examples
    --------
    >>> code_counts(np.array([1, -1, 1], np.int8), 3).tolist()
    [0, 2, 0, 1]
    """
    counts = np.zeros(n + 1, np.int64)
    for start in range(0, len(codes), BLOCK):
        block = codes[start:start + BLOCK].astype(np.intp)
        block[block < 0] = n
        counts += np.bincount(block, minlength=n + 1)
    return counts


def group_ids(columns: Sequence[Any]) -> tuple[np.ndarray, int]:
    """Return an int64 id per row for the combination of ``columns``, and an id bound.

    Rows with equal values in every column share an id; ids order rows as sorting
    by the columns would (missing values first). ``columns`` are equally long
    array-likes (Series, numpy or pandas arrays), or ``(codes, width)`` pairs of columns
    already coded densely (``0 <= codes < width``, -1 for missing), which skip factorising.

    Examples
    --------
    >>> import numpy as np
    >>> ids, bound = group_ids([np.array([2, 1, 2]), np.array(["b", "a", "b"])])
    >>> ids.tolist()[0] == ids.tolist()[2] != ids.tolist()[1]
    True
    """
    ids: np.ndarray | None = None
    size = 1
    for column in columns:
        if isinstance(column, tuple):
            codes, width = column[0].astype(np.int64) + 1, column[1] + 1
        else:
            values: Any = column.array if isinstance(column, pd.Series) else column
            if isinstance(values, pd.arrays.NumpyExtensionArray):
                # pandas 3 sorts no NumpyExtensionArray (a bool column's): factorize its array
                values = values.to_numpy()
            found, uniques = pd.factorize(values, sort=True)
            codes, width = found.astype(np.int64, copy=False) + 1, len(uniques) + 1
        if ids is None:
            ids, size = codes, width
            continue
        if size > _LIMIT // width:
            dense, seen = pd.factorize(ids, sort=True)
            ids, size = dense.astype(np.int64, copy=False), len(seen)
        ids = ids * width + codes
        size *= width
    if ids is None:
        raise ValueError("group_ids needs at least one column")
    return ids, size


def first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """The position of the first row holding each code ``0..n-1`` (0 for a code none holds).

    One scatter in reverse, no sort; codes of -1 (missing) are ignored.

    Examples
    --------
    >>> first_rows(np.array([1, 0, 1, -1, 2]), 3).tolist()
    [1, 0, 4]
    """
    first = np.zeros(n, np.int64)
    known = np.flatnonzero(codes >= 0)[::-1]
    first[codes[known]] = known
    return first


def as_integers(column: pd.Series) -> np.ndarray:
    """One integer per row, equal where the values are equal (NA equal to NA); no hashing
    for the tidy frame's categorical and datetime columns."""
    values = column.array
    if isinstance(values, pd.Categorical):
        return np.asarray(values.codes)
    if isinstance(values, pd.arrays.DatetimeArray):
        return np.asarray(pd.DatetimeIndex(values).asi8)  # a view: no conversion
    codes: np.ndarray = pd.factorize(column, use_na_sentinel=True)[0]
    return codes


def run_starts(frame: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> np.ndarray:
    """The positions among ``rows`` of ``frame`` where a run of rows equal in ``columns`` starts.

    A tidy frame's rows come in long runs (a response interval by interval, level by level),
    so the first row of each run is a small set holding every distinct combination of the
    columns (some more than once): what the hours and calendar grains of periods need to
    read, instead of millions of rows. Compared as integers, never hashed.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 1, 2, 2, 1], "b": [0, 0, 0, 1, 1]})
    >>> run_starts(frame, np.arange(5), ["a", "b"]).tolist()
    [0, 2, 3, 4]
    """
    starts = np.zeros(len(rows), bool)
    starts[:1] = True
    for name in columns:
        if name in frame.columns and len(rows) > 1:
            values = as_integers(frame[name])[rows]
            starts[1:] |= values[1:] != values[:-1]
    found: np.ndarray = np.flatnonzero(starts)
    return found
