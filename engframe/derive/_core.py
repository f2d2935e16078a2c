"""Derived metrics at any grain, computed as ratios of sums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from engframe.derive._attrs import derived_attrs
from engframe.derive._formula import DERIVED, HOURS, RAW_UNITS, Formula
from engframe.derive._periods import period_hours
from engframe.derive._select import TIME_KEYS, choose_level, choose_span
from engframe.errors import MetricError, OptionError
from engframe.schema import COLUMNS, LEVELS, SPANS, TIMESTAMP_DTYPE, check_frame

__all__ = ["DEFAULT_TZ", "PERIOD_KEYS", "TIME_GRAINS", "derive", "resolve"]

#: Calendar grains ``by`` may name besides columns; each row goes to the grain holding
#: the last instant of its period (an interval ending at midnight belongs to the day before).
TIME_GRAINS: Final = ("day", "hour")

#: Keys that tell periods apart. For per-hour rates the hours of a group are the lengths
#: of the distinct periods sharing the group's values of these keys: the clock time the
#: group spans, once, however many skills or agents it holds.
PERIOD_KEYS: Final = frozenset({"source", "account", "fetched_at", "complete"} | TIME_KEYS)

DEFAULT_TZ: Final = "UTC"

_REFUSED_KEYS: Final = {
    "metric": "derived rows get their own metric names",
    "value": "values are what is summed",
    "level": "one level is chosen with level=",
    "span": "one span is chosen with span=",
}
_END: Final = "_end"
_START: Final = "_start"
_ALL: Final = "_all"
_LEVEL_DTYPE: Final = pd.CategoricalDtype(list(LEVELS))
_SPAN_DTYPE: Final = pd.CategoricalDtype(list(SPANS))


def resolve(metric: str | Formula, *, where: str = "resolve") -> Formula:
    """Turn a metric name (built-in derived, or raw API metric) into a :class:`Formula`.

    Parameters
    ----------
    metric : str or Formula
        A name from :data:`DERIVED`, an API metric name (kept as a plain sum), or a
        formula, returned as is.
    where : str
        Who asks, for the error message.

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
    """
    if isinstance(metric, Formula):
        return metric
    if isinstance(metric, str) and metric:
        if metric in DERIVED:
            return DERIVED[metric]
        return Formula(metric, {metric: 1.0}, unit=RAW_UNITS.get(metric, ""))
    raise MetricError(
        f"{where}: expected a metric name or a Formula, found {type(metric).__name__} {metric!r}"
    )


def _check_by(by: str | Iterable[str], df: pd.DataFrame, *, where: str) -> list[str]:
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
            )
    if len(set(keys)) != len(keys):
        raise OptionError(f"{where}: by= repeats a key: {keys!r}")
    return keys


def _check_tz(tz: str, *, where: str) -> None:
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(tz)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise OptionError(f"{where}: tz={tz!r} is not a time zone name") from None


def _grain(stamps: pd.Series, grain: str, tz: str) -> pd.Series:
    local = (stamps - pd.Timedelta(1, "ms")).dt.tz_convert(tz)
    if grain == "day":
        return local.dt.normalize()
    into_hour = local.dt.minute * 60_000 + local.dt.second * 1_000 + local.dt.microsecond // 1_000
    return local - pd.to_timedelta(into_hour, unit="ms")


def _sum_hours(periods: pd.DataFrame, keys: list[str]) -> pd.DataFrame | float:
    """Total hours per group of ``keys``; NaN as soon as one period's length is unknown."""
    unknown = periods["hours"].isna()
    if not keys:
        return float("nan") if unknown.any() else float(periods["hours"].sum())
    grouped = periods.assign(_unknown=unknown, hours=periods["hours"].fillna(0.0)).groupby(
        keys, observed=True, dropna=False, sort=False
    )
    table = grouped.agg(hours=("hours", "sum"), _unknown=("_unknown", "any")).reset_index()
    table.loc[table["_unknown"].to_numpy(bool), "hours"] = np.nan
    return table.drop(columns="_unknown")


def _weighted(table: pd.DataFrame, terms: Mapping[str, float]) -> np.ndarray:
    total = np.zeros(len(table))
    for name, weight in terms.items():
        total = total + weight * table[name].to_numpy(np.float64)
    return total


def _evaluate(table: pd.DataFrame, f: Formula) -> np.ndarray:
    top = f.scale * _weighted(table, f.numerator)
    if not f.is_ratio:
        return top
    bottom = _weighted(table, f.denominator)
    out = np.full(len(table), np.nan)
    np.divide(top, bottom, out=out, where=(bottom != 0) & ~np.isnan(bottom))
    return out


def _long(
    table: pd.DataFrame,
    values: dict[str, np.ndarray],
    *,
    keys: list[str],
    level: str,
    span: str,
    has_start: bool,
) -> pd.DataFrame:
    """Stack one block of rows per metric: the tidy long shape, values as float64."""
    names = list(values)
    rep = table.iloc[np.tile(np.arange(len(table)), len(names))].reset_index(drop=True)
    n = len(rep)
    missing_ids = pd.Series(pd.array([None] * n, dtype="Int64"))
    out = pd.DataFrame(
        {
            "timestamp": rep[_END].astype(TIMESTAMP_DTYPE),
            "skill": rep["skill"].astype("Int64") if "skill" in keys else missing_ids,
            "agent": rep["agent"].astype("Int64") if "agent" in keys else missing_ids.copy(),
            "metric": pd.Series(np.repeat(np.array(names, dtype=object), len(table))).astype(
                pd.CategoricalDtype(names)
            ),
            "value": pd.Series(
                np.concatenate([values[m] for m in names]) if names else np.zeros(0),
                dtype=np.float64,
            ),
            "level": pd.Series([level] * n, dtype=_LEVEL_DTYPE),
            "span": pd.Series([span] * n, dtype=_SPAN_DTYPE),
        }
    )
    for key in keys:
        if key not in COLUMNS:
            out[key] = rep[key]
    if has_start and "start" not in keys:
        out["start"] = rep[_START].astype(TIMESTAMP_DTYPE)
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
    else the API's whole-timeframe rows. A frame loaded from several overlapping files
    still counts an interval once per file: pass ``by=["source"]`` to keep them apart.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame (``engframe.flatten``, ``engframe.load``).
    metrics : sequence of str or Formula, optional
        What to compute: names from :data:`DERIVED`, API metric names (summed as they
        are), or your own :func:`formula` objects. Default: every built-in derived metric.
    by : str or sequence of str
        Group keys: columns of the frame (``skill``, ``agent``, ``timestamp`` for per
        interval, ``source``...) and the grains ``day`` and ``hour`` (calendar periods in
        ``tz``, by the period's last instant). ``()`` for one value over everything.
    level : str, optional
        The level to read; default chosen from ``by`` as described above.
    span : str, optional
        ``interval`` or ``timeframe``; default chosen from ``by`` as described above.
    tz : str
        Time zone of the ``day``/``hour`` grains (default UTC).
    components : bool
        Also emit the summed components (and ``hours``) as rows, so the numbers behind
        each ratio can be checked.

    Returns
    -------
    pandas.DataFrame
        Tidy long frame: the seven tidy columns with ``value`` as float64 and ``metric``
        holding the derived names, then the ``by`` keys that are not tidy columns
        (``day``, ``hour``, ``source``...), then ``start`` (earliest period start) when
        the input has it. ``timestamp`` is the end of the last period in the group;
        ``skill``/``agent`` are ``<NA>`` unless grouped on. ``attrs`` are the input's
        plus ``units`` and ``integer_metrics`` (sums of counts, such as ``totalChats``).

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame or has no level able to answer ``by``.
    OptionError
        If ``by``, ``level``, ``span`` or ``tz`` is not usable.
    MetricError
        If a metric is unknown, or a component it needs is absent from the frame.

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
      the clock time of the distinct periods the group spans (per interval: the
      interval's length; overall: the window's), counted once however many skills or
      agents the group holds; ``start`` to ``timestamp`` cut at ``fetched_at``, else
      estimated from the interval spacing (see ``engframe.derive._periods``).

    Examples
    --------
    >>> import engframe
    >>> from engframe.derive import derive
    >>> df = engframe.flatten("data/samples/account_intervals.json")
    >>> out = derive(df, by="timestamp", metrics=["avgInteractiveHandlingTime"])
    >>> out["value"].tolist()
    [nan, nan, 12.0]
    >>> derive(df, by="day", metrics=["totalChats"])[["day", "value"]]
                            day  value
    0 2014-10-06 00:00:00+00:00    0.0
    1 2014-10-07 00:00:00+00:00    3.0
    """
    where = "derive"
    check_frame(df, where=where)
    keys = _check_by(by, df, where=where)
    _check_tz(tz, where=where)
    formulas = [resolve(m, where=where) for m in (DERIVED.values() if metrics is None else metrics)]
    names = [f.name for f in formulas]
    if len(set(names)) != len(names):
        raise MetricError(f"{where}: metrics= names a metric twice: {names!r}")
    chosen_level = choose_level(df, by=keys, level=level, where=where)
    chosen_span = choose_span(df, by=keys, span=span, where=where)

    needed = list(dict.fromkeys(c for f in formulas for c in f.components if c != HOURS))
    present = {str(m) for m in df["metric"].drop_duplicates().dropna()}
    missing = [c for c in needed if c not in present]
    if missing and not df.empty:
        user = [f.name for f in formulas if set(f.components) & set(missing)]
        raise MetricError(
            f"{where}: component(s) {', '.join(missing)} needed by {', '.join(user)} "
            f"are not in the frame (its metrics: {', '.join(sorted(present))})"
        )
    rows = (df["level"] == chosen_level).to_numpy(bool) & (df["span"] == chosen_span).to_numpy(
        bool
    )
    base = df.loc[rows].reset_index(drop=True)
    for grain in TIME_GRAINS:
        if grain in keys and grain not in base.columns:
            base[grain] = _grain(base["timestamp"], grain, tz)
    group = keys or [_ALL]
    if not keys:
        base[_ALL] = 0
    metric = base["metric"].astype(str).to_numpy()
    value = base["value"].to_numpy()
    for name in needed:
        base[f"_c_{name}"] = np.where(metric == name, value, 0)
    has_start = "start" in base.columns
    aggs: dict[str, tuple[str, str]] = {name: (f"_c_{name}", "sum") for name in needed}
    aggs[_END] = ("timestamp", "max")
    if has_start:
        aggs[_START] = ("start", "min")
    table = base.groupby(group, observed=True, dropna=False, sort=True).agg(**aggs).reset_index()

    if any(HOURS in f.components for f in formulas):
        # periods come from every level of the span: an agent idle in an interval
        # (absent from it) still lived through its hours
        spanned = df.loc[(df["span"] == chosen_span).to_numpy(bool)].reset_index(drop=True)
        for grain in TIME_GRAINS:
            if grain in keys and grain not in spanned.columns:
                spanned[grain] = _grain(spanned["timestamp"], grain, tz)
        period_keys = [k for k in keys if k in PERIOD_KEYS]
        identity = ["timestamp", *(c for c in ("start", "fetched_at", "source") if c in df)]
        periods = spanned[list(dict.fromkeys([*identity, *period_keys]))].drop_duplicates()
        periods = periods.assign(hours=period_hours(periods, frame=df, span=chosen_span))
        hours = _sum_hours(periods, period_keys)
        if isinstance(hours, float):
            table[HOURS] = hours
        else:
            table = table.merge(hours, on=period_keys, how="left", sort=False)

    values = {f.name: _evaluate(table, f) for f in formulas}
    if components:
        extra = [*needed, *([HOURS] if HOURS in table.columns else [])]
        values.update({c: table[c].to_numpy(np.float64) for c in extra if c not in values})
    out = _long(
        table, values, keys=keys, level=chosen_level, span=chosen_span, has_start=has_start
    )
    # the source's query and fetch time, units, and which float metrics are whole counts
    out.attrs = derived_attrs(df.attrs, formulas, components=[c for c in values if c not in names],
                              integer_input=df["value"].dtype.kind in "iu")
    return out

