"""Pictures of tidy frames: metric time series, rankings, reconciliation drift, and the
Operational Realtime charts (the queue by hour, agents' states by team, the service-level
curve: :mod:`engframe._plot_ops`).

matplotlib is imported when a function runs, not when engframe is imported. Every
function draws on ``ax`` when given, else on a new figure, and returns the Axes; all
work headless (matplotlib falls back to its Agg backend without a display). Time axes
show interval ends in UTC, or in ``tz`` when given, and say which in their label.

Skills, agents and teams are labelled by name when the frame has names
(``engframe.load(..., names=True)``, :func:`engframe.names.attach_names`): "Dana Levi",
"Sales", "Tier 1"; else by id, "agent 1282939616". ``by="agent_group"`` (a team: an
agent's group, read at the agent level) needs names.

The charts try not to mislead: partial periods (the API's oldest interval holds only the
remainder of the window, its newest is still filling) are drawn hollow, not as dips;
pooled "other" lines are grey, dashed and on the scale of one skill or agent; rankings
leave out skills or agents with too few chats to mean anything and say so; drift keeps
counts and seconds on separate axes.

Examples
--------
>>> import engframe
>>> from engframe import plot
>>> df = engframe.flatten("data/samples/agent_2_intervals.json")
>>> ax = plot.timeseries(df, "avgInteractiveHandlingTime", by="agent")
>>> ax.get_ylabel()
'Average interactive handling time (s)'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from engframe._keys import run_starts
from engframe._plot_ops import STATE_COLORS, queue, service_curve, states
from engframe._plot_time import shown as _shown
from engframe._plot_time import window as _window
from engframe._plot_time import zone as _zone
from engframe.derive import DEFAULT_TZ, Formula, derive, resolve
from engframe.derive._core import _check_tz, check_components
from engframe.derive._grains import grain_labels
from engframe.derive._select import (
    choose_level,
    choose_span,
    level_mask,
    missing_key_hint,
    span_mask,
)
from engframe.errors import FrameError, OptionError
from engframe.methods import HOURS, unit_of, volume_of
from engframe.methods import label as metric_label
from engframe.reconcile import RELATION_LABELS, STATUSES
from engframe.schema import NAT_MS, check_frame, epoch_ms

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = [
    "BY_CHOICES",
    "DEFAULT_MIN_VOLUME",
    "DEFAULT_PARTIAL",
    "DEFAULT_RANK_TOP",
    "DEFAULT_TOP",
    "DOT_AREA",
    "GRAINS",
    "NO_GROUP",
    "OTHER",
    "PARTIAL_NOTE",
    "PARTIAL_STYLES",
    "STATE_COLORS",
    "STATUS_COLORS",
    "drift",
    "queue",
    "ranking",
    "service_curve",
    "states",
    "timeseries",
]

#: Series drawn by :func:`timeseries` before the rest are grouped as :data:`OTHER`.
DEFAULT_TOP: Final = 5
#: Bars drawn by :func:`ranking`.
DEFAULT_RANK_TOP: Final = 20
#: The least volume (chats, by default) :func:`ranking` needs to rank a skill or agent.
DEFAULT_MIN_VOLUME: Final = 20
#: Label of the series that groups every skill or agent outside the top N.
OTHER: Final = "other"
#: Time axes of :func:`timeseries`: per interval (None), per calendar hour or day.
GRAINS: Final = (None, "hour", "day")
#: What :func:`timeseries` does with partial periods: draw them hollow, or leave them out.
PARTIAL_STYLES: Final = ("mark", "omit")
DEFAULT_PARTIAL: Final = "mark"
#: The legend entry of the hollow markers.
PARTIAL_NOTE: Final = "partial period (window starts or ends inside it)"
#: Colour of each reconciliation status in :func:`drift`.
STATUS_COLORS: Final[Mapping[str, str]] = {
    "ok": "#9e9e9e",
    "rounding": "#1f77b4",
    "mismatch": "#d62728",
}
#: Area [pt^2] of a :func:`drift` dot standing for one check; n checks get ``sqrt(n)``
#: times it, at most 40 times (10 checks: 3.2 times, 1000 checks: 32 times).
DOT_AREA: Final = 18.0
#: What ``by`` may name: the id column, the column holding its name in a frame with
#: names (:data:`engframe.names.NAME_COLUMNS`), and the noun titles and legends use.
BY_CHOICES: Final[Mapping[str, tuple[str, str]]] = {
    "skill": ("skill_name", "skill"),
    "agent": ("agent_name", "agent"),
    "agent_group": ("agent_group_name", "team"),
}
#: Label of the agents that belong to no agent group, in ``by="agent_group"`` charts.
NO_GROUP: Final = "no group"
_SERIES: Final = "_series"
_OTHER_STYLE: Final[Mapping[str, Any]] = {"color": "#7f7f7f", "linestyle": "--"}
#: The clock time a period's data covers [h], as derive counts it.
_COVERED: Final = Formula("_covered", {HOURS: 1.0})
#: A period covered to within this much [h] (a second) is full.
_TOLERANCE_HOURS: Final = 1 / 3600
_DRIFT_LABELS: Final = {
    "count": "sum of parts - reported [count]",
    "s": "sum of parts - reported [s]",
    "fraction": "recomputed - reported [fraction]",
    "%": "relative difference [%]",
}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(9, 4.5), layout="constrained")
    return new


def _check_by(df: pd.DataFrame, by: str | None, *, where: str, allow_none: bool) -> None:
    if by is None and allow_none:
        return
    if by is None or by not in BY_CHOICES:
        choices = ", ".join(BY_CHOICES) + (" or None" if allow_none else "")
        raise OptionError(f"{where}: by={by!r}; expected {choices}")
    if by not in df.columns:
        raise OptionError(f"{where}: by={by!r} needs the agents' groups, which the frame "
                          f"lacks{missing_key_hint(by)}")


def _name_keys(df: pd.DataFrame, by: str) -> list[str]:
    """``by``'s name column, when the frame has names: grouped on beside the id, so the
    derived rows carry each one's label (a name is a property of its id: no group splits)."""
    name = BY_CHOICES[by][0]
    return [name] if name in df.columns else []


def _labels(table: pd.DataFrame, by: str) -> list[str]:
    """How each row of ``table`` (derived by ``by`` and its name) is called in a chart."""
    name, noun = BY_CHOICES[by]
    if name in table.columns:
        fallback = NO_GROUP if by == "agent_group" else None
        return [str(x) if not pd.isna(x) else (fallback or f"{noun} {i}")
                for x, i in zip(table[name], table[by], strict=True)]
    return [f"{noun} {i}" if not pd.isna(i) else NO_GROUP for i in table[by]]


def _check_top(top: int, *, where: str) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise OptionError(f"{where}: top must be a positive integer, found {top!r}")


def _check_choice(value: object, allowed: tuple[Any, ...], name: str, *, where: str) -> None:
    if value not in allowed:
        raise OptionError(f"{where}: {name}={value!r}; expected one of "
                          f"{', '.join(map(repr, allowed))}")


def _label(f: Formula) -> str:
    """The axis label of a metric: plain words and the unit, "Average handling time (s)"."""
    unit = {"fraction": "0 to 1"}.get(f.unit, f.unit)
    # "Chats", not "Chats (chats)"; but "... conversations (s)": a word, not a letter
    if not unit or unit.lower() in f.title.lower().split():
        return f.title
    return f"{f.title} ({unit})"


def _wall_time(stamps: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(stamps, utc=True).dt.tz_convert(tz).dt.tz_localize(None)


def _weight_formula(f: Formula) -> Formula:
    """What "biggest" means for top N: the volume behind the metric, not its value."""
    if f.is_ratio and "hours" not in f.denominator:
        return Formula("_weight", f.denominator)
    return Formula("_weight", {k: abs(w) for k, w in f.numerator.items()})


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


#: What tells a row's period and how much of it the row's data covers (see
#: :mod:`engframe.derive._periods`), and its level: rows equal in all of these are
#: interchangeable for the hours a period covers.
_COVERAGE_KEYS: Final = ("timestamp", "start", "fetched_at", "source", "account", "level")


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


def _date_axis(axes: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    )


def ranking(
    df: pd.DataFrame,
    metric: str | Formula = "avgInteractiveHandlingTime",
    *,
    by: str = "agent",
    top: int = DEFAULT_RANK_TOP,
    count: str | Formula | None = None,
    min_volume: float = DEFAULT_MIN_VOLUME,
    level: str | None = None,
    span: str | None = None,
    tz: str = DEFAULT_TZ,
    ax: Axes | None = None,
) -> Axes:
    """Rank agents, skills or teams on a metric, showing how many chats stand behind each bar.

    Only skills or agents with at least ``min_volume`` (chats, by default) are ranked: a
    long average handling time on three chats is noise, not a finding. Bars are sorted
    high to low (the highest on top), each annotated ``n=<count>``; the title says how
    many were ranked of how many qualified, e.g. "top 20 of 48 agents with >= 20 chats",
    and how many had too few. Skills or agents whose metric is missing (no chats at
    all) are left out.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame.
    metric : str or Formula
        What to rank on.
    by : {"agent", "skill", "agent_group"}
        What to rank: agents, skills, or teams (agent groups: each agent counts in its
        group; needs names). Bars are labelled by name when the frame has names
        ("Dana Levi", "Sales", "Tier 1"; agents in no group: :data:`NO_GROUP`), else by
        id ("agent 1282939616").
    top : int
        How many bars to draw.
    count : str or Formula, optional
        The volume printed beside each bar and compared with ``min_volume``; default the
        volume of the metric's method (:attr:`engframe.methods.Method.volume`:
        ``totalChats``, ``totalResolvedConversations``, ``total_answers``).
    min_volume : float, default DEFAULT_MIN_VOLUME (20)
        The least ``count`` a skill or agent needs to be ranked; 0 ranks every one.
    level, span : str, optional
        As in :func:`engframe.derive` (default: the whole timeframe when present).
    tz : str
        Time zone of the time window the title states (default UTC).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame.
    OptionError
        If ``by``, ``top``, ``min_volume``, ``level``, ``span`` or ``tz`` is not usable.
    MetricError
        If a metric is unknown or needs a component the frame lacks.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/skills_all_agent_3.json")
    >>> from engframe.plot import ranking
    >>> ax = ranking(df, "avgHandlingTime", by="agent", min_volume=1)
    >>> [t.get_text() for t in ax.texts]
    ['n=3']
    >>> print(ax.get_title())
    Average handling time by agent: top 1 of 1 agents with >= 1 chats
    time window unknown
    >>> names = engframe.Names(agents=pd.DataFrame({"agent": [3], "agent_name": ["Dana Levi"]}))
    >>> named = engframe.attach_names(df, names, warn=False)  # skill 2 is not named
    >>> ax = ranking(named, "avgHandlingTime", min_volume=1)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Dana Levi']
    """
    count = volume_of(metric) if count is None else count
    if not isinstance(df, pd.DataFrame):  # a history (folder, engframe.scan): out of core
        from engframe.lazy._plot import plot_frame
        from engframe.lazy._scan import as_scan, is_history

        if is_history(df) and by in BY_CHOICES:
            df, level = plot_frame(as_scan(df), [metric, count], by=by, when=None,
                                   level=level, span=span, tz=DEFAULT_TZ)
    where = "ranking"
    check_frame(df, where=where)
    _check_tz(tz, where=where)
    _check_by(df, by, where=where, allow_none=False)
    _check_top(top, where=where)
    if (isinstance(min_volume, bool) or not isinstance(min_volume, int | float)
            or not min_volume >= 0):
        raise OptionError(f"{where}: min_volume must be a number >= 0, found {min_volume!r}")
    f, n = resolve(metric, where=where), resolve(count, where=where)
    check_components(df, [f, n], where=where)
    if n.name == f.name:
        n = Formula(f"_{n.name}", n.numerator, n.denominator, n.unit, scale=n.scale)
    named = _name_keys(df, by)
    long = derive(df, metrics=[f, n], by=[by, *named], level=level, span=span)
    # derive stacks one block of rows per metric, each in the same order of groups
    ours, theirs = ((long["metric"] == name).to_numpy(bool) for name in (f.name, n.name))
    table = long.loc[ours, [by, *named, "value"]].reset_index(drop=True)
    table["count"] = long.loc[theirs, "value"].to_numpy()
    table = table.dropna(subset=["value"])
    enough = (table["count"] >= min_volume).to_numpy(bool)
    eligible = table.loc[enough].sort_values(["value", by], ascending=[False, True], kind="stable")
    shown = eligible.head(top)
    noun = BY_CHOICES[by][1]
    axes = _axes(ax)
    positions = np.arange(len(shown))[::-1]
    axes.barh(positions, shown["value"].to_numpy(np.float64), color="#1f77b4")
    axes.set_yticks(positions, _labels(shown, by))
    span_at = float(shown["value"].max()) if len(shown) else 1.0
    for y, value, volume in zip(positions, shown["value"], shown["count"], strict=True):
        axes.text(value + 0.01 * span_at, y, f"n={volume:g}", va="center", fontsize="small")
    unit = n.unit or n.name.lstrip("_")
    title = (f"{f.title} by {noun}: top {len(shown)} of {len(eligible)} {noun}s "
             f"with >= {min_volume:g} {unit}")
    chosen_level = choose_level(df, by=[by], level=level, where=where)
    chosen_span = choose_span(df, by=[by], span=span, where=where)
    title += f"\n{_window(df, level=chosen_level, span=chosen_span, tz=tz)}"
    if (~enough).any():
        title += f" ({int((~enough).sum())} {noun}s with fewer {unit} not ranked)"
    if not len(shown):
        axes.text(0.5, 0.5, f"no {noun} has >= {min_volume:g} {unit}", ha="center",
                  va="center", transform=axes.transAxes, color="#555555")
    axes.set_xlabel(_label(f))
    axes.set_ylabel(noun)
    axes.set_title(title)
    axes.margins(x=0.15)
    return axes


def drift(checks: pd.DataFrame, *, relative: bool = False, tz: str = DEFAULT_TZ,
          ax: Axes | None = None) -> Axes:
    """Show where totals fail to add up, and by how much.

    One row per relation and metric that drifted (some check not ``ok``), in plain words
    ("a skill's agents vs the skill's total · Handling time of interactive chats"); the
    title says the time the checks cover and how many pairs add up exactly (not drawn).
    One dot per distinct difference (sum of parts minus reported), coloured by status
    (:data:`STATUS_COLORS`); a dot's area grows with the square root of the number of
    checks it stands for, so 1, 10, 100 and 1000 checks look different, and the legend
    shows those sizes. The dashed line marks 0. Counts (chats, engagements) and handling
    times [s] are drawn on separate panels with their own axes, counts on top; absolute
    differences get integer ticks (the API's values are whole numbers). With no drift at
    all, the chart says so.

    Parameters
    ----------
    checks : pandas.DataFrame
        The result of :func:`engframe.reconcile`.
    relative : bool
        Plot the relative difference [%] of every metric on one panel instead.
    tz : str
        Time zone of the period ends the title states (default UTC).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted. With counts and handling times both
        present, a second panel is split off below it.

    Returns
    -------
    matplotlib.axes.Axes
        The top panel; ``ax.figure.axes`` holds both when there are two.

    Raises
    ------
    FrameError
        If ``checks`` lacks the columns :func:`engframe.reconcile` writes.
    OptionError
        If ``tz`` is not a time zone name.

    Examples
    --------
    >>> import engframe
    >>> from engframe.plot import drift
    >>> from engframe.reconcile import reconcile
    >>> df = engframe.flatten("data/samples/skill_2.json")
    >>> counts = df["metric"].isin(["totalInteractiveChats", "totalHandlingTime"])
    >>> df.loc[(df["level"] == "skill") & counts, "value"] += 1  # the skill's total says more
    >>> ax = drift(reconcile(df))
    >>> [panel.get_xlabel() for panel in ax.figure.axes]
    ['sum of parts - reported [count]', 'sum of parts - reported [s]']
    >>> print(ax.get_title())
    Reconciliation drift, time window unknown
    4 relation and metric pairs drifted; 6 add up exactly (not shown)
    """
    needed = {"relation", "metric", "difference", "relative_difference", "status"}
    if not isinstance(checks, pd.DataFrame) or not needed <= set(checks.columns):
        raise FrameError("drift: expected the DataFrame engframe.reconcile() returns")
    _check_tz(tz, where="drift")
    metric = checks["metric"].astype(str)
    relation = checks["relation"].astype(str)
    row = (relation.map(RELATION_LABELS).fillna(relation) + " · "
           + metric.map(_metric_title)).to_numpy()
    status = checks["status"].astype(str).to_numpy()
    drifted_rows = set(row[status != "ok"])
    keep = np.isin(row, list(drifted_rows))
    points = pd.DataFrame({
        "row": row[keep],
        "x": (checks["relative_difference"].to_numpy(np.float64)[keep] * 100 if relative
              else checks["difference"].to_numpy(np.float64)[keep]),
        "status": status[keep],
        "panel": "%" if relative else metric.map(_drift_panel_of).to_numpy()[keep],
    })
    clean = len(set(row)) - len(drifted_rows)
    title = f"Reconciliation drift, {_checks_window(checks, tz)}"
    if not drifted_rows:
        first = ax if ax is not None else _drift_figure(1)
        first.text(0.5, 0.5, f"all {len(checks):,} checks ok: every total adds up",
                   ha="center", va="center", transform=first.transAxes)
        first.set_axis_off()
        first.set_title(title)
        return first
    panels = [p for p in (("%",) if relative else ("count", "s", "fraction"))
              if (points["panel"] == p).any()]
    counts = points.groupby(["panel", "row", "x", "status"], sort=False).size()
    stacked = counts.rename("n").reset_index()
    rows = {p: sorted(set(points.loc[points["panel"] == p, "row"])) for p in panels}
    first = ax if ax is not None else _drift_figure(sum(len(r) for r in rows.values()))
    axes = [first]
    if len(panels) > 1:
        from mpl_toolkits.axes_grid1 import make_axes_locatable  # type: ignore[import-untyped]

        divider = make_axes_locatable(first)
        for panel in panels[1:]:
            share = 100 * max(len(rows[panel]), 1) / max(len(rows[panels[0]]), 1)
            axes.append(divider.append_axes("bottom", size=f"{share:.0f}%", pad=0.9))
    for panel, target in zip(panels, axes, strict=True):
        _drift_panel(target, stacked[stacked["panel"] == panel], rows[panel], panel=panel,
                     relative=relative)
    pairs = len(drifted_rows)
    first.set_title(f"{title}\n{pairs} relation and metric pair{'s' if pairs != 1 else ''} "
                    f"drifted; {clean} add{'s' if clean == 1 else ''} up exactly (not shown)")
    _drift_legend(first, stacked)
    return first


def _metric_title(name: str) -> str:
    """A metric in plain words, from the catalogue (the name when it does not know it)."""
    return metric_label(name, unit="")


def _drift_panel_of(name: str) -> str:
    """The drift panel of a metric's differences, by its unit: seconds, shares, counts."""
    unit = unit_of(name)
    return unit if unit in ("s", "fraction") else "count"


def _checks_window(checks: pd.DataFrame, tz: str) -> str:
    if "timestamp" not in checks.columns:
        return "time window unknown"
    ms = epoch_ms(checks["timestamp"])
    ms = ms[ms != NAT_MS]
    if not len(ms):
        return "time window unknown"
    return (f"periods ending {_shown(int(ms.min()), tz)} to {_shown(int(ms.max()), tz)} "
            f"{_zone(tz)}")


def _drift_figure(rows: int) -> Axes:
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(10, max(3.0, 1.6 + 0.28 * rows)))
    return new


def _drift_panel(axes: Axes, stacked: pd.DataFrame, rows: list[str], *, panel: str,
                 relative: bool) -> None:
    from matplotlib.ticker import MaxNLocator

    y = np.searchsorted(rows, stacked["row"].to_numpy()).astype(np.float64)
    x = stacked["x"].to_numpy(np.float64)
    for name in STATUSES:  # ok first, mismatch last: the rare on top of the common
        hit = (stacked["status"] == name).to_numpy(bool)
        if hit.any():
            axes.scatter(x[hit], y[hit], s=_dot_area(stacked["n"].to_numpy()[hit]),
                         color=STATUS_COLORS[name], alpha=0.85, edgecolors="white",
                         linewidths=0.5, zorder=3, label=name)
    axes.axvline(0.0, color="black", linestyle="--", linewidth=0.8, zorder=1)
    axes.set_yticks(np.arange(len(rows)), rows, fontsize="small")
    axes.set_ylim(len(rows) - 0.5, -0.5)  # the first row on top
    reach = float(np.nanmax(np.abs(x))) if len(x) and np.isfinite(x).any() else 0.0
    axes.set_xlim(-max(reach, 1.0) * 1.15, max(reach, 1.0) * 1.15)
    if not relative and panel != "fraction":
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(_DRIFT_LABELS[panel])


def _drift_legend(axes: Axes, stacked: pd.DataFrame) -> None:
    from matplotlib.lines import Line2D

    handles, labels = [], []
    for name in STATUSES:
        total = int(stacked.loc[(stacked["status"] == name).to_numpy(bool), "n"].sum())
        if total:
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7,
                                  color=STATUS_COLORS[name]))
            labels.append(f"{name} ({total})")
    most = int(stacked["n"].max()) if len(stacked) else 1
    for n in (1, 10, 100, 1000):
        if n <= most:
            handles.append(Line2D([], [], linestyle="none", marker="o",
                                  markersize=float(np.sqrt(_dot_area(np.array([n]))[0])),
                                  markerfacecolor="none", markeredgecolor="#555555"))
            labels.append(f"{n} check{'s' if n > 1 else ''}")
    if handles:
        axes.legend(handles, labels, title="status (checks)", fontsize="small",
                    loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                    labelspacing=1.3, borderpad=0.8, handletextpad=1.0)


def _dot_area(n: np.ndarray) -> np.ndarray:
    """Marker area [pt^2] of a dot standing for ``n`` checks: the square root of n times
    :data:`DOT_AREA` (1, 10, 100, 1000 checks: 1, 3.2, 10, 32 times), at most 40 times."""
    return np.asarray(DOT_AREA * np.minimum(np.sqrt(n.astype(np.float64)), 40.0), np.float64)
