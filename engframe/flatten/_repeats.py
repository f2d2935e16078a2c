"""Find repeated keys in JSON objects, which msgspec (like most decoders) silently collapses.

``{"metricsTotals": {...}, "metricsTotals": {...}}`` decodes to one member: the first value
is lost without a word. Checking every object as it is decoded would cost as much as the
decoding, so the check is arithmetic instead. Every member of a JSON object holds exactly
one ``:`` outside strings, and ``:`` appears nowhere else but inside strings, so for a piece
of JSON::

    colons in its bytes  >=  members it holds  >=  members decoded

and colons == members decoded proves that nothing was collapsed. Counting the colons of a
piece is one vectorised pass over bytes that are already in memory (about 1 % of the
flattening time). Only when the counts differ (a repeated key, or colons inside strings,
such as a time in an envelope) is the piece decoded again, strictly, by the standard
library's JSON decoder with a hook that sees every key; that names the path of the repeated
key, or finds none.

Limits: the strict decode of a piece is slower than msgspec (about 5x), so a response whose
metric names or unknown members hold many colons in every interval flattens more slowly.
Ids that are the same number written twice (``"007"`` and ``"7"``) are not repeated JSON
keys; the walker (:mod:`engframe.flatten._walk`) refuses those.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import numpy as np

from engframe.errors import ResponseError
from engframe.flatten._walk import render, too_deep

__all__ = ["check_piece", "check_shallow", "colons"]

_COLON: Final = ord(":")


def colons(piece: Any) -> int:
    """The number of ``:`` bytes in a bytes-like ``piece``."""
    return int(np.count_nonzero(np.frombuffer(piece, np.uint8) == _COLON))


def check_piece(piece: Any, members: int, path: str) -> None:
    """Raise a ResponseError if the JSON ``piece`` repeats a key somewhere.

    ``members`` is the number of object members its decoded value holds.
    """
    if colons(piece) != members:
        _strict(bytes(piece), (path,))


def check_shallow(parent: Any, children: Iterable[msgspec.Raw], members: int,
                  path: str) -> None:
    """Raise a ResponseError if the object ``parent`` repeats one of its own keys.

    ``parent`` was decoded one level deep: ``members`` of its own, whose values are the
    raw ``children`` (views into ``parent``; their own keys are checked when they are
    decoded). Only the bytes between the children are counted.
    """
    whole = np.frombuffer(parent, np.uint8)
    spans = _spans(whole, children)
    if spans is None:  # not views into parent: count everything, subtract the children
        own = colons(parent) - sum(map(colons, children))
        if own != members:
            _strict(bytes(parent), (path,))
        return
    gaps = [whole[start:end] for start, end in _gaps(spans, len(whole))]
    if sum(int(np.count_nonzero(gap == _COLON)) for gap in gaps) != members:
        # Decode the object with every child replaced by 0: its own keys, nothing else.
        _strict(b"0".join(gap.tobytes() for gap in gaps), (path,))


def _spans(whole: np.ndarray, children: Iterable[msgspec.Raw]) -> list[tuple[int, int]] | None:
    base = whole.ctypes.data
    spans = []
    for child in children:
        view = np.frombuffer(child, np.uint8)
        start = view.ctypes.data - base
        if not 0 <= start <= start + len(view) <= len(whole):
            return None
        spans.append((start, start + len(view)))
    spans.sort()
    return spans


def _gaps(spans: Sequence[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    gaps, position = [], 0
    for start, end in spans:
        gaps.append((position, start))
        position = end
    gaps.append((position, size))
    return gaps


class _Repeated(dict[str, Any]):
    """A decoded object one of whose keys came twice (the first such key: ``repeated``)."""

    repeated: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            break
        seen.add(key)
    marked = _Repeated(found)
    marked.repeated = key
    return marked


def _strict(data: bytes, path: tuple[Any, ...]) -> None:
    """Decode ``data`` with the standard library, and raise at the first repeated key."""
    try:
        value = json.loads(data, object_pairs_hook=_object)
    except RecursionError:
        raise too_deep(render(path)) from None
    except ValueError as exc:  # msgspec read it, so this is a decoder difference: say so
        raise ResponseError(render(path), "JSON every decoder reads alike", str(exc)) from None
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _Repeated):
            raise ResponseError(render((*where, node.repeated)), "each key once in an object",
                                f"{node.repeated!r} a second time (JSON decoders keep only "
                                "one of the two values)")
        if isinstance(node, dict):
            children = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        stack.extend((child, (*where, key)) for key, child in reversed(children))
