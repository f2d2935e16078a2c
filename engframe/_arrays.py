"""Turn the leaves of one section into flat numpy arrays, one element per value.

This is the hot path of the flattener: a 24-hour response holds millions of values, so the
work here is done by C loops (``itertools.chain``, ``map``, ``numpy.fromiter``) over whole
lists of metric maps. The checks are cheap aggregate ones (the set of value types, one
overflow check); only when one fails does :func:`_locate` walk the leaves one by one to
name the offending element and its JSON path.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Final, NoReturn

import numpy as np

from engframe._walk import NO_ID, Leaves, parse_id, render
from engframe.errors import ResponseError, describe

__all__ = ["Chunk", "MetricNames", "to_chunk"]

_INT64: Final = np.iinfo(np.int64)
#: Marks an id key not yet converted (real ids are >= 0, NO_ID is -1).
_UNSEEN: Final = -2


class _BadNameError(Exception):
    """A metric name that is not a string (only possible in a dict built in Python)."""


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
            found = self.codes[name] = len(self.codes)
        return found


@dataclass(frozen=True, slots=True)
class Chunk:
    """The values of one section as arrays.

    ``values`` and ``metric_codes`` have one element per value; ``sizes``, ``levels``,
    ``skills`` and ``agents`` one per metric map (leaf), ids -1 for "none". Expanding the
    leaf arrays to one element per value waits until all chunks are in, so it runs once.
    """

    values: np.ndarray
    metric_codes: np.ndarray
    sizes: np.ndarray
    levels: np.ndarray
    skills: np.ndarray
    agents: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def to_chunk(leaves: Leaves, metrics: MetricNames) -> Chunk:
    """Convert the leaves of a section into a :class:`Chunk`.

    Raises
    ------
    ResponseError
        Naming the first leaf that is not an object of integer metrics, or the first id
        key that is not a number.
    """
    maps = leaves.maps
    if not _only(maps, dict):
        _locate(leaves)
    try:
        sizes, metric_codes, raw_values = _unpack(maps, metrics)
    except _BadNameError:
        _locate(leaves)
    if not _only(raw_values, int):
        _locate(leaves)
    try:
        values = np.fromiter(raw_values, np.int64, len(raw_values))
    except OverflowError:
        _locate(leaves)
    del raw_values
    return Chunk(
        values=values,
        metric_codes=metric_codes,
        sizes=np.broadcast_to(np.asarray(sizes, np.int64), len(maps)),
        levels=np.array(leaves.levels, np.int8),
        skills=np.array(leaves.skills, np.int64),
        agents=_agent_ids(leaves),
    )


def _only(items: list[Any], kind: type) -> bool:
    """Whether every item is a ``kind`` (subclasses too, but a bool is no int)."""
    return all(
        issubclass(found, kind) and not issubclass(found, bool)
        for found in set(map(type, items))
    )


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
    found = np.fromiter(map(ids.get, keys, repeat(_UNSEEN)), np.int64, len(keys))
    if not (found == _UNSEEN).any():
        return found  # every key was met (and checked) before: the usual case
    for key in set(keys).difference(ids):
        if key is None:
            ids[None] = NO_ID
        else:
            index = keys.index(key)
            ids[key] = parse_id(key, leaves.path_of(index), "agent")
    return np.fromiter(map(ids.__getitem__, keys), np.int64, len(keys))


def _locate(leaves: Leaves) -> NoReturn:
    """Find the first bad leaf and raise a ResponseError naming it."""
    for index, leaf in enumerate(leaves.maps):
        path = leaves.path_of(index)
        if not isinstance(leaf, dict):
            raise ResponseError(render(path), "an object of metric values", describe(leaf))
        for name, value in leaf.items():
            where = render((*path, name))
            if not isinstance(name, str):
                raise ResponseError(where, "a metric name (a string)", describe(name))
            if not isinstance(value, int) or isinstance(value, bool):
                raise ResponseError(where, "an integer", describe(value))
            if not _INT64.min <= value <= _INT64.max:
                raise ResponseError(where, "an integer that fits in 64 bits", describe(value))
    raise ResponseError("", "metric values engframe can read", "a value it could not place")

