"""How each metric aggregates, read from the catalogue: the rule of :func:`engframe.derive`.

Every metric has a kind (:class:`engframe.methods.Kind`, in :mod:`engframe.methods`):

- a **count** or a **duration total** adds up, at every grain;
- an **average** or a **ratio** the API sends is never added: asked for by name, it is
  recomputed from its numerator and denominator (``avgTime_resolvedConversations`` =
  ``totalHandlingTime_resolvedConversations / totalResolvedConversations``, ``csat_score`` =
  ``positive_answers / total_answers``), the ratio of their sums at every grain;
- an average without its numerator and denominator, an **extreme**, a **snapshot**, and an
  **unknown** metric holding decimals are *kept*: a group holding one of its values shows that
  value, an extreme its direction (max, min) over the periods of one series, a snapshot its
  latest value of one series; beyond that the group has no value, with one warning naming it;
- an **unknown** metric holding JSON integers only adds up like a count.

A formula of one's own may add counts and duration totals only: a component of another kind
is refused by name, with the ratio of sums behind it when the method sends one. Durations are
read in the method's unit (seconds), or in milliseconds with ``time_unit="ms"`` (or
``df.attrs["time_unit"]``): msgconversation's pages do not say which.

Frames of different methods never add into one number: ``derive`` groups a frame of several
methods by method, and evaluates each formula in the methods whose metrics it reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import group_ids
from engframe.errors import EngframeWarning, MetricError, OptionError
from engframe.methods import (
    ADDITIVE,
    DEFAULT_METHOD,
    HOURS,
    METHODS,
    TIME_UNITS,
    Formula,
    Kind,
    Metric,
    derived_formula,
    infer,
    metric_info,
    owner,
)
from engframe.methods.engactivity import RAW_LABELS, RAW_UNITS
from engframe.schema import METHOD_COLUMN

__all__ = [
    "Plan",
    "belongs",
    "default_formulas",
    "frame_methods",
    "integer_formula",
    "plan_formulas",
    "plan_with",
    "resolve_metric",
    "stack_methods",
    "time_unit_of",
    "usable_in",
    "warn_kept",
    "whole_metrics",
    "without_sums",
    "without_sums_in",
]

#: ``df.attrs`` key: the unit a frame's durations are in (absent: the method's own).
TIME_UNIT_ATTR: Final = "time_unit"

_KIND_WORDS: Final = {
    Kind.AVERAGE: "an average",
    Kind.RATIO: "a ratio",
    Kind.EXTREME: "an extreme (a maximum or minimum)",
    Kind.SNAPSHOT: "a snapshot (a current value)",
    Kind.UNKNOWN: "a metric engframe does not know, holding decimals",
}


def frame_methods(df: pd.DataFrame) -> list[str]:
    """The methods a frame holds: its ``method`` column's, else inferred from its metrics.

    In the catalogue's order, then any other name; empty when none is known.
    """
    if METHOD_COLUMN in df.columns:
        column = df[METHOD_COLUMN].array
        if isinstance(column, pd.Categorical):
            used = np.unique(np.asarray(column.codes)[np.asarray(column.codes) >= 0])
            names = [str(column.categories[code]) for code in used]
        else:
            names = [str(v) for v in pd.unique(df[METHOD_COLUMN].dropna())]
        if names:
            return [m for m in METHODS if m in names] + sorted(set(names) - set(METHODS))
    metric = df["metric"].astype("category").array
    present = metric.categories[np.unique(np.asarray(metric.codes)[np.asarray(metric.codes) >= 0])]
    found = infer(str(m) for m in present)
    return [] if found is None else [found.name]


def resolve_metric(metric: str | Formula, *, where: str,
                   methods: Sequence[str] = ()) -> Formula:
    """A metric name as the formula that computes it at any grain (see the module's doc).

    A derived metric of the frame's methods (or of any method); a metric of the catalogue
    (a count or duration as its sum, an average or ratio as the ratio of its sums, any
    other as itself); an unknown name as its own sum.
    """
    if isinstance(metric, Formula):
        return metric
    if not isinstance(metric, str) or not metric:
        raise MetricError(f"{where}: expected a metric name or a Formula, found "
                          f"{type(metric).__name__} {metric!r}")
    for method in methods:
        found = derived_formula(metric, method)
        if found is not None:
            return found
        known = metric_info(metric, method)
        if known is not None:
            return known.formula()
    found = derived_formula(metric)
    if found is not None:
        return found
    known = metric_info(metric)
    if known is not None:
        return known.formula()
    return Formula(metric, {metric: 1.0}, unit=RAW_UNITS.get(metric, ""),
                   label=RAW_LABELS.get(metric, ""))


def without_sums(df: pd.DataFrame, formulas: Sequence[Formula]) -> list[Formula]:
    """Formulas as asked, except an average or ratio whose sums the frame lacks: itself.

    ``derive(metrics=["avgTime_X"])`` recomputes the average from its sums; a frame holding
    the average but not the sums keeps the average as sent (see :func:`kept_values`).
    """
    return without_sums_in(_used(df), formulas)


def without_sums_in(present: Collection[str], formulas: Sequence[Formula]) -> list[Formula]:
    """:func:`without_sums` for a frame (or a history) holding the metrics ``present``."""
    out = []
    for f in formulas:
        known = metric_info(f.name)
        if (known is not None and known.recomputable and f.name in present
                and f == known.formula()
                and not all(c in present for c in f.components)):
            f = Formula(f.name, {f.name: 1.0}, unit=f.unit, description=f.description,
                        label=f.label)
        out.append(f)
    return out


def default_formulas(methods: Sequence[str], df: pd.DataFrame | None = None) -> list[Formula]:
    """``derive``'s metrics when none are asked: the derived metrics of the frame's methods.

    With ``df``, those whose components the frame holds (a response may carry only some of
    its method's metrics); all of them when it holds none's.
    """
    chosen = [m for m in methods if m in METHODS] or [DEFAULT_METHOD]
    found: dict[str, Formula] = {}
    for method in chosen:
        for f in METHODS[method].derived:
            found.setdefault(f.name, f)
    formulas = list(found.values())
    if df is None or df.empty:
        return formulas
    return usable_in(_used(df), formulas)


def _used(df: pd.DataFrame) -> set[str]:
    """The metric names the frame's rows hold (not merely its categories)."""
    metric = df["metric"].astype("category").array
    codes = np.asarray(metric.codes)
    return {str(metric.categories[c]) for c in np.unique(codes[codes >= 0])}


def usable_in(present: Collection[str], formulas: list[Formula]) -> list[Formula]:
    """Those of ``formulas`` whose components are all ``present``; all when none is."""
    usable = [f for f in formulas if all(c in present for c in f.components if c != HOURS)]
    return usable or formulas


def time_unit_of(df: pd.DataFrame, time_unit: str | None, *, where: str) -> float:
    """Seconds per unit of the frame's durations: ``time_unit=``, else its attrs, else 1."""
    unit = time_unit if time_unit is not None else df.attrs.get(TIME_UNIT_ATTR, "s")
    if unit not in TIME_UNITS:
        shown = "time_unit" if time_unit is not None else "df.attrs['time_unit']"
        raise OptionError(f"{where}: {shown}={unit!r}; expected one of "
                          f"{', '.join(map(repr, TIME_UNITS))}")
    return TIME_UNITS[str(unit)]


@dataclass
class Plan:
    """What ``derive`` does with each formula asked for.

    Attributes
    ----------
    summed : list of Formula
        Ratios of sums (every component adds up).
    kept : dict of str to (Kind, Metric or None)
        Metrics asked for by name that never add up (see the module's doc).
    homes : dict of str to set of str or None
        The methods each formula belongs to (``None``: wherever its components are).
    factors : dict of str to float
        Components to scale when summed (durations read in milliseconds).
    """

    summed: list[Formula] = field(default_factory=list)
    kept: dict[str, tuple[Kind, Metric | None]] = field(default_factory=dict)
    homes: dict[str, set[str] | None] = field(default_factory=dict)
    factors: dict[str, float] = field(default_factory=dict)


def _integral(df: pd.DataFrame, name: str, floats: Collection[str]) -> bool:
    """Whether an unknown metric holds JSON integers only (so it adds up like a count)."""
    if name in floats:
        return False
    values = df["value"].to_numpy()
    if values.dtype.kind in "iu":
        return True
    hit = (df["metric"] == name).to_numpy(bool)
    chosen = values[hit]
    return bool(np.all(chosen == np.floor(chosen)))


def _kind(name: str, methods: Sequence[str],
          integral: Callable[[str], bool]) -> tuple[Kind, Metric | None]:
    for method in (*methods, None):
        found = metric_info(name, method)
        if found is not None:
            return found.kind, found
    if name == HOURS or integral(name):
        return Kind.COUNT, None  # an unknown metric of integers adds up like a count
    return Kind.UNKNOWN, None


def _home(f: Formula, methods: Sequence[str]) -> set[str] | None:
    """The methods a formula belongs to: the owners of its components, when all are known."""
    homes = set()
    for component in f.components:
        if component == HOURS:
            continue
        found = owner(component)
        if found is None:
            return None
        homes.add(found.name)
    return homes or None


def plan_formulas(df: pd.DataFrame, formulas: Sequence[Formula], methods: Sequence[str], *,
                  seconds_per_unit: float, where: str) -> Plan:
    """Sort ``formulas`` into ratios of sums and kept metrics; refuse the unusable ones.

    Raises
    ------
    MetricError
        If a formula adds a metric that does not add up (an average, a ratio, an extreme,
        a snapshot, an unknown metric holding decimals).
    """
    floats = df.attrs.get("float_metrics")
    floats = list(floats) if isinstance(floats, list | tuple) else []
    return plan_with(formulas, methods, integral=lambda name: _integral(df, name, floats),
                     seconds_per_unit=seconds_per_unit, where=where)


def plan_with(formulas: Sequence[Formula], methods: Sequence[str], *,
              integral: Callable[[str], bool], seconds_per_unit: float, where: str) -> Plan:
    """:func:`plan_formulas`, told by ``integral`` whether an unknown metric holds integers
    only (a history answers it in SQL)."""
    plan = Plan()
    for f in formulas:
        plan.homes[f.name] = _home(f, methods)
        kinds = {c: _kind(c, methods, integral) for c in f.components}
        refused = {c: kind for c, (kind, _) in kinds.items() if kind not in ADDITIVE}
        for c, (kind, _) in kinds.items():
            if kind == Kind.DURATION and seconds_per_unit != 1.0:
                plan.factors[c] = seconds_per_unit
        if not refused:
            plan.summed.append(f)
            continue
        alone = (f.components == (f.name,) and not f.is_ratio and f.scale == 1.0
                 and dict(f.numerator) == {f.name: 1.0})
        if alone:
            plan.kept[f.name] = kinds[f.name]
            continue
        component, kind = next(iter(refused.items()))
        metric = kinds[component][1]
        hint = ""
        if metric is not None and metric.recomputable:
            behind = metric.formula()
            top = " + ".join(behind.numerator)
            bottom = " + ".join(behind.denominator)
            hint = (f"; add the sums behind it instead ({top} / {bottom}), or ask for "
                    f"{component!r} itself, which derive recomputes so at every grain")
        method = owner(component)
        of = f" of {method.name}" if method is not None else ""
        raise MetricError(
            f"{where}: {f.name} adds {component}, {_KIND_WORDS.get(kind, str(kind))}{of}: "
            f"{'averages' if kind == Kind.AVERAGE else 'such values'} do not add up, so "
            f"engframe does not sum them{hint}")
    return plan


def kept_values(df: pd.DataFrame, rows: np.ndarray, group: np.ndarray, n: int, name: str,
                kind: Kind, metric: Metric | None, *, where: str) -> np.ndarray:
    """A kept metric's value per group: the one value a group holds, else as its kind says.

    A group without that metric, or whose values it cannot combine, has NaN; a warning
    names the metric when a group had values but no result.
    """
    out = np.full(n, np.nan)
    metric_codes = df["metric"].astype("category").array
    # the metric's values, under its name or another a response sends it by (queuehealth's
    # skills' currentQueueState is their currentQueueSize)
    names = [name, *(alias for method in METHODS.values()
                     for alias, canonical in method.synonyms.items() if canonical == name)]
    codes = [metric_codes.categories.get_loc(m) for m in names if m in metric_codes.categories]
    if not codes:
        return out
    hit = np.isin(np.asarray(metric_codes.codes)[rows], codes)
    at, groups = rows[hit], group[hit]
    if not len(at):
        return out
    values = df["value"].to_numpy()[at].astype(np.float64, copy=False)
    if metric is not None and metric.no_data is not None:
        usable = values != metric.no_data  # "no data" is not a value
        at, groups, values = at[usable], groups[usable], values[usable]
    counts = np.bincount(groups, minlength=n)
    one = counts == 1
    out[groups[one[groups]]] = values[one[groups]]
    several = np.flatnonzero(counts > 1)
    if not len(several):
        return out
    # how many series (skill, agent, account) each group's values come from
    series_columns = [df[c].array.take(at) for c in ("skill", "agent", "account")
                      if c in df.columns]
    series, _ = group_ids([(groups, n), *series_columns])
    distinct = pd.DataFrame({"g": groups, "s": series}).drop_duplicates()
    per_group = np.bincount(distinct["g"].to_numpy(), minlength=n)
    single = per_group == 1
    if kind == Kind.EXTREME and metric is not None and metric.direction is not None:
        fill = -np.inf if metric.direction == "max" else np.inf
        best = np.full(n, fill)
        (np.maximum if metric.direction == "max" else np.minimum).at(best, groups, values)
        chosen = several[single[several]]
        out[chosen] = best[chosen]
    elif kind == Kind.SNAPSHOT:
        stamps = df["timestamp"].to_numpy("datetime64[ms]").view(np.int64)[at]
        order = np.lexsort((stamps, groups))
        last = np.full(n, -1, np.int64)
        last[groups[order]] = order  # the latest row of each group wins (written last)
        chosen = several[single[several]]
        out[chosen] = values[last[chosen]]
    warn_kept(name, kind, int(np.isnan(out[several]).sum()), n, where=where, stacklevel=5)
    return out


def warn_kept(name: str, kind: Kind, missing: int, n: int, *, where: str,
              stacklevel: int) -> None:
    """Say, once, that ``missing`` of ``n`` groups have no value for a kept metric."""
    if not missing:
        return
    what = _KIND_WORDS.get(kind, str(kind))
    if kind == Kind.AVERAGE:
        what += " without its numerator and denominator in the frame"
    warnings.warn(
        f"{where}: {name} ({what}) is never added up: {missing} of {n} group(s) hold "
        "several of its values and have no value for it at this grain",
        EngframeWarning, stacklevel=stacklevel)


def whole_metrics(df: pd.DataFrame) -> set[str] | None:
    """The metrics whose values are whole numbers sent as integers (None: all of them).

    In a float64 frame (a method's averages beside its counts), a metric is whole when it
    holds no fraction and was not sent as a JSON float (``attrs["float_metrics"]``).
    """
    values = df["value"].to_numpy()
    if values.dtype.kind in "iu":
        return None
    metric = df["metric"].astype("category").array
    codes = np.asarray(metric.codes, np.int64)
    fraction = (values != np.floor(values)) | ~np.isfinite(values)
    broken = np.bincount(codes[fraction & (codes >= 0)], minlength=len(metric.categories)) > 0
    floats = df.attrs.get("float_metrics")
    sent = set(floats) if isinstance(floats, list | tuple) else set()
    return {str(name) for name, bad in zip(metric.categories, broken, strict=True)
            if not bad and str(name) not in sent}


def integer_formula(f: Formula, whole: set[str] | None) -> bool:
    """Whether every component of ``f`` holds whole numbers (counts, duration totals)."""
    return whole is None or all(c in whole for c in f.components)


def belongs(f: Formula, home: set[str] | None, method: str, present: Collection[str]) -> bool:
    """Whether ``f`` is derived in ``method``'s rows: the method owns its components, or
    (components the catalogue does not know) its rows hold one of them."""
    if home is not None:
        return method in home
    return any(c in present for c in f.components)


def stack_methods(parts: Sequence[tuple[str, pd.DataFrame]], names: Sequence[str],
                  methods: Sequence[str], attrs: dict[Any, Any]) -> pd.DataFrame:
    """The derived frames of several methods as one: metric by metric (in ``names``' order),
    method by method (in ``methods``' order), each method's rows in their own order."""
    from engframe.schema import concat_frames

    stacked = concat_frames([frame for _, frame in parts])
    shown = list(dict.fromkeys([*names, *(str(c) for _, frame in parts
                                         for c in frame["metric"].cat.categories)]))
    rank = _codes(stacked["metric"], shown)
    method_rank = _codes(stacked[METHOD_COLUMN], list(methods))
    order = np.lexsort((np.arange(len(stacked)), method_rank, rank))
    out = stacked.take(order).reset_index(drop=True)
    used = [m for m in shown if m in set(out["metric"].astype(str))]
    out["metric"] = out["metric"].astype(pd.CategoricalDtype(used))
    out[METHOD_COLUMN] = out[METHOD_COLUMN].astype(pd.CategoricalDtype(list(methods)))
    out.attrs = attrs
    return out


def _codes(column: pd.Series, names: list[str]) -> np.ndarray:
    codes: np.ndarray = np.asarray(column.astype(pd.CategoricalDtype(names)).cat.codes)
    return codes
