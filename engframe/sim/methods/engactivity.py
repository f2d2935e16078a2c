"""engactivity in the simulator: the center's chats, counted as :mod:`engframe.sim.aggregate` says.

Examples
--------
>>> MEASURE.method.name
'engactivity'
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from engframe.methods.engactivity import METHOD
from engframe.sim.aggregate import Events, select_events, to_shown
from engframe.sim.methods import Measure
from engframe.sim.model import Center

__all__ = ["MEASURE"]


def _events(center: Center, edges_ms: np.ndarray, visible_ms: int, skill_mask: np.ndarray,
            agent_mask: np.ndarray) -> Events:
    return select_events(center.chats(int(edges_ms[0]), int(edges_ms[-1])), edges_ms=edges_ms,
                         visible_ms=visible_ms, skill_mask=skill_mask, agent_mask=agent_mask)


def _shown(raw: np.ndarray) -> list[dict[str, Any]]:
    names = METHOD.metric_names
    return [dict(zip(names, row, strict=True)) for row in to_shown(raw).tolist()]


MEASURE: Final = Measure(method=METHOD, skill_ids=lambda center: center.skill_ids,
                         events=_events, shown=_shown)
