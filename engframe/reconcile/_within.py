"""Checks among the metrics of one map: identities (whole = sum of parts), and averages and
ratios against the sums behind them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from engframe.errors import FrameError
from engframe.methods import FLOAT32_PRECISION, METHODS, Identity, Kind, Metric
from engframe.reconcile._checks import _Checks
from engframe.reconcile._codes import _Codes, _Keys
from engframe.reconcile._maps import _ROW_KEYS, _Maps
from engframe.reconcile._terms import AVERAGE_RELATION, RATIO_RELATION, ROUNDED_METRICS

#: The relative width of a float allowed beyond half a step (see ``_recomputed_check``).
_STEP_EPSILON: Final = 1e-9


def _row_checks(codes: _Codes, roles: dict[int, int], n_roles: int,
                maps: _Maps | None = None) -> tuple[
        list[np.ndarray], list[np.ndarray], dict[str, np.ndarray]] | None:
    """Sums and counts per metric map (row key) and role, for checks among its metrics.

    ``roles`` maps a metric code to its role (1..n_roles-1); other metrics are left out.
    Returns counts and sums per role and key (keys no role's metric holds count 0 in
    every role), and the key columns of each key (``maps``: the frame's metric maps
    gathered once, in the frame's order, whose keys are its maps).
    """
    if maps is not None and all(code in maps.slots for code in roles):
        counts, sums = maps.roles(roles, n_roles)
        return counts, sums, maps.columns
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

    counted, summed = counted[present], summed[present]
    return ([counted[:, r] for r in range(n_roles)], [summed[:, r] for r in range(n_roles)],
            column)


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
    at = np.flatnonzero(kept)
    reported, parts_sum = sums[2][at], sums[1][at]
    if codes.value.dtype.kind != "f":
        reported, parts_sum = reported.astype(np.int64), parts_sum.astype(np.int64)
    return _Checks(
        relation=identity.name, level=columns["level"], span=columns["span"],
        stamp=columns["timestamp"], skill=columns["skill"], agent=columns["agent"],
        metric=metrics.index(identity.whole), response=columns["response"],
        reported=reported, parts_sum=parts_sum, parts=counts[1][at],
        dims=columns["dims"] if codes.dims is not None else None, at=at)


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
    at = np.flatnonzero(kept)
    values = np.column_stack([summed[at] for summed in sums[1:own]])
    numerator = values @ np.array([top.get(c, 0.0) for c in components])
    denominator = values @ np.array([bottom.get(c, 0.0) for c in components])
    # where nothing is below, the API shows the metric's no-data value (-1), else 0
    recomputed = np.full(len(numerator), 0.0 if metric.no_data is None else float(metric.no_data))
    np.divide(numerator, denominator, out=recomputed, where=denominator != 0)
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
        relation=relation, level=columns["level"], span=columns["span"],
        stamp=columns["timestamp"], skill=columns["skill"], agent=columns["agent"],
        metric=metrics.index(metric.name), response=columns["response"],
        reported=sums[own][at], parts_sum=recomputed, parts=len(components),
        float_tolerance=allowed, dims=columns["dims"] if codes.dims is not None else None,
        at=at)


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

