"""The wide layout: one column per metric, for BI tools that want measures as columns.

Every column of the tidy frame but ``metric`` and ``value`` identifies a row of the wide
table (timestamp, skill, agent, level, span and the optional account, fetched_at, start,
complete, source); each metric becomes a column of the value's dtype (integer counts and
seconds for raw frames; for derived ones float, except the metrics ``df.attrs
["integer_metrics"]`` names, such as ``totalChats``, which are sums of integer counts and
are stored as integers). An empty (null) cell means the long frame had no row there; a NaN
cell is a row whose value was NaN, so going back is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engframe._arrow import ColumnSpec, to_frame, to_table
from engframe._keys import first_rows, group_ids
from engframe.derive._attrs import INTEGER_METRICS
from engframe.errors import FrameError

__all__ = ["Pivot", "from_wide", "integer_metrics", "pivot", "to_wide", "whole_cells"]

METRIC: Final = "metric"
VALUE: Final = "value"


@dataclass(frozen=True)
class Pivot:
    """A tidy frame pivoted: one row per combination of its other columns.

    ``keys`` holds those columns (one row each), ``grid[i, j]`` the value of metric
    ``names[j]`` in row ``i`` and ``absent[i, j]`` whether the frame had no such value;
    ``used`` lists the metric positions the frame holds, in first-seen order (pivots in
    first-seen order only).
    """

    keys: pd.DataFrame
    names: list[str]
    grid: np.ndarray
    absent: np.ndarray
    used: list[int]


def pivot(df: pd.DataFrame, *, where: str, first_seen: bool, advice: str) -> Pivot:
    """Pivot ``df`` by integer codes (no string per row); rows sorted or in first-seen order.

    Raises
    ------
    FrameError
        If a metric is named like a key column or is missing, or two rows share a key and
        a metric; ``advice`` ends the message (what to do instead).
    """
    keys = [name for name in df.columns if name not in (METRIC, VALUE)]
    metric = df[METRIC].astype("category").array
    codes = np.asarray(metric.codes, np.int64)
    names = [str(name) for name in metric.categories]
    clash = sorted(set(names) & set(keys))
    if clash:
        raise FrameError(f"{where}: metric {clash[0]!r} has the name of a column; "
                         f"the wide form cannot hold both ({advice})")
    if (codes < 0).any():
        raise FrameError(f"{where}: column 'metric' holds <NA>; every value needs a metric name")
    if not (keys and len(df)):
        row, n = np.zeros(len(df), np.int64), 1 if len(df) else 0
        first = np.zeros(n, np.int64)
    elif first_seen:
        found, uniques = pd.factorize(group_ids([df[name].array for name in keys])[0])
        row, n = found.astype(np.int64, copy=False), len(uniques)
        first = first_rows(row, n)
    else:
        groups, first, found = np.unique(group_ids([df[name] for name in keys])[0],
                                         return_index=True, return_inverse=True)
        row, n = found.astype(np.int64).ravel(), len(groups)
    cell = row * len(names) + codes
    counts = np.bincount(cell, minlength=n * len(names))
    if (counts > 1).any():
        at = int(np.argmax(counts > 1))
        raise FrameError(
            f"{where}: {int((counts > 1).sum())} (key, metric) pair(s) hold more than one "
            f"value, e.g. metric {names[at % len(names)]!r} at row {int(first[at // len(names)])}"
            f"; {advice}"
        )
    values = df[VALUE].to_numpy()
    grid = np.zeros(n * len(names), values.dtype)
    grid[cell] = values
    return Pivot(keys=df[keys].take(first).reset_index(drop=True), names=names,
                 grid=grid.reshape(n, len(names)),
                 absent=(counts == 0).reshape(n, len(names)),
                 used=[int(c) for c in pd.unique(codes)] if first_seen else [])


def whole_cells(df: pd.DataFrame, name: str, cells: np.ndarray) -> bool:
    """Whether metric ``name``'s float ``cells`` are counts to store as integers.

    A derived frame's sums of counts (``df.attrs["integer_metrics"]``) whose every cell is
    whole; integer values are integers already.
    """
    return cells.dtype.kind == "f" and name in integer_metrics(df) and bool(
        (np.rint(cells) == cells).all())


def to_wide(df: pd.DataFrame, *, where: str) -> pa.Table:
    """Pivot a tidy frame to the wide Arrow table: key columns (sorted), then one per metric.

    Raises
    ------
    FrameError
        If two rows share a key and a metric, or a metric is named like a key column.
    """
    wide = pivot(df, where=where, first_seen=False,
                 advice="the wide layout needs one value per pair (use layout='long')")
    table = to_table(wide.keys, where=where)
    for j, name in enumerate(wide.names):
        cells = np.ascontiguousarray(wide.grid[:, j])
        if whole_cells(df, name, cells):  # whole: exact as integers
            cells = cells.astype(np.int64)
        column = pa.array(cells, mask=np.ascontiguousarray(wide.absent[:, j]))
        table = table.append_column(name, column)
    return table


def integer_metrics(df: pd.DataFrame) -> list[str]:
    """The metrics ``df.attrs`` says hold whole numbers though ``value`` is float."""
    names = df.attrs.get(INTEGER_METRICS)
    if not isinstance(names, list | tuple):
        return []
    return [name for name in names if isinstance(name, str)]


def from_wide(table: pa.Table, specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    """Unpivot a wide table back to the long frame ``specs`` describe (key-major order)."""
    by_name = {spec.name: spec for spec in specs}
    metric_spec, value_spec = by_name[METRIC], by_name[VALUE]
    names = [str(name) for name in (metric_spec.categories or ())]
    names += [n for n in table.column_names if n not in by_name and n not in names]
    key_specs = [spec for spec in specs if spec.name not in (METRIC, VALUE)]
    keys = to_frame(table, key_specs)
    dtype = np.dtype(value_spec.dtype)
    present = np.zeros((table.num_rows, len(names)), bool)
    grid = np.zeros((table.num_rows, len(names)), dtype)
    for j, name in enumerate(names):
        if name in table.column_names:
            column = table.column(name)
            present[:, j] = column.is_valid().to_numpy(zero_copy_only=False)
            grid[:, j] = pc.fill_null(column, 0).to_numpy().astype(dtype, copy=False)
    rows, cols = np.nonzero(present)
    long = keys.take(rows).reset_index(drop=True)
    metric = pd.Categorical.from_codes(
        cols, dtype=pd.CategoricalDtype(names, ordered=metric_spec.ordered)
    )
    columns: dict[str, Any] = {}
    for spec in specs:
        if spec.name == METRIC:
            columns[METRIC] = metric
        elif spec.name == VALUE:
            columns[VALUE] = grid[rows, cols]
        else:
            columns[spec.name] = long[spec.name]
    return pd.DataFrame(columns, copy=False)
