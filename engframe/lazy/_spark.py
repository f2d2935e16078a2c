"""Spark as an engine: the same SQL, transpiled by sqlglot, on a cluster or in local mode.

A level table is read as Spark reads any parquet folder (``ROOT/<level>``, the ``date``
partitions discovered and pruned by the scan's days), so the history can live wherever the
cluster reads files; engframe's SQL (:mod:`engframe.lazy._sql`) is written in DuckDB's
dialect and transpiled to Spark SQL with :mod:`sqlglot`, so both engines run one definition
of every formula. Needs ``pip install 'engframe[spark]'`` (pyspark, sqlglot) and Java 17+.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from engframe.history._manifest import method_folder
from engframe.lazy._engine import relation_name, select_facts

if TYPE_CHECKING:
    from engframe.lazy._scan import Scan

__all__ = ["SparkEngine", "to_spark_sql"]

#: Spark SQL type of each kind of pandas column engframe registers.
_TYPES: Final = {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN",
                 "M": "TIMESTAMP"}


def to_spark_sql(sql: str) -> str:
    """engframe's SQL (DuckDB's dialect) as Spark SQL.

    Examples
    --------
    >>> print(to_spark_sql('SELECT "agent", sum(value) AS "chats" FROM t GROUP BY "agent"'))
    SELECT `agent`, SUM(value) AS `chats` FROM t GROUP BY `agent`
    """
    import sqlglot

    text: str = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    return text


class SparkEngine:
    """A ``pyspark.sql.SparkSession`` running engframe's queries."""

    name = "spark"

    def __init__(self, session: Any) -> None:
        self.session = session

    def facts(self, scan: Scan, level: str) -> str:
        scan.files(level)  # verified here, on the driver (scan(..., verify=False) skips it)
        folder = str(method_folder(scan.root, scan.current) / level)
        raw = relation_name(f"{level}_files")
        self.session.read.parquet(folder).createOrReplaceTempView(raw)
        sql = select_facts(scan, level, stamp=self.stamp, source=raw)
        first, last = scan.days()
        days = [f"date >= DATE '{first}'"] if first else []
        days += [f"date <= DATE '{last}'"] if last else []
        if days:
            glue = " AND " if " WHERE " in sql else " WHERE "
            sql += glue + " AND ".join(days)
        name = relation_name(level)
        self.session.sql(to_spark_sql(sql)).createOrReplaceTempView(name)
        return name

    def register(self, name: str, frame: pd.DataFrame) -> str:
        schema = ", ".join(f"`{column}` {_type(frame[column])}" for column in frame.columns)
        rows = [tuple(_plain(v) for v in row)
                for row in frame.astype(object).itertuples(index=False, name=None)]
        self.session.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)
        return name

    def ms(self, expression: str) -> str:
        return f"unix_millis({expression})"

    def stamp(self, ms: int) -> str:
        return f"timestamp_millis({int(ms)})"

    def query(self, sql: str) -> pa.Table:
        result = self.session.sql(to_spark_sql(sql))
        if hasattr(result, "toArrow"):
            table: pa.Table = result.toArrow()
            return table
        return pa.Table.from_pandas(result.toPandas(), preserve_index=False)


def _type(column: pd.Series) -> str:
    kind = getattr(column.dtype, "kind", "O")
    return _TYPES.get(kind, "STRING")


def _plain(value: Any) -> Any:
    """A cell as a Python value Spark takes (None for any missing value)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value
