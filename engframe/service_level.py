"""Service level from sla's histogram: the share of answered chats that waited less than T.

sla answers with a histogram of the answered chats' waits (:mod:`engframe.methods.sla`): per
bucket, keyed by its lower bound in seconds, the ``chats`` whose wait fell in it. The service
level within T seconds is the chats of the buckets below T over all chats, from the counts
(never by adding the API's shares: those of two windows or two selections do not add up).
T must be a bucket edge of every histogram summed: a histogram cannot tell how many of a
bucket's chats waited less than a time inside it, so such a T is refused with the edges
listed. ``within=None`` gives the whole curve: the service level at every edge.

Examples
--------
>>> import engframe
>>> df = engframe.flatten("data/samples/operational/sla.json")
>>> service_level(df, within=10)["value"].tolist()  # 4 of the 5 chats waited under 10 s
[0.8]
>>> service_level(df)["within"].tolist()
[5, 10, 20, 30]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engframe.errors import FrameError, OptionError
from engframe.schema import BUCKET_COLUMN, check_frame

__all__ = ["service_level"]

_RESPONSE: tuple[str, ...] = ("source", "account", "fetched_at", "timestamp")


def service_level(df: pd.DataFrame, *, within: int | Sequence[int] | None = None,
                  by: str | Sequence[str] = ()) -> pd.DataFrame:
    """The share of answered chats that waited less than ``within`` seconds.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame of sla (its ``bucket`` and ``chats`` rows are read), one answer or
        many (a folder, a history of fetch windows): the counts add up over all of them.
    within : int or sequence of int, optional
        The service level's threshold(s) T [s], each an edge (a lower bound above 0) of
        every histogram in the frame. ``None``: every edge, the whole curve.
    by : str or sequence of str
        Columns to group by (``account``, ``timestamp`` for each fetch window apart, ...).

    Returns
    -------
    pandas.DataFrame
        One row per group and T: the ``by`` columns, ``within`` [s], ``answered`` (chats
        that waited less than T), ``chats`` (all chats) and ``value`` (their ratio; NaN
        without chats).

    Raises
    ------
    FrameError
        If the frame holds no sla histogram (no ``bucket`` column or no ``chats`` rows).
    OptionError
        If a T is not an edge of every histogram, naming the edges that are.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/operational/sla.json")
    >>> service_level(df, within=15)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.OptionError: service_level: within=15 s is not a bucket edge ... 5, 10, 20, 30
    """
    where = "service_level"
    check_frame(df, where=where)
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise OptionError(f"{where}: by={keys!r} names {missing[0]!r}, which the frame lacks")
    if BUCKET_COLUMN not in df.columns:
        raise FrameError(f"{where}: the frame has no {BUCKET_COLUMN!r} column: it holds no "
                         "sla histogram (fetch method='sla')")
    rows = df[(df["metric"].astype(str) == "chats") & df[BUCKET_COLUMN].notna()]
    if rows.empty:
        raise FrameError(f"{where}: the frame holds no sla 'chats' per bucket")
    histogram = [k for k in _RESPONSE if k in rows.columns and k not in keys]
    bounds = rows[BUCKET_COLUMN].astype(np.int64)
    # every histogram's edges (its lower bounds above 0): a T must be one of each
    each = rows.assign(bucket=bounds).groupby(histogram or (lambda _: 0), dropna=False,
                                              observed=True)[BUCKET_COLUMN]
    common = sorted(set.intersection(*(set(b) for _, b in each)) - {0})
    asked = common if within is None else ([within] if isinstance(within, int | np.integer)
                                           else list(within))
    for t in asked:
        if isinstance(t, bool) or not isinstance(t, int | np.integer) or t not in common:
            shown = ", ".join(map(str, common)) or "none"
            raise OptionError(
                f"{where}: within={t!r} s is not a bucket edge of every histogram in the "
                f"frame, so the chats that waited less than it cannot be counted; the edges "
                f"are {shown}")
    chats = rows["value"].to_numpy(np.float64)
    if keys:
        grouped = pd.DataFrame({name: rows[name].to_numpy() for name in keys}).groupby(
            keys, dropna=False, observed=True, sort=False)
        group = grouped.ngroup().to_numpy()
        found = grouped.size().index.tolist()  # the groups in the order of ngroup
    else:
        group, found = np.zeros(len(rows), np.int64), [()]
    # Each row counts for every T above its bucket: add it at the first such T (in sorted
    # order), then a running sum along the T gives each T's answered chats, every group at once.
    limits = np.array([int(t) for t in asked], np.int64)
    order = np.argsort(limits, kind="stable")
    first = np.searchsorted(limits[order], bounds.to_numpy(), side="right")
    width = len(limits) + 1
    added = np.bincount(group * width + first, weights=chats, minlength=len(found) * width)
    answered = np.empty((len(found), len(limits)))
    answered[:, order] = np.cumsum(added.reshape(len(found), width), axis=1)[:, :-1]
    totals = np.bincount(group, weights=chats, minlength=len(found))
    out = []
    for g, key in enumerate(found):
        values = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        total = float(totals[g])
        for j, t in enumerate(limits.tolist()):
            part = float(answered[g, j])
            out.append({**values, "within": t, "answered": part, "chats": total,
                        "value": part / total if total else np.nan})
    return pd.DataFrame(out, columns=[*keys, "within", "answered", "chats", "value"])
