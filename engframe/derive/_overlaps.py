"""Refuse sums across responses that hold the same chats: stacked fetches, mixed requests.

``engframe.load`` of a folder keeps each period of a request once (:mod:`engframe._resolve`),
and a history holds one fact per period. A frame can still stack responses whose values
overlap: ``pandas.concat`` of two fetches, a folder of bare responses (which say neither
their request nor their time) or of different requests (a skill's total when all agents were
asked, and again when only some were). Summed, such a frame counts chats twice. Before it
sums anything, :func:`check_overlaps` looks for

- the same value twice: one series (skill, agent, metric, account) at one period end from two
  responses, within one group of the result;
- periods of different responses that overlap without being the same period (60-minute
  intervals of fetches made at :02 and at :09),

and refuses with the way out (keep the responses apart with ``by=["source"]``, or load the
folder, which resolves overlapping fetches of one request).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from engframe._keys import first_rows, group_ids
from engframe.errors import FrameError
from engframe.schema import NAT_MS, epoch_ms

__all__ = ["RESPONSE_COLUMNS", "check_overlaps"]

#: Columns that tell the responses of a stacked frame apart.
RESPONSE_COLUMNS: Final = ("source", "account", "fetched_at")
#: ``attrs`` key of a history's frame (``engframe.read_dataset``): one fact per period.
_HISTORY: Final = "history"


def _response_count(df: pd.DataFrame, rows: np.ndarray) -> int:
    """How many responses ``rows`` come from (rows of one response share these columns)."""
    columns = [df[c].array.take(rows) for c in RESPONSE_COLUMNS if c in df.columns]
    if not columns or not len(rows):
        return 1 if len(rows) else 0
    return len(pd.unique(group_ids(columns)[0]))


def check_overlaps(df: pd.DataFrame, rows: np.ndarray, group: np.ndarray, *,
                   keys: list[str], where: str) -> None:
    """Raise :class:`FrameError` if ``rows`` (one level and span) hold a chat twice per group.

    ``group`` holds each row's group code in the result.
    """
    if df.attrs.get(_HISTORY) is not None or "source" in keys:
        return  # a history holds one fact per period; by source keeps responses apart
    if _response_count(df, rows) < 2:
        return
    stamp = epoch_ms(df["timestamp"])[rows]
    series = [(group, int(group.max()) + 1 if len(group) else 1),
              df["timestamp"].array.take(rows), df["skill"].array.take(rows),
              df["agent"].array.take(rows), df["metric"].array.take(rows)]
    if "account" in df.columns:
        series.append(df["account"].array.take(rows))
    ids, _ = group_ids(series)
    codes, uniques = pd.factorize(ids)
    if len(uniques) < len(rows):
        counts = np.bincount(codes, minlength=len(uniques))
        twice = np.flatnonzero(counts[codes] > 1)
        _refuse(df, rows[twice[:2]], where=where,
                what="the same value from two responses")
    _check_periods(df, rows, stamp, where=where)


def _check_periods(df: pd.DataFrame, rows: np.ndarray, stamp: np.ndarray, *,
                   where: str) -> None:
    """Refuse periods that overlap without being the same period (the same end)."""
    if "start" not in df.columns:
        return  # bare responses: when their periods began is unknown
    start = epoch_ms(df["start"])[rows]
    known = np.flatnonzero((start != NAT_MS) & (stamp != NAT_MS))
    if not len(known):
        return
    codes, ends = pd.factorize(stamp[known])
    earliest = np.full(len(ends), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(earliest, codes, start[known])
    order = np.argsort(ends)
    ends, earliest = np.asarray(ends)[order], earliest[order]
    # periods sorted by end: one that starts before the previous one ended overlaps it
    clash = np.flatnonzero(earliest[1:] < ends[:-1])
    if len(clash):
        first = first_rows(np.argsort(order)[codes], len(ends))
        pair = known[first[[clash[0], clash[0] + 1]]]
        _refuse(df, rows[pair], where=where,
                what="periods that overlap without being the same period")


def _refuse(df: pd.DataFrame, rows: np.ndarray, *, where: str, what: str) -> None:
    shown = []
    for row in rows:
        parts = [f"{c}={df[c].iloc[row]}" for c in RESPONSE_COLUMNS if c in df.columns]
        shown.append(", ".join(parts) or f"row {row}")
    raise FrameError(
        f"{where}: the frame stacks responses that hold the same chats ({what}: "
        f"{' and '.join(shown)}); summing them would count those chats twice. "
        "Load a folder with engframe.load (it keeps each period of a request once), keep "
        "the responses apart with by=['source'], or select one of them first")
