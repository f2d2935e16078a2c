"""Rebuild the shapes of queuehealth, agentactivity, sla and queuestate from a tidy frame.

:func:`engframe.unflatten` rebuilds every response; the Engagement Activity shape is built
there, the four shapes of the Operational Realtime methods here, one builder each. A builder
takes the rows one by one (in the frame's order) and returns the metric map a row's value
goes into, creating the containers the API always sends on the way:

- ``queues``: ``skillsMetrics.{s}`` and ``metricsTotals`` (an empty ``skillsMetrics`` beside
  totals of skills asked but without data);
- ``states``: per agent a list of states in the order met, each ``{"id", "name", "value"}``
  (Away also ``reasons``, possibly empty, as the page sends it; another state only when it
  has some), and ``metricsTotals: []`` beside every ``metricsPerAgent``; a top-level
  ``agentsMetrics`` always (the page's example sends an empty one). The names are the ones
  the answer gave (``df.attrs["state_names"]``), else the catalogue's;
- ``histogram``: ``slaDataRange.{bucket}``;
- ``snapshot``: ``skills.{s}`` and ``totals``.

Examples
--------
>>> builder = BUILDERS["histogram"]({})
>>> builder.metrics(None, "account", {"bucket": 5})["chats"] = 2
>>> builder.response()
{'slaDataRange': {'5': {'chats': 2}}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from engframe.errors import FrameError
from engframe.methods.agentactivity import STATE_NAMES
from engframe.schema import INTERVALS_KEY

__all__ = ["BUILDERS", "Builder"]

_AWAY: Final = 4
_STATE_IDS: Final = {name: state for state, name in STATE_NAMES.items()}


class Builder:
    """A response rebuilt row by row; ``metrics`` gives the map a row's value goes into."""

    def __init__(self, attrs: Mapping[str, Any]) -> None:
        self.top: dict[str, Any] = {}
        self.intervals: dict[int, dict[str, Any]] = {}
        self.attrs = attrs
        self._slots: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.start(self.top)

    def start(self, section: dict[str, Any]) -> None:
        """Give a new section the members the API always sends."""

    def section(self, stamp: int | None) -> dict[str, Any]:
        if stamp is None:
            return self.top
        found = self.intervals.get(stamp)
        if found is None:
            found = self.intervals[stamp] = {}
            self.start(found)
        return found

    def metrics(self, stamp: int | None, level: str, ids: Mapping[str, Any]) -> dict[str, Any]:
        key = (stamp, level, *sorted(ids.items()))
        found = self._slots.get(key)
        if found is None:
            found = self._slots[key] = self.create(self.section(stamp), level, ids)
        return found

    def create(self, section: dict[str, Any], level: str,
               ids: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def response(self) -> dict[str, Any]:
        if not self.intervals:
            return self.top
        listed = [{"timestamp": stamp, "metricsData": data}
                  for stamp, data in self.intervals.items()]
        return {INTERVALS_KEY: listed, **self.top}


def _needs(level: str, allowed: tuple[str, ...], layout: str) -> None:
    if level not in allowed:
        raise FrameError(f"unflatten: a {layout} response has no level {level!r} (its levels: "
                         f"{', '.join(allowed)})")


class _Queues(Builder):
    def create(self, section: dict[str, Any], level: str,
               ids: Mapping[str, Any]) -> dict[str, Any]:
        _needs(level, ("skill", "skills_total", "account"), "queuehealth")
        if level == "skill":
            found: dict[str, Any] = section.setdefault("skillsMetrics", {}).setdefault(
                str(ids["skill"]), {})
            return found
        if level == "skills_total":
            section.setdefault("skillsMetrics", {})
        totals: dict[str, Any] = section.setdefault("metricsTotals", {})
        return totals


class _Snapshot(Builder):
    def create(self, section: dict[str, Any], level: str,
               ids: Mapping[str, Any]) -> dict[str, Any]:
        _needs(level, ("skill", "skills_total"), "queuestate")
        if level == "skill":
            found: dict[str, Any] = section.setdefault("skills", {}).setdefault(
                str(ids["skill"]), {})
            return found
        totals: dict[str, Any] = section.setdefault("totals", {})
        return totals


class _Histogram(Builder):
    def create(self, section: dict[str, Any], level: str,
               ids: Mapping[str, Any]) -> dict[str, Any]:
        _needs(level, ("account",), "sla")
        if ids.get("bucket") is None:
            raise FrameError("unflatten: an sla row without a bucket (the 'bucket' column)")
        found: dict[str, Any] = section.setdefault("slaDataRange", {}).setdefault(
            str(ids["bucket"]), {})
        return found


class _States(Builder):
    def __init__(self, attrs: Mapping[str, Any]) -> None:
        given = attrs.get("state_names") or {}
        self.names = {int(k): str(v) for k, v in given.items()}
        self.ids = {**_STATE_IDS, **{name: state for state, name in self.names.items()
                                     if state not in STATE_NAMES}}
        super().__init__(attrs)

    def start(self, section: dict[str, Any]) -> None:
        section["agentsMetrics"] = {"metricsPerAgent": {}, "metricsTotals": []}

    def create(self, section: dict[str, Any], level: str,
               ids: Mapping[str, Any]) -> dict[str, Any]:
        _needs(level, ("agent",), "agentactivity")
        name = ids.get("state")
        if name is None or ids.get("agent") is None:
            raise FrameError("unflatten: an agentactivity row without an agent or a state "
                             "(the 'state' column)")
        state = self.ids.get(name)
        if state is None:
            raise FrameError(f"unflatten: state {name!r} is not one whose id engframe knows "
                             "(df.attrs['state_names'] names the others)")
        items = section["agentsMetrics"]["metricsPerAgent"].setdefault(str(ids["agent"]), [])
        found_item = next((i for i in items if i["id"] == state), None)
        if found_item is None:
            found_item = {"id": state, "name": self.names.get(state, name), "value": {}}
            if state == _AWAY:
                found_item = {"reasons": [], **found_item}
            items.append(found_item)
        item: dict[str, Any] = found_item
        reason = ids.get("reason")
        if reason is None:
            value: dict[str, Any] = item["value"]
            return value
        listed = item.setdefault("reasons", [])
        found: dict[str, Any] = {}
        listed.append({"id": str(reason), "value": found})
        return found


#: The builder of each layout, by the layout's name.
BUILDERS: Final[Mapping[str, Callable[[Mapping[str, Any]], Builder]]] = {
    "queues": _Queues,
    "states": _States,
    "histogram": _Histogram,
    "snapshot": _Snapshot,
}
