"""The catalogue of API methods: requests, response shapes, metrics and their kinds, as data.

At the top of the data flow: the client's validation, the simulator, ``flatten``,
``derive``, ``reconcile``, the history, ``unflatten``, the plots' labels and units and the
command line all read it, and it imports none of them. One module per method
(:mod:`~engframe.methods.engactivity`, :mod:`~engframe.methods.msgconversation`,
:mod:`~engframe.methods.msgcsatdistribution`, :mod:`~engframe.methods.queuehealth`,
:mod:`~engframe.methods.agentactivity`, :mod:`~engframe.methods.sla`,
:mod:`~engframe.methods.queuestate`), each defining a :class:`Method`; adding a method is one
module here (and its part of the simulator, :mod:`engframe.sim`; a new response shape also
needs its :class:`Layout` and the flattener's reader for it).

Every metric has a :class:`Kind`, which says how it aggregates at any grain
(:data:`AGGREGATION`): counts and duration totals add; an average or a ratio is recomputed
from its numerator and denominator (the ratio of their sums, divided last); an extreme or a
snapshot is never added over time; an unknown metric is added only when it holds integers.

Examples
--------
>>> from engframe import methods
>>> list(methods.METHODS)  # doctest: +NORMALIZE_WHITESPACE
['engactivity', 'msgconversation', 'msgcsatdistribution', 'queuehealth', 'agentactivity',
 'sla', 'queuestate']
>>> methods.owner("csat_score").name
'msgcsatdistribution'
>>> methods.label("avgInteractiveHandlingTime")
'Average interactive handling time (s)'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from engframe.errors import QueryError
from engframe.methods import (
    agentactivity,
    engactivity,
    msgconversation,
    msgcsatdistribution,
    queuehealth,
    queuestate,
    sla,
)
from engframe.methods._formula import HOURS, Formula, Terms, formula
from engframe.methods._model import (
    ADDITIVE,
    AGGREGATION,
    FLOAT32_PRECISION,
    HISTOGRAM,
    QUEUES,
    SECTIONS,
    SNAPSHOT,
    STATES,
    Breakdown,
    Identity,
    Kind,
    Layout,
    Method,
    Metric,
    Running,
)

__all__ = [
    "ADDITIVE",
    "AGGREGATION",
    "DEFAULT_METHOD",
    "FLOAT32_PRECISION",
    "HISTOGRAM",
    "HOURS",
    "METHODS",
    "QUEUES",
    "SECTIONS",
    "SNAPSHOT",
    "STATES",
    "TIME_UNITS",
    "Breakdown",
    "Formula",
    "Identity",
    "Kind",
    "Layout",
    "Method",
    "Metric",
    "Running",
    "Terms",
    "derived_formula",
    "formula",
    "get_method",
    "infer",
    "kind_of",
    "label",
    "metric_info",
    "owner",
    "unit_of",
    "volume_of",
]

#: Every method engframe knows, by name, in the order the README lists them.
METHODS: Final[Mapping[str, Method]] = MappingProxyType({
    m.name: m for m in (engactivity.METHOD, msgconversation.METHOD, msgcsatdistribution.METHOD,
                        queuehealth.METHOD, agentactivity.METHOD, sla.METHOD, queuestate.METHOD)
})

#: The method fetched when none is named.
DEFAULT_METHOD: Final = "engactivity"

#: The units durations may be read in, and what one of them is in seconds.
TIME_UNITS: Final[Mapping[str, float]] = MappingProxyType({"s": 1.0, "ms": 0.001})

_OWNERS: Final[Mapping[str, Method]] = MappingProxyType({
    name: method
    for method in reversed(list(METHODS.values()))
    for name in (*method.metric_names, *method.derived_map)
})


def get_method(name: object, *, parameter: str = "method") -> Method:
    """The method called ``name``.

    Parameters
    ----------
    name : str
        A method's name (``"msgconversation"``), or a :class:`Method`, returned as is.
    parameter : str
        The name the error uses for the option (``"method"``, ``"--method"``).

    Returns
    -------
    Method

    Raises
    ------
    QueryError
        If engframe does not know it; the message lists the methods it knows.

    Examples
    --------
    >>> get_method("msgcsatdistribution").interval
    False
    >>> get_method("queue-health")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.QueryError: method='queue-health' is invalid: method must be one of ...
    """
    if isinstance(name, Method):
        return name
    if isinstance(name, str) and name in METHODS:
        return METHODS[name]
    rule = "one of " + ", ".join(METHODS)
    shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
    raise QueryError(f"{parameter}={shown} is invalid: {parameter} must be {rule}",
                     parameter=parameter, value=name, rule=rule)


def owner(metric: str) -> Method | None:
    """The method that sends (or derives) ``metric``, or None if no method does.

    Examples
    --------
    >>> owner("totalResolvedConversations").name, owner("nosuch") is None
    ('msgconversation', True)
    """
    return _OWNERS.get(metric)


def infer(metrics: Iterable[str]) -> Method | None:
    """The method whose metrics these are: the one owning most of them, None if none does.

    Unknown names do not vote, so a response with a metric engframe does not know is still
    recognised by the others.

    Examples
    --------
    >>> infer(["csat_score1_answers", "new_metric"]).name
    'msgcsatdistribution'
    >>> infer(["new_metric"]) is None
    True
    """
    votes: dict[str, int] = {}
    for name in metrics:
        found = _OWNERS.get(str(name))
        if found is not None:
            votes[found.name] = votes.get(found.name, 0) + 1
    if not votes:
        return None
    return METHODS[max(votes, key=lambda name: votes[name])]


def metric_info(name: str, method: str | Method | None = None) -> Metric | None:
    """The catalogue's entry for metric ``name`` (of ``method`` when given), or None.

    Examples
    --------
    >>> metric_info("avgTime_resolvedConversations").kind
    <Kind.AVERAGE: 'average'>
    """
    if method is not None:
        chosen = method if isinstance(method, Method) else METHODS.get(method)
        if chosen is not None:
            found = chosen.metric(name)
            if found is not None:
                return found
    found_method = _OWNERS.get(name)
    return None if found_method is None else found_method.metric(name)


def kind_of(name: str, method: str | Method | None = None) -> Kind:
    """The :class:`Kind` of metric ``name``: ``Kind.UNKNOWN`` if the catalogue lacks it.

    Examples
    --------
    >>> kind_of("csat_score"), kind_of("totalChats"), kind_of("mystery")
    (<Kind.RATIO: 'ratio'>, <Kind.UNKNOWN: 'unknown'>, <Kind.UNKNOWN: 'unknown'>)
    """
    found = metric_info(name, method)
    return Kind.UNKNOWN if found is None else found.kind


def derived_formula(name: str, method: str | Method | None = None) -> Formula | None:
    """A derived metric of the catalogue by name (of ``method`` when given), or None.

    Examples
    --------
    >>> print(derived_formula("resolutionShare_byCCP"))  # doctest: +NORMALIZE_WHITESPACE
    resolutionShare_byCCP = resolvedConversations_byCCP / (resolvedConversations_byCCP
    + resolvedConversations_byConsumer + resolvedConversations_bySystem)  [fraction]
    """
    if method is not None:
        chosen = method if isinstance(method, Method) else METHODS.get(method)
        if chosen is not None and name in chosen.derived_map:
            return chosen.derived_map[name]
    found = _OWNERS.get(name)
    return None if found is None else found.derived_map.get(name)


def unit_of(name: str | Formula, method: str | Method | None = None) -> str:
    """The unit of a metric or formula (``""`` when unknown).

    Examples
    --------
    >>> unit_of("totalHandlingTime"), unit_of("csat_score"), unit_of(HOURS)
    ('s', 'fraction', 'h')
    """
    if isinstance(name, Formula):
        return name.unit
    if name == HOURS:
        return "h"
    found = metric_info(name, method)
    if found is not None:
        return found.unit
    derived = derived_formula(name, method)
    return "" if derived is None else derived.unit


def label(metric: str | Formula, method: str | Method | None = None, *,
          unit: str | None = None) -> str:
    """Plain words and the unit for an axis or a column: "Average interactive handling time (s)".

    The catalogue's label for a metric or derived metric of any method, a formula's own
    ``label``, else the name; the unit in brackets when there is one (``unit=`` overrides
    it; ``""`` leaves it out). The id stays in the data (the ``metric`` column).

    Examples
    --------
    >>> label("avgTime_resolvedConversations_byCCP")
    'Average handling time of conversations resolved by the agent (s)'
    >>> label("csat_score"), label("mystery")
    ('CSAT score (fraction)', 'mystery')
    """
    if isinstance(metric, Formula):
        found_label = metric.label
        if not found_label:
            known = derived_formula(metric.name, method) or metric_info(metric.name, method)
            found_label = known.label if known is not None else metric.name
        shown_unit = metric.unit if unit is None else unit
    else:
        known_metric = metric_info(metric, method)
        known_derived = derived_formula(metric, method)
        found_label = (known_metric.label if known_metric is not None
                       else known_derived.label if known_derived is not None
                       and known_derived.label else metric)
        shown_unit = unit_of(metric, method) if unit is None else unit
    return f"{found_label} ({shown_unit})" if shown_unit else found_label


def volume_of(metric: str | Formula, method: str | Method | None = None) -> str:
    """The count that says how much stands behind ``metric``: its method's volume.

    Charts rank and size groups by it (chats, conversations, answers).

    Examples
    --------
    >>> volume_of("avgInteractiveHandlingTime"), volume_of("csat_score")
    ('totalChats', 'total_answers')
    """
    if method is not None:
        return get_method(method).volume
    name = metric.name if isinstance(metric, Formula) else metric
    found = owner(name)
    if found is None and isinstance(metric, Formula):
        found = next((o for c in metric.components if (o := owner(c)) is not None), None)
    return (found or METHODS[DEFAULT_METHOD]).volume
