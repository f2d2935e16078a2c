"""One column per metric: the wide form BI tools and notebooks often want."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engframe._keys import group_ids
from engframe.derive._attrs import INTEGER_METRICS
from engframe.errors import FrameError
from engframe.schema import METRICS

__all__ = ["to_wide"]


def to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Pivot any tidy frame (raw or derived) to one column per metric.

    Every column other than ``metric`` and ``value`` identifies a row of the result.
    Metric columns follow the API's order first, then the others in the frame's order.
    Integer values stay exact (``Int64``, ``<NA>`` where a row lacks a metric), and so do
    the counts of a derived frame (``totalChats``..., which ``df.attrs["integer_metrics"]``
    names); other float values stay float (NaN where missing).

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy long frame with ``metric`` and ``value`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per distinct combination of the other columns, in first-seen order.

    Raises
    ------
    FrameError
        If ``df`` lacks ``metric``/``value``, holds a metric twice for the same row
        (two frames stacked on top of each other, say), a metric named like one of its
        columns, or a missing metric name.

    Examples
    --------
    >>> import engframe
    >>> from engframe.derive import to_wide
    >>> df = engframe.flatten("data/samples/account.json")
    >>> to_wide(df).columns.tolist()[-2:]
    ['nonInteractiveTotalHandlingTime', 'connectedEngagements']
    """
    where = "to_wide"
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"{where}: expected a tidy DataFrame, found {type(df).__name__}")
    lacking = [c for c in ("metric", "value") if c not in df.columns]
    if lacking:
        raise FrameError(f"{where}: the frame lacks the column(s) {', '.join(lacking)}")
    keys = [c for c in df.columns if c not in ("metric", "value")]
    # Codes, never strings: the metric's category codes, and one id per combination of
    # the other columns (hashed once each), numbered in first-seen order.
    metric = df["metric"].astype("category").array
    codes = np.asarray(metric.codes, np.int64)
    if (codes < 0).any():
        raise FrameError(f"{where}: column 'metric' holds <NA>; every value needs a metric name")
    if keys and len(df):
        ids, _ = group_ids([df[name].array for name in keys])
        row_id, _uniques = pd.factorize(ids)
        row_id = row_id.astype(np.int64, copy=False)
    else:
        row_id = np.zeros(len(df), np.int64)
    rows = int(row_id.max()) + 1 if len(df) else 0
    width = len(metric.categories)
    cell = row_id * width + codes
    counts = np.bincount(cell, minlength=rows * width)
    if (counts > 1).any():
        raise FrameError(
            f"{where}: some rows hold the same metric twice for the same "
            f"{', '.join(keys)}; select one level/span/source first"
        )
    first = np.zeros(rows, np.int64)
    first[row_id[::-1]] = np.arange(len(df) - 1, -1, -1)
    out = df[keys].take(first).reset_index(drop=True)
    used = pd.unique(codes)  # first-seen order
    seen = [str(metric.categories[c]) for c in used]
    clash = sorted(set(seen) & set(keys))
    if clash:
        raise FrameError(f"{where}: metric {clash[0]!r} has the name of a column; the wide "
                         "form cannot hold both")
    order = [m for m in METRICS if m in seen] + [m for m in seen if m not in METRICS]
    slot = {name: int(c) for name, c in zip(seen, used, strict=True)}
    integer = df["value"].dtype.kind in "iu"
    names = df.attrs.get(INTEGER_METRICS)
    whole = set(names) if isinstance(names, list | tuple) else set()
    values = df["value"].to_numpy()
    grid = np.zeros(rows * width, values.dtype)
    grid[cell] = values
    grid = grid.reshape(rows, width)
    absent = (counts == 0).reshape(rows, width)
    columns: dict[str, Any] = {}
    for name in order:
        cells, missing = grid[:, slot[name]], absent[:, slot[name]]
        if integer or (name in whole and (np.rint(cells) == cells).all()):
            columns[name] = pd.arrays.IntegerArray(cells.astype(np.int64), missing.copy())
        else:
            columns[name] = np.where(missing, np.nan, cells)
    return pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1) if columns else out
