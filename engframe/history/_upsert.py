"""The upsert rule of the history: which value a period of a series keeps.

A key is (account, timestamp, skill, agent, metric, and the dimensions some methods add:
agentactivity's state and reason, sla's bucket) within one table (one level): one period of
the grid for one series. Among the values fetches gave for a key the best stays,
ranked by

1. coverage: how much of the period the value covers (a still-filling interval covers up to
   its fetch time; the API's oldest interval only its remainder; an unknown start ranks
   lowest), so a fuller value is never replaced by a partial one;
2. ``fetched_at``: of equally covering values, the later fetch;
3. the stored value on a tie.

A new value that wins but says what the stored one says (same value and coverage) leaves
the stored row in place, so exporting a fetch again changes nothing and a partition is
written only when a value changed.

Keys are matched by direct addressing on dense codes (each key column factorized; their
product is small for real data: a few hundred periods, a few thousand skill-agent pairs), so
an upsert costs time in proportion to the rows of the partitions it touches, with no sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.history._facts import Facts
from engframe.history._grid import Grid
from engframe.schema import LEVELS

__all__ = ["Upsert", "keys_of", "repeats", "upsert"]

#: Above this many cells a key space is matched by hashing instead of direct addressing.
_DENSE_CELLS: Final = 1 << 26


@dataclass(frozen=True, slots=True)
class Upsert:
    """A partition after an upsert, and what the new rows did to it."""

    facts: Facts
    inserted: int
    updated: int

    @property
    def changed(self) -> bool:
        """Whether the partition must be written again."""
        return bool(self.inserted or self.updated)


def upsert(old: Facts | None, new: Facts, grid: Grid, *,
           keys: tuple[np.ndarray, int] | None = None, unique: bool = False) -> Upsert:
    """Merge ``new`` facts into a partition's ``old`` ones (``None``: a new partition).

    ``keys`` may give the new facts' dense key codes (:func:`keys_of`), computed once for a
    whole frame; ``unique`` says they are known to differ (no two new facts share a key).
    """
    if not unique:
        new = _best_of(new, grid, keys=keys)
    if old is None or not len(old):
        return Upsert(new, len(new), 0)
    accounts = list(dict.fromkeys([*old.accounts, *new.accounts]))
    metrics = list(dict.fromkeys([*old.metrics, *new.metrics]))
    dims = list(dict.fromkeys([*old.dim_values, *new.dim_values]))
    old, new = old.recoded(accounts, metrics, dims), new.recoded(accounts, metrics, dims)
    at = _match(old, new)  # a stored partition is unique by construction
    found = at >= 0
    cover_new, cover_old = new.coverage(grid), old.coverage(grid)
    stored = at[found]
    better = (cover_new[found] > cover_old[stored]) | (
        (cover_new[found] == cover_old[stored]) & (new.fetched[found] > old.fetched[stored]))
    differs = (~_same_value(new.value[found], old.value[stored])
               | (cover_new[found] != cover_old[stored]) | (new.start[found] != old.start[stored]))
    replace = np.flatnonzero(found)[better & differs]
    fresh = np.flatnonzero(~found)
    if not len(replace) and not len(fresh):
        return Upsert(old, 0, 0)
    merged: dict[str, Any] = {}
    for name, array in old._arrays().items():
        out = array.copy()
        out[at[replace]] = getattr(new, name)[replace]
        merged[name] = np.concatenate([out, getattr(new, name)[fresh]])
    facts = Facts(**{**_dictionaries(old), **merged})
    return Upsert(facts, len(fresh), len(replace))


def _dictionaries(facts: Facts) -> dict[str, Any]:
    return {"accounts": facts.accounts, "metrics": facts.metrics,
            "skill": facts.skill, "agent": facts.agent, "dim_values": facts.dim_values,
            "dim_names": facts.dim_names}


def _same_value(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    same: np.ndarray = a == b
    if a.dtype.kind == "f":
        same |= np.isnan(a) & np.isnan(b)
    return same


def _keys(facts: Facts) -> tuple[np.ndarray, int]:
    """A dense code per key (equal keys, equal codes), and the size of the code space."""
    return keys_of(stamp=facts.stamp, skill=facts.skill, agent=facts.agent,
                   metric=(facts.metric, len(facts.metrics)),
                   account=(facts.account, len(facts.accounts)),
                   dim=None if facts.dim is None else (facts.dim, len(facts.dim_values)))


def keys_of(*, stamp: np.ndarray | tuple[np.ndarray, int], skill: np.ndarray | None,
            agent: np.ndarray | None, metric: tuple[np.ndarray, int],
            account: tuple[np.ndarray, int],
            level: np.ndarray | None = None,
            dim: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, int]:
    """Dense key codes of rows (``skill``/``agent`` None where their table has none).

    ``stamp`` is the period ends, or their dense codes and count when already known. With
    ``level`` (level codes) the keys of different levels' tables differ too; with ``dim``
    (codes of the dimension columns, and how many), the states, reasons or buckets of one
    series. Codes of ``metric`` are never -1; those of ``account`` are -1 where a row names
    none.
    """
    ids = [_dense(column) for column in (skill, agent) if column is not None]
    if level is not None:
        ids.append((level.astype(np.int64), len(LEVELS)))
    if dim is not None:
        ids.append((dim[0].astype(np.int64), max(dim[1], 1)))
    if len(ids) > 1:  # the id pairs that occur: a few thousand, not 50 x 1000 x 6
        pair = ids[0][0]
        for codes, width in ids[1:]:
            pair *= width
            pair += codes
        ids = [_dense(pair)]
    stamps = stamp if isinstance(stamp, tuple) else _dense(stamp)
    rows = len(stamps[0])
    key, size = (ids[0][0].copy(), ids[0][1]) if ids else (np.zeros(rows, np.int64), 1)
    accounts = account[0] + 1
    for codes, width in (stamps, metric, (accounts, account[1] + 1)):
        if size * width > _DENSE_CELLS:  # keep the space small: renumber what occurs
            key, size = _dense(key)
        key *= width
        key += codes
        size *= width
    return key, size


def _dense(values: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64, copy=False), len(uniques)


def _match(old: Facts, new: Facts) -> np.ndarray:
    """For each new fact, the position of the stored fact with its key, or -1.

    Both hold codes into the same accounts and metrics.
    """
    def joined(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        return None if a is None or b is None else np.concatenate([a, b])

    stamp = np.concatenate([old.stamp, new.stamp])
    dims = joined(old.dim, new.dim)
    key, size = keys_of(stamp=stamp, skill=joined(old.skill, new.skill),
                        agent=joined(old.agent, new.agent),
                        metric=(np.concatenate([old.metric, new.metric]), len(old.metrics)),
                        account=(np.concatenate([old.account, new.account]),
                                 len(old.accounts)),
                        dim=None if dims is None else (dims, len(old.dim_values)))
    stored, wanted = key[:len(old)], key[len(old):]
    if size <= _DENSE_CELLS:
        slot = np.full(size, -1, np.int64)
        slot[stored] = np.arange(len(old))
        found: np.ndarray = slot[wanted]
        return found
    return np.asarray(pd.Index(stored).get_indexer(wanted), np.int64)


def repeats(ids: np.ndarray, size: int) -> bool:
    """Whether two of the dense key codes ``ids`` are equal."""
    if size <= _DENSE_CELLS:
        return bool(len(ids)) and int(np.bincount(ids, minlength=size).max()) > 1
    return bool(pd.Index(ids).has_duplicates)


def _best_of(facts: Facts, grid: Grid, *,
             keys: tuple[np.ndarray, int] | None = None) -> Facts:
    """One fact per key: the best (most coverage, then latest fetch, then last given)."""
    ids, size = _keys(facts) if keys is None else keys
    if not repeats(ids, size):
        return facts
    order = np.lexsort((np.arange(len(ids)), facts.fetched, facts.coverage(grid), ids))
    last = np.r_[ids[order][1:] != ids[order][:-1], True]
    keep = np.sort(order[last])
    return facts.take(keep)
