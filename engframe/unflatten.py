"""Rebuild the nested response from a tidy frame: the proof that flattening loses nothing."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from engframe._rebuild import BUILDERS, Builder
from engframe.errors import FrameError
from engframe.methods import METHODS, infer
from engframe.schema import (
    AGENTS_KEY,
    BUCKET_COLUMN,
    DIMENSION_COLUMNS,
    INTERVALS_KEY,
    LEVEL_HAS,
    METHOD_COLUMN,
    PER_AGENT_KEY,
    PER_SKILL_KEY,
    SKILLS_KEY,
    TOTALS_KEY,
    check_frame,
)

__all__ = ["unflatten"]

_NAT: Final = np.iinfo(np.int64).min


def unflatten(df: pd.DataFrame) -> dict[str, Any]:
    """Rebuild the response a tidy frame was flattened from.

    ``unflatten(flatten(r)) == r`` for every valid response ``r``: ids become string keys
    again, integers stay integers and floats floats. In a float64 frame the metrics
    ``df.attrs["float_metrics"]`` lists come back as floats and the others as integers;
    without that attribute, the metrics the frame's method sends as floats (the catalogue,
    :mod:`engframe.methods`: msgconversation's averages) come back as floats, other
    integral values as integers and the rest as floats (equal to the original either way).
    Intervals come back in the order their rows appear.
    Valid here means what the API sends: every metric map holds at least one metric, a
    skill lists its ``metricsPerAgent`` (possibly empty) and an ``agentsMetrics`` or skills
    element its ``metricsPerAgent``/``metricsPerSkill`` (possibly empty); such empty maps
    are rebuilt wherever their parent has values. The spellings a response used
    (``skillsMetrics``, ``metricsTotal``) come back when ``df.attrs`` still records them.
    The shapes of queuehealth, agentactivity, sla and queuestate (the frame's ``method``)
    are rebuilt as :mod:`engframe._rebuild` says; an agentactivity interval that holds no
    agent at all leaves no row, so it cannot come back.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame of one response, as :func:`engframe.flatten` returns it (rows may be
        filtered or reordered; extra columns are ignored).

    Returns
    -------
    dict
        The response as the API would have sent it (without any envelope).

    Raises
    ------
    FrameError
        If the frame is not a tidy frame, holds several responses or several methods,
        values that are not numbers or not finite (NaN: derived metrics are not part of a
        response), or two rows claim the same value.

    Examples
    --------
    >>> import engframe
    >>> r = {"metricsTotals": {"totalInteractiveChats": 1, "totalHandlingTime": 12}}
    >>> engframe.unflatten(engframe.flatten(r)) == r
    True
    """
    check_frame(df, where="unflatten")
    if "source" in df.columns and df["source"].nunique() > 1:
        raise FrameError(
            f"unflatten: the frame holds {df['source'].nunique()} responses (column 'source'); "
            "select one, e.g. df[df['source'] == name]"
        )
    method = _method(df)
    values = _values(df, method)
    layout = METHODS[method].layout.name if method is not None and method in METHODS else (
        "sections")
    if layout != "sections":
        return _rebuilt(df, values, BUILDERS[layout]({str(k): v for k, v in df.attrs.items()}))
    spellings = df.attrs.get("spellings", {})
    builder = _Builder(
        skills_key=spellings.get(SKILLS_KEY, SKILLS_KEY),
        totals_key=spellings.get(TOTALS_KEY, TOTALS_KEY),
    )
    columns = zip(
        df.index.tolist(),
        (df["span"] == "interval").tolist(),
        df["timestamp"].to_numpy("datetime64[ms]").view(np.int64).tolist(),
        df["level"].tolist(),
        _ids(df["skill"]),
        _ids(df["agent"]),
        df["metric"].tolist(),
        values,
        strict=True,
    )
    for label, is_interval, stamp, level, skill, agent, metric, value in columns:
        if is_interval and stamp == _NAT:
            raise FrameError(f"unflatten: row {label!r} is an interval row without a timestamp")
        section = builder.interval(stamp) if is_interval else builder.top
        metrics = builder.metrics(section, level, skill, agent, label)
        if metric in metrics:
            raise FrameError(
                f"unflatten: row {label!r} repeats {metric!r} for level {level}, skill "
                f"{_show(skill)}, agent {_show(agent)}"
                + (f" at {pd.Timestamp(stamp, unit='ms', tz='UTC')}" if is_interval else "")
            )
        metrics[metric] = value
    return builder.response()


def _rebuilt(df: pd.DataFrame, values: list[Any], builder: Builder) -> dict[str, Any]:
    """The response of a shape of its own (:mod:`engframe._rebuild`), row by row."""
    dims = {name: (_ids(df[name]) if name == BUCKET_COLUMN else _labels(df[name]))
            for name in DIMENSION_COLUMNS if name in df.columns}
    dims["skill"], dims["agent"] = _ids(df["skill"]), _ids(df["agent"])
    names = list(dims)
    columns = zip(
        df.index.tolist(),
        (df["span"] == "interval").tolist(),
        df["timestamp"].to_numpy("datetime64[ms]").view(np.int64).tolist(),
        df["level"].tolist(),
        df["metric"].tolist(),
        values,
        *dims.values(),
        strict=True,
    )
    for label, is_interval, stamp, level, metric, value, *ids in columns:
        if is_interval and stamp == _NAT:
            raise FrameError(f"unflatten: row {label!r} is an interval row without a timestamp")
        metrics = builder.metrics(stamp if is_interval else None, level,
                                  dict(zip(names, ids, strict=True)))
        if metric in metrics:
            raise FrameError(f"unflatten: row {label!r} repeats {metric!r} of one map")
        metrics[metric] = value
    return builder.response()


def _labels(column: pd.Series) -> list[str | None]:
    """A dimension's labels as strings, ``None`` where a row has none."""
    return [None if missing else str(label)
            for label, missing in zip(column.astype(object).tolist(), column.isna().tolist(),
                                      strict=True)]


def _ids(column: pd.Series) -> list[int | None]:
    """Ids as Python ints, ``None`` where the row has none (every int64 is a real id)."""
    ids = column.astype(object).tolist()
    return [None if missing else identifier
            for identifier, missing in zip(ids, column.isna().tolist(), strict=True)]


def _method(df: pd.DataFrame) -> str | None:
    """The method the frame's response answers (its ``method`` column, else its metrics)."""
    if METHOD_COLUMN in df.columns:
        named = sorted({str(v) for v in pd.unique(df[METHOD_COLUMN].dropna())})
        if len(named) > 1:
            raise FrameError(f"unflatten: the frame holds {len(named)} methods (column "
                             f"{METHOD_COLUMN!r}: {', '.join(named)}); a response answers one: "
                             f"select it, e.g. df[df[{METHOD_COLUMN!r}] == {named[0]!r}]")
        if named:
            return named[0]
    found = infer(str(m) for m in pd.unique(df["metric"].dropna()))
    return None if found is None else found.name


def _values(df: pd.DataFrame, method: str | None = None) -> list[Any]:
    """The values as the response held them: Python ints, and floats where it had floats."""
    column = df["value"]
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind in ("i", "u"):
        return list(column.tolist())
    if kind != "f":
        raise FrameError(f"unflatten: column 'value' is {column.dtype}; a response holds "
                         "numbers (int64 or float64)")
    values = column.to_numpy()
    finite = np.isfinite(values)
    if not finite.all():
        label = column.index[int(np.argmin(finite))]
        raise FrameError(f"unflatten: row {label!r} has value {values[~finite][0]}; a response "
                         "holds finite numbers only (derived metrics are not part of one)")
    as_int = values == np.floor(values)
    floats = df.attrs.get("float_metrics")
    if floats is None and method is not None and method in METHODS:
        floats = [m.name for m in METHODS[method].metrics if m.json_float]
    if floats is not None:
        as_int &= ~df["metric"].isin(list(floats)).to_numpy(bool)
    rebuilt = values.astype(object)
    # float64 integers beyond 2**63 cannot be int64: Python ints are made one by one then.
    small = as_int & (np.abs(values) < 2.0**63)
    rebuilt[small] = values[small].astype(np.int64).astype(object)
    rebuilt[as_int & ~small] = [int(v) for v in values[as_int & ~small]]
    return list(rebuilt)


def _show(identifier: int | None) -> str:
    return "<NA>" if identifier is None else str(identifier)


class _Builder:
    """Nested dicts of a response, created on demand as rows arrive."""

    def __init__(self, *, skills_key: str, totals_key: str) -> None:
        self.top: dict[str, Any] = {}
        self.intervals: dict[int, dict[str, Any]] = {}
        self.skills_key = skills_key
        self.totals_key = totals_key
        self._slots: dict[tuple[int, str, int | None, int | None], dict[str, Any]] = {}

    def interval(self, stamp: int) -> dict[str, Any]:
        section = self.intervals.get(stamp)
        if section is None:
            section = self.intervals[stamp] = {}
        return section

    def metrics(
        self, section: dict[str, Any], level: str, skill: int | None, agent: int | None,
        label: Any,
    ) -> dict[str, Any]:
        key = (id(section), level, skill, agent)
        found = self._slots.get(key)
        if found is None:
            _check_ids(level, skill, agent, label)
            found = self._slots[key] = self._create(section, level, skill, agent)
        return found

    def _create(self, section: dict[str, Any], level: str, skill: int | None,
                agent: int | None) -> Any:
        totals = self.totals_key
        if level == "account":
            return section.setdefault(totals, {})
        if level in ("skill_agent", "skill", "skills_total"):
            skills = section.setdefault(self.skills_key, {})
            by_skill = skills.setdefault(PER_SKILL_KEY, {})
            if level == "skills_total":
                return skills.setdefault(totals, {})
            one = by_skill.setdefault(str(skill), {})
            by_agent = one.setdefault(PER_AGENT_KEY, {})
            if level == "skill":
                return one.setdefault(totals, {})
            return by_agent.setdefault(str(agent), {})
        agents = section.setdefault(AGENTS_KEY, {})
        by_agent = agents.setdefault(PER_AGENT_KEY, {})
        if level == "agents_total":
            return agents.setdefault(totals, {})
        return by_agent.setdefault(str(agent), {})

    def response(self) -> dict[str, Any]:
        if not self.intervals:
            return self.top
        listed = [
            {"timestamp": stamp, "metricsData": data} for stamp, data in self.intervals.items()
        ]
        return {INTERVALS_KEY: listed, **self.top}


def _check_ids(level: str, skill: int | None, agent: int | None, label: Any) -> None:
    has_skill, has_agent = LEVEL_HAS[level]
    if has_skill != (skill is not None) or has_agent != (agent is not None):
        raise FrameError(
            f"unflatten: row {label!r} has level {level!r} with skill {_show(skill)} and agent "
            f"{_show(agent)}; that level needs "
            f"{'a' if has_skill else 'no'} skill and {'an' if has_agent else 'no'} agent"
        )
