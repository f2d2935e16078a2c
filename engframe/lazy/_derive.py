"""``derive`` on a history, out of core: the sums in SQL where the facts are, the rest small.

The plan, for ``derive(scan, by=..., metrics=...)``:

1. the level and span are chosen by the in-memory rules (:func:`engframe.derive.select`),
   from which level tables hold facts under the scan's filters;
2. when ``by`` names a calendar grain or a metric needs :data:`~engframe.derive.HOURS`, the
   distinct periods of every level (account, end, start, fetch time) are read: a few per
   period, however many facts. ``engframe.derive`` itself computes on them the hour or day
   of each period (refusing periods that straddle one) and the hours each group spans, so
   those rules have one implementation;
3. with ``by`` naming skill, agent or team names, the history's name tables are joined to
   the distinct ids (:func:`engframe.read_dataset` does the same join);
4. one SQL query (:mod:`engframe.lazy._sql`) sums every component per group, joins the
   hours and evaluates the formulas: ratios of sums, divided last;
5. the small result is shaped as the in-memory ``derive`` shapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from engframe.derive import HOURS, PERIOD_KEYS, Formula
from engframe.derive import derive as derive_frame
from engframe.derive._attrs import derived_attrs
from engframe.derive._core import _check_by, _check_tz, check_present
from engframe.derive._kinds import (
    Plan,
    belongs,
    default_formulas,
    integer_formula,
    plan_with,
    resolve_metric,
    stack_methods,
    time_unit_of,
    usable_in,
    warn_kept,
    without_sums_in,
)
from engframe.derive._long import long_frame, one_method
from engframe.derive._select import DESCRIBES, choose_level, choose_span
from engframe.derive._states import state_formulas, states_mode, within_states
from engframe.errors import FrameError, MetricError, OptionError
from engframe.history._names_join import join_history_names
from engframe.history._read import history_attrs
from engframe.lazy._engine import Engine, relation_name
from engframe.lazy._scan import HISTORY_COLUMNS, Scan
from engframe.lazy._sql import aggregate_sql, formula_sql, ident, literal, number
from engframe.methods import METHODS, Kind, Metric
from engframe.names import NAME_COLUMNS
from engframe.schema import (
    BUCKET_COLUMN,
    DIMENSION_COLUMNS,
    LEVEL_CODE,
    LEVELS,
    NAT_MS,
    REASON_COLUMN,
    SPANS,
    STATE_COLUMN,
    build_frame,
    epoch_ms,
    utc_stamps,
)

__all__ = ["coverage_frame", "derive_history", "present_levels"]

#: A metric the period frame holds (value 0), for a derive that only asks for the grains.
_MARK: Final = "_period"
_MARK_FORMULA: Final = Formula("_period", {_MARK: 1.0})
_HOURS_FORMULA: Final = Formula("_hours", {HOURS: 1.0})
_GRAINS: Final = ("day", "hour")
#: The columns of ``derive``'s checks: a history's, and the names it can join (and the
#: dimensions of the methods a scan holds, see :func:`_shape`).
_SHAPE: Final = (*HISTORY_COLUMNS, *NAME_COLUMNS)
#: How each ``by`` key reads from the facts' relation (``f``), when it is a column there.
_FACT_KEYS: Final = {"skill": "f.skill", "agent": "f.agent", "account": "f.account",
                     "timestamp": "f.ts", "start": "f.start_at", "fetched_at": "f.fetched_at",
                     "complete": "f.complete", STATE_COLUMN: f"f.{STATE_COLUMN}",
                     REASON_COLUMN: f"f.{REASON_COLUMN}", BUCKET_COLUMN: f"f.{BUCKET_COLUMN}"}
#: ``by`` keys that are times: grouped on as timestamps, returned as epoch ms.
_TIME_KEYS: Final = ("timestamp", "start", "fetched_at")


@dataclass
class _Relations:
    """The scan's level tables registered on an engine, and which hold facts."""

    engine: Engine
    names: dict[str, str]  # level -> relation
    present: list[str]


def present_levels(engine: Engine, scan: Scan) -> _Relations:
    """Register every level table the scan can read; find those holding a fact."""
    names = {level: engine.facts(scan, level) for level in scan.levels()}
    if not names:
        return _Relations(engine, names, [])
    probes = " UNION ALL ".join(
        f"SELECT {LEVEL_CODE[level]} AS level FROM "
        f"(SELECT 1 AS one FROM {ident(name)} LIMIT 1) AS {ident('p_' + level)}"
        for level, name in names.items())
    codes = set(engine.query(probes).column("level").to_pylist())
    return _Relations(engine, names, [lv for lv in LEVELS if LEVEL_CODE[lv] in codes])


def coverage_frame(relations: _Relations, scan: Scan, *, complete: bool) -> pd.DataFrame:
    """The distinct periods of every level as a tidy frame (metric ``_period``, value 0).

    One row per distinct (level, account, end, start, fetch time, and ``complete`` when
    asked): what :func:`engframe.derive` reads to tell a period's span, hour and day, and
    its hours. A few rows per period, however many facts.
    """
    engine = relations.engine
    flag = ", complete" if complete else ""
    parts = " UNION ALL ".join(
        f"SELECT {LEVEL_CODE[level]} AS level, account, {engine.ms('ts')} AS ts, "
        f"{engine.ms('start_at')} AS start_ms, {engine.ms('fetched_at')} AS fetched_ms{flag} "
        f"FROM (SELECT account, ts, start_at, fetched_at{flag} "
        f"FROM {ident(relations.names[level])} "
        f"GROUP BY account, ts, start_at, fetched_at{flag}) AS {ident('d_' + level)}"
        for level in relations.present)
    table = engine.query(f"SELECT * FROM ({parts}) AS periods "
                         "ORDER BY level, account, ts, fetched_ms, start_ms NULLS FIRST")
    n = table.num_rows
    frame = build_frame(
        timestamp_ms=_ms(table.column("ts")), skill=np.zeros(n, np.int64),
        agent=np.zeros(n, np.int64), metric_codes=np.zeros(n, np.int8), metrics=[_MARK],
        value=np.zeros(n, np.int64),
        level_codes=table.column("level").to_numpy().astype(np.int8),
        span_codes=np.full(n, SPANS.index(scan.span), np.int8))
    frame["account"] = pd.Categorical(table.column("account").to_pandas())
    frame["fetched_at"] = _stamps(_ms(table.column("fetched_ms")))
    frame["start"] = _stamps(_ms(table.column("start_ms")))
    frame["complete"] = (table.column("complete").to_numpy(zero_copy_only=False).astype(bool)
                         if complete else np.ones(n, bool))
    frame.attrs.update(history_attrs(scan.manifest, scan.root, [scan.current]))
    return frame


def _ms(column: pa.ChunkedArray) -> np.ndarray:
    ms: np.ndarray = column.cast(pa.int64()).fill_null(NAT_MS).to_numpy().astype(
        np.int64, copy=False)
    return ms


def _stamps(ms: np.ndarray) -> Any:
    from engframe.schema import utc_stamps

    return utc_stamps(ms).array


def _probe(levels: list[str], *, span: str = "interval") -> pd.DataFrame:
    """A frame with one row per level present (an interval row; a whole-timeframe one for a
    method stored per window): what the level rules look at."""
    n = len(levels)
    return build_frame(
        timestamp_ms=np.zeros(n, np.int64), skill=np.zeros(n, np.int64),
        agent=np.zeros(n, np.int64), metric_codes=np.zeros(n, np.int8), metrics=[_MARK],
        value=np.zeros(n, np.int64),
        level_codes=np.array([LEVEL_CODE[lv] for lv in levels], np.int8),
        span_codes=np.full(n, SPANS.index(span), np.int8))


def _scaled(sql: str, factor: float) -> str:
    """``sql`` times ``factor`` (durations read in milliseconds), or as it is."""
    return sql if factor == 1.0 else f"({sql} * {number(factor)})"


@dataclass
class _Key:
    """One ``by`` key: its SQL expression, and how its values come back to pandas."""

    name: str
    sql: str
    values: Any = None  # for keys computed in pandas: the values, indexed by the SQL's codes


def derive_history(
    scan: Scan,
    *,
    metrics: Sequence[str | Formula] | None,
    by: str | Sequence[str],
    level: str | None,
    span: str | None,
    tz: str,
    components: bool,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """:func:`engframe.derive` of the facts ``scan`` keeps, computed where they are.

    Every rule of the in-memory ``derive`` holds, the kinds of :mod:`engframe.methods`
    included: a history of several methods is derived method by method, each formula in
    the methods it belongs to, and stacked as ``derive`` stacks a frame of several methods
    (metric by metric, method by method, then the keys).
    """
    where = "derive"
    methods = scan.methods() or [scan.current]
    keys = _check_by(by, _shape(scan, methods, by), where=where)
    _check_tz(tz, where=where)
    seconds = time_unit_of(pd.DataFrame(), time_unit, where=where)
    _check_dimensions(scan, methods, keys, where=where)
    engine = scan.runner()
    scans = {m: _as_derived(scan.one(m), keys) for m in methods}
    facts = {m: present_levels(engine, scans[m]) for m in methods}
    present = {m: _present_metrics(facts[m]) for m in methods}
    fractional = {m: _fractional(facts[m], scans[m]) for m in methods}
    everywhere = set().union(*present.values())
    # agentactivity alone: its formulas read as derive reads them (engframe.derive._states)
    mode = scans[methods[0]].states if len(methods) == 1 else None
    resolved = ([resolve_metric(m, where=where, methods=methods) for m in metrics]
                if metrics is not None else default_formulas(methods))
    if mode is not None:
        resolved = state_formulas(within_states(resolved, keys, asked=metrics is not None,
                                                where=where), mode)
    formulas = without_sums_in(everywhere, resolved if metrics is not None
                               else usable_in(everywhere, resolved))
    names = [f.name for f in formulas]
    if len(set(names)) != len(names):
        raise MetricError(f"{where}: metrics= names a metric twice: {names!r}")
    broken = set().union(*fractional.values())
    plan = plan_with(formulas, methods, integral=lambda name: name not in broken,
                     seconds_per_unit=seconds, where=where)
    needed = list(dict.fromkeys(c for f in plan.summed for c in f.components if c != HOURS))
    wants_hours = any(HOURS in f.components for f in plan.summed)
    several = len(methods) > 1
    integer = not several and scan.one(methods[0]).values.startswith(("int", "uint"))
    whole = None if integer else everywhere - broken
    attrs = derived_attrs(
        history_attrs(scan.manifest, scan.root, scan.methods() or None), formulas,
        components=[c for c in [*needed, HOURS] if components and c not in names
                    and (c != HOURS or wants_hours)],
        integer_input=integer,
        whole=[f.name for f in formulas if f.name not in plan.kept
               and integer_formula(f, whole)], whole_components=whole)
    if not several:
        return _derive_one(scans[methods[0]], facts[methods[0]], formulas, plan, keys,
                           level=level, span=span, tz=tz, components=components,
                           attrs=attrs, present=present[methods[0]], where=where)
    parts = []
    for method in methods:
        mine = [f for f in formulas
                if belongs(f, plan.homes.get(f.name), method, present[method])]
        if not mine or not facts[method].present:
            continue
        try:
            part = _derive_one(scans[method], facts[method], mine, plan, keys, level=level,
                               span=span, tz=tz, components=components, attrs=attrs,
                               present=present[method], where=where)
        except (FrameError, OptionError) as error:  # say which method's facts it was, as
            text = str(error).removeprefix("derive: ")  # derive does for a frame
            raise type(error)(
                f"derive: {method}: {text} (the frame holds several methods: derive them "
                "apart, engframe.read_dataset(..., method=...), or ask for metrics= of the "
                "others)") from None
        parts.append((method, part))
    if not parts:
        return _derive_one(scans[methods[0]], facts[methods[0]], formulas, plan, keys,
                           level=level, span=span, tz=tz, components=components, attrs=attrs,
                           present=present[methods[0]], where=where)
    return stack_methods(parts, names, methods, attrs)


def _shape(scan: Scan, methods: list[str], by: str | Sequence[str] | None) -> pd.DataFrame:
    """An empty frame with the columns ``by`` may name: a history's, the names it can join,
    and the dimensions (state, reason, bucket) of any of ``methods``, or that ``by`` names
    (refused by :func:`_check_dimensions`, naming the methods that have them)."""
    named = [by] if isinstance(by, str) else list(by or [])
    held = {d for m in methods for d in scan.one(m).dimensions} | set(named)
    return pd.DataFrame(columns=[*_SHAPE, *(d for d in DIMENSION_COLUMNS if d in held)])


def _as_derived(scan: Scan, keys: list[str]) -> Scan:
    """The scan of one method, agentactivity's states read as ``derive`` reads them."""
    return replace(scan, states=states_mode(keys)) if STATE_COLUMN in scan.dimensions else scan


def _check_dimensions(scan: Scan, methods: list[str], keys: list[str], *, where: str) -> None:
    """Refuse a ``by`` dimension (state, reason, bucket) the methods' facts do not have."""
    for key in (k for k in keys if k in DIMENSION_COLUMNS):
        lacking = [m for m in methods if key not in scan.one(m).dimensions]
        if lacking:
            holders = [m for m, found in METHODS.items() if key in found.dimensions]
            raise OptionError(
                f"{where}: by= holds {key!r}, which {', '.join(lacking)}'s facts do not have "
                f"(only {', '.join(holders)}'s do"
                + ("; derive a method on its own: engframe.scan(root, method=...))"
                   if len(methods) > 1 else ")"))


def _present_metrics(relations: _Relations) -> set[str]:
    """The metric names the level tables hold."""
    if not relations.present:
        return set()
    union = " UNION ALL ".join(f"SELECT DISTINCT metric FROM {ident(relations.names[lv])}"
                               for lv in relations.present)
    return set(relations.engine.query(f"SELECT DISTINCT metric FROM ({union}) AS m")
               .column("metric").to_pylist())


def _fractional(relations: _Relations, scan: Scan) -> set[str]:
    """The metrics holding a value with a fraction (none in an integer history)."""
    if not relations.present or scan.values.startswith(("int", "uint")):
        return set()
    union = " UNION ALL ".join(
        f"SELECT DISTINCT metric FROM {ident(relations.names[lv])} WHERE value <> floor(value)"
        for lv in relations.present)
    return set(relations.engine.query(f"SELECT DISTINCT metric FROM ({union}) AS m")
               .column("metric").to_pylist())


def _derive_one(scan: Scan, relations: _Relations, formulas: list[Formula], plan: Plan,
                keys: list[str], *, level: str | None, span: str | None, tz: str,
                components: bool, attrs: dict[Any, Any], present: set[str],
                where: str) -> pd.DataFrame:
    """:func:`derive_history` of one method's tables."""
    names = [f.name for f in formulas]
    summed = [f for f in formulas if f.name not in plan.kept]
    kept = [f.name for f in formulas if f.name in plan.kept]
    needed = list(dict.fromkeys(c for f in summed for c in f.components if c != HOURS))
    wants_hours = any(HOURS in f.components for f in summed)
    probe = _probe(relations.present, span=scan.span)
    chosen_level = choose_level(probe, by=keys, level=level, where=where)
    chosen_span = choose_span(probe, by=keys, span=span, where=where)
    method = scan.current
    if not relations.present:  # an empty history: nothing to derive, as for an empty frame
        return long_frame({f.name: np.zeros(0) for f in formulas}, keys=keys,
                          key_values=[pd.Series([], dtype=object) for _ in keys],
                          end=np.zeros(0, np.int64), start=np.zeros(0, np.int64),
                          level=chosen_level, span=chosen_span, attrs=attrs,
                          method=one_method(0, method if scan.manifest is not None else None))
    check_present(present, formulas, where=where,
                  derived=[f.name for f in default_formulas([method])])
    stored_span = scan.span
    has_rows = chosen_level in relations.present and chosen_span == stored_span
    periods = None
    if wants_hours or set(keys) & set(_GRAINS):
        periods = coverage_frame(relations, scan, complete="complete" in keys)

    def refusing(compute: Any, *args: Any, **kwargs: Any) -> Any:
        return compute(*args, **kwargs)  # missing components were refused first, as above

    joins, sql_keys = _key_sql(relations, scan, keys, level=chosen_level, has_rows=has_rows,
                               periods=periods, tz=tz, refusing=refusing)
    period_keys = [k for k in keys if k in PERIOD_KEYS]
    hours = None
    if wants_hours and periods is not None:
        found = refusing(derive_frame, periods, metrics=[_HOURS_FORMULA], by=period_keys,
                         level=chosen_level, span=chosen_span, tz=tz)
        hours = _register_hours(relations.engine, found, period_keys)
    source = (ident(relations.names[chosen_level]) if has_rows else  # else: no facts
              f"(SELECT * FROM {ident(relations.names[relations.present[0]])} WHERE FALSE)")
    result = relations.engine.query(_query(
        relations.engine, source, joins, sql_keys, needed, summed, hours=hours,
        period_keys=period_keys, wants_hours=wants_hours, factors=plan.factors,
        kept=[(name, *plan.kept[name]) for name in kept]))
    values: dict[str, np.ndarray] = {}
    n = result.num_rows
    for f in formulas:
        if f.name in plan.kept:
            j = kept.index(f.name)
            count = result.column(f"kn{j}").to_numpy().astype(np.int64) if n else np.zeros(0)
            value = _floats(result.column(f"kv{j}")) if n else np.zeros(0)
            series = result.column(f"ks{j}").to_numpy().astype(np.int64) if n else np.zeros(0)
            chosen = _floats(result.column(f"kx{j}")) if n else np.zeros(0)
            kind, _ = plan.kept[f.name]
            # one value; else, of one series, its extreme or its latest value now (by kind)
            out = np.where(count == 1, value, np.where(series == 1, chosen, np.nan))
            warn_kept(f.name, kind, int(((count > 1) & np.isnan(out)).sum()), n,
                      where=where, stacklevel=6)
            values[f.name] = out
        else:
            values[f.name] = _floats(result.column(f"m{summed.index(f)}"))
    return _shaped(result, values, needed, sql_keys, keys=keys, components=components,
                   wants_hours=wants_hours, level=chosen_level, span=chosen_span,
                   attrs=attrs, names=names, method=method)


def _key_sql(relations: _Relations, scan: Scan, keys: list[str], *, level: str,
             has_rows: bool, periods: pd.DataFrame | None, tz: str,
             refusing: Any) -> tuple[list[str], list[_Key]]:
    """The joins the ``by`` keys need (grains, names) and each key's SQL expression."""
    engine = relations.engine
    joins: list[str] = []
    named = [k for k in keys if k in NAME_COLUMNS]
    dims = _name_dimensions(relations, scan, level, named) if named and has_rows else {}
    for side in dims:
        joins.append(f"LEFT JOIN {ident(dims[side][0])} AS d_{side} ON f.account = "
                     f"d_{side}.account AND f.{side} = d_{side}.{side}")
    sql_keys: list[_Key] = []
    for position, key in enumerate(keys):
        if key in _FACT_KEYS:
            sql_keys.append(_Key(key, _FACT_KEYS[key]))
        elif key in _GRAINS:
            alias = f"j{position}"
            labels = (refusing(_grain_labels, periods, key, level, tz, scan.span)
                      if has_rows else None)
            joins.append(f"LEFT JOIN {ident(_register_labels(engine, labels, key))} AS {alias} "
                         f"ON f.ts = {alias}.ts")
            sql_keys.append(_Key(key, f"{alias}.code", labels))
        elif DESCRIBES[key] in dims:
            side = DESCRIBES[key]
            sql_keys.append(_Key(key, f"d_{side}.{ident(key)}", dims[side][1][key]))
        else:  # no facts at the level: no names either
            sql_keys.append(_Key(key, "CAST(NULL AS BIGINT)"))
    return joins, sql_keys


def _shaped(result: pa.Table, values: dict[str, np.ndarray], needed: list[str],
            sql_keys: list[_Key], *, keys: list[str], components: bool, wants_hours: bool,
            level: str, span: str, attrs: dict[Any, Any], names: list[str],
            method: str | None) -> pd.DataFrame:
    """The query's result as the in-memory ``derive`` shapes it."""
    n = result.num_rows
    if components:
        for j, c in enumerate(needed):
            if c not in values:
                values[c] = _floats(result.column(f"c{j}"))
        if wants_hours and HOURS not in values:
            values[HOURS] = _floats(result.column("hours"))
    key_values = [_key_values(result.column(f"k{i}"), key) for i, key in enumerate(sql_keys)]
    return long_frame(values, keys=keys, key_values=key_values,
                      end=_ms(result.column("end_ms")) if n else np.zeros(0, np.int64),
                      start=_ms(result.column("first_ms")) if n else np.zeros(0, np.int64),
                      level=level, span=span, attrs=attrs, method=one_method(n, method))


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    floats: np.ndarray = column.cast(pa.float64()).fill_null(np.nan).to_numpy()
    return floats


def _grain_labels(periods: pd.DataFrame | None, grain: str, level: str,
                  tz: str, span: str = "interval") -> pd.DataFrame:
    """Each period end's hour or day: columns ``ts`` (epoch ms) and ``grain``.

    Computed by ``engframe.derive`` on the periods, which refuses periods that straddle
    an hour (a day), as it does on a frame.
    """
    assert periods is not None
    labelled = derive_frame(periods, metrics=[_MARK_FORMULA], by=["timestamp", grain],
                            level=level, span=span, tz=tz)
    return pd.DataFrame({"ts": epoch_ms(labelled["timestamp"]), grain: labelled[grain]})


def _register_labels(engine: Engine, labels: pd.DataFrame | None, grain: str) -> str:
    """A table of (period end, its label as epoch ms) on the engine."""
    ends = np.zeros(0, np.int64) if labels is None else labels["ts"].to_numpy(np.int64)
    codes = np.zeros(0, np.int64) if labels is None else epoch_ms(labels[grain])
    frame = pd.DataFrame({"ts": utc_stamps(ends), "code": codes})
    return engine.register(relation_name(grain), frame)


def _name_dimensions(relations: _Relations, scan: Scan, level: str,
                     named: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The name columns ``by`` asks for, joined to the level's distinct ids in pandas.

    The history's names are joined as ``read_dataset(root, names=True)`` joins them. Returns,
    per id (``skill``, ``agent``), the engine's table of (account, id, one column per name
    key: the category code of a name, the id of a group) and, per name key, the
    categorical its codes index (``None`` for ``agent_group``, an id).
    """
    engine = relations.engine
    ids = engine.query(f"SELECT DISTINCT account, skill, agent FROM "
                       f"{ident(relations.names[level])}")
    n = ids.num_rows
    frame = build_frame(
        timestamp_ms=np.zeros(n, np.int64),
        skill=ids.column("skill").fill_null(0).to_numpy().astype(np.int64),
        agent=ids.column("agent").fill_null(0).to_numpy().astype(np.int64),
        metric_codes=np.zeros(n, np.int8), metrics=[_MARK], value=np.zeros(n, np.int64),
        level_codes=np.full(n, LEVEL_CODE[level], np.int8), span_codes=np.zeros(n, np.int8))
    frame["account"] = pd.Categorical(ids.column("account").to_pandas())
    with_names = join_history_names(frame, scan.root, stacklevel=6)
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for side in ("skill", "agent"):
        mine = [k for k in named if DESCRIBES[k] == side]
        if not mine:
            continue
        table: dict[str, Any] = {"account": frame["account"].astype(str).to_numpy(),
                                 side: frame[side].astype("Int64").array}
        values: dict[str, Any] = {}
        for key in mine:
            column = with_names[key]
            if isinstance(column.dtype, pd.CategoricalDtype):
                table[key] = np.asarray(column.cat.codes, np.int64)
                values[key] = column.array
            else:
                table[key] = column.astype("Int64").array
                values[key] = None
        out[side] = (engine.register(relation_name("names"), pd.DataFrame(table)), values)
    return out


def _register_hours(engine: Engine, hours: pd.DataFrame, period_keys: list[str]) -> str:
    """The hours of each combination of period keys, keyed as the query's groups are."""
    table: dict[str, Any] = {key: _as_sql_values(hours, key) for key in period_keys}
    table["hours"] = hours["value"].to_numpy(np.float64)
    return engine.register(relation_name("hours"), pd.DataFrame(table))


def _as_sql_values(frame: pd.DataFrame, key: str) -> Any:
    """A key column of a derived frame as the SQL relation holds it (times as epoch ms)."""
    column = frame[key]
    if key == "account":
        return column.astype(str).to_numpy()
    if key == "complete":
        return column.to_numpy(bool)
    if key in _GRAINS or key in ("timestamp", "start", "fetched_at"):
        ms = epoch_ms(column)
        return pd.arrays.IntegerArray(np.where(ms == NAT_MS, 0, ms), ms == NAT_MS)
    return column.to_numpy()


def _query(engine: Engine, source: str, joins: list[str], keys: list[_Key], needed: list[str],
           formulas: list[Formula], *, hours: str | None, period_keys: list[str],
           wants_hours: bool, factors: dict[str, float] | None = None,
           kept: list[tuple[str, Kind, Metric | None]] | None = None) -> str:
    """The one query: per group, the extremes of time, the summed components, the formulas."""
    raw = [f"r{i}" for i in range(len(keys))]
    key_names = [f"k{i}" for i in range(len(keys))]
    rows = ", ".join(["f.*", *(f"{k.sql} AS {ident(r)}" for k, r in zip(keys, raw,
                                                                       strict=True))])
    factors = factors or {}
    sums = [f"{_scaled(aggregate_sql(c), factors.get(c, 1.0))} AS {ident(f'c{j}')}"
            for j, c in enumerate(needed)]
    # a metric that never adds up: its value where a group holds one; of one series, its
    # extreme or its latest value now, by kind (see derive's kinds); "no data" is no value
    sums += [_kept_sql(j, *rule) for j, rule in enumerate(kept or [])]
    counts = [f"count(*) FILTER (WHERE metric = {literal(c)}) AS {ident(f'n{j}')}"
              for j, c in enumerate(needed)]
    outputs = [f"{engine.ms(ident(r)) if k.name in _TIME_KEYS else ident(r)} AS {ident(n)}"
               for k, r, n in zip(keys, raw, key_names, strict=True)]
    selected = [*outputs, f"{engine.ms('max(ts)')} AS end_ms",
                f"{engine.ms('min(start_at)')} AS first_ms", *sums, *counts]
    grouped = (f"SELECT {', '.join(selected)} FROM keyed"
               + (f" GROUP BY {', '.join(map(ident, raw))}" if raw else ""))
    column = {c: f"g.{ident(f'c{j}')}" for j, c in enumerate(needed)}
    column[HOURS] = "h.hours" if hours is not None else "CAST(NULL AS DOUBLE)"
    evaluated = [f"{formula_sql(f, column=column.__getitem__)} AS {ident(f'm{i}')}"
                 for i, f in enumerate(formulas)]
    join = ""
    if hours is not None:
        on = [f"g.{ident(key_names[[k.name for k in keys].index(p)])} IS NOT DISTINCT FROM "
              f"h.{ident(p)}" for p in period_keys]
        join = f" LEFT JOIN {ident(hours)} AS h ON {' AND '.join(on) or 'TRUE'}"
    order = ", ".join(f"g.{ident(n)} ASC NULLS FIRST" for n in key_names)
    hours_column = ["h.hours AS hours"] if hours is not None else (
        ["CAST(NULL AS DOUBLE) AS hours"] if wants_hours else [])
    return (f"WITH keyed AS (SELECT {rows} FROM {source} AS f {' '.join(joins)}), "
            f"g AS ({grouped}) "
            f"SELECT {', '.join(['g.*', *hours_column, *evaluated])} FROM g{join}"
            + (f" ORDER BY {order}" if key_names else ""))


def _kept_sql(j: int, name: str, kind: Kind, metric: Metric | None) -> str:
    """The aggregates of kept metric ``name`` (``kn``: values, ``kv``: one of them, ``ks``:
    series, ``kx``: the kind's choice among one series' values)."""
    held = f"metric = {literal(name)}"
    if metric is not None and metric.no_data is not None:
        held += f" AND value <> {number(float(metric.no_data))}"
    series = ("concat_ws('|', account, coalesce(CAST(skill AS VARCHAR), ''), "
              "coalesce(CAST(agent AS VARCHAR), ''))")
    if kind == Kind.EXTREME and metric is not None and metric.direction is not None:
        choice = f"{metric.direction}(value)"
    elif kind == Kind.SNAPSHOT:
        choice = "arg_max(value, ts)"
    else:
        choice = None
    chosen = ("CAST(NULL AS DOUBLE)" if choice is None
              else f"{choice} FILTER (WHERE {held})")
    return (f"count(*) FILTER (WHERE {held}) AS {ident(f'kn{j}')}, "
            f"max(value) FILTER (WHERE {held}) AS {ident(f'kv{j}')}, "
            f"count(DISTINCT {series}) FILTER (WHERE {held}) AS {ident(f'ks{j}')}, "
            f"{chosen} AS {ident(f'kx{j}')}")


def _check_present(relations: _Relations, needed: list[str], formulas: list[Formula]) -> None:
    """Refuse the ``needed`` components that no level holds, as ``derive`` refuses them."""
    if not needed or not relations.present:
        return
    union = " UNION ALL ".join(f"SELECT DISTINCT metric FROM {ident(relations.names[lv])}"
                               for lv in relations.present)
    present = set(relations.engine.query(f"SELECT DISTINCT metric FROM ({union}) AS m")
                  .column("metric").to_pylist())
    check_present(present, formulas, where="derive")


def _key_values(column: pa.ChunkedArray, key: _Key) -> pd.Series:
    """The values of one key for the result's groups, with the in-memory dtypes."""
    from engframe.schema import TIMESTAMP_DTYPE, utc_stamps

    name = key.name
    if name in ("skill", "agent", "agent_group", BUCKET_COLUMN):
        return pd.Series(column.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
                         .astype("Int64").array)
    if name in ("account", STATE_COLUMN, REASON_COLUMN):
        return pd.Series(pd.Categorical(column.to_pandas()))
    if name in ("timestamp", "start", "fetched_at"):
        return pd.Series(utc_stamps(_ms(column)), dtype=TIMESTAMP_DTYPE)
    if name == "complete":
        return pd.Series(column.to_numpy(zero_copy_only=False).astype(bool))
    if name in _GRAINS:
        labels = key.values
        ms = _ms(column)
        if labels is None or not len(labels):
            return pd.Series(pd.DatetimeIndex(utc_stamps(ms)))
        known = epoch_ms(labels[name])
        order = np.argsort(known, kind="stable")
        at = order[np.searchsorted(known[order], ms)]
        return pd.Series(labels[name].array.take(at)).reset_index(drop=True)
    # a name column: codes into the categories the names join gave
    codes = column.fill_null(-1).to_numpy().astype(np.int64)
    values = key.values
    if values is None:
        return pd.Series(pd.array(np.where(codes < 0, 0, codes), "Int64")).where(codes >= 0)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=values.dtype))
