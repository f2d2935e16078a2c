"""Skills, agents or teams ranked by a metric (:func:`engframe.plot.ranking`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engframe.derive import DEFAULT_TZ, Formula, derive, resolve
from engframe.derive._core import _check_tz, check_components
from engframe.derive._select import (
    choose_level,
    choose_span,
)
from engframe.errors import OptionError
from engframe.methods import volume_of
from engframe.plot._common import (
    BY_CHOICES,
    DEFAULT_MIN_VOLUME,
    DEFAULT_RANK_TOP,
    _axes,
    _check_by,
    _check_top,
    _label,
    _labels,
    _name_keys,
)
from engframe.plot._time import window as _window
from engframe.schema import check_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ranking",
]


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
