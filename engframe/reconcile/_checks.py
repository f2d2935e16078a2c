"""The checks of one relation as arrays, and the checks frame assembled from them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from engframe._keys import first_rows
from engframe.reconcile._codes import _Codes
from engframe.reconcile._terms import (
    _NAMED,
    _NO_STAMP,
    _OVER,
    _RECOMPUTED,
    _ROUNDING,
    _SHORT,
    CHECK_DIMENSIONS,
    REASONS,
    STATUSES,
)
from engframe.schema import DIMENSION_COLUMNS, LEVELS, SPANS, TIMESTAMP_DTYPE, utc_stamps
from engframe.scope import RELATIONS


@dataclass
class _Checks:
    """The checks of one relation as flat arrays, before statuses."""

    relation: str
    level: np.ndarray
    span: np.ndarray
    stamp: np.ndarray
    skill: np.ndarray
    agent: np.ndarray
    metric: np.ndarray
    response: np.ndarray
    reported: np.ndarray
    parts_sum: np.ndarray
    parts: np.ndarray
    #: for an average or ratio checked against its sums: the float rounding allowed
    float_tolerance: np.ndarray | None = None
    #: the most the parts may differ from the whole, where the relation says so itself
    #: (a second a state, a histogram's float shares)
    bound: np.ndarray | None = None
    #: where the frame has dimension columns (state, reason, bucket): the code
    #: (:attr:`_Codes.dims`) of the values checked, -1 for none
    dims: np.ndarray | None = None



def _assemble(df: pd.DataFrame, codes: _Codes, found: list[_Checks], response: list[str], *,
              rounded: Collection[str], rounding: str) -> pd.DataFrame:
    if not found:
        return _empty(df, response)
    n = sum(len(c.metric) for c in found)
    bounds = [0, *np.cumsum([len(c.metric) for c in found]).tolist()]
    segments = [slice(low, high) for low, high in pairwise(bounds)]

    def cat(name: str, dtype: Any = None) -> np.ndarray:
        """The checks' arrays end to end (as ``np.concatenate``, or cast to ``dtype``)."""
        arrays = [getattr(c, name) for c in found]
        out = np.empty(n, np.result_type(*arrays) if dtype is None else dtype)
        for array, at in zip(arrays, segments, strict=True):
            out[at] = array
        return out

    def taken(name: str, table: np.ndarray, fill: int) -> np.ndarray:
        """``table``'s entry at each check's code of column ``name`` (-1: ``fill``)."""
        # "wrap" reads a code of -1 as the appended last entry
        within = np.append(table.astype(np.int64, copy=False), fill)
        out = np.empty(n, np.int64)
        for check, at in zip(found, segments, strict=True):
            np.take(within, getattr(check, name), out=out[at], mode="wrap")
        return out

    def missing(name: str) -> np.ndarray:
        out = np.empty(n, bool)
        for check, at in zip(found, segments, strict=True):
            np.less(getattr(check, name), 0, out=out[at])
        return out

    # fresh memory costs a page fault per page on first touch: no int64 copy of what a
    # categorical keeps as int8
    metric = cat("metric", np.int8 if len(codes.metrics) < 127 else None)
    reported, parts_sum, parts = cat("reported"), cat("parts_sum"), cat("parts")
    diff = parts_sum - reported
    is_rounded = np.isin(np.asarray(codes.metrics, dtype=object), list(rounded))
    tolerance, beyond = np.empty(n), np.empty(n)
    recomputed = np.zeros(n, bool)
    for check, at in zip(found, segments, strict=True):
        # each check's own bound where it says one (an average or ratio against its sums:
        # the API's float rounding either way), else the rounding of its parts
        _check_bounds(check, diff[at], parts[at], is_rounded[metric[at]], rounding,
                      tolerance=tolerance[at], beyond=beyond[at], recomputed=recomputed[at])
    outside = beyond > 0
    reason = np.zeros(n, np.int8)  # _EXACT
    reason[(diff != 0) & (beyond == 0)] = _ROUNDING
    reason[outside & (diff > 0)] = _OVER
    reason[outside & (diff < 0)] = _SHORT
    reason[outside & recomputed] = _RECOMPUTED
    status = np.array([0, 1, 2, 2, 2], np.int8)[reason]
    relative = np.full(n, np.nan)
    np.divide(diff, reported, out=relative, where=reported != 0)
    relative[(reported == 0) & (diff == 0)] = 0.0
    value_dtype = np.float64 if codes.value.dtype.kind == "f" else np.int64
    dimensions = _dimension_columns(df, codes, found)
    names = [r.name for r in RELATIONS]
    names += sorted({c.relation for c in found} - set(names))
    relation = np.empty(n, np.int8 if len(names) < 128 else np.int64)
    for check, at in zip(found, segments, strict=True):
        relation[at] = names.index(check.relation)
    out = pd.DataFrame({
        "relation": _categorical(relation, names),
        "level": _categorical(cat("level", np.int8), LEVELS),
        "span": _categorical(cat("span", np.int8), SPANS),
        "timestamp": pd.Series(utc_stamps(taken("stamp", codes.stamps, _NO_STAMP))),
        "skill": pd.arrays.IntegerArray(taken("skill", codes.skills, 0), missing("skill")),
        "agent": pd.arrays.IntegerArray(taken("agent", codes.agents, 0), missing("agent")),
        **dimensions,
        "metric": _categorical(metric, codes.metrics),
        "reported": reported.astype(value_dtype, copy=False),
        "sum_of_parts": parts_sum.astype(value_dtype, copy=False),
        "difference": diff.astype(value_dtype, copy=False),
        "relative_difference": relative,
        "parts": parts,
        "tolerance": tolerance,
        "beyond": beyond,
        "status": _categorical(status, pd.CategoricalDtype(list(STATUSES), ordered=True)),
        "reason": _categorical(reason, REASONS),
    }, copy=False)
    rows = (taken("response", codes.first_of_response, 0) if codes.n_responses > 1
            else np.zeros(n, np.intp))  # one response: its first row, 0 (zeroed, not written)
    for column in response:
        out[column] = df[column].array.take(rows)
    for key, column in _NAMED:
        if column in df.columns:
            key_codes = cat(key)
            row_of = first_rows(getattr(codes, key), len(getattr(codes, key + "s")))
            rows = np.full(len(key_codes), -1, np.int64)  # -1: no id, no name
            rows[key_codes >= 0] = row_of[key_codes[key_codes >= 0]]
            out[column] = df[column].array.take(rows, allow_fill=True)
    return out


def _check_bounds(check: _Checks, diff: np.ndarray, parts: np.ndarray, rounded: np.ndarray,
                  rounding: str, *, tolerance: np.ndarray, beyond: np.ndarray,
                  recomputed: np.ndarray) -> None:
    """Write one check's tolerance and how far beyond it each difference lies (and which
    rows are averages recomputed from their sums) into the given views."""
    own = [(check.float_tolerance, True), (check.bound, False)]
    if any(bound is None or np.isnan(bound).any() for bound, _ in own):
        tolerance[:], beyond[:] = _rounding_bounds(diff, parts, rounded, rounding)
    for bound, is_recomputed in own:
        if bound is None:
            continue
        held = ~np.isnan(bound)
        if is_recomputed:
            recomputed[:] = held
        if held.all():
            tolerance[:] = bound
            np.maximum(np.abs(diff) - bound, 0.0, out=beyond)
        else:
            tolerance[:] = np.where(held, bound, tolerance)
            beyond[:] = np.where(held, np.maximum(np.abs(diff) - bound, 0.0), beyond)


def _categorical(codes: np.ndarray,
                 categories: Sequence[Any] | pd.Index | pd.CategoricalDtype) -> Any:
    """A categorical from codes known to be valid (-1 for missing), without a check."""
    dtype = (categories if isinstance(categories, pd.CategoricalDtype)
             else pd.CategoricalDtype(categories if isinstance(categories, pd.Index)
                                      else list(categories)))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)




def _dimension_columns(df: pd.DataFrame, codes: _Codes,
                       found: list[_Checks]) -> dict[str, Any]:
    """The frame's dimension columns (state, Away reason, bucket) at each check, named as
    :data:`CHECK_DIMENSIONS` says: where it was found (agentactivity's Online, sla's bucket
    30), missing where a check has none."""
    present = [c for c in DIMENSION_COLUMNS if c in df.columns]
    if not present or codes.dims is None:
        return {}
    dims = np.concatenate([c.dims if c.dims is not None else np.full(len(c.metric), -1)
                           for c in found])
    row_of = first_rows(codes.dims, codes.n_dims)
    rows = np.full(len(dims), -1, np.int64)
    rows[dims >= 0] = row_of[dims[dims >= 0]]
    return {CHECK_DIMENSIONS[c]: df[c].array.take(rows, allow_fill=True) for c in present}


def _rounding_bounds(diff: np.ndarray, parts: np.ndarray, rounded: np.ndarray,
                    rounding: str) -> tuple[np.ndarray, np.ndarray]:
    """The most rounding explains [s], and how far each difference lies beyond it.

    To the nearest, each of the n parts and the whole is within half a second of what it
    measures, so the parts' sum differs from the whole by less than (n + 1) / 2: at most
    ``n // 2`` whole seconds, either way. Truncated, each loses less than a second: the sum
    falls short by less than n (at most ``n - 1``) and never exceeds the whole.
    """
    diff = np.asarray(diff, np.float64)
    if rounding == "nearest":
        tolerance = np.where(rounded, parts // 2, 0).astype(np.float64)
        beyond = np.maximum(np.abs(diff) - tolerance, 0.0)
    else:
        tolerance = np.where(rounded, np.maximum(parts - 1, 0), 0).astype(np.float64)
        beyond = np.maximum(diff, 0.0) + np.maximum(-diff - tolerance, 0.0)
    return tolerance, beyond


def empty_checks(value_dtype: type, dimensions: Mapping[str, pd.Series] | None = None
                 ) -> pd.DataFrame:
    """The checks frame of no check: its columns and dtypes (``value_dtype`` the values'),
    with the frame's ``dimensions`` (state, Away reason, bucket) after the ids."""
    return pd.DataFrame({
        "relation": pd.Categorical([], categories=[r.name for r in RELATIONS]),
        "level": pd.Categorical([], categories=list(LEVELS)),
        "span": pd.Categorical([], categories=list(SPANS)),
        "timestamp": pd.Series([], dtype=TIMESTAMP_DTYPE),
        "skill": pd.array([], dtype="Int64"),
        "agent": pd.array([], dtype="Int64"),
        **(dimensions or {}),
        "metric": pd.Categorical([]),
        "reported": np.zeros(0, value_dtype),
        "sum_of_parts": np.zeros(0, value_dtype),
        "difference": np.zeros(0, value_dtype),
        "relative_difference": np.zeros(0),
        "parts": np.zeros(0, np.int64),
        "tolerance": np.zeros(0),
        "beyond": np.zeros(0),
        "status": pd.Categorical([], dtype=pd.CategoricalDtype(list(STATUSES), ordered=True)),
        "reason": pd.Categorical([], categories=list(REASONS)),
    })


def _empty(df: pd.DataFrame, response: list[str]) -> pd.DataFrame:
    out = empty_checks(np.float64 if df["value"].dtype.kind == "f" else np.int64,
                       {CHECK_DIMENSIONS[c]: df[c].iloc[:0].reset_index(drop=True)
                        for c in DIMENSION_COLUMNS if c in df.columns})
    for column in response:
        out[column] = df[column].iloc[:0].reset_index(drop=True)
    for _, column in _NAMED:
        if column in df.columns:
            out[column] = df[column].iloc[:0].reset_index(drop=True)
    return out
