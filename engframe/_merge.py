"""Merge the totals of split requests by kind: what a sum gets wrong, put right.

The parts of a split request ask for disjoint skills (or agents), so their rows per skill
never meet, and their totals add up: :func:`engframe.client.merge_parts` sums the rows that
share a key. That is right for counts and duration totals. For the other kinds of the
catalogue (:class:`engframe.methods.Kind`) the merged totals are what the API would have
sent for the whole request:

- an extreme or a snapshot with a no-data value (queuehealth's maxima and current queue,
  queuestate's values): the parts' values other than -1 summed (the API's totals across
  skills are sums), or their largest where the metric's total is a maximum (queuestate's
  longest wait); -1 when every part has none;
- an average or a ratio with its sums: recomputed from the merged sums (queuehealth's
  ``avgTimeToAnswer`` = merged ``totalTimeToAnswer`` / merged ``connectedEng``), exactly; the
  metric's no-data value (or 0) where the denominator is 0;
- sla's shares: recomputed from the merged counts of every bucket of the histogram.

Examples
--------
>>> import engframe
>>> a = engframe.flatten({"skills": {"1": {"currentQueueSize": 3}},
...                       "totals": {"currentQueueSize": 3}})
>>> b = engframe.flatten({"skills": {"2": {"currentQueueSize": -1}},
...                       "totals": {"currentQueueSize": -1}})
>>> from engframe.client import merge_parts
>>> merge_parts([a, b])["value"].tolist()  # the total leaves skill 2's no-data out
[3, 3, -1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from engframe.methods import ADDITIVE, METHODS, Kind, Method
from engframe.schema import BUCKET_COLUMN, METHOD_COLUMN

__all__ = ["rekind"]


def _method(frame: pd.DataFrame) -> Method | None:
    if METHOD_COLUMN not in frame.columns:
        return None
    names = [str(m) for m in pd.unique(frame[METHOD_COLUMN].dropna())]
    return METHODS.get(names[0]) if len(names) == 1 else None


def rekind(stacked: pd.DataFrame, merged: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Put right the merged values of the metrics that do not add up (see the module).

    Parameters
    ----------
    stacked : pandas.DataFrame
        The parts' rows, one after the other.
    merged : pandas.DataFrame
        Their rows merged by ``keys``, values summed (in the order keys first appear).
    keys : sequence of str
        The columns that identify a value.

    Returns
    -------
    pandas.DataFrame
        ``merged``, with the values of the other kinds replaced.
    """
    method = _method(stacked)
    if method is None:
        return merged
    others = [m for m in method.metrics if m.kind not in ADDITIVE]
    if not others:
        return merged
    merged = merged.copy()
    values = merged["value"].to_numpy(copy=True)
    for info in others:
        if info.kind in (Kind.EXTREME, Kind.SNAPSHOT) and info.no_data is not None:
            values = _known(stacked, merged, keys, info.name, info.no_data,
                            biggest=info.direction == "max" and info.kind == Kind.SNAPSHOT,
                            values=values)
    frame = merged.assign(value=values)
    for info in others:
        if info.recomputable:
            values = _ratio(frame, keys, info.name, info.numerator, info.denominator,
                            0.0 if info.no_data is None else info.no_data, values)
    if method.running and BUCKET_COLUMN in frame.columns:
        for running in method.running:
            values = _histogram(frame.assign(value=values), keys, running.count, running.share,
                                running.running, values)
    kind = merged["value"].to_numpy().dtype
    merged["value"] = values.astype(kind) if kind.kind == "f" or (
        values == np.round(values)).all() else values.astype(np.float64)
    return merged


def _known(stacked: pd.DataFrame, merged: pd.DataFrame, keys: Sequence[str], name: str,
           no_data: float, *, biggest: bool, values: np.ndarray) -> np.ndarray:
    """The parts' values other than no-data, summed (or the largest); no-data if none."""
    rows = stacked[stacked["metric"].astype(str) == name]
    if rows.empty:
        return values
    known = rows["value"].where(rows["value"] != no_data)
    grouped = known.groupby([rows[k] for k in keys], observed=True, dropna=False, sort=False)
    found = grouped.max() if biggest else grouped.sum(min_count=1)
    target = merged["metric"].astype(str) == name
    index = pd.MultiIndex.from_frame(merged.loc[target, list(keys)]) if len(keys) > 1 else \
        pd.Index(merged.loc[target, keys[0]])
    filled = found.reindex(index).fillna(no_data).to_numpy()
    out = values.copy()
    out[target.to_numpy()] = filled
    return out


def _ratio(frame: pd.DataFrame, keys: Sequence[str], name: str,
           top: Mapping[str, float], bottom: Mapping[str, float], no_data: float,
           values: np.ndarray) -> np.ndarray:
    """``name`` recomputed from the merged sums of its numerator and denominator."""
    rest = [k for k in keys if k != "metric"]
    metric = frame["metric"].astype(str)
    target = (metric == name).to_numpy()
    if not target.any():
        return values
    place = _place(frame, rest)

    def total(terms: Mapping[str, float]) -> np.ndarray:
        sums = np.zeros(place.max() + 1)
        for component, weight in terms.items():
            chosen = (metric == component).to_numpy()
            np.add.at(sums, place[chosen], weight * frame["value"].to_numpy()[chosen])
        result: np.ndarray = sums[place[target]]
        return result

    up, down = total(top), total(bottom)
    ratio = np.full(len(up), float(no_data))
    np.divide(up, down, out=ratio, where=down != 0)
    out = values.astype(np.float64)
    out[target] = ratio
    return out


def _histogram(frame: pd.DataFrame, keys: Sequence[str], count: str, share: str,
               running: str, values: np.ndarray) -> np.ndarray:
    """A histogram's shares recomputed from its merged counts, bucket by bucket."""
    rest = [k for k in keys if k not in ("metric", BUCKET_COLUMN)]
    metric = frame["metric"].astype(str).to_numpy()
    place = _place(frame, rest)
    bucket = frame[BUCKET_COLUMN].to_numpy(dtype=np.float64, na_value=np.nan)
    counts = metric == count
    totals = np.zeros(place.max() + 1)
    np.add.at(totals, place[counts], frame["value"].to_numpy()[counts])
    out = values.astype(np.float64)
    for name, cumulative in ((share, False), (running, True)):
        target = np.flatnonzero(metric == name)
        for row in target.tolist():
            same = counts & (place == place[row])
            chosen = same & ((bucket <= bucket[row]) if cumulative else (bucket == bucket[row]))
            whole = totals[place[row]]
            out[row] = frame["value"].to_numpy()[chosen].sum() / whole if whole else 0.0
    return out


def _place(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A code per row for the values of ``columns`` (rows that share them share it)."""
    if not columns:
        return np.zeros(len(frame), np.int64)
    codes: np.ndarray = frame.groupby(list(columns), observed=True, dropna=False,
                                      sort=False).ngroup().to_numpy()
    return codes
