"""msgcsatdistribution in the simulator: CSAT answers of :mod:`engframe.sim.messaging`.

An answer counts in the window it was given in, under its conversation's skill and agent.
``total_answers`` is the sum of the answers 1 to 5, ``positive_answers`` those of 4 and 5,
and ``csat_score`` their ratio, positive / total, as a 32-bit float (0 without answers).

Examples
--------
>>> MEASURE.shown(np.array([[0, 0, 1, 1, 1]]))[0]["csat_score"]
0.6666667
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from engframe.methods.msgcsatdistribution import METHOD, SCORES
from engframe.sim.aggregate import Events
from engframe.sim.messaging import Messaging
from engframe.sim.methods import Measure, float32_shown
from engframe.sim.model import Center

__all__ = ["MEASURE"]


def _events(center: Center, edges_ms: np.ndarray, visible_ms: int, skill_mask: np.ndarray,
            agent_mask: np.ndarray) -> Events:
    messaging = Messaging.for_center(center)
    table = messaging.conversations(int(edges_ms[0]), int(edges_ms[-1]))
    low, high = int(edges_ms[0]), min(int(edges_ms[-1]), visible_ms + 1)
    hit = (skill_mask[table.skill] & agent_mask[table.agent] & (table.csat > 0)
           & (table.csat_ms >= low) & (table.csat_ms < high))
    n = int(hit.sum())
    raw = np.zeros((n, len(SCORES)), np.int64)
    raw[np.arange(n), table.csat[hit] - 1] = 1
    return Events(
        interval=np.searchsorted(edges_ms, table.csat_ms[hit], side="right") - 1,
        skill=table.skill[hit], agent=table.agent[hit], raw=raw,
        shape=(len(edges_ms) - 1, len(messaging.skill_ids), len(center.agent_ids)))


def _shown(raw: np.ndarray) -> list[dict[str, Any]]:
    total = raw.sum(axis=1)
    positive = raw[:, 3] + raw[:, 4]
    scores = float32_shown(positive, total)
    names = METHOD.metric_names
    return [dict(zip(names, [*row, int(t), int(p), score], strict=True))
            for row, t, p, score in zip(raw.tolist(), total, positive, scores, strict=True)]


MEASURE: Final = Measure(method=METHOD,
                         skill_ids=lambda center: Messaging.for_center(center).skill_ids,
                         events=_events, shown=_shown)
