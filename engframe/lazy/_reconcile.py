"""``reconcile`` on a history, out of core: each relation's sums per check in SQL.

A history holds one fact per series and period, so a check compares the stored facts of
one period of one account (never one fetch): per relation of :data:`engframe.scope.RELATIONS`
the request scope implies, the parts' and the whole's values are summed per (account,
period end, key, metric) where the files are, and the small table of checks is given the
in-memory ``reconcile``'s columns, tolerances, statuses and reasons (the rounding model of
:mod:`engframe.reconcile`). Checks come sorted by relation, account, period end, skill,
agent and metric name, and are computed a few weeks of periods at a time
(:data:`CHUNK_DAYS`), so the engine's memory does not grow with the history.
Whole-timeframe rows are not facts, so ``intervals_vs_timeframe`` has nothing to check.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engframe.errors import FrameError, OptionError
from engframe.history._read import history_attrs
from engframe.lazy._derive import _Relations, present_levels
from engframe.lazy._engine import Engine
from engframe.lazy._scan import Scan
from engframe.lazy._sql import ident, literal
from engframe.methods import ADDITIVE, METHODS, Kind, kind_of
from engframe.reconcile import (
    REASONS,
    ROUNDED_METRICS,
    ROUNDINGS,
    STATUSES,
)
from engframe.reconcile import reconcile as reconcile_frame
from engframe.reconcile._checks import _rounding_bounds, empty_checks
from engframe.schema import (
    LEVELS,
    METHOD_COLUMN,
    METRICS,
    SPANS,
    TIMESTAMP_DTYPE,
    categorical,
    concat_frames,
    utc_stamps,
)
from engframe.scope import NOT_IMPLIED, RELATIONS, Relation, Scope, implication, request_of

__all__ = ["reconcile_history"]

_EXACT, _ROUNDING, _OVER, _SHORT, _RECOMPUTED = range(len(REASONS))
#: The id a relation's checks are keyed by, besides the period end.
_ID_KEYS: Final = ("skill", "agent")


def _metric_order(names: Iterable[str]) -> list[str]:
    """Metric names as a history's frame orders them: the documented five first."""
    found = set(names)
    return [m for m in METRICS if m in found] + sorted(found - set(METRICS))


def _relation_sql(engine: Engine, parts: str, whole: str, ids: list[str], counted: str,
                  accounts: list[str], *, integer: bool) -> str:
    """Per (account, period end, ids, metric): the whole's sum and count, the parts'.

    ``parts`` and ``whole`` are the level relations (SQL), ``counted`` the condition on the
    facts summed (additive metrics, periods of one chunk); only ``accounts`` (those holding
    the whole) are checked, as ``reconcile`` checks the responses holding the reported level.
    Ordered by account, period end, ids and metric name.
    """
    keys = ["account", "ts", *ids, "metric"]
    listed = ", ".join(keys)
    total = "CAST(sum(value) AS BIGINT)" if integer else "sum(value)"  # no 128-bit sums
    side = (f"SELECT {listed}, {total} AS s, count(*) AS n FROM {{}} AS x WHERE {counted} "
            f"GROUP BY {listed}")
    on = " AND ".join(f"w.{k} = p.{k}" for k in keys)
    picked = ", ".join(f"coalesce(w.{k}, p.{k}) AS {k}" for k in keys if k != "ts")
    held = ", ".join(literal(a) for a in accounts) or "NULL"
    return (f"SELECT {picked}, {engine.ms('coalesce(w.ts, p.ts)')} AS ts_ms, "
            "coalesce(w.s, 0) AS reported, coalesce(p.s, 0) AS parts_sum, "
            "coalesce(p.n, 0) AS parts, coalesce(w.n, 0) AS wholes "
            f"FROM ({side.format(whole)}) AS w FULL OUTER JOIN ({side.format(parts)}) AS p "
            f"ON {on} WHERE coalesce(w.account, p.account) IN ({held}) "
            f"ORDER BY {', '.join(['account', 'ts_ms', *ids, 'metric'])}")


#: Checks never span periods, so a long history is checked a few weeks at a time: the
#: engine's memory follows the chunk, not the history.
CHUNK_DAYS: Final = 7
_DAY_MS: Final = 86_400_000


def _chunks(engine: Engine, scan: Scan, whole: str) -> list[str]:
    """Conditions on ``ts`` that split the scan's periods into chunks of a few weeks."""
    table = engine.query(f"SELECT {engine.ms('min(ts)')} AS lo, {engine.ms('max(ts)')} AS hi "
                         f"FROM {whole} AS x")
    lo, hi = table.column("lo")[0].as_py(), table.column("hi")[0].as_py()
    if lo is None:
        return ["TRUE"]
    step = CHUNK_DAYS * _DAY_MS
    first = (int(lo) - 1) // _DAY_MS * _DAY_MS
    bounds = list(range(first, int(hi) + step, step))
    return [f"ts > {engine.stamp(a)} AND ts <= {engine.stamp(b)}"
            for a, b in itertools.pairwise(bounds) if a < int(hi)]


def reconcile_history(
    scan: Scan,
    *,
    rounded: Collection[str] = ROUNDED_METRICS,
    rounding: str = "nearest",
    relations: Iterable[Relation] = RELATIONS,
) -> pd.DataFrame:
    """:func:`engframe.reconcile` of the facts ``scan`` keeps, computed where they are.

    Method by method (each method's tables, each its own scope); the relations among a
    method's metrics (identities, averages against their sums: :mod:`engframe.reconcile`)
    are checked within one metric map, so a few weeks of periods at a time are read and
    checked by the in-memory code itself.
    """
    where = "reconcile"
    if rounding not in ROUNDINGS:
        raise OptionError(f"{where}: rounding={rounding!r}; expected one of "
                          f"{', '.join(map(repr, ROUNDINGS))}")
    methods = scan.methods() or [scan.current]
    chosen = list(relations)
    engine = scan.runner()
    found = {m: present_levels(engine, scan.one(m)) for m in methods}
    # reconcile keeps fetched_at among the columns telling responses apart when every fact
    # of the history (all methods) comes from one fetch
    times = {_single_fetch(engine, f.names, f.present) for f in found.values() if f.present}
    fetched = times.pop() if len(times) == 1 else None
    parts = [_reconcile_one(scan.one(m), found[m], rounded=rounded, rounding=rounding,
                            relations=chosen, where=where, fetched=fetched) for m in methods]
    if len(parts) == 1:
        return parts[0]
    value = np.float64 if any(p["reported"].dtype.kind == "f" for p in parts) else np.int64
    parts = [p.astype({c: value for c in ("reported", "sum_of_parts", "difference")})
             for p in parts]
    return concat_frames(parts)


def _reconcile_one(scan: Scan, found: _Relations, *, rounded: Collection[str],
                   rounding: str, relations: list[Relation], where: str,
                   fetched: int | None) -> pd.DataFrame:
    """:func:`reconcile_history` of one method's tables."""
    engine = found.engine
    method = METHODS.get(scan.current)
    if method is not None and method.layout.name != "sections":
        return _by_chunks(scan, found, rounded=rounded, rounding=rounding,
                          relations=relations, fetched=fetched)
    scope = Scope.of_request(request_of(history_attrs(scan.manifest, scan.root,
                                                      [scan.current])))
    integer = scan.values.startswith(("int", "uint"))
    counted = "TRUE" if integer else _additive(engine, found.names, found.present)
    collected = _Collected(value_dtype=np.int64 if integer else np.float64,
                           span=SPANS.index(scan.span), method=scan.current)
    for relation in relations:
        if relation.parts is None or implication(relation, scope) == NOT_IMPLIED:
            continue  # a history holds no whole-timeframe rows
        if relation.whole not in found.present:
            continue  # only where the reported side is held
        ids: list[str] = [k for k in _ID_KEYS if k in relation.keys]
        whole = ident(found.names[relation.whole])
        parts = (ident(found.names[relation.parts]) if relation.parts in found.present
                 else f"(SELECT * FROM {whole} WHERE FALSE)")
        accounts = engine.query(f"SELECT DISTINCT account FROM {whole} AS x WHERE {counted}"
                                ).column("account").to_pylist()
        for window in _chunks(engine, scan, whole):
            table = engine.query(_relation_sql(engine, parts, whole, ids,
                                               f"{counted} AND {window}", accounts,
                                               integer=integer))
            if table.num_rows and pc.max(table.column("wholes")).as_py() > 1:
                raise FrameError(
                    f"{where}: the history holds a reported total more than once "
                    f"({relation.name}); it is damaged: repair it (engframe.repair_dataset)")
            collected.add(relation, table)
    checks = collected.checks(rounded=rounded, rounding=rounding, fetched=fetched)
    among = _among_metrics(scan, engine, found.names, found.present, list(checks.columns),
                           fetched)
    return checks if among is None else concat_frames([checks, among])


def _by_chunks(scan: Scan, found: _Relations, *, rounded: Collection[str], rounding: str,
               relations: list[Relation], fetched: int | None) -> pd.DataFrame:
    """Reconcile of a method of a shape of its own (queuehealth, agentactivity, sla,
    queuestate), a day of periods at a time, by the in-memory code itself.

    Their relations hold within a period (a level's values against another's, states
    against Logged in, a histogram's running shares), where kinds beyond sums (extremes,
    values now, -1 for no data) are checked as :mod:`engframe.reconcile._shapes` checks
    them; a day of agentactivity of 1000 agents is a few million facts. A method stored
    per fetch window (sla) or per snapshot (queuestate) is read at once: a few values a
    window.
    """
    engine = found.engine
    if not found.present:
        return _empty(np.int64 if scan.values.startswith(("int", "uint")) else np.float64,
                      fetched, scan.current)
    union = " UNION ALL ".join(
        f"SELECT {engine.ms('min(ts)')} AS lo, {engine.ms('max(ts)')} AS hi "
        f"FROM {ident(found.names[lv])} AS x" for lv in found.present)
    bounds = engine.query(f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({union}) AS b")
    lo, hi = bounds.column("lo")[0].as_py(), bounds.column("hi")[0].as_py()
    stored_once = scan.windows or lo is None
    first = 0 if stored_once else (int(lo) - scan.period_ms) // _DAY_MS * _DAY_MS
    edges = [None, None] if stored_once else list(range(first, int(hi) + _DAY_MS, _DAY_MS))
    parts = []
    for a, b in itertools.pairwise(edges):
        part = replace(scan, start_ms=a if scan.start_ms is None else max(a, scan.start_ms),
                       end_ms=b if scan.end_ms is None else min(b, scan.end_ms)) if (
            a is not None and b is not None) else scan
        frame = part.read()
        if not len(frame):
            continue
        checks = reconcile_frame(frame, rounded=rounded, rounding=rounding,
                                 relations=relations)
        checks = checks.drop(columns=["fetched_at"], errors="ignore")
        if fetched is not None:
            checks["fetched_at"] = utc_stamps(np.full(len(checks), fetched, np.int64)).array
        parts.append(checks)
    if not parts:
        return _empty(np.int64 if scan.values.startswith(("int", "uint")) else np.float64,
                      fetched, scan.current)
    return concat_frames(parts)


def _among_metrics(scan: Scan, engine: Engine, names: dict[str, str], present: list[str],
                   columns: list[str], fetched: int | None) -> pd.DataFrame | None:
    """The checks among a method's metrics (identities, averages against their sums).

    Each is within one metric map, so the facts of the metrics involved are read a few
    weeks at a time (a method stored per window at once: its windows cross days) and
    checked by :func:`engframe.reconcile` itself: the same answers as in memory.
    """
    method = METHODS.get(scan.current)
    if method is None or not present:
        return None
    involved = sorted({m for i in method.identities for m in (i.whole, *i.parts)}
                      | {c for m in method.metrics if m.recomputable
                         for c in (m.name, *m.formula().components)})
    if not involved:
        return None
    union = " UNION ALL ".join(
        f"SELECT {engine.ms('min(ts)')} AS lo, {engine.ms('max(ts)')} AS hi "
        f"FROM {ident(names[lv])} AS x" for lv in present)
    bounds = engine.query(f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({union}) AS b")
    lo, hi = bounds.column("lo")[0].as_py(), bounds.column("hi")[0].as_py()
    if lo is None:
        return None
    step = CHUNK_DAYS * _DAY_MS
    first = (int(lo) - scan.period_ms) // _DAY_MS * _DAY_MS
    edges = [None, None] if scan.windows else list(range(first, int(hi) + step, step))
    found = []
    for a, b in itertools.pairwise(edges):
        part = replace(scan, start_ms=a if scan.start_ms is None else max(a, scan.start_ms),
                       end_ms=b if scan.end_ms is None else min(b, scan.end_ms)) if (
            a is not None and b is not None) else scan
        frame = part.read(metrics=involved, columns=["account", "fetched_at"])
        if not len(frame):
            continue
        checks = reconcile_frame(frame, relations=())
        if not len(checks):
            continue
        if fetched is not None:
            checks["fetched_at"] = utc_stamps(np.full(len(checks), fetched, np.int64)).array
        found.append(checks[[c for c in columns if c in checks.columns]])
    return concat_frames(found) if found else None


def _additive(engine: Engine, names: dict[str, str], present: list[str]) -> str:
    """A SQL condition keeping the metrics that add up, by kind (:mod:`engframe.methods`):
    counts and duration totals, and metrics the catalogue does not know holding integers."""
    if not present:
        return "TRUE"
    union = " UNION ALL ".join(f"SELECT DISTINCT metric, value <> floor(value) AS fraction "
                               f"FROM {ident(names[lv])}" for lv in present)
    table = engine.query(f"SELECT metric, max(CAST(fraction AS INTEGER)) AS fraction "
                         f"FROM ({union}) AS m GROUP BY metric")
    averaged = []
    for metric, fraction in zip(table.column("metric").to_pylist(),
                                table.column("fraction").to_pylist(), strict=True):
        kind = kind_of(metric)
        if (kind == Kind.UNKNOWN and fraction) or kind not in (*ADDITIVE, Kind.UNKNOWN):
            averaged.append(metric)
    if not averaged:
        return "TRUE"
    return f"metric NOT IN ({', '.join(literal(m) for m in sorted(averaged))})"


def _single_fetch(engine: Engine, names: dict[str, str], present: list[str]) -> int | None:
    """The fetch time [epoch ms] when every fact of the scan comes from one fetch.

    ``reconcile`` then keeps ``fetched_at`` among the columns that tell responses apart,
    as it does for a frame of one fetch.
    """
    if not present:
        return None
    union = " UNION ALL ".join(
        f"SELECT min(fetched_at) AS lo, max(fetched_at) AS hi FROM {ident(names[lv])}"
        for lv in present)
    table = engine.query(f"SELECT {engine.ms('min(lo)')} AS lo, {engine.ms('max(hi)')} AS hi "
                         f"FROM ({union}) AS f")
    lo, hi = table.column("lo")[0].as_py(), table.column("hi")[0].as_py()
    return int(lo) if lo is not None and lo == hi else None


class _Collected:
    """The checks of every relation and chunk, kept as compact arrays as they come."""

    def __init__(self, *, value_dtype: type, span: int = 0, method: str | None = None) -> None:
        self.value_dtype = value_dtype
        self.method = method
        self.span = span  # the facts' span: whole timeframes for a method stored per window
        self.metrics: list[str] = []
        self.accounts: list[str] = []
        self.parts: dict[str, list[np.ndarray]] = {}

    def _codes(self, column: pa.ChunkedArray, names: list[str]) -> np.ndarray:
        """Codes of a text column into ``names``, which grows with the values first seen."""
        encoded = column.combine_chunks().dictionary_encode()
        for name in encoded.dictionary.to_pylist():
            if name not in names:
                names.append(name)
        lookup = np.array([names.index(n) for n in encoded.dictionary.to_pylist()], np.int32)
        codes: np.ndarray = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
        return codes

    def add(self, relation: Relation, table: pa.Table) -> None:
        n = table.num_rows
        if not n:
            return
        arrays = {
            "relation": np.full(n, [r.name for r in RELATIONS].index(relation.name), np.int8),
            "level": np.full(n, LEVELS.index(relation.whole or ""), np.int8),
            "account": self._codes(table.column("account"), self.accounts),
            "ts": table.column("ts_ms").to_numpy(),
            "metric": self._codes(table.column("metric"), self.metrics),
            "reported": table.column("reported").to_numpy().astype(self.value_dtype),
            "sum_of_parts": table.column("parts_sum").to_numpy().astype(self.value_dtype),
            "parts": table.column("parts").to_numpy().astype(np.int64),
        }
        for name in _ID_KEYS:
            ids = table.column(name) if name in table.column_names else None
            arrays[name] = (np.zeros(n, np.int64) if ids is None
                            else ids.fill_null(0).to_numpy().astype(np.int64))
            arrays[f"{name}_na"] = (np.ones(n, bool) if ids is None
                                    else ids.is_null().to_numpy(zero_copy_only=False))
        for name, array in arrays.items():
            self.parts.setdefault(name, []).append(array)

    def checks(self, *, rounded: Collection[str], rounding: str,
               fetched: int | None) -> pd.DataFrame:
        """The checks as :func:`engframe.reconcile` gives them."""
        if not self.parts:
            return _empty(self.value_dtype, fetched, self.method)
        column = {name: np.concatenate(arrays) for name, arrays in self.parts.items()}
        self.parts.clear()
        metrics = _metric_order(self.metrics)
        metric = np.array([metrics.index(m) for m in self.metrics], np.int32)[column["metric"]]
        accounts = sorted(self.accounts)
        account = np.array([accounts.index(a) for a in self.accounts],
                           np.int32)[column["account"]]
        reported, parts = column["reported"], column["parts"]
        diff = column["sum_of_parts"] - reported
        is_rounded = np.isin(np.asarray(metrics, dtype=object), list(rounded))[metric]
        tolerance, beyond = _rounding_bounds(diff, parts, is_rounded, rounding)
        reason = np.full(len(diff), _EXACT, np.int8)
        reason[(diff != 0) & (beyond == 0)] = _ROUNDING
        reason[(beyond > 0) & (diff > 0)] = _OVER
        reason[(beyond > 0) & (diff < 0)] = _SHORT
        relative = np.full(len(diff), np.nan)
        np.divide(diff, reported, out=relative, where=reported != 0)
        relative[(reported == 0) & (diff == 0)] = 0.0
        n = len(diff)
        out = pd.DataFrame({
            "relation": categorical(column["relation"], [r.name for r in RELATIONS]),
            "level": categorical(column["level"], LEVELS),
            "span": categorical(np.full(n, self.span, np.int8), SPANS),
            "timestamp": utc_stamps(column["ts"]).array,
            "skill": pd.arrays.IntegerArray(column["skill"], column["skill_na"]),
            "agent": pd.arrays.IntegerArray(column["agent"], column["agent_na"]),
            "metric": categorical(metric, metrics),
            "reported": reported,
            "sum_of_parts": column["sum_of_parts"],
            "difference": diff.astype(self.value_dtype, copy=False),
            "relative_difference": relative,
            "parts": parts,
            "tolerance": tolerance,
            "beyond": beyond,
            "status": pd.Categorical.from_codes(np.array([0, 1, 2, 2], np.int8)[reason],
                                                dtype=pd.CategoricalDtype(list(STATUSES),
                                                                          ordered=True)),
            "reason": categorical(reason, REASONS),
            **({} if self.method is None else {
                METHOD_COLUMN: categorical(np.zeros(n, np.int8), [self.method])}),
            "account": categorical(account, accounts),
        }, copy=False)
        if fetched is not None:
            out["fetched_at"] = utc_stamps(np.full(n, fetched, np.int64)).array
        return out


def _empty(value_dtype: type, fetched: int | None, method: str | None = None) -> pd.DataFrame:
    out = empty_checks(value_dtype)
    if method is not None:
        out[METHOD_COLUMN] = pd.Categorical([], categories=[method])
    out["account"] = pd.Categorical([])
    if fetched is not None:
        out["fetched_at"] = pd.Series([], dtype=TIMESTAMP_DTYPE)
    return out
