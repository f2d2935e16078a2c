"""Turn the leaves of one section into flat numpy arrays, one element per value.

This is the hot path of the flattener: a 24-hour response holds millions of values, so the
work here is done by C loops (``itertools.chain``, ``map``, ``numpy.fromiter``) over whole
lists of metric maps. The checks are cheap aggregate ones (the set of value types, one
overflow check); only when one fails does :func:`_locate` walk the leaves one by one to
name the offending element and its JSON path.

Values are JSON integers (kept exactly, as int64) or JSON numbers with a fraction or an
exponent (float64). A section holding both keeps both as float64, which is exact for
integers up to 2**53 in magnitude; the chunk records which metrics held a float, so that
the flattener can decide the response's value dtype once all sections are in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Final, NoReturn

import numpy as np

from engframe.errors import ResponseError, describe
from engframe.flatten._walk import NOT_KEYED, UNUSED_ID, Leaves, render, repeated_id
from engframe.limits import MAX_METRICS
from engframe.schema import MAX_EXACT_INT

__all__ = ["Chunk", "MetricNames", "TooManyMetricsError", "to_chunk"]

_INT64: Final = np.iinfo(np.int64)
_NUMBER: Final = (int, float)


class _BadNameError(Exception):
    """A metric name that is not a string (only possible in a dict built in Python)."""


class TooManyMetricsError(Exception):
    """A response names more metrics than :data:`engframe.limits.MAX_METRICS`."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class MetricNames:
    """Metric names seen so far, each with a small integer code (its category code)."""

    def __init__(self, known: tuple[str, ...]) -> None:
        self.codes: dict[str, int] = {name: code for code, name in enumerate(known)}

    @property
    def names(self) -> list[str]:
        return list(self.codes)

    def code(self, name: str) -> int:
        found = self.codes.get(name)
        if found is None:
            if not isinstance(name, str):
                raise _BadNameError
            if len(self.codes) >= MAX_METRICS:
                raise TooManyMetricsError(name)
            found = self.codes[name] = len(self.codes)
        return found


def too_many_metrics(path: str, name: str) -> ResponseError:
    """The error for the metric name one past :data:`engframe.limits.MAX_METRICS`."""
    return ResponseError(path, f"at most {MAX_METRICS:,} distinct metric names in a response, "
                               "the five documented ones included (engframe.limits.MAX_METRICS)",
                         f"more, the next being {describe(name)}")


@dataclass(frozen=True, slots=True)
class Chunk:
    """The values of one section as arrays.

    ``values`` and ``metric_codes`` have one element per value; ``sizes``, ``levels``,
    ``skills`` and ``agents`` one per metric map (leaf). Where a leaf's level has no skill
    (or agent), its entry is :data:`engframe.flatten._walk.UNUSED_ID` and never read. Expanding the
    leaf arrays to one element per value waits until all chunks are in, so it runs once.
    ``values`` is int64, or float64 when the section held a float; ``float_codes`` are the
    codes of the metrics that did.
    """

    values: np.ndarray
    metric_codes: np.ndarray
    sizes: np.ndarray
    levels: np.ndarray
    skills: np.ndarray
    agents: np.ndarray
    float_codes: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self.values)


def to_chunk(leaves: Leaves, metrics: MetricNames) -> Chunk:
    """Convert the leaves of a section into a :class:`Chunk`.

    Raises
    ------
    ResponseError
        Naming the first leaf that is not an object of numeric metrics, the first id key
        that is not a number, or the first name past :data:`engframe.limits.MAX_METRICS`.
    """
    maps = leaves.maps
    if not _only(maps, (dict,)):
        _locate(leaves)
    try:
        sizes, metric_codes, raw_values = _unpack(maps, metrics)
    except _BadNameError:
        _locate(leaves)
    except TooManyMetricsError as exc:
        _locate_name(leaves, exc.name)
    if _only(raw_values, (int,)):
        try:
            values = np.fromiter(raw_values, np.int64, len(raw_values))
        except OverflowError:
            _locate(leaves)
        float_codes: frozenset[int] = frozenset()
    elif _only(raw_values, _NUMBER):
        values, float_codes = _floats(raw_values, metric_codes, leaves)
    else:
        _locate(leaves)
    del raw_values
    return Chunk(
        values=values,
        metric_codes=metric_codes,
        sizes=np.broadcast_to(np.asarray(sizes, np.int64), len(maps)),
        levels=np.array(leaves.levels, np.int8),
        skills=np.array(leaves.skills, np.int64),
        agents=_agent_ids(leaves),
        float_codes=float_codes,
    )


def _only(items: list[Any], kinds: tuple[type, ...]) -> bool:
    """Whether every item is one of ``kinds`` (subclasses too, but a bool is no int)."""
    return all(
        issubclass(found, kinds) and not issubclass(found, bool)
        for found in set(map(type, items))
    )


def _floats(raw_values: list[Any], metric_codes: np.ndarray,
            leaves: Leaves) -> tuple[np.ndarray, frozenset[int]]:
    """float64 values of a section that holds floats, and the codes of their metrics."""
    is_float = np.fromiter(map(isinstance, raw_values, repeat(float)), bool, len(raw_values))
    try:
        values = np.fromiter(raw_values, np.float64, len(raw_values))
    except OverflowError:  # an integer beyond float64's range
        _locate(leaves, floats=True)
    if not np.isfinite(values).all():  # NaN or infinity: not JSON, only in a Python dict
        _locate(leaves, floats=True)
    # float64 holds integers exactly up to 2**53; those beyond round (2**53 + 1 becomes
    # 2**53), so the integers near the bound are compared as Python integers.
    near = np.flatnonzero(~is_float & (np.abs(values) >= MAX_EXACT_INT))
    if any(abs(raw_values[i]) > MAX_EXACT_INT for i in near.tolist()):
        _locate(leaves, floats=True)
    codes = np.unique(metric_codes[is_float])
    return values, frozenset(codes.tolist())


def _unpack(
    maps: list[dict[str, Any]], metrics: MetricNames
) -> tuple[Any, np.ndarray, list[Any]]:
    """Each map's number of values, and the metric code and value of every value."""
    pattern = tuple(maps[0]) if maps else ()
    if len(pattern) > 1 and set(map(len, maps)) == {len(pattern)}:
        # Nearly always every map holds the same metrics: then one C-level itemgetter
        # per map reads them in a fixed order, and no key needs looking up on its own.
        try:
            values = list(chain.from_iterable(map(itemgetter(*pattern), maps)))
        except KeyError:
            pass
        else:
            codes = np.array([metrics.code(name) for name in pattern], np.int16)
            return len(pattern), np.tile(codes, len(maps)), values
    sizes = np.fromiter(map(len, maps), np.int64, len(maps))
    keys = list(chain.from_iterable(maps))
    codes = np.fromiter(map(metrics.code, keys), np.int16, len(keys))
    return sizes, codes, list(chain.from_iterable(map(dict.values, maps)))


def _agent_ids(leaves: Leaves) -> np.ndarray:
    keys = leaves.agent_keys
    ids = leaves.ids
    try:
        found = np.fromiter(map(ids.__getitem__, keys), np.int64, len(keys))
    except KeyError:  # keys not met (and checked) before: parse them, then read again
        ids.setdefault(NOT_KEYED, UNUSED_ID)  # the key of a leaf that is not per agent
        new = set(keys).difference(ids)
        # each new key's first position, in one pass (the path of an error names it)
        first: dict[Any, int] = {}
        for index, key in enumerate(keys):
            if key in new and key not in first:
                first[key] = index
        for key, index in first.items():
            ids.parse(key, partial(leaves.path_of, index), "agent")
        found = np.fromiter(map(ids.__getitem__, keys), np.int64, len(keys))
    if ids.loose:
        _check_distinct_agents(leaves, found)
    return found


def _check_distinct_agents(leaves: Leaves, found: np.ndarray) -> None:
    """Refuse two keys of one ``metricsPerAgent`` that are one id (``"007"``, ``"7"``)."""
    starts = [block.first for block in leaves.blocks] + [len(found)]
    for block, end in zip(leaves.blocks, starts[1:], strict=True):
        ids = found[block.first:end]
        if not block.keyed or len(np.unique(ids)) == len(ids):
            continue
        seen: dict[int, Any] = {}
        for index in range(block.first, end):
            key = leaves.agent_keys[index]
            first = seen.setdefault(int(found[index]), key)
            if first != key:
                raise repeated_id(leaves.path_of(index), "agent", key, first)


def _locate_name(leaves: Leaves, name: str) -> NoReturn:
    """Raise naming where metric ``name`` (the one past the limit) first appears."""
    for index, leaf in enumerate(leaves.maps):
        if name in leaf:
            raise too_many_metrics(render((*leaves.path_of(index), name)), name)
    raise too_many_metrics(render(leaves.path_of(0)), name)


def _locate(leaves: Leaves, *, floats: bool = False) -> NoReturn:
    """Find the first bad leaf and raise a ResponseError naming it.

    ``floats``: the section holds a float, so every value becomes float64 and integers
    must be exact in it.
    """
    for index, leaf in enumerate(leaves.maps):
        path = leaves.path_of(index)
        if not isinstance(leaf, dict):
            raise ResponseError(render(path), "an object of metric values", describe(leaf))
        for name, value in leaf.items():
            where = render((*path, name))
            if not isinstance(name, str):
                raise ResponseError(where, "a metric name (a string)", describe(name))
            if not isinstance(value, _NUMBER) or isinstance(value, bool):
                raise ResponseError(where, "a number", describe(value))
            if isinstance(value, float) and not math.isfinite(value):
                raise ResponseError(where, "a finite number (JSON has no NaN or infinity)",
                                    describe(value))
            if isinstance(value, int) and not _INT64.min <= value <= _INT64.max:
                raise ResponseError(where, "an integer that fits in 64 bits", describe(value))
            if floats and isinstance(value, int) and abs(value) > MAX_EXACT_INT:
                raise inexact(where, value)
    raise ResponseError("", "metric values engframe can read", "a value it could not place")


def inexact(where: str, value: int) -> ResponseError:
    """The error for an integer that float64 cannot hold, in a response with floats."""
    return ResponseError(
        where, "an integer within +-2**53 (the response holds decimals, so its values are "
               "float64, which is exact only that far)", describe(value))
