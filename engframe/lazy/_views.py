"""A DuckDB database of views over a history, for BI tools: facts, names, derived metrics.

``engframe views history/`` (:func:`write_views`) writes ``history/engframe.duckdb``: views
only, no copy of the facts, so the views see every partition ``sync`` adds. Power BI,
Tableau, Superset, DBeaver or a notebook open the file (read-only) and find:

- ``facts_<level>`` (``facts_agent``, ``facts_skill_agent``...): one level table's facts,
  its measure as ``value``, with ``day`` (the UTC day holding the period: the partition's
  ``date``) and ``hour`` (the UTC hour holding it), and the names joined (``skill_name``,
  ``agent_name``, ``agent_group``, ``agent_group_name``) when the history has name tables;
- ``skills``, ``agents``, ``agent_groups``: the name tables;
- ``periods``: each period's clock time in ``hours`` (the most any fact of it covers, as
  :func:`engframe.derive` counts it), with ``day`` and ``hour``;
- ``derived_by_<grain>`` (agent, skill, team, hour, day, agent_day, skill_day, team_day,
  skill_hour): per account and group, every component summed (``totalHandlingTime``...,
  ``hours``) and every built-in derived metric computed from those sums
  (:data:`engframe.derive.DERIVED`, compiled by :mod:`engframe.lazy._sql`): ratios of sums.
  To roll a view up further, sum its components and divide again, never average its ratios.

The other methods a history holds get the same, named by method: ``facts_<method>_<level>``
(with the method's dimension columns: agentactivity's ``state`` and ``reason``, sla's
``bucket``) and ``derived_<method>_by_<grain>`` for the grains its tables hold, each of the
method's derived metrics whose components add up (counts and durations: msgconversation's
handling times per resolution, CSAT, speed of answer, abandonment, utilization...) as a
ratio of sums. agentactivity's are computed over its states' rows as :func:`engframe.derive`
reads them (``chatting@Logged in`` over ``total@Logged in``). Values the API sends as
averages, extremes or snapshots are in the facts views only: they never add up. A method
stored per fetch window (msgcsatdistribution, sla) has no hour or day views, a snapshot
(queuestate) no derived views.

Hour views are left out for grids whose periods straddle an hour (60-minute periods ending
at :30), day views for grids whose periods straddle midnight: engframe does not file such a
period under one hour or the other. Paths in the views are absolute: write the views again
after moving the history.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engframe.derive import DERIVED, HOURS, Formula
from engframe.derive._states import state_formulas
from engframe.errors import OutputError, SourceError
from engframe.history._facts import measure
from engframe.history._grid import Grid
from engframe.history._manifest import Manifest, method_folder, read_manifest
from engframe.history._names_store import name_path
from engframe.history._store import tables
from engframe.lazy._sql import aggregate_sql, formula_sql, ident, literal
from engframe.methods import ADDITIVE, DEFAULT_METHOD, METHODS, Method
from engframe.methods.agentactivity import AT
from engframe.schema import DIMENSION_COLUMNS, LEVEL_HAS, METRICS, REASON_COLUMN, STATE_COLUMN

__all__ = ["VIEWS_FILE", "Views", "write_views"]

#: The database file written beside the history's tables.
VIEWS_FILE: Final = "engframe.duckdb"
_HOUR_MS: Final = 3_600_000
_KINDS: Final = ("skills", "agents", "agent_groups")


@dataclass(frozen=True)
class _Grain:
    """A derived view: the level it reads, and the columns it groups by."""

    name: str
    level: str
    keys: tuple[str, ...]
    needs: tuple[str, ...] = ()  # name tables it needs


_GRAINS: Final = (
    _Grain("agent", "agent", ("agent",)),
    _Grain("skill", "skill", ("skill",)),
    _Grain("team", "agent", ("agent_group", "agent_group_name"), ("agents",)),
    _Grain("hour", "skills_total", ("hour",)),
    _Grain("day", "skills_total", ("day",)),
    _Grain("agent_day", "agent", ("agent", "day")),
    _Grain("skill_day", "skill", ("skill", "day")),
    _Grain("team_day", "agent", ("agent_group", "agent_group_name", "day"), ("agents",)),
    _Grain("skill_hour", "skill", ("skill", "hour")),
)
#: Name columns a grain shows beside its ids (any one row's: a name belongs to its id).
_LABELS: Final = {"agent": "agent_name", "skill": "skill_name"}


@dataclass(frozen=True)
class Views:
    """What :func:`write_views` wrote: the database file and its views, by name."""

    path: Path
    views: tuple[str, ...]
    left_out: tuple[str, ...]


def _fits(grid: Grid, minutes: int) -> bool:
    """Whether every period of ``grid`` lies inside one UTC hour (60) or day (1440)."""
    ends = {(grid.phase_minutes + k * grid.minutes) % minutes for k in range(minutes)}
    return all((end - grid.minutes) % minutes + grid.minutes <= minutes for end in ends)


def _files(root: Path, level: str) -> str:
    files = literal(str(root / level / "*" / "*.parquet"))
    return f"read_parquet({files}, hive_partitioning = true)"


def _facts_view(root: Path, level: str, names: set[str],
                dimensions: tuple[str, ...] = ()) -> str:
    has_skill, has_agent = LEVEL_HAS[level]
    hour = f"make_timestamptz(((epoch_ms(f.timestamp) - 1) // {_HOUR_MS}) * {_HOUR_MS * 1000})"
    columns = ["f.timestamp", "f.date AS day", f"{hour} AS hour", "f.account",
               *(["f.skill"] if has_skill else []), *(["f.agent"] if has_agent else []),
               *(f"f.{ident(d)}" for d in dimensions),
               "f.metric", f"f.{ident(measure(level))} AS value", "f.start", "f.fetched_at",
               "f.complete"]
    joins = []
    if has_skill and "skills" in names:
        columns.append("s.skill_name")
        joins.append("LEFT JOIN skills AS s ON s.account = f.account AND s.skill = f.skill")
    if has_agent and "agents" in names:
        columns += ["a.agent_name", "a.agent_group", "a.agent_group_name"]
        joins.append("LEFT JOIN agents AS a ON a.account = f.account AND a.agent = f.agent")
    return (f"SELECT {', '.join(columns)} FROM {_files(root, level)} AS f "
            + " ".join(joins))


def _periods_view(root: Path, levels: list[str]) -> str:
    union = " UNION ALL ".join(
        f"SELECT account, timestamp, date, start, fetched_at FROM {_files(root, level)}"
        for level in levels)
    cut = "epoch_ms(CASE WHEN fetched_at < timestamp THEN fetched_at ELSE timestamp END)"
    hour = f"make_timestamptz(((epoch_ms(timestamp) - 1) // {_HOUR_MS}) * {_HOUR_MS * 1000})"
    return (f"SELECT account, timestamp, any_value(date) AS day, any_value({hour}) AS hour, "
            f"max(greatest({cut} - epoch_ms(start), 0)) / {float(_HOUR_MS)!r} AS hours "
            f"FROM ({union}) AS p GROUP BY account, timestamp")


def _derived_view(grain: _Grain, names: set[str], *, formulas: Sequence[Formula] | None = None,
                  source: str | None = None) -> str:
    """The SQL of a derived view: per account and group, the components summed and the
    ``formulas`` (Engagement Activity's by default) computed from the sums; ``source`` the
    facts it reads (``facts_<level>`` by default)."""
    formulas = list(DERIVED.values()) if formulas is None else list(formulas)
    time_keys = [k for k in grain.keys if k in ("day", "hour")]
    keys = ["account", *grain.keys]
    labels = [f"any_value({_LABELS[k]}) AS {_LABELS[k]}" for k in grain.keys
              if k in _LABELS and f"{k}s" in names]
    components = list(dict.fromkeys(c for f in formulas for c in f.components if c != HOURS))
    components = [m for m in METRICS if m in components] + [
        c for c in components if c not in METRICS]
    sums = [f"{aggregate_sql(c)} AS {ident(c)}" for c in components]
    wants_hours = any(HOURS in f.components for f in formulas)
    derived = [f"{formula_sql(f, column=lambda c: 'h.hours' if c == HOURS else 'g.' + ident(c))}"
               f" AS {ident(f.name)}" for f in formulas]
    group = ", ".join(keys)
    facts = source or f"facts_{grain.level}"
    g = f"SELECT {', '.join([*keys, *labels, *sums])} FROM {facts} GROUP BY {group}"
    if not wants_hours:
        return f"WITH g AS ({g}) SELECT g.*, {', '.join(derived)} FROM g"
    hours = (f"SELECT account, {', '.join(time_keys) + ', ' if time_keys else ''}"
             f"sum(hours) AS hours FROM periods GROUP BY account"
             + "".join(f", {k}" for k in time_keys))
    on = " AND ".join(f"h.{k} = g.{k}" for k in ["account", *time_keys])
    return (f"WITH g AS ({g}), h AS ({hours}) "
            f"SELECT g.*, h.hours, {', '.join(derived)} FROM g LEFT JOIN h ON {on}")


def _additive(method: Method) -> list[Formula]:
    """The method's derived metrics whose every component adds up (counts, durations)."""
    kinds = {m.name: m.kind for m in method.metrics}
    return [f for f in method.derived
            if all(kinds.get(c.split(AT, 1)[0]) in ADDITIVE for c in f.components)]


def _method_views(base: Path, manifest: Manifest, method: str, names: set[str],
                  left_out: list[str]) -> list[tuple[str, str]]:
    """The facts and derived views of a method other than engactivity."""
    found = METHODS.get(method)
    stored = manifest.of(method)
    folder = method_folder(base, method)
    levels = tables(base, method)
    dimensions = tuple(d for d in DIMENSION_COLUMNS if found is not None and d in found.dimensions)
    statements = [(f"facts_{method}_{level}", _facts_view(folder, level, names, dimensions))
                  for level in levels]
    if found is None or stored is None or not levels:
        return statements
    formulas = _additive(found)
    if found.snapshot or not formulas:
        left_out.append(f"derived_{method}_by_*: {method} holds "
                        + ("values now (a snapshot)" if found.snapshot
                           else "no metric that adds up"))
        return statements
    states = STATE_COLUMN in dimensions
    if states:  # its states as derive reads them: metric@State, Away's reasons apart
        formulas = state_formulas(formulas, "whole")
    fits = {"hour": not stored.windows and _fits(stored.grid, 60),
            "day": not stored.windows and _fits(stored.grid, 1440)}
    for grain in _GRAINS:
        view = f"derived_{method}_by_{grain.name}"
        straddles = [k for k in ("hour", "day") if k in grain.keys and not fits[k]]
        missing = [n for n in grain.needs if n not in names]
        if grain.level not in levels or missing or straddles:
            why = (("periods are fetch windows" if stored.windows
                    else f"periods of {stored.grid.describe()} straddle a UTC {straddles[0]}")
                   if straddles else f"no name table {missing[0]}" if missing
                   else f"no {method} {grain.level} table")
            left_out.append(f"{view}: {why}")
            continue
        facts = f"facts_{method}_{grain.level}"
        if states:
            metric = (f"CASE WHEN {STATE_COLUMN} IS NULL THEN CAST(metric AS VARCHAR) ELSE "
                      f"concat(CAST(metric AS VARCHAR), {literal(AT)}, "
                      f"CAST({STATE_COLUMN} AS VARCHAR)) END")
            facts = (f"(SELECT * REPLACE ({metric} AS metric) FROM {facts} "
                     f"WHERE {REASON_COLUMN} IS NULL) AS f")
        statements.append((view, _derived_view(grain, names, formulas=formulas, source=facts)))
    return statements


def write_views(root: str | os.PathLike[str], *, output: str | os.PathLike[str] | None = None
                ) -> Views:
    """Write a DuckDB database of views over the history at ``root``, for BI tools.

    Parameters
    ----------
    root : str or path-like
        The history's folder.
    output : str or path-like, optional
        The database file (default: ``ROOT/engframe.duckdb``); written anew.

    Returns
    -------
    Views
        The file, the views written, and the views left out (and why).

    Raises
    ------
    SourceError
        If ``root`` is not a history.
    OutputError
        If the database file cannot be written.

    Examples
    --------
    >>> import engframe, tempfile
    >>> from engframe.lazy import write_views
    >>> root = tempfile.mkdtemp()
    >>> _ = engframe.export(engframe.flatten("data/samples/agent_2_intervals.json"), root)
    >>> write_views(root).views[:3]
    ('facts_agent', 'facts_agents_total', 'periods')
    """
    import duckdb

    base = Path(root).resolve()
    manifest = read_manifest(base) if base.is_dir() else None
    if manifest is None:
        raise SourceError(f"{base}: not a history (no {base / '_engframe.json'}); "
                          "engframe.export(df, root) or engframe sync write one")
    path = Path(output) if output is not None else base / VIEWS_FILE
    levels = tables(base) if manifest.of(DEFAULT_METHOD) is not None else []
    statements: list[tuple[str, str]] = []
    names = {kind for kind in _KINDS if name_path(base, kind).is_file()}
    for kind in _KINDS:
        if kind in names:
            statements.append((kind, f"SELECT * FROM read_parquet("
                                     f"{literal(str(name_path(base, kind)))})"))
    for level in levels:
        statements.append((f"facts_{level}", _facts_view(base, level, names)))
    if levels:
        statements.append(("periods", _periods_view(base, levels)))
    left_out = []
    fits = {"hour": _fits(manifest.grid, 60), "day": _fits(manifest.grid, 1440)}
    for grain in _GRAINS if levels else ():
        straddles = [k for k in ("hour", "day") if k in grain.keys and not fits[k]]
        missing = [n for n in grain.needs if n not in names]
        view = f"derived_by_{grain.name}"
        if grain.level not in levels or missing or straddles:
            why = (f"periods of {manifest.grid.describe()} straddle a UTC {straddles[0]}"
                   if straddles else f"no name table {missing[0]}" if missing
                   else f"no {grain.level} table")
            left_out.append(f"{view}: {why}")
            continue
        statements.append((view, _derived_view(grain, names)))
    for method in (m for m in manifest.methods if m != DEFAULT_METHOD):
        statements += _method_views(base, manifest, method, names, left_out)
    try:
        path.unlink(missing_ok=True)
        with duckdb.connect(str(path)) as connection:
            for name, sql in statements:
                connection.execute(f"CREATE VIEW {ident(name)} AS {sql}")
    except (OSError, duckdb.Error) as exc:
        raise OutputError(f"{path}: cannot write the views ({exc})") from None
    return Views(path, tuple(name for name, _ in statements), tuple(left_out))
