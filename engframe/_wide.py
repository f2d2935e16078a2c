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
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engframe._arrow import ColumnSpec, to_frame, to_table
from engframe._keys import group_ids
from engframe.derive._attrs import INTEGER_METRICS
from engframe.errors import FrameError

__all__ = ["from_wide", "integer_metrics", "to_wide"]

METRIC: Final = "metric"
VALUE: Final = "value"


def to_wide(df: pd.DataFrame, *, where: str) -> pa.Table:
    """Pivot a tidy frame to the wide Arrow table: key columns, then one per metric.

    Raises
    ------
    FrameError
        If two rows share a key and a metric, or a metric is named like a key column.
    """
    keys = [name for name in df.columns if name not in (METRIC, VALUE)]
    metric = df[METRIC].astype("category").array
    names = [str(name) for name in metric.categories]
    clash = sorted(set(names) & set(keys))
    if clash:
        raise FrameError(f"{where}: metric {clash[0]!r} has the name of a column; "
                         "the wide layout cannot hold both (use layout='long')")
    if (metric.codes < 0).any():
        raise FrameError(f"{where}: column 'metric' holds <NA>; every value needs a metric name")
    ids, _ = group_ids([df[name] for name in keys]) if keys else (np.zeros(len(df), np.int64), 1)
    groups, first, row_group = np.unique(ids, return_index=True, return_inverse=True)
    cell = row_group.astype(np.int64).ravel() * len(names) + metric.codes
    counts = np.bincount(cell, minlength=len(groups) * len(names))
    if (counts > 1).any():
        at = int(np.argmax(counts > 1))
        raise FrameError(
            f"{where}: {int((counts > 1).sum())} (key, metric) pair(s) hold more than one "
            f"value, e.g. metric {names[at % len(names)]!r} at row {int(first[at // len(names)])}"
            "; the wide layout needs one value per pair (use layout='long')"
        )
    values = df[VALUE].to_numpy()
    grid = np.zeros(len(groups) * len(names), values.dtype)
    grid[cell] = values
    grid = grid.reshape(len(groups), len(names))
    absent = (counts == 0).reshape(len(groups), len(names))
    table = to_table(df[keys].iloc[first].reset_index(drop=True), where=where)
    whole = set(integer_metrics(df)) if values.dtype.kind == "f" else set()
    for j, name in enumerate(names):
        cells = np.ascontiguousarray(grid[:, j])
        if name in whole and (np.rint(cells) == cells).all():  # whole: exact as integers
            cells = cells.astype(np.int64)
        column = pa.array(cells, mask=np.ascontiguousarray(absent[:, j]))
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
