"""The checks of :func:`engframe.reconcile` that the Operational Realtime shapes add.

Besides the sums of counts and durations (:mod:`engframe.reconcile`), these methods document
relations of their own, each checked here with the statuses and reasons of every check:

- **extremes and snapshots across levels and intervals** (queuehealth, queuestate): a total's
  minimum, maximum or current value is its skills' values summed, leaving out the -1 of a
  skill without data (the pages' examples and their words; queuestate's longest wait: the
  skills' longest); a skill's whole-timeframe maximum (minimum) is its intervals' largest
  (smallest) (not a total's: a sum of its skills' extremes need not be reached in any one
  interval). Exact: these are whole numbers, measured, not rounded.
- **breakdowns** (agentactivity, :class:`engframe.methods.Breakdown`): the states add up to
  Logged in, the Away reasons to Away, time by time, within the documented second a part
  (states are computed in milliseconds and shown in whole seconds).
- **running shares** (sla, :class:`engframe.methods.Running`): each bucket's
  ``percentageFromTotal`` is its chats over all, ``accumulated`` the chats of the buckets up
  to it over all, within a float's precision.

Which relations between levels an answer holds depends on its shape
(:attr:`engframe.methods.Layout.relations`): queuehealth has no agents, agentactivity no totals.

Examples
--------
>>> import engframe
>>> from engframe.reconcile import reconcile
>>> checks = reconcile(engframe.flatten("data/samples/operational/sla.json"))
>>> sorted(set(checks["relation"])), set(checks["status"])
(['accumulated_vs_chats'], {'ok'})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from engframe.methods import FLOAT32_PRECISION, METHODS, Breakdown, Kind, Metric, Running
from engframe.reconcile._checks import _Checks
from engframe.reconcile._codes import _Codes, _Keys
from engframe.reconcile._terms import _SPAN
from engframe.schema import BUCKET_COLUMN, LEVEL_CODE
from engframe.scope import Relation

__all__ = ["layout_allows", "shape_checks"]

_MAP_KEYS = ("response", "level", "span", "timestamp", "skill", "agent")


def layout_allows(method: str | None, relation: str) -> bool:
    """Whether answers of ``method`` hold the levels ``relation`` compares.

    Examples
    --------
    >>> layout_allows("queuehealth", "skill_agents_vs_skill"), layout_allows(None, "x")
    (False, True)
    """
    found = METHODS.get(method) if method is not None else None
    allowed = None if found is None else found.layout.relations
    return allowed is None or relation in allowed


def shape_checks(df: pd.DataFrame, codes: _Codes, methods: Sequence[str],
                 relations: Iterable[Relation],
                 implied_of: Callable[[Relation], np.ndarray]) -> list[_Checks]:
    """Every check of the module's docstring the frame's methods call for."""
    chosen = [METHODS[m] for m in methods if m in METHODS]
    found: list[_Checks] = []
    kept = [m for method in chosen for m in method.metrics
            if m.kind in (Kind.EXTREME, Kind.SNAPSHOT) and m.no_data is not None]
    synonyms = {name: alias for method in chosen for alias, name in method.synonyms.items()}
    for relation in relations:
        implied = implied_of(relation)
        if not implied.any():
            continue
        for metric in kept:
            checked = _kept_check(codes, relation, metric, implied, synonyms.get(metric.name))
            if checked is not None:
                found.append(checked)
    for method in chosen:
        for breakdown in method.breakdowns:
            checked = _breakdown_check(df, codes, breakdown)
            if checked is not None:
                found.append(checked)
        for running in method.running:
            found.extend(_running_checks(df, codes, running))
    return found


def _metric_code(codes: _Codes, name: str) -> int | None:
    metrics = list(map(str, codes.metrics))
    return metrics.index(name) if name in metrics else None


def _kept_check(codes: _Codes, relation: Relation, metric: Metric, implied: np.ndarray,
                synonym: str | None = None) -> _Checks | None:
    """An extreme or snapshot across levels (summed without no-data) or intervals; the
    parts may be sent under the metric's ``synonym``."""
    code = _metric_code(codes, metric.name)
    if code is None:
        return None
    alias = _metric_code(codes, synonym) if synonym is not None else None
    between_spans = relation.parts is None
    if between_spans and metric.kind != Kind.EXTREME:
        return None  # a snapshot is no-data in every interval: nothing to compare
    rule = (metric.direction or "max") if between_spans else (
        "max" if metric.kind == Kind.SNAPSHOT and metric.direction == "max" else "sum")
    own = codes.metric == code
    either = own | (codes.metric == alias) if alias is not None else own
    if between_spans:
        # a total's extreme is its skills' summed (the API's rule), which the intervals'
        # extremes need not reach: only a skill's (an account's) extreme is one over time
        real = codes.level != LEVEL_CODE["skills_total"]
        part = own & real & (codes.span == _SPAN["interval"])
        whole = own & real & (codes.span == _SPAN["timeframe"])
    else:
        part = either & (codes.level == LEVEL_CODE[relation.parts or ""])
        whole = own & (codes.level == LEVEL_CODE[relation.whole or ""])
    part &= implied[codes.response]
    whole &= implied[codes.response]
    if not whole.any():
        return None
    rows = np.flatnonzero(part | whole)
    names = ["response", *relation.keys, "dims"]
    keys = _Keys.pack([(c[rows], width, missing)
                       for c, width, missing in map(codes.dimension, names)], extra=2)
    key, value = keys.key, codes.value[rows].astype(np.float64)
    is_whole, is_part = whole[rows], part[rows]
    known = is_part & (value != metric.no_data)
    counts = np.bincount(key[is_whole], minlength=keys.size)
    parts = np.bincount(key[is_part], minlength=keys.size)
    n_known = np.bincount(key[known], minlength=keys.size)
    if rule == "sum":
        agg = np.bincount(key[known], weights=value[known], minlength=keys.size)
    else:
        fill = -np.inf if rule == "max" else np.inf
        agg = np.full(keys.size, fill)
        (np.maximum if rule == "max" else np.minimum).at(agg, key[known], value[known])
    reported = np.full(keys.size, np.nan)
    reported[key[is_whole]] = value[is_whole]
    # a whole timeframe's extreme needs intervals; a total without skills is no-data
    present = np.flatnonzero((counts == 1) & ((parts > 0) if between_spans else True))
    expected = np.where(n_known[present] > 0, agg[present], float(metric.no_data or 0))
    column = dict(zip(names, keys.unpack(present), strict=True))
    at = np.full(keys.size, -1, np.int64)
    at[key[is_whole]] = codes.stamp[rows][is_whole]
    n = len(present)
    return _Checks(
        relation=relation.name,
        level=column.get("level", np.full(n, LEVEL_CODE.get(relation.whole or "", 0))),
        span=column.get("span", np.full(n, _SPAN["timeframe"])),
        stamp=at[present], skill=column.get("skill", np.full(n, -1, np.int64)),
        agent=column.get("agent", np.full(n, -1, np.int64)),
        metric=np.full(n, code, np.int64), response=column["response"],
        reported=reported[present], parts_sum=expected, parts=parts[present],
        bound=np.zeros(n), dims=column["dims"] if codes.dims is not None else None)


def _labels(df: pd.DataFrame, name: str) -> np.ndarray:
    """A dimension column as an array of strings, None where a row has none."""
    column = df[name]
    if isinstance(column.dtype, pd.CategoricalDtype):  # each label once, then by code
        labels = np.array([*map(str, column.cat.categories), None], object)
        found: np.ndarray = labels[column.cat.codes.to_numpy()]  # code -1: the None
        return found
    return np.array([None if pd.isna(v) else str(v) for v in column.astype(object)], object)


def _breakdown_check(df: pd.DataFrame, codes: _Codes,
                     breakdown: Breakdown) -> _Checks | None:
    """A whole row against the rows that break it down along one dimension."""
    columns = {breakdown.dimension, *breakdown.within}
    if not columns <= set(df.columns):
        return None
    along = _labels(df, breakdown.dimension)
    inside = np.ones(len(df), bool)
    for name, held in breakdown.within.items():
        inside &= _labels(df, name) == held if held is not None else df[name].isna().to_numpy()
    whole = inside & (along == breakdown.whole if breakdown.whole is not None
                      else pd.isna(along))
    part = inside & ~whole & pd.notna(along)
    if breakdown.parts is not None:
        part &= np.isin(along, list(breakdown.parts))
    if not whole.any() or not part.any():
        return None
    rows = np.flatnonzero(part | whole)
    names = [*_MAP_KEYS, "metric"]
    keys = _Keys.pack([(c[rows], width, missing)
                       for c, width, missing in map(codes.dimension, names)], extra=2)
    key, value = keys.key, codes.value[rows].astype(np.float64)
    is_whole, is_part = whole[rows], part[rows]
    counts = np.bincount(key[is_whole], minlength=keys.size)
    parts = np.bincount(key[is_part], minlength=keys.size)
    sums = np.bincount(key[is_part], weights=value[is_part], minlength=keys.size)
    reported = np.full(keys.size, np.nan)
    reported[key[is_whole]] = value[is_whole]
    present = np.flatnonzero((counts == 1) & (parts > 0))
    column = dict(zip(names, keys.unpack(present), strict=True))
    # a check is the whole's: Logged in for the states, Away (its state) for the reasons
    whole_dims = np.full(keys.size, -1, np.int64)
    if codes.dims is not None:
        whole_dims[key[is_whole]] = codes.dims[rows][is_whole]
    return _Checks(
        relation=breakdown.name, level=column["level"], span=column["span"],
        stamp=column["timestamp"], skill=column["skill"], agent=column["agent"],
        metric=column["metric"], response=column["response"],
        reported=reported[present], parts_sum=sums[present], parts=parts[present],
        bound=breakdown.per_part * parts[present],
        dims=whole_dims[present] if codes.dims is not None else None)


def _running_checks(df: pd.DataFrame, codes: _Codes, running: Running) -> list[_Checks]:
    """Each bucket's share and running share against the histogram's counts."""
    count_code, share_code, running_code = (
        _metric_code(codes, name) for name in (running.count, running.share, running.running))
    if count_code is None or BUCKET_COLUMN not in df.columns:
        return []
    bucket = df[BUCKET_COLUMN].to_numpy(dtype=np.float64, na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(bucket))
    groups = _Keys.pack([(c[rows], width, missing)
                         for c, width, missing in map(codes.dimension, _MAP_KEYS)], extra=1)
    metric, value = codes.metric[rows], codes.value[rows].astype(np.float64)
    is_count = metric == count_code
    counted = pd.DataFrame({"group": groups.key[is_count], "bucket": bucket[rows][is_count],
                            "chats": value[is_count]}).sort_values(["group", "bucket"])
    counted["below"] = counted.groupby("group")["chats"].cumsum()
    by_bucket = counted.set_index(["group", "bucket"])
    total = counted.groupby("group")["chats"].sum()
    buckets = counted.groupby("group").size()
    found = []
    for code, summed in ((share_code, "chats"), (running_code, "below")):
        if code is None:
            continue
        target = np.flatnonzero(metric == code)
        if not len(target):
            continue
        at = pd.MultiIndex.from_arrays([groups.key[target], bucket[rows][target]])
        chats = by_bucket[summed].reindex(at).fillna(0.0).to_numpy()
        whole = total.reindex(groups.key[target]).fillna(0.0).to_numpy()
        expected = np.zeros(len(target))
        np.divide(chats, whole, out=expected, where=whole != 0)
        picked = rows[target]
        found.append(_Checks(
            relation=running.name, level=codes.level[picked], span=codes.span[picked],
            stamp=codes.stamp[picked], skill=codes.skill[picked], agent=codes.agent[picked],
            metric=codes.metric[picked], response=codes.response[picked],
            reported=value[target], parts_sum=expected,
            parts=buckets.reindex(groups.key[target]).fillna(0).to_numpy(np.int64),
            float_tolerance=np.maximum(FLOAT32_PRECISION * np.abs(expected), 1e-12),
            dims=None if codes.dims is None else codes.dims[picked]))
    return found
