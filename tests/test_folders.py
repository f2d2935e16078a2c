"""A folder of saved fetches gives the history's numbers (issue 17, items 1, 7 and 8).

The analyst's way: fetch now and then with ``save_raw=``, then ``engframe.load("raw/")`` and
derive, plot, reconcile, pivot or export it. Overlapping fetches of one request hold the
same periods again; the folder must count each once, as the history built from the same
files does, and every figure must equal a hand computation from the raw JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe.errors import FrameError, SourceError
from tests.simfetch import BASE_MS, MINUTE, sim_client

matplotlib.use("Agg")

CHATS = ("totalInteractiveChats", "totalNonInteractiveChats")


def _fetch_all(raw: Path, moments: list[tuple[int, int, int]]) -> None:
    """Fetch (at [ms], interval, timeframe) from one simulated center, saving every answer."""
    with sim_client(save_raw=raw) as (clock, client):
        for at, interval, timeframe in moments:
            clock.set(at)
            client.frame(timeframe=timeframe, interval=interval, skills="all", agents="all")


def _by_hand(raw: Path) -> dict[int, int]:
    """Chats per 5-minute bucket end, from the raw JSON: of the fetches holding a bucket,
    the one covering most of it (its fetch time past the bucket's end), then the later."""
    best: dict[int, tuple[int, int, int]] = {}
    for path in sorted(raw.glob("*.json")):
        saved = json.loads(path.read_text())
        fetched = int(pd.Timestamp(saved["fetched_at"]).value // 1_000_000)
        window_start = None
        ends = [item["timestamp"] for item in saved["response"]["metricsByIntervals"]]
        if ends:
            window_start = min(ends) - 5 * MINUTE
        for item in saved["response"]["metricsByIntervals"]:
            end = item["timestamp"]
            start = max(end - 5 * MINUTE, window_start or end - 5 * MINUTE)
            covered = min(end, fetched) - start
            totals = item["metricsData"]["skillsMetricsPerAgent"]["metricsTotals"]
            chats = sum(totals[m] for m in CHATS)
            if end not in best or (covered, fetched) > best[end][:2]:
                best[end] = (covered, fetched, chats)
    return {end: chats for end, (_, _, chats) in best.items()}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four overlapping fetches at odd minutes, out of order in time, one of 2 hours."""
    raw = tmp_path_factory.mktemp("raw")
    _fetch_all(raw, [(BASE_MS + 7 * MINUTE + 13_000, 5, 240),
                     (BASE_MS + 61 * MINUTE + 2_000, 5, 240),
                     (BASE_MS + 33 * MINUTE + 51_000, 5, 120),
                     (BASE_MS + 95 * MINUTE + 29_000, 5, 240)])
    return raw


@pytest.fixture(scope="module")
def history(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history")
    for path in sorted(folder.glob("*.json")):
        engframe.export(engframe.load(path), root)
    return root


def test_the_folder_counts_each_bucket_once_as_a_hand_computation_does(folder: Path) -> None:
    df = engframe.load(folder)
    out = engframe.derive(df, by="timestamp", metrics=["totalChats"])
    got = {int(t.value // 1_000_000): v for t, v in zip(out["timestamp"], out["value"],
                                                        strict=True)}
    assert got == _by_hand(folder)
    total = engframe.derive(df, metrics=["totalChats"])["value"].iloc[0]
    assert total == sum(_by_hand(folder).values())
    stacked = sum(engframe.derive(engframe.load(p), metrics=["totalChats"])["value"].iloc[0]
                  for p in sorted(folder.glob("*.json")))
    assert stacked > total  # what the folder gave before: each overlap counted again
    assert df.attrs["overlaps"]["superseded"] > 0


@pytest.mark.parametrize("by", [[], ["agent"], ["skill", "hour"], ["agent", "timestamp"],
                                ["day"]])
def test_derive_on_the_folder_equals_derive_on_its_history(folder, history, by) -> None:
    ours = engframe.derive(engframe.load(folder), by=by, span="interval")
    theirs = engframe.derive(engframe.read_dataset(history), by=by)
    key = [*by, "metric"]
    mine = ours.set_index(key)["value"].sort_index()
    other = theirs.set_index(key)["value"].sort_index()
    pd.testing.assert_series_equal(mine, other, check_names=False, check_index_type=False)


def test_the_wide_pivot_of_the_folder_equals_the_history_s(folder, history) -> None:
    def wide(df: pd.DataFrame) -> pd.DataFrame:
        agents = engframe.select(df, level="agent", span="interval")
        table = engframe.to_wide(agents[["timestamp", "agent", "metric", "value"]])
        return table.sort_values(["timestamp", "agent"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(wide(engframe.load(folder)),
                                  wide(engframe.read_dataset(history)))


def test_exporting_the_folder_gives_the_same_history(folder, history, tmp_path) -> None:
    engframe.export(engframe.load(folder), tmp_path / "h")
    ours = engframe.read_dataset(tmp_path / "h").drop(columns=["fetched_at", "complete"])
    theirs = engframe.read_dataset(history).drop(columns=["fetched_at", "complete"])
    key = ["level", "timestamp", "skill", "agent", "metric"]
    pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True),
                                  theirs.sort_values(key).reset_index(drop=True))


def test_the_hourly_chart_of_the_folder_draws_the_history_s_numbers(folder, history) -> None:
    def points(df: pd.DataFrame) -> list[float]:
        ax = engframe.plot.timeseries(df, "totalChats", grain="hour")
        line = ax.lines[0]
        return [float(v) for v in np.asarray(line.get_ydata(), float) if not np.isnan(v)]

    assert points(engframe.load(folder)) == points(engframe.read_dataset(history))


def test_reconcile_of_the_folder_and_of_its_history_are_clean(folder, history) -> None:
    for df in (engframe.load(folder), engframe.read_dataset(history)):
        checks = engframe.reconcile(df)
        assert len(checks) and "mismatch" not in set(checks["status"].astype(str)), (
            engframe.summarize(checks))


# -- stacked responses that load could not resolve: refused, not summed ---------------------

def test_two_fetches_stacked_by_hand_are_refused_not_double_counted(folder) -> None:
    first, second = (engframe.load(p) for p in sorted(folder.glob("*.json"))[:2])
    stacked = pd.concat([first, second], ignore_index=True)
    with pytest.raises(FrameError, match="count those chats twice"):
        engframe.derive(stacked, by="agent")
    apart = engframe.derive(stacked.assign(source=np.repeat(["a", "b"], [len(first),
                                                                          len(second)])),
                            by=["source", "agent"], metrics=["totalChats"])
    assert set(apart["source"]) == {"a", "b"}


def test_intervals_of_two_grids_in_one_folder_are_refused_naming_the_files(tmp_path) -> None:
    _fetch_all(tmp_path, [(BASE_MS + 2 * MINUTE, 60, 240), (BASE_MS + 9 * MINUTE, 60, 240)])
    with pytest.raises(SourceError, match=r"\.json and .*\.json: intervals of the same request "
                                          "overlap"):
        engframe.load(tmp_path)


def test_a_history_s_frame_is_never_refused_as_stacked(history) -> None:
    df = engframe.read_dataset(history)
    assert df["fetched_at"].nunique() > 1
    assert len(engframe.derive(df, by="agent"))


# -- the property: any fetches, folder and history agree ------------------------------------

@st.composite
def _moments(draw: st.DrawFn) -> list[tuple[int, int, int]]:
    count = draw(st.integers(1, 4))
    return [(BASE_MS + draw(st.integers(0, 180)) * MINUTE + draw(st.integers(0, 59_999)),
             draw(st.sampled_from([5, 5, 15, 60])),
             draw(st.sampled_from([60, 120, 180]))) for _ in range(count)]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(moments=_moments())
def test_any_fetches_saved_to_a_folder_agree_with_their_history(moments, tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    root = raw.parent / f"{raw.name}-history"
    _fetch_all(raw, moments)
    try:
        folder = engframe.load(raw)
    except SourceError as refused:  # the documented refusal: periods on two grids
        assert "overlap without being the same period" in str(refused)
        return
    exported = []
    for path in sorted(raw.glob("*.json")):
        try:
            engframe.export(engframe.load(path), root)
            exported.append(path)
        except engframe.DatasetError:
            return  # the history refuses another grid: nothing to compare
    history = engframe.read_dataset(root)
    checks = engframe.reconcile(history)
    assert "mismatch" not in set(checks["status"].astype(str)), engframe.summarize(checks)
    folder_checks = engframe.reconcile(folder)
    assert "mismatch" not in set(folder_checks["status"].astype(str))
    for by in ([], ["agent"], ["skill", "timestamp"]):
        ours = engframe.derive(folder, by=by, span="interval").set_index([*by, "metric"])
        theirs = engframe.derive(history, by=by).set_index([*by, "metric"])
        pd.testing.assert_series_equal(ours["value"].sort_index(),
                                       theirs["value"].sort_index(), check_names=False,
                                       check_index_type=False)


# -- reconcile: each file's own request (item 7), a history's periods (item 8) ---------------

def _envelope(path: Path) -> dict:
    return json.loads(path.read_text())


def _inject(path: Path, delta: int, *, consistent: bool = False) -> None:
    """Add ``delta`` chats to one agent in an older complete interval of a saved fetch.

    ``consistent``: a revision the API could send, the chats added to every level that
    counts them (the skill-agent pair, the skill, both totals, in the interval and in the
    whole timeframe); else to the agent's own values only, a drift.
    """
    saved = _envelope(path)
    response = saved["response"]
    metric = "totalInteractiveChats"

    def busy(item: dict) -> tuple[int, str]:  # the skill with most agents, and how many
        per_skill = item["metricsData"]["skillsMetricsPerAgent"]["metricsPerSkill"]
        return max((len(v["metricsPerAgent"]), s) for s, v in per_skill.items())

    # of the older complete intervals (every fetch holds them), the one with a busy skill
    item = max(sorted(response["metricsByIntervals"], key=lambda i: i["timestamp"])[-8:-3],
               key=busy)
    skill = busy(item)[1]
    agent = sorted(item["metricsData"]["skillsMetricsPerAgent"]["metricsPerSkill"][skill]
                   ["metricsPerAgent"])[0]
    for data in (item["metricsData"], response):
        skills = data["skillsMetricsPerAgent"]
        data["agentsMetrics"]["metricsPerAgent"][agent][metric] += delta
        if consistent:
            pair = skills["metricsPerSkill"][skill]
            pair["metricsPerAgent"][agent][metric] += delta
            pair["metricsTotals"][metric] += delta
            skills["metricsTotals"][metric] += delta
            data["agentsMetrics"]["metricsTotals"][metric] += delta
        if not consistent:
            break  # a drift in one interval only
    path.write_text(json.dumps(saved))


def test_a_folder_of_different_timeframes_checks_each_file_with_its_own_request(tmp_path):
    _fetch_all(tmp_path, [(BASE_MS + 7 * MINUTE, 5, 60), (BASE_MS + 200 * MINUTE, 5, 120)])
    first = sorted(tmp_path.glob("*.json"))[0]
    _inject(first, 1)
    alone = engframe.reconcile(engframe.load(first))
    df = engframe.load(tmp_path)
    assert "query" not in df.attrs and len(df.attrs["queries"]) == 2
    together = engframe.reconcile(df)
    assert set(together["relation"].astype(str)) >= {"skill_agents_vs_agent",
                                                       "skills_total_vs_agents_total"}
    mismatched = together[together["status"] == "mismatch"]
    assert len(mismatched) == (alone["status"] == "mismatch").sum() > 0
    assert set(mismatched["source"].astype(str)) == {first.name}


def test_the_cli_strict_reconcile_of_such_a_folder_fails(tmp_path, capsys):
    from engframe import cli

    _fetch_all(tmp_path, [(BASE_MS + 7 * MINUTE, 5, 60), (BASE_MS + 200 * MINUTE, 5, 120)])
    _inject(sorted(tmp_path.glob("*.json"))[0], 1)
    assert cli.main(["reconcile", str(tmp_path), "--strict"]) != 0
    assert "mismatch" in capsys.readouterr().out


def _history_of(moments: list[tuple[int, int, int]], root: Path, raw: Path) -> pd.DataFrame:
    _fetch_all(raw, moments)
    for path in sorted(raw.glob("*.json")):
        engframe.export(engframe.load(path), root)
    return engframe.read_dataset(root)


def test_a_history_of_a_revised_period_reconciles_clean(tmp_path) -> None:
    # the last fetch revises an older, complete period consistently: the history replaces
    # the facts whose value changed and keeps the others, so that period holds facts of
    # two fetches, and is still one consistent answer
    raw = tmp_path / "raw"
    _fetch_all(raw, [(BASE_MS + m * MINUTE + 31_000, 5, 60) for m in (2, 6, 13)])
    _inject(sorted(raw.glob("*.json"))[-1], 1, consistent=True)
    assert "mismatch" not in set(engframe.reconcile(engframe.load(
        sorted(raw.glob("*.json"))[-1]))["status"].astype(str))
    for path in sorted(raw.glob("*.json")):
        engframe.export(engframe.load(path), tmp_path / "h")
    history = engframe.read_dataset(tmp_path / "h")
    per_period = history.groupby("timestamp")["fetched_at"].nunique()
    assert (per_period > 1).any()
    checks = engframe.reconcile(history)
    assert "fetched_at" not in checks.columns
    assert "mismatch" not in set(checks["status"].astype(str)), engframe.summarize(checks)


def test_a_one_chat_drift_in_a_history_shows_its_true_size(tmp_path) -> None:
    raw = tmp_path / "raw"
    _fetch_all(raw, [(BASE_MS + m * MINUTE + 31_000, 5, 60) for m in (2, 6, 13)])
    # a revision of the period (so that it holds facts of two fetches), and one chat of
    # drift on the agent's own value
    _inject(sorted(raw.glob("*.json"))[-1], 2, consistent=True)
    _inject(sorted(raw.glob("*.json"))[-1], 1)
    for path in sorted(raw.glob("*.json")):
        engframe.export(engframe.load(path), tmp_path / "h")
    checks = engframe.reconcile(engframe.read_dataset(tmp_path / "h"))
    bad = checks[checks["status"] == "mismatch"]
    assert len(bad) == 2, engframe.summarize(checks)
    assert dict(zip(bad["relation"].astype(str), bad["difference"], strict=True)) == {
        "agents_vs_agents_total": 1, "skill_agents_vs_agent": -1}
