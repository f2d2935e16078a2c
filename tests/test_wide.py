"""engframe.to_wide: one column per metric, from codes (no string per row), exactly.

The reference for the property test is the obvious pandas way (strings and ``pivot``), which
to_wide must agree with on every frame the flattener can make.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import engframe
from engframe.derive import to_wide
from engframe.errors import FrameError
from tests.analytics_fixtures import T0, sample_frame, tidy
from tests.strategies import responses


def _reference(df: pd.DataFrame) -> pd.DataFrame:
    """to_wide the slow, obvious way: keys as strings, pivot, rows in first-seen order."""
    keys = [c for c in df.columns if c not in ("metric", "value")]
    text = df[keys].apply(lambda column: column.astype(object).map(repr))
    label = text.agg("|".join, axis=1) if keys else pd.Series("", df.index)
    order = list(dict.fromkeys(label))
    grid = pd.DataFrame({"row": label, "metric": df["metric"].astype(str),
                         "value": df["value"]}).pivot(index="row", columns="metric",
                                                      values="value").reindex(order)
    return grid.reset_index(drop=True)


@settings(max_examples=60, deadline=None)
@given(responses())
def test_to_wide_agrees_with_a_plain_pandas_pivot(response):
    df = engframe.flatten(response)
    wide = to_wide(df)
    expected = _reference(df)
    assert len(wide) == len(expected)
    for metric in expected.columns:
        got = wide[metric].astype("Float64").to_numpy(np.float64, na_value=np.nan)
        assert np.array_equal(got, expected[metric].to_numpy(np.float64), equal_nan=True), metric


def test_to_wide_puts_the_apis_metrics_first_then_the_others_as_first_seen():
    df = tidy([(T0, 1, None, "zeta", 1, "skill", "timeframe"),
               (T0, 1, None, "totalHandlingTime", 2, "skill", "timeframe"),
               (T0, 1, None, "alpha", 3, "skill", "timeframe")])
    metrics = [c for c in to_wide(df).columns if c not in df.columns]
    assert metrics == ["totalHandlingTime", "zeta", "alpha"]


def test_to_wide_keeps_the_name_columns_as_keys(names_frame):
    wide = to_wide(engframe.select(names_frame, level="agent", span="timeframe"))
    assert wide[["agent", "agent_name", "agent_group", "agent_group_name"]].values.tolist() == [
        [3, "Dana Levi", 10, "Tier 1"]]
    assert wide["agent_name"].dtype == "category" and str(wide["agent_group"].dtype) == "Int64"


def test_to_wide_refuses_a_metric_named_like_a_column():
    df = tidy([(T0, 1, None, "skill", 1, "skill", "timeframe")])
    with pytest.raises(FrameError, match="metric 'skill' has the name of a column"):
        to_wide(df)


def test_to_wide_refuses_a_value_without_a_metric_name():
    df = sample_frame("account")
    df["metric"] = df["metric"].cat.add_categories([]).astype(object).where(df.index > 0, None)
    with pytest.raises(FrameError, match="'metric' holds <NA>"):
        to_wide(df.astype({"metric": "category"}))


def test_to_wide_of_an_empty_frame_is_an_empty_frame_of_its_keys():
    df = sample_frame("account").iloc[:0]
    wide = to_wide(df)
    assert len(wide) == 0
    assert list(wide.columns) == [c for c in df.columns if c not in ("metric", "value")]


def test_to_wide_leaves_the_frame_alone():
    df = sample_frame("skills_all_agent_3")
    before = df.copy()
    to_wide(df)
    pd.testing.assert_frame_equal(df, before)


@pytest.fixture
def names_frame() -> pd.DataFrame:
    names = engframe.Names(
        agents=pd.DataFrame({"agent": [3], "agent_name": ["Dana Levi"], "agent_group": [10]}),
        agent_groups=pd.DataFrame({"agent_group": [10], "agent_group_name": ["Tier 1"]}))
    return engframe.attach_names(sample_frame("skills_all_agent_3"), names, warn=False)


# -- frames of fetches: the boolean ``complete`` column (pandas 3 sorts no bool array) --------

def _envelope() -> dict:
    """A saved fetch of two 5-minute intervals (it has ``start``, ``complete``...)."""
    totals = {"totalInteractiveChats": 2, "totalHandlingTime": 30}
    return {
        "request": {"account": "56072331", "timeframe": 10, "interval": 5},
        "fetched_at": "2026-11-18T12:07:00Z",
        "response": {"metricsByIntervals": [
            {"timestamp": 1795003200000, "metricsData": {"metricsTotals": totals}},
            {"timestamp": 1795003500000, "metricsData": {"metricsTotals": totals}},
        ], "metricsTotals": {"totalInteractiveChats": 4, "totalHandlingTime": 60}},
    }


def test_to_wide_of_a_saved_fetch_keeps_its_fetch_columns() -> None:
    df = engframe.flatten(_envelope())
    assert df["complete"].dtype == bool
    wide = to_wide(df)
    assert len(wide) == 3  # two intervals and the whole timeframe
    assert wide["complete"].tolist() == df.drop_duplicates(["timestamp", "span"])[
        "complete"].tolist()
    assert wide["totalInteractiveChats"].tolist() == [2, 2, 4]


def test_to_wide_of_a_history(tmp_path) -> None:
    engframe.export(engframe.flatten(_envelope()), tmp_path / "history")
    wide = to_wide(engframe.read_dataset(tmp_path / "history"))
    assert wide["totalHandlingTime"].tolist() == [30, 30]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_wide_layout_of_the_cli_writes_a_saved_fetch(tmp_path, capsys, suffix) -> None:
    import json

    from engframe import cli

    source = tmp_path / "fetch.json"
    source.write_text(json.dumps(_envelope()))
    target = tmp_path / f"wide{suffix}"
    assert cli.main(["flatten", str(source), "-o", str(target), "--layout", "wide"]) == 0
    back = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    assert sorted(back["totalInteractiveChats"].tolist()) == [2, 2, 4]
