"""The plots on a history: the few rows a chart needs, computed out of core.

A chart of a history needs the sums of its metric's components per line and per point (a
skill, agent or team; a period, hour or day), and the hours each point spans. ``derive``
computes those on the history where it is; :func:`plot_frame` turns them into a small tidy
frame holding one row per (line, point, component) whose every ``derive`` equals the
history's, and the plot draws from it as from any frame: the same leaders, pooled ``other``
line, partial periods and labels, from thousands of rows instead of millions.

Each row ends at its point's end (a period's end, the end of its hour or day; for a ranking,
the history's last end) and starts as many hours before as the point spans, so the hours
``derive`` counts on it are the history's.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from engframe.derive import HOURS, Formula, resolve
from engframe.derive import derive as derive_frame
from engframe.derive._attrs import WINDOW_MS
from engframe.history._names_store import name_path
from engframe.history._read import history_attrs
from engframe.lazy._derive import coverage_frame, derive_history, present_levels
from engframe.lazy._scan import Scan
from engframe.lazy._sql import ident
from engframe.methods import owner
from engframe.names import NAME_COLUMNS
from engframe.schema import (
    LEVEL_CODE,
    LEVELS,
    NAT_MS,
    build_frame,
    concat_frames,
    epoch_ms,
    utc_stamps,
)

__all__ = ["plot_frame"]

_HOURS_FORMULA: Final = Formula("_hours", {HOURS: 1.0})
#: The id and name columns of each ``by`` a plot takes.
_KEYS: Final = {"skill": ("skill", "skill_name"), "agent": ("agent", "agent_name"),
                "agent_group": ("agent_group", "agent_group_name")}
_MS_PER_HOUR: Final = 3_600_000


def plot_frame(scan: Scan, metrics: list[str | Formula], *, by: str | None,
               when: str | None, level: str | None, span: str | None,
               tz: str) -> tuple[pd.DataFrame, str]:
    """A small tidy frame on which ``derive`` by ``by`` (and ``when``) equals the history's,
    and the level it holds them at.

    ``when``: ``"timestamp"``, ``"hour"`` or ``"day"`` for a time series, None for a ranking.
    A time series also gets a row of value 0 per point of any level (at another level), so
    that its time axis and partial periods are the history's.
    """
    formulas = [resolve(m, where="plot") for m in metrics]
    components = list(dict.fromkeys(c for f in formulas for c in f.components if c != HOURS))
    if scan.method is None and len(scan.methods()) > 1:
        # a chart draws one method's metric: that method's tables (derive keeps them apart)
        found = next((o.name for c in components if (o := owner(c)) is not None), None)
        if found is not None and found in scan.methods():
            scan = scan.one(found)
    keys: list[str] = []
    if by is not None:
        ident, name = _KEYS[by]
        keys = [ident, *([name] if by == "agent_group" or _has_names(scan) else [])]
    grouped = derive_history(
        scan, metrics=[*components, _HOURS_FORMULA], by=[*keys, *([when] if when else [])],
        level=level, span=span, tz=tz, components=False)
    chosen = str(grouped["level"].iloc[0]) if len(grouped) else (level or "account")
    n = len(grouped) // (len(components) + 1) if len(grouped) else 0
    block = {m: grouped.iloc[i * n:(i + 1) * n].reset_index(drop=True)
             for i, m in enumerate([*components, _HOURS_FORMULA.name])}
    first = block[_HOURS_FORMULA.name]
    integer = scan.values.startswith(("int", "uint"))
    values = [block[c]["value"].to_numpy(np.float64) for c in components]
    frame = _rows(first, values, components, when=when, tz=tz, level=chosen, integer=integer,
                  names=[k for k in keys if k in NAME_COLUMNS])
    if when is not None:
        points = _points(scan, when=when, level=chosen, tz=tz)
        other = next(lv for lv in LEVELS if lv != chosen)
        frame = concat_frames([frame, _rows(points, [np.zeros(len(points))], components[:1],
                                            when=when, tz=tz, level=other, integer=integer,
                                            names=[])])
    frame.attrs.update(history_attrs(scan.manifest, scan.root, scan.methods() or None))
    window = _window_ms(scan, chosen)
    if window is not None:
        frame.attrs[WINDOW_MS] = window
    return frame, chosen


def _window_ms(scan: Scan, level: str) -> tuple[int, int] | None:
    """The time ``level``'s facts cover [epoch ms]: the earliest start, the latest end (cut
    at the fetch time), computed where the facts are; None when it holds none."""
    relations = present_levels(scan.runner(), scan)
    if level not in relations.present:
        return None
    engine = relations.engine
    table = engine.query(
        f"SELECT min({engine.ms('start_at')}) AS first, "
        f"max({engine.ms('least(ts, fetched_at)')}) AS last "
        f"FROM {ident(relations.names[level])}")
    first, last = table.column("first")[0].as_py(), table.column("last")[0].as_py()
    if first is None or last is None:
        return None
    return int(first), int(last)


def _points(scan: Scan, *, when: str, level: str, tz: str) -> pd.DataFrame:
    """Every point of the time axis (a period, an hour, a day) of any level, and its hours."""
    relations = present_levels(scan.runner(), scan)
    if not relations.present:
        return pd.DataFrame({"timestamp": [], when: [], "value": []})
    periods = coverage_frame(relations, scan, complete=False)
    found = [derive_frame(periods, metrics=[_HOURS_FORMULA], by=[when], level=lv,
                          span="interval", tz=tz) for lv in relations.present]
    points = pd.concat(found, ignore_index=True).drop_duplicates(subset=[when])
    return points.reset_index(drop=True)


def _rows(points: pd.DataFrame, values: list[np.ndarray], components: list[str], *,
          when: str | None, tz: str, level: str, integer: bool,
          names: list[str]) -> pd.DataFrame:
    """One row per point and component: its sum, ending at the point's end and starting as
    many hours before as the point spans (``points["value"]``)."""
    n, k = len(points), len(components)
    end = _ends(points, when, tz)
    hours = points["value"].to_numpy(np.float64) if n else np.zeros(0)
    spans = np.rint(np.nan_to_num(hours) * _MS_PER_HOUR).astype(np.int64)
    start = np.where(np.isnan(hours), NAT_MS, end - spans)
    flat = np.concatenate(values) if k else np.zeros(0)
    frame = build_frame(
        timestamp_ms=np.tile(end, k),
        skill=np.tile(_ids(points, "skill", n), k), agent=np.tile(_ids(points, "agent", n), k),
        metric_codes=np.repeat(np.arange(k), n), metrics=components,
        value=flat.astype(np.int64) if integer else flat,
        level_codes=np.full(n * k, LEVEL_CODE[level], np.int8),
        span_codes=np.zeros(n * k, np.int8))
    for key in names:
        frame[key] = points[key].array.take(np.tile(np.arange(n), k))
    frame["start"] = utc_stamps(np.tile(start, k)).array
    return frame


def _has_names(scan: Scan) -> bool:
    return any(name_path(scan.root, kind).is_file() for kind in ("skills", "agents"))


def _ids(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    if not n or column not in frame.columns:
        return np.zeros(n, np.int64)
    ids: np.ndarray = frame[column].to_numpy(np.int64, na_value=0)
    return ids


def _ends(first: pd.DataFrame, when: str | None, tz: str) -> np.ndarray:
    """Each point's end [epoch ms]: its period's, its hour's or day's, or the history's last."""
    if not len(first):
        return np.zeros(0, np.int64)
    if when is None:
        return np.full(len(first), epoch_ms(first["timestamp"]).max(), np.int64)
    if when == "timestamp":
        return epoch_ms(first["timestamp"])
    labels = pd.DatetimeIndex(first[when])
    step = pd.DateOffset(hours=1) if when == "hour" else pd.DateOffset(days=1)
    following = (labels.tz_convert(tz) + step) if when == "day" else labels + step
    return epoch_ms(pd.Series(following))
