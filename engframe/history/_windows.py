"""A method without intervals in a history: one fact per fetch window, windows never overlap.

msgcsatdistribution takes no ``interval``: an answer covers its whole window, from ``start``
to ``timestamp`` (the window end, on a 5-minute bucket), and nothing says how its answers
spread inside it. A history stores each window's values as they came. Two windows that
overlap without being the same window hold some answers twice, and no subtraction can tell
which: such an export is refused, naming both windows, and nothing is written. So every
window a history holds is disjoint from the others, and a sum over any set of them counts
each answer once. The same window fetched again is upserted as a period of a grid is (the
one covering more of it, then the later fetch, wins). ``engframe sync`` fetches windows that
start where the last one ended.

A window ending after it was fetched (the API's newest bucket is still filling) is stored
with ``complete`` false: its answers from the fetch to the window's end are in no window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe.errors import DatasetError
from engframe.history._facts import NAT, _codes
from engframe.history._store import partition_files, read_files, tables
from engframe.history._sums import Verifier
from engframe.window import BUCKET_MS

__all__ = ["check_windows", "stored_windows"]

_DAY_MS: Final = 86_400_000


def _shown(ms: Any) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M")


def _windows(account: np.ndarray, start: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"account": account, "start": start, "end": end}).drop_duplicates(
        ).sort_values(["account", "start", "end"]).reset_index(drop=True)


def stored_windows(base: Path, method: str, verify: Verifier, *, first_ms: int,
                   last_ms: int) -> pd.DataFrame:
    """The distinct windows (account, start, end [epoch ms]) a history holds of ``method``
    that start in ``[first_ms, last_ms)`` (read from the partitions of those days)."""
    first = str(np.datetime64(first_ms // _DAY_MS, "D"))
    last = str(np.datetime64((last_ms - 1) // _DAY_MS, "D"))
    found = []
    for level in tables(base, method):
        files = partition_files(base, level, first_day=first, last_day=last, method=method)
        if not files:
            continue
        table = read_files(files, level, verify, columns=["timestamp", "start", "account"])
        codes, names = _codes(table.column("account"))
        account = np.array([*names, None], object)[codes]
        end = table.column("timestamp").cast("int64").to_numpy()
        start = table.column("start").cast("int64").fill_null(NAT).to_numpy()
        found.append(_windows(account, start, end))
    if not found:
        return _windows(np.zeros(0, object), np.zeros(0, np.int64), np.zeros(0, np.int64))
    return _windows(*(np.concatenate([f[c].to_numpy() for f in found])
                      for c in ("account", "start", "end")))


def check_windows(rows: Any, base: Path, method: str, verify: Verifier) -> None:
    """Refuse windows that are unknown, off the buckets, or overlap another window.

    ``rows`` are the export's rows of ``method`` (their ``start`` is the window start, their
    ``stamp`` its end).

    Raises
    ------
    DatasetError
        Naming the window(s) and what to do; nothing is written.
    """
    if (rows.start == NAT).any():
        raise DatasetError(
            f"export: a {method} answer's window is unknown (a bare response, which says "
            "neither its request nor when it was fetched); nothing was written. Export the "
            "envelope the client saved (save_raw=), or the frame Client.frame returns")
    off = (rows.start % BUCKET_MS != 0) | (rows.stamp % BUCKET_MS != 0)
    if off.any():
        at = int(np.argmax(off))
        raise DatasetError(
            f"export: the {method} window {_shown(rows.start[at])} to {_shown(rows.stamp[at])} "
            "UTC does not lie on the API's 5-minute buckets, as no answer of the API does; "
            "nothing was written")
    names = np.array([*rows.accounts, None], object)
    new = _windows(names[rows.account], rows.start, rows.stamp)
    stored = stored_windows(base, method, verify,
                            first_ms=int(new["start"].min()) - _DAY_MS,
                            last_ms=int(new["end"].max()))
    every = pd.concat([new.assign(new=True), stored.assign(new=False)], ignore_index=True)
    every = every.drop_duplicates(["account", "start", "end"], keep="first")
    for _, same in every.groupby("account", dropna=False, sort=False):
        ordered = same.sort_values(["start", "end"]).reset_index(drop=True)
        starts, ends = ordered["start"].to_numpy(), ordered["end"].to_numpy()
        # sorted by start: a window starting before the latest end so far overlaps it
        reach = np.maximum.accumulate(ends)
        clash = np.flatnonzero(starts[1:] < reach[:-1])
        if len(clash):
            later = int(clash[0]) + 1
            earlier = int(np.flatnonzero(ends[:later] > starts[later])[0])
            pair = ordered.iloc[[earlier, later]]
            said = [f"{_shown(r.start)} to {_shown(r.end)} UTC"
                    + (" (this frame's)" if r.new else " (stored)")
                    for r in pair.itertuples()]
            raise DatasetError(
                f"export: {base} would hold {method} windows {said[0]} and {said[1]}, which "
                "overlap without being the same window: every sum over them would count "
                "their common answers twice, so nothing was written. Fetch windows that "
                "start where the stored ones end (engframe sync does), or export into "
                "another folder")
