"""The shape of a derived frame: the in-memory ``derive``'s tidy long rows, from group arrays."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.schema import COLUMNS, LEVELS, METHOD_COLUMN, SPANS, categorical, utc_stamps

__all__ = ["long_frame"]

_LEVEL_DTYPE: Final = pd.CategoricalDtype(list(LEVELS))
_SPAN_DTYPE: Final = pd.CategoricalDtype(list(SPANS))


def long_frame(values: dict[str, np.ndarray], *, keys: list[str], key_values: list[pd.Series],
               end: np.ndarray, start: np.ndarray | None, level: str, span: str,
               attrs: dict[Any, Any], method: str | None = None,
               method_column: bool = True) -> pd.DataFrame:
    """One block of rows per metric, as :func:`engframe.derive` returns them.

    ``values`` holds each metric's value per group; ``key_values`` each ``by`` key's value
    per group; ``end``/``start`` the newest period end and the earliest start per group
    [epoch ms, int64 min for none]; ``method`` the ``method`` column's value (``<NA>``
    when None; no column without ``method_column``).
    """
    names = list(values)
    blocks = len(names)
    n = len(end)
    repeat = np.tile(np.arange(n), blocks)

    def ids(key: str) -> Any:
        if key in keys:
            return key_values[keys.index(key)].astype("Int64").array.take(repeat)
        return pd.arrays.IntegerArray(np.zeros(n * blocks, np.int64), np.ones(n * blocks, bool))

    out = pd.DataFrame(
        {
            "timestamp": utc_stamps(end[repeat] if n else end).array,
            "skill": ids("skill"),
            "agent": ids("agent"),
            "metric": categorical(np.repeat(np.arange(blocks), n), names),
            "value": (np.concatenate([values[m] for m in names]).astype(np.float64)
                      if names else np.zeros(0)),
            "level": pd.Categorical.from_codes(np.full(n * blocks, LEVELS.index(level)),
                                               dtype=_LEVEL_DTYPE),
            "span": pd.Categorical.from_codes(np.full(n * blocks, SPANS.index(span)),
                                              dtype=_SPAN_DTYPE),
        },
        copy=False,
    )
    if method_column:
        out[METHOD_COLUMN] = categorical(np.full(n * blocks, 0 if method else -1, np.int8),
                                         [method] if method else [])
    for key, column in zip(keys, key_values, strict=True):
        if key not in COLUMNS:
            out[key] = column.array.take(repeat)
    if start is not None and "start" not in keys:
        out["start"] = utc_stamps(start[repeat] if n else start).array
    out.attrs = attrs
    return out
