"""The checks: codes of a tidy frame's keys, sums per relation, metric maps, the checks
frame (see :mod:`engframe.reconcile` for what is checked and why)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows, group_ids
from engframe.errors import FrameError, OptionError
from engframe.methods import ADDITIVE, FLOAT32_PRECISION, METHODS, Identity, Kind, Metric, kind_of
from engframe.schema import (
    BUCKET_COLUMN,
    DIMENSION_COLUMNS,
    LEVEL_CODE,
    LEVELS,
    MAX_EXACT_INT,
    METHOD_COLUMN,
    REASON_COLUMN,
    SPANS,
    STATE_COLUMN,
    TIMESTAMP_DTYPE,
    check_frame,
    epoch_ms,
    utc_stamps,
)
from engframe.scope import (
    NOT_IMPLIED,
    RELATIONS,
    Relation,
    Scope,
    implication,
    request_of,
)

__all__ = [
    "AVERAGE_RELATION",
    "RATIO_RELATION",
    "REASONS",
    "RELATIONS",
    "RELATION_LABELS",
    "RESPONSE_KEYS",
    "ROUNDED_METRICS",
    "ROUNDINGS",
    "STATUSES",
    "Relation",
    "empty_checks",
    "reconcile",
]

#: Metrics the API rounds element by element (handling times, in seconds, of every method of
#: the catalogue): a total may differ from the sum of its parts by the rounding of each.
#: Counts are exact.
ROUNDED_METRICS: Final = frozenset().union(*(m.rounded for m in METHODS.values()))

#: The relative width of a float allowed beyond half a step (see ``_recomputed_check``).
_STEP_EPSILON: Final = 1e-9
#: The relations between metrics of one row: an average (a ratio) against the ratio of the
#: sums behind it, which the API computes as a 32-bit float.
AVERAGE_RELATION: Final = "average_vs_its_sums"
RATIO_RELATION: Final = "ratio_vs_its_counts"

#: Every relation reconcile may report, in plain words (for charts and reports).
RELATION_LABELS: Final = {
    **{r.name: r.label for r in RELATIONS},
    **{i.name: i.label for m in METHODS.values() for i in m.identities},
    AVERAGE_RELATION: "an average vs its sums, recomputed",
    RATIO_RELATION: "a ratio vs its counts, recomputed",
}

#: How the API may round each value to whole seconds: to the nearest (the default: the
#: simulator does so, and ten simulated days never drift beyond it,
#: ``benchmarks/bench_reconcile.py --drift``), or down.
ROUNDINGS: Final = ("nearest", "truncate")

#: Check outcomes, mildest first.
STATUSES: Final = ("ok", "rounding", "mismatch")

#: Why a check got its status, in words (the ``reason`` column).
REASONS: Final = (
    "exact",
    "within rounding",
    "parts exceed the whole",
    "parts short of the whole",
    "differs from the ratio of its sums",
)
_EXACT, _ROUNDING, _OVER, _SHORT, _RECOMPUTED = range(len(REASONS))

#: Columns that tell responses apart in a frame holding several (``fetched_at`` only where
#: the frame stacks fetches of the same periods; see the module's docstring).
RESPONSE_KEYS: Final = ("source", "method", "account", "fetched_at")

_OUTPUT: Final = (
    "relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
    "sum_of_parts", "difference", "relative_difference", "parts", "tolerance", "beyond",
    "status", "reason",
)
_SPAN: Final = {name: code for code, name in enumerate(SPANS)}
_NO_STAMP: Final = np.iinfo(np.int64).min  # NaT in epoch ms


@dataclass
class _Codes:
    """The frame's columns as dense integer codes (-1 for missing), computed once."""

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
        resp_codes, n_responses = np.zeros(len(df), np.int64), 1 if len(df) else 0
        varying = [c for c in response if not _constant(df[c])]
        if varying and len(df):
            found, resp_uniques = pd.factorize(group_ids([df[c] for c in varying])[0])
            resp_codes, n_responses = found.astype(np.int64, copy=False), len(resp_uniques)
        first = (first_rows(resp_codes, n_responses) if n_responses > 1
                 else np.zeros(n_responses, np.int64))
        value = df["value"].to_numpy()
        exact = value.dtype.kind == "f" or not len(value) or (
            int(np.abs(value).max()) * len(value) < MAX_EXACT_INT)
        present = [c for c in DIMENSION_COLUMNS if c in df.columns]
        dims, n_dims = None, 1
        if present and len(df):
            found_dims, uniques = pd.factorize(group_ids([df[c] for c in present])[0])
            dims, n_dims = found_dims.astype(np.int64, copy=False), max(len(uniques), 1)
        return cls(
            level=_fixed_codes(df["level"], LEVELS),
            span=_fixed_codes(df["span"], SPANS),
            stamp=stamp, stamps=stamps, skill=skill, skills=skills, agent=agent, agents=agents,
            metric=np.asarray(metric.codes, np.int64), metrics=metric.categories,
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
            "dims": (np.zeros(len(self.metric), np.int64) if self.dims is None else self.dims,
                     self.n_dims, False),
        }[name]


def _fixed_codes(column: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Codes of ``column`` against ``categories`` (cheap for the tidy categorical dtype)."""
    values = column.array
    if isinstance(values, pd.Categorical) and list(values.categories) == list(categories):
        return np.asarray(values.codes, np.int64)
    return np.asarray(pd.Categorical(column, categories=list(categories)).codes, np.int64)


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
    return (np.repeat(codes.astype(np.int64, copy=False), lengths),
            np.asarray(uniques, np.int64), starts)


def _factorize_ids(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of each row (-1: none), the id of each code, and where the runs start."""
    ids = column.astype("Int64")
    mask: np.ndarray = ids.isna().to_numpy()
    values = ids.to_numpy(np.int64, na_value=0)
    starts = _run_starts(values, mask)
    runs: Any = pd.arrays.IntegerArray(values[starts], mask[starts])
    codes, uniques = pd.factorize(runs)  # <NA> gets -1; first-seen order, as rows'
    lengths = np.diff(np.append(starts, len(values)))
    return (np.repeat(codes.astype(np.int64, copy=False), lengths),
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


def _check(codes: _Codes, relation: Relation, additive: np.ndarray | None,
           implied: np.ndarray | None, maps: _Maps | None = None) -> _Checks | None:
    """The checks of ``relation`` in the responses where it is ``implied`` (None: all)."""
    if maps is not None and maps.whole:
        found = _map_check(codes, maps, relation, additive, implied)
        if not isinstance(found, bool):
            return found
    if relation.parts is None:
        part = codes.span == _SPAN["interval"]
        whole = codes.span == _SPAN["timeframe"]
    else:
        part = codes.level == LEVEL_CODE[relation.parts]
        whole = codes.level == LEVEL_CODE[relation.whole or ""]
    if additive is not None:
        counted = additive[codes.metric]
        part &= counted
        whole &= counted
    # only responses that hold the reported side (and, between spans, both sides)
    having = np.bincount(codes.response[whole], minlength=codes.n_responses) > 0
    if implied is not None:
        having &= implied
    if relation.parts is None:
        having &= np.bincount(codes.response[part], minlength=codes.n_responses) > 0
    if not having.any():
        return None
    involved = part | whole
    # Levels of few rows (totals) are gathered first; the big ones are keyed in place.
    rows: np.ndarray | slice = (np.flatnonzero(involved) if involved.mean() < 0.6
                                else slice(None))
    names = ["response", *relation.keys, "dims", "metric"]
    keys = _Keys.pack([(code[rows], width, missing)
                       for code, width, missing in map(codes.dimension, names)], extra=3)
    part, whole = part[rows], whole[rows]
    role = part.view(np.int8) + 2 * whole.view(np.int8)  # 0: not in it, 1: part, 2: whole
    cell = keys.key * 3 + role
    cells = 3 * keys.size
    counts = np.bincount(cell, minlength=cells).reshape(-1, 3)
    sums: np.ndarray
    if codes.weights is not None:
        sums = np.bincount(cell, weights=codes.weights[rows], minlength=cells).reshape(-1, 3)
    else:
        flat = np.zeros(cells, np.int64)
        np.add.at(flat, cell, codes.value[rows])
        sums = flat.reshape(-1, 3)
    if (counts[:, 2] > 1).any():
        raise FrameError(
            f"reconcile: the frame holds a reported total more than once ({relation.name}); "
            "it stacks several responses: keep them apart with a 'source' column "
            "(engframe.load of a folder adds one)")
    present = np.flatnonzero(counts[:, 1] + counts[:, 2])
    column = dict(zip(names, keys.unpack(present), strict=True))
    kept = having[column["response"]]
    present = present[kept]
    column = {name: code[kept] for name, code in column.items()}
    n = len(present)
    if relation.parts is None:
        # a check between spans has the whole's timestamp, else its newest interval's
        row_stamp = codes.stamp[rows]
        at = np.full(keys.size, -1, np.int64)
        at[keys.key[whole]] = row_stamp[whole]
        stamp = at[present]
        if (stamp < 0).any():
            newest = np.full(keys.size, -1, np.int64)
            np.maximum.at(newest, keys.key[part], row_stamp[part])
            stamp = np.where(stamp < 0, newest[present], stamp)
    else:
        stamp = column["timestamp"]
    reported, parts_sum = sums[present, 2], sums[present, 1]
    if codes.value.dtype.kind != "f":
        reported, parts_sum = reported.astype(np.int64), parts_sum.astype(np.int64)
    none = np.full(n, -1, np.int64)
    return _Checks(
        relation=relation.name,
        level=column.get("level", np.full(n, LEVEL_CODE.get(relation.whole or "", 0))),
        span=column.get("span", np.full(n, _SPAN["timeframe"])),
        stamp=stamp,
        skill=column.get("skill", none),
        agent=column.get("agent", none),
        metric=column["metric"], response=column["response"],
        reported=reported, parts_sum=parts_sum, parts=counts[present, 1],
        dims=column["dims"] if codes.dims is not None else None,
    )


def _map_check(codes: _Codes, maps: _Maps, relation: Relation, additive: np.ndarray | None,
               implied: np.ndarray | None) -> _Checks | bool | None:
    """:func:`_check` from the table of metric maps (a map's rows share its keys), in the
    same order and to the same sums; False where the key space is counted sparsely (checks
    then come in the rows' first-seen order: the general way)."""
    column = maps.columns
    if relation.parts is None:
        part = column["span"] == _SPAN["interval"]
        whole = column["span"] == _SPAN["timeframe"]
    else:
        part = column["level"] == LEVEL_CODE[relation.parts]
        whole = column["level"] == LEVEL_CODE[relation.whole or ""]
    metrics = [code for code in maps.slots if additive is None or additive[code]]
    slots = [maps.slots[code] for code in metrics]
    held = maps.held(slots)
    part &= held > 0
    whole &= held > 0
    having = np.bincount(column["response"][whole], minlength=codes.n_responses) > 0
    if implied is not None:
        having &= implied
    if relation.parts is None:
        having &= np.bincount(column["response"][part], minlength=codes.n_responses) > 0
    if not having.any():
        return None
    involved = part | whole
    # the key space as the rows' own packing sizes it (see _check): over the involved
    # rows, or over all where they are most
    chosen = np.flatnonzero(involved)
    sized: np.ndarray | slice
    if int(held[involved].sum()) / len(codes.metric) < 0.6:
        sized = chosen
        sized_codes = np.array(metrics, np.int64)[maps.counts[slots][:, chosen].any(axis=1)]
    else:
        sized = slice(None)
        sized_codes = np.array(list(maps.slots), np.int64)[maps.counts.any(axis=1)]
    low, high = int(sized_codes.min()), int(sized_codes.max())
    width = high - low + 1
    # a metric outside them is in no involved row: it adds nothing
    inside = [(code, slot) for code, slot in zip(metrics, slots, strict=True)
              if low <= code <= high]
    metrics, slots = [code for code, _ in inside], [slot for _, slot in inside]
    names = ["response", *relation.keys, "dims"]
    keys = _Keys.pack([(column[name][sized], *codes.dimension(name)[1:]) for name in names],
                      extra=3 * width)
    if keys.packed is not None:
        return False
    group = keys.key if not isinstance(sized, slice) else keys.key[chosen]
    is_part = part[chosen]
    on_part, on_whole = group[is_part], group[~is_part]
    taken_part, taken_whole = chosen[is_part], chosen[~is_part]
    # a metric's sums are a row (contiguous), the checks' order is the key's then the metric's
    size = keys.size
    shape = (width, size)
    part_counts, part_sums = np.zeros(shape, np.int64), np.zeros(shape)
    whole_counts, whole_sums = np.zeros(shape, np.int64), np.zeros(shape)
    # each map's cell: its key's part, or its key's whole after them, a spare last one where
    # not involved; the maps are summed in their order, as the rows would be
    cell = np.full(len(maps.starts), 2 * size, np.int64)
    cell[taken_part] = on_part
    cell[taken_whole] = on_whole + size
    for code, slot in zip(metrics, slots, strict=True):
        j = code - low
        count = np.bincount(cell, weights=maps.counted[slot], minlength=2 * size + 1)
        summed = np.bincount(cell, weights=maps.sums[slot], minlength=2 * size + 1)
        part_counts[j], whole_counts[j] = count[:size], count[size:-1]
        part_sums[j], whole_sums[j] = summed[:size], summed[size:-1]
    if (whole_counts > 1).any():
        raise FrameError(
            f"reconcile: the frame holds a reported total more than once ({relation.name}); "
            "it stacks several responses: keep them apart with a 'source' column "
            "(engframe.load of a folder adds one)")
    present = np.flatnonzero((part_counts + whole_counts).T)  # key-major, as _check's
    grouped, metric = np.divmod(present, width)
    found = dict(zip(names, keys.unpack(grouped), strict=True))
    kept = having[found["response"]]
    grouped, metric = grouped[kept], metric[kept]
    found = {name: code[kept] for name, code in found.items()}
    at_cell = metric * size + grouped  # the cell of each check in the (metric, key) tables
    n = len(at_cell)
    if relation.parts is None:
        # a check between spans has the whole's timestamp, else its newest interval's
        stamps = column["timestamp"]
        at = np.full(shape, -1, np.int64)
        for code, slot in zip(metrics, slots, strict=True):
            with_it = maps.counts[slot][taken_whole] > 0
            at[code - low, on_whole[with_it]] = stamps[taken_whole[with_it]]
        stamp = at.ravel()[at_cell]
        if (stamp < 0).any():
            newest = np.full(shape, -1, np.int64)
            for code, slot in zip(metrics, slots, strict=True):
                with_it = maps.counts[slot][taken_part] > 0
                np.maximum.at(newest[code - low], on_part[with_it],
                              stamps[taken_part[with_it]])
            stamp = np.where(stamp < 0, newest.ravel()[at_cell], stamp)
    else:
        stamp = found["timestamp"]
    reported, parts_sum = whole_sums.ravel()[at_cell], part_sums.ravel()[at_cell]
    if codes.value.dtype.kind != "f":
        reported, parts_sum = reported.astype(np.int64), parts_sum.astype(np.int64)
    none = np.full(n, -1, np.int64)
    return _Checks(
        relation=relation.name,
        level=found.get("level", np.full(n, LEVEL_CODE.get(relation.whole or "", 0))),
        span=found.get("span", np.full(n, _SPAN["timeframe"])),
        stamp=stamp,
        skill=found.get("skill", none),
        agent=found.get("agent", none),
        metric=(metric + low).astype(np.int64), response=found["response"],
        reported=reported, parts_sum=parts_sum, parts=part_counts.ravel()[at_cell],
        dims=found["dims"] if codes.dims is not None else None,
    )


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
    _taken: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
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
    def counted(self) -> np.ndarray:
        """The counts as float64, bincount's weights."""
        return self.counts.astype(np.float64)

    def held(self, slots: Sequence[int]) -> np.ndarray:
        """How many rows of the metrics in ``slots`` each map holds (kept per set)."""
        key = tuple(slots)
        if key not in self._held:
            held = np.zeros(len(self.starts), np.int64)
            for slot in slots:
                held += self.counts[slot]
            self._held[key] = held
        return self._held[key]

    def taken(self, kept: np.ndarray) -> dict[str, np.ndarray]:
        """The key columns of the maps ``kept`` selects (the last selection's again when the
        same: a map's averages are kept alike; the checks only read them)."""
        last = self._taken
        if last is None or not np.array_equal(last[0], kept):
            at = np.flatnonzero(kept)
            last = self._taken = (kept, {name: self.columns[name][at] for name in _ROW_KEYS})
        return last[1]

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


#: The key columns of a check, taken by a mask of the rows ``_row_checks`` returns.
_Columns = Callable[[np.ndarray], dict[str, np.ndarray]]


def _row_checks(codes: _Codes, roles: dict[int, int], n_roles: int,
                maps: _Maps | None = None) -> tuple[
        list[np.ndarray], list[np.ndarray], _Columns] | None:
    """Sums and counts per metric map (row key) and role, for checks among its metrics.

    ``roles`` maps a metric code to its role (1..n_roles-1); other metrics are left out.
    Returns counts and sums per role and key (keys no role's metric holds count 0 in
    every role), and a function giving the key columns of the keys a mask keeps (``maps``:
    the frame's metric maps gathered once, in the frame's order).
    """
    if maps is not None and all(code in maps.slots for code in roles):
        counts, sums = maps.roles(roles, n_roles)

        def of_maps(kept: np.ndarray) -> dict[str, np.ndarray]:
            return maps.taken(kept)

        return counts, sums, of_maps
    lookup = np.zeros(len(codes.metrics) + 1, np.int64)
    for code, role in roles.items():
        lookup[code] = role
    role = lookup[codes.metric]  # a metric code of -1 reads the spare last entry: 0
    rows = np.flatnonzero(role > 0)
    if not len(rows):
        return None
    keys = _Keys.pack([(code[rows], width, missing)
                       for code, width, missing in map(codes.dimension, _ROW_KEYS)],
                      extra=n_roles)
    cell = keys.key * n_roles + role[rows]
    cells = n_roles * keys.size
    counted = np.bincount(cell, minlength=cells).reshape(-1, n_roles)
    values = codes.value[rows].astype(np.float64)
    summed = np.bincount(cell, weights=values, minlength=cells).reshape(-1, n_roles)
    present = np.flatnonzero(counted[:, 1:].sum(axis=1))
    column = dict(zip(_ROW_KEYS, keys.unpack(present), strict=True))

    def of_keys(kept: np.ndarray) -> dict[str, np.ndarray]:
        return {name: code[kept] for name, code in column.items()}

    counted, summed = counted[present], summed[present]
    return ([counted[:, r] for r in range(n_roles)], [summed[:, r] for r in range(n_roles)],
            of_keys)


def _identity_check(codes: _Codes, identity: Identity,
                    maps: _Maps | None = None) -> _Checks | None:
    """``whole = sum(parts)`` in every metric map holding the whole and a part."""
    metrics = list(codes.metrics)
    if identity.whole not in metrics:
        return None
    roles = {metrics.index(identity.whole): 2}
    roles.update({metrics.index(p): 1 for p in identity.parts if p in metrics})
    if len(roles) < 2:
        return None
    found = _row_checks(codes, roles, 3, maps)
    if found is None:
        return None
    counts, sums, columns = found
    if (counts[2] > 1).any():
        raise FrameError(
            f"reconcile: the frame holds a metric map more than once ({identity.name}); it "
            "stacks several responses: keep them apart with a 'source' column")
    kept = (counts[2] == 1) & (counts[1] > 0)
    column = columns(kept)
    reported, parts_sum = sums[2][kept], sums[1][kept]
    if codes.value.dtype.kind != "f":
        reported, parts_sum = reported.astype(np.int64), parts_sum.astype(np.int64)
    return _Checks(
        relation=identity.name, level=column["level"], span=column["span"],
        stamp=column["timestamp"], skill=column["skill"], agent=column["agent"],
        metric=np.full(int(kept.sum()), metrics.index(identity.whole), np.int64),
        response=column["response"], reported=reported, parts_sum=parts_sum,
        parts=counts[1][kept], dims=column["dims"] if codes.dims is not None else None)


def _recomputed_check(codes: _Codes, metric: Metric,
                      maps: _Maps | None = None) -> _Checks | None:
    """An average (ratio) the API sends against the ratio of the sums behind it, row by row.

    Where the denominator is 0 the API shows 0 (the pages' example); the check expects 0.
    The API computes in 32-bit floats: a difference within that precision is rounding.
    """
    metrics = list(codes.metrics)
    if metric.name not in metrics:
        return None
    top, bottom = dict(metric.numerator), dict(metric.denominator)
    # a component may sit on both sides (abandonmentRate = abandoned / (abandoned +
    # connected)): each is summed once, and weighed on each side it sits on
    components = list(dict.fromkeys((*top, *bottom)))
    if not all(c in metrics for c in components):
        return None
    roles = {metrics.index(c): 1 + i for i, c in enumerate(components)}
    own = 1 + len(roles)
    roles[metrics.index(metric.name)] = own
    found = _row_checks(codes, roles, own + 1, maps)
    if found is None:
        return None
    counts, sums, columns = found
    if any((count > 1).any() for count in counts[1:]):
        raise FrameError(
            f"reconcile: the frame holds a metric map more than once ({metric.name}); it "
            "stacks several responses: keep them apart with a 'source' column")
    kept = counts[1] == 1
    for count in counts[2:]:
        kept &= count == 1
    values = np.column_stack([summed[kept] for summed in sums[1:own]])
    numerator = values @ np.array([top.get(c, 0.0) for c in components])
    denominator = values @ np.array([bottom.get(c, 0.0) for c in components])
    # where nothing is below, the API shows the metric's no-data value (-1), else 0
    recomputed = np.full(len(numerator), 0.0 if metric.no_data is None else float(metric.no_data))
    np.divide(numerator, denominator, out=recomputed, where=denominator != 0)
    column = columns(kept)
    relation = AVERAGE_RELATION if metric.kind == Kind.AVERAGE else RATIO_RELATION
    allowed = FLOAT32_PRECISION * np.abs(recomputed)
    if metric.step is not None:
        # shown to its step (whole seconds, two decimals), from sums themselves rounded
        rounded_top = any(c in ROUNDED_METRICS for c in top)
        slack = np.zeros(len(recomputed))
        np.divide(0.5, denominator, out=slack, where=denominator != 0)
        # a value exactly half a step off (0.125 shown as 0.12, half to even) lies on the
        # bound, which binary floats put a hair either side of it: a float's width more
        half = metric.step / 2 * (1 + _STEP_EPSILON)
        allowed = np.maximum(allowed, half + (slack if rounded_top else 0.0))
    return _Checks(
        relation=relation, level=column["level"], span=column["span"],
        stamp=column["timestamp"], skill=column["skill"], agent=column["agent"],
        metric=np.full(int(kept.sum()), metrics.index(metric.name), np.int64),
        response=column["response"], reported=sums[own][kept], parts_sum=recomputed,
        parts=np.full(int(kept.sum()), len(components), np.int64),
        float_tolerance=allowed, dims=column["dims"] if codes.dims is not None else None)


def _metric_checks(codes: _Codes, methods: Sequence[str],
                   maps: _Maps | None) -> list[_Checks]:
    """The checks among the metrics of one row: identities, averages and ratios."""
    chosen = [METHODS[name] for name in methods if name in METHODS]
    found = []
    for method in chosen:
        for identity in method.identities:
            checked = _identity_check(codes, identity, maps)
            if checked is not None:
                found.append(checked)
        for metric in method.metrics:
            if metric.recomputable:
                checked = _recomputed_check(codes, metric, maps)
                if checked is not None:
                    found.append(checked)
    return found


def reconcile(
    df: pd.DataFrame,
    *,
    rounded: Collection[str] = ROUNDED_METRICS,
    rounding: str = "nearest",
    relations: Iterable[Relation] = RELATIONS,
) -> pd.DataFrame:
    """Check every relation the response implies, at every timestamp and metric.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame, all levels and spans as flattened (do not pre-select); a frame of
        several responses (a folder, a history) is checked response by response, each with
        its own request (a folder's files: ``df.attrs["queries"]``, which
        :func:`engframe.load` records), and a history period by period.
    rounded : collection of str
        Metrics rounded per element (handling times); the others must add up exactly.
    rounding : {"nearest", "truncate"}, default "nearest"
        How the API rounds each value of a ``rounded`` metric to whole seconds (see the
        module's docstring): to the nearest, n parts may differ from their whole by at
        most ``n // 2`` seconds either way; truncated, fall short of it by at most
        ``n - 1`` seconds and never exceed it.
    relations : iterable of Relation
        The relations between levels and spans to check; default
        :data:`engframe.scope.RELATIONS` (the checks among a metric map's metrics follow
        the frame's methods).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``relation``, ``level`` and ``span`` of the reported whole,
        ``timestamp``, ``skill``, ``agent``, then where the frame has them the dimension
        columns, named as :data:`CHECK_DIMENSIONS` says (``state``, ``away_reason``,
        ``bucket``: agentactivity's Online, sla's bucket 30; a breakdown's check has its
        whole's: Logged in, Away), then ``metric``, ``reported``, ``sum_of_parts``,
        ``difference`` (sum_of_parts - reported), ``relative_difference`` (difference /
        reported; 0 when both are 0, NaN when only reported is), ``parts`` (how many
        values were summed), ``tolerance`` (the most rounding explains, in seconds),
        ``beyond`` (how far the difference lies outside it: 0 within), ``status``
        (:data:`STATUSES`) and ``reason`` (:data:`REASONS`), then the response columns
        that tell the checks' responses apart (``source``, ``method``, ``account``;
        ``fetched_at``
        where the frame stacks fetches of the same periods), then ``skill_name`` and
        ``agent_name`` if the frame has them (:func:`engframe.names.attach_names`).
        By kind (:mod:`engframe.methods`): counts and duration totals are checked between
        levels and spans; the identities among a method's metrics (``resolved_by_type``,
        ``answers_by_score``, ...) in every metric map; averages and ratios against their
        own sums (``average_vs_its_sums``, ``ratio_vs_its_counts``) within the API's
        32-bit float rounding. A metric the catalogue does not know and sent as JSON floats
        (``df.attrs["float_metrics"]``; without that record, one holding a fraction) is
        not checked. Each method's checks carry its name in ``method``.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, or repeats a reported total (responses stacked
        without a column telling them apart).
    OptionError
        If ``rounding`` is not one of :data:`ROUNDINGS`.

    Examples
    --------
    >>> import engframe
    >>> from engframe.reconcile import reconcile
    >>> checks = reconcile(engframe.flatten("data/samples/skill_2.json"))
    >>> checks[["relation", "metric", "sum_of_parts", "status"]].head(2)
                    relation                    metric  sum_of_parts status
    0  skill_agents_vs_skill     totalInteractiveChats             1     ok
    1  skill_agents_vs_skill  totalNonInteractiveChats             1     ok
    """
    if not isinstance(df, pd.DataFrame):  # a history (folder, engframe.scan): out of core
        from engframe.lazy._reconcile import reconcile_history
        from engframe.lazy._scan import as_scan, is_history

        if is_history(df):
            return reconcile_history(as_scan(df), rounded=rounded, rounding=rounding,
                                     relations=relations)
    where = "reconcile"
    check_frame(df, where=where)
    if rounding not in ROUNDINGS:
        raise OptionError(f"{where}: rounding={rounding!r}; expected one of "
                          f"{', '.join(map(repr, ROUNDINGS))}")
    if not (isinstance(df["value"].dtype, np.dtype) and df["value"].dtype.kind in "iuf"):
        raise FrameError(f"{where}: column 'value' must hold numbers, found {df['value'].dtype}")
    response = _response_keys(df)
    codes = _Codes.of(df, response)
    scopes = _scopes(df, codes)
    methods = _frame_methods(df)
    additive = _additive(codes, df.attrs.get("float_metrics") or (), methods)
    from engframe.reconcile._shapes import layout_allows, shape_checks

    held = _response_methods(df, codes)
    # every metric's sum and count per metric map, once, for the checks among a map's
    # metrics; the checks between levels read them too (fewer maps than rows)
    among = any(method.identities or any(m.recomputable for m in method.metrics)
                for method in (METHODS[name] for name in methods if name in METHODS))
    maps = _Maps.of(codes, range(len(codes.metrics))) if among else None
    found = []
    for relation in relations:
        implied = np.array([implication(relation, scope) != NOT_IMPLIED
                            and layout_allows(method, relation.name)
                            for scope, method in zip(scopes, held, strict=True)], dtype=bool)
        if not implied.any():
            continue
        checked = _check(codes, relation, additive, None if implied.all() else implied, maps)
        if checked is not None:
            found.append(checked)
    found.extend(_metric_checks(codes, methods, maps))
    found.extend(shape_checks(df, codes, methods, relations, implied_of=lambda relation: np.array(
        [implication(relation, scope) != NOT_IMPLIED and layout_allows(method, relation.name)
         for scope, method in zip(scopes, held, strict=True)], dtype=bool)))
    return _assemble(df, codes, found, response, rounded=rounded, rounding=rounding)


def _response_methods(df: pd.DataFrame, codes: _Codes) -> list[str | None]:
    """The method of each response (its first row's), None where unknown."""
    if METHOD_COLUMN not in df.columns:
        return [None] * codes.n_responses
    column = df[METHOD_COLUMN].array.take(codes.first_of_response)
    return [None if pd.isna(m) else str(m) for m in column]


def _frame_methods(df: pd.DataFrame) -> list[str]:
    """The catalogue's methods whose metrics the frame holds (its ``method`` column's)."""
    from engframe.methods import infer

    if METHOD_COLUMN in df.columns:
        column = df[METHOD_COLUMN].astype("category").array
        used = _used_codes(np.asarray(column.codes))
        named = [str(column.categories[code]) for code in used]
        if named:
            return [m for m in METHODS if m in named]
    metric = df["metric"].astype("category").array
    present = metric.categories[_used_codes(np.asarray(metric.codes))]
    found = infer(map(str, present))
    return [] if found is None else [found.name]


def _used_codes(codes: np.ndarray) -> np.ndarray:
    """The codes (not -1) a categorical's rows hold, ascending (one, where a frame holds
    one method: a cheap minimum and maximum)."""
    held = codes[codes >= 0] if len(codes) and codes.min() < 0 else codes
    if not len(held):
        return np.zeros(0, np.int64)
    if held.min() == held.max():
        return np.array([held[0]], np.int64)
    return np.flatnonzero(np.bincount(held.astype(np.intp, copy=False)))


def _response_keys(df: pd.DataFrame) -> list[str]:
    """The columns that tell the frame's responses apart (see the module's docstring).

    ``fetched_at`` tells fetches apart only where the frame stacks fetches of the same
    periods: a value repeated at one period end, or two whole timeframes of one response.
    In a history, or a folder :func:`engframe.load` resolved, one period holds values of
    several fetches, its best ones, and they are checked together.
    """
    # values of different methods are different responses, whatever else they share
    keys = [c for c in ("source", METHOD_COLUMN, "account") if c in df.columns]
    if "fetched_at" not in df.columns or not len(df):
        return keys
    fetched = epoch_ms(df["fetched_at"])
    if (fetched == fetched[0]).all():
        return [*keys, "fetched_at"]  # one fetch: the column tells nothing apart, but costs
    if df.attrs.get("history") is not None:
        return keys  # one fact per series and period (fetch windows of a method included)
    series = [df[c].array for c in (*keys, "level", "span", "timestamp", "skill", "agent",
                                    "metric")]
    ids, _ = group_ids(series)
    if len(pd.unique(ids)) < len(ids):
        return [*keys, "fetched_at"]
    whole = np.flatnonzero(_fixed_codes(df["span"], SPANS) == _SPAN["timeframe"])
    if len(whole):
        ids, _ = group_ids([df[c].array.take(whole) for c in (*keys, "timestamp")])
        per_response, _ = group_ids([df[c].array.take(whole) for c in keys]) if keys else (
            np.zeros(len(whole), np.int64), 1)
        if len(pd.unique(ids)) > len(pd.unique(per_response)):
            return [*keys, "fetched_at"]
    return keys


def _scopes(df: pd.DataFrame, codes: _Codes) -> list[Scope | None]:
    """The request scope of each response: its file's own (a folder), its method's (a
    history of several methods), else the frame's."""
    frame_scope = Scope.of_request(request_of(df.attrs))
    queries = df.attrs.get("queries")
    held = (df.attrs.get("history") or {}).get("methods")
    if ("source" not in df.columns or not isinstance(queries, Mapping)) and (
            isinstance(held, Mapping) and METHOD_COLUMN in df.columns):
        methods = df[METHOD_COLUMN].array.take(codes.first_of_response)
        return [Scope.of_request((held.get(str(m)) or {}).get("scope"))
                if not pd.isna(m) and isinstance(held.get(str(m)), Mapping) else frame_scope
                for m in methods]
    if "source" not in df.columns or not isinstance(queries, Mapping):
        return [frame_scope] * codes.n_responses
    sources = df["source"].array.take(codes.first_of_response)
    found: dict[Any, Scope | None] = {}
    scopes = []
    for source in sources:
        if source not in found:
            query = queries.get(str(source)) if not pd.isna(source) else None
            found[source] = Scope.of_request(query) if isinstance(query, Mapping) else None
        scopes.append(found[source])
    return scopes


def _additive(codes: _Codes, floats: Collection[str],
              methods: Sequence[str] = ()) -> np.ndarray | None:
    """Per metric code: whether its values add up; ``None`` when all do.

    By kind (:mod:`engframe.methods`): counts and duration totals add; averages, ratios,
    extremes and snapshots do not. A metric the catalogue does not know adds when it holds
    JSON integers: one the response sent as JSON floats (``floats``:
    ``attrs["float_metrics"]``) is an average or a score, even where a value happens to be
    whole (30.0); without that record (a frame whose attrs were lost) a metric holding a
    fraction is one.
    """
    names = [str(name) for name in codes.metrics]
    kinds = [next((kind_of(name, m) for m in methods if kind_of(name, m) != Kind.UNKNOWN),
                  kind_of(name)) for name in names]
    known = np.array([kind != Kind.UNKNOWN for kind in kinds], bool)
    averaged = np.array([kind not in ADDITIVE and kind != Kind.UNKNOWN for kind in kinds], bool)
    if codes.value.dtype.kind == "f" and len(codes.value) and not known.all():
        averaged |= np.isin(np.asarray(codes.metrics, dtype=object), list(floats)) & ~known
        fractional = codes.value != np.floor(codes.value)
        if fractional.any():
            held = np.bincount(codes.metric[fractional & (codes.metric >= 0)],
                               minlength=len(codes.metrics)) > 0
            averaged |= held & ~known
    return ~averaged if averaged.any() else None


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


#: The name columns a named frame (:func:`engframe.names.attach_names`) lends its checks.
_NAMED: Final = (("skill", "skill_name"), ("agent", "agent_name"))
#: A frame's dimension columns as its checks name them: an Away reason is ``away_reason``,
#: since a check's ``reason`` says why its status is what it is.
CHECK_DIMENSIONS: Final = MappingProxyType({STATE_COLUMN: STATE_COLUMN,
                                            REASON_COLUMN: "away_reason",
                                            BUCKET_COLUMN: BUCKET_COLUMN})


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
