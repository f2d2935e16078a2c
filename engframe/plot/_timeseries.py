"""A metric over time per skill, agent or team (:func:`engframe.plot.timeseries`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engframe._keys import run_starts
from engframe.derive import DEFAULT_TZ, Formula, derive, resolve
from engframe.derive._core import _check_tz, check_components
from engframe.derive._grains import grain_labels
from engframe.derive._select import (
    choose_level,
    level_mask,
    span_mask,
)
from engframe.errors import FrameError
from engframe.plot._common import (
    _COVERAGE_KEYS,
    _COVERED,
    _OTHER_STYLE,
    _SERIES,
    _TOLERANCE_HOURS,
    BY_CHOICES,
    DEFAULT_PARTIAL,
    DEFAULT_TOP,
    GRAINS,
    OTHER,
    PARTIAL_NOTE,
    PARTIAL_STYLES,
    _axes,
    _check_by,
    _check_choice,
    _check_top,
    _date_axis,
    _label,
    _labels,
    _name_keys,
    _wall_time,
    _weight_formula,
)
from engframe.plot._time import window as _window
from engframe.schema import check_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = [
    "timeseries",
]


def timeseries(
    df: pd.DataFrame,
    metric: str | Formula,
    *,
    by: str | None = None,
    top: int = DEFAULT_TOP,
    grain: str | None = None,
    partial: str = DEFAULT_PARTIAL,
    level: str | None = None,
    tz: str = DEFAULT_TZ,
    ax: Axes | None = None,
) -> Axes:
    """Draw a metric (raw or derived) per interval, hour or day, one line per skill, agent or team.

    The ``top`` skills or agents with the most volume behind the metric (the
    denominator's sum for a ratio, e.g. chats for an average handling time; else the
    metric's own sum) get a line each; the others are pooled into one grey dashed
    :data:`OTHER` line: for a ratio, the ratio of their sums (not an average of their
    lines); for a sum, their mean (the pooled sum divided by how many they are), so five
    quiet skills summed do not tower over each busy one.

    Partial periods are drawn hollow and left out of the lines: the oldest (the window
    starts inside it: the API's oldest interval holds only the remainder) and the newest
    (still filling when fetched). A period is partial when the clock time its data
    covers (as :func:`engframe.derive` counts hours: ``start`` to ``timestamp``, cut at
    ``fetched_at``) is shorter than the period; frames without ``start`` (bare
    responses) show every period as full.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame with ``interval`` rows.
    metric : str or Formula
        An API metric, a built-in derived metric, or your own :func:`engframe.formula`.
    by : {"skill", "agent", "agent_group"}, optional
        One line per skill, agent or team (agent group: needs names); ``None`` for one
        line over everything. Lines are labelled by name when the frame has names
        ("Dana Levi", "Sales", "Tier 1"), else by id ("agent 1282939616").
    top : int
        How many skills, agents or teams get their own line.
    grain : {None, "hour", "day"}, default None
        One point per interval (``None``), or per calendar hour or day in ``tz``
        (intervals summed, ratios taken of the sums).
    partial : {"mark", "omit"}, default "mark"
        Draw partial periods as hollow markers (with a legend entry saying so), or leave
        them out.
    level : str, optional
        Level to read (default as in :func:`engframe.derive`: ``skill`` or ``agent``,
        else the account or all-skills totals).
    tz : str
        Time zone of the time axis and of the hour and day grains.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, or has no interval rows.
    OptionError
        If ``by``, ``top``, ``grain``, ``partial``, ``level`` or ``tz`` is not usable.
    MetricError
        If the metric is unknown or needs a component the frame lacks.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/account_intervals.json")
    >>> from engframe.plot import timeseries
    >>> ax = timeseries(df, "connectedEngagementsPerHour", tz="Europe/Paris")
    >>> ax.get_xlabel()
    'interval end (Europe/Paris)'
    """
    if not isinstance(df, pd.DataFrame):  # a history (folder, engframe.scan): out of core
        from engframe.lazy._plot import plot_frame
        from engframe.lazy._scan import as_scan, is_history

        if is_history(df) and by in (None, *BY_CHOICES) and grain in GRAINS:
            df, level = plot_frame(as_scan(df), [metric], by=by, when=grain or "timestamp",
                                   level=level, span="interval", tz=tz)
    where = "timeseries"
    check_frame(df, where=where)
    _check_by(df, by, where=where, allow_none=True)
    _check_top(top, where=where)
    _check_choice(grain, GRAINS, "grain", where=where)
    _check_choice(partial, PARTIAL_STYLES, "partial", where=where)
    _check_tz(tz, where=where)
    f = resolve(metric, where=where)
    check_components(df, [f], where=where)
    if not span_mask(df, "interval").any():
        raise FrameError(f"{where}: the frame has no interval rows; request an interval")
    when = "timestamp" if grain is None else grain
    keys = [by] if by is not None else []
    chosen = choose_level(df, by=keys, level=level, where=where)
    frame, labels, pooled = df, [f.name], 0
    noun = BY_CHOICES[by][1] if by is not None else ""
    if by is not None:
        weights = derive(df, metrics=[_weight_formula(f)], by=[by, *_name_keys(df, by)],
                         level=chosen, span="interval")
        weights = weights.sort_values(["value", by], ascending=[False, True], kind="stable")
        leaders = weights.head(top)
        pooled = max(len(weights) - top, 0)
        frame = df.assign(_series=_series(df, by, leaders[by], level=chosen))
        keys = [_SERIES]
        labels = _labels(leaders, by) + (
            [f"{OTHER}: {pooled} {noun}s pooled" if f.is_ratio
             else f"{OTHER}: mean of {pooled} {noun}s"] if pooled else [])
    values = derive(frame, metrics=[f], by=[*keys, when], level=chosen, span="interval", tz=tz)
    periods = _periods(df, grain=grain, level=chosen, tz=tz)
    # one row per period, one column per line (the series' codes are their positions)
    at = periods.index.get_indexer(pd.DatetimeIndex(values[when]))
    line_of = (values[_SERIES].cat.codes.to_numpy(np.int64) if by is not None
               else np.zeros(len(values), np.int64))
    grid = np.full((len(periods), len(labels)), np.nan)
    grid[at, line_of] = values["value"].to_numpy(np.float64)
    # a skill or agent absent from a period had no data there: 0 for sums, a gap for ratios
    if not f.is_ratio:
        grid = np.nan_to_num(grid, nan=0.0)
        if pooled:
            grid[:, -1] /= pooled  # the mean of the pooled, comparable to one
    cut = periods["partial"].to_numpy(bool)
    stamps = pd.Series(periods.index)
    if partial == "omit":
        grid, stamps, cut = grid[~cut], stamps[~cut], np.zeros(int((~cut).sum()), bool)
    axes = _axes(ax)
    x = _wall_time(stamps, tz).to_numpy()
    for column, label in enumerate(labels):
        y = grid[:, column]
        style = _OTHER_STYLE if pooled and column == len(labels) - 1 else {}
        line = axes.plot(x, np.where(cut, np.nan, y), marker="o", markersize=3, label=label,
                         **style)[0]
        if cut.any():
            axes.plot(x[cut], y[cut], linestyle="none", marker="o", markersize=6,
                      color=line.get_color(), markerfacecolor="white", label="_partial")
    axes.set_xlabel(f"{'interval end' if grain is None else grain} ({tz})")
    axes.set_ylabel(_label(f))
    axes.set_title(f"{f.title} per {grain or 'interval'}" + (f" by {noun}" if by else "")
                   + f"\n{_window(df, level=chosen, span='interval', tz=tz)}")
    handles, texts = axes.get_legend_handles_labels()
    if cut.any():
        handles.append(_partial_handle())
        texts.append(PARTIAL_NOTE)
    if by is not None or cut.any():
        title = f"top {top} {noun}s by volume" if pooled else noun
        axes.legend(handles, texts, title=title, fontsize="small", loc="upper left",
                    bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    _date_axis(axes)
    return axes


def _series(df: pd.DataFrame, by: str, leaders: pd.Series, *, level: str) -> pd.Categorical:
    """Each row's line: its id's position among ``leaders``, or the last (:data:`OTHER`).

    Codes, never strings: only the rows derive reads (``level``'s intervals) are looked
    up, once each, in a hash of the few leaders.
    """
    rows = np.flatnonzero(level_mask(df, level) & span_mask(df, "interval"))
    codes = np.full(len(df), len(leaders), np.int32)
    found = pd.Index(leaders.array).get_indexer(df[by].array[rows])
    codes[rows] = np.where(found < 0, len(leaders), found)
    lines = pd.CategoricalDtype(pd.RangeIndex(len(leaders) + 1))
    series: pd.Categorical = pd.Categorical.from_codes(codes, dtype=lines)
    return series


def _periods(df: pd.DataFrame, *, grain: str | None, level: str, tz: str) -> pd.DataFrame:
    """Every period of the time axis (index) and whether its data covers it only in part."""
    rows = _coverage_rows(df)
    labels = (rows["timestamp"].dropna() if grain is None else
              grain_labels(rows, np.arange(len(rows)), grain, tz, where="timeseries"))
    index = pd.DatetimeIndex(np.sort(labels.unique()))
    when = "timestamp" if grain is None else grain
    covered = derive(rows, metrics=[_COVERED], by=[when], level=level, span="interval", tz=tz)
    hours = pd.Series(covered["value"].to_numpy(np.float64),
                      index=pd.DatetimeIndex(covered[when])).reindex(index)
    if grain is None:
        full = np.full(len(index), np.nanmax(hours.to_numpy()) if hours.notna().any() else np.nan)
    else:
        step = pd.DateOffset(hours=1) if grain == "hour" else pd.DateOffset(days=1)
        full = ((index + step) - index).total_seconds().to_numpy() / 3600
    partial = (hours.to_numpy() < full - _TOLERANCE_HOURS) & ~np.isnan(hours.to_numpy())
    return pd.DataFrame({"partial": partial}, index=index)


def _coverage_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The interval rows of ``df`` that start a run of rows equal in :data:`_COVERAGE_KEYS`.

    The hours a period covers are the most any of its rows covers, and a level's periods
    are those it has rows in: every distinct combination of these keys keeps a row (its
    first, so a period's first row too), and ``derive`` counts the same hours on these few
    hundred rows as on the millions of the frame (:func:`engframe._keys.run_starts`).
    """
    rows = np.flatnonzero(span_mask(df, "interval"))
    kept = df.take(rows[run_starts(df, rows, _COVERAGE_KEYS)]).reset_index(drop=True)
    kept.attrs = dict(df.attrs)  # the request's interval and timeframe, for bare responses
    return kept


def _partial_handle() -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="white",
                  markeredgecolor="#555555")
