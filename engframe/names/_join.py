"""Add names to a tidy frame: ``skill_name``, ``agent_name``, ``agent_group``, ``agent_group_name``.

Vectorised: each id column is factorized once (a few thousand distinct ids among millions
of rows), the names are looked up for the distinct ids only, and each name column is
built with :meth:`pandas.Categorical.from_codes` from one array lookup of those codes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.errors import EngframeWarning, FrameError, OptionError
from engframe.names._names import Names
from engframe.names._tables import FALLBACK, UNASSIGNED_NAME, UNASSIGNED_SKILL, fallback_labels

__all__ = ["NAME_COLUMNS", "attach_names", "names_warning"]

#: The columns :func:`attach_names` adds, in order.
NAME_COLUMNS: Final = ("skill_name", "agent_name", "agent_group", "agent_group_name")
#: How many unknown ids a warning quotes, per kind.
SHOWN_IDS: Final = 5
#: Rows sampled to tell whether ids come in runs, and the shortest mean run worth encoding.
_SAMPLE: Final = 65_536
_LONG_RUN: Final = 3
#: What each failed table means for the frame, for the warning.
_FAILED_EFFECT: Final = {
    "skills": "skills",
    "agents": "agents (and their groups)",
    "agent_groups": "agent groups",
    "names": "skills, agents and agent groups",
}


class _Rows:
    """Which distinct id each row holds, run-length encoded when rows come in runs.

    ``codes`` index the distinct ids (-1 for NA); with ``lengths``, code ``i`` stands for
    ``lengths[i]`` rows in a row, so a per-id array is expanded to rows in one
    :func:`numpy.repeat` of its smallest dtype, never through a row-sized array of codes.
    """

    def __init__(self, codes: np.ndarray, lengths: np.ndarray | None = None) -> None:
        self.codes = codes
        self.lengths = lengths

    def expand(self, per_code: np.ndarray) -> np.ndarray:
        """``per_code[code of each row]``; ``per_code[-1]`` is what NA rows get."""
        values = per_code[self.codes]
        return values if self.lengths is None else np.repeat(values, self.lengths)


class _Labels:
    """Codes into sorted categories for a frame's distinct ids, plus a slot for NA rows."""

    def __init__(self, labels: list[str | None]) -> None:
        # -1 (the last slot) stands for rows without a name: lut[-1] is -1.
        present = sorted({label for label in labels if label is not None})
        position = {label: code for code, label in enumerate(present)}
        self.dtype = pd.CategoricalDtype(present)
        # The code width pandas would pick itself, so from_codes keeps the array as is.
        width = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                     if len(present) < np.iinfo(t).max)
        self.lut = np.array([position[label] if label is not None else -1 for label in labels]
                            + [-1], dtype=width)

    def column(self, rows: _Rows) -> pd.Categorical:
        return pd.Categorical.from_codes(rows.expand(self.lut), dtype=self.dtype,
                                         validate=False)


def _factorize(values: Any) -> tuple[_Rows, np.ndarray]:
    """Each row's distinct id (a :class:`_Rows`) and the distinct ids, as int64.

    A tidy frame's ids come in runs (a skill's rows by the thousand, an agent's one per
    metric); when a sample shows runs, only the first row of each run is hashed and the
    rows stay run-length encoded. Otherwise every row is hashed.
    """
    # The masked array's own buffers: copying them out through the public API would
    # cost what the shortcut saves. Any other array takes the plain path.
    data, mask = getattr(values, "_data", None), getattr(values, "_mask", None)
    if (isinstance(data, np.ndarray) and isinstance(mask, np.ndarray)
            and data.shape == mask.shape == (len(values),) and len(values) > _SAMPLE):
        sample = data[:_SAMPLE]
        if np.count_nonzero(sample[1:] != sample[:-1]) * _LONG_RUN < _SAMPLE:
            change = np.empty(len(data), dtype=bool)
            change[0] = True
            np.not_equal(data[1:], data[:-1], out=change[1:])
            change[1:] |= mask[1:] != mask[:-1]
            heads = np.flatnonzero(change)
            codes, uniques = pd.factorize(values[heads])
            return _Rows(codes, np.diff(heads, append=len(data))), np.asarray(
                uniques, dtype=np.int64)
    codes, uniques = pd.factorize(values)
    return _Rows(codes), np.asarray(uniques, dtype=np.int64)


def _lookup(table: pd.DataFrame, key: str, ids: np.ndarray) -> np.ndarray:
    """Row of ``table`` holding each id (-1 where none)."""
    found: np.ndarray = pd.Index(table[key].to_numpy(np.int64)).get_indexer(ids)
    return found


def _skills(df: pd.DataFrame, names: Names, unknown: dict[str, list[int]]) -> pd.Categorical:
    rows, ids = _factorize(df["skill"].array)
    found = _lookup(names.skills, "skill", ids)
    known = names.skills["skill_name"].to_numpy(object)
    fallback = fallback_labels("skill", ids)
    labels: list[str | None] = []
    for ident, row, other in zip(ids.tolist(), found.tolist(), fallback, strict=True):
        if ident == UNASSIGNED_SKILL:
            labels.append(UNASSIGNED_NAME)
        elif row >= 0:
            labels.append(str(known[row]))
        else:
            labels.append(other)
            unknown["skill"].append(ident)
    return _Labels(labels).column(rows)


def _agents(
    df: pd.DataFrame, names: Names, unknown: dict[str, list[int]]
) -> tuple[pd.Categorical, pd.arrays.IntegerArray, pd.Categorical]:
    rows, ids = _factorize(df["agent"].array)
    found = _lookup(names.agents, "agent", ids)
    agent_names = names.agents["agent_name"].to_numpy(object)
    groups = names.agents["agent_group"]
    group_ids = groups.to_numpy(np.int64, na_value=0)
    group_missing = groups.isna().to_numpy(bool)
    group_rows = _lookup(names.agent_groups, "agent_group", group_ids)
    group_names = names.agent_groups["agent_group_name"].to_numpy(object)

    labels: list[str | None] = []
    group_labels: list[str | None] = []
    # One extra slot at the end for rows without an agent (codes of -1).
    group_of = np.zeros(len(ids) + 1, dtype=np.int64)
    no_group = np.ones(len(ids) + 1, dtype=bool)
    for slot, (ident, row) in enumerate(zip(ids.tolist(), found.tolist(), strict=True)):
        if row < 0:
            labels.append(FALLBACK["agent"].format(ident))
            group_labels.append(None)
            unknown["agent"].append(ident)
            continue
        labels.append(str(agent_names[row]))
        if group_missing[row]:
            group_labels.append(None)
            continue
        group = int(group_ids[row])
        group_of[slot], no_group[slot] = group, False
        if group_rows[row] >= 0:
            group_labels.append(str(group_names[group_rows[row]]))
        else:
            group_labels.append(FALLBACK["agent_group"].format(group))
            if group not in unknown["agent_group"]:
                unknown["agent_group"].append(group)
    group_column = pd.arrays.IntegerArray(rows.expand(group_of), rows.expand(no_group))
    return _Labels(labels).column(rows), group_column, _Labels(group_labels).column(rows)


def _id_list(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in sorted(ids)[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def names_warning(names: Names, unknown: Mapping[str, list[int]]) -> str | None:
    """The warning joining ``names`` gives, or ``None``: tables not read, unknown ids."""
    parts = []
    if names.failed:
        reasons = "; ".join(f"{kind}: {reason}" for kind, reason in names.failed.items())
        effect = ", ".join(_FAILED_EFFECT.get(kind, kind) for kind in names.failed)
        parts.append(f"names could not be read ({reasons}); {effect} show as ids "
                     "('skill <id>', 'agent <id>')")
    # Ids of a table that could not be read are explained above, not "unknown".
    unread = {"skill": "skills", "agent": "agents", "agent_group": "agent_groups"}
    if "names" not in names.failed:
        for key, ids in unknown.items():
            if ids and unread[key] not in names.failed and not (
                key == "agent_group" and "agents" in names.failed
            ):
                noun = key.replace("_", " ")
                count = f"{len(ids)} {noun} id{'s' if len(ids) > 1 else ''}"
                parts.append(f"{count} not in the account's configuration ({_id_list(ids)}) "
                             f"show as {FALLBACK[key].format('<id>')!r}")
    if not parts:
        return None
    return "; ".join(parts) + "; every id without a name is in df.attrs['names']['unknown']"


def attach_names(
    df: pd.DataFrame, names: Names, *, warn: bool = True, stacklevel: int = 2
) -> pd.DataFrame:
    """Add skill and agent names, and each agent's team, to a tidy frame.

    Adds four columns at the end (replacing them if present):

    =====================  ================  =============================================
    column                 dtype             value
    =====================  ================  =============================================
    ``skill_name``         category          the skill's name; ``"Unassigned"`` for skill
                                             -1; NA where the row has no skill
    ``agent_name``         category          the agent's name (full name, else nickname,
                                             else login name); NA where no agent
    ``agent_group``        Int64             the agent's group id (``memberOf``); NA where
                                             no agent, or the agent has no group
    ``agent_group_name``   category          that group's name; NA likewise
    =====================  ================  =============================================

    An id the names do not know gets a readable fallback (``"skill 3867783315"``,
    ``"agent 1282939616"``, ``"group 12"``; an unknown agent's group is NA), and one
    :class:`~engframe.EngframeWarning` says how many and quotes a few. A name two ids
    share carries the id: ``"Dana Levi (1282939616)"``. Categories are sorted by name.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame (from :func:`engframe.load`, :func:`engframe.flatten`, or derived
        from one: anything with ``skill`` and ``agent`` columns).
    names : Names
        The account's names (:meth:`engframe.Client.names`,
        :func:`engframe.names.read_names`).
    warn : bool, default True
        Warn once about unknown ids and tables that could not be read.
    stacklevel : int, default 2
        Passed to :func:`warnings.warn`.

    Returns
    -------
    pandas.DataFrame
        A new frame (the input is unchanged): its columns, then the four above.
        ``df.attrs["names"]`` records ``source``, ``account``, ``read_at`` (ISO, or
        None), ``failed`` (table -> reason) and ``unknown`` (``skill``, ``agent``,
        ``agent_group`` -> ids shown with a fallback name).

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame.
    OptionError
        If ``names`` is not a :class:`Names`.

    Examples
    --------
    >>> import engframe
    >>> import pandas as pd
    >>> from engframe.names import Names, attach_names
    >>> df = engframe.load("data/samples/skills_all_agent_3.json")
    >>> names = Names(skills=pd.DataFrame({"skill": [2, 3], "skill_name": ["Sales", "Care"]}),
    ...               agents=pd.DataFrame({"agent": [3], "agent_name": ["Dana Levi"]}))
    >>> out = attach_names(df, names, warn=False)
    >>> out.loc[out["level"] == "skill_agent", ["skill_name", "agent_name"]].drop_duplicates()
      skill_name agent_name
    0      Sales  Dana Levi
    """
    # Only the id columns are read: a full check_frame (levels, spans) would cost more
    # than the join itself on a large frame.
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"attach_names: expected a tidy DataFrame, found {type(df).__name__}")
    missing = [name for name in ("skill", "agent") if name not in df.columns]
    if missing:
        raise FrameError(f"attach_names: the frame lacks the id column(s) "
                         f"{', '.join(missing)}; it has {', '.join(map(str, df.columns))}")
    if not isinstance(names, Names):
        raise OptionError(f"attach_names: names must be an engframe.names.Names, found "
                          f"{type(names).__name__}")
    unknown: dict[str, list[int]] = {"skill": [], "agent": [], "agent_group": []}
    skill_name = _skills(df, names, unknown)
    agent_name, agent_group, group_name = _agents(df, names, unknown)
    added = pd.DataFrame({
        "skill_name": skill_name,
        "agent_name": agent_name,
        "agent_group": agent_group,
        "agent_group_name": group_name,
    }, index=df.index, copy=False)
    # Copy-on-write: neither step copies the frame's columns (setting columns one by one
    # would copy each new one), and the caller's frame is left alone.
    kept = df.drop(columns=[c for c in NAME_COLUMNS if c in df.columns])
    out = pd.concat([kept, added], axis=1)
    read_at = names.read_at
    out.attrs = {
        **df.attrs,
        "names": {
            "source": names.source,
            "account": names.account,
            "read_at": None if read_at is None else read_at.isoformat(),
            "failed": dict(names.failed),
            "unknown": {key: sorted(ids) for key, ids in unknown.items()},
        },
    }
    message = names_warning(names, unknown) if warn else None
    if message is not None:
        warnings.warn(message, EngframeWarning, stacklevel=stacklevel)
    return out
