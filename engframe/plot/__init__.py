"""Pictures of tidy frames: metric time series, rankings, reconciliation drift, and the
Operational Realtime charts (the queue by hour, agents' states by team, the service-level
curve: :mod:`engframe.plot._ops`).

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

from engframe.plot._common import (
    BY_CHOICES,
    DEFAULT_MIN_VOLUME,
    DEFAULT_PARTIAL,
    DEFAULT_RANK_TOP,
    DEFAULT_TOP,
    DOT_AREA,
    GRAINS,
    NO_GROUP,
    OTHER,
    PARTIAL_NOTE,
    PARTIAL_STYLES,
    STATUS_COLORS,
)
from engframe.plot._drift import drift
from engframe.plot._ops import STATE_COLORS, queue, service_curve, states
from engframe.plot._ranking import ranking
from engframe.plot._timeseries import timeseries

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
