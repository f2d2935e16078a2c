"""msgconversation in the simulator: resolved conversations of :mod:`engframe.sim.messaging`.

A conversation counts in the period it was resolved in, under who resolved it, with its
whole handling time. The API's relations hold as its page documents them:
``totalResolvedConversations`` is the sum of the three resolution types; each handling
time, measured in milliseconds, is shown in whole seconds on its own (so the total can
differ from its parts by rounding); ``avgTime_X`` is the shown ``totalHandlingTime_X / X``
as a 32-bit float (0 where X is 0).

Examples
--------
>>> row = MEASURE.shown(np.array([[21, 0, 0, 21, 426_000, 0, 0, 426_000]]))[0]
>>> row["avgTime_resolvedConversations_byCCP"], row["avgTime_resolvedConversations_bySystem"]
(20.285715, 0)
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from engframe.methods.msgconversation import METHOD
from engframe.sim.aggregate import Events
from engframe.sim.messaging import Messaging
from engframe.sim.methods import Measure, float32_shown, seconds_shown
from engframe.sim.model import Center

__all__ = ["MEASURE"]

_TYPES: Final = 3  # by the agent, the consumer, the system


def _events(center: Center, edges_ms: np.ndarray, visible_ms: int, skill_mask: np.ndarray,
            agent_mask: np.ndarray) -> Events:
    messaging = Messaging.for_center(center)
    table = messaging.conversations(int(edges_ms[0]), int(edges_ms[-1]))
    low, high = int(edges_ms[0]), min(int(edges_ms[-1]), visible_ms + 1)
    hit = (skill_mask[table.skill] & agent_mask[table.agent]
           & (table.resolved_ms >= low) & (table.resolved_ms < high))
    n = int(hit.sum())
    resolver = table.resolver[hit]
    raw = np.zeros((n, 2 * (_TYPES + 1)), np.int64)
    rows = np.arange(n)
    raw[rows, resolver] = 1
    raw[:, _TYPES] = 1
    raw[rows, _TYPES + 1 + resolver] = table.handling_ms[hit]
    raw[:, 2 * _TYPES + 1] = table.handling_ms[hit]
    return Events(
        interval=np.searchsorted(edges_ms, table.resolved_ms[hit], side="right") - 1,
        skill=table.skill[hit], agent=table.agent[hit], raw=raw,
        shape=(len(edges_ms) - 1, len(messaging.skill_ids), len(center.agent_ids)))


def _shown(raw: np.ndarray) -> list[dict[str, Any]]:
    counts = raw[:, :_TYPES + 1]
    seconds = seconds_shown(raw[:, _TYPES + 1:])
    averages = [float32_shown(seconds[:, k], counts[:, k]) for k in range(_TYPES + 1)]
    names = METHOD.metric_names
    out = []
    for i, (count_row, second_row) in enumerate(zip(counts.tolist(), seconds.tolist(),
                                                    strict=True)):
        values = [*count_row, *second_row, *(column[i] for column in averages)]
        out.append(dict(zip(names, values, strict=True)))
    return out


MEASURE: Final = Measure(method=METHOD,
                         skill_ids=lambda center: Messaging.for_center(center).skill_ids,
                         events=_events, shown=_shown)
