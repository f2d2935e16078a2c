"""Synthetic responses of a chosen size, for the benchmarks: engactivity or msgconversation.

The shape follows the spec (`skillsMetricsPerAgent` and `agentsMetrics`, optional
`metricsByIntervals`); values are random but seeded, and agents are active in a random
share of the intervals, as in a real contact center where not everyone works all day.
``method="msgconversation"`` gives the Messaging Conversation method's twelve metrics instead
of Engagement Activity's five, with its relations (the parts add up to the totals, averages
are the totals' ratio as the 32-bit floats the API sends: ``20.285715``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

METRICS = (
    "totalInteractiveChats",
    "totalNonInteractiveChats",
    "totalHandlingTime",
    "nonInteractiveTotalHandlingTime",
    "connectedEngagements",
)


@dataclass(frozen=True)
class Size:
    name: str
    intervals: int
    skills: int
    agents: int
    agents_per_skill: int
    active_share: float = 0.75


SIZES = {
    "small": Size("small", 0, 5, 20, 8, 1.0),
    "medium": Size("medium", 48, 20, 200, 25),
    "large": Size("large", 288, 50, 1000, 60),
}


def _metrics(rng: np.random.Generator) -> dict[str, int]:
    chats = int(rng.integers(0, 40))
    non = int(rng.integers(0, 10))
    return {
        METRICS[0]: chats,
        METRICS[1]: non,
        METRICS[2]: chats * int(rng.integers(60, 900)),
        METRICS[3]: non * int(rng.integers(0, 120)),
        METRICS[4]: chats + non,
    }


_BY = ("byCCP", "byConsumer", "bySystem")


def _average(total: int, count: int) -> float | int:
    return float(str(np.float32(total / count))) if count else 0


def _conversation_metrics(rng: np.random.Generator) -> dict[str, float | int]:
    counts = [int(c) for c in rng.integers(0, 15, 3)]
    times = [c * int(rng.integers(60, 1200)) for c in counts]
    total, seconds = sum(counts), sum(times)
    out: dict[str, float | int] = {f"resolvedConversations_{b}": c
                                   for b, c in zip(_BY, counts, strict=True)}
    out["totalResolvedConversations"] = total
    out.update({f"totalHandlingTime_resolvedConversations_{b}": t
                for b, t in zip(_BY, times, strict=True)})
    out["totalHandlingTime_resolvedConversations"] = seconds
    out.update({f"avgTime_resolvedConversations_{b}": _average(t, c)
                for b, t, c in zip(_BY, times, counts, strict=True)})
    out["avgTime_resolvedConversations"] = _average(seconds, total)
    return out


_GENERATORS = {"engactivity": _metrics, "msgconversation": _conversation_metrics}


def _section(size: Size, rng: np.random.Generator, skill_agents: dict[int, np.ndarray],
             agents: np.ndarray, share: float, method: str = "engactivity") -> dict:
    metrics = _GENERATORS[method]
    per_skill = {}
    active_agents: set[int] = set()
    for skill, members in skill_agents.items():
        chosen = members[rng.random(len(members)) < share]
        active_agents.update(int(a) for a in chosen)
        per_skill[str(skill)] = {
            "metricsPerAgent": {str(a): metrics(rng) for a in chosen},
            "metricsTotals": metrics(rng),
        }
    return {
        "skillsMetricsPerAgent": {"metricsPerSkill": per_skill, "metricsTotals": metrics(rng)},
        "agentsMetrics": {
            "metricsPerAgent": {str(a): metrics(rng) for a in sorted(active_agents)},
            "metricsTotals": metrics(rng),
        },
    }


def response(size: Size, *, seed: int = 0, end_ms: int = 1_795_000_200_000,
             method: str = "engactivity") -> dict:
    """Return one decoded response of the given size (newest interval first).

    Interval ends lie on 5-minute bucket boundaries, as the API's do.
    """
    rng = np.random.default_rng(seed)
    skills = rng.choice(np.arange(2_152_260_000, 2_152_300_000), size.skills, replace=False)
    agents = rng.choice(np.arange(3_705_340_000, 3_705_400_000), size.agents, replace=False)
    skill_agents = {
        int(s): np.sort(rng.choice(agents, size.agents_per_skill, replace=False)) for s in skills
    }
    body = _section(size, rng, skill_agents, agents, 1.0, method)
    if size.intervals:
        step = 1440 // size.intervals * 60_000
        body = {
            "metricsByIntervals": [
                {"timestamp": end_ms - i * step,
                 "metricsData": _section(size, rng, skill_agents, agents, size.active_share,
                                         method)}
                for i in range(size.intervals)
            ],
            **body,
        }
    return body


def response_bytes(size: Size, *, seed: int = 0, method: str = "engactivity") -> bytes:
    return orjson.dumps(response(size, seed=seed, method=method))
