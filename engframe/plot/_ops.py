"""The Operational Realtime charts: the queue by hour, agents' states by team, service level.

Three pictures an operations analyst reads each morning, each computed the way
:func:`engframe.derive` and :func:`engframe.service_level` compute (ratios of sums, never
averages of averages), and re-exported by :mod:`engframe.plot`:

- :func:`queue`: speed of answer (``totalTimeToAnswer / connectedEng``, bars, seconds) and
  abandonment (``abandonedEng / (abandonedEng + connectedEng)``, a line, percent) per
  hour, from queuehealth;
- :func:`states`: each team's (or agent's) logged-in time split into Online, Back soon and
  Away, stacked, in hours, from agentactivity (states read by id, never by position);
- :func:`service_curve`: the share of answered chats that waited less than each bucket
  edge, from sla's histogram.

Examples
--------
>>> import engframe
>>> df = engframe.flatten("data/samples/operational/sla.json")
>>> service_curve(df).get_ylabel()
'answered within (% of chats)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from engframe.derive import DEFAULT_TZ, derive
from engframe.errors import FrameError
from engframe.methods.agentactivity import STATE_NAMES
from engframe.plot._time import window
from engframe.service_level import service_level

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STATE_COLORS", "queue", "service_curve", "states"]

#: The colour of each state in :func:`states`.
STATE_COLORS: Final = {"Online": "#2ca02c", "Back soon": "#ff7f0e", "Away": "#7f7f7f"}
_PARTS: Final = tuple(STATE_NAMES[i] for i in (2, 3, 4))
_NAMES: Final = {"agent_group": "agent_group_name", "agent": "agent_name"}


def _axes(ax: Axes | None, size: tuple[float, float] = (9, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _covered(df: pd.DataFrame, *, tz: str) -> str:
    """The window of the frame's rows (its first level's), for a title."""
    level = str(df["level"].iloc[0]) if len(df) else "totals"
    return window(df, level=level, span=None, tz=tz)


def queue(df: pd.DataFrame, *, tz: str = DEFAULT_TZ, ax: Axes | None = None) -> Axes:
    """Speed of answer (bars) and abandonment (line) per hour, from queuehealth.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy queuehealth frame with intervals (a fetch or a history).
    tz : str, default "UTC"
        The time zone of the hours.
    ax : matplotlib Axes, optional
        Where to draw (the abandonment gets a twin axis on its right).

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the speed of answer.

    Raises
    ------
    FrameError
        If the frame holds no queuehealth interval.

    Examples
    --------
    >>> import engframe
    >>> from engframe.sim import Center, Operations, build_ops_response, parse_ops_query
    >>> center = Center(seed=1)
    >>> query = parse_ops_query("queuehealth", {"timeframe": "120", "interval": "5", "v": "1"})
    >>> body = build_ops_response(center, Operations(center), query, now_ms=1_795_638_544_123)
    >>> queue(engframe.flatten(body)).get_ylabel()
    'speed of answer (s)'
    """
    hourly = derive(df, by="hour", metrics=["avgTimeToAnswer", "abandonmentRate"], tz=tz)
    if hourly.empty:
        raise FrameError("plot.queue: the frame holds no queuehealth interval to chart")
    table = hourly.pivot_table(index="hour", columns="metric", values="value",
                               observed=True, dropna=False)
    hours = pd.DatetimeIndex(table.index)
    axes = _axes(ax)
    # in days, matplotlib's date unit; the steps as Timedeltas (asi8 is in the index's unit,
    # microseconds under pandas 3, so it cannot be read as nanoseconds)
    step = pd.Timedelta(hours=1) if len(hours) < 2 else (hours[1:] - hours[:-1]).min()
    width = 0.8 * (step / pd.Timedelta(days=1))
    axes.bar(hours, table["avgTimeToAnswer"].to_numpy(float), width=width, align="edge",
             color="#1f77b4", label="speed of answer")
    axes.set_ylabel("speed of answer (s)")
    twin = axes.twinx()
    twin.plot(hours + pd.Timedelta(minutes=30), 100 * table["abandonmentRate"].to_numpy(float),
              color="#d62728", marker="o", label="abandonment")
    twin.set_ylabel("abandonment (% of chats started)")
    twin.set_ylim(bottom=0)
    axes.set_xlabel(f"hour ({tz})")
    axes.set_title("Queue: speed of answer and abandonment by hour\n"
                   + _covered(df, tz=tz))
    handles = [*axes.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
    axes.legend(handles=handles, loc="upper left")
    return axes


def states(df: pd.DataFrame, *, by: str = "agent_group", ax: Axes | None = None) -> Axes:
    """Each team's (agent's) logged-in time split into its states, stacked [h].

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy agentactivity frame; with names (``names=True``) for teams.
    by : {"agent_group", "agent"}, default "agent_group"
        Bars per team or per agent.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    FrameError
        If the frame lacks the column ``by`` (teams need names).

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/operational/agentactivity.json")
    >>> states(df, by="agent").get_xlabel()
    'hours logged in'
    """
    if by not in df.columns:
        raise FrameError(f"plot.states: the frame has no {by!r} column (teams come with "
                         "names: load with names=True)")
    label = _NAMES[by] if _NAMES.get(by) in df.columns else by
    keys = [by, label] if label != by else [by]
    split = derive(df, by=[*keys, "state"], metrics=["total"])
    split = split[split["state"].astype(str).isin(_PARTS)]
    table = split.pivot_table(index=label, columns="state", values="value", observed=True,
                              aggfunc="sum").reindex(columns=list(_PARTS)).fillna(0.0) / 3600
    table = table.loc[table.sum(axis=1).sort_values().index]
    axes = _axes(ax, (9, max(3.0, 0.4 * len(table) + 1.5)))
    left = np.zeros(len(table))
    names = [str(i) for i in table.index]
    for state in _PARTS:
        values = table[state].to_numpy(float)
        axes.barh(names, values, left=left, color=STATE_COLORS[state], label=state)
        left += values
    axes.set_xlabel("hours logged in")
    axes.set_title(f"Agents' states by {'team' if by == 'agent_group' else 'agent'}\n"
                   + _covered(df, tz=DEFAULT_TZ))
    axes.legend(loc="lower right")
    return axes


def service_curve(df: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The service level at every bucket edge: answered within T, as a share of chats.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy sla frame (one answer or many: the counts add up).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    curve = service_level(df)
    axes = _axes(ax)
    axes.plot(curve["within"], 100 * curve["value"], marker="o", drawstyle="steps-post",
              color="#1f77b4")
    for t, share in zip(curve["within"], curve["value"], strict=True):
        if np.isfinite(share):
            axes.annotate(f"{100 * share:.0f}%", (t, 100 * share), textcoords="offset points",
                          xytext=(0, 6), ha="center", fontsize=8)
    axes.set_xlabel("waited less than (s)")
    axes.set_ylabel("answered within (% of chats)")
    axes.set_ylim(0, 105)
    total = int(curve["chats"].iloc[0]) if len(curve) else 0
    axes.set_title(f"Service level: answered within T ({total:,} chats)\n"
                   + _covered(df, tz=DEFAULT_TZ))
    return axes
