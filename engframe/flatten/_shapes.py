"""Which response shape an answer has: the catalogue's :class:`~engframe.methods.Layout`.

A saved envelope names its method (the client records it), and the catalogue gives the
method's layout. A bare answer is recognised by its members, looking only as deep as needed
(raw JSON is split one level at a time, never decoded whole):

=================  =====================================================================
layout             recognised by
=================  =====================================================================
``histogram``      a ``slaDataRange`` member (sla)
``snapshot``       ``skills``/``totals`` members and none of the other shapes' (queuestate)
``states``         ``agentsMetrics`` whose ``metricsPerAgent`` holds lists, or whose
                   ``metricsTotals`` is a list (agentactivity)
``queues``         ``skillsMetrics`` keyed by skill ids (queuehealth; Engagement Activity's
                   documented ``skillsMetrics`` spelling holds ``metricsPerSkill``)
``sections``       anything else: the Engagement Activity shape
=================  =====================================================================

The first interval is looked at when the whole timeframe does not tell. queuehealth's
answer for the account (no ``skillIds``) holds only ``metricsTotals``, as Engagement
Activity's does: the sections reader gives the same rows, and the catalogue tells the
method by its metrics.

Examples
--------
>>> from engframe.flatten._decode import decode_document
>>> layout_of(decode_document(b'{"slaDataRange": {}}'), None)
'histogram'
>>> layout_of(decode_document(b'{"agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": []}}'),
...           None)
'states'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from engframe.flatten._decode import Document
from engframe.methods import METHODS, SECTIONS
from engframe.schema import INTERVALS_KEY

__all__ = ["SHAPE_METHODS", "layout_of"]

#: The method each shape of its own belongs to.
SHAPE_METHODS: Final = {"queues": "queuehealth", "states": "agentactivity",
                        "histogram": "sla", "snapshot": "queuestate"}
_SECTION_KEYS: Final = frozenset({SECTIONS.skills, SECTIONS.agents, SECTIONS.totals,
                                  *SECTIONS.spellings})
_MAPS: Final = dict[str, msgspec.Raw]


def layout_of(document: Document, declared: str | None) -> str:
    """The name of the layout ``document`` is in (``"sections"`` when unsure).

    Parameters
    ----------
    document : Document
        The decoded (or still raw) answer.
    declared : str or None
        The method its envelope names, if any.
    """
    if declared is not None and declared in METHODS:
        return METHODS[declared].layout.name
    body = document.body
    if "slaDataRange" in body:
        return "histogram"
    if body.keys() & {"skills", "totals"} and not body.keys() & _SECTION_KEYS:
        return "snapshot"
    found = _peek({k: v for k, v in body.items() if k != INTERVALS_KEY})
    if found is None and INTERVALS_KEY in body:
        found = _first_interval(body[INTERVALS_KEY])
    return found or "sections"


def _members(value: Any) -> Mapping[Any, Any] | None:
    """The members of a JSON object, each maybe still raw; None if it is no object."""
    if isinstance(value, msgspec.Raw):
        try:
            members: Mapping[Any, Any] = msgspec.json.decode(value, type=_MAPS)
        except (msgspec.DecodeError, RecursionError):
            return None
        return members
    return value if isinstance(value, Mapping) else None


def _is(value: Any, kind: type) -> bool:
    """Whether a (maybe raw) JSON value is a list or a dict."""
    if isinstance(value, msgspec.Raw):
        head = bytes(memoryview(value)[:64]).lstrip()[:1]
        return head == (b"[" if kind is list else b"{")
    return isinstance(value, kind)


def _peek(section: Mapping[Any, Any]) -> str | None:
    agents = _members(section.get(SECTIONS.agents))
    if agents is not None:
        if _is(agents.get(SECTIONS.totals), list):
            return "states"
        per_agent = _members(agents.get(SECTIONS.per_agent))
        if per_agent:
            return "states" if _is(next(iter(per_agent.values())), list) else "sections"
    skills = _members(section.get("skillsMetrics"))
    if skills is not None:
        if skills.keys() & {SECTIONS.per_skill, SECTIONS.totals}:
            return "sections"
        return "queues"
    return None


def _first_interval(intervals: Any) -> str | None:
    if isinstance(intervals, msgspec.Raw):
        try:
            items: list[Any] = msgspec.json.decode(intervals, type=list[msgspec.Raw])
        except (msgspec.DecodeError, RecursionError):
            return None
    elif isinstance(intervals, list):
        items = intervals
    else:
        return None
    for item in items[:1]:
        interval = _members(item)
        data = None if interval is None else _members(interval.get("metricsData"))
        if data is not None:
            return _peek(data)
    return None
