"""What a derived frame says about itself in ``df.attrs``, for the steps downstream.

A derived frame's ``value`` column is float64 (one column holds averages and counts alike),
so :func:`engframe.derive` records which metrics are nevertheless whole numbers (sums of
integer counts such as ``totalChats``: the wide layouts and printed tables keep them as
integers) and the unit of each metric (parquet metadata, axis labels). It also carries the
source frame's attrs over (the query, account and fetch time), so a file written from a
derived frame records the query it was derived from.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Final

from engframe.methods import HOURS, Formula, unit_of

__all__ = ["INTEGER_METRICS", "UNITS", "WINDOW_MS", "derived_attrs", "is_whole"]

#: ``attrs`` key: the metrics whose float values are whole numbers.
INTEGER_METRICS: Final = "integer_metrics"
#: ``attrs`` key: metric name -> unit.
UNITS: Final = "units"
#: ``attrs`` key: the time a frame of a chart's sums stands for, (first, last) [epoch ms],
#: when its own rows cannot say (a history's sums computed out of core).
WINDOW_MS: Final = "window_ms"


def is_whole(f: Formula) -> bool:
    """Whether ``f`` of integer inputs is a whole number: an unscaled sum with integer weights.

    Examples
    --------
    >>> from engframe.derive import DERIVED
    >>> is_whole(DERIVED["totalChats"]), is_whole(DERIVED["avgHandlingTime"])
    (True, False)
    """
    return (not f.is_ratio and f.scale == 1.0 and HOURS not in f.numerator
            and all(float(w).is_integer() for w in f.numerator.values()))


def derived_attrs(
    source: Mapping[Any, Any],
    formulas: Iterable[Formula],
    *,
    components: Iterable[str],
    integer_input: bool,
    whole: Iterable[str] | None = None,
    whole_components: set[str] | None = None,
) -> dict[Any, Any]:
    """The ``attrs`` of a derived frame: the source's, plus units and whole-number metrics.

    ``components`` are the summed components emitted as rows (``components=True``);
    ``whole`` the formulas whose components hold whole numbers (counts and duration totals
    of a frame whose value column is float64 because of a method's averages), by default
    all of them when the input's values are integers.
    """
    formulas = list(formulas)
    shown = list(components)
    attrs = copy.deepcopy(dict(source))
    units = {c: unit_of(c) for c in shown}
    units.update({f.name: f.unit for f in formulas})
    attrs[UNITS] = units
    integral = set(f.name for f in formulas) if whole is None and integer_input else set(
        whole or ())
    found = [f.name for f in formulas if is_whole(f) and f.name in integral]
    found += [c for c in shown if c != HOURS and (
        integer_input or (whole_components is not None and c in whole_components))]
    attrs[INTEGER_METRICS] = list(dict.fromkeys(found))
    return attrs
