"""``derive`` on a history out of core (DuckDB) equals ``derive`` on the frame in memory.

Simulator histories (hypothesis draws the fetches: times, interval sizes, timeframes) are
exported with their names; every derived metric and its components are then derived at
every grain (ids, pairs, teams through the name tables, periods, hours, days, in several
time zones) both ways, and the frames must be equal: values, keys, order, dtypes, attrs.
Where the in-memory ``derive`` refuses (periods that straddle an hour), the out-of-core one
refuses with the same error. The simulator's clock is a :class:`engframe.sim.ManualClock`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe import sim
from engframe.client import Client
from engframe.derive import DERIVED, formula
from engframe.errors import EngframeError, EngframeWarning, MetricError, OptionError

BASE_MS = 1_795_600_000_000  # 2026-11-25 08:26:40 UTC, a Wednesday
MINUTE = 60_000
CENTER = sim.CenterConfig(n_skills=3, n_agents=6, chats_per_day=4000)
GRAINS = ((), "agent", "skill", ("skill", "agent"), "account", "timestamp", "hour", "day",
          ("skill", "hour"), ("agent", "day"), "agent_group", ("agent_group_name", "day"),
          "skill_name", ("agent", "fetched_at"), "start")
ZONES = ("UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York")
#: Built-in metrics, a raw one, and a scaled, weighted formula of our own.
METRICS = [*DERIVED, "connectedEngagements",
           formula("weighted", "(2 * totalHandlingTime - nonInteractiveTotalHandlingTime) / hours",
                   scale=1 / 60, unit="min/h")]


def simulated_history(root: Path, plans: list[tuple[int, int, int]], *, seed: int = 4) -> Path:
    """Export the simulator's answers to ``plans`` (fetch time [ms], interval, timeframe)
    into ``root`` with the account's names; fetches off the first one's grid are skipped."""
    clock = sim.ManualClock(BASE_MS)
    with sim.serve(seed=seed, now=clock, center=CENTER) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000) as client:
        names = client.names()
        for at, interval, timeframe in plans:
            clock.set(at)
            frame = client.frame(timeframe=timeframe, interval=interval, skills="all",
                                 agents="all")
            try:
                engframe.export(frame, root, names=names)
            except engframe.DatasetError:
                continue
    return root


def both(root: Path, **options: object) -> tuple[pd.DataFrame | Exception,
                                                 pd.DataFrame | Exception]:
    """``derive`` of the history read into memory, and of the history itself."""
    results: list[pd.DataFrame | Exception] = []
    for data in (lambda: engframe.read_dataset(root, names=True), lambda: root):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EngframeWarning)
                out = engframe.derive(data(), **options)  # type: ignore[arg-type]
            out.attrs.pop("names", None)  # read_dataset(names=True) records the join
            results.append(out)
        except EngframeError as exc:
            results.append(exc)
    return results[0], results[1]


def assert_same(expected: pd.DataFrame | Exception, got: pd.DataFrame | Exception) -> None:
    if isinstance(expected, Exception) or isinstance(got, Exception):
        assert type(got) is type(expected), (expected, got)
        assert str(got) == str(expected)
        return
    # categories of account and name columns list what each reader saw; values must agree
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)
    assert got.attrs == expected.attrs


@st.composite
def fetch_plans(draw: st.DrawFn) -> list[tuple[int, int, int]]:
    """A few fetches within 40 hours, on one interval size: most on 5-minute buckets."""
    interval = draw(st.sampled_from([5, 5, 5, 15, 60]))
    plans = []
    for _ in range(draw(st.integers(1, 3))):
        at = BASE_MS + draw(st.integers(0, 40 * 60)) * MINUTE + draw(st.integers(0, 59_999))
        timeframe = interval * draw(st.integers(1, 1440 // interval))
        plans.append((at, interval, timeframe))
    return sorted(plans)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=fetch_plans(), tz=st.sampled_from(ZONES))
def test_out_of_core_equals_in_memory_on_every_grain(plans, tz, tmp_path_factory):
    root = simulated_history(tmp_path_factory.mktemp("history"), plans)
    for by in GRAINS:
        expected, got = both(root, by=list(by) if isinstance(by, tuple) else by, tz=tz,
                             metrics=METRICS, components=True)
        assert_same(expected, got)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of 5-minute buckets from three fetches, with names."""
    plans = [(BASE_MS + h * 60 * MINUTE + 7_123, 5, 1440) for h in (0, 20, 40)]
    return simulated_history(tmp_path_factory.mktemp("history"), plans)


@pytest.mark.parametrize("options", [
    {"by": "agent", "level": "skill_agent"},
    {"by": "skill", "span": "timeframe"},
    {"by": (), "span": "timeframe"},
    {"by": "hour", "tz": "Australia/Adelaide", "metrics": ["connectedEngagementsPerHour"]},
])
def test_level_and_span_chosen_as_in_memory(history: Path, options: dict) -> None:
    assert_same(*both(history, **options))


@pytest.mark.parametrize("options", [
    {"by": "metric"}, {"by": "nonsense"}, {"tz": "Mars/Olympus"}, {"metrics": ["nope"]},
    {"by": "agent", "level": "skill"}, {"metrics": ["totalChats", "totalChats"]},
])
def test_bad_options_are_refused_alike(history: Path, options: dict) -> None:
    expected, got = both(history, **options)
    assert isinstance(expected, OptionError | MetricError)
    assert_same(expected, got)


def test_a_scan_keeps_what_filtering_the_frame_keeps(history: Path) -> None:
    frame = engframe.read_dataset(history)
    skill = int(frame["skill"].dropna().iloc[0])
    agents = sorted(int(a) for a in frame["agent"].dropna().unique()[:2])
    start, end = "2026-11-25T12:00", "2026-11-26T06:00"
    hist = engframe.scan(history, start=start, end=end, skills=[skill], agents=agents,
                         account=frame["account"].iloc[0])
    kept = engframe.read_dataset(history, start=start, end=end)
    kept = kept[kept["skill"].isin([skill]).fillna(False).to_numpy(bool)
                & kept["agent"].isin(agents).fillna(False).to_numpy(bool)]
    kept = kept.reset_index(drop=True)
    for by in ("agent", ["skill", "hour"], ["agent", "day"]):
        pd.testing.assert_frame_equal(engframe.derive(hist, by=by),
                                      engframe.derive(kept, by=by), check_categorical=False)


def test_a_scan_reads_into_memory_what_read_dataset_reads(history: Path) -> None:
    hist = engframe.scan(history, start="2026-11-26", agents=[0])
    pd.testing.assert_frame_equal(
        hist.read(metrics=["totalHandlingTime"]),
        engframe.read_dataset(history, start="2026-11-26", agents=[0],
                              metrics=["totalHandlingTime"]))


def test_an_empty_history_derives_no_rows(tmp_path: Path) -> None:
    expected = engframe.derive(engframe.read_dataset(tmp_path), by="agent")
    got = engframe.derive(engframe.scan(tmp_path), by="agent")
    assert got.empty and list(got.columns) == list(expected.columns)


def test_a_folder_that_is_no_history_is_refused(tmp_path: Path) -> None:
    (tmp_path / "response.json").write_text("{}")
    with pytest.raises(engframe.SourceError, match=r"not a history .*engframe.load"):
        engframe.derive(tmp_path, by="agent")
    with pytest.raises(engframe.SourceError, match="no such folder"):
        engframe.reconcile(str(tmp_path / "missing"))


def test_a_grid_whose_periods_straddle_hours_is_refused_for_by_hour(tmp_path: Path) -> None:
    # 60-minute intervals fetched at :29 end at :30: each lies in two hours
    at = BASE_MS + 3 * 60 * MINUTE  # 11:26:40
    root = simulated_history(tmp_path / "h", [(at + 3 * MINUTE, 60, 600)])
    expected, got = both(root, by="hour")
    assert isinstance(got, engframe.FrameError), got
    assert_same(expected, got)
    assert not isinstance(engframe.derive(root, by="timestamp"), Exception)


def test_a_history_path_and_a_scan_of_it_derive_alike(history: Path) -> None:
    pd.testing.assert_frame_equal(engframe.derive(str(history), by="skill"),
                                  engframe.derive(engframe.scan(history), by="skill"))


def test_values_equal_the_sums_of_the_facts(history: Path) -> None:
    facts = engframe.read_dataset(history, levels=["agent"])
    got = engframe.derive(history, by="agent", metrics=["totalHandlingTime"])
    want = facts[facts["metric"] == "totalHandlingTime"].groupby("agent")["value"].sum()
    assert np.array_equal(got["value"].to_numpy(), want.to_numpy(np.float64))
