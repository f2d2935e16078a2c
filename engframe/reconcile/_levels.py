"""Checks between levels and spans: a reported whole against the sum of its parts, from
the rows or from the table of metric maps."""

from __future__ import annotations

import numpy as np

from engframe.errors import FrameError
from engframe.reconcile._checks import _Checks
from engframe.reconcile._codes import _Codes, _Keys
from engframe.reconcile._maps import _Maps
from engframe.reconcile._terms import _SPAN
from engframe.schema import LEVEL_CODE
from engframe.scope import Relation


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
    # only the maps involved are read (the totals of a level, say, few of them); the
    # relation's metrics that any map holds size the key space: the checks' order is the
    # keys' and the metrics' own, whatever the space's size
    chosen = np.flatnonzero(part | whole)
    every = len(chosen) == len(maps.starts)
    sized_codes = np.intersect1d(maps.held_codes, metrics)
    low, high = int(sized_codes.min()), int(sized_codes.max())
    width = high - low + 1
    # a metric outside them is in no involved row: it adds nothing
    inside = [(code, slot) for code, slot in zip(metrics, slots, strict=True)
              if low <= code <= high]
    metrics, slots = [code for code, _ in inside], [slot for _, slot in inside]
    names = ["response", *relation.keys, "dims"]
    keys = _Keys.pack([(column[name] if every else column[name][chosen],
                        *codes.dimension(name)[1:]) for name in names], extra=3 * width)
    if keys.packed is not None:
        return False
    group = keys.key
    is_part = part[chosen]
    on_part, on_whole = group[is_part], group[~is_part]
    taken_part, taken_whole = chosen[is_part], chosen[~is_part]
    # the tables are key-major (a key's metrics side by side), the checks' order: the key's
    # then the metric's
    size = keys.size
    shape = (size, width)
    # counts in the narrowest type that holds them (a whole's: 0, 1 or "more", which is an
    # error): the tables are fresh memory, a page fault a page
    part_counts, part_sums = np.zeros(shape, np.int32), np.zeros(shape)
    whole_counts, whole_sums = np.zeros(shape, np.int8), np.zeros(shape)
    # each involved map's cell: its key's part, or its key's whole after them; the maps are
    # summed in their order, as the rows would be
    cell = np.where(is_part, group, group + size)
    for code, slot in zip(metrics, slots, strict=True):
        j = code - low
        counted, summed = ((maps.counts[slot], maps.sums[slot]) if every
                           else (maps.counts[slot][chosen], maps.sums[slot][chosen]))
        count = np.bincount(cell, weights=counted, minlength=2 * size)
        total = np.bincount(cell, weights=summed, minlength=2 * size)
        part_counts[:, j], whole_counts[:, j] = count[:size], np.minimum(count[size:], 2)
        part_sums[:, j], whole_sums[:, j] = total[:size], total[size:]
    if (whole_counts > 1).any():
        raise FrameError(
            f"reconcile: the frame holds a reported total more than once ({relation.name}); "
            "it stacks several responses: keep them apart with a 'source' column "
            "(engframe.load of a folder adds one)")
    at_cell = np.flatnonzero((part_counts != 0) | (whole_counts != 0))
    grouped, metric = np.divmod(at_cell, width)
    # where keys are fewer than checks (a key's several metrics), the key columns are read
    # per key and each check reads its key's (a check between spans has its own timestamp)
    by_key = relation.parts is not None and keys.size <= len(grouped)
    found = dict(zip(names, keys.unpack(np.arange(keys.size) if by_key else grouped),
                     strict=True))
    if not having.all():  # the checks of the responses that hold both sides
        kept = having[found["response"][grouped] if by_key else found["response"]]
        at_cell, metric, grouped = at_cell[kept], metric[kept], grouped[kept]
        if not by_key:
            found = {name: code[kept] for name, code in found.items()}
    # at_cell: each check's cell in the (key, metric) tables
    if relation.parts is None:
        # a check between spans has the whole's timestamp, else its newest interval's
        stamps = column["timestamp"]
        at = np.full(shape, -1, np.int64)
        for code, slot in zip(metrics, slots, strict=True):
            with_it = maps.counts[slot][taken_whole] > 0
            at[on_whole[with_it], code - low] = stamps[taken_whole[with_it]]
        stamp = at.ravel()[at_cell]
        if (stamp < 0).any():
            newest = np.full(shape, -1, np.int64)
            for code, slot in zip(metrics, slots, strict=True):
                with_it = maps.counts[slot][taken_part] > 0
                np.maximum.at(newest[:, code - low], on_part[with_it],
                              stamps[taken_part[with_it]])
            stamp = np.where(stamp < 0, newest.ravel()[at_cell], stamp)
    else:
        stamp = found["timestamp"]
    reported, parts_sum = whole_sums.ravel()[at_cell], part_sums.ravel()[at_cell]
    if codes.value.dtype.kind != "f":
        reported, parts_sum = reported.astype(np.int64), parts_sum.astype(np.int64)
    return _Checks(
        relation=relation.name,
        level=found.get("level", LEVEL_CODE.get(relation.whole or "", 0)),
        span=found.get("span", _SPAN["timeframe"]),
        stamp=stamp,
        skill=found.get("skill", -1),
        agent=found.get("agent", -1),
        metric=metric + low, response=found["response"],
        reported=reported, parts_sum=parts_sum, parts=part_counts.ravel()[at_cell],
        dims=found["dims"] if codes.dims is not None else None,
        at=grouped if by_key else None,
    )

