"""SLA Histogram (``sla``): how long the answered visitors waited, in buckets.

LivePerson's pages (:data:`METHOD`'s ``docs``; their example in ``data/samples/operational/``):
GET only; ``timeframe``, ``skillIds``, ``groupIds`` (agent groups), ``histogram`` (bucket lower
bounds in seconds, multiples of 5; 0 is always one; default 0,15,30,45,60,90,120); **no**
``interval``: an answer covers one window. ``slaDataRange`` holds, per bucket (keyed by its
lower bound), the ``chats`` whose wait fell in it, their share of all (``percentageFromTotal``)
and the running share (``accumulated``), both fractions though the page types them "long".

The bucket is a dimension (the ``bucket`` column, its lower bound in seconds). ``chats`` adds
up over windows and selections; the two shares are recomputed from the counts, never added.
The service level within T seconds is the share of chats answered in the buckets below T
(:func:`engframe.service_level`), from the counts; a T that is not a bucket edge cannot be
read from a histogram and is refused with the edges listed.

The older page prints its example with the request's description inside the JSON (not JSON);
the newer page's is valid and consistent (2 + 2 + 0 + 1 + 0 chats).

Examples
--------
>>> from engframe.methods.sla import METHOD
>>> METHOD.interval, METHOD.options
(False, ('histogram',))
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engframe.methods._model import HISTOGRAM, Kind, Method, Metric, Running

__all__ = ["DEFAULT_HISTOGRAM", "HISTOGRAM_STEP", "METHOD"]

#: The buckets the API uses when none are asked [s].
DEFAULT_HISTOGRAM: Final = (0, 15, 30, 45, 60, 90, 120)
#: Bucket bounds are multiples of this [s].
HISTOGRAM_STEP: Final = 5

_METRICS: Final = (
    Metric("accumulated", Kind.RATIO, "fraction", "Answered within the bucket",
           "The share of chats that fall in this bucket or in earlier ones.", json_float=True),
    Metric("percentageFromTotal", Kind.RATIO, "fraction", "Share of chats",
           "The share of chats that fall in this bucket.", json_float=True),
    Metric("chats", Kind.COUNT, "chats", "Chats",
           "The number of chats whose wait falls in this bucket."),
)

METHOD: Final = Method(
    name="sla",
    title="SLA Histogram",
    family="Operational Realtime (chat)",
    path="/operations/api/account/{account}/sla",
    http=("GET",),
    timeframe=(1, 1440),
    interval=False,
    ids=MappingProxyType({"skills": "skillIds", "groups": "groupIds"}),
    version=1,
    layout=HISTOGRAM,
    dimensions=("bucket",),
    metrics=_METRICS,
    derived=(_METRICS[2].formula(),),
    identities=(),
    time_unit="s",
    time_unit_stated=True,
    units_note="Bucket bounds are in seconds; the shares are fractions (0 to 1).",
    docs=(
        "pages/documents/data/operational-realtime/methods/sla-histogram.md",
        "pages/documents/RealTimeData/OperationalRealtimeAPI/methods/sla-histogram.md",
    ),
    volume="chats",
    options=("histogram",),
    running=(Running("accumulated_vs_chats", "bucket", "chats", "percentageFromTotal",
                     "accumulated",
                     label="Each bucket's share and running share are its chats' "
                           "(and the buckets' up to it) over all chats"),),
)
