"""The simulated API as a function from request to reply: routing, limits, faults, auth.

Endpoints (the real paths):

========  ==============================================================  ==========
method    path                                                            endpoint
========  ==============================================================  ==========
GET       ``/api/account/{account}/service/{service}/baseURI.json``       domain
GET       ``/api/account/{account}/service/baseURI.json``                 domain
POST      ``/sentinel/api/account/{account}/app/token``                   token
GET       ``/operations/api/account/{account}/engactivity``               engactivity
GET/POST  ``/operations/api/account/{account}/msgconversation``           msgconversation
GET       ``/operations/api/account/{account}/msgcsatdistribution``       msgcsatdistribution
GET       ``/operations/api/account/{account}/queuehealth``               queuehealth
GET/POST  ``/operations/api/account/{account}/agentactivity``             agentactivity
GET       ``/operations/api/account/{account}/sla``                       sla
GET       ``/operations/api/account/{account}/queuestate``                queuestate
GET       ``/api/account/{account}/configuration/le-users/skills``        skills
GET       ``/api/account/{account}/configuration/le-users/users``         users
GET       ``/api/account/{account}/configuration/le-users/agentGroups``   agentGroups
========  ==============================================================  ==========

A data request (every method of :data:`engframe.sim.methods.MEASURES`, GET, and POST with a
JSON object of strings where the catalogue says the method accepts one) goes through, in
order: the limiter (429), a scripted or seeded fault (scripted per method's endpoint name),
authentication (401/403), parameter validation (400), then the response; so does a request
to one of the four Operational Realtime methods whose shapes are their own
(:data:`engframe.sim.query_ops.OPS_METHODS`, answered by :mod:`engframe.sim.render_ops`). The three
Account Configuration lists (:mod:`engframe.sim.config`) go through the same steps except
the limiter, and answer 304 to a request whose ``If-None-Match``/``If-Match`` names their
``ETag``. Errors are
JSON ``{"error": <reason>, "message": <why>, "status": <code>}`` (the token endpoint
answers OAuth 2.0 style ``{"error": ..., "error_description": ...}``).

No sockets here (see :mod:`engframe.sim.server`), so it is tested without a network.

Examples
--------
>>> import threading
>>> from engframe.sim.app import Request, SimApp
>>> app = SimApp.build(seed=1, now=1_395_821_220_000, host="127.0.0.1:8080",
...                    stop=threading.Event())
>>> reply = app.handle(Request("GET", "/api/account/56072331/service/sentinel/baseURI.json"))
>>> reply.status, reply.body
(200, b'{"service":"sentinel","account":"56072331","baseURI":"127.0.0.1:8080"}')
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import msgspec
import numpy as np

from engframe._defaults import SIM_ACCOUNT
from engframe.errors import SimRequestError
from engframe.methods import METHODS
from engframe.sim.auth import DEFAULT_TOKEN_TTL, WWW_AUTHENTICATE, Authenticator, Credentials
from engframe.sim.clock import NowLike, make_clock
from engframe.sim.config import KINDS, config_answer, etag, not_modified
from engframe.sim.faults import Fault, FaultPlan, Faults
from engframe.sim.limits import DEFAULT_MAX_IN_FLIGHT, Limiter
from engframe.sim.methods import MEASURES
from engframe.sim.model import DEFAULT_SEED, Center, CenterConfig
from engframe.sim.operational import Operations
from engframe.sim.people import Directory
from engframe.sim.query import parse_query
from engframe.sim.query_ops import OPS_METHODS, params_from_body, parse_ops_query
from engframe.sim.render import DEFAULT_NEWEST_FIRST, build_response, encode
from engframe.sim.render_ops import build_ops_response

__all__ = [
    "DEFAULT_ACCOUNT",
    "JSON_TYPE",
    "SERVICES",
    "Reply",
    "Request",
    "SimApp",
    "public_query",
]

#: The account the simulator hosts unless told otherwise (LivePerson's documented example).
DEFAULT_ACCOUNT: Final = SIM_ACCOUNT
#: The Domain API service names it answers (case-sensitive, as the real one).
SERVICES: Final = ("leDataReporting", "sentinel", "accountConfigReadOnly")
JSON_TYPE: Final = "application/json;charset=UTF-8"
HTML_TYPE: Final = "text/html;charset=UTF-8"
#: Query parameters whose values never reach ``server.requests`` or the log.
SECRET_PARAMS: Final = frozenset(
    {"client_secret", "access_token", "oauth_signature", "oauth_token", "token", "password"}
)
REDACTED: Final = "<redacted>"
#: The endpoints behind the limiter (the data methods; LivePerson limits each of them).
_LIMITED: Final = frozenset({*MEASURES, *OPS_METHODS})

_ACCOUNT = r"(?P<account>[^/]+)"
_ROUTES: Final = (
    (re.compile(rf"/api/account/{_ACCOUNT}/service/(?P<service>[^/]+)/baseURI\.json"),
     "GET", "domain"),
    (re.compile(rf"/api/account/{_ACCOUNT}/service/baseURI\.json"), "GET", "domain"),
    (re.compile(rf"/sentinel/api/account/{_ACCOUNT}/app/token"), "POST", "token"),
    *((re.compile(rf"/operations/api/account/{_ACCOUNT}/{name}"), http, name)
      for name, measure in MEASURES.items() for http in measure.method.http),
    *((re.compile(rf"/operations/api/account/{_ACCOUNT}/{name}"), http, name)
      for name in OPS_METHODS for http in METHODS[name].http),
    *((re.compile(rf"/api/account/{_ACCOUNT}/configuration/le-users/{kind}"), "GET", kind)
      for kind in KINDS),
)


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as the application sees it.

    Attributes
    ----------
    method : str
        ``GET``, ``POST``, ...
    target : str
        Path and query as sent (``/operations/...?timeframe=60&v=1``).
    headers : mapping of str to str
        Header names in lower case.
    body : bytes
        The body (empty for GET).
    base : str
        Scheme and host the client addressed (``http://127.0.0.1:8080``), for OAuth 1.0.
    """

    method: str
    target: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base: str = "http://127.0.0.1"

    @property
    def path(self) -> str:
        """The path, without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query parameters, each with every value sent."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer.

    Attributes
    ----------
    status : int
        HTTP status.
    body : bytes
        The body.
    content_type : str
        Its media type.
    headers : tuple of (str, str)
        Extra headers.
    """

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


class SimApp:
    """The simulated API, one account, its center, credentials, limits and faults.

    Parameters
    ----------
    center : Center
        The simulated contact center.
    account : str
        The account hosted.
    clock : callable
        Current time [epoch ms].
    auth : Authenticator
        Checks credentials, issues tokens.
    faults : Faults
        Scripted and seeded faults.
    limiter : Limiter
        Concurrency and rate limits of engactivity.
    host : str
        ``host:port`` the Domain API answers.
    stop : threading.Event
        Set when the server stops, to cut slow answers short.
    newest_first : bool, optional
        Order of ``metricsByIntervals``.

    Examples
    --------
    >>> app = SimApp.build(seed=1, now=0, host="127.0.0.1:1", stop=threading.Event())
    >>> app.handle(Request("GET", "/nowhere")).status
    404
    """

    def __init__(
        self,
        *,
        center: Center,
        account: str,
        clock: Callable[[], int],
        auth: Authenticator,
        faults: Faults,
        limiter: Limiter,
        host: str,
        stop: threading.Event,
        newest_first: bool = DEFAULT_NEWEST_FIRST,
    ) -> None:
        self.center = center
        self.directory = Directory.for_center(center)
        self.operations = Operations.for_center(center)
        # Each agent's team (by position in center.agent_ids), for sla's groupIds.
        self._agent_groups = np.array(
            [user.group or 0 for user in self.directory.users[: len(center.agent_ids)]],
            dtype=np.int64)
        self.account = account
        self.clock = clock
        self.auth = auth
        self.faults = faults
        self.limiter = limiter
        self.host = host
        self.newest_first = newest_first
        self._stop = stop
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._endpoints: dict[str, Callable[..., Reply]] = {
            "domain": self._domain,
            "token": self._token,
            **{name: functools.partial(self._data, method=name) for name in MEASURES},
            **{kind: functools.partial(self._config, kind=kind) for kind in KINDS},
            **{name: functools.partial(self._operational, method=name) for name in OPS_METHODS},
        }

    @classmethod
    def build(
        cls,
        *,
        seed: int = DEFAULT_SEED,
        now: NowLike = None,
        host: str,
        stop: threading.Event,
        account: str = DEFAULT_ACCOUNT,
        center: CenterConfig | None = None,
        credentials: Credentials | None = None,
        token_ttl: int = DEFAULT_TOKEN_TTL,
        max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
        rate_limit: tuple[int, float] | None = None,
        faults: FaultPlan | None = None,
        newest_first: bool = DEFAULT_NEWEST_FIRST,
    ) -> SimApp:
        """Assemble an application from plain options (what :func:`engframe.sim.serve` takes).

        Parameters
        ----------
        seed : int, optional
            Fixes the center and the default credentials.
        now : datetime, int, callable or None, optional
            The clock (see :func:`engframe.sim.clock.make_clock`).
        host : str
            ``host:port`` the Domain API answers.
        stop : threading.Event
            Set when the server stops.
        account : str, optional
            The account hosted.
        center : CenterConfig, optional
            Size and rhythm of the center.
        credentials : Credentials, optional
            Accepted credentials; derived from ``seed`` when omitted.
        token_ttl : int, optional
            Bearer token lifetime [s].
        max_in_flight : int or None, optional
            Concurrent engactivity requests before 429.
        rate_limit : tuple of (int, float), optional
            ``(count, seconds)`` before 429.
        faults : FaultPlan, optional
            Seeded random faults.
        newest_first : bool, optional
            Order of ``metricsByIntervals``.

        Returns
        -------
        SimApp
            The application.

        Raises
        ------
        SimConfigError
            If an option is unusable.

        Examples
        --------
        >>> SimApp.build(seed=2, host="127.0.0.1:1", stop=threading.Event()).account
        '56072331'
        """
        clock = make_clock(now)
        creds = Credentials.for_seed(seed) if credentials is None else credentials
        return cls(
            center=Center(seed=seed, config=center),
            account=account,
            clock=clock,
            auth=Authenticator(account=account, credentials=creds, token_ttl=token_ttl,
                               clock=clock),
            faults=Faults(faults),
            limiter=Limiter(max_in_flight=max_in_flight, rate_limit=rate_limit),
            host=host,
            stop=stop,
            newest_first=newest_first,
        )

    @property
    def requests(self) -> list[dict[str, Any]]:
        """What the application answered so far: ``method``, ``path``, ``query``, ``status``."""
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def handle(self, request: Request) -> Reply:
        """Answer one request.

        Parameters
        ----------
        request : Request
            The request.

        Returns
        -------
        Reply
            The answer; it is also recorded in :attr:`requests`.

        Examples
        --------
        >>> app = SimApp.build(seed=1, now=0, host="127.0.0.1:1", stop=threading.Event())
        >>> app.handle(Request("GET", "/operations/api/account/56072331/engactivity")).status
        401
        """
        reply = self._route(request)
        entry = {
            "method": request.method,
            "path": request.path,
            "query": public_query(request.query),
            "status": reply.status,
        }
        with self._lock:
            self._requests.append(entry)
        return reply

    def _route(self, request: Request) -> Reply:
        path = request.path
        found = next(
            ((match, method, endpoint) for pattern, method, endpoint in _ROUTES
             if (match := pattern.fullmatch(path)) is not None),
            None,
        )
        if found is None:
            return _error(404, f"no such resource: {path[:200]}")
        allowed = [m for pattern, m, _ in _ROUTES if pattern.fullmatch(path) is not None]
        if request.method not in allowed:
            return _error(405, f"{request.method[:20]} is not allowed here; use "
                               f"{' or '.join(allowed)}", headers=(("Allow", ", ".join(allowed)),))
        match, _, endpoint = found
        respond = self._endpoints[endpoint]
        groups = match.groupdict()
        if endpoint not in _LIMITED:
            return self._with_fault(endpoint, lambda: respond(request, **groups))
        with self.limiter.admit() as refused:
            if refused is not None:
                return _error(429, f"too many requests: {refused}")
            return self._with_fault(endpoint, lambda: respond(request, **groups))

    def _with_fault(self, endpoint: str, respond: Callable[[], Reply]) -> Reply:
        fault = self.faults.next(endpoint)
        if fault is None:
            return respond()
        return _FAULT_EFFECTS[fault.kind](fault, respond, self._stop)

    def _domain(self, request: Request, *, account: str, service: str | None = None) -> Reply:
        if service is None:
            uris = [{"service": name, "account": account, "baseURI": self.host}
                    for name in SERVICES]
            return _json(200, {"baseURIs": uris})
        if service not in SERVICES:
            return _error(404, f"unknown service {service[:60]!r}; known: {', '.join(SERVICES)}")
        return _json(200, {"service": service, "account": account, "baseURI": self.host})

    def _token(self, request: Request, *, account: str) -> Reply:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)

        def first(name: str) -> str:
            values = form.get(name)
            return values[0] if values else ""

        grant = first("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type",
                                "only grant_type=client_credentials is supported")
        try:
            answer = self.auth.issue_token(
                account=account, client_id=first("client_id"),
                client_secret=first("client_secret"),
            )
        except SimRequestError:
            return _oauth_error(401, "invalid_client", "unknown client id or wrong secret")
        return _json(200, answer, headers=(("Cache-Control", "no-store"),))

    def _data(self, request: Request, *, account: str, method: str) -> Reply:
        try:
            self.auth.authorize(
                account=account,
                method=request.method,
                url=request.base + request.target,
                authorization=request.headers.get("authorization"),
            )
            params = _post_params(request.body) if request.method == "POST" else request.query
            query = parse_query(params, method=method)
        except SimRequestError as error:
            headers = (("WWW-Authenticate", WWW_AUTHENTICATE),) if error.status == 401 else ()
            return _error(error.status, str(error), param=error.param, headers=headers)
        body = build_response(
            self.center, query, now_ms=self.clock(), newest_first=self.newest_first
        )
        return Reply(200, encode(body))

    def _operational(self, request: Request, *, account: str, method: str) -> Reply:
        try:
            self.auth.authorize(
                account=account,
                method=request.method,
                url=request.base + request.target,
                authorization=request.headers.get("authorization"),
            )
            params = params_from_body(request.body) if request.method == "POST" \
                else request.query
            query = parse_ops_query(method, params)
        except SimRequestError as error:
            headers = (("WWW-Authenticate", WWW_AUTHENTICATE),) if error.status == 401 else ()
            return _error(error.status, str(error), param=error.param, headers=headers)
        body = build_ops_response(self.center, self.operations, query, now_ms=self.clock(),
                                  agent_groups=self._agent_groups)
        return Reply(200, encode(body))

    def _config(self, request: Request, *, account: str, kind: str) -> Reply:
        try:
            self.auth.authorize(
                account=account,
                method=request.method,
                url=request.base + request.target,
                authorization=request.headers.get("authorization"),
            )
            body = config_answer(self.directory, kind, request.query)
        except SimRequestError as error:
            headers = (("WWW-Authenticate", WWW_AUTHENTICATE),) if error.status == 401 else ()
            return _error(error.status, str(error), param=error.param, headers=headers)
        tag = etag(body)
        if not_modified(tag, request.headers):
            return Reply(304, b"", headers=(("ETag", tag),))
        return Reply(200, body, headers=(("ETag", tag),))


def _post_params(body: bytes) -> dict[str, str]:
    """A POST's parameters: a JSON object of strings, as LivePerson's pages show it.

    Raises
    ------
    SimRequestError
        With status 400, for a body that is not such an object.
    """
    try:
        params = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise SimRequestError("body: expected a JSON object of strings, found malformed JSON",
                              status=400, param="body", value=None) from None
    if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
        raise SimRequestError("body: expected a JSON object of strings such as "
                              '{"timeframe": "60", "v": "1"}', status=400, param="body",
                              value=None)
    return params


def public_query(query: Mapping[str, list[str]]) -> dict[str, str]:
    """A query for the record: first value of each parameter, secrets redacted.

    Parameters
    ----------
    query : mapping of str to list of str
        As from :func:`urllib.parse.parse_qs`.

    Returns
    -------
    dict of str to str
        Safe to log.

    Examples
    --------
    >>> public_query({"timeframe": ["60"], "client_secret": ["s3cr3t"]})
    {'timeframe': '60', 'client_secret': '<redacted>'}
    """
    return {
        name: REDACTED if name.lower() in SECRET_PARAMS else (values[0] if values else "")
        for name, values in query.items()
    }


def _json(status: int, payload: Any, *, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, msgspec.json.encode(payload), JSON_TYPE, headers)


def _error(
    status: int,
    message: str,
    *,
    param: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    payload: dict[str, Any] = {
        "error": _phrase(status), "message": message, "status": status,
    }
    if param is not None:
        payload["param"] = param
    return _json(status, payload, headers=headers)


def _oauth_error(status: int, code: str, description: str) -> Reply:
    return _json(status, {"error": code, "error_description": description})


def _status_fault(fault: Fault, respond: Callable[[], Reply], stop: threading.Event) -> Reply:
    status = fault.status or 500
    headers = (("Retry-After", str(fault.retry_after)),) if fault.retry_after is not None else ()
    return _error(status, "injected fault", headers=headers)


def _html_fault(fault: Fault, respond: Callable[[], Reply], stop: threading.Event) -> Reply:
    status = fault.status or 502
    title = f"{status} {_phrase(status)}"
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>engframe simulator: injected fault</p></body></html>"
    )
    return Reply(status, page.encode(), HTML_TYPE)


def _truncate_fault(fault: Fault, respond: Callable[[], Reply], stop: threading.Event) -> Reply:
    reply = respond()
    return dataclasses.replace(reply, body=reply.body[: len(reply.body) // 2])


def _slow_fault(fault: Fault, respond: Callable[[], Reply], stop: threading.Event) -> Reply:
    stop.wait(fault.delay)  # an Event, not sleep: stopping the server cuts the wait short
    return respond()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_FAULT_EFFECTS: Final[dict[str, Callable[[Fault, Callable[[], Reply], threading.Event], Reply]]] = {
    "status": _status_fault,
    "html": _html_fault,
    "truncate": _truncate_fault,
    "slow": _slow_fault,
}
