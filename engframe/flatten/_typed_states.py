"""The fast path for agentactivity: intervals in the page's exact shape, decoded into structs.

Nearly every interval of a real agentactivity answer holds, per agent, a list of states
(``id``, ``name``, ``value`` with the four documented times as integers, and ``reasons``
with the same ``value`` maps) and an empty ``metricsTotals``. (A state without a name is
valid, and read by the general path.) msgspec decodes such an
interval straight into the structs below, checking every type as it parses; anything else
(an unknown member or time, a float, a repeated state or reason id, a non-empty
``metricsTotals``, an id written ``"007"``) makes :func:`typed_states` return ``None`` and
the intervals take the general path (:mod:`engframe.flatten._layouts`), which reads every valid
answer and names the first problem of an invalid one. Both paths give the same leaves in
the same order: each state's times, then its reasons'.

A batch of intervals is converted at once: the per-interval work is a handful of numpy
calls, which would cost more than the values themselves one interval at a time.

msgspec keeps the last of two equal keys without a word, so :func:`typed_states` also counts
the members it decoded in each interval; the caller compares that with the colons of the
raw bytes (:mod:`engframe.flatten._repeats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter, is_not
from typing import Any, Final

import msgspec
import numpy as np

from engframe.flatten._arrays import Chunk, MetricNames
from engframe.flatten._layouts import Codes, DimArrays
from engframe.flatten._walk import UNUSED_ID
from engframe.schema import LEVEL_CODE

__all__ = ["MEASURES", "TypedInterval", "typed_states"]

#: The four times of a state (and of a reason), in the page's order.
MEASURES: Final = ("total", "chatting", "notChatting", "chattingInMaxConcurrency")
_UNSET: Final = msgspec.UNSET


class _Value(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    total: int
    chatting: int
    notChatting: int
    chattingInMaxConcurrency: int


class _Reason(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    value: _Value


class _State(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: int
    name: str
    value: _Value
    reasons: list[_Reason] | msgspec.UnsetType = _UNSET


class _Agents(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    metricsPerAgent: dict[int, list[_State]] | msgspec.UnsetType = _UNSET
    metricsTotals: list[msgspec.Raw] | msgspec.UnsetType = _UNSET


class _Data(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    agentsMetrics: _Agents | msgspec.UnsetType = _UNSET


class _Interval(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    timestamp: int
    metricsData: _Data


_DECODER: Final = msgspec.json.Decoder(_Interval)
_TIMES: Final = attrgetter(*MEASURES)
_VALUE: Final = attrgetter("value")
_PER_MAP: Final = len(MEASURES)
#: Values spanning fewer than this are checked for repeats without sorting them.
_SMALL: Final = 1024


@dataclass(frozen=True, slots=True)
class TypedInterval:
    """One interval read by the fast path.

    Attributes
    ----------
    timestamp : int
        Its timestamp [epoch ms].
    chunk : Chunk
        Its values.
    dims : DimArrays
        Its leaves' states and reasons.
    members : int
        The object members decoded (to compare with the raw bytes' colons).
    """

    timestamp: int
    chunk: Chunk
    dims: DimArrays
    members: int


def typed_states(raws: Sequence[Any], metrics: MetricNames,
                 reasons: Codes) -> list[TypedInterval] | None:
    """Decode raw agentactivity intervals and convert them, or ``None`` for the general path.

    Parameters
    ----------
    raws : sequence of bytes-like
        The intervals' raw JSON.
    metrics : MetricNames
        The response's metric codes.
    reasons : Codes
        The response's reason codes.

    Returns
    -------
    list of TypedInterval or None
        One per interval, in order; ``None`` if any of them strays from the usual shape.
    """
    try:
        intervals = [_DECODER.decode(raw) for raw in raws]
    except (msgspec.DecodeError, RecursionError):
        return None
    sections = [i.metricsData.agentsMetrics for i in intervals]
    if any(s is not _UNSET and s.metricsTotals for s in sections):
        return None  # totals "not supported": the general path sets anything else aside
    per_agent = [{} if s is _UNSET or s.metricsPerAgent is _UNSET else s.metricsPerAgent
                 for s in sections]
    own = np.array([_own_members(s) for s in sections], np.int64)
    agents_per = np.fromiter(map(len, per_agent), np.int64, len(per_agent))
    lists = list(chain.from_iterable(map(dict.values, per_agent)))
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    states = list(chain.from_iterable(lists))
    n = len(states)
    try:
        agent_ids = np.fromiter(chain.from_iterable(per_agent), np.int64, len(lists))
    except OverflowError:
        return None  # beyond 64 bits: the general path says where
    state_ids = np.fromiter(map(attrgetter("id"), states), np.int64, n)
    if _repeats(state_ids, np.repeat(np.arange(len(lists)), counts)):
        return None  # a state twice for one agent: the general path names it
    nested = list(map(attrgetter("reasons"), states))
    listed = np.fromiter(map(is_not, nested, repeat(_UNSET)), bool, n)
    present = list(compress(nested, listed))
    per_state = np.zeros(n, np.int64)
    per_state[listed] = np.fromiter(map(len, present), np.int64, len(present))
    items = list(chain.from_iterable(present))
    item_ids = list(map(attrgetter("id"), items))
    for reason in dict.fromkeys(item_ids):  # register new ids, in the order met
        reasons.code(reason)
    item_codes = np.fromiter(map(reasons.codes.__getitem__, item_ids), np.int32, len(items))
    owner_state = np.repeat(np.arange(n), per_state)
    if _repeats(item_codes.astype(np.int64), owner_state):
        return None  # a reason twice in one state
    # Leaves in the general path's order: each state, then its reasons.
    step = 1 + per_state
    at_state = np.cumsum(step) - step
    at_reason = np.repeat(at_state + 1, per_state) + (
        np.arange(len(items)) - np.repeat(np.cumsum(per_state) - per_state, per_state))
    leaves = n + len(items)
    times = np.empty((leaves, _PER_MAP), np.int64)
    try:
        times[at_state] = _times(states)
        times[at_reason] = _times(items)
    except OverflowError:
        return None
    leaf_state = np.empty(leaves, np.int64)
    leaf_state[at_state] = state_ids
    leaf_state[at_reason] = state_ids[owner_state]
    leaf_reason = np.full(leaves, -1, np.int32)
    leaf_reason[at_reason] = item_codes
    leaf_agent = np.repeat(np.repeat(agent_ids, counts), step)
    # members: each state's own (id, value, name?, reasons?) and its value's, each reason's
    state_members = 3 + _PER_MAP + listed + (2 + _PER_MAP) * per_state
    members = own + agents_per + _sums(_sums(state_members, counts), agents_per)
    leaves_per = _sums(_sums(step, counts), agents_per)
    codes = np.array([metrics.code(name) for name in MEASURES], np.int16)
    given = _given_names(state_ids, states)
    out = []
    first = 0
    for interval, count, total in zip(intervals, leaves_per.tolist(), members.tolist(),
                                      strict=True):
        cut = slice(first, first + count)
        first += count
        chunk = Chunk(
            values=times[cut].ravel(),
            metric_codes=np.tile(codes, count),
            sizes=np.broadcast_to(np.int64(_PER_MAP), count),
            levels=np.full(count, LEVEL_CODE["agent"], np.int8),
            skills=np.full(count, UNUSED_ID, np.int64),
            agents=leaf_agent[cut],
        )
        dims = DimArrays(state=leaf_state[cut], reason=leaf_reason[cut],
                         bucket=np.full(count, np.iinfo(np.int64).min, np.int64),
                         state_names=given)
        out.append(TypedInterval(interval.timestamp, chunk, dims, int(total)))
    return out


def _own_members(section: Any) -> int:
    """An interval's members down to its agents: timestamp, metricsData, agentsMetrics..."""
    if section is _UNSET:
        return 2
    return 3 + (section.metricsPerAgent is not _UNSET) + (section.metricsTotals is not _UNSET)


def _sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The sums of consecutive runs of ``values``, run ``i`` being ``lengths[i]`` long."""
    total = np.concatenate([[0], np.cumsum(values)])
    ends = np.cumsum(lengths)
    sums: np.ndarray = total[ends] - total[ends - lengths]
    return sums


def _repeats(values: np.ndarray, owners: np.ndarray) -> bool:
    """Whether some owner holds one value twice."""
    if not len(values):
        return False
    low, high = int(values.min()), int(values.max())
    if high - low < _SMALL:  # state ids and reason codes are few: no sort needed
        inverse, width = values - low, high - low + 1
    else:
        _, inverse = np.unique(values, return_inverse=True)
        width = int(inverse.max()) + 1
    return bool(np.bincount(owners * width + inverse.ravel()).max() > 1)


def _times(items: list[Any]) -> np.ndarray:
    flat = np.fromiter(chain.from_iterable(map(_TIMES, map(_VALUE, items))), np.int64,
                       _PER_MAP * len(items))
    return flat.reshape(len(items), _PER_MAP)


def _given_names(state_ids: np.ndarray, states: list[Any]) -> dict[int, str]:
    """The first name the intervals give each state id, in the order met."""
    unique, first = np.unique(state_ids, return_index=True)
    order = np.argsort(first, kind="stable")
    return {int(unique[k]): states[int(first[k])].name for k in order.tolist()}
