"""Helpers for the Operational Realtime simulator tests: one center, answers, ground truth.

- ``CENTER``/``OPS``: the default center (seed 1) and its operations, shared by the tests.
- ``answer(method, **params)``: the simulator's decoded answer at ``NOW_MS`` (parameters as
  the query string would send them; ``v=1`` unless given).
- ``seconds(ms)``: the API's rounding of milliseconds to whole seconds (half up).
- ``chats_in(start, end)``: the center's chats as a frame, with skill positions and waits,
  the ground truth the answers are recomputed from by hand.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.sim.model import Center
from engframe.sim.operational import Operations
from engframe.sim.query_ops import parse_ops_query
from engframe.sim.render_ops import build_ops_response

from .conftest import NOW_MS

CENTER: Final = Center(seed=1)
OPS: Final = Operations(CENTER)
#: The data's last refresh at NOW_MS (10-second refreshes).
VISIBLE_MS: Final = NOW_MS - NOW_MS % 10_000


def answer(method: str, *, now_ms: int = NOW_MS, center: Center = CENTER,
           ops: Operations = OPS, **params: str) -> dict[str, Any]:
    query = parse_ops_query(method, {"v": "1", **params})
    groups = np.arange(len(center.agent_ids), dtype=np.int64) % 3 + 1  # teams 1, 2, 3
    return build_ops_response(center, ops, query, now_ms=now_ms, agent_groups=groups)


def seconds(ms: float) -> int:
    return int((ms + 500) // 1000)


def chats_in(start_ms: int, end_ms: int) -> pd.DataFrame:
    """Chats of the days around a span: ids, positions, times [ms] and waits [ms]."""
    table = CENTER.chats(start_ms, end_ms)
    return pd.DataFrame({
        "skill_pos": table.skill, "agent_pos": table.agent,
        "skill": CENTER.skill_ids[table.skill], "agent": CENTER.agent_ids[table.agent],
        "arrival": table.arrival_ms, "connect": table.connect_ms, "close": table.close_ms,
        "wait": table.connect_ms - table.arrival_ms,
    })


def abandoners_in(start_ms: int, end_ms: int) -> pd.DataFrame:
    found = OPS.abandoners(start_ms, end_ms)
    return pd.DataFrame({"skill": CENTER.skill_ids[found.skill], "arrival": found.arrival_ms,
                         "abandon": found.abandon_ms,
                         "wait": found.abandon_ms - found.arrival_ms})
