"""Messaging Conversation (``msgconversation``): resolved conversations and handling times.

LivePerson's pages (:data:`METHOD`'s ``docs``): GET, or POST with the parameters as a JSON
object of strings ("Use POST request to pass a long list of agentIds"); ``timeframe``,
``skillIds``, ``agentIds``, ``interval`` (the newer page adds ``groupIds``, which engframe
does not send); the Engagement Activity shape and windows (5-minute buckets, interval
timestamps at their end).

Metrics: counts of conversations resolved by the agent (``byCCP``: closed by the contact
center professional), the consumer and the system (a timeout), and their total; the handling
time of each and in total; and the API's own averages, ``avgTime_X = totalHandlingTime_X /
X``, sent as 32-bit floats (the page's 426 / 21 = ``20.285715``; 0 where X is 0). An average
is never added: every grain recomputes it from the two totals.

**Units.** The pages do not say in what unit handling times are. Their magnitudes read as
seconds (engactivity's are seconds), while LivePerson's own sample dashboard divides them by
1000: engframe takes **seconds** by default (``units_note``); ``derive(..., time_unit="ms")``
or ``df.attrs["time_unit"] = "ms"`` reads them as milliseconds.

**The page's example is inconsistent**: agent 2's parts (21 + 41 + 11) do not add up to its
``totalResolvedConversations`` (103), nor its handling times (426 + 1411 + 215) to 3248, and
agent 6 has 215 conversations resolved by the system out of a total of 0. That is drift that
:func:`engframe.reconcile` reports (the identities below), never an error.

Examples
--------
>>> from engframe.methods.msgconversation import METHOD
>>> METHOD.metric("avgTime_resolvedConversations_byCCP").formula().components
('totalHandlingTime_resolvedConversations_byCCP', 'resolvedConversations_byCCP')
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engframe.methods._formula import Formula, formula
from engframe.methods._model import SECTIONS, Identity, Kind, Method, Metric

__all__ = ["BY", "METHOD", "RESOLVERS"]

#: The resolution types, as the metric names spell them, and who resolved.
BY: Final = ("byCCP", "byConsumer", "bySystem")
RESOLVERS: Final = MappingProxyType({"byCCP": "the agent", "byConsumer": "the consumer",
                                     "bySystem": "the system"})

_COUNT: Final = "resolvedConversations_{by}"
_TIME: Final = "totalHandlingTime_resolvedConversations_{by}"
_AVG: Final = "avgTime_resolvedConversations_{by}"
_TOTAL: Final = "totalResolvedConversations"
_TOTAL_TIME: Final = "totalHandlingTime_resolvedConversations"
_TOTAL_AVG: Final = "avgTime_resolvedConversations"


def _metrics() -> tuple[Metric, ...]:
    counts = [Metric(_COUNT.format(by=by), Kind.COUNT, "conversations",
                     f"Conversations resolved by {who}",
                     f"Conversations marked as resolved by {who}.")
              for by, who in RESOLVERS.items()]
    total = Metric(_TOTAL, Kind.COUNT, "conversations", "Resolved conversations",
                   "Conversations marked as resolved.")
    times = [Metric(_TIME.format(by=by), Kind.DURATION, "s",
                    f"Handling time of conversations resolved by {who}",
                    f"Handling time of the conversations resolved by {who}.", rounded=True)
             for by, who in RESOLVERS.items()]
    total_time = Metric(_TOTAL_TIME, Kind.DURATION, "s", "Handling time of resolved conversations",
                        "Handling time of the conversations resolved.", rounded=True)
    averages = [Metric(_AVG.format(by=by), Kind.AVERAGE, "s",
                       f"Average handling time of conversations resolved by {who}",
                       f"Average handling time of the conversations resolved by {who}.",
                       numerator=MappingProxyType({_TIME.format(by=by): 1.0}),
                       denominator=MappingProxyType({_COUNT.format(by=by): 1.0}),
                       json_float=True)
                for by, who in RESOLVERS.items()]
    total_average = Metric(_TOTAL_AVG, Kind.AVERAGE, "s",
                           "Average handling time of resolved conversations",
                           "Average handling time of the conversations resolved.",
                           numerator=MappingProxyType({_TOTAL_TIME: 1.0}),
                           denominator=MappingProxyType({_TOTAL: 1.0}), json_float=True)
    return (*counts, total, *times, total_time, *averages, total_average)


_METRIC_LIST: Final = _metrics()
_PARTS: Final = {_COUNT.format(by=by): 1.0 for by in BY}


def _derived() -> tuple[Formula, ...]:
    averages = [m.formula() for m in _METRIC_LIST if m.kind == Kind.AVERAGE]
    shares = [formula(f"resolutionShare_{by}", _COUNT.format(by=by), _PARTS, unit="fraction",
                      description=f"Share of the resolved conversations resolved by {who} "
                                  "(of those resolved by the agent, the consumer or the system).",
                      label=f"Share resolved by {who}")
              for by, who in RESOLVERS.items()]
    volume = next(m for m in _METRIC_LIST if m.name == _TOTAL).formula()
    return (volume, averages[-1], *averages[:-1], *shares)


METHOD: Final = Method(
    name="msgconversation",
    title="Messaging Conversation",
    family="Messaging Operations",
    path="/operations/api/account/{account}/msgconversation",
    http=("GET", "POST"),
    timeframe=(1, 1440),
    interval=True,
    ids=MappingProxyType({"skills": "skillIds", "agents": "agentIds"}),
    version=1,
    layout=SECTIONS,
    dimensions=("skill", "agent"),
    metrics=_METRIC_LIST,
    derived=_derived(),
    identities=(
        Identity("resolved_by_type", _TOTAL, tuple(_COUNT.format(by=by) for by in BY),
                 "resolved by the agent, consumer and system vs all resolved"),
        Identity("handling_time_by_type", _TOTAL_TIME, tuple(_TIME.format(by=by) for by in BY),
                 "handling time by resolution type vs in all"),
    ),
    time_unit="s",
    time_unit_stated=False,
    units_note=("The documentation does not state the unit of handling times; engframe "
                "reads them as seconds (their magnitudes, engactivity's unit), and as "
                "milliseconds with time_unit='ms' (LivePerson's sample dashboard divides "
                "them by 1000)."),
    docs=(
        "pages/documents/data/messaging-operations/methods/messaging-conversation.md",
        "pages/documents/RealTimeData/MessagingOperationsAPI/methods/messaging-conversation.md",
    ),
    volume=_TOTAL,
)
