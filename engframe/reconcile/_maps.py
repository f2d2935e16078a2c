"""The table of metric maps: each metric's sum and count per map, gathered in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np

from engframe._keys import BLOCK
from engframe.reconcile._codes import _Codes, _Keys

#: The key columns of a check among the metrics of one row (one metric map).
_ROW_KEYS: Final = ("response", "level", "span", "timestamp", "skill", "agent", "dims")


@dataclass
class _Maps:
    """The metric maps of a frame whose maps' rows are contiguous (as ``flatten`` and
    ``read_dataset`` lay them out): each involved metric's sum and count per map, gathered in
    one pass, so that every check among a map's metrics is a few column operations."""

    starts: np.ndarray  # the first row of each map
    slots: dict[int, int]  # metric code -> column
    counts: np.ndarray  # (metrics, maps): a metric's counts are contiguous
    sums: np.ndarray
    columns: dict[str, np.ndarray]  # each map's key columns (its first row's codes)
    #: every row is in a map's slot and no map holds a metric twice: sums over maps, in the
    #: frame's order, are sums over rows (relations between levels read the maps then)
    whole: bool = False
    _held: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, codes: _Codes, metrics: Sequence[int]) -> _Maps | None:
        n = len(codes.metric)
        if not n or not metrics:
            return None
        varying = [name for name in _ROW_KEYS if codes.varies(name)]
        change = np.zeros(n, bool)
        change[0] = True
        differs = np.empty(n - 1, bool)
        runs = codes.runs or {}
        for name in varying:
            if name in runs:  # equal codes are equal values: their runs, already found
                change[runs[name]] = True
                continue
            code = codes.dimension(name)[0]
            np.not_equal(code[1:], code[:-1], out=differs)
            np.logical_or(change[1:], differs, out=change[1:])
        del differs
        starts = np.flatnonzero(change)
        columns = {name: (codes.dimension(name)[0][starts] if name in varying
                          else np.zeros(len(starts), np.int64)) for name in _ROW_KEYS}
        keys = _Keys.pack([(columns[name], *codes.dimension(name)[1:]) for name in _ROW_KEYS],
                          extra=1)
        if keys.packed is None:
            if len(starts) and np.bincount(keys.key, minlength=keys.size).max() > 1:
                return None  # a map's rows are not contiguous: the general way
        elif keys.size < len(starts):
            return None
        # each row's cell: its metric's row of the table (a spare last row for the metrics
        # no check reads), its map's column; summed in row order, as bincount does
        slots = {code: i for i, code in enumerate(metrics)}
        width, n_maps = len(slots) + 1, len(starts)
        lookup = np.full(len(codes.metrics) + 1, (width - 1) * n_maps, np.int64)
        for metric, row in slots.items():
            lookup[metric] = row * n_maps
        if codes.weights is not None:
            placed = _placed(change, codes.metric, codes.weights, lookup, width, n_maps)
            if placed is not None:
                return cls(starts, slots, *placed, columns, whole=True)
        cell = np.cumsum(change, dtype=np.int64)
        del change
        cell -= 1
        cell += lookup[codes.metric]  # a metric code of -1 reads the spare last entry
        cells = n_maps * width
        counted = np.bincount(cell, minlength=cells).reshape(width, n_maps)
        counts = counted[:-1]
        values = codes.weights if codes.weights is not None else codes.value.astype(np.float64)
        sums = np.bincount(cell, weights=values, minlength=cells).reshape(width, n_maps)[:-1]
        whole = (codes.weights is not None and not counted[-1].any()
                 and (not counts.size or int(counts.max()) <= 1))
        return cls(starts, slots, counts, sums, columns, whole)

    @cached_property
    def held_codes(self) -> np.ndarray:
        """The codes of the metrics some map holds."""
        return np.array(list(self.slots), np.int64)[self.counts.any(axis=1)]

    def held(self, slots: Sequence[int]) -> np.ndarray:
        """How many rows of the metrics in ``slots`` each map holds (kept per set)."""
        key = tuple(slots)
        if key not in self._held:
            held = np.zeros(len(self.starts), np.int64)
            for slot in slots:
                held += self.counts[slot]
            self._held[key] = held
        return self._held[key]

    def roles(self, roles: dict[int, int], n_roles: int) -> tuple[
            list[np.ndarray], list[np.ndarray]]:
        """Counts and sums per role and map, the roles' metrics summed in ``roles``' order
        (a role of one metric is its row itself: bincount's sums are never -0.0, so 0.0 plus
        one is that one)."""
        counts: list[Any] = [None] * n_roles
        sums: list[Any] = [None] * n_roles
        for code, role in roles.items():
            slot = self.slots[code]
            if counts[role] is None:
                counts[role], sums[role] = self.counts[slot], self.sums[slot]
            else:
                counts[role] = counts[role] + self.counts[slot]
                sums[role] = sums[role] + self.sums[slot]
        none = np.zeros(len(self.starts), np.int64)
        return ([none if c is None else c for c in counts],
                [none.astype(np.float64) if s is None else s for s in sums])


def _placed(change: np.ndarray, metric: np.ndarray, values: np.ndarray, lookup: np.ndarray,
            width: int, n_maps: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The table of a frame whose every row is one metric of one map, no metric twice (a
    flattened response): each value placed in its cell, a block of rows at a time, and a
    count of 1 (int8) where one was placed; None for any other frame (then summed).

    Placing is summing where each cell holds at most one value: the same table as
    ``bincount``'s, bit for bit (``+ 0.0`` turns a -0.0 into the 0.0 a sum gives), without
    a cell number of every row or a table of int64 counts (fresh memory costs a page fault
    a page).
    """
    counts = np.zeros((width, n_maps), np.int8)
    sums = np.zeros((width, n_maps))
    flat_counts, flat_sums = counts.reshape(-1), sums.reshape(-1)
    before = 0  # maps begun before the block
    for start in range(0, len(metric), BLOCK):
        stop = min(start + BLOCK, len(metric))
        cell = np.cumsum(change[start:stop], dtype=np.int64)
        cell += before - 1
        before = int(cell[-1]) + 1
        cell += lookup[metric[start:stop]]  # a metric code of -1 reads the spare last entry
        flat_counts[cell] = 1
        flat_sums[cell] = values[start:stop]
    if counts[-1].any() or int(np.count_nonzero(counts)) != len(metric):
        return None  # a row of no slot, or two values in one cell
    sums += 0.0
    return counts[:-1], sums[:-1]
