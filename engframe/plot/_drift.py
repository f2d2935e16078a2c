"""Reconciliation drift per relation and metric (:func:`engframe.plot.drift`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engframe.derive import DEFAULT_TZ
from engframe.derive._core import _check_tz
from engframe.errors import FrameError
from engframe.methods import label as metric_label
from engframe.methods import unit_of
from engframe.plot._common import _DRIFT_LABELS, DOT_AREA, STATUS_COLORS
from engframe.plot._time import shown as _shown
from engframe.plot._time import zone as _zone
from engframe.reconcile import RELATION_LABELS, STATUSES
from engframe.schema import NAT_MS, epoch_ms

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "drift",
]


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
