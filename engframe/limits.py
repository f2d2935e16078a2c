"""How much a response may hold: the bounds that keep hostile files from costing gigabytes.

A real Engagement Activity response is at most a few hundred MB of JSON (24 hours in
5-minute intervals for a large account), about 11 levels deep, with at most 288 intervals
and a handful of metric names. Anything far beyond that is refused with an
:class:`engframe.ResponseError` (or :class:`engframe.SourceError` for what is not a regular
file) naming the file and the bound, before it can take minutes or gigabytes.

================================  ===============  ========================================
constant                          value            what it bounds
================================  ===============  ========================================
:data:`MAX_RESPONSE_BYTES`        256 MiB          the bytes a file or an HTTP answer may
                                                   hold or inflate to (``max_bytes=`` of
                                                   ``flatten``/``load``/``Client``)
:data:`BYTES_CEILING`             1 TiB            the largest ``max_bytes=`` accepted
:data:`MAX_DEPTH`                 64               nesting of the values engframe keeps
:data:`MAX_INTERVALS`             1,440            items of ``metricsByIntervals``
:data:`MAX_METRICS`               1,000            distinct metric names in one response
================================  ===============  ========================================

The envelope of a saved response is checked too: ``request.timeframe`` 1..1440 minutes,
``request.interval`` at least 5, at most the timeframe and a divisor of it, ``fetched_at``
between the years 1 and 9999.

Examples
--------
>>> from engframe import limits
>>> limits.MAX_RESPONSE_BYTES // 2**20
256
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BYTES_CEILING",
    "MAX_DEPTH",
    "MAX_EVERY",
    "MAX_INTERVALS",
    "MAX_METRICS",
    "MAX_RESPONSE_BYTES",
    "MIN_EVERY",
]

#: The default of ``max_bytes=``: the most bytes of JSON a response file may hold, or a
#: ``.json.gz`` file inflate to (256 MiB; the largest real responses are about 150 MB).
MAX_RESPONSE_BYTES: Final = 256 * 2**20

#: The largest ``max_bytes=`` accepted (1 TiB): a limit beyond what a machine holds in memory
#: bounds nothing, and Python's file and socket reads refuse sizes past ``sys.maxsize``.
BYTES_CEILING: Final = 2**40

#: The deepest nesting engframe reads: a response is about 11 levels deep (13 in an
#: envelope); deeper values, such as an unknown member engframe would keep, are refused.
MAX_DEPTH: Final = 64

#: The most intervals a response may hold: the API sends at most 288 (1440 minutes in
#: 5-minute intervals); five times that leaves room without letting a list of millions in.
MAX_INTERVALS: Final = 1440

#: The most distinct metric names one response may hold, counting the five documented
#: ones (always among the categories of ``metric``). The API has a handful; metric codes
#: must stay far below the 32,767 a 16-bit category code can hold.
MAX_METRICS: Final = 1000

#: The shortest ``every`` of :func:`engframe.sync` [minutes]: the API refreshes every 10 s
#: and counts in 5-minute buckets; more often only loads it.
MIN_EVERY: Final = 1.0
#: The longest ``every`` [minutes]: the API keeps 24 hours (1440 minutes), so turns further
#: apart lose data.
MAX_EVERY: Final = 1440.0
