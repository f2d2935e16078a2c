"""reconcile: a frame's responses, their scopes and methods and which metrics add up, then
the checks of every relation (see :mod:`engframe.reconcile` for what is checked and why)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from engframe._keys import group_ids
from engframe.errors import FrameError, OptionError
from engframe.methods import ADDITIVE, METHODS, Kind, kind_of
from engframe.reconcile._checks import _assemble
from engframe.reconcile._codes import _Codes, _fixed_codes
from engframe.reconcile._levels import _check
from engframe.reconcile._maps import _Maps
from engframe.reconcile._terms import _SPAN, ROUNDED_METRICS, ROUNDINGS
from engframe.reconcile._within import _metric_checks
from engframe.schema import METHOD_COLUMN, SPANS, check_frame, epoch_ms
from engframe.scope import NOT_IMPLIED, RELATIONS, Relation, Scope, implication, request_of

__all__ = ["reconcile"]

def reconcile(
    df: pd.DataFrame,
    *,
    rounded: Collection[str] = ROUNDED_METRICS,
    rounding: str = "nearest",
    relations: Iterable[Relation] = RELATIONS,
) -> pd.DataFrame:
    """Check every relation the response implies, at every timestamp and metric.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame, all levels and spans as flattened (do not pre-select); a frame of
        several responses (a folder, a history) is checked response by response, each with
        its own request (a folder's files: ``df.attrs["queries"]``, which
        :func:`engframe.load` records), and a history period by period.
    rounded : collection of str
        Metrics rounded per element (handling times); the others must add up exactly.
    rounding : {"nearest", "truncate"}, default "nearest"
        How the API rounds each value of a ``rounded`` metric to whole seconds (see the
        module's docstring): to the nearest, n parts may differ from their whole by at
        most ``n // 2`` seconds either way; truncated, fall short of it by at most
        ``n - 1`` seconds and never exceed it.
    relations : iterable of Relation
        The relations between levels and spans to check; default
        :data:`engframe.scope.RELATIONS` (the checks among a metric map's metrics follow
        the frame's methods).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``relation``, ``level`` and ``span`` of the reported whole,
        ``timestamp``, ``skill``, ``agent``, then where the frame has them the dimension
        columns, named as :data:`CHECK_DIMENSIONS` says (``state``, ``away_reason``,
        ``bucket``: agentactivity's Online, sla's bucket 30; a breakdown's check has its
        whole's: Logged in, Away), then ``metric``, ``reported``, ``sum_of_parts``,
        ``difference`` (sum_of_parts - reported), ``relative_difference`` (difference /
        reported; 0 when both are 0, NaN when only reported is), ``parts`` (how many
        values were summed), ``tolerance`` (the most rounding explains, in seconds),
        ``beyond`` (how far the difference lies outside it: 0 within), ``status``
        (:data:`STATUSES`) and ``reason`` (:data:`REASONS`), then the response columns
        that tell the checks' responses apart (``source``, ``method``, ``account``;
        ``fetched_at``
        where the frame stacks fetches of the same periods), then ``skill_name`` and
        ``agent_name`` if the frame has them (:func:`engframe.names.attach_names`).
        By kind (:mod:`engframe.methods`): counts and duration totals are checked between
        levels and spans; the identities among a method's metrics (``resolved_by_type``,
        ``answers_by_score``, ...) in every metric map; averages and ratios against their
        own sums (``average_vs_its_sums``, ``ratio_vs_its_counts``) within the API's
        32-bit float rounding. A metric the catalogue does not know and sent as JSON floats
        (``df.attrs["float_metrics"]``; without that record, one holding a fraction) is
        not checked. Each method's checks carry its name in ``method``.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, or repeats a reported total (responses stacked
        without a column telling them apart).
    OptionError
        If ``rounding`` is not one of :data:`ROUNDINGS`.

    Examples
    --------
    >>> import engframe
    >>> from engframe.reconcile import reconcile
    >>> checks = reconcile(engframe.flatten("data/samples/skill_2.json"))
    >>> checks[["relation", "metric", "sum_of_parts", "status"]].head(2)
                    relation                    metric  sum_of_parts status
    0  skill_agents_vs_skill     totalInteractiveChats             1     ok
    1  skill_agents_vs_skill  totalNonInteractiveChats             1     ok
    """
    if not isinstance(df, pd.DataFrame):  # a history (folder, engframe.scan): out of core
        from engframe.lazy._reconcile import reconcile_history
        from engframe.lazy._scan import as_scan, is_history

        if is_history(df):
            return reconcile_history(as_scan(df), rounded=rounded, rounding=rounding,
                                     relations=relations)
    where = "reconcile"
    check_frame(df, where=where)
    if rounding not in ROUNDINGS:
        raise OptionError(f"{where}: rounding={rounding!r}; expected one of "
                          f"{', '.join(map(repr, ROUNDINGS))}")
    if not (isinstance(df["value"].dtype, np.dtype) and df["value"].dtype.kind in "iuf"):
        raise FrameError(f"{where}: column 'value' must hold numbers, found {df['value'].dtype}")
    response = _response_keys(df)
    codes = _Codes.of(df, response)
    scopes = _scopes(df, codes)
    methods = _frame_methods(df)
    additive = _additive(codes, df.attrs.get("float_metrics") or (), methods)
    from engframe.reconcile._shapes import layout_allows, shape_checks

    held = _response_methods(df, codes)
    # every metric's sum and count per metric map, once, for the checks among a map's
    # metrics; the checks between levels read them too (fewer maps than rows)
    among = any(method.identities or any(m.recomputable for m in method.metrics)
                for method in (METHODS[name] for name in methods if name in METHODS))
    maps = _Maps.of(codes, range(len(codes.metrics))) if among else None
    found = []
    for relation in relations:
        implied = np.array([implication(relation, scope) != NOT_IMPLIED
                            and layout_allows(method, relation.name)
                            for scope, method in zip(scopes, held, strict=True)], dtype=bool)
        if not implied.any():
            continue
        checked = _check(codes, relation, additive, None if implied.all() else implied, maps)
        if checked is not None:
            found.append(checked)
    found.extend(_metric_checks(codes, methods, maps))
    del maps  # its tables (the checks keep its key columns): memory for the checks frame
    found.extend(shape_checks(df, codes, methods, relations, implied_of=lambda relation: np.array(
        [implication(relation, scope) != NOT_IMPLIED and layout_allows(method, relation.name)
         for scope, method in zip(scopes, held, strict=True)], dtype=bool)))
    return _assemble(df, codes, found, response, rounded=rounded, rounding=rounding)


def _response_methods(df: pd.DataFrame, codes: _Codes) -> list[str | None]:
    """The method of each response (its first row's), None where unknown."""
    if METHOD_COLUMN not in df.columns:
        return [None] * codes.n_responses
    column = df[METHOD_COLUMN].array.take(codes.first_of_response)
    return [None if pd.isna(m) else str(m) for m in column]


def _frame_methods(df: pd.DataFrame) -> list[str]:
    """The catalogue's methods whose metrics the frame holds (its ``method`` column's)."""
    from engframe.methods import infer

    if METHOD_COLUMN in df.columns:
        column = df[METHOD_COLUMN].astype("category").array
        used = _used_codes(np.asarray(column.codes))
        named = [str(column.categories[code]) for code in used]
        if named:
            return [m for m in METHODS if m in named]
    metric = df["metric"].astype("category").array
    present = metric.categories[_used_codes(np.asarray(metric.codes))]
    found = infer(map(str, present))
    return [] if found is None else [found.name]


def _used_codes(codes: np.ndarray) -> np.ndarray:
    """The codes (not -1) a categorical's rows hold, ascending (one, where a frame holds
    one method: a cheap minimum and maximum)."""
    held = codes[codes >= 0] if len(codes) and codes.min() < 0 else codes
    if not len(held):
        return np.zeros(0, np.int64)
    if held.min() == held.max():
        return np.array([held[0]], np.int64)
    return np.flatnonzero(np.bincount(held.astype(np.intp, copy=False)))


def _response_keys(df: pd.DataFrame) -> list[str]:
    """The columns that tell the frame's responses apart (see the module's docstring).

    ``fetched_at`` tells fetches apart only where the frame stacks fetches of the same
    periods: a value repeated at one period end, or two whole timeframes of one response.
    In a history, or a folder :func:`engframe.load` resolved, one period holds values of
    several fetches, its best ones, and they are checked together.
    """
    # values of different methods are different responses, whatever else they share
    keys = [c for c in ("source", METHOD_COLUMN, "account") if c in df.columns]
    if "fetched_at" not in df.columns or not len(df):
        return keys
    fetched = epoch_ms(df["fetched_at"])
    if (fetched == fetched[0]).all():
        return [*keys, "fetched_at"]  # one fetch: the column tells nothing apart, but costs
    if df.attrs.get("history") is not None:
        return keys  # one fact per series and period (fetch windows of a method included)
    series = [df[c].array for c in (*keys, "level", "span", "timestamp", "skill", "agent",
                                    "metric")]
    ids, _ = group_ids(series)
    if len(pd.unique(ids)) < len(ids):
        return [*keys, "fetched_at"]
    whole = np.flatnonzero(_fixed_codes(df["span"], SPANS) == _SPAN["timeframe"])
    if len(whole):
        ids, _ = group_ids([df[c].array.take(whole) for c in (*keys, "timestamp")])
        per_response, _ = group_ids([df[c].array.take(whole) for c in keys]) if keys else (
            np.zeros(len(whole), np.int64), 1)
        if len(pd.unique(ids)) > len(pd.unique(per_response)):
            return [*keys, "fetched_at"]
    return keys


def _scopes(df: pd.DataFrame, codes: _Codes) -> list[Scope | None]:
    """The request scope of each response: its file's own (a folder), its method's (a
    history of several methods), else the frame's."""
    frame_scope = Scope.of_request(request_of(df.attrs))
    queries = df.attrs.get("queries")
    held = (df.attrs.get("history") or {}).get("methods")
    if ("source" not in df.columns or not isinstance(queries, Mapping)) and (
            isinstance(held, Mapping) and METHOD_COLUMN in df.columns):
        methods = df[METHOD_COLUMN].array.take(codes.first_of_response)
        return [Scope.of_request((held.get(str(m)) or {}).get("scope"))
                if not pd.isna(m) and isinstance(held.get(str(m)), Mapping) else frame_scope
                for m in methods]
    if "source" not in df.columns or not isinstance(queries, Mapping):
        return [frame_scope] * codes.n_responses
    sources = df["source"].array.take(codes.first_of_response)
    found: dict[Any, Scope | None] = {}
    scopes = []
    for source in sources:
        if source not in found:
            query = queries.get(str(source)) if not pd.isna(source) else None
            found[source] = Scope.of_request(query) if isinstance(query, Mapping) else None
        scopes.append(found[source])
    return scopes


def _additive(codes: _Codes, floats: Collection[str],
              methods: Sequence[str] = ()) -> np.ndarray | None:
    """Per metric code: whether its values add up; ``None`` when all do.

    By kind (:mod:`engframe.methods`): counts and duration totals add; averages, ratios,
    extremes and snapshots do not. A metric the catalogue does not know adds when it holds
    JSON integers: one the response sent as JSON floats (``floats``:
    ``attrs["float_metrics"]``) is an average or a score, even where a value happens to be
    whole (30.0); without that record (a frame whose attrs were lost) a metric holding a
    fraction is one.
    """
    names = [str(name) for name in codes.metrics]
    kinds = [next((kind_of(name, m) for m in methods if kind_of(name, m) != Kind.UNKNOWN),
                  kind_of(name)) for name in names]
    known = np.array([kind != Kind.UNKNOWN for kind in kinds], bool)
    averaged = np.array([kind not in ADDITIVE and kind != Kind.UNKNOWN for kind in kinds], bool)
    if codes.value.dtype.kind == "f" and len(codes.value) and not known.all():
        averaged |= np.isin(np.asarray(codes.metrics, dtype=object), list(floats)) & ~known
        fractional = codes.value != np.floor(codes.value)
        if fractional.any():
            held = np.bincount(codes.metric[fractional & (codes.metric >= 0)],
                               minlength=len(codes.metrics)) > 0
            averaged |= held & ~known
    return ~averaged if averaged.any() else None


