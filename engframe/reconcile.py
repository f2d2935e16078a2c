"""Check that the totals of a response add up, and say where and by how much they do not.

The API warns that "totals may not add up due to rounding differences". Each relation a
response implies is checked at every timestamp and metric:

======================  ==============================  =================================
relation                parts                           reported whole
======================  ==============================  =================================
skill_agents_vs_skill   ``skill_agent`` rows of a skill  that skill's ``skill`` row
skills_vs_skills_total  ``skill`` rows                   the ``skills_total`` row
agents_vs_agents_total  ``agent`` rows                   the ``agents_total`` row
intervals_vs_timeframe  a series' ``interval`` rows      its ``timeframe`` row (same level,
                                                         skill, agent and metric)
======================  ==============================  =================================

A skill or agent the API leaves out had no data, so a missing part or whole counts as 0.
A relation is checked only where the frame holds its reported side (the level, or for
intervals both spans). Checks never mix two responses: ``source`` (from ``engframe.load``),
``account`` and ``fetched_at`` keep them apart when present.

Examples
--------
>>> import engframe
>>> from engframe.reconcile import reconcile, summarize
>>> checks = reconcile(engframe.flatten("data/samples/agent_2_intervals.json"))
>>> print(summarize(checks))
30 checks: 30 ok, 0 rounding, 0 filtered, 0 mismatch
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from engframe.derive._periods import query_of
from engframe.errors import FrameError, OptionError
from engframe.schema import LEVELS, SPANS, TIMESTAMP_DTYPE, check_frame

__all__ = [
    "RELATIONS",
    "RESPONSE_KEYS",
    "ROUNDED_METRICS",
    "SECONDS_PER_PART",
    "STATUSES",
    "Relation",
    "reconcile",
    "summarize",
]

#: Metrics the API rounds element by element (handling times, in seconds): a total may
#: differ from the sum of its parts by up to about one unit per part. Counts are exact.
ROUNDED_METRICS: Final = frozenset({"totalHandlingTime", "nonInteractiveTotalHandlingTime"})

#: Default tolerance for rounded metrics [s per part]: each part and the total are whole
#: seconds, so n truncated or rounded parts can drift by less than n seconds.
SECONDS_PER_PART: Final = 1.0

#: Check outcomes, mildest first. ``filtered``: the parts fall short of the whole because
#: the request named agents, so a skill's agents are only the requested ones.
STATUSES: Final = ("ok", "rounding", "filtered", "mismatch")

#: Columns that tell responses apart in a frame holding several.
RESPONSE_KEYS: Final = ("source", "account", "fetched_at")


@dataclass(frozen=True, slots=True)
class Relation:
    """One relation a response implies: parts that should add up to a reported whole.

    ``parts`` and ``whole`` name levels; both ``None`` means the same level, interval
    rows against the timeframe row. ``keys`` identify one whole besides its metric.
    ``may_filter``: an agent filter in the request leaves parts short of the whole.
    """

    name: str
    parts: str | None
    whole: str | None
    keys: tuple[str, ...]
    may_filter: bool = False


#: Every relation checked, in output order.
RELATIONS: Final = (
    Relation("skill_agents_vs_skill", "skill_agent", "skill", ("span", "timestamp", "skill"),
             may_filter=True),
    Relation("skills_vs_skills_total", "skill", "skills_total", ("span", "timestamp")),
    Relation("agents_vs_agents_total", "agent", "agents_total", ("span", "timestamp")),
    Relation("intervals_vs_timeframe", None, None, ("level", "skill", "agent")),
)

_OUTPUT: Final = (
    "relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
    "sum_of_parts", "difference", "relative_difference", "parts", "tolerance", "status",
)


def _agents_filtered(df: pd.DataFrame, filtered: bool | None) -> bool:
    """Whether a skill's agents may be only the requested ones (see ``reconcile``)."""
    if filtered is not None:
        return bool(filtered)
    query = query_of(df.attrs)
    if query is not None:
        agents, skills = query.get("agentIds"), query.get("skillIds")
        return str(agents or "").strip().lower() not in ("", "all") and bool(skills)
    levels = {str(v) for v in df["level"].drop_duplicates()}
    return bool(levels & {"agent", "agents_total"}) and bool(levels & {"skill_agent", "skill"})


def _sides(df: pd.DataFrame, relation: Relation) -> tuple[np.ndarray, np.ndarray] | None:
    level = df["level"].astype(str).to_numpy()
    if relation.parts is None:
        span = df["span"].astype(str).to_numpy()
        part, whole = span == "interval", span == "timeframe"
    else:
        part, whole = level == relation.parts, level == relation.whole
    if not whole.any() or (relation.parts is None and not part.any()):
        return None
    return part, whole


def _check(df: pd.DataFrame, relation: Relation, response: list[str]) -> pd.DataFrame | None:
    sides = _sides(df, relation)
    if sides is None:
        return None
    part, whole = sides
    rows = df.loc[part | whole]
    is_part, is_whole = part[part | whole], whole[part | whole]
    value = rows["value"].to_numpy(np.int64)
    keys = [*response, *relation.keys, "metric"]
    work = rows[list(dict.fromkeys([*keys, "timestamp"]))].assign(
        _part=np.where(is_part, value, 0),
        _whole=np.where(is_whole, value, 0),
        _n_part=is_part.astype(np.int64),
        _end=rows["timestamp"].where(is_whole),
    )
    if relation.parts is not None:
        # the whole's level names the check; its span and timestamp are keys already
        work["level"] = relation.whole
    grouped = work.groupby(keys, observed=True, dropna=False, sort=True).agg(
        reported=("_whole", "sum"),
        sum_of_parts=("_part", "sum"),
        parts=("_n_part", "sum"),
        _end=("_end", "max"),
        _last=("timestamp", "max"),
        **({"level": ("level", "first")} if "level" not in keys else {}),
    )
    out = grouped.reset_index()
    if relation.parts is None and response:
        # In a frame of several responses, only those with intervals have this relation.
        with_intervals = work.loc[is_part, response].drop_duplicates()
        out = out.merge(with_intervals, on=response, how="inner")
    if "timestamp" not in keys:
        out["timestamp"] = out["_end"].fillna(out["_last"])
    if "span" not in keys:
        out["span"] = "timeframe"
    out["relation"] = relation.name
    out["_may_filter"] = relation.may_filter
    result: pd.DataFrame = out.drop(columns=["_end", "_last"])
    return result


def reconcile(
    df: pd.DataFrame,
    *,
    rounded: Collection[str] = ROUNDED_METRICS,
    seconds_per_part: float = SECONDS_PER_PART,
    filtered: bool | None = None,
    relations: Iterable[Relation] = RELATIONS,
) -> pd.DataFrame:
    """Check every relation the response implies, at every timestamp and metric.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame, all levels and spans as flattened (do not pre-select).
    rounded : collection of str
        Metrics rounded per element; the others must add up exactly.
    seconds_per_part : float
        Tolerance of a rounded metric [units per part]: a check with n parts passes as
        ``rounding`` when ``|difference| <= seconds_per_part * n``.
    filtered : bool, optional
        Whether the request filtered agents inside skills (``skillIds`` together with an
        ``agentIds`` list), so a skill's agents are only the requested ones. Default:
        read the request from ``df.attrs["query"]`` (``engframe.flatten`` of a saved
        envelope); without it, assume so whenever the frame has both a skills and an
        agents section. Either way it only excuses parts that fall short of the whole.
    relations : iterable of Relation
        The relations to check; default :data:`RELATIONS`.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``relation``, ``level`` and ``span`` of the reported whole,
        ``timestamp``, ``skill``, ``agent``, ``metric``, ``reported``, ``sum_of_parts``,
        ``difference`` (sum_of_parts - reported), ``relative_difference`` (difference /
        reported; 0 when both are 0, NaN when only reported is), ``parts`` (how many
        values were summed), ``tolerance`` and ``status`` (:data:`STATUSES`), then the
        :data:`RESPONSE_KEYS` the frame has.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame.
    OptionError
        If ``seconds_per_part`` is negative or not a number.

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
    where = "reconcile"
    check_frame(df, where=where)
    if not isinstance(seconds_per_part, int | float) or not seconds_per_part >= 0:
        raise OptionError(
            f"{where}: seconds_per_part must be a number >= 0, found {seconds_per_part!r}"
        )
    response = [c for c in RESPONSE_KEYS if c in df.columns]
    found = [c for c in (_check(df, r, response) for r in relations) if c is not None]
    if not found:
        return _typed(_empty(response), response)
    checks = pd.concat(found, ignore_index=True)
    diff = checks["sum_of_parts"].to_numpy(np.int64) - checks["reported"].to_numpy(np.int64)
    reported = checks["reported"].to_numpy(np.float64)
    relative = np.full(len(checks), np.nan)
    np.divide(diff, reported, out=relative, where=reported != 0)
    relative[(reported == 0) & (diff == 0)] = 0.0
    is_rounded = checks["metric"].astype(str).isin(list(rounded)).to_numpy()
    tolerance = np.where(is_rounded, seconds_per_part * checks["parts"].to_numpy(np.float64), 0.0)
    short_by_filter = checks["_may_filter"].to_numpy(bool) & _agents_filtered(df, filtered)
    status = np.select(
        [diff == 0, np.abs(diff) <= tolerance, short_by_filter & (diff < 0)],
        ["ok", "rounding", "filtered"],
        default="mismatch",
    )
    checks = checks.assign(
        difference=diff, relative_difference=relative, tolerance=tolerance, status=status
    )
    return _typed(checks, response)


def _empty(response: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in [*_OUTPUT, *response]})


def _typed(checks: pd.DataFrame, response: list[str]) -> pd.DataFrame:
    def ids(column: str) -> pd.Series:
        if column in checks:
            return checks[column].astype("Int64")
        return pd.Series(pd.array([None] * len(checks), dtype="Int64"))

    out = pd.DataFrame(
        {
            "relation": checks["relation"].astype(pd.CategoricalDtype([r.name for r in RELATIONS])),
            "level": checks["level"].astype(pd.CategoricalDtype(list(LEVELS))),
            "span": checks["span"].astype(pd.CategoricalDtype(list(SPANS))),
            "timestamp": checks["timestamp"].astype(TIMESTAMP_DTYPE),
            "skill": ids("skill"),
            "agent": ids("agent"),
            "metric": checks["metric"].astype(str).astype("category"),
            "reported": checks["reported"].astype(np.int64),
            "sum_of_parts": checks["sum_of_parts"].astype(np.int64),
            "difference": checks["difference"].astype(np.int64),
            "relative_difference": checks["relative_difference"].astype(np.float64),
            "parts": checks["parts"].astype(np.int64),
            "tolerance": checks["tolerance"].astype(np.float64),
            "status": checks["status"].astype(pd.CategoricalDtype(list(STATUSES), ordered=True)),
        }
    )
    for column in response:
        out[column] = checks[column].to_numpy()
    return out


def summarize(checks: pd.DataFrame) -> str:
    """Say in one line how a reconciliation went: counts per status and the worst drift.

    Parameters
    ----------
    checks : pandas.DataFrame
        The result of :func:`reconcile`.

    Returns
    -------
    str
        For example ``"12 checks: 10 ok, 1 rounding, 0 filtered, 1 mismatch; worst:
        skills_vs_skills_total totalHandlingTime at 2014-10-07 11:20 UTC: parts 15 vs
        reported 12 (+3, +25.0%)"``.

    Raises
    ------
    FrameError
        If ``checks`` lacks the columns :func:`reconcile` writes.

    Examples
    --------
    >>> import engframe
    >>> from engframe.reconcile import reconcile, summarize
    >>> print(summarize(reconcile(engframe.flatten("data/samples/account.json"))))
    0 checks: 0 ok, 0 rounding, 0 filtered, 0 mismatch
    """
    if not isinstance(checks, pd.DataFrame) or not set(_OUTPUT) <= set(checks.columns):
        raise FrameError("summarize: expected the DataFrame reconcile() returns")
    counts = checks["status"].astype(str).value_counts()
    line = f"{len(checks)} checks: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    drifted = checks.loc[(checks["status"].astype(str) != "ok").to_numpy()]
    if drifted.empty:
        return line
    severity = drifted["status"].astype(str).map({s: i for i, s in enumerate(STATUSES)})
    size = drifted["relative_difference"].abs().fillna(np.inf)
    order = np.lexsort((drifted["difference"].abs().to_numpy(), size.to_numpy(),
                        severity.to_numpy()))
    worst = drifted.iloc[order[-1]]
    return f"{line}; worst: {_describe(worst)}"


def _describe(row: pd.Series) -> str:
    where = [str(row["relation"]), str(row["metric"])]
    for key in ("skill", "agent"):
        if not pd.isna(row[key]):
            where.append(f"{key} {row[key]}")
    if not pd.isna(row["timestamp"]):
        where.append(f"at {row['timestamp']:%Y-%m-%d %H:%M} UTC")
    relative = row["relative_difference"]
    share = "" if pd.isna(relative) else f", {relative:+.1%}"
    return (
        f"{' '.join(where)}: parts {row['sum_of_parts']} vs reported {row['reported']} "
        f"({row['difference']:+d}{share}, {row['status']})"
    )
