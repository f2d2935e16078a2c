"""The catalogue's vocabulary: a method, its metrics, their kinds, its response layout.

Metrics are data (dbt MetricFlow's measures): each says its :class:`Kind`, which decides how
it aggregates at any grain, and an average or a ratio names its numerator and denominator so
that every grain recomputes it from sums and divides last. A :class:`Method` gathers what
engframe knows of one API method: its request (path, GET and/or POST, parameters and their
limits), its response (the :class:`Layout` that says which members hold which level), its
metrics, derived formulas and the identities among its metrics that reconcile checks.

Nothing here imports a stage of the data flow: every stage reads the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal

from engframe.methods._formula import Formula, formula

__all__ = [
    "ADDITIVE",
    "AGGREGATION",
    "FLOAT32_PRECISION",
    "HISTOGRAM",
    "QUEUES",
    "SECTIONS",
    "SNAPSHOT",
    "STATES",
    "Breakdown",
    "Identity",
    "Kind",
    "Layout",
    "Method",
    "Metric",
    "Running",
]


class Kind(StrEnum):
    """What a metric's value is, which decides how it aggregates.

    Examples
    --------
    >>> Kind("average"), Kind.COUNT in ADDITIVE
    (<Kind.AVERAGE: 'average'>, True)
    """

    #: chats, conversations, answers: add up.
    COUNT = "count"
    #: seconds summed (handling time): add up.
    DURATION = "duration"
    #: an average the API sends: recomputed from its numerator and denominator, never added.
    AVERAGE = "average"
    #: a ratio or share the API sends: recomputed from its counts, never added.
    RATIO = "ratio"
    #: a maximum or minimum over a period: its direction over time, never added.
    EXTREME = "extreme"
    #: a current value (queue size now): the latest, never added over time.
    SNAPSHOT = "snapshot"
    #: a metric the catalogue does not know: added only when it holds integers.
    UNKNOWN = "unknown"


#: The kinds whose values add up at any grain.
ADDITIVE: Final = frozenset({Kind.COUNT, Kind.DURATION})

#: How each kind aggregates over the rows of a group, in words (the README's table).
AGGREGATION: Final[Mapping[Kind, str]] = MappingProxyType({
    Kind.COUNT: "summed",
    Kind.DURATION: "summed",
    Kind.AVERAGE: "recomputed as sum(numerator) / sum(denominator); without them, kept "
                  "where a group holds one value and missing (with a warning) beyond",
    Kind.RATIO: "recomputed from its counts, sum(numerator) / sum(denominator)",
    Kind.EXTREME: "its direction (max or min) over the periods of one series; missing "
                  "across series (with a warning)",
    Kind.SNAPSHOT: "the latest value of one series; missing across series (with a warning)",
    Kind.UNKNOWN: "summed when every value is a JSON integer; else as an average without "
                  "its numerator and denominator",
})

#: Relative precision of a value the API computes and sends as a 32-bit float (its
#: averages: 426 / 21 = 20.285714... is sent as ``20.285715``): one unit in the last place
#: of a float32, which bounds both the float32 rounding and the shortest decimal shown.
FLOAT32_PRECISION: Final = 2.0**-23


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of a method's answers.

    Attributes
    ----------
    name : str
        The API's name, verbatim.
    kind : Kind
        What the value is (see :class:`Kind`).
    unit : str
        Its unit (``"s"``, ``"conversations"``, ``"fraction"``...).
    label : str
        Plain words for charts and tables ("Average interactive handling time").
    description : str
        One sentence from the method's documentation.
    numerator, denominator : mapping of str to float
        For an average or a ratio the method can be recomputed from: the metrics summed
        above and below. Empty when the method does not send them.
    rounded : bool
        The API rounds each element on its own (handling times to whole seconds): a total
        may differ from the sum of its parts by that rounding.
    json_float : bool
        The API sends it as a JSON float (averages, scores), a 32-bit one
        (:data:`FLOAT32_PRECISION`).
    no_data : float or None
        A value that means "no data" rather than a number (``-1`` in several current and
        average fields of the chat methods); never added up.
    step : float or None
        The precision the API shows the value to, where it rounds it (1: whole seconds;
        0.01: two decimals): an average or ratio may differ from the ratio of its sums by
        half of it.
    direction : "max", "min" or None
        For an extreme: which one.
    """

    name: str
    kind: Kind
    unit: str
    label: str
    description: str = ""
    numerator: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    denominator: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    rounded: bool = False
    json_float: bool = False
    no_data: float | None = None
    direction: Literal["max", "min"] | None = None
    step: float | None = None

    @property
    def additive(self) -> bool:
        """Whether its values add up (a count or a duration total)."""
        return self.kind in ADDITIVE

    @property
    def recomputable(self) -> bool:
        """Whether it is an average or ratio the method sends the sums behind."""
        return self.kind in (Kind.AVERAGE, Kind.RATIO) and bool(self.denominator)

    def formula(self) -> Formula:
        """The formula that gives this metric at any grain.

        A count or duration is its own sum; an average or ratio with its numerator and
        denominator is their ratio of sums, named as the metric. Other kinds have no
        formula that adds (``derive`` keeps them as :class:`Kind` says).

        Examples
        --------
        >>> from engframe.methods import METHODS
        >>> print(METHODS["msgcsatdistribution"].metric("csat_score").formula())
        csat_score = positive_answers / total_answers  [fraction]
        """
        if self.recomputable:
            return formula(self.name, self.numerator, self.denominator, unit=self.unit,
                           description=self.description, label=self.label)
        return formula(self.name, self.name, unit=self.unit, description=self.description,
                       label=self.label)


@dataclass(frozen=True, slots=True)
class Identity:
    """A documented relation among a method's metrics: ``whole = sum(parts)``, row by row.

    Attributes
    ----------
    name : str
        The relation's name in :func:`engframe.reconcile`'s output.
    whole : str
        The metric that should equal the sum.
    parts : tuple of str
        The metrics summed.
    label : str
        The relation in plain words, for charts and reports.
    """

    name: str
    whole: str
    parts: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A documented relation across rows: a whole row and the rows that break it down along
    one dimension, metric by metric (agentactivity's states add up to Logged in).

    Attributes
    ----------
    name : str
        The relation's name in :func:`engframe.reconcile`'s output.
    dimension : str
        The dimension column the rows differ in (``"state"``, ``"reason"``).
    whole : str or None
        The whole row's value of ``dimension`` (``None``: missing).
    parts : tuple of str or None
        The part rows' values of ``dimension`` (``None``: every value present).
    within : mapping of str to str or None
        Other dimension columns that hold one value in the whole and its parts
        (``{"state": "Away"}``; ``None``: missing).
    per_part : float
        How far the parts' sum may lie from the whole, per part, from rounding [the metrics'
        unit] (the API computes states in milliseconds and shows seconds: a second a state).
    label : str
        The relation in plain words.
    """

    name: str
    dimension: str
    whole: str | None
    parts: tuple[str, ...] | None
    within: Mapping[str, str | None]
    per_part: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class Running:
    """A histogram's shares against its counts: each bucket's share of the total, and the
    running share of the buckets up to it (sla's ``percentageFromTotal`` and
    ``accumulated``), bucket by bucket along ``dimension``.

    Attributes
    ----------
    name : str
        The relation's name in :func:`engframe.reconcile`'s output.
    dimension : str
        The bucket column.
    count : str
        The count of each bucket (``chats``).
    share : str
        Each bucket's share of all (``percentageFromTotal``).
    running : str
        The share of the buckets up to this one (``accumulated``).
    label : str
        The relation in plain words.
    """

    name: str
    dimension: str
    count: str
    share: str
    running: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a response shape holds its values: which members hold which level.

    Engagement Activity and the Messaging Operations methods answer in :data:`SECTIONS`;
    the other Operational Realtime methods in shapes of their own (:data:`QUEUES`,
    :data:`STATES`, :data:`HISTOGRAM`, :data:`SNAPSHOT`), each with its reader in the
    flattener (:mod:`engframe.flatten`). Members a layout does not have are ``""``.

    Attributes
    ----------
    name : str
        The layout's name (the key of the flattener's readers).
    intervals : str
        The member holding the intervals (``None``: the shape has none).
    interval_data : str
        Each interval's member holding its sections.
    skills, agents, totals, per_skill, per_agent : str
        The section and map members (for the sections layout).
    spellings : mapping of str to str
        Other spellings the documentation uses, to the canonical one.
    levels : mapping of str to str
        Each level and the path that holds it (for documentation).
    relations : tuple of str or None
        The relations between levels (:data:`engframe.scope.RELATIONS`) its answers hold;
        ``None``: all of them.
    sparse : bool
        Whether an interval without data has no rows at all (agentactivity's: no totals,
        and no agent when nobody was logged in), so that a history cannot tell such a
        period from one never fetched by its rows.
    """

    name: str
    intervals: str | None
    interval_data: str
    skills: str
    agents: str
    totals: str
    per_skill: str
    per_agent: str
    spellings: Mapping[str, str]
    levels: Mapping[str, str]
    relations: tuple[str, ...] | None = None
    sparse: bool = False


#: The Engagement Activity shape, shared by the Messaging Operations methods engframe knows.
SECTIONS: Final = Layout(
    name="sections",
    intervals="metricsByIntervals",
    interval_data="metricsData",
    skills="skillsMetricsPerAgent",
    agents="agentsMetrics",
    totals="metricsTotals",
    per_skill="metricsPerSkill",
    per_agent="metricsPerAgent",
    spellings=MappingProxyType({"skillsMetrics": "skillsMetricsPerAgent",
                                "metricsTotal": "metricsTotals"}),
    levels=MappingProxyType({
        "account": "metricsTotals (neither skills nor agents asked)",
        "skill_agent": "skillsMetricsPerAgent.metricsPerSkill.{s}.metricsPerAgent.{a}",
        "skill": "skillsMetricsPerAgent.metricsPerSkill.{s}.metricsTotals",
        "skills_total": "skillsMetricsPerAgent.metricsTotals",
        "agent": "agentsMetrics.metricsPerAgent.{a}",
        "agents_total": "agentsMetrics.metricsTotals",
    }),
)


@dataclass(frozen=True, slots=True)
class Method:
    """One method of the API, as engframe knows it: request, response, metrics.

    Attributes
    ----------
    name : str
        The path segment (``"engactivity"``), also the ``method`` column's value.
    title : str
        LivePerson's name for it ("Engagement Activity").
    family : str
        The API family ("Operational Realtime (chat)", "Messaging Operations").
    path : str
        The path under the data host, ``{account}`` to fill.
    http : tuple of str
        ``("GET",)`` or ``("GET", "POST")``: POST takes the parameters as a JSON object of
        strings, for id lists too long for a URL.
    timeframe : tuple of int
        The smallest and largest ``timeframe`` [minutes].
    interval : bool
        Whether ``interval`` is accepted (a multiple of 5, a divisor of the timeframe).
    ids : mapping of str to str
        engframe's keyword to the API's parameter (``skills`` -> ``skillIds``).
    version : int
        The ``v`` parameter.
    layout : Layout
        The response shape.
    dimensions : tuple of str
        The id columns its values are split by.
    metrics : tuple of Metric
        Every documented metric, in the documentation's order.
    derived : tuple of Formula
        Its derived metrics (``derive``'s defaults for a frame of this method), in order.
    identities : tuple of Identity
        Relations among its metrics, checked by :func:`engframe.reconcile`.
    time_unit : str
        The unit of its durations as sent (``"s"``).
    time_unit_stated : bool
        Whether the documentation states that unit (msgconversation's does not).
    units_note : str
        What the documentation says, or does not say, about units.
    docs : tuple of str
        The documentation pages (in ``LivePersonInc/developer-center``).
    volume : str
        The count its charts size groups by (chats, conversations, answers).
    window : "buckets", "exact" or "now"
        What a query covers: ``timeframe`` widened to 5-minute buckets (most methods,
        :func:`engframe.window.query_window`), exactly ``timeframe`` back from now
        (agentactivity, :func:`engframe.window.exact_window`), or the moment asked (a
        snapshot: queuestate takes no timeframe).
    required : tuple of str
        The id keywords a query must give (agentactivity's ``agents``).
    options : tuple of str
        Query options beyond the ids, by engframe's keyword (sla's ``histogram``).
    synonyms : mapping of str to str
        Metrics a response may send under another name, to the name engframe compares them
        by (queuehealth's ``currentQueueState``, the skills' name of ``currentQueueSize`` in
        its page's first example).
    breakdowns : tuple of Breakdown
        Relations across rows along a dimension, checked by :func:`engframe.reconcile`.
    running : tuple of Running
        A histogram's shares against its counts, checked by :func:`engframe.reconcile`.
    """

    name: str
    title: str
    family: str
    path: str
    http: tuple[str, ...]
    timeframe: tuple[int, int]
    interval: bool
    ids: Mapping[str, str]
    version: int
    layout: Layout
    dimensions: tuple[str, ...]
    metrics: tuple[Metric, ...]
    derived: tuple[Formula, ...]
    identities: tuple[Identity, ...]
    time_unit: str
    time_unit_stated: bool
    units_note: str
    docs: tuple[str, ...]
    volume: str
    window: Literal["buckets", "exact", "now"] = "buckets"
    required: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    breakdowns: tuple[Breakdown, ...] = ()
    running: tuple[Running, ...] = ()

    def metric(self, name: str) -> Metric | None:
        """The metric called ``name``, or None.

        Examples
        --------
        >>> from engframe.methods import METHODS
        >>> METHODS["engactivity"].metric("totalHandlingTime").kind
        <Kind.DURATION: 'duration'>
        """
        return self.metric_map.get(name)

    @property
    def metric_map(self) -> Mapping[str, Metric]:
        """Every metric by name."""
        return MappingProxyType({m.name: m for m in self.metrics})

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics' names, in the documentation's order."""
        return tuple(m.name for m in self.metrics)

    @property
    def derived_map(self) -> Mapping[str, Formula]:
        """The derived metrics by name."""
        return MappingProxyType({f.name: f for f in self.derived})

    @property
    def posts(self) -> bool:
        """Whether the method accepts a POST (a JSON body, for long id lists)."""
        return "POST" in self.http

    @property
    def windows(self) -> bool:
        """Whether its values come per fetch window only (no ``interval``): a history
        stores them per window, not on a grid of periods."""
        return not self.interval and not self.snapshot

    def everything(self, *, timeframe: int | None, interval: int | None) -> dict[str, Any]:
        """The query options that ask this method for all it has: every id it takes as
        ``"all"``, the timeframe and interval where it takes them.

        Examples
        --------
        >>> from engframe.methods import METHODS
        >>> METHODS["queuestate"].everything(timeframe=60, interval=5)
        {'timeframe': None, 'interval': None, 'skills': 'all'}
        """
        return {"timeframe": None if self.snapshot else timeframe,
                "interval": interval if self.interval else None,
                **dict.fromkeys(self.ids, "all")}

    @property
    def snapshot(self) -> bool:
        """Whether it describes one moment (no timeframe): a history keeps it in a table of
        snapshots, never as if it covered a period."""
        return self.window == "now"

    @property
    def rounded(self) -> frozenset[str]:
        """The metrics the API rounds element by element."""
        return frozenset(m.name for m in self.metrics if m.rounded)

#: queuehealth: per skill (``skillsMetrics``, no agents) and their totals.
QUEUES: Final = Layout(
    name="queues",
    intervals="metricsByIntervals",
    interval_data="metricsData",
    skills="skillsMetrics",
    agents="",
    totals="metricsTotals",
    per_skill="",
    per_agent="",
    spellings=MappingProxyType({"metricsTotal": "metricsTotals"}),
    levels=MappingProxyType({
        "account": "metricsTotals (no skills asked)",
        "skill": "skillsMetrics.{s}",
        "skills_total": "metricsTotals (beside skillsMetrics)",
    }),
    relations=("skills_vs_skills_total", "intervals_vs_timeframe"),
)

#: agentactivity: per agent, a list of states by id, each with its Away reasons.
STATES: Final = Layout(
    name="states",
    intervals="metricsByIntervals",
    interval_data="metricsData",
    skills="",
    agents="agentsMetrics",
    totals="metricsTotals",
    per_skill="",
    per_agent="metricsPerAgent",
    spellings=MappingProxyType({}),
    levels=MappingProxyType({
        "agent": "agentsMetrics.metricsPerAgent.{a}[i].value (state) and "
                 ".reasons[j].value (reason)",
    }),
    relations=("intervals_vs_timeframe",),
    sparse=True,
)

#: sla: one window, a map of buckets by their lower bound [s].
HISTOGRAM: Final = Layout(
    name="histogram",
    intervals=None,
    interval_data="",
    skills="",
    agents="",
    totals="slaDataRange",
    per_skill="",
    per_agent="",
    spellings=MappingProxyType({}),
    levels=MappingProxyType({"account": "slaDataRange.{bucket}"}),
    relations=(),
)

#: queuestate: one moment, per skill and totals.
SNAPSHOT: Final = Layout(
    name="snapshot",
    intervals=None,
    interval_data="",
    skills="skills",
    agents="",
    totals="totals",
    per_skill="",
    per_agent="",
    spellings=MappingProxyType({}),
    levels=MappingProxyType({"skill": "skills.{s}", "skills_total": "totals"}),
    relations=("skills_vs_skills_total",),
)
