"""Out of core, a history of several methods gives the in-memory answers, kinds included.

Simulator histories of engactivity, msgconversation and msgcsatdistribution (hypothesis
draws the fetch times) in one root: ``derive`` and ``reconcile`` of the root (DuckDB, per
method's tables) equal ``derive`` and ``reconcile`` of ``read_dataset(root)`` in memory:
averages recomputed from their sums, ratios from their counts, an average without its sums
kept where one value stands, durations in milliseconds, identities among metrics checked.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import EngframeError, EngframeWarning
from tests.test_lazy_derive import BASE_MS, CENTER, MINUTE
from tests.test_lazy_reconcile import _sorted

GRAINS = ((), "agent", "skill", ("skill", "agent"), "timestamp", ("agent", "hour"), "day",
          "agent_group")
METRICS = (None, ["avgTime_resolvedConversations", "csat_score", "totalChats"],
           ["avgTime_resolvedConversations_bySystem", "resolutionShare_byConsumer"])


def messaging_history(root: Path, moments: list[int], *, seed: int = 4) -> Path:
    """Fetch every method at ``moments`` [minutes after BASE_MS] into one root: chat and
    conversations in 5-minute intervals, CSAT in windows that start where the last ended."""
    clock = sim.ManualClock(BASE_MS)
    with sim.serve(seed=seed, now=clock, center=CENTER) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000) as client:
        names = client.names()
        for minutes in sorted(moments):
            clock.set(BASE_MS + minutes * MINUTE)
            engframe.sync(root, client=client, names=False, skills="all", agents="all",
                          method=["engactivity", "msgconversation", "msgcsatdistribution"])
        engframe.export(client.frame(timeframe=60, interval=5, skills="all", agents="all"),
                        root, names=names)
    return root


def derived_both(root: Path, **options: object) -> tuple[object, object]:
    found: list[object] = []
    for data in (lambda: engframe.read_dataset(root, names=True), lambda: root):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EngframeWarning)
                out = engframe.derive(data(), **options)  # type: ignore[arg-type]
            out.attrs.pop("names", None)
            found.append(out)
        except EngframeError as exc:
            found.append(exc)
    return found[0], found[1]


def assert_same(root: Path, *, time_unit: str, grains: tuple[object, ...] = GRAINS,
                metrics_asked: tuple[object, ...] = METRICS) -> None:
    """Every grain and metric set, and reconcile, alike out of core and in memory."""
    for by in grains:
        for metrics in metrics_asked:
            expected, got = derived_both(root, by=by, metrics=metrics, time_unit=time_unit)
            if isinstance(expected, Exception):
                assert type(got) is type(expected) and str(got) == str(expected)
                continue
            assert isinstance(got, pd.DataFrame), got
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
            assert got.attrs == expected.attrs
    expected_checks = engframe.reconcile(engframe.read_dataset(root))
    got_checks = engframe.reconcile(root)
    assert list(got_checks.columns) == list(expected_checks.columns)
    pd.testing.assert_frame_equal(_sorted(got_checks), _sorted(expected_checks),
                                  check_categorical=False)
    assert set(got_checks["status"].astype(str)) <= {"ok", "rounding"}


@pytest.mark.slow
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(moments=st.lists(st.integers(0, 600), min_size=1, max_size=3, unique=True),
       time_unit=st.sampled_from(["s", "ms"]))
def test_a_history_of_every_method_derives_and_reconciles_as_in_memory(
        moments: list[int], time_unit: str, tmp_path_factory) -> None:
    assert_same(messaging_history(tmp_path_factory.mktemp("history"), moments),
                time_unit=time_unit)


def test_two_turns_of_every_method_derive_and_reconcile_as_in_memory(tmp_path: Path) -> None:
    assert_same(messaging_history(tmp_path / "h", [0, 95]), time_unit="ms",
                grains=((), ("agent", "hour"), "agent_group"))


def test_one_methods_scan_reads_its_tables_only(tmp_path: Path) -> None:
    root = messaging_history(tmp_path / "h", [30])
    scan = engframe.scan(root, method="msgconversation")
    out = engframe.derive(scan, by="agent", metrics=["avgTime_resolvedConversations"])
    assert set(out["method"].astype(str)) == {"msgconversation"}
    expected = engframe.derive(engframe.read_dataset(root, method="msgconversation"),
                               by="agent", metrics=["avgTime_resolvedConversations"])
    pd.testing.assert_frame_equal(out, expected)


def test_an_average_without_its_sums_is_kept_out_of_core_as_in_memory(tmp_path: Path) -> None:
    root = messaging_history(tmp_path / "h", [30])
    history = engframe.read_dataset(root, method="msgconversation",
                                    metrics=["avgTime_resolvedConversations"])
    engframe.export(history, tmp_path / "averages")  # a history of the averages alone
    for by in (["agent", "timestamp"], ["agent"]):
        expected, got = derived_both(tmp_path / "averages", by=by,
                                     metrics=["avgTime_resolvedConversations"])
        assert isinstance(got, pd.DataFrame) and isinstance(expected, pd.DataFrame)
        pd.testing.assert_frame_equal(got, expected)


def test_messaging_views_equal_derive(tmp_path: Path) -> None:
    import duckdb

    from engframe.lazy import write_views

    root = messaging_history(tmp_path / "h", [0, 95])
    written = write_views(root)
    assert not [v for v in written.views if "msgcsatdistribution_by_hour" in v
                or "msgcsatdistribution_by_day" in v]  # windows straddle any hour
    for method, grain, by, metrics in (
            ("msgconversation", "skill_hour", ["account", "skill", "hour"],
             ["avgTime_resolvedConversations_byCCP", "resolutionShare_bySystem"]),
            ("msgcsatdistribution", "agent", ["account", "agent"],
             ["csat_score", "csatShare_score1", "total_answers"])):
        with duckdb.connect(str(written.path), read_only=True) as connection:
            table = connection.sql(f"SELECT * FROM derived_{method}_by_{grain}").df()
        derived = engframe.to_wide(engframe.derive(
            engframe.read_dataset(root, method=method), by=by, metrics=metrics))
        for frame in (table, derived):
            if "hour" in by:
                frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
            frame["account"] = frame["account"].astype(str)
            frame[by[1]] = frame[by[1]].astype("Int64")
        table = table.sort_values(by).reset_index(drop=True)
        derived = derived.sort_values(by).reset_index(drop=True)
        assert len(table) == len(derived) > 0
        for metric in metrics:
            pd.testing.assert_series_equal(table[metric].astype(float),
                                           derived[metric].astype(float), check_names=False,
                                           rtol=1e-12)
