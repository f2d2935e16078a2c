"""Operational Realtime responses of a chosen size, for the benchmarks: from the simulator.

``queuehealth``, ``agentactivity``, ``sla`` and ``queuestate`` answers of a simulated center
(the large one the size of a large real account: 300 skills, 1000 agents, a day in 5-minute
intervals), built by :func:`engframe.sim.build_ops_response` at a fixed moment, so the shapes
and their sparsity are the API's (agents off shift are missing from intervals, skills without
data too). sla's histogram has 100 buckets at the large size; queuestate has no intervals and
is as large as the number of skills. :func:`agent_groups` gives each agent's team, as the
simulator's Account Configuration API names them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import msgspec

from engframe.sim import Center, CenterConfig, Operations, build_ops_response, parse_ops_query
from engframe.sim.people import Directory

#: Wednesday 2026-11-25 20:29:04.123 UTC, the simulator tests' moment.
NOW_MS: Final = 1_795_638_544_123
METHODS: Final = ("queuehealth", "agentactivity", "sla", "queuestate")


@dataclass(frozen=True)
class OpsSize:
    name: str
    skills: int
    agents: int
    interval: int | None  # minutes; None: the whole day only
    buckets: int
    chats_per_day: float


SIZES: Final = {
    "small": OpsSize("small", 5, 20, None, 7, 2_000),
    "medium": OpsSize("medium", 20, 200, 30, 20, 20_000),
    "large": OpsSize("large", 300, 1000, 5, 100, 150_000),
}


@functools.cache
def _center(size: OpsSize) -> tuple[Center, Operations]:
    center = Center(seed=1, config=CenterConfig(n_skills=size.skills, n_agents=size.agents,
                                                chats_per_day=size.chats_per_day))
    return center, Operations(center)


def params(method: str, size: OpsSize) -> dict[str, str]:
    """The query a dashboard would send for ``method`` at ``size``."""
    timeframe = {"timeframe": "1440"}
    interval = {} if size.interval is None else {"interval": str(size.interval)}
    return {
        "queuehealth": {**timeframe, **interval, "skillIds": "all"},
        "agentactivity": {**timeframe, **interval, "agentIds": "all"},
        "sla": {**timeframe, "histogram": ",".join(str(5 * i) for i in range(size.buckets))},
        "queuestate": {"v": "2"},
    }[method]


def response(method: str, size: OpsSize) -> dict:
    """One decoded answer of ``method`` at ``size``."""
    center, ops = _center(size)
    query = parse_ops_query(method, {"v": "1", **params(method, size)})
    return build_ops_response(center, ops, query, now_ms=NOW_MS)


def response_bytes(method: str, size: OpsSize) -> bytes:
    return msgspec.json.encode(response(method, size))


def agent_groups(size: OpsSize) -> dict[int, int]:
    """Each agent's team id (``agent_group``) at ``size``, agents without a team left out."""
    center, _ = _center(size)
    users = Directory.for_center(center).users[: len(center.agent_ids)]
    return {user.id: user.group for user in users if user.group is not None}
