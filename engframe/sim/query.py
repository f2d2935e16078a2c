"""Parse and validate an engactivity query string the way the real API does.

The rules come from the spec's parameter table, read exactly as the live client reads them
(the two share :func:`engframe.window.interval_fits` and :func:`engframe.query.id_from_text`):
``timeframe`` is required, numeric and at most 1440 minutes; ``v`` is required and is ``1``,
the method's only version; ``interval`` is a multiple of 5 minutes, at most the timeframe and a
divisor of it; ``skillIds``/``agentIds`` are comma-separated signed 64-bit ids or ``all``.
Anything else is a :class:`~engframe.errors.SimRequestError` that the server answers with
HTTP 400 and a JSON body naming the parameter and the bad value.

Examples
--------
>>> from engframe.sim.query import parse_query
>>> q = parse_query({"timeframe": ["60"], "v": ["1"], "interval": ["30"], "skillIds": ["4,15"]})
>>> q.timeframe, q.interval, q.skill_ids, q.agent_ids
(60, 30, (4, 15), None)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NoReturn, TypeAlias

from engframe.errors import SimRequestError
from engframe.methods import METHODS
from engframe.query import API_VERSION, id_from_text
from engframe.window import MAX_TIMEFRAME, MIN_INTERVAL, interval_fits, interval_rule

__all__ = ["ALL", "MIN_INTERVAL", "EngQuery", "IdSelection", "parse_query"]

#: The value of ``skillIds``/``agentIds`` that asks for every id with data.
ALL: Final = "all"
#: A requested id list: not sent (``None``), ``"all"``, or the ids in the order sent.
IdSelection: TypeAlias = "tuple[int, ...] | Literal['all'] | None"

_MINUTES = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class EngQuery:
    """A valid engactivity query.

    Attributes
    ----------
    timeframe : int
        Minutes back from now, 1..1440.
    interval : int or None
        Interval size [minutes], or ``None`` for the whole timeframe only.
    skill_ids, agent_ids : tuple of int, "all" or None
        The ids asked for; ``None`` when the parameter was not sent.
    version : str
        The ``v`` parameter as sent.
    method : str
        The method asked (the path's last segment), ``engactivity`` by default.
    """

    timeframe: int
    interval: int | None = None
    skill_ids: IdSelection = None
    agent_ids: IdSelection = None
    version: str = "1"
    method: str = "engactivity"


def parse_query(params: Mapping[str, Sequence[str] | str], *,
                method: str = "engactivity") -> EngQuery:
    """Validate a method's query parameters (engactivity's by default).

    Parameters
    ----------
    params : mapping of str to str or sequence of str
        The query, as from :func:`urllib.parse.parse_qs` (a parameter sent twice counts
        by its first value), or a POST's JSON object of strings. Unknown parameters are
        ignored, like the real API does.
    method : str
        The method asked; its rules come from the catalogue (``msgcsatdistribution`` takes
        no ``interval``: one is a 400, like any bad parameter).

    Returns
    -------
    EngQuery
        The parsed query.

    Raises
    ------
    SimRequestError
        With ``status`` 400, ``param`` and ``value`` set, for a missing or bad parameter.

    Examples
    --------
    >>> parse_query({"timeframe": "1440", "v": "1", "agentIds": "all"}).agent_ids
    'all'
    >>> parse_query({"timeframe": "60", "v": "1", "interval": "31"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.SimRequestError: interval: expected a whole number of 5-minute buckets, ...
    """
    timeframe = _minutes(params, "timeframe", low=1, high=MAX_TIMEFRAME)
    version = _first(params, "v")
    if version != str(API_VERSION):
        _reject("v", version, f"{API_VERSION}, the method's only version")
    interval = None
    if _first(params, "interval") is not None:
        if not METHODS[method].interval:
            _reject("interval", _first(params, "interval"),
                    f"no interval: {method} answers for the whole timeframe")
        interval = _minutes(params, "interval", low=MIN_INTERVAL, high=timeframe)
        if not interval_fits(timeframe, interval):
            _reject("interval", str(interval), interval_rule(timeframe),
                    raw=_first(params, "interval"))
    return EngQuery(
        timeframe=timeframe,
        interval=interval,
        skill_ids=_ids(params, "skillIds"),
        agent_ids=_ids(params, "agentIds"),
        version=str(version),
        method=method,
    )


def _first(params: Mapping[str, Sequence[str] | str], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    return value[0] if len(value) else None


def _minutes(params: Mapping[str, Sequence[str] | str], name: str, *, low: int, high: int) -> int:
    text = _first(params, name)
    if text is None or not _MINUTES.fullmatch(text):
        _reject(name, text, f"a whole number of minutes {low}..{high}")
    value = int(text)
    if not low <= value <= high:
        _reject(name, text, f"a whole number of minutes {low}..{high}")
    return value


def _ids(params: Mapping[str, Sequence[str] | str], name: str) -> IdSelection:
    text = _first(params, name)
    if text is None:
        return None
    if text.strip().lower() == ALL:
        return ALL
    ids = []
    for position, item in enumerate(text.split(","), start=1):
        item = item.strip()
        number = id_from_text(item)
        if number is None:
            what = "is empty" if not item else f"is {item!r}"
            _reject(name, text, f"comma-separated 64-bit integer ids or 'all' "
                                f"(item {position} {what})")
        ids.append(number)
    return tuple(ids)


def _reject(name: str, value: str | None, expected: str, *, raw: str | None = None) -> NoReturn:
    shown = value if raw is None else raw
    found = "nothing (the parameter is required)" if shown is None else repr(shown)
    raise SimRequestError(
        f"{name}: expected {expected}, found {found}", status=400, param=name, value=shown
    )
