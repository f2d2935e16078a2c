"""Current Queue State (``queuestate``): each skill's queue and free slots, now.

LivePerson's pages (:data:`METHOD`'s ``docs``; their examples in ``data/samples/operational/``):
GET; ``skillIds`` only (default all) and ``v``: version 2 (the newer page's) adds
``currentMaxWaitTimeInQueue``, the longest wait of a visitor in the queue now [ms]. ``skills``
per skill and ``totals``: -1 is "no data" and is left out of the totals; the longest wait's
total is the skills' longest. A snapshot: it describes one moment (the fetch), so a history
keeps it in a snapshot table of its own, never as if it covered a period.

Examples
--------
>>> from engframe.methods.queuestate import METHOD
>>> METHOD.snapshot, METHOD.version
(True, 2)
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engframe.methods._model import SNAPSHOT, Kind, Method, Metric

__all__ = ["METHOD"]

_METRICS: Final = (
    Metric("currentAvailableSlots", Kind.SNAPSHOT, "slots", "Free slots now",
           "The number of available slots now; -1 without data.", no_data=-1),
    Metric("currentQueueSize", Kind.SNAPSHOT, "visitors", "Queue now",
           "The number of visitors in the queue now; -1 without data.", no_data=-1),
    Metric("currentMaxWaitTimeInQueue", Kind.SNAPSHOT, "ms", "Longest wait now",
           "How long the visitor waiting longest has waited (version 2); -1 when nobody "
           "waits. Its total is the skills' longest, not their sum.", no_data=-1,
           direction="max"),
)

METHOD: Final = Method(
    name="queuestate",
    title="Current Queue State",
    family="Operational Realtime (chat)",
    path="/operations/api/account/{account}/queuestate",
    http=("GET",),
    timeframe=(0, 0),
    interval=False,
    ids=MappingProxyType({"skills": "skillIds"}),
    version=2,
    layout=SNAPSHOT,
    dimensions=("skill",),
    metrics=_METRICS,
    derived=tuple(m.formula() for m in _METRICS),
    identities=(),
    time_unit="ms",
    time_unit_stated=True,
    units_note="Queue sizes and slots are counts; the longest wait is in milliseconds.",
    docs=(
        "pages/documents/data/operational-realtime/methods/current-queue-state.md",
        "pages/documents/RealTimeData/OperationalRealtimeAPI/methods/current-queue-state.md",
    ),
    volume="currentQueueSize",
    window="now",
)
