"""Pick one level and one span of a tidy frame: the safe first step of any aggregation.

A tidy frame holds observations and the API's own totals side by side (agents, their
skill's total, all skills' total; intervals and the whole timeframe). Summing across
levels or spans counts the same chat two or three times. Everything that aggregates
goes through :func:`select` first.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from typing import Final

import numpy as np
import pandas as pd

from engframe.errors import EngframeWarning, FrameError, OptionError
from engframe.schema import LEVEL_HAS, LEVELS, SPANS, check_frame

__all__ = [
    "DESCRIBES",
    "LEVEL_PREFERENCE",
    "TIME_KEYS",
    "choose_level",
    "choose_span",
    "level_mask",
    "missing_key_hint",
    "select",
    "span_mask",
]

#: Which level answers a question about (skill?, agent?) when none is named: the first
#: of these present in the frame. ``skill`` prefers the API's per-skill totals (they
#: count every agent of the skill) to a sum over the agents listed inside the skill.
LEVEL_PREFERENCE: Final[dict[tuple[bool, bool], tuple[str, ...]]] = {
    (True, True): ("skill_agent",),
    (True, False): ("skill", "skill_agent"),
    (False, True): ("agent", "skill_agent"),
    # a frame without totals (agentactivity sends none) adds up its agents
    (False, False): ("account", "skills_total", "agents_total", "agent"),
}

#: ``by`` keys that split time: asking for them makes ``interval`` the default span.
TIME_KEYS: Final = frozenset({"timestamp", "start", "day", "hour"})

#: Columns that describe a skill or an agent (:func:`engframe.names.attach_names` adds
#: them): grouping by one reads the level its id would, since an agent's group is a
#: property of the agent, not of the skill-agent pair or of a total.
DESCRIBES: Final = {
    "skill_name": "skill",
    "agent_name": "agent",
    "agent_group": "agent",
    "agent_group_name": "agent",
}


def _present(df: pd.DataFrame, column: str) -> list[str]:
    values = df[column].array
    if isinstance(values, pd.Categorical):  # the tidy dtype: read the codes, not the strings
        used = np.unique(values.codes[values.codes >= 0])
        return [str(v) for v in values.categories[used]]
    return [str(v) for v in df[column].drop_duplicates().dropna()]


def _mask(df: pd.DataFrame, column: str, value: str) -> np.ndarray:
    values = df[column].array
    if isinstance(values, pd.Categorical):
        if value not in values.categories:
            return np.zeros(len(df), bool)
        hit: np.ndarray = np.asarray(values.codes) == values.categories.get_loc(value)
        return hit
    return (df[column] == value).to_numpy(bool)


def level_mask(df: pd.DataFrame, level: str) -> np.ndarray:
    """Which rows of ``df`` are at ``level`` (read from the categorical codes)."""
    return _mask(df, "level", level)


def span_mask(df: pd.DataFrame, span: str) -> np.ndarray:
    """Which rows of ``df`` are of ``span``."""
    return _mask(df, "span", span)


def missing_key_hint(key: str) -> str:
    """What to do when ``by`` names a column the frame lacks ("" when nothing to add)."""
    if key in DESCRIBES:
        return (f"; {key!r} comes with names: load with names=True, or add them with "
                "engframe.names.attach_names(df, names)")
    return ""


def choose_level(df: pd.DataFrame, *, by: Collection[str], level: str | None, where: str) -> str:
    """Return ``level`` checked against ``by``, or the preferred level present in ``df``.

    Name columns (:data:`DESCRIBES`) count as the id they describe.
    """
    asked = {DESCRIBES.get(key, key) for key in by}
    wants = ("skill" in asked, "agent" in asked)
    if level is not None:
        if level not in LEVELS:
            raise OptionError(f"{where}: level={level!r} is not one of {', '.join(LEVELS)}")
        has = LEVEL_HAS[level]
        for key, wanted, carried in zip(("skill", "agent"), wants, has, strict=True):
            if wanted and not carried:
                raise OptionError(
                    f"{where}: by={list(by)!r} asks for {key!r} but level={level!r} "
                    f"has no {key} ids; pick a level that has them"
                )
        return level
    present = set(_present(df, "level"))
    for candidate in LEVEL_PREFERENCE[wants]:
        if candidate in present:
            _warn_left_out(df, candidate, where=where)
            return candidate
    if df.empty:
        return LEVEL_PREFERENCE[wants][0]
    raise FrameError(
        f"{where}: no level able to answer by={list(by)!r} is in the frame "
        f"(wanted one of {', '.join(LEVEL_PREFERENCE[wants])}; "
        f"found {', '.join(sorted(present)) or 'none'})"
    )


def _warn_left_out(df: pd.DataFrame, level: str, *, where: str) -> None:
    """Warn when a frame of several responses has some without the level chosen for all."""
    if "source" not in df.columns:
        return
    having = set(df.loc[(df["level"] == level).to_numpy(bool), "source"].dropna().astype(str))
    missing = sorted(set(df["source"].dropna().astype(str)) - having)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        warnings.warn(
            f"{where}: level {level!r} was chosen for the whole frame, and {len(missing)} "
            f"source(s) have no rows at it and are left out: {shown}; pass level= to choose",
            EngframeWarning,
            stacklevel=4,
        )


def choose_span(df: pd.DataFrame, *, by: Collection[str], span: str | None, where: str) -> str:
    """Return ``span`` checked, or ``interval`` when ``by`` splits time, else the whole timeframe.

    Without a time key the API's own whole-timeframe values are preferred; a frame that
    has only intervals is summed over them.
    """
    if span is not None:
        if span not in SPANS:
            raise OptionError(f"{where}: span={span!r} is not one of {', '.join(SPANS)}")
        return span
    present = set(_present(df, "span"))
    if TIME_KEYS & set(by) and "interval" in present:
        return "interval"
    if "timeframe" not in present and "interval" not in present and "snapshot" in present:
        return "snapshot"  # a snapshot method's frame (queuestate)
    return "timeframe" if "timeframe" in present else "interval"


def select(
    df: pd.DataFrame,
    *,
    level: str | None = None,
    span: str | None = None,
    by: Collection[str] = (),
) -> pd.DataFrame:
    """Keep the rows of exactly one level and one span, so that sums count each chat once.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame.
    level : str, optional
        One of :data:`engframe.schema.LEVELS`. Default: the first present of
        :data:`LEVEL_PREFERENCE` for the ids that ``by`` asks for (``account``, then
        ``skills_total``, then ``agents_total`` when it asks for none).
    span : str, optional
        ``interval`` or ``timeframe``. Default: ``interval`` when ``by`` splits time and
        the frame has intervals, else ``timeframe`` when present, else ``interval``.
    by : collection of str
        The grouping you are about to use; only steers the defaults. Name columns count
        as their id: ``agent_group`` picks the ``agent`` level, as ``agent`` would.

    Returns
    -------
    pandas.DataFrame
        The matching rows (a copy), same columns and attributes.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, or holds no level able to answer ``by``.
    OptionError
        If ``level`` or ``span`` is unknown, or ``level`` lacks an id ``by`` asks for.

    Examples
    --------
    >>> import engframe
    >>> from engframe.derive import select
    >>> df = engframe.flatten("data/samples/skills_all_agent_3.json")
    >>> select(df, by=["agent"])["level"].unique().tolist()
    ['agent']
    """
    where = "select"
    check_frame(df, where=where)
    chosen_level = choose_level(df, by=by, level=level, where=where)
    chosen_span = choose_span(df, by=by, span=span, where=where)
    keep = level_mask(df, chosen_level) & span_mask(df, chosen_span)
    out = df.take(np.flatnonzero(keep)).reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out
