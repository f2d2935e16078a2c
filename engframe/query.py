"""The query: its parameters checked before any traffic, its query string, and its splitting.

A :class:`Query` holds a method's parameters in normal form: the method (a name of the
catalogue, :mod:`engframe.methods`; ``engactivity`` by default), ``timeframe`` and ``interval``
in minutes, and ``skills``/``agents`` each ``None`` (not sent), ``"all"`` or a tuple of
integer ids. Building one checks every rule of the method's page (the catalogue says which:
``msgcsatdistribution`` takes no ``interval``), so a bad query fails here, with a
:class:`~engframe.errors.QueryError` naming the parameter, the bad value and the rule,
before anything goes over the network.

A long id list can make the URL too long for the servers on the way. A method that accepts a
POST (msgconversation) then gets its parameters as a JSON object of strings
(:meth:`Query.json_body`); one that does not (engactivity) is split by :func:`split_query`
into several queries whose query strings each fit a given room, which the client fetches
and merges.

Examples
--------
>>> from engframe.query import Query
>>> q = Query(timeframe=60, interval=30, skills=[4, 15, 3], agents="all")
>>> q.query_string()
'timeframe=60&v=1&interval=30&skillIds=4,15,3&agentIds=all'
>>> Query(method="msgconversation", timeframe=60, agents=[1, 2]).json_body()
b'{"timeframe":"60","v":"1","agentIds":"1,2"}'
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from engframe.errors import QueryError
from engframe.methods import DEFAULT_METHOD, Method, get_method
from engframe.methods.sla import HISTOGRAM_STEP
from engframe.schema import MAX_ID, MIN_ID
from engframe.window import MAX_TIMEFRAME, MIN_INTERVAL, interval_fits, interval_rule

__all__ = [
    "API_VERSION",
    "MAX_ID",
    "MIN_ID",
    "MIN_INTERVAL",
    "Ids",
    "IdsLike",
    "Query",
    "check_account",
    "check_histogram",
    "check_ids",
    "id_from_text",
    "ids_text",
    "split_query",
]

#: Engagement Activity's version, sent as ``v`` (each method's is in the catalogue).
API_VERSION: Final = 1
#: The largest bucket bound a histogram may have [s]: a day.
MAX_BOUND_S: Final = MAX_TIMEFRAME * 60
_ALL: Final = "all"
_PARAM_NAMES: Final = {"skills": "skillIds", "agents": "agentIds"}
_SHOWN_ITEMS: Final = 60

#: A selection of ids in normal form: not sent, every id, or these ids.
Ids: TypeAlias = Literal["all"] | tuple[int, ...] | None
#: What a caller may give for a selection of ids.
IdsLike: TypeAlias = str | int | Iterable[int | str] | None


def _fail(parameter: str, value: Any, rule: str, detail: str = "") -> QueryError:
    shown = repr(value)
    if len(shown) > _SHOWN_ITEMS:
        shown = shown[: _SHOWN_ITEMS - 3] + "..."
    return QueryError(
        f"{parameter}={shown} is invalid{detail}: {parameter} must be {rule}",
        parameter=parameter,
        value=value,
        rule=rule,
    )


def _integer(value: Any) -> int | None:
    """``value`` as an int when it is an integer (numpy's too), else ``None``."""
    if isinstance(value, bool | str | bytes | float):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check_account(account: Any) -> str:
    """Check a LivePerson account id and return it as a string.

    Parameters
    ----------
    account : str or int
        The account id, for example ``"56072331"``.

    Returns
    -------
    str
        The id as digits.

    Raises
    ------
    QueryError
        If the id is not made of digits only.

    Examples
    --------
    >>> check_account(56072331)
    '56072331'
    """
    rule = "a LivePerson account id made of digits, such as '56072331'"
    number = _integer(account)
    if number is not None and number > 0:
        return str(number)
    if isinstance(account, str) and account.strip().isascii() and account.strip().isdigit():
        return account.strip()
    raise _fail("account", account, rule)


def _check_timeframe(timeframe: Any, method: Method | None = None) -> int:
    low, high = (1, MAX_TIMEFRAME) if method is None else method.timeframe
    rule = f"an integer number of minutes from {low} to {high}"
    if timeframe is None:
        raise _fail("timeframe", timeframe, rule, " (it is required)")
    number = _integer(timeframe)
    if number is None or not low <= number <= high:
        raise _fail("timeframe", timeframe, rule)
    return number


def _check_interval(interval: Any, timeframe: int, method: Method | None = None) -> int | None:
    if interval is None:
        return None
    if method is not None and not method.interval:
        raise _fail("interval", interval, f"None: {method.name} takes no interval (its "
                                          "answers cover the whole timeframe)")
    rule = f"None or {interval_rule(timeframe)}"
    number = _integer(interval)
    if number is None or not interval_fits(timeframe, number):
        raise _fail("interval", interval, rule)
    return number


def check_ids(parameter: str, ids: Any) -> Ids:
    """A selection of ids in normal form: ``None``, ``"all"`` or a tuple of distinct ids.

    Parameters
    ----------
    parameter : str
        The name the error uses (``"skills"``, ``"skillIds"``).
    ids : None, "all", int, str or iterable
        Ids as a caller or a saved request writes them: ``"4,15"``, ``7``, ``[4, "15"]``.

    Returns
    -------
    None, "all" or tuple of int

    Raises
    ------
    QueryError
        If an item is not a signed 64-bit integer id (by :func:`id_from_text` for text).

    Examples
    --------
    >>> check_ids("skills", "4, 15,4"), check_ids("skills", "ALL"), check_ids("agents", 7)
    ((4, 15), 'all', (7,))
    """
    rule = ("None, 'all', an integer id, a comma-separated string of ids "
            "or an iterable of them")
    if ids is None:
        return None
    if isinstance(ids, str):
        if ids.strip().lower() == _ALL:
            return _ALL
        items: list[Any] = ids.split(",")
    elif isinstance(ids, bytes | bytearray | Mapping | bool | float):
        raise _fail(parameter, ids, rule)
    elif _integer(ids) is not None:
        items = [ids]
    elif isinstance(ids, Iterable):
        items = list(ids)
    else:
        raise _fail(parameter, ids, rule)
    if not items:
        raise _fail(parameter, ids, rule, " (no id in it)")
    checked: dict[int, None] = {}
    for position, item in enumerate(items):
        number = _id(item)
        if number is None:
            raise _fail(parameter, ids, rule, f" (item {position} is {item!r}, "
                                              f"not a 64-bit integer)")
        checked[number] = None
    return tuple(checked)


def _id(item: Any) -> int | None:
    number = _integer(item)
    if number is None and isinstance(item, str):
        number = id_from_text(item.strip())
    return number if number is not None and MIN_ID <= number <= MAX_ID else None


#: The most digits (leading zeros aside) a 64-bit id has.
_ID_DIGITS: Final = len(str(MAX_ID))


def id_from_text(text: str) -> int | None:
    """The id written in ``text`` (decimal digits, optionally after ``-``), or None.

    Skill and agent ids are signed 64-bit integers (live accounts report unassigned chats
    under skill ``-1``). The client and the simulator read ids with this one rule.

    Examples
    --------
    >>> id_from_text("-1"), id_from_text("007"), id_from_text("+7"), id_from_text("1e3")
    (-1, 7, None, None)
    >>> id_from_text("9" * 5000) is None  # not int() of thousands of digits
    True
    >>> id_from_text("0" * 5000 + "7")  # nor of thousands of leading zeros
    7
    """
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    # Python refuses int() of more than 4,300 digits, leading zeros included: drop them
    significant = digits.lstrip("0") or "0"
    if len(significant) > _ID_DIGITS:
        return None
    number = -int(significant) if negative else int(significant)
    return number if MIN_ID <= number <= MAX_ID else None


def ids_text(ids: Ids) -> str | None:
    """A selection as the API's parameter (and a saved request) writes it.

    Examples
    --------
    >>> ids_text((4, 15)), ids_text("all"), ids_text(None)
    ('4,15', 'all', None)
    """
    if ids is None or ids == _ALL:
        return ids
    return ",".join(map(str, ids))


@dataclass(frozen=True, slots=True, init=False)
class Query:
    """One query of a method, checked and in normal form.

    Parameters
    ----------
    method : str, default "engactivity"
        The method (:data:`engframe.methods.METHODS`).
    timeframe : int
        The window [minutes], 1..1440, ending now; required, except by a snapshot method
        (queuestate), which takes none.
    interval : int, optional
        Interval size [minutes]: a multiple of 5 (the API's bucket), at most ``timeframe``
        and a divisor of it. ``None`` asks for whole-timeframe values only.
    skills, agents, groups : "all", int, str or iterable of int, optional
        The skills, agents or agent groups to break the values down by (or, for sla, to
        select): ``"all"``, one id, a comma-separated string ``"4,15,3"`` or an iterable of
        integer ids (signed 64-bit: skill ``-1`` is the unassigned skill; repeats are
        dropped, order kept). ``None`` leaves the parameter out. Each method takes the ones
        its page lists (:attr:`engframe.methods.Method.ids`: agentactivity ``agents`` only,
        and requires them; sla ``skills`` and ``groups``).
    histogram : iterable of int or str, optional
        sla's bucket lower bounds [s], each a multiple of 5 (``"0,30,60"``); 0 is always
        one. ``None``: the API's default buckets (0, 15, 30, 45, 60, 90, 120).

    Raises
    ------
    QueryError
        If a parameter breaks a rule; the error's ``parameter``, ``value`` and ``rule``
        say which, what and why. An unknown method names the ones engframe knows.

    Examples
    --------
    >>> Query(timeframe=1440, interval=60, skills="all").skills
    'all'
    >>> Query(timeframe=60, agents="12, 34").agents
    (12, 34)
    >>> Query(method="msgcsatdistribution", timeframe=60, interval=30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.QueryError: interval=30 is invalid: interval must be None: ...
    >>> Query(method="sla", timeframe=60, histogram=[60, 30]).query_string()
    'timeframe=60&v=1&histogram=0,30,60'
    >>> Query(method="queuestate").query_string()
    'v=2'
    """

    method: str
    timeframe: int | None
    interval: int | None
    skills: Ids
    agents: Ids
    groups: Ids
    histogram: tuple[int, ...] | None

    def __init__(
        self,
        *,
        method: str = DEFAULT_METHOD,
        timeframe: int | None = None,
        interval: int | None = None,
        skills: IdsLike = None,
        agents: IdsLike = None,
        groups: IdsLike = None,
        histogram: Iterable[int | str] | str | None = None,
    ) -> None:
        found = get_method(method)
        object.__setattr__(self, "method", found.name)
        if found.snapshot:
            if timeframe is not None:
                raise _fail("timeframe", timeframe, f"None: {found.name} takes no timeframe "
                                                    "(it answers for the moment asked)")
            if interval is not None:
                raise _fail("interval", interval, f"None: {found.name} takes no interval")
            object.__setattr__(self, "timeframe", None)
            object.__setattr__(self, "interval", None)
        else:
            checked = _check_timeframe(timeframe, found)
            object.__setattr__(self, "timeframe", checked)
            object.__setattr__(self, "interval", _check_interval(interval, checked, found))
        for field, value in (("skills", skills), ("agents", agents), ("groups", groups)):
            if value is not None and field not in found.ids:
                takes = " and ".join(found.ids) or "no ids"
                raise _fail(field, value, f"None: {found.name} takes {takes}")
            selection = check_ids(field, value)
            if selection is None and field in found.required:
                raise _fail(field, value, f"'all' or ids: {found.name} needs {field}")
            object.__setattr__(self, field, selection)
        if histogram is not None and "histogram" not in found.options:
            raise _fail("histogram", histogram, f"None: {found.name} takes no histogram")
        object.__setattr__(self, "histogram", None if histogram is None else
                           check_histogram(histogram))

    @property
    def catalogued(self) -> Method:
        """The method's entry in the catalogue."""
        return get_method(self.method)

    def params(self) -> dict[str, str]:
        """The URL parameters as sent, in a fixed order (absent ones left out).

        Examples
        --------
        >>> Query(timeframe=20, interval=10).params()
        {'timeframe': '20', 'v': '1', 'interval': '10'}
        """
        params = {} if self.timeframe is None else {"timeframe": str(self.timeframe)}
        params["v"] = str(self.catalogued.version)
        if self.interval is not None:
            params["interval"] = str(self.interval)
        for field, name in self.catalogued.ids.items():
            text = ids_text(getattr(self, field))
            if text is not None:
                params[name] = text
        if self.histogram is not None:
            params["histogram"] = ",".join(map(str, self.histogram))
        return params

    def query_string(self) -> str:
        """The query string, ids comma-separated as the spec writes them (``skillIds=4,15,3``).

        Examples
        --------
        >>> Query(timeframe=7, skills=[2]).query_string()
        'timeframe=7&v=1&skillIds=2'
        """
        # Ids are digits and "all", timeframe and interval integers: nothing needs quoting.
        return "&".join(f"{name}={value}" for name, value in self.params().items())

    def json_body(self) -> bytes:
        """The parameters as a POST sends them: a JSON object of strings, as the pages show.

        Examples
        --------
        >>> Query(method="msgconversation", timeframe=1440, interval=1440, skills="1,2",
        ...       agents=[7]).json_body()
        b'{"timeframe":"1440","v":"1","interval":"1440","skillIds":"1,2","agentIds":"7"}'
        """
        return json.dumps(self.params(), separators=(",", ":")).encode()

    def request_fields(self) -> dict[str, Any]:
        """The query as a saved envelope's ``request`` records it (without the account).

        Examples
        --------
        >>> Query(timeframe=60, agents=[12, 34]).request_fields()  # doctest: +NORMALIZE_WHITESPACE
        {'method': 'engactivity', 'timeframe': 60, 'interval': None, 'skillIds': None,
         'agentIds': '12,34', 'v': 1}
        """
        fields: dict[str, Any] = {
            "method": self.method,
            "timeframe": self.timeframe,
            "interval": self.interval,
            "skillIds": ids_text(self.skills),
            "agentIds": ids_text(self.agents),
        }
        if self.groups is not None:
            fields["groupIds"] = ids_text(self.groups)
        if self.histogram is not None:
            fields["histogram"] = ",".join(map(str, self.histogram))
        fields["v"] = self.catalogued.version
        return fields

    def replace_ids(self, *, skills: Ids, agents: Ids) -> Query:
        """The same query with other id selections (used to split a long one).

        Examples
        --------
        >>> Query(timeframe=60, skills=[1, 2]).replace_ids(skills=(2,), agents=None).skills
        (2,)
        """
        return Query(method=self.method, timeframe=self.timeframe, interval=self.interval,
                     skills=skills, agents=agents, groups=self.groups,
                     histogram=self.histogram)


def check_histogram(bounds: Iterable[int | str] | str) -> tuple[int, ...]:
    """sla's bucket lower bounds in normal form: sorted, without repeats, 0 among them.

    Parameters
    ----------
    bounds : iterable of int, or str
        The bounds [s]: ``[0, 30, 60]`` or ``"0,30,60"``; each a multiple of 5, at most a
        day.

    Returns
    -------
    tuple of int

    Raises
    ------
    QueryError
        Naming the bound that is not a multiple of 5 or not a whole number of seconds.

    Examples
    --------
    >>> check_histogram("60, 30"), check_histogram([5])
    ((0, 30, 60), (0, 5))
    """
    rule = (f"whole seconds, each a multiple of {HISTOGRAM_STEP} from 0 to {MAX_BOUND_S} "
            "(a list, or a comma-separated string)")
    items: list[Any] = bounds.split(",") if isinstance(bounds, str) else (
        list(bounds) if isinstance(bounds, Iterable) and not isinstance(bounds, bytes | Mapping)
        else [bounds])
    found = {0}
    for position, item in enumerate(items):
        number = _integer(item)
        if number is None and isinstance(item, str) and item.strip().isdigit():
            number = int(item.strip())
        if number is None or not 0 <= number <= MAX_BOUND_S or number % HISTOGRAM_STEP:
            raise _fail("histogram", bounds, rule, f" (item {position} is {item!r})")
        found.add(number)
    return tuple(sorted(found))


def _chunks(ids: tuple[int, ...], room: int) -> list[tuple[int, ...]] | None:
    """Cut ids into runs whose comma-joined text fits ``room`` characters (None if one can't)."""
    chunks: list[tuple[int, ...]] = []
    current: list[int] = []
    used = 0
    for number in ids:
        width = len(str(number))
        if width > room:
            return None
        extra = width + (1 if current else 0)
        if used + extra > room:
            chunks.append(tuple(current))
            current, used = [], 0
            extra = width
        current.append(number)
        used += extra
    chunks.append(tuple(current))
    return chunks


def split_query(query: Query, *, room: int) -> tuple[Query, ...]:
    """Split a query whose query string is longer than ``room`` into queries that fit.

    The longer id list is cut into consecutive runs while the other is sent whole; only if
    the other list alone leaves no room are both cut, and every run of one is then paired
    with every run of the other. ``"all"`` is never cut. Each id lands in exactly one
    run, so the parts are disjoint and, together, ask for what ``query`` asks for.

    Parameters
    ----------
    query : Query
        The query to split.
    room : int
        The longest query string allowed [characters].

    Returns
    -------
    tuple of Query
        ``(query,)`` when it fits; otherwise the parts, in id order.

    Raises
    ------
    QueryError
        If even one id per part does not fit into ``room`` (the parameter named is
        ``max_url_length``).

    Examples
    --------
    >>> parts = split_query(Query(timeframe=60, agents=range(1, 1001)), room=200)
    >>> len(parts), sum(len(p.agents) for p in parts)
    (23, 1000)
    """
    if len(query.query_string()) <= room:
        return (query,)
    lists = {field: getattr(query, field) for field in _PARAM_NAMES
             if isinstance(getattr(query, field), tuple)}
    splittable = set(_PARAM_NAMES.values())
    base = len("&".join(f"{name}={value}" for name, value in query.params().items()
                        if name not in splittable))
    named = {field: len(f"&{_PARAM_NAMES[field]}=") for field in _PARAM_NAMES}
    fixed = base + sum(named[field] for field in _PARAM_NAMES if getattr(query, field) is not None)
    whole = {field: len(ids_text(getattr(query, field)) or "") for field in _PARAM_NAMES}
    # Cut the longer list first, keeping the other whole.
    for field in sorted(lists, key=lambda name: -whole[name]):
        others = sum(width for name, width in whole.items() if name != field)
        chunks = _chunks(lists[field], room - fixed - others)
        if chunks is not None:
            return tuple(
                query.replace_ids(**{**_ids_of(query), field: chunk}) for chunk in chunks
            )
    if len(lists) == 2:
        halves = {field: _chunks(ids, (room - fixed) // 2) for field, ids in lists.items()}
        skills, agents = halves["skills"], halves["agents"]
        if skills is not None and agents is not None:
            return tuple(query.replace_ids(skills=s, agents=a) for s in skills for a in agents)
    raise QueryError(
        f"max_url_length leaves only {room} characters for the query string, too few for "
        f"even one id per request (the query string without ids takes {fixed})",
        parameter="max_url_length",
        value=room,
        rule="long enough for the query string with at least one id of each list",
    )


def _ids_of(query: Query) -> dict[str, Ids]:
    return {"skills": query.skills, "agents": query.agents}
