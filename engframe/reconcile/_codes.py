"""A tidy frame's keys as dense integer codes, computed once, and keys packed from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import BLOCK, first_rows, group_ids
from engframe.errors import FrameError
from engframe.schema import DIMENSION_COLUMNS, LEVELS, MAX_EXACT_INT, SPANS, epoch_ms


@dataclass
class _Codes:
    """The frame's columns as dense integer codes (-1 for missing), computed once.

    Each in the narrowest integer type its codes fit (a categorical's own codes, uncopied):
    eleven million rows of int64 codes would be 600 MB of fresh memory. Readers widen where
    they compute (:meth:`_Keys.pack` packs into int64); a key column that tells nothing
    apart (one response, no dimension) is a read-only zero of no memory.
    """

    level: np.ndarray
    span: np.ndarray
    stamp: np.ndarray
    stamps: np.ndarray  # epoch ms of each stamp code
    skill: np.ndarray
    skills: np.ndarray
    agent: np.ndarray
    agents: np.ndarray
    metric: np.ndarray
    metrics: pd.Index
    response: np.ndarray
    n_responses: int
    first_of_response: np.ndarray
    value: np.ndarray
    #: the values as float64 weights for bincount, when that sums them exactly
    weights: np.ndarray | None
    #: the dimension columns some methods add (state, reason, bucket) as one code
    dims: np.ndarray | None = None
    n_dims: int = 1
    #: where the runs of equal values of some key columns start (by name)
    runs: dict[str, np.ndarray] | None = None

    @classmethod
    def of(cls, df: pd.DataFrame, response: Sequence[str]) -> _Codes:
        stamp, stamps, stamp_runs = _factorize_stamps(df["timestamp"])
        skill, skills, skill_runs = _factorize_ids(df["skill"])
        agent, agents, agent_runs = _factorize_ids(df["agent"])
        metric = df["metric"].astype("category").array
        resp_codes, n_responses = _nothing_apart(len(df)), 1 if len(df) else 0
        varying = [c for c in response if not _constant(df[c])]
        if varying and len(df):
            found, resp_uniques = pd.factorize(group_ids([df[c] for c in varying])[0])
            resp_codes, n_responses = _narrow(found, len(resp_uniques)), len(resp_uniques)
        first = (first_rows(resp_codes, n_responses) if n_responses > 1
                 else np.zeros(n_responses, np.int64))
        value = df["value"].to_numpy()
        exact = value.dtype.kind == "f" or not len(value) or (
            int(np.abs(value).max()) * len(value) < MAX_EXACT_INT)
        present = [c for c in DIMENSION_COLUMNS if c in df.columns]
        dims, n_dims = None, 1
        if present and len(df):
            found_dims, uniques = pd.factorize(group_ids([df[c] for c in present])[0])
            dims, n_dims = _narrow(found_dims, len(uniques)), max(len(uniques), 1)
        return cls(
            level=_fixed_codes(df["level"], LEVELS),
            span=_fixed_codes(df["span"], SPANS),
            stamp=stamp, stamps=stamps, skill=skill, skills=skills, agent=agent, agents=agents,
            metric=np.asarray(metric.codes), metrics=metric.categories,
            response=resp_codes, n_responses=n_responses,
            first_of_response=first, value=value,
            weights=value.astype(np.float64, copy=False) if exact else None,
            dims=dims, n_dims=n_dims,
            runs={"timestamp": stamp_runs, "skill": skill_runs, "agent": agent_runs},
        )

    def varies(self, name: str) -> bool:
        """Whether a key column may tell rows apart (one response, no dimension: never)."""
        return not ((name == "response" and self.n_responses <= 1)
                    or (name == "dims" and self.dims is None))

    def dimension(self, name: str) -> tuple[np.ndarray, int, bool]:
        """The codes of a key column, how many values it has, whether -1 (NA) occurs."""
        return {
            "response": (self.response, self.n_responses, False),
            "level": (self.level, len(LEVELS), False),
            "span": (self.span, len(SPANS), False),
            "timestamp": (self.stamp, len(self.stamps), False),
            "skill": (self.skill, len(self.skills), True),
            "agent": (self.agent, len(self.agents), True),
            "metric": (self.metric, len(self.metrics), True),
            "dims": (_nothing_apart(len(self.metric)) if self.dims is None else self.dims,
                     self.n_dims, False),
        }[name]


def _narrow(codes: np.ndarray, n: int) -> np.ndarray:
    """``codes`` (-1 .. n-1) in the narrowest signed integer type that holds them."""
    for dtype in (np.int8, np.int16, np.int32):
        if n <= np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)


def _nothing_apart(n: int) -> np.ndarray:
    """The codes of a key column that tells no row apart: a read-only zero per row, of no
    memory."""
    return np.broadcast_to(np.int8(0), (n,))


def _fixed_codes(column: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Codes of ``column`` against ``categories`` (the tidy categorical dtype's own)."""
    values = column.array
    if isinstance(values, pd.Categorical) and list(values.categories) == list(categories):
        return np.asarray(values.codes)
    return np.asarray(pd.Categorical(column, categories=list(categories)).codes)


def _constant(column: pd.Series) -> bool:
    """Whether a column holds one value in every row (it tells nothing apart)."""
    values = column.array
    if isinstance(values, pd.Categorical):
        codes = np.asarray(values.codes)
        return not len(codes) or bool(codes.min() == codes.max())
    return False


def _run_starts(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Where runs of equal values (and equal missingness) start.

    A tidy frame's stamps, skills and agents come in runs (an interval's rows, a skill's, a
    metric map's): the distinct values are those of the runs' first rows, a few per thousand.
    """
    change = np.empty(len(values), bool)
    if len(values):
        change[0] = True
        np.not_equal(values[1:], values[:-1], out=change[1:])
        if mask is not None:
            change[1:] |= mask[1:] != mask[:-1]
    return np.flatnonzero(change)


def _factorize_stamps(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of each row, the epoch ms of each code, and where the runs start."""
    ms = epoch_ms(column)
    starts = _run_starts(ms)
    codes, uniques = pd.factorize(ms[starts], sort=True)
    lengths = np.diff(np.append(starts, len(ms)))
    return (np.repeat(_narrow(codes, len(uniques)), lengths),
            np.asarray(uniques, np.int64), starts)


def _factorize_ids(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of each row (-1: none), the id of each code, and where the runs start."""
    ids = column.astype("Int64").array
    # a block at a time, each overlapping the next by a row: no copy of every row's id
    found, values, missing = [], [], []
    for start in range(0, len(ids), BLOCK):
        block = ids[max(start - 1, 0):start + BLOCK]
        mask: np.ndarray = block.isna()
        held = block.to_numpy(np.int64, na_value=0)
        at = _run_starts(held, mask)
        if start:
            at = at[1:] - 1  # the overlapping row's run was found in the block before
        found.append(at + start)
        values.append(held[at + (1 if start else 0)])
        missing.append(mask[at + (1 if start else 0)])
    starts = np.concatenate(found) if found else np.zeros(0, np.int64)
    runs: Any = pd.arrays.IntegerArray(
        np.concatenate(values) if values else np.zeros(0, np.int64),
        np.concatenate(missing) if missing else np.zeros(0, bool))
    codes, uniques = pd.factorize(runs)  # <NA> gets -1; first-seen order, as rows'
    lengths = np.diff(np.append(starts, len(ids)))
    return (np.repeat(_narrow(codes, len(uniques)), lengths),
            np.asarray(uniques, np.int64), starts)


#: Above this many cells a key space is counted sparsely (factorized) instead of densely.
_DENSE_CELLS: Final = 30_000_000


@dataclass
class _Keys:
    """Every row's check (key) in one relation, packed from the key columns' codes.

    The codes are packed in mixed radix, the metric innermost, so a check's columns are read
    back from its key with divmod; a sparse key space is factorized, and its uniques are the
    packed keys.
    """

    key: np.ndarray
    size: int
    packed: np.ndarray | None  # the packed key of each dense key (None: keys are packed)
    widths: list[int]
    lows: list[int]  # the smallest code of each column (a digit is code - low)

    @classmethod
    def pack(cls, columns: Sequence[tuple[np.ndarray, int, bool]], extra: int) -> _Keys:
        """Pack ``(codes, how many values, may hold -1)`` columns.

        Ids span only the codes these rows hold (the skills of a relation's rows, say,
        without -1 when all have one), so the key space stays small and dense.
        """
        lows, widths = [], []
        for codes, width, missing in columns:
            if missing and len(codes):
                low = int(codes.min())
                lows.append(low)
                widths.append(int(codes.max()) - low + 1)
            else:
                lows.append(0)
                widths.append(max(width, 1))
        total = 1
        for width in widths:
            total *= width
        key = np.zeros(len(columns[0][0]), np.int64)
        for (codes, _, _), width, low in zip(columns, widths, lows, strict=True):
            if width > 1:
                key *= width
                key += codes
                if low:
                    key -= low
        if total * extra <= _DENSE_CELLS:
            return cls(key, total, None, widths, lows)
        if total >= 2**62:
            raise FrameError("reconcile: too many distinct keys to check at once; reconcile "
                             "fewer responses at a time")
        dense, uniques = pd.factorize(key)
        return cls(dense.astype(np.int64, copy=False), len(uniques),
                   np.asarray(uniques, np.int64), widths, lows)

    def packed_of(self, keys: np.ndarray) -> np.ndarray:
        return keys if self.packed is None else self.packed[keys]

    def unpack(self, keys: np.ndarray) -> list[np.ndarray]:
        """The codes (-1 for missing) of each key column, for the given keys."""
        packed = self.packed_of(keys)
        out = []
        for width, low in zip(reversed(self.widths), reversed(self.lows), strict=True):
            packed, digit = np.divmod(packed, width)
            out.append(digit + low)
        return out[::-1]

