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

#: A column of checks: an array, or one value for all of them.
Column = np.ndarray | int


@dataclass
class _Checks:
    """The checks of one relation as flat arrays, before statuses.

    The key columns (``level``, ``span``, ``stamp``, ``skill``, ``agent``, ``response``,
    ``dims``) hold each check's code (-1 for none), or, where ``at`` is given, a table of
    them (each metric map's, which the checks among a map's metrics share; each key's, which
    a key's several metrics share): check ``i``'s is then the table's entry ``at[i]``, read
    once into the checks frame, never copied per check.
    """

    relation: str
    level: Column
    span: Column
    stamp: np.ndarray
    skill: Column
    agent: Column
    metric: Column
    response: np.ndarray
    reported: np.ndarray
    parts_sum: np.ndarray
    parts: Column
    #: for an average or ratio checked against its sums: the float rounding allowed
    float_tolerance: np.ndarray | None = None
    #: the most the parts may differ from the whole, where the relation says so itself
    #: (a second a state, a histogram's float shares)
    bound: np.ndarray | None = None
    #: where the frame has dimension columns (state, reason, bucket): the code
    #: (:attr:`_Codes.dims`) of the values checked, -1 for none
    dims: np.ndarray | None = None
    #: each check's entry in the key columns, where they are a table (see above)
    at: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.reported)


def _assemble(df: pd.DataFrame, codes: _Codes, found: list[_Checks], response: list[str], *,
              rounded: Collection[str], rounding: str) -> pd.DataFrame:
    if not found:
        return _empty(df, response)
    n = sum(map(len, found))
    bounds = [0, *np.cumsum([len(c) for c in found]).tolist()]
    segments = [slice(low, high) for low, high in pairwise(bounds)]

    def cat(name: str, dtype: Any = None) -> np.ndarray:
        """The checks' arrays end to end (as ``np.concatenate``, or cast to ``dtype``)."""
        arrays = [getattr(c, name) for c in found]
        out = np.empty(n, np.result_type(*arrays) if dtype is None else dtype)
        for array, at in zip(arrays, segments, strict=True):
            out[at] = array
        return out

    # fresh memory costs a page fault per page on first touch: no int64 copy of what a
    # categorical keeps as int8
    metric = cat("metric", np.int8 if len(codes.metrics) < 127 else np.int64)
    reported, parts_sum, parts = cat("reported"), cat("parts_sum"), cat("parts", np.int64)
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
    dimensions = _dimension_columns(df, codes, found, segments)
    names = [r.name for r in RELATIONS]
    names += sorted({c.relation for c in found} - set(names))
    relation = np.empty(n, np.int8 if len(names) < 128 else np.int64)
    for check, at in zip(found, segments, strict=True):
        relation[at] = names.index(check.relation)
    out = pd.DataFrame({
        "relation": _categorical(relation, names),
        "level": _categorical(_keyed(found, segments, "level", np.int8), LEVELS),
        "span": _categorical(_keyed(found, segments, "span", np.int8), SPANS),
        "timestamp": pd.Series(utc_stamps(_keyed(found, segments, "stamp", np.int64,
                                                 np.append(codes.stamps, _NO_STAMP)))),
        "skill": _ids(found, segments, "skill", codes.skills),
        "agent": _ids(found, segments, "agent", codes.agents),
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
    if codes.n_responses > 1:
        rows = _keyed(found, segments, "response", np.intp, codes.first_of_response)
        for column in response:
            out[column] = df[column].array.take(rows)
    else:  # one response: its first row's values, repeated
        for column in response:
            out[column] = _repeated(df[column].array, n)
    for key, column in _NAMED:
        if column in df.columns:
            key_codes = _keyed(found, segments, key, np.int64)
            row_of = first_rows(getattr(codes, key), len(getattr(codes, key + "s")))
            rows = np.full(len(key_codes), -1, np.int64)  # -1: no id, no name
            rows[key_codes >= 0] = row_of[key_codes[key_codes >= 0]]
            out[column] = df[column].array.take(rows, allow_fill=True)
    return out


def _keyed(found: list[_Checks], segments: list[slice], name: str, dtype: Any,
           table: np.ndarray | None = None) -> np.ndarray:
    """Each check's code of key column ``name`` end to end, or ``table``'s entry at it (a
    code of -1 reads its last entry); -1 where a check has no such column."""
    within = None if table is None else table.astype(dtype, copy=False)
    out = np.empty(sum(s.stop - s.start for s in segments), dtype)
    per_map: dict[int, np.ndarray] = {}  # a maps' column read through the table, once
    for check, at in zip(found, segments, strict=True):
        column = getattr(check, name)
        if column is None or np.ndim(column) == 0:
            code = -1 if column is None else int(column)
            out[at] = code if within is None else within[code]
        elif check.at is not None:
            if id(column) not in per_map:
                per_map[id(column)] = (column if within is None else np.take(
                    within, column, mode="wrap")).astype(dtype, copy=False)
            np.take(per_map[id(column)], check.at, out=out[at])
        elif within is None:
            out[at] = column
        else:
            np.take(within, column, out=out[at], mode="wrap")
    return out


def _ids(found: list[_Checks], segments: list[slice], name: str, ids: np.ndarray) -> Any:
    """The ids of each check's skill or agent, missing where it has none."""
    values = _keyed(found, segments, name, np.int64, np.append(ids, 0))
    missing = _keyed(found, segments, name, np.bool_,
                     np.append(np.zeros(len(ids), bool), True))
    return pd.arrays.IntegerArray(values, missing)


def _repeated(values: Any, n: int) -> Any:
    """The first of ``values``, ``n`` times (a categorical's code, not a take of n rows)."""
    if isinstance(values, pd.Categorical):
        code = np.asarray(values.codes)[:1]
        return pd.Categorical.from_codes(np.repeat(code, n), dtype=values.dtype,
                                         validate=False)
    return values.take(np.zeros(n, np.intp))


def _check_bounds(check: _Checks, diff: np.ndarray, parts: np.ndarray, rounded: np.ndarray,
                  rounding: str, *, tolerance: np.ndarray, beyond: np.ndarray,
                  recomputed: np.ndarray) -> None:
    """Write one check's tolerance and how far beyond it each difference lies (and which
    rows are averages recomputed from their sums) into the given views."""
    own = [(check.float_tolerance, True), (check.bound, False)]
    if any(bound is None or np.isnan(bound).any() for bound, _ in own):
        _rounding_bounds(diff, parts, rounded, rounding, tolerance=tolerance, beyond=beyond)
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




def _dimension_columns(df: pd.DataFrame, codes: _Codes, found: list[_Checks],
                       segments: list[slice]) -> dict[str, Any]:
    """The frame's dimension columns (state, Away reason, bucket) at each check, named as
    :data:`CHECK_DIMENSIONS` says: where it was found (agentactivity's Online, sla's bucket
    30), missing where a check has none."""
    present = [c for c in DIMENSION_COLUMNS if c in df.columns]
    if not present or codes.dims is None:
        return {}
    dims = _keyed(found, segments, "dims", np.int64)
    row_of = first_rows(codes.dims, codes.n_dims)
    rows = np.full(len(dims), -1, np.int64)
    rows[dims >= 0] = row_of[dims[dims >= 0]]
    return {CHECK_DIMENSIONS[c]: df[c].array.take(rows, allow_fill=True) for c in present}


def _rounding_bounds(diff: np.ndarray, parts: np.ndarray, rounded: np.ndarray,
                     rounding: str, *, tolerance: np.ndarray | None = None,
                     beyond: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The most rounding explains [s], and how far each difference lies beyond it (written
    into ``tolerance`` and ``beyond`` where given: float64 arrays of ``diff``'s length).

    To the nearest, each of the n parts and the whole is within half a second of what it
    measures, so the parts' sum differs from the whole by less than (n + 1) / 2: at most
    ``n // 2`` whole seconds, either way. Truncated, each loses less than a second: the sum
    falls short by less than n (at most ``n - 1``) and never exceeds the whole.
    """
    diff = np.asarray(diff, np.float64)
    tolerance = np.empty(len(diff)) if tolerance is None else tolerance
    beyond = np.empty(len(diff)) if beyond is None else beyond
    # in place: a temporary of every check's length is fresh memory, a page fault a page
    if rounding == "nearest":
        np.floor_divide(parts, 2, out=tolerance, casting="unsafe")
    else:
        np.subtract(parts, 1, out=tolerance, casting="unsafe")
        np.maximum(tolerance, 0.0, out=tolerance)
    np.multiply(tolerance, rounded, out=tolerance)  # 0 where not rounded
    if rounding == "nearest":
        np.abs(diff, out=beyond)
        beyond -= tolerance
        np.maximum(beyond, 0.0, out=beyond)
    else:
        np.negative(diff, out=beyond)
        beyond -= tolerance
        np.maximum(beyond, 0.0, out=beyond)
        beyond += np.maximum(diff, 0.0)
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
