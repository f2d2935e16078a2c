"""Spark reads a history as it is, with the totals pandas gets, and engframe's derive and
reconcile run on it with the same answers as in memory (runs where pyspark is installed:
``pip install '.[spark]'``, and Java 17 or newer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engframe
from tests.test_history import fetch

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed ('.[spark]')")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("engframe-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_a_table_with_the_sums_pandas_gets(spark: Any, tmp_path: Path) -> None:
    root = tmp_path / "history"
    for at in ("2026-11-26T23:29:04Z", "2026-11-27T00:29:04Z", "2026-11-27T01:31:00Z"):
        engframe.export(fetch(at), root)
    facts = engframe.read_dataset(root, levels=["agent"])
    expected = facts.groupby("metric", observed=True)["value"].sum().to_dict()
    rows = spark.read.parquet(str(root / "agent")).groupBy("metric").sum("agent_value").collect()
    assert {r["metric"]: r["sum(agent_value)"] for r in rows} == expected
    schema = dict(spark.read.parquet(str(root / "agent")).dtypes)
    assert schema["account"] == "string" and schema["date"] == "date"


def test_spark_refuses_the_whole_folder_rather_than_stacking_levels(spark: Any,
                                                                     tmp_path: Path) -> None:
    root = tmp_path / "history"
    engframe.export(fetch("2026-11-27T00:29:04Z"), root)
    with pytest.raises(Exception, match=r"CONFLICTING_DIRECTORY_STRUCTURES|Conflicting"):
        spark.read.parquet(str(root)).count()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_lazy_derive import BASE_MS, MINUTE, simulated_history

    plans = [(BASE_MS + h * 60 * MINUTE + 7_123, 5, 1440) for h in (0, 20)]
    return simulated_history(tmp_path_factory.mktemp("history"), plans)


@pytest.mark.parametrize("by", [["skill", "hour"], ["agent_group", "day"]])
def test_derive_on_spark_equals_derive_in_memory(spark: Any, simulated: Path,
                                                 by: list[str]) -> None:
    import pandas as pd

    from tests.test_lazy_derive import METRICS

    expected = engframe.derive(engframe.read_dataset(simulated, names=True), by=by,
                               metrics=METRICS, components=True, tz="Europe/Paris")
    expected.attrs.pop("names")
    got = engframe.derive(engframe.scan(simulated, engine=spark), by=by, metrics=METRICS,
                          components=True, tz="Europe/Paris")
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)
    assert got.attrs == expected.attrs


def test_reconcile_on_spark_equals_reconcile_in_memory(spark: Any, simulated: Path) -> None:
    import pandas as pd

    from tests.test_lazy_reconcile import _sorted

    expected = engframe.reconcile(engframe.read_dataset(simulated))
    got = engframe.reconcile(engframe.scan(simulated, engine=spark))
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_categorical=False)
