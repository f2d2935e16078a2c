"""The upsert rule of the history dataset: which row a key keeps.

A key is (timestamp, span, level, skill, agent, metric), plus, for whole-timeframe rows,
the window start: two fetches' timeframe rows cover different windows and are kept apart
(the account is the partition's). Among the rows of one key the best one stays, ranked by

1. ``complete``: a complete interval is never replaced by a partial one;
2. coverage (``timestamp - start``): the API's oldest interval holds only the remainder
   of the window, so it never replaces a fuller value of the same interval (unknown
   ``start`` ranks lowest);
3. ``fetched_at``: of equally complete rows, the later fetch wins;
4. the stored row on a tie, and among new rows the one that comes last.

A new row that wins but says what the stored row says (same value, ``complete`` and
``start``) leaves the stored row in place, so re-exporting a fetch changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from engframe._keys import group_ids

__all__ = ["KEY", "Upsert", "upsert"]

#: The columns that identify a row in a partition (the window start joins them for
#: whole-timeframe rows).
KEY: Final = ("timestamp", "span", "level", "skill", "agent", "metric")
_NAT: Final = np.iinfo(np.int64).min
_PACK_LIMIT: Final = 2**62


@dataclass(frozen=True, slots=True)
class Upsert:
    """A partition after an upsert, and what the new rows did to it."""

    frame: pd.DataFrame
    inserted: int
    updated: int

    @property
    def changed(self) -> bool:
        """Whether the partition must be written again."""
        return bool(self.inserted or self.updated)


def upsert(old: pd.DataFrame, new: pd.DataFrame) -> Upsert:
    """Merge ``new`` rows into a partition's ``old`` rows, one row per key.

    Both frames hold the dataset's stored columns with equal dtypes (``metric`` with the
    same categories). The result is sorted by key.
    """
    both = pd.concat([old, new], ignore_index=True) if len(old) else new.reset_index(drop=True)
    is_old = np.zeros(len(both), np.int64)
    is_old[: len(old)] = 1
    stamps = _ms(both["timestamp"])
    start = _ms(both["start"])
    window = np.where((both["span"] == "timeframe").to_numpy(), start, _NAT)
    ids, bound = group_ids([stamps, _codes(both["span"]), _codes(both["level"]),
                            _ids(both["skill"]), _ids(both["agent"]), _codes(both["metric"]),
                            window])
    complete = both["complete"].to_numpy(bool)
    coverage = np.where(start == _NAT, -1, stamps - start)
    order = _best_last(ids, bound, [complete.astype(np.int64), coverage,
                                    _ms(both["fetched_at"]), is_old])
    sorted_ids = ids[order]
    boundary = np.empty(len(order), bool)
    boundary[:-1] = sorted_ids[1:] != sorted_ids[:-1]
    boundary[-1:] = True
    winners = order[boundary]
    group = np.cumsum(np.r_[True, boundary[:-1]]) - 1
    stored = np.full(len(winners), -1, np.int64)
    old_at = np.flatnonzero(is_old[order])
    stored[group[old_at]] = order[old_at]
    challenged = (is_old[winners] == 0) & (stored >= 0)
    if challenged.any():
        same = _same(both, winners[challenged], stored[challenged], start, complete)
        keep = np.flatnonzero(challenged)[same]
        winners[keep] = stored[keep]
    fresh = is_old[winners] == 0
    updated = int((fresh & (stored >= 0)).sum())
    inserted = int(fresh.sum()) - updated
    if not fresh.any() and len(winners) == len(old):
        return Upsert(old, 0, 0)
    if len(winners) < len(old) and not inserted and not updated:
        updated = len(old) - len(winners)  # duplicate stored rows folded: write it again
    return Upsert(both.take(winners).reset_index(drop=True), inserted, updated)


def _best_last(ids: np.ndarray, bound: int, ranks: list[np.ndarray]) -> np.ndarray:
    """Row order by key, then by ``ranks`` (most important first), best row of a key last.

    The ranks are coded densely and packed with the key into one int64 when they fit, so
    one stable sort does it (fast on the nearly sorted rows of a stored partition and a
    fetch); otherwise a lexicographic sort.
    """
    packed, size = ids.astype(np.int64, copy=True), bound
    for rank in ranks:
        codes, uniques = pd.factorize(rank, sort=True)
        if size > _PACK_LIMIT // max(len(uniques), 1):
            return np.lexsort((*reversed(ranks), ids))
        packed = packed * len(uniques) + codes
        size *= len(uniques)
    return np.argsort(packed, kind="stable")


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """A categorical column's codes and its number of categories."""
    return column.cat.codes.to_numpy(), len(column.cat.categories)


def _ids(column: pd.Series) -> np.ndarray:
    """Int64 ids as int64, ``<NA>`` as the smallest int64 (sorts first, as ``<NA>`` does)."""
    return column.to_numpy(np.int64, na_value=_NAT)


def _same(both: pd.DataFrame, a: np.ndarray, b: np.ndarray, start: np.ndarray,
          complete: np.ndarray) -> np.ndarray:
    value = both["value"].to_numpy()
    same_value = value[a] == value[b]
    if value.dtype.kind == "f":
        same_value |= np.isnan(value[a]) & np.isnan(value[b])
    same: np.ndarray = same_value & (complete[a] == complete[b]) & (start[a] == start[b])
    return same


def _ms(column: pd.Series) -> np.ndarray:
    """Epoch milliseconds of a ``datetime64[ms, UTC]`` column, NaT as int64 min."""
    return column.to_numpy("datetime64[ms]").view(np.int64)
