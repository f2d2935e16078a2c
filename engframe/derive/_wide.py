"""One column per metric: the wide form BI tools and notebooks often want."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engframe._wide import pivot, whole_cells
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
    wide = pivot(df, where=where, first_seen=True,
                 advice="select one level/span/source first (two frames stacked, say)")
    seen = [wide.names[c] for c in wide.used]
    order = [m for m in METRICS if m in seen] + [m for m in seen if m not in METRICS]
    integer = df["value"].dtype.kind in "iu"
    columns: dict[str, Any] = {}
    for name in order:
        j = wide.names.index(name)
        cells, missing = wide.grid[:, j], wide.absent[:, j]
        if integer or whole_cells(df, name, cells):
            columns[name] = pd.arrays.IntegerArray(cells.astype(np.int64), missing.copy())
        else:
            columns[name] = np.where(missing, np.nan, cells)
    out = wide.keys
    return pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1) if columns else out
