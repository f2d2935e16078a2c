"""Derived metrics at any grain, computed as ratios of sums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows, group_ids
from engframe.derive._attrs import derived_attrs
from engframe.derive._grains import TIME_GRAINS, key_column
from engframe.derive._kinds import (
    belongs,
    default_formulas,
    frame_methods,
    integer_formula,
    kept_values,
    plan_formulas,
    resolve_metric,
    stack_methods,
    time_unit_of,
    whole_metrics,
    without_sums,
)
from engframe.derive._long import long_frame
from engframe.derive._overlaps import check_overlaps
from engframe.derive._periods import PERIOD_KEYS, group_hours
from engframe.derive._select import (
    choose_level,
    choose_span,
    level_mask,
    missing_key_hint,
    span_mask,
)
from engframe.derive._states import by_states, within_states
from engframe.errors import FrameError, MetricError, OptionError
from engframe.methods import HOURS, Formula
from engframe.methods.engactivity import DERIVED
from engframe.schema import (
    LEVELS,
    METHOD_COLUMN,
    NAT_MS,
    SPANS,
    STATE_COLUMN,
    categorical,
    check_frame,
    epoch_ms,
)

__all__ = [
    "DEFAULT_TZ",
    "PERIOD_KEYS",
    "TIME_GRAINS",
    "check_components",
    "check_present",
    "derive",
    "resolve",
]

DEFAULT_TZ: Final = "UTC"

_REFUSED_KEYS: Final = {
    "metric": "derived rows get their own metric names",
    "value": "values are what is summed",
    "level": "one level is chosen with level=",
    "span": "one span is chosen with span=",
}
_LATEST: Final = np.iinfo(np.int64).max


def resolve(metric: str | Formula, *, where: str = "resolve",
            method: str | None = None) -> Formula:
    """Turn a metric name into the :class:`Formula` that computes it at any grain.

    Parameters
    ----------
    metric : str or Formula
        A derived metric of the catalogue (:data:`DERIVED`, and each method's:
        ``csat_score``...), an API metric name, or a formula, returned as is. A count or
        duration total is its own sum; an average or a ratio the method sends the sums
        behind is their ratio (``avgTime_resolvedConversations`` =
        ``totalHandlingTime_resolvedConversations / totalResolvedConversations``).
    where : str
        Who asks, for the error message.
    method : str, optional
        The method whose names come first (a frame's); default: any method's.

    Returns
    -------
    Formula

    Raises
    ------
    MetricError
        If ``metric`` is neither.

    Examples
    --------
    >>> from engframe.derive import resolve
    >>> resolve("avgInteractiveHandlingTime").unit
    's'
    >>> resolve("connectedEngagements").is_ratio
    False
    >>> print(resolve("csat_score"))
    csat_score = positive_answers / total_answers  [fraction]
    """
    return resolve_metric(metric, where=where, methods=() if method is None else (method,))


def check_components(df: pd.DataFrame, formulas: Sequence[Formula], *, where: str,
                     derived: Sequence[str] = tuple(DERIVED)) -> None:
    """Raise :class:`MetricError` unless the frame holds every component ``formulas`` read.

    A name that is neither a derived metric nor one of the frame's is said to be unknown,
    with the closest names engframe knows (``aht``: ``avgHandlingTime``).
    """
    if df.empty:
        return
    metric = df["metric"].astype("category").array
    present = {str(m) for m in metric.categories[np.unique(metric.codes[metric.codes >= 0])]}
    check_present(present, formulas, where=where, derived=derived)


def check_present(present: set[str], formulas: Sequence[Formula], *, where: str,
                  derived: Sequence[str] = tuple(DERIVED)) -> None:
    """:func:`check_components` on the set of metrics a frame (or a history) holds.

    ``derived`` are the derived metrics the message lists (the frame's methods').
    """
    needed = dict.fromkeys(c for f in formulas for c in f.components if c != HOURS)
    missing = [c for c in needed if c not in present]
    if not missing:
        return
    unknown = [f.name for f in formulas if f.components == (f.name,) and f.name in missing]
    if unknown:
        name = unknown[0]
        raise MetricError(
            f"{where}: unknown metric {name!r}: neither a derived metric "
            f"({', '.join(derived)}) nor one of the frame's ({', '.join(sorted(present))})"
            + _closest(name, [*derived, *sorted(present)]))
    user = [f.name for f in formulas if set(f.components) & set(missing)]
    raise MetricError(
        f"{where}: component(s) {', '.join(missing)} needed by {', '.join(user)} "
        f"are not in the frame (its metrics: {', '.join(sorted(present))})")


def _closest(name: str, known: Sequence[str]) -> str:
    """``"; did you mean X?"`` for the closest of ``known`` (also by initials: aht), or ""."""
    import difflib

    def initials(text: str) -> str:
        return "".join(c for i, c in enumerate(text) if i == 0 or c.isupper()).lower()

    lowered = {k.lower(): k for k in known}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if found:
        return f"; did you mean {lowered[found[0]]}?"
    by_initials = [k for k in known if initials(k) == name.lower()]
    return f"; did you mean {by_initials[0]}?" if by_initials else ""


def _check_by(by: str | Iterable[str], df: pd.DataFrame, *, where: str) -> list[str]:
    if not isinstance(by, str) and not isinstance(by, Iterable):
        raise OptionError(f"{where}: by= must be a column or grain name, or a list of them; "
                          f"found {type(by).__name__} {by!r}")
    keys = [by] if isinstance(by, str) else list(by)
    for key in keys:
        if not isinstance(key, str):
            raise OptionError(f"{where}: by= holds {key!r}; expected column or grain names")
        if key in _REFUSED_KEYS:
            raise OptionError(f"{where}: by= cannot hold {key!r}: {_REFUSED_KEYS[key]}")
        if key not in df.columns and key not in TIME_GRAINS:
            raise OptionError(
                f"{where}: by= holds {key!r}, which is neither a column of the frame "
                f"({', '.join(map(str, df.columns))}) nor a grain ({', '.join(TIME_GRAINS)})"
                + missing_key_hint(key)
            )
    if len(set(keys)) != len(keys):
        raise OptionError(f"{where}: by= repeats a key: {keys!r}")
    return keys


def _check_tz(tz: str, *, where: str) -> None:
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(tz)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise OptionError(f"{where}: tz={tz!r} is not a time zone name") from None


def _groups(columns: list[pd.Series], rows: int) -> tuple[np.ndarray, int]:
    """Dense group codes, in the order sorting by the columns gives (missing values first)."""
    if not columns:
        return np.zeros(rows, np.int64), 1 if rows else 0
    ids, _ = group_ids([column.array for column in columns])
    dense, uniques = pd.factorize(ids, sort=True)
    return dense.astype(np.int64, copy=False), len(uniques)


def _group_extreme(values: np.ndarray, group: np.ndarray, n: int, *, largest: bool) -> np.ndarray:
    fill = np.iinfo(np.int64).min if largest else np.iinfo(np.int64).max
    out = np.full(n, fill, np.int64)
    (np.maximum if largest else np.minimum).at(out, group, values)
    return out


def derive(
    df: pd.DataFrame,
    *,
    metrics: Sequence[str | Formula] | None = None,
    by: str | Sequence[str] = (),
    level: str | None = None,
    span: str | None = None,
    tz: str = DEFAULT_TZ,
    components: bool = False,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Compute derived metrics (average handling time...) at the grain ``by`` asks for.

    Every metric is a ratio of sums: the numerator's and the denominator's components
    are summed over the rows of each group first, and divided last, never a mean of
    per-row ratios. A zero denominator gives a missing value (NaN), never ``inf``.

    Only rows of one ``level`` and one ``span`` are used: a tidy frame holds the API's
    totals beside the values they total, and summing across levels or spans would count
    chats twice. The defaults pick them for you (see :func:`engframe.derive.select`):
    ``by=["agent"]`` reads the ``agent`` level, ``by=["skill"]`` the per-skill totals,
    no id the account (or all-skills) totals; ``interval`` rows when ``by`` splits time,
    else the API's whole-timeframe rows (a history has interval rows only).

    A frame that stacks responses holding the same chats (``pandas.concat`` of two
    fetches, bare responses of one period, different requests' totals) is refused rather
    than counted twice; :func:`engframe.load` of a folder keeps each period of a request
    once, and ``by=["source"]`` keeps responses apart.

    **Hours and days.** A period belongs to the calendar hour (day) in ``tz`` that holds
    the span its data covers (``start`` to ``timestamp``, cut at ``fetched_at``): an
    interval ending at midnight belongs to the day before. A period that lies in two
    hours (days), such as a 60-minute interval fetched at :29, is refused with an
    :class:`~engframe.errors.FrameError`, never filed under one of them: fetch 5-minute
    intervals, or read a history, whose 5-minute buckets lie inside every hour.

    **Aggregation by kind** (:mod:`engframe.methods`): counts and duration totals add; an
    average or a ratio the API sends is recomputed from its numerator and denominator
    (``avgTime_resolvedConversations`` = ``totalHandlingTime_resolvedConversations /
    totalResolvedConversations``, ``csat_score`` = ``positive_answers / total_answers``),
    never added; one without them (and an extreme, a snapshot, an unknown metric holding
    decimals) keeps its value where a group holds one, and has none beyond, with a
    warning. A formula of your own may add counts and duration totals only. Frames of
    several methods are grouped by method: their values never add into one number.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame (``engframe.flatten``, ``engframe.load``, ``engframe.read_dataset``).
    metrics : sequence of str or Formula, optional
        What to compute: derived metrics of the catalogue (:data:`DERIVED`, each
        method's), API metric names (aggregated by kind, above), or your own
        :func:`formula` objects. Default: the derived metrics of the frame's method(s)
        (:attr:`engframe.methods.Method.derived`; Engagement Activity's for a frame of
        unknown metrics).
    by : str or sequence of str
        Group keys: columns of the frame (``skill``, ``agent``, ``timestamp`` for per
        interval, ``source``...) and the grains ``day`` and ``hour`` (calendar periods in
        ``tz`` holding each period whole). ``()`` for one value over everything.
    level : str, optional
        The level to read; default chosen from ``by`` as described above.
    span : str, optional
        ``interval`` or ``timeframe``; default chosen from ``by`` as described above.
    tz : str
        Time zone of the ``day``/``hour`` grains (default UTC).
    components : bool
        Also emit the summed components (and ``hours``) as rows, so the numbers behind
        each ratio can be checked.
    time_unit : {"s", "ms"}, optional
        The unit of the frame's durations (handling times): seconds, or milliseconds,
        which are divided by 1000 so that every derived time is in seconds. Default:
        ``df.attrs["time_unit"]``, else seconds (msgconversation's pages state no unit;
        see :mod:`engframe.methods.msgconversation`).

    Returns
    -------
    pandas.DataFrame
        Tidy long frame: the seven tidy columns with ``value`` as float64 and ``metric``
        holding the derived names, then ``method`` when the input has that column (the
        method each value's metrics come from), then the ``by`` keys that are not tidy columns
        (``day``, ``hour``, ``source``...), then ``start`` (earliest period start) when
        the input has it. ``timestamp`` is the end of the last period in the group;
        ``skill``/``agent`` are ``<NA>`` unless grouped on. Rows are sorted by the keys.
        ``attrs`` are the input's plus ``units`` and ``integer_metrics`` (sums of counts,
        such as ``totalChats``).

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame or has no level able to answer ``by``; if a period
        does not lie inside one hour or day asked for; if it stacks responses that hold
        the same chats.
    OptionError
        If ``by``, ``level``, ``span`` or ``tz`` is not usable.
    MetricError
        If a metric is unknown, a component it needs is absent from the frame, or a
        formula adds a metric that does not add up (an average, a ratio...).

    Notes
    -----
    Definitions (LivePerson publishes none; these are engframe's):

    - ``avgInteractiveHandlingTime`` = totalHandlingTime / totalInteractiveChats [s]
    - ``avgNonInteractiveHandlingTime`` = nonInteractiveTotalHandlingTime /
      totalNonInteractiveChats [s]
    - ``avgHandlingTime`` = (totalHandlingTime + nonInteractiveTotalHandlingTime) /
      (totalInteractiveChats + totalNonInteractiveChats) [s]
    - ``totalChats`` = totalInteractiveChats + totalNonInteractiveChats [chats]
    - ``interactiveShare`` = totalInteractiveChats / totalChats [fraction, 0..1]
    - ``connectedEngagementsPerHour`` = connectedEngagements / hours [1/h], where hours is
      the clock time of the distinct periods the group spans, each counted once however
      many skills, agents or fetches it holds (see ``engframe.derive._periods``).

    Examples
    --------
    >>> import engframe
    >>> from engframe.derive import derive
    >>> df = engframe.flatten("data/samples/account_intervals.json")
    >>> out = derive(df, by="timestamp", metrics=["avgInteractiveHandlingTime"])
    >>> out["value"].tolist()
    [nan, nan, 12.0]

    Its 600-minute intervals do not lie inside one day, so they have no day:

    >>> derive(df, by="day", metrics=["totalChats"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.FrameError: derive: by='day': 1 period(s) of the frame do not lie inside ...
    """
    if not isinstance(df, pd.DataFrame):  # a history (folder, engframe.scan): out of core
        from engframe.lazy._derive import derive_history
        from engframe.lazy._scan import as_scan, is_history

        if is_history(df):
            return derive_history(as_scan(df), metrics=metrics, by=by, level=level, span=span,
                                  time_unit=time_unit,
                                  tz=tz, components=components)
    where = "derive"
    check_frame(df, where=where)
    keys = _check_by(by, df, where=where)
    _check_tz(tz, where=where)
    seconds = time_unit_of(df, time_unit, where=where)
    methods = frame_methods(df)
    formulas = without_sums(df, [resolve_metric(m, where=where, methods=methods)
                                 for m in metrics] if metrics is not None
                            else default_formulas(methods, df))
    names = [f.name for f in formulas]
    if len(set(names)) != len(names):
        raise MetricError(f"{where}: metrics= names a metric twice: {names!r}")
    if len(methods) <= 1 and STATE_COLUMN in df.columns:
        # agentactivity's states and reasons (several methods: method by method)
        formulas = within_states(formulas, keys, asked=metrics is not None, where=where)
        df, formulas = by_states(df, formulas, keys)
    check_components(df, formulas, where=where,
                     derived=[f.name for f in default_formulas(methods)])
    plan = plan_formulas(df, formulas, methods, seconds_per_unit=seconds, where=where)
    if len(methods) > 1 and METHOD_COLUMN in df.columns:
        # values of different methods never add into one number: each method on its own
        return _derive_methods(df, methods, formulas, plan, by=keys, level=level, span=span,
                               tz=tz, components=components, time_unit=time_unit)
    chosen_level = choose_level(df, by=keys, level=level, where=where)
    chosen_span = choose_span(df, by=keys, span=span, where=where)
    needed = list(dict.fromkeys(c for f in plan.summed for c in f.components if c != HOURS))
    metric = df["metric"].astype("category").array
    in_span = span_mask(df, chosen_span)
    rows = np.flatnonzero(level_mask(df, chosen_level) & in_span)
    columns = [key_column(df, key, rows, tz, where=where) for key in keys]
    group, n = _groups(columns, len(rows))
    check_overlaps(df, rows, group, keys=keys, where=where)
    if not keys and not len(rows) and len(df):
        n = 1  # one value over a response with nothing in it: the sums are 0

    # every component summed per group in one pass: cell = group * k + component
    slot = np.full(len(metric.categories) + 1, -1, np.int64)
    factor = np.ones(max(len(needed), 1))
    for position, name in enumerate(needed):
        if name in metric.categories:
            slot[metric.categories.get_loc(name)] = position
        factor[position] = plan.factors.get(name, 1.0)
    component = slot[np.asarray(metric.codes, np.int64)[rows]]
    counted = component >= 0
    cells = group[counted] * max(len(needed), 1) + component[counted]
    value = df["value"].to_numpy()[rows][counted].astype(np.float64, copy=False)
    if plan.factors:  # durations read in milliseconds: in seconds before anything adds up
        value = value * factor[component[counted]]
    sums = np.bincount(cells, weights=value, minlength=n * max(len(needed), 1)).reshape(
        n, max(len(needed), 1))
    table = {name: sums[:, i] for i, name in enumerate(needed)}
    end = _group_extreme(epoch_ms(df["timestamp"])[rows], group, n, largest=True)
    has_start = "start" in df.columns
    start = None
    if has_start:
        starts = epoch_ms(df["start"])[rows]
        start = _group_extreme(np.where(starts == NAT_MS, _LATEST, starts), group, n,
                               largest=False)
        start[start == _LATEST] = NAT_MS
    if any(HOURS in f.components for f in plan.summed):
        table[HOURS] = group_hours(df, in_span=in_span, keys=keys, tz=tz,
                                   group_columns=columns, group=group, n=n)
    values = {}
    for f in formulas:
        if f.name in plan.kept:
            kind, known = plan.kept[f.name]
            values[f.name] = kept_values(df, rows, group, n, f.name, kind, known, where=where)
        else:
            values[f.name] = _evaluate(table, f, n)
    if components:
        values.update({c: np.asarray(table[c], np.float64) for c in [*needed, HOURS]
                       if c in table and c not in values})
    first = first_rows(group, n)
    method_values = None
    if METHOD_COLUMN in df.columns:
        one = methods[0] if methods else None
        method_values = categorical(np.full(n, 0 if one is not None else -1, np.int8),
                                    [] if one is None else [one])
    # the source's query and fetch time, units, and which float metrics are whole counts
    integer_input = df["value"].dtype.kind in "iu"
    whole = whole_metrics(df)
    attrs = derived_attrs(df.attrs, formulas, components=[c for c in values if c not in names],
                          integer_input=integer_input,
                          whole=[f.name for f in formulas if f.name not in plan.kept
                                 and integer_formula(f, whole)],
                          whole_components=whole)
    return long_frame(values, keys=keys, key_values=[c.take(first) for c in columns], end=end,
                      start=start, level=chosen_level, span=chosen_span, attrs=attrs,
                      method=method_values)


def _derive_methods(df: pd.DataFrame, methods: list[str], formulas: list[Formula],
                    plan: Any, *, by: list[str], level: str | None, span: str | None,
                    tz: str, components: bool, time_unit: str | None) -> pd.DataFrame:
    """``derive`` of a frame of several methods: each method's rows derived on their own
    (their own level and span), each formula in the methods it belongs to, stacked."""
    column = df[METHOD_COLUMN].astype("category").array
    codes = np.asarray(column.codes)
    parts = []
    for method in methods:
        code = list(map(str, column.categories)).index(method)
        rows = np.flatnonzero(codes == code)
        part = df.take(rows).reset_index(drop=True)
        part.attrs = df.attrs
        metric = part["metric"].astype("category").array
        present = {str(metric.categories[c]) for c in np.unique(np.asarray(metric.codes))
                   if c >= 0}
        mine = [f for f in formulas if belongs(f, plan.homes.get(f.name), method, present)]
        if mine:
            try:
                derived = derive(part, metrics=mine, by=by, level=level, span=span, tz=tz,
                                 components=components, time_unit=time_unit)
            except (FrameError, OptionError) as error:  # say which method's rows it was
                text = str(error).removeprefix("derive: ")
                raise type(error)(
                    f"derive: {method}: {text} (the frame holds several methods: derive "
                    "them apart, engframe.read_dataset(..., method=...), or ask for "
                    "metrics= of the others)") from None
            parts.append((method, derived))
    names = [f.name for f in formulas]
    whole = whole_metrics(df)
    integer_input = df["value"].dtype.kind in "iu"
    extra = list(dict.fromkeys(str(c) for _, p in parts for c in p["metric"].cat.categories
                               if str(c) not in names))
    attrs = derived_attrs(df.attrs, formulas, components=extra, integer_input=integer_input,
                          whole=[f.name for f in formulas if f.name not in plan.kept
                                 and integer_formula(f, whole)], whole_components=whole)
    if not parts:
        return long_frame({f.name: np.zeros(0) for f in formulas}, keys=by,
                          key_values=[pd.Series([], dtype=object) for _ in by],
                          end=np.zeros(0, np.int64), start=None,
                          level=level or LEVELS[0], span=span or SPANS[0], attrs=attrs)
    return stack_methods(parts, names, methods, attrs)


def _weighted(table: Mapping[str, np.ndarray], terms: Mapping[str, float], n: int) -> np.ndarray:
    total = np.zeros(n)
    for name, weight in terms.items():
        total = total + weight * np.asarray(table[name], np.float64)
    return total


def _evaluate(table: Mapping[str, np.ndarray], f: Formula, n: int) -> np.ndarray:
    top = f.scale * _weighted(table, f.numerator, n)
    if not f.is_ratio:
        return top
    bottom = _weighted(table, f.denominator, n)
    out = np.full(n, np.nan)
    np.divide(top, bottom, out=out, where=(bottom != 0) & ~np.isnan(bottom))
    return out


