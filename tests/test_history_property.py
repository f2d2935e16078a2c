"""The history's promise, held against the simulator over many fetch sequences (hypothesis).

Any sequence of fetches (times, interval sizes, timeframes), exported one by one in any
order (an older fetch exported after a newer one included), leaves:

(a) no duplicate and no overlapping facts: one value per series and period of one grid;
(b) every complete fact equal to the value a single later fetch of the API reports for it;
(c) ``derive`` on the dataset equal to the sums of its facts;

and a fetch that does not line up with the dataset's grid is refused with nothing written.
The simulator's clock is a :class:`engframe.sim.ManualClock` moved to each fetch time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import DatasetError
from engframe.history import Grid, read_dataset

BASE_MS = 1_795_600_000_000  # 2026-11-25 08:26:40 UTC, a Wednesday
MINUTE = 60_000
CENTER = sim.CenterConfig(n_skills=3, n_agents=6, chats_per_day=4000)
KEY = ["level", "timestamp", "skill", "agent", "metric"]


@st.composite
def fetch_plans(draw: st.DrawFn) -> list[tuple[int, int, int]]:
    """(fetch time [ms], interval, timeframe) for a few fetches within 20 hours."""
    plans = []
    for _ in range(draw(st.integers(1, 5))):
        at = BASE_MS + draw(st.integers(0, 20 * 60)) * MINUTE + draw(st.integers(0, 59_999))
        interval = draw(st.sampled_from([5, 5, 5, 10, 15, 60]))
        timeframe = interval * draw(st.integers(1, max(1, 180 // interval)))
        plans.append((at, interval, timeframe))
    return plans


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=fetch_plans(), data=st.data())
def test_any_fetches_in_any_order_leave_true_facts(plans, data, tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    clock = sim.ManualClock(BASE_MS)
    with sim.serve(seed=4, now=clock, center=CENTER) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000) as client:

        def fetch(at: int, interval: int, timeframe: int) -> pd.DataFrame:
            clock.set(at)
            return client.frame(timeframe=timeframe, interval=interval, skills="all",
                                agents="all")

        frames = [fetch(*plan) for plan in sorted(plans)]
        order = data.draw(st.permutations(range(len(frames))))
        grid: Grid | None = None
        accepted: list[pd.DataFrame] = []
        for index in order:
            frame = frames[index]
            before = _snapshot(root) if root.exists() else {}
            try:
                engframe.export(frame, root)
            except DatasetError as refused:
                assert grid is not None and "nothing was written" in str(refused)
                assert _snapshot(root) == before
                continue
            accepted.append(frame)
            if grid is None:
                interval = frame.attrs["query"]["interval"]
                end = int(frame["timestamp"].max().value // 1_000_000)
                grid = Grid.of(interval, end)

        hist = read_dataset(root)
        assert grid is not None
        # (a) one fact per series and period, every period on the grid
        assert not hist.duplicated(KEY).any()
        stamps = hist["timestamp"].to_numpy("datetime64[ms]").view(np.int64)
        assert grid.aligned(stamps).all()

        # (b) a period any accepted fetch saw complete is held complete (never replaced by a
        # partial value), and a complete fact is what a later fetch reports for its period
        seen = pd.concat(accepted)
        whole_period = (seen["timestamp"] - seen["start"]) == pd.Timedelta(minutes=grid.minutes)
        seen = seen[(seen["span"] == "interval") & seen["complete"] & whole_period]
        seen = seen[seen["timestamp"].isin(hist["timestamp"].unique())]
        held = hist.astype({"metric": str, "level": str}).set_index(KEY)["complete"]
        keys = pd.MultiIndex.from_frame(seen[KEY].astype({"metric": str, "level": str}))
        assert held.reindex(keys).fillna(False).all()
        newest = max(at for at, _, _ in plans)
        later = newest + 30 * MINUTE
        later += (grid.phase_minutes * MINUTE - later) % grid.period_ms  # a fetch on the grid
        truth = fetch(later - 1_000, grid.minutes, 1440)
        truth = truth[(truth["span"] == "interval") & truth["complete"]]
        complete = hist[hist["complete"].to_numpy(bool)]
        joined = complete.astype({"metric": str, "level": str}).merge(
            truth[[*KEY, "value"]].astype({"metric": str, "level": str}),
            how="left", on=KEY, suffixes=("", "_later"))
        assert len(joined) == len(complete)
        expected = joined["value_later"].fillna(0)  # a series absent from a period had 0
        assert (joined["value"] == expected).all(), joined[joined["value"] != expected].head()

    # (c) derive on the dataset sums the facts
    if len(hist):
        derived = engframe.derive(hist, by=["agent"], level="agent",
                                  metrics=["totalInteractiveChats", "totalHandlingTime"])
        facts = hist[(hist["level"] == "agent").to_numpy()]
        for metric in ("totalInteractiveChats", "totalHandlingTime"):
            got = derived[derived["metric"] == metric].set_index("agent")["value"]
            want = facts[facts["metric"] == metric].groupby("agent")["value"].sum()
            pd.testing.assert_series_equal(got.sort_index(), want.sort_index().astype(float),
                                           check_names=False, check_index_type=False)
