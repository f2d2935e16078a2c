"""One column per metric: the wide form BI tools and notebooks often want."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
        If ``df`` lacks ``metric``/``value``, or holds a metric twice for the same row
        (two frames stacked on top of each other, say).

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
    if df.duplicated([*keys, "metric"]).any():
        raise FrameError(
            f"{where}: some rows hold the same metric twice for the same "
            f"{', '.join(keys)}; select one level/span/source first"
        )
    metric = df["metric"].astype(str)
    seen = list(dict.fromkeys(metric))
    order = [m for m in METRICS if m in seen] + [m for m in seen if m not in METRICS]
    row_id = df.groupby(keys, observed=True, dropna=False, sort=False).ngroup().to_numpy()
    out = df[keys].loc[~pd.Series(row_id).duplicated().to_numpy()].reset_index(drop=True)
    integer = df["value"].dtype.kind in "iu"
    names = df.attrs.get(INTEGER_METRICS)
    whole = set(names) if isinstance(names, list | tuple) else set()
    values = df["value"].to_numpy()
    for name in order:
        hit = (metric == name).to_numpy()
        if integer or (name in whole and (np.rint(values[hit]) == values[hit]).all()):
            exact = np.zeros(len(out), np.int64)
            exact[row_id[hit]] = values[hit]
            absent = np.ones(len(out), bool)
            absent[row_id[hit]] = False
            out[name] = pd.arrays.IntegerArray(exact, absent)
        else:
            filled = np.full(len(out), np.nan)
            filled[row_id[hit]] = values[hit]
            out[name] = filled
    return out
