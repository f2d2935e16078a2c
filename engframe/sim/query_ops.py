"""Parse and validate queries of the Operational Realtime methods, as their pages describe them.

The catalogue (:mod:`engframe.methods`) says which parameters each takes:

=================  =========================================  ===============  =======
method             parameters (``v`` always required)         required         ``v``
=================  =========================================  ===============  =======
``queuehealth``    ``timeframe``, ``interval``, ``skillIds``  ``timeframe``    1
``agentactivity``  ``timeframe``, ``interval``, ``agentIds``  ``timeframe``,   1
                                                              ``agentIds``
``sla``            ``timeframe``, ``skillIds``, ``groupIds``, ``timeframe``    1
                   ``histogram``
``queuestate``     ``skillIds``                               (none)           1 or 2
=================  =========================================  ===============  =======

``timeframe``, ``interval`` and the id lists follow engactivity's rules
(:func:`engframe.sim.query.parse_query`). ``histogram`` is a comma-separated list of bucket
lower bounds in seconds, each a multiple of 5; 0 is always a bound; the default is
``0,15,30,45,60,90,120``. A parameter of the family that the method does not take (an
``interval`` for ``sla``, a ``timeframe`` for ``queuestate``, ``skillIds`` for
``agentactivity``...) is refused: a client sending it expects something the method never
gives. Other unknown parameters are ignored, as engactivity's are.

``agentactivity`` also takes a POST whose body is a JSON object of the same parameters, every
value a string (``{"timeframe": "1440", "v": "1", "agentIds": "2152260212,..."}``), for
agent lists too long for a URL: :func:`params_from_body` reads it.

Examples
--------
>>> q = parse_ops_query("sla", {"timeframe": "60", "v": "1", "histogram": "30,10"})
>>> q.histogram
(0, 10, 30)
>>> parse_ops_query("sla", {"timeframe": "60", "v": "1", "interval": "30"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
engframe.errors.SimRequestError: interval: sla takes no interval (its parameters: ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import msgspec

from engframe.errors import SimRequestError
from engframe.methods import METHODS, Method
from engframe.methods.sla import DEFAULT_HISTOGRAM, HISTOGRAM_STEP
from engframe.sim.query import ALL, IdSelection, _first, _ids, _minutes, _reject
from engframe.window import MAX_TIMEFRAME, MIN_INTERVAL, interval_fits, interval_rule

__all__ = [
    "DEFAULT_HISTOGRAM",
    "HISTOGRAM_STEP",
    "MAX_BOUNDS",
    "MAX_BOUND_S",
    "OPS_METHODS",
    "OpsQuery",
    "params_from_body",
    "parse_ops_query",
]

def _rules(method: Method) -> tuple[frozenset[str], frozenset[str]]:
    """The family parameters ``method`` takes, and those it requires, from the catalogue."""
    timed = frozenset() if method.snapshot else frozenset({"timeframe"})
    takes = timed | set(method.ids.values()) | set(method.options) | (
        {"interval"} if method.interval else set())
    return frozenset(takes), timed | {method.ids[name] for name in method.required}


#: The methods, with the family parameters each takes and those it requires.
OPS_METHODS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    name: _rules(METHODS[name]) for name in ("queuehealth", "agentactivity", "sla", "queuestate")
}
#: Every parameter of the family (engactivity's, and those of the four methods).
FAMILY_PARAMS: Final = ("timeframe", "interval", "skillIds", "agentIds", "groupIds", "histogram")
#: The versions each method answers.
VERSIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "queuehealth": ("1",), "agentactivity": ("1",), "sla": ("1",), "queuestate": ("1", "2")}
#: The simulator's own limits on a histogram (the pages state none): bounds, largest bound [s].
MAX_BOUNDS: Final = 100
MAX_BOUND_S: Final = MAX_TIMEFRAME * 60

_SECONDS: Final = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True, slots=True)
class OpsQuery:
    """A valid query of one of the four methods.

    Attributes
    ----------
    method : str
        ``queuehealth``, ``agentactivity``, ``sla`` or ``queuestate``.
    timeframe : int or None
        Minutes back from now (``None`` for queuestate).
    interval : int or None
        Interval size [minutes].
    skill_ids, agent_ids, group_ids : tuple of int, "all" or None
        The ids asked for; ``None`` when not sent.
    histogram : tuple of int or None
        sla's bucket lower bounds [s], ascending, starting at 0.
    version : str
        ``v`` as sent.
    """

    method: str
    timeframe: int | None = None
    interval: int | None = None
    skill_ids: IdSelection = None
    agent_ids: IdSelection = None
    group_ids: IdSelection = None
    histogram: tuple[int, ...] | None = None
    version: str = "1"


def parse_ops_query(method: str, params: Mapping[str, Sequence[str] | str]) -> OpsQuery:
    """Validate the parameters of a query of ``method``.

    Parameters
    ----------
    method : str
        One of :data:`OPS_METHODS`.
    params : mapping of str to str or sequence of str
        As from :func:`urllib.parse.parse_qs` or :func:`params_from_body`.

    Returns
    -------
    OpsQuery

    Raises
    ------
    SimRequestError
        With ``status`` 400 and ``param`` set, for a missing, bad or unexpected parameter.

    Examples
    --------
    >>> parse_ops_query("queuestate", {"v": "2", "skillIds": "all"}).skill_ids
    'all'
    >>> parse_ops_query("agentactivity", {"timeframe": "60", "v": "1"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.SimRequestError: agentIds: expected comma-separated ... found nothing ...
    """
    takes, required = OPS_METHODS[method]
    for name in FAMILY_PARAMS:
        if name not in takes and _first(params, name) is not None:
            raise SimRequestError(
                f"{name}: {method} takes no {name} (its parameters: "
                f"{', '.join(sorted(takes | {'v'}))})",
                status=400, param=name, value=_first(params, name))
    version = _first(params, "v")
    if version not in VERSIONS[method]:
        _reject("v", version, " or ".join(VERSIONS[method]) + f", the versions of {method}")
    timeframe = interval = None
    if "timeframe" in takes:
        timeframe = _minutes(params, "timeframe", low=1, high=MAX_TIMEFRAME)
    if "interval" in takes and _first(params, "interval") is not None:
        assert timeframe is not None
        interval = _minutes(params, "interval", low=MIN_INTERVAL, high=timeframe)
        if not interval_fits(timeframe, interval):
            _reject("interval", str(interval), interval_rule(timeframe),
                    raw=_first(params, "interval"))
    ids = {name: _ids(params, name) for name in ("skillIds", "agentIds", "groupIds")}
    for name in ("skillIds", "agentIds", "groupIds"):
        if name in required and ids[name] is None:
            _reject(name, None, f"comma-separated 64-bit integer ids or {ALL!r}")
    histogram = _histogram(_first(params, "histogram")) if method == "sla" else None
    return OpsQuery(method=method, timeframe=timeframe, interval=interval,
                    skill_ids=ids["skillIds"], agent_ids=ids["agentIds"],
                    group_ids=ids["groupIds"], histogram=histogram, version=str(version))


def _histogram(text: str | None) -> tuple[int, ...]:
    if text is None:
        return DEFAULT_HISTOGRAM
    rule = (f"comma-separated bucket bounds in seconds, each a multiple of {HISTOGRAM_STEP} "
            f"from 0 to {MAX_BOUND_S}, at most {MAX_BOUNDS}")
    bounds = {0}
    for position, item in enumerate(text.split(","), start=1):
        item = item.strip()
        if not _SECONDS.fullmatch(item):
            what = "is empty" if not item else f"is {item!r}"
            _reject("histogram", text, f"{rule} (item {position} {what})")
        value = int(item)
        if value % HISTOGRAM_STEP or value > MAX_BOUND_S:
            _reject("histogram", text, f"{rule} (item {position} is {value})")
        bounds.add(value)
    if len(bounds) > MAX_BOUNDS:
        _reject("histogram", text, f"{rule} (found {len(bounds)})")
    return tuple(sorted(bounds))


def params_from_body(body: bytes) -> dict[str, str]:
    """The parameters of a POST: a JSON object whose values are strings.

    Parameters
    ----------
    body : bytes
        The request body.

    Returns
    -------
    dict of str to str

    Raises
    ------
    SimRequestError
        (400) If the body is not a JSON object of strings; ``param`` names the member at
        fault.

    Examples
    --------
    >>> params_from_body(b'{"timeframe":"60","v":"1","agentIds":"all"}')["agentIds"]
    'all'
    >>> params_from_body(b'{"timeframe":60}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.SimRequestError: timeframe: expected a JSON string in the POST body, found 60
    """
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise SimRequestError(f"the POST body is not JSON: {error}", status=400) from None
    if not isinstance(decoded, dict):
        raise SimRequestError("the POST body must be a JSON object of parameters, found "
                              f"{type(decoded).__name__}", status=400)
    params: dict[str, str] = {}
    for name, value in decoded.items():
        if not isinstance(value, str):
            shown = msgspec.json.encode(value).decode()[:60]
            raise SimRequestError(
                f"{name[:60]}: expected a JSON string in the POST body, found {shown}",
                status=400, param=name[:60], value=shown)
        params[name] = value
    return params
