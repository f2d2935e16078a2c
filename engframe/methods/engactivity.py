"""Engagement Activity (``engactivity``): chats and handling times of LivePerson's chat product.

The method the project started from (``../shared/api/engactivity-spec.txt``; LivePerson's
pages: :data:`METHOD`'s ``docs``). GET only, so a query whose URL would be too long is split
into several requests (:func:`engframe.query.split_query`) and merged. Five integer metrics:
two counts of closed chats, their two handling-time totals in whole seconds (each element
rounded on its own, so totals may differ from the sum of their parts by rounding), and
connected engagements. LivePerson publishes no formula for average handling time: the derived
metrics below are engframe's, each a ratio of sums.

Examples
--------
>>> from engframe.methods.engactivity import DERIVED, METHOD
>>> METHOD.metric_names[:2]
('totalInteractiveChats', 'totalNonInteractiveChats')
>>> print(DERIVED["avgInteractiveHandlingTime"])
avgInteractiveHandlingTime = totalHandlingTime / totalInteractiveChats  [s]
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from engframe.methods._formula import HOURS, Formula, formula
from engframe.methods._model import SECTIONS, Kind, Method, Metric

__all__ = ["DERIVED", "METHOD", "RAW_LABELS", "RAW_UNITS", "ROUNDED_METRICS"]

_CHATS: Final = {"totalInteractiveChats": 1.0, "totalNonInteractiveChats": 1.0}

_METRICS: Final = (
    Metric("totalInteractiveChats", Kind.COUNT, "chats", "Interactive chats",
           "Chats closed that were interactive."),
    Metric("totalNonInteractiveChats", Kind.COUNT, "chats", "Non-interactive chats",
           "Chats closed without a conversation (abandoned ones included)."),
    Metric("totalHandlingTime", Kind.DURATION, "s", "Handling time of interactive chats",
           "Handling time of the interactive chats closed.", rounded=True),
    Metric("nonInteractiveTotalHandlingTime", Kind.DURATION, "s",
           "Handling time of non-interactive chats",
           "Handling time of the non-interactive chats closed.", rounded=True),
    Metric("connectedEngagements", Kind.COUNT, "engagements", "Connected engagements",
           "Chats connected to an agent."),
)

#: The built-in derived metrics, by name. LivePerson publishes no formula for these:
#: these definitions are engframe's, and every one is a ratio of sums.
DERIVED: Final[Mapping[str, Formula]] = MappingProxyType({
    f.name: f
    for f in (
        formula(
            "avgInteractiveHandlingTime", "totalHandlingTime", "totalInteractiveChats",
            unit="s", description="Average handling time of an interactive chat.",
            label="Average interactive handling time",
        ),
        formula(
            "avgNonInteractiveHandlingTime", "nonInteractiveTotalHandlingTime",
            "totalNonInteractiveChats",
            unit="s", description="Average handling time of a non-interactive chat.",
            label="Average non-interactive handling time",
        ),
        formula(
            "avgHandlingTime", ["totalHandlingTime", "nonInteractiveTotalHandlingTime"], _CHATS,
            unit="s", description="Average handling time of any chat, interactive or not.",
            label="Average handling time",
        ),
        formula(
            "totalChats", _CHATS,
            unit="chats", description="Chats closed, interactive and non-interactive.",
            label="Chats",
        ),
        formula(
            "interactiveShare", "totalInteractiveChats", _CHATS,
            unit="fraction", description="Share of closed chats that were interactive (0 to 1).",
            label="Share of interactive chats",
        ),
        formula(
            "connectedEngagementsPerHour", "connectedEngagements", HOURS,
            unit="1/h", description="Chats connected to an agent per hour of the period.",
            label="Connected engagements per hour",
        ),
    )
})

#: Units of the method's own metrics, and of the pseudo-component :data:`HOURS`.
RAW_UNITS: Final[Mapping[str, str]] = MappingProxyType(
    {**{m.name: m.unit for m in _METRICS}, HOURS: "h"})

#: The method's own metrics in plain words, for charts (the data keeps the API's names).
RAW_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {**{m.name: m.label for m in _METRICS}, HOURS: "Hours"})

#: Metrics the API rounds element by element (handling times, in seconds): a total may
#: differ from the sum of its parts by the rounding of each. Counts are exact.
ROUNDED_METRICS: Final = frozenset(m.name for m in _METRICS if m.rounded)

METHOD: Final = Method(
    name="engactivity",
    title="Engagement Activity",
    family="Operational Realtime (chat)",
    path="/operations/api/account/{account}/engactivity",
    http=("GET",),
    timeframe=(1, 1440),
    interval=True,
    ids=MappingProxyType({"skills": "skillIds", "agents": "agentIds"}),
    version=1,
    layout=SECTIONS,
    dimensions=("skill", "agent"),
    metrics=_METRICS,
    derived=tuple(DERIVED.values()),
    identities=(),
    time_unit="s",
    time_unit_stated=True,
    units_note="Handling times are in seconds (the spec says so).",
    docs=(
        "pages/documents/data/operational-realtime/methods/engagement-activity.md",
        "pages/documents/RealTimeData/OperationalRealtimeAPI/methods/engagement-activity.md",
    ),
    volume="totalChats",
)
