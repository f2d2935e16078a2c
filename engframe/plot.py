"""Pictures of tidy frames: metric time series, rankings, and reconciliation drift.

matplotlib is imported when a function runs, not when engframe is imported. Every
function draws on ``ax`` when given, else on a new figure, and returns the Axes; all
work headless (matplotlib falls back to its Agg backend without a display). Time axes
show interval ends in UTC, or in ``tz`` when given, and say which in their label.

Examples
--------
>>> import engframe
>>> from engframe import plot
>>> df = engframe.flatten("data/samples/agent_2_intervals.json")
>>> ax = plot.timeseries(df, "avgInteractiveHandlingTime", by="agent")
>>> ax.get_ylabel()
'avgInteractiveHandlingTime [s]'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from engframe.derive import DEFAULT_TZ, Formula, derive, resolve
from engframe.derive._core import _check_tz
from engframe.derive._select import choose_level
from engframe.errors import FrameError, OptionError
from engframe.reconcile import STATUSES
from engframe.schema import check_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DEFAULT_RANK_TOP",
    "DEFAULT_TOP",
    "OTHER",
    "STATUS_COLORS",
    "drift",
    "ranking",
    "timeseries",
]

#: Series drawn by :func:`timeseries` before the rest are grouped as :data:`OTHER`.
DEFAULT_TOP: Final = 5
#: Bars drawn by :func:`ranking`.
DEFAULT_RANK_TOP: Final = 20
#: Label of the series that groups every skill or agent outside the top N.
OTHER: Final = "other"
#: Colour of each reconciliation status in :func:`drift`.
STATUS_COLORS: Final[Mapping[str, str]] = {
    "ok": "#9e9e9e",
    "rounding": "#1f77b4",
    "filtered": "#9467bd",
    "mismatch": "#d62728",
}
_BY_CHOICES: Final = ("skill", "agent")
_SERIES: Final = "_series"


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(9, 4.5), layout="constrained")
    return new


def _check_by(by: str | None, *, where: str, allow_none: bool) -> None:
    if by is None and allow_none:
        return
    if by not in _BY_CHOICES:
        choices = ", ".join(_BY_CHOICES) + (" or None" if allow_none else "")
        raise OptionError(f"{where}: by={by!r}; expected {choices}")


def _check_top(top: int, *, where: str) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise OptionError(f"{where}: top must be a positive integer, found {top!r}")


def _label(f: Formula) -> str:
    return f"{f.name} [{f.unit}]" if f.unit else f.name


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
    level: str | None = None,
    tz: str = DEFAULT_TZ,
    ax: Axes | None = None,
) -> Axes:
    """Draw a metric (raw or derived) per interval, one line per skill or agent.

    The ``top`` skills or agents with the most volume behind the metric (the
    denominator's sum for a ratio, e.g. chats for an average handling time; else the
    metric's own sum) get a line each; the others are pooled into one :data:`OTHER`
    line, computed as a ratio of sums over all of them, not an average of their lines.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame with ``interval`` rows.
    metric : str or Formula
        An API metric, a built-in derived metric, or your own :func:`engframe.formula`.
    by : {"skill", "agent"}, optional
        One line per skill or per agent; ``None`` for one line over everything.
    top : int
        How many skills or agents get their own line.
    level : str, optional
        Level to read (default as in :func:`engframe.derive`: ``skill`` or ``agent``,
        else the account or all-skills totals).
    tz : str
        Time zone of the time axis.
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
        If ``by``, ``top``, ``level`` or ``tz`` is not usable.
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
    where = "timeseries"
    check_frame(df, where=where)
    _check_by(by, where=where, allow_none=True)
    _check_top(top, where=where)
    _check_tz(tz, where=where)
    f = resolve(metric, where=where)
    if not (df["span"] == "interval").any():
        raise FrameError(f"{where}: the frame has no interval rows; request an interval")
    keys = [by] if by is not None else []
    chosen = choose_level(df, by=keys, level=level, where=where)
    frame = df
    if by is not None:
        weights = derive(df, metrics=[_weight_formula(f)], by=keys, level=chosen, span="interval")
        weights = weights.sort_values(["value", by], ascending=[False, True], kind="stable")
        leaders = weights[by].head(top).tolist()
        frame = df.assign(_series=df[by].astype("string"))
        frame.loc[~frame[by].isin(leaders).to_numpy(bool), _SERIES] = OTHER
        keys = [_SERIES]
        order = [str(x) for x in leaders] + ([OTHER] if len(weights) > top else [])
    else:
        order = [f.name]
    values = derive(
        frame, metrics=[f], by=[*keys, "timestamp"], level=chosen, span="interval", tz=tz
    )
    # a skill or agent absent from an interval had no data there: 0 for sums, a gap for ratios
    stamps = pd.Series(np.sort(frame.loc[(frame["span"] == "interval").to_numpy(bool),
                                         "timestamp"].dropna().unique()))
    series = values[_SERIES].astype(str) if by is not None else pd.Series(f.name, values.index)
    grid = pd.DataFrame({"timestamp": values["timestamp"], "name": series,
                         "value": values["value"]}).pivot_table(
        index="timestamp", columns="name", values="value", aggfunc="first", dropna=False
    ).reindex(index=pd.DatetimeIndex(stamps), columns=order)
    if not f.is_ratio:
        grid = grid.fillna(0.0)
    axes = _axes(ax)
    x = _wall_time(pd.Series(grid.index), tz)
    for name in order:
        label = name if by is None or name == OTHER else f"{by} {name}"
        axes.plot(x, grid[name].to_numpy(np.float64), marker="o", markersize=3, label=label)
    axes.set_xlabel(f"interval end ({tz})")
    axes.set_ylabel(_label(f))
    axes.set_title(f"{f.name} per interval" + (f" by {by}" if by else ""))
    if by is not None:
        axes.legend(title=f"top {top} by volume" if len(order) > top else by, fontsize="small")
    _date_axis(axes)
    return axes


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
    count: str | Formula = "totalChats",
    level: str | None = None,
    span: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Rank agents or skills on a metric, showing how many chats stand behind each bar.

    Bars are sorted high to low (the highest on top); each is annotated ``n=<count>`` so
    a high average handling time on two chats is not mistaken for a problem. Skills or
    agents whose metric is missing (no chats at all) are left out.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame.
    metric : str or Formula
        What to rank on.
    by : {"agent", "skill"}
        What to rank.
    top : int
        How many bars to draw.
    count : str or Formula
        The volume printed beside each bar (default ``totalChats``).
    level, span : str, optional
        As in :func:`engframe.derive` (default: the whole timeframe when present).
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
        If ``by``, ``top``, ``level`` or ``span`` is not usable.
    MetricError
        If a metric is unknown or needs a component the frame lacks.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/skills_all_agent_3.json")
    >>> from engframe.plot import ranking
    >>> ax = ranking(df, "avgHandlingTime", by="agent")
    >>> [t.get_text() for t in ax.texts]
    ['n=3']
    """
    where = "ranking"
    check_frame(df, where=where)
    _check_by(by, where=where, allow_none=False)
    _check_top(top, where=where)
    f, n = resolve(metric, where=where), resolve(count, where=where)
    if n.name == f.name:
        n = Formula(f"_{n.name}", n.numerator, n.denominator, n.unit, scale=n.scale)
    long = derive(df, metrics=[f, n], by=[by], level=level, span=span)
    table = pd.DataFrame({
        by: long.loc[(long["metric"] == f.name).to_numpy(bool), by].to_numpy(),
        "value": long.loc[(long["metric"] == f.name).to_numpy(bool), "value"].to_numpy(),
        "count": long.loc[(long["metric"] == n.name).to_numpy(bool), "value"].to_numpy(),
    })
    table = table.dropna(subset=["value"]).sort_values(
        ["value", by], ascending=[False, True], kind="stable"
    ).head(top)
    axes = _axes(ax)
    positions = np.arange(len(table))[::-1]
    axes.barh(positions, table["value"].to_numpy(np.float64), color="#1f77b4")
    axes.set_yticks(positions, [f"{by} {x}" for x in table[by]])
    span_at = float(table["value"].max()) if len(table) else 1.0
    for y, value, volume in zip(positions, table["value"], table["count"], strict=True):
        axes.text(value + 0.01 * span_at, y, f"n={volume:g}", va="center", fontsize="small")
    axes.set_xlabel(_label(f))
    axes.set_ylabel(by)
    axes.set_title(f"{f.name} by {by} (n = {n.name.lstrip('_')})")
    axes.margins(x=0.15)
    return axes


def drift(checks: pd.DataFrame, *, relative: bool = False, ax: Axes | None = None) -> Axes:
    """Show where totals fail to add up, and by how much.

    One row per relation and metric, one dot per check at its difference (sum of parts
    minus reported), coloured by status (:data:`STATUS_COLORS`); the dashed line marks 0.

    Parameters
    ----------
    checks : pandas.DataFrame
        The result of :func:`engframe.reconcile`.
    relative : bool
        Plot the relative difference [%] instead of the absolute one [metric units].
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    FrameError
        If ``checks`` lacks the columns :func:`engframe.reconcile` writes.

    Examples
    --------
    >>> import engframe
    >>> from engframe.plot import drift
    >>> from engframe.reconcile import reconcile
    >>> ax = drift(reconcile(engframe.flatten("data/samples/skill_2.json")))
    >>> ax.get_xlabel()
    'sum of parts - reported [s for handling times, count otherwise]'
    """
    needed = {"relation", "metric", "difference", "relative_difference", "status"}
    if not isinstance(checks, pd.DataFrame) or not needed <= set(checks.columns):
        raise FrameError("drift: expected the DataFrame engframe.reconcile() returns")
    rows = (checks["relation"].astype(str) + " · " + checks["metric"].astype(str)).to_numpy()
    names = sorted(set(rows))
    y = np.searchsorted(names, rows).astype(np.float64)
    x = (checks["relative_difference"].to_numpy(np.float64) * 100 if relative
         else checks["difference"].to_numpy(np.float64))
    status = checks["status"].astype(str).to_numpy()
    axes = _axes(ax)
    for name in STATUSES:
        hit = status == name
        if hit.any():
            axes.scatter(x[hit], y[hit], s=18, color=STATUS_COLORS[name], alpha=0.8,
                         label=f"{name} ({int(hit.sum())})", zorder=3)
    axes.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
    axes.set_yticks(np.arange(len(names)), names, fontsize="small")
    axes.set_xlabel("relative difference [%]" if relative
                    else "sum of parts - reported [s for handling times, count otherwise]")
    axes.set_ylabel("relation · metric")
    axes.set_title("Reconciliation drift")
    if len(checks):
        axes.legend(title="status", fontsize="small")
    return axes
