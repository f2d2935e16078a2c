"""``reconcile`` on a history out of core (DuckDB) equals ``reconcile`` in memory.

Same simulator histories as ``test_lazy_derive`` (hypothesis draws the fetches); the checks
are compared column by column, status and reason included, after sorting them the same way
(the out-of-core checks come sorted by relation, account, period end, ids and metric).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe.errors import OptionError
from engframe.reconcile import ROUNDINGS
from tests.test_lazy_derive import BASE_MS, MINUTE, fetch_plans, simulated_history

KEY = ["relation", "level", "method", "account", "timestamp", "skill", "agent", "metric"]


def _sorted(checks: pd.DataFrame) -> pd.DataFrame:
    # a relation among a method's metrics has checks at every level: the level sorts them
    plain = checks.astype({"relation": str, "level": str, "method": str, "account": str,
                           "metric": str})
    return plain.sort_values(KEY, kind="stable", na_position="first").reset_index(drop=True)


def assert_same_checks(root: Path, **options: object) -> pd.DataFrame:
    expected = engframe.reconcile(engframe.read_dataset(root), **options)  # type: ignore[arg-type]
    got = engframe.reconcile(root, **options)  # type: ignore[arg-type]
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_categorical=False)
    return got


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=fetch_plans(), rounding=st.sampled_from(ROUNDINGS))
def test_out_of_core_checks_equal_in_memory(plans, rounding, tmp_path_factory):
    root = simulated_history(tmp_path_factory.mktemp("history"), plans)
    assert_same_checks(root, rounding=rounding)


def test_a_history_of_one_fetch_keeps_its_fetch_time(tmp_path: Path) -> None:
    root = simulated_history(tmp_path / "h", [(BASE_MS + 7 * MINUTE, 5, 120)])
    checks = assert_same_checks(root)
    assert "fetched_at" in checks.columns and len(checks)


def test_checks_compare_periods_not_fetches(tmp_path: Path) -> None:
    plans = [(BASE_MS + 7 * MINUTE + h * 40 * MINUTE, 5, 120) for h in range(3)]
    root = simulated_history(tmp_path / "h", plans)
    checks = assert_same_checks(root, rounding="truncate")
    assert "fetched_at" not in checks.columns
    assert not checks.duplicated(KEY).any()


def test_a_scan_reconciles_what_it_keeps(tmp_path: Path) -> None:
    root = simulated_history(tmp_path / "h", [(BASE_MS + 7 * MINUTE + 600 * MINUTE, 5, 1440)])
    start, end = "2026-11-25T06:00", "2026-11-25T09:00"
    got = engframe.reconcile(engframe.scan(root, start=start, end=end))
    expected = engframe.reconcile(engframe.read_dataset(root, start=start, end=end))
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_categorical=False)


def test_an_empty_history_has_no_checks(tmp_path: Path) -> None:
    assert engframe.reconcile(engframe.scan(tmp_path)).empty


def test_an_unknown_rounding_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="rounding='up'"):
        engframe.reconcile(engframe.scan(tmp_path), rounding="up")
