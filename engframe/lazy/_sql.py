"""Derived metrics as SQL: one compiler from :class:`~engframe.derive.Formula` to SQL text.

The SQL is written in DuckDB's dialect, restricted to what every engine engframe runs on
understands (``SUM``, ``MAX``, ``CASE``, ``FILTER``, joins), over integer epoch milliseconds
instead of timestamps, so that :mod:`sqlglot` transpiles it to Spark SQL as it is. It is the
one definition the out-of-core ``derive``, the Spark engine and the BI views
(``engframe views``) all read, so none of them holds a second copy of a formula.

A metric's **aggregation** is chosen by its kind (:data:`AGGREGATIONS`): every metric of the
Engagement Activity API is additive (counts and duration totals), so each component is a
``sum``; a catalogue of metric kinds plugs in by mapping a metric to another kind.

Examples
--------
>>> from engframe.derive import DERIVED
>>> from engframe.lazy._sql import formula_sql
>>> print(formula_sql(DERIVED["avgInteractiveHandlingTime"], column=lambda name: name))
CASE WHEN totalInteractiveChats <> 0 THEN totalHandlingTime / totalInteractiveChats END
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Final

from engframe.derive import Formula

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_KIND",
    "aggregate_sql",
    "formula_sql",
    "ident",
    "kind_of",
    "literal",
    "number",
    "weighted_sql",
]

#: How a component of each metric kind is aggregated over the facts of a group; ``{value}``
#: is the measure and ``{metric}`` the metric's name as a SQL literal.
AGGREGATIONS: Final[Mapping[str, str]] = {
    "sum": "sum({value}) FILTER (WHERE metric = {metric})",
}
#: The kind of every metric engframe knows today: counts and duration totals add up.
DEFAULT_KIND: Final = "sum"


def kind_of(metric: str) -> str:
    """The aggregation kind of ``metric`` (``"sum"`` for every Engagement Activity metric)."""
    return DEFAULT_KIND


def ident(name: str) -> str:
    """A quoted SQL identifier (``"totalChats"``); quotes inside are doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal; quotes inside are doubled."""
    return "'" + text.replace("'", "''") + "'"


def number(value: float) -> str:
    """A float as a SQL DOUBLE literal that reads back as the very same float.

    Python's shortest round-trip text in exponent form (``1.0e0``, ``0.016666666666666666e0``):
    DuckDB and Spark parse a number with an exponent as a double, never as a decimal.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = repr(value)
    return text if "e" in text else f"{text}e0"


def aggregate_sql(metric: str, *, value: str = "value") -> str:
    """The aggregate of one component over a group's facts, as a DOUBLE that is 0 when absent.

    Examples
    --------
    >>> print(aggregate_sql("totalHandlingTime"))
    coalesce(CAST(sum(value) FILTER (WHERE metric = 'totalHandlingTime') AS DOUBLE), 0.0e0)
    """
    template = AGGREGATIONS[kind_of(metric)]
    inner = template.format(value=value, metric=literal(metric))
    return f"coalesce(CAST({inner} AS DOUBLE), {number(0.0)})"


def weighted_sql(terms: Mapping[str, float], column: Callable[[str], str]) -> str:
    """A weighted sum of components, added left to right as :func:`engframe.derive` does."""
    parts = [column(name) if weight == 1.0 else f"{number(weight)} * {column(name)}"
             for name, weight in terms.items()]
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def formula_sql(f: Formula, *, column: Callable[[str], str]) -> str:
    """``f`` as a SQL expression over its summed components (``column(name)`` names each).

    A ratio whose denominator is 0 or unknown (NULL) is NULL: NaN in pandas, never ``inf``.
    """
    top = weighted_sql(f.numerator, column)
    if f.scale != 1.0:
        top = f"{number(f.scale)} * {top}"
    if not f.is_ratio:
        return top
    bottom = weighted_sql(f.denominator, column)
    return f"CASE WHEN {bottom} <> 0 THEN {top} / {bottom} END"
