"""Fetches from engframe's simulator at chosen moments, for tests of what analysts do over time.

``sim_client(start_ms, save_raw=...)`` yields ``(clock, client)``: a
:class:`engframe.sim.ManualClock` that the simulator and the client both read, and an
OAuth 2.0 client of the simulator without an HTTP cache. Move the clock with
``clock.set(ms)`` before each fetch; with ``save_raw`` every answer is saved as the envelope
the client writes.

``hand_totals(path)`` reads one saved envelope as plain JSON and sums, per interval end, the
values of one section's totals: the figures a careful analyst would compute by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engframe import sim
from engframe.client import Client

#: 2026-11-25 09:46:40 UTC, a Wednesday.
BASE_MS = 1_795_600_000_000
MINUTE = 60_000
HOUR = 60 * MINUTE
#: A small simulated center: quick to serve, busy enough for every metric.
CENTER = sim.CenterConfig(n_skills=3, n_agents=6, chats_per_day=4000)


@contextmanager
def sim_client(start_ms: int = BASE_MS, *, seed: int = 4, center: sim.CenterConfig = CENTER,
               save_raw: Path | None = None) -> Iterator[tuple[sim.ManualClock, Client]]:
    clock = sim.ManualClock(start_ms)
    with sim.serve(seed=seed, now=clock, center=center) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000,
            save_raw=save_raw) as client:
        yield clock, client


def hand_totals(path: Path, section: str = "skillsMetricsPerAgent") -> dict[int, dict[str, int]]:
    """Per interval end [epoch ms]: the section's ``metricsTotals``, read from the raw JSON."""
    response = json.loads(path.read_text())["response"]
    return {item["timestamp"]: item["metricsData"][section]["metricsTotals"]
            for item in response["metricsByIntervals"]}
