"""Derived metrics on the tidy frame: average handling time and friends, at any grain.

Every derived metric is a ratio of sums (:class:`Formula`), computed by :func:`derive`
after :func:`select`-ing one level and one span, so nothing is counted twice and no
mean of ratios sneaks in. :func:`to_wide` pivots any tidy frame to one column per metric.

Your own metrics are :func:`formula` objects passed to ``derive(metrics=...)`` (and to the
plots): there is no global registry, so two notebooks never change each other's metrics.

Examples
--------
>>> from engframe.derive import DERIVED, formula
>>> print(DERIVED["avgInteractiveHandlingTime"])
avgInteractiveHandlingTime = totalHandlingTime / totalInteractiveChats  [s]
>>> print(formula("chatsPerEngagement", "totalChatsX / connectedEngagements"))
chatsPerEngagement = totalChatsX / connectedEngagements
"""

from engframe.derive._core import DEFAULT_TZ, TIME_GRAINS, derive, resolve
from engframe.derive._periods import PERIOD_KEYS
from engframe.derive._select import LEVEL_PREFERENCE, TIME_KEYS, select
from engframe.derive._wide import to_wide
from engframe.methods import HOURS, Formula, Terms, formula
from engframe.methods.engactivity import DERIVED, RAW_LABELS, RAW_UNITS

__all__ = [
    "DEFAULT_TZ",
    "DERIVED",
    "HOURS",
    "LEVEL_PREFERENCE",
    "PERIOD_KEYS",
    "RAW_LABELS",
    "RAW_UNITS",
    "TIME_GRAINS",
    "TIME_KEYS",
    "Formula",
    "Terms",
    "derive",
    "formula",
    "resolve",
    "select",
    "to_wide",
]
