"""Queue Health (``queuehealth``): visitors entering, answered and abandoning skills' queues.

LivePerson's pages (:data:`METHOD`'s ``docs``; their examples in ``data/samples/operational/``):
GET only; ``timeframe``, ``skillIds`` (a list or ``all``; none: the account), ``interval``. The
answer holds ``skillsMetrics`` (per skill, when skills are asked) and ``metricsTotals``, in
each interval of ``metricsByIntervals`` and for the whole timeframe.

Metrics by kind: counts of visitors (``enteredQEng``, ``connectedEng``, ``abandonedEng``); the
waits they add up to, in seconds (``totalTimeToAnswer``, ``totalTimeToAbandon``); the queue's
measures as sums and counts (``queueSizeSum``/``queueSizeCount``,
``availableSlotsSum``/``availableSlotsCount``); the API's averages of those and
``abandonmentRate``, each recomputed from its sums at every grain (never added); the minima
and maxima of the measures (extremes: never added over time; the page's totals across skills
are the skills' values summed, which reconcile checks); and the current queue and free slots
(snapshots, -1 in every interval). -1 means "no data" wherever the page gives it as the
default: it is never a value.

**The page's examples disagree with it** (``tests/test_operational_samples.py``): the first
writes the skills' current queue as ``currentQueueState`` (kept: the element table's name,
a second name of ``currentQueueSize``), its ``avgTimeToAnswer`` is 0 whatever the totals, its
totals' ``abandonedEng`` is not its skills' sum and skill 200's ``averageAvailableSlots`` is not
sum / count; the second sums a skill's extremes over its intervals. :func:`engframe.reconcile`
reports those as drift, never as an error.

Examples
--------
>>> from engframe.methods.queuehealth import METHOD
>>> print(METHOD.derived_map["avgTimeToAnswer"])
avgTimeToAnswer = totalTimeToAnswer / connectedEng  [s]
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from engframe.methods._formula import formula
from engframe.methods._model import QUEUES, Kind, Method, Metric

__all__ = ["METHOD"]


def _of(numerator: Mapping[str, float], denominator: Mapping[str, float]) -> dict[str, Any]:
    return {"numerator": MappingProxyType(dict(numerator)),
            "denominator": MappingProxyType(dict(denominator))}


_STARTED: Final = {"abandonedEng": 1.0, "connectedEng": 1.0}

_METRICS: Final = (
    Metric("totalTimeToAnswer", Kind.DURATION, "s", "Time to answer",
           "The total time visitors spent in the queue before being connected to an agent.",
           rounded=True),
    Metric("enteredQEng", Kind.COUNT, "visitors", "Visitors entering the queue",
           "The number of visitors that entered the queue."),
    Metric("avgTimeToAnswer", Kind.AVERAGE, "s", "Average speed of answer",
           "The average time a visitor spent in the queue before being connected to an "
           "agent: totalTimeToAnswer / connectedEng, in whole seconds.",
           step=1.0, **_of({"totalTimeToAnswer": 1.0}, {"connectedEng": 1.0})),
    Metric("abandonmentRate", Kind.RATIO, "fraction", "Abandonment rate",
           "The visitors that abandoned the queue out of those that started an engagement: "
           "abandonedEng / (abandonedEng + connectedEng), to two decimals.",
           json_float=True, step=0.01, **_of({"abandonedEng": 1.0}, _STARTED)),
    Metric("abandonedEng", Kind.COUNT, "visitors", "Visitors abandoning the queue",
           "The number of visitors that abandoned the queue before being connected to an "
           "agent."),
    Metric("connectedEng", Kind.COUNT, "chats", "Chats connected to an agent",
           "The number of visitors that were connected to an agent."),
    Metric("avgTimeToAbandon", Kind.AVERAGE, "s", "Average time to abandon",
           "The average time visitors spent in the queue before abandoning: "
           "totalTimeToAbandon / abandonedEng, in whole seconds.",
           step=1.0, **_of({"totalTimeToAbandon": 1.0}, {"abandonedEng": 1.0})),
    Metric("totalTimeToAbandon", Kind.DURATION, "s", "Time to abandon",
           "The total time visitors spent in the queue before abandoning.", rounded=True),
    Metric("maxQueueSize", Kind.EXTREME, "visitors", "Longest queue",
           "The largest queue size measured; -1 without a measure.", no_data=-1,
           direction="max"),
    Metric("minQueueSize", Kind.EXTREME, "visitors", "Shortest queue",
           "The smallest queue size measured; -1 without a measure.", no_data=-1,
           direction="min"),
    Metric("averageQueueSize", Kind.AVERAGE, "visitors", "Average queue size",
           "queueSizeSum / queueSizeCount (rounded, the page says: its first example shows "
           "two decimals); -1 without a measure.", json_float=True, step=0.01,
           no_data=-1, **_of({"queueSizeSum": 1.0}, {"queueSizeCount": 1.0})),
    Metric("maxAvailableSlots", Kind.EXTREME, "slots", "Most free slots",
           "The most available slots measured; -1 without a measure.", no_data=-1,
           direction="max"),
    Metric("minAvailableSlots", Kind.EXTREME, "slots", "Fewest free slots",
           "The fewest available slots measured; -1 without a measure.", no_data=-1,
           direction="min"),
    Metric("averageAvailableSlots", Kind.AVERAGE, "slots", "Average free slots",
           "availableSlotsSum / availableSlotsCount (rounded, as the average queue size); "
           "-1 without a measure.", json_float=True, step=0.01, no_data=-1,
           **_of({"availableSlotsSum": 1.0}, {"availableSlotsCount": 1.0})),
    Metric("currentQueueSize", Kind.SNAPSHOT, "visitors", "Queue now",
           "The current queue size; -1 without data (and in every interval).", no_data=-1),
    Metric("currentQueueState", Kind.SNAPSHOT, "visitors", "Queue now",
           "The current queue size, under the element table's name (the page's first "
           "example's skills).", no_data=-1),
    Metric("currentAvailableSlots", Kind.SNAPSHOT, "slots", "Free slots now",
           "The current available slots; -1 without data (and in every interval).",
           no_data=-1),
    Metric("availableSlotsSum", Kind.COUNT, "slots", "Free slots, summed over measures",
           "The sum of the available slots measured."),
    Metric("availableSlotsCount", Kind.COUNT, "measures", "Free slot measures",
           "The number of available slots measures made."),
    Metric("queueSizeSum", Kind.COUNT, "visitors", "Queue sizes, summed over measures",
           "The sum of the queue sizes measured."),
    Metric("queueSizeCount", Kind.COUNT, "measures", "Queue size measures",
           "The number of queue size measures made."),
)
_BY_NAME: Final = {m.name: m for m in _METRICS}

METHOD: Final = Method(
    name="queuehealth",
    title="Queue Health",
    family="Operational Realtime (chat)",
    path="/operations/api/account/{account}/queuehealth",
    http=("GET",),
    timeframe=(1, 1440),
    interval=True,
    ids=MappingProxyType({"skills": "skillIds"}),
    version=1,
    layout=QUEUES,
    dimensions=("skill",),
    metrics=_METRICS,
    derived=(
        _BY_NAME["connectedEng"].formula(),
        _BY_NAME["avgTimeToAnswer"].formula(),
        _BY_NAME["abandonmentRate"].formula(),
        _BY_NAME["avgTimeToAbandon"].formula(),
        _BY_NAME["averageQueueSize"].formula(),
        _BY_NAME["averageAvailableSlots"].formula(),
        formula("answeredShare", "connectedEng", "enteredQEng", unit="fraction",
                description="Chats connected to an agent per visitor entering the queue "
                            "(counted when they happen, so a busy period's waits can carry "
                            "it above 1).",
                label="Connected per visitor entering"),
    ),
    identities=(),
    time_unit="s",
    time_unit_stated=True,
    units_note="Waits are in seconds (the page says so for the time to answer; the time to "
               "abandon is read the same way).",
    docs=(
        "pages/documents/data/operational-realtime/methods/queue-health.md",
        "pages/documents/RealTimeData/OperationalRealtimeAPI/methods/queue-health.md",
    ),
    volume="connectedEng",
    synonyms=MappingProxyType({"currentQueueState": "currentQueueSize"}),
)
