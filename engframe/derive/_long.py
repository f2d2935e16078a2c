"""The shape of a derived frame: one block of tidy long rows per metric, from group arrays.

What the in-memory :func:`engframe.derive` and the out-of-core one (:mod:`engframe.lazy`)
both return, built once here from per-group arrays.

Examples
--------
>>> out = long_frame({"chats": np.array([3.0, 4.0])}, keys=["skill"],
...                  key_values=[pd.Series([7, 8])], end=np.array([0, 0]), start=None,
...                  level="skill", span="interval", attrs={})
>>> out[["skill", "metric", "value"]].to_numpy().tolist()
[[7, 'chats', 3.0], [8, 'chats', 4.0]]
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.schema import COLUMNS, LEVELS, METHOD_COLUMN, SPANS, categorical, utc_stamps

__all__ = ["long_frame", "one_method"]

_LEVEL_DTYPE: Final = pd.CategoricalDtype(list(LEVELS))
_SPAN_DTYPE: Final = pd.CategoricalDtype(list(SPANS))


def one_method(n: int, method: str | None) -> Any:
    """The ``method`` column's values of ``n`` groups of one method (``<NA>`` when None)."""
    return categorical(np.full(n, 0 if method else -1, np.int8), [method] if method else [])


def long_frame(values: dict[str, np.ndarray], *, keys: list[str], key_values: list[pd.Series],
               end: np.ndarray, start: np.ndarray | None, level: str, span: str,
               attrs: dict[Any, Any], method: Any = None) -> pd.DataFrame:
    """One block of rows per metric, as :func:`engframe.derive` returns them.

    ``values`` holds each metric's value per group; ``key_values`` each ``by`` key's value
    per group; ``end``/``start`` the newest period end and the earliest start per group
    [epoch ms, int64 min for none]; ``method`` the ``method`` column's value per group (a
    categorical; no column when None). Values come out as float64.
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
    if method is not None:
        out[METHOD_COLUMN] = method.take(repeat)
    for key, column in zip(keys, key_values, strict=True):
        if key not in COLUMNS:
            out[key] = column.array.take(repeat)
    if start is not None and "start" not in keys:
        out["start"] = utc_stamps(start[repeat] if n else start).array
    out.attrs = attrs
    return out
