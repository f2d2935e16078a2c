"""Engines that run engframe's SQL where the facts are: DuckDB in-process, or Spark.

An engine does three things: expose each level table of a :class:`~engframe.lazy.Scan` as a
relation of the same columns (epoch milliseconds for times, ``value`` for the measure), take
small pandas tables (grains, hours, names) engframe computes beside the query, and run SQL
written in DuckDB's dialect (:mod:`engframe.lazy._sql`), returning pandas. How a level table
is read is each engine's own; everything computed on it is the same SQL.

====================  =========================================================
relation column       meaning
====================  =========================================================
``ts``                period end (``timestamp``), a UTC timestamp
``account``           account (text)
``skill``, ``agent``  ids (NULL where the level has none)
``metric``            metric name
``value``             the level's measure (``<level>_value``)
``start_at``          start of what the value covers, NULL when unknown
``fetched_at``        when it was fetched
``complete``          whether the value covers its whole period
``state``, ``reason`` agentactivity's state and Away reason (its tables only)
``bucket``            sla's bucket bound [s] (its tables only)
====================  =========================================================

A scan of agentactivity with ``states`` set reads its states as ``derive`` does
(:mod:`engframe.derive._states`): ``"whole"`` keeps the states' rows (not the reasons') and
names each metric ``metric@State``; ``"state"`` keeps the same rows, names plain; ``"reason"``
keeps the reasons' rows.

Times stay timestamps in the relation (converting every fact costs more than the sums) and
become epoch milliseconds after aggregating, with the engine's :meth:`Engine.ms`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Final, Protocol

import pandas as pd
import pyarrow as pa

from engframe.errors import OptionError
from engframe.history._facts import measure
from engframe.lazy._sql import ident, literal
from engframe.methods.agentactivity import AT
from engframe.schema import BUCKET_COLUMN, LEVEL_HAS, REASON_COLUMN, STATE_COLUMN

if TYPE_CHECKING:
    from engframe.lazy._scan import Scan

__all__ = ["DuckDBEngine", "Engine", "engine_for", "facts_filter", "relation_name"]

_COUNTER: Final = itertools.count()


class Engine(Protocol):
    """What engframe needs of an engine (see the module's docstring)."""

    name: str

    def facts(self, scan: Scan, level: str) -> str:
        """Register the facts of ``level`` the scan keeps; return the relation's name."""

    def register(self, name: str, frame: pd.DataFrame) -> str:
        """Make a small pandas table queryable as ``name``; return the name."""

    def query(self, sql: str) -> pa.Table:
        """Run one SELECT (DuckDB's dialect) and return its result."""

    def ms(self, expression: str) -> str:
        """SQL for the epoch milliseconds of a timestamp expression."""

    def stamp(self, ms: int) -> str:
        """SQL for a constant UTC timestamp of ``ms`` epoch milliseconds."""


def relation_name(kind: str) -> str:
    """A fresh relation name, so that two computations on one engine never collide."""
    return f"_engframe_{kind}_{next(_COUNTER)}"


def facts_filter(scan: Scan, level: str, *, stamp: Any) -> list[str]:
    """The SQL conditions of the scan's filters on a level table (``stamp(ms)``: a constant)."""
    conditions = []
    if scan.start_ms is not None and scan.windows:  # a window starts at or after ``start``
        conditions.append(f"{ident('start')} >= {stamp(scan.start_ms)}")
    elif scan.start_ms is not None:  # the period starts at or after ``start``
        conditions.append(f"{ident('timestamp')} >= {stamp(scan.start_ms + scan.period_ms)}")
    if scan.end_ms is not None:  # and ends at or before ``end``
        conditions.append(f"{ident('timestamp')} <= {stamp(scan.end_ms)}")
    if scan.accounts is not None:
        conditions.append(f"CAST(account AS VARCHAR) IN "
                          f"({', '.join(literal(a) for a in scan.accounts) or 'NULL'})")
    for name, ids, has in (("skill", scan.skills, LEVEL_HAS[level][0]),
                           ("agent", scan.agents, LEVEL_HAS[level][1])):
        if ids is not None:
            conditions.append(f"{name} IN ({', '.join(map(str, ids))})" if has and ids
                              else "FALSE")
    return conditions


def select_facts(scan: Scan, level: str, *, stamp: Any, source: str) -> str:
    """The SELECT giving a level table's facts as the relation's columns."""
    has_skill, has_agent = LEVEL_HAS[level]
    metric = "CAST(metric AS VARCHAR)"
    where = facts_filter(scan, level, stamp=stamp)
    if scan.states is not None and STATE_COLUMN in scan.dimensions:
        where.append(f"{REASON_COLUMN} IS {'NOT ' if scan.states == 'reason' else ''}NULL")
        if scan.states == "whole":
            metric = (f"CASE WHEN {STATE_COLUMN} IS NULL THEN {metric} ELSE "
                      f"concat({metric}, {literal(AT)}, CAST({STATE_COLUMN} AS VARCHAR)) END")
    columns = [
        f"{ident('timestamp')} AS ts",
        "CAST(account AS VARCHAR) AS account",
        "skill" if has_skill else "CAST(NULL AS BIGINT) AS skill",
        "agent" if has_agent else "CAST(NULL AS BIGINT) AS agent",
        f"{metric} AS metric",
        f"{ident(measure(level))} AS value",
        f"{ident('start')} AS start_at",
        "fetched_at",
        "complete",
        *(f"{ident(d)}" if d != BUCKET_COLUMN else f"CAST({ident(d)} AS BIGINT) AS {ident(d)}"
          for d in scan.dimensions),
    ]
    return (f"SELECT {', '.join(columns)} FROM {source}"
            + (f" WHERE {' AND '.join(where)}" if where else ""))


class DuckDBEngine:
    """DuckDB, in-process: reads the partition files as they are, spills to disk if it must.

    The scan verifies each file against the SHA-256 its writer recorded before the engine
    reads it (:func:`engframe.scan`'s ``verify``); parquet's page checksums, which DuckDB does
    not read, are covered by it.
    """

    name = "duckdb"

    def __init__(self, connection: Any = None) -> None:
        import duckdb

        self.connection = duckdb.connect() if connection is None else connection

    def facts(self, scan: Scan, level: str) -> str:
        files = scan.files(level)
        name = relation_name(level)
        listed = "[" + ", ".join(literal(str(f)) for f in files) + "]"
        sql = select_facts(scan, level, stamp=self.stamp, source=f"read_parquet({listed})")
        self.connection.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {sql}")
        return name

    def register(self, name: str, frame: pd.DataFrame) -> str:
        self.connection.register(name, frame)
        return name

    def query(self, sql: str) -> pa.Table:
        relation = self.connection.sql(sql)
        # DuckDB 1.4 named it to_arrow_table; earlier releases, fetch_arrow_table
        fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        out: pa.Table = fetch()
        return out

    def ms(self, expression: str) -> str:
        return f"epoch_ms({expression})"

    def stamp(self, ms: int) -> str:
        return f"make_timestamptz({int(ms) * 1000})"


def engine_for(engine: Any) -> Engine:
    """The engine to compute on: DuckDB unless a Spark session (or a DuckDB connection) is given.

    Raises
    ------
    OptionError
        If ``engine`` is of no kind engframe runs on.
    """
    if engine is None or engine == "duckdb":
        return DuckDBEngine()
    if isinstance(engine, DuckDBEngine):
        return engine
    kind = type(engine).__module__.split(".")[0]
    if kind == "duckdb":
        return DuckDBEngine(engine)
    if kind == "pyspark":
        from engframe.lazy._spark import SparkEngine

        return SparkEngine(engine)
    if hasattr(engine, "facts") and hasattr(engine, "query") and hasattr(engine, "register"):
        return engine  # type: ignore[no-any-return]
    raise OptionError(f"scan: engine={engine!r}; expected None or 'duckdb', a DuckDB "
                      "connection, or a pyspark SparkSession")
