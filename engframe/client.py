"""The live client: fetch a method's responses and turn them into the tidy frame.

The data flows one way: :class:`~engframe.query.Query` (checked before any traffic, by the
catalogue's rules for its method) -> :class:`~engframe.http._discovery.Discovery` (which
host) -> :class:`~engframe.transport.Transport` (signed, cached, retried) -> the saved-envelope
form ``{"request", "fetched_at", "from_cache", "response"}`` (the request names its
``method``) -> :func:`engframe.flatten`. Every method of :mod:`engframe.methods` is fetched
the same way: ``method="msgconversation"``; ``engactivity`` by default.

Long id lists
-------------
A method that accepts a POST (msgconversation) gets a query whose URL would pass
``max_url_length`` (default :data:`DEFAULT_MAX_URL_LENGTH`) as one POST, its parameters a
JSON object of strings as LivePerson's pages show (POST answers are not cached: the cache
keeps GETs only). One that does not (engactivity) is split into several GET requests, each
id in exactly one of them (:func:`engframe.query.split_query`). :meth:`Client.frame`
merges their frames into one by **recomputing the totals**: rows with the same timestamp,
skill, agent, metric, level and span are summed. Rows of one id come from one request and
stay as they are; ``skills_total``/``agents_total`` rows (and, when both lists were split,
the per-skill and per-agent rows of the other list) become the sum of the per-request
values, which is what one request would have answered, because the API restricts every
section to the asked skills *and* agents. Handling times are shown in whole seconds, each
value rounded on its own ("totals may not add up due to rounding differences"), so a
recomputed total may differ from the one a single request would give by up to a second per
request. ``df.attrs["requests"]`` says how many requests the frame merges. Should a 5-minute
bucket boundary pass between two requests, the earlier ones are fetched again so that all
parts share one window.

Examples
--------
>>> import engframe
>>> from engframe.client import Client
>>> client = Client("56072331", auth="my-token", cache=False)  # doctest: +SKIP
>>> df = client.frame(timeframe=60, interval=15, skills="all")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd
import requests
from tqdm import tqdm

from engframe._merge import rekind
from engframe._output import reason, write_file
from engframe.auth import ENV_ACCOUNT, Auth, Secret, resolve_auth
from engframe.errors import (
    APIError,
    AuthError,
    ConfigError,
    FrameError,
    OutputError,
    QueryError,
    ResponseError,
)
from engframe.flatten import flatten
from engframe.http._discovery import (
    DATA_SERVICE,
    DEFAULT_CSDS_URL,
    DEFAULT_DOMAIN_TTL,
    DOMAIN_API,
    TOKEN_SERVICE,
    Discovery,
)
from engframe.http._json import check_json_object, decode_json
from engframe.limits import MAX_RESPONSE_BYTES
from engframe.methods import DEFAULT_METHOD, get_method
from engframe.names import API_SOURCE, Names, attach_names
from engframe.names._endpoints import CONFIG_SERVICE, ENDPOINTS, NAMES_EXPIRE_AFTER
from engframe.names._names import KINDS as NAME_KINDS
from engframe.names._option import NamesOption, check_names_option, names_from
from engframe.query import IdsLike, Query, check_account, split_query
from engframe.schema import COLUMNS, DIMENSION_COLUMNS, concat_frames
from engframe.scope import Scope
from engframe.transport import (
    DEFAULT_EXPIRE_AFTER,
    DEFAULT_TIMEOUT,
    FETCHED_AT_HEADER,
    CacheOption,
    RetryPolicy,
    Transport,
    make_session,
    redact_url,
)
from engframe.window import bucket_ceil

__all__ = ["DEFAULT_MAX_URL_LENGTH", "Client", "load_live", "merge_parts"]

#: The longest URL the client sends [characters]. Well under the 8000 octets RFC 9110
#: asks every party to support, leaving room for proxies that stop at 4 KiB; about 350
#: ten-digit ids fit in one request.
DEFAULT_MAX_URL_LENGTH: Final = 4000
_TOKEN_PATH: Final = "/sentinel/api/account/{account}/app/token?v=1.0"
_KEYS: Final = tuple(name for name in COLUMNS if name != "value")
#: How merged rows combine the optional per-row columns of the parts.
_MERGE_RULES: Final = {"value": "sum", "fetched_at": "max", "complete": "min"}


@dataclass(frozen=True, slots=True)
class _Table:
    """One name table read from the Account Configuration API, and when it was fetched."""

    table: pd.DataFrame
    fetched_at_ms: int


@dataclass(frozen=True, slots=True)
class _Fetched:
    """One answer, before decoding: what was asked, when it came, and its bytes."""

    query: Query
    url: str  # secrets removed
    fetched_at_ms: int
    from_cache: bool
    content: bytes
    posted: bool = False  # sent as a POST (never cached)


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Client:
    """A connection to one LivePerson account's real-time data API (every method engframe knows).

    Parameters
    ----------
    account : str or int, optional
        The account id; ``$LP_ACCOUNT`` when omitted.
    auth : Auth, str, tuple of str or requests auth, optional
        Credentials (see :func:`engframe.auth.resolve_auth`): a bearer token string,
        ``(client_id, client_secret)`` for OAuth 2.0, the four OAuth 1.0 values, or an
        :class:`~engframe.auth.Auth`. ``None`` reads the ``LP_*`` environment variables.
    domain : str or mapping, optional
        The data host, ``leDataReporting`` (``"va-a.data.liveperson.net"`` or a base URL),
        skipping the Domain API lookup; or a mapping of service name to host.
    csds_url : str, default DEFAULT_CSDS_URL
        The Domain API; its scheme is used for the hosts it names.
    session : requests.Session, optional
        Send with this session instead of a new one (a ``requests_cache.CachedSession``
        keeps its own cache settings); ``cache`` must then be left at its default.
    cache : bool, str, path-like or requests_cache backend, default True
        The HTTP cache: ``True`` for a sqlite file in the user cache directory (see
        :func:`engframe.transport.default_cache_path`), a path for a sqlite file there,
        a requests-cache backend, or ``False`` for none.
    expire_after : float, default DEFAULT_EXPIRE_AFTER
        How long a cached answer stays fresh [s].
    offline : bool, default False
        Answer from the cache only, whatever the age of the answers; send nothing.
        Credentials are then not needed.
    timeout : float, default DEFAULT_TIMEOUT
        Seconds to connect and to wait for bytes, per attempt.
    retry : RetryPolicy, optional
        Retry waits and limits, and the wall-clock budget of a request
        (``max_total``); LivePerson's policy by default.
    max_bytes : int, default engframe.limits.MAX_RESPONSE_BYTES (256 MiB)
        The most decoded bytes an answer may hold (a gzip-encoded answer's inflated
        size counts); a larger one is a :class:`~engframe.errors.ResponseError`.
    max_url_length : int, default DEFAULT_MAX_URL_LENGTH
        Longer requests are split (see the module docstring).
    save_raw : str or path-like, optional
        A directory where every answer is saved as an envelope
        ``{"request", "fetched_at", "from_cache", "response"}`` that
        :func:`engframe.flatten` and :func:`engframe.load` read back, and the names
        :meth:`names` reads, in its ``names/`` subfolder. No secret is saved. A file that
        cannot be written there (a full disk) is an :class:`~engframe.errors.OutputError`
        naming it.
    domain_ttl : float, default DEFAULT_DOMAIN_TTL
        How long a looked-up host is kept [s].
    clock : callable, default time.time
        The current time [s since the epoch]: fetch times, token expiry, retry budget.
    sleep : callable, default time.sleep
        Waits between retries.
    environ : mapping, optional
        Where to read ``LP_*`` variables; ``os.environ`` by default.

    Raises
    ------
    QueryError
        If the account id is missing or not digits.
    AuthError
        If no credentials are given or found in the environment (unless offline).
    ConfigError
        If another option is unusable.

    Examples
    --------
    >>> from engframe.client import Client
    >>> client = Client("56072331", auth="token", domain="va-a.data.liveperson.net",
    ...                 cache=False)
    >>> client
    Client(account='56072331', auth=BearerToken(token=<hidden>), cache=off)
    >>> client.close()
    """

    #: How long names read from the Account Configuration API stay fresh in the HTTP
    #: cache [s] (then they are revalidated with their ETag); set it on a client to change.
    names_expire_after: float = NAMES_EXPIRE_AFTER

    def __init__(
        self,
        account: str | int | None = None,
        *,
        auth: Any = None,
        domain: str | Mapping[str, str] | None = None,
        csds_url: str = DEFAULT_CSDS_URL,
        session: requests.Session | None = None,
        cache: CacheOption = True,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        offline: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
        max_url_length: int = DEFAULT_MAX_URL_LENGTH,
        save_raw: str | os.PathLike[str] | None = None,
        domain_ttl: float = DEFAULT_DOMAIN_TTL,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        # os.environ is never bound to a local here: a traceback printing this frame's
        # locals would print the whole environment.
        if account is None:
            account = (os.environ if environ is None else environ).get(ENV_ACCOUNT)
            if not account:
                raise QueryError(f"account is missing: pass it or set {ENV_ACCOUNT}",
                                 parameter="account", rule="a LivePerson account id")
        self.account = check_account(account)
        # From here on the local shows as the credentials object, whose repr hides them.
        auth = self._auth = _credentials(auth, environ, offline=offline)
        if session is not None and cache is not True:
            raise ConfigError("pass either session= or cache=, not both: a session you bring "
                              "keeps its own cache settings", option="session")
        if session is not None and not isinstance(session, requests.Session):
            raise ConfigError(f"session is invalid (a {type(session).__name__}): it must be "
                              "a requests.Session", option="session")
        if not isinstance(max_url_length, int) or max_url_length < 1:
            raise ConfigError(f"max_url_length={max_url_length!r} is invalid: it must be a "
                              "positive integer", option="max_url_length")
        self.max_url_length = max_url_length
        self._owns_session = session is None
        self._transport = Transport(
            make_session(cache, expire_after=expire_after) if session is None else session,
            timeout=timeout,
            retry=RetryPolicy() if retry is None else retry,
            offline=offline,
            max_bytes=max_bytes,
            clock=clock,
            sleep=sleep,
        )
        self._domain_ttl = domain_ttl
        if domain is not None and not isinstance(domain, str | Mapping):
            raise ConfigError(f"domain is invalid (a {type(domain).__name__}): it must be a "
                              "host such as 'va-a.data.liveperson.net', a base URL, or a "
                              "mapping of service name to host", option="domain")
        overrides = {DATA_SERVICE: domain} if isinstance(domain, str) else domain
        self._discovery = Discovery(self._get_json, csds_url=csds_url, overrides=overrides,
                                    ttl=domain_ttl, clock=clock)
        self._clock = clock
        if save_raw is not None and not isinstance(save_raw, str | os.PathLike):
            raise ConfigError(f"save_raw is invalid (a {type(save_raw).__name__}): it must be "
                              "a directory path", option="save_raw")
        self.save_raw = None if save_raw is None else Path(save_raw)

    # -- public ---------------------------------------------------------------------------

    def fetch(
        self,
        *,
        timeframe: int | None = None,
        interval: int | None = None,
        skills: IdsLike = None,
        agents: IdsLike = None,
        refresh: bool = False,
        method: str = DEFAULT_METHOD,
        groups: IdsLike = None,
        histogram: Iterable[int | str] | str | None = None,
    ) -> dict[str, Any]:
        """Fetch one response, as a saved envelope (a dict).

        Parameters
        ----------
        method : str, default "engactivity"
            The method (:data:`engframe.methods.METHODS`: ``msgconversation``,
            ``queuehealth``, ``agentactivity``...). Its rules are checked before anything is
            sent (``msgcsatdistribution`` and ``sla`` take no ``interval``,
            ``agentactivity`` needs ``agents``, ``queuestate`` takes no ``timeframe``).
        timeframe : int
            The window [minutes], 1..1440, ending now (none for a snapshot method).
        interval : int, optional
            Interval size [minutes]: >= 5, <= timeframe, a divisor of it.
        skills, agents, groups : "all", int, str or iterable of int, optional
            Break the values down by these skills or agents, or select agent groups
            (sla), as the method takes them (see :class:`Query`).
        histogram : iterable of int or str, optional
            sla's bucket lower bounds [s], multiples of 5 (see :class:`Query`).
        refresh : bool, default False
            Ask the API even if a fresh answer is cached.

        Returns
        -------
        dict
            ``{"request": {"account", "method", "timeframe", "interval", "skillIds",
            "agentIds", "v"}, "fetched_at": "...Z", "from_cache": bool, "response": {...}}``.

        Raises
        ------
        QueryError
            If a parameter is invalid (before sending, or the API's 400), or the URL
            would be too long for one request (use :meth:`fetch_parts` or :meth:`frame`).
        AuthError, RateLimitError, APIError
            If the API refuses, stays busy or fails.
        ResponseError
            If the answer is not a JSON object.

        Examples
        --------
        >>> envelope = client.fetch(timeframe=60, skills=[2])  # doctest: +SKIP
        >>> envelope["request"]["skillIds"]                    # doctest: +SKIP
        '2'
        >>> client.fetch(method="msgcsatdistribution", timeframe=1440)  # doctest: +SKIP
        """
        query = Query(method=method, timeframe=timeframe, interval=interval, skills=skills,
                      agents=agents, groups=groups, histogram=histogram)
        parts = self._split(query)
        if len(parts) > 1:
            raise QueryError(
                f"the query's URL would be longer than max_url_length={self.max_url_length}; "
                f"it needs {len(parts)} requests: use fetch_parts() or frame()",
                parameter="skills" if query.skills != parts[0].skills else "agents",
                rule=f"few enough ids for a URL of at most {self.max_url_length} characters",
            )
        return self._envelope(self._get(query, refresh=refresh,
                                        post=self._needs_post(query)))

    def fetch_parts(
        self,
        *,
        timeframe: int | None = None,
        interval: int | None = None,
        skills: IdsLike = None,
        agents: IdsLike = None,
        refresh: bool = False,
        method: str = DEFAULT_METHOD,
        groups: IdsLike = None,
        histogram: Iterable[int | str] | str | None = None,
    ) -> list[dict[str, Any]]:
        """Fetch a query as one or more envelopes, split where the URL would be too long.

        Parameters are those of :meth:`fetch`.

        Returns
        -------
        list of dict
            One envelope per request, each id of a split list in exactly one (a method
            that accepts a POST is never split: one envelope).

        Raises
        ------
        QueryError, AuthError, RateLimitError, APIError, ResponseError
            As :meth:`fetch`.

        Examples
        --------
        >>> parts = client.fetch_parts(timeframe=60, agents=range(1, 2000))  # doctest: +SKIP
        >>> len(parts)                                                      # doctest: +SKIP
        6
        """
        query = Query(method=method, timeframe=timeframe, interval=interval, skills=skills,
                      agents=agents, groups=groups, histogram=histogram)
        return [self._envelope(fetched) for fetched in self._get_all(query, refresh=refresh)]

    def frame(
        self,
        *,
        timeframe: int | None = None,
        interval: int | None = None,
        skills: IdsLike = None,
        agents: IdsLike = None,
        refresh: bool = False,
        names: NamesOption = False,
        method: str = DEFAULT_METHOD,
        groups: IdsLike = None,
        histogram: Iterable[int | str] | str | None = None,
    ) -> pd.DataFrame:
        """Fetch a query and return the tidy frame (split requests merged into one).

        Parameters are those of :meth:`fetch`, and:

        names : bool, Names or path-like, default False
            Add ``skill_name``, ``agent_name``, ``agent_group`` and ``agent_group_name``
            (see :func:`engframe.names.attach_names`): ``True`` reads them with
            :meth:`names` (cached for hours; if the Account Configuration API refuses or
            fails, the frame still comes, ids show fallback names and one
            ``EngframeWarning`` says why); or a :class:`~engframe.names.Names`; or the path
            of saved names.

        Returns
        -------
        pandas.DataFrame
            The tidy frame of :func:`engframe.flatten`, with the columns ``method``,
            ``account``, ``fetched_at``, ``start`` and ``complete`` after the seven. ``df.attrs``
            holds ``account``, ``query`` (as asked, before any split), ``window``
            (``start``/``end``), ``fetched_at`` (the latest answer's), ``from_cache``
            (whether every answer came from the cache) and ``requests`` (how many).

        Raises
        ------
        QueryError, AuthError, RateLimitError, APIError, ResponseError
            As :meth:`fetch`; ``ResponseError`` also for a malformed configuration answer.
        OptionError
            If ``names`` is of the wrong kind.

        Examples
        --------
        >>> df = client.frame(timeframe=1440, interval=60, skills="all")  # doctest: +SKIP
        >>> df.attrs["requests"]                                         # doctest: +SKIP
        1
        """
        check_names_option(names, where="Client.frame")
        # Names given or saved are read first: a missing file fails before any request.
        chosen = None if names is True else names_from(names, beside=None, where="Client.frame")
        query = Query(method=method, timeframe=timeframe, interval=interval, skills=skills,
                      agents=agents, groups=groups, histogram=histogram)
        fetched = self._get_all(query, refresh=refresh)
        frames = [self._flatten(part) for part in fetched]
        merged = merge_parts(frames)
        latest = max(range(len(fetched)), key=lambda i: fetched[i].fetched_at_ms)
        attrs = {**frames[latest].attrs}
        for part in frames:
            for key in ("spellings", "unknown_keys"):
                if key in part.attrs:
                    attrs[key] = {**attrs.get(key, {}), **part.attrs[key]}
        attrs["query"] = {"account": self.account, **query.request_fields()}
        attrs["from_cache"] = all(part.from_cache for part in fetched)
        attrs["requests"] = len(fetched)
        merged.attrs = attrs
        if names is True:
            chosen = self._names(tolerant=True)
        return merged if chosen is None else attach_names(merged, chosen, stacklevel=3)

    def skills(self, *, refresh: bool = False) -> pd.DataFrame:
        """The account's skills, deleted ones included, from the Account Configuration API.

        Parameters
        ----------
        refresh : bool, default False
            Read them again even if the cached answer is fresh (names stay fresh for
            :attr:`names_expire_after`, 6 hours).

        Returns
        -------
        pandas.DataFrame
            ``skill`` (Int64), ``skill_name`` (string), ``description`` (string),
            ``deleted`` (bool); see :func:`engframe.names.parse_skills`.

        Raises
        ------
        AuthError, RateLimitError, APIError, QueryError
            If the API refuses, stays busy or fails.
        ResponseError
            If the answer is malformed; the message names the JSON path and the URL.

        Examples
        --------
        >>> client.skills()[["skill", "skill_name"]].head(2)  # doctest: +SKIP
                skill skill_name
        0  1475726721  Retention
        1  1822454498    Returns
        """
        return self._config("skills", refresh=refresh).table

    def agents(self, *, refresh: bool = False) -> pd.DataFrame:
        """The account's users (agents, bots, system users), deleted ones included.

        Parameters
        ----------
        refresh : bool, default False
            Read them again even if the cached answer is fresh.

        Returns
        -------
        pandas.DataFrame
            ``agent`` (Int64), ``agent_name`` (string: full name, else nickname, else login
            name; the id appended to a name two users share), ``full_name``, ``nickname``,
            ``login_name`` (string), ``agent_group`` (Int64), ``user_type`` (Int64: 0
            system, 1 human, 2 bot), ``enabled`` (boolean), ``deleted`` (bool),
            ``skill_ids`` (string: the skills each serves, ``"12,34"``;
            :func:`engframe.names.agent_skills` gives one row per agent and skill); see
            :func:`engframe.names.parse_agents`.

        Raises
        ------
        AuthError, RateLimitError, APIError, QueryError, ResponseError
            As :meth:`skills`.

        Examples
        --------
        >>> client.agents()[["agent", "agent_name", "agent_group"]].head(1)  # doctest: +SKIP
                agent agent_name  agent_group
        0  1090945073   Maya Ali   1281855145
        """
        return self._config("agents", refresh=refresh).table

    def agent_groups(self, *, refresh: bool = False) -> pd.DataFrame:
        """The account's agent groups (teams), deleted ones included.

        Parameters
        ----------
        refresh : bool, default False
            Read them again even if the cached answer is fresh.

        Returns
        -------
        pandas.DataFrame
            ``agent_group`` (Int64), ``agent_group_name`` (string), ``parent`` (Int64, NA
            for the root group), ``enabled`` (boolean), ``deleted`` (bool); see
            :func:`engframe.names.parse_agent_groups`.

        Raises
        ------
        AuthError, RateLimitError, APIError, QueryError, ResponseError
            As :meth:`skills`.

        Examples
        --------
        >>> client.agent_groups()["agent_group_name"].tolist()[:2]  # doctest: +SKIP
        ['Main Group', 'Tier 1']
        """
        return self._config("agent_groups", refresh=refresh).table

    def names(self, *, refresh: bool = False) -> Names:
        """Read skills, agents and agent groups at once, as a :class:`~engframe.names.Names`.

        With ``save_raw=`` set, the names are also saved there (in ``names/``), so that
        ``engframe.load(folder, names=True)`` finds them offline.

        Parameters
        ----------
        refresh : bool, default False
            Read them again even if the cached answers are fresh.

        Returns
        -------
        Names
            ``read_at`` is when the oldest of the three answers was fetched.

        Raises
        ------
        AuthError, RateLimitError, APIError, QueryError, ResponseError
            As :meth:`skills`, for whichever list fails first.

        Examples
        --------
        >>> names = client.names()                   # doctest: +SKIP
        >>> engframe.names.attach_names(df, names)   # doctest: +SKIP
        """
        return self._names(tolerant=False, refresh=refresh)

    @property
    def clock(self) -> Callable[[], float]:
        """The client's clock [s since the epoch]: what its fetch times are read from.

        Examples
        --------
        >>> Client("1", auth="t", domain="h", cache=False, clock=lambda: 60.0).clock()
        60.0
        """
        return self._clock

    def close(self) -> None:
        """Close the session (if the client made it) and its cache file.

        Examples
        --------
        >>> Client("1", auth="t", domain="h", cache=False).close()
        """
        if self._owns_session:
            self._transport.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Also shown for a client __init__ has not finished (a traceback printing locals).
        transport: Transport | None = getattr(self, "_transport", None)
        state = "" if transport is None else (
            f", cache={'on' if transport.cached else 'off'}"
            f"{', offline' if transport.offline else ''}")
        return (f"Client(account={getattr(self, 'account', None)!r}, "
                f"auth={getattr(self, '_auth', None)!r}{state})")

    # -- steps ----------------------------------------------------------------------------

    def _config(self, kind: str, *, refresh: bool) -> _Table:
        endpoint = ENDPOINTS[kind]
        base = self._discovery.base_url(self.account, CONFIG_SERVICE)
        url = base + endpoint.target(self.account)
        shown = redact_url(url)
        sign, renew = self._signing()

        def parse(body: bytes) -> pd.DataFrame:
            # Parsed before the cache may keep it: a broken answer is never served again.
            return endpoint.parse(decode_json(body, source=shown, expected="a JSON array"),
                                  source=shown)

        response, table = self._transport.get_parsed(url, parse, sign=sign, renew=renew,
                                                     refresh=refresh,
                                                     expire_after=self.names_expire_after)
        stamp = response.headers.get(FETCHED_AT_HEADER, "")
        fetched_at = int(stamp) if stamp.isdigit() else round(self._clock() * 1000)
        return _Table(table, fetched_at)

    def _names(self, *, tolerant: bool, refresh: bool = False) -> Names:
        read: dict[str, _Table] = {}
        failed: dict[str, str] = {}
        for kind in NAME_KINDS:
            try:
                read[kind] = self._config(kind, refresh=refresh)
            except (APIError, QueryError) as exc:
                # Refused or failing (401/403, 429 or 5xx after retries): the frame still
                # comes, with fallback names; a malformed answer (ResponseError) is raised.
                if not tolerant:
                    raise
                failed[kind] = f"{type(exc).__name__}: {exc}"
        stamps = [part.fetched_at_ms for part in read.values()]
        names = Names(
            **{kind: part.table for kind, part in read.items()},
            read_at=pd.Timestamp(min(stamps), unit="ms", tz="UTC") if stamps else None,
            account=self.account,
            source=API_SOURCE,
            failed=failed,
        )
        if self.save_raw is not None and read:
            names.save(self.save_raw)
        return names

    def _data_url(self, method: str = DEFAULT_METHOD) -> str:
        base = self._discovery.base_url(self.account, DATA_SERVICE)
        return base + get_method(method).path.format(account=self.account)

    def _needs_post(self, query: Query) -> bool:
        """Whether the query goes as a POST: its URL too long, and its method takes one."""
        url = len(self._data_url(query.method)) + 1 + len(query.query_string())
        return url > self.max_url_length and query.catalogued.posts

    def _split(self, query: Query) -> tuple[Query, ...]:
        if query.catalogued.posts:
            return (query,)  # a long id list goes in a POST's body, never split
        prefix = len(self._data_url(query.method)) + 1  # the "?"
        return split_query(query, room=self.max_url_length - prefix)

    def _get_all(self, query: Query, *, refresh: bool) -> list[_Fetched]:
        parts = self._split(query)
        post = self._needs_post(query)
        # A split query makes several requests: show their progress on a terminal.
        shown = tqdm(parts, desc=query.method, unit="request", file=sys.stderr, leave=False,
                     disable=None if len(parts) > 1 else True)
        fetched = [self._get(part, refresh=refresh, post=post) for part in shown]
        ends = [bucket_ceil(part.fetched_at_ms) for part in fetched]
        if len(set(ends)) > 1 and not self._transport.offline:
            # A bucket boundary passed between requests: fetch the older ones again so
            # every part covers the same window.
            newest = max(ends)
            fetched = [part if end == newest else self._get(part.query, refresh=True,
                                                            post=part.posted)
                       for part, end in zip(fetched, ends, strict=True)]
        return fetched

    def _get(self, query: Query, *, refresh: bool, post: bool = False) -> _Fetched:
        base = self._data_url(query.method)
        url = base if post else f"{base}?{query.query_string()}"
        sign, renew = self._signing()
        shown = redact_url(url)

        def check(body: bytes) -> None:
            # A complete, well-formed JSON object, or the cache never keeps it (what it
            # holds is checked by flatten, which drops a bad answer from the cache).
            try:
                check_json_object(body, source=shown)
            except ResponseError as exc:
                raise exc.with_context(method=query.method) from None

        role = self._discovery.role(DATA_SERVICE)
        if post:
            # The same rules as a GET: credentials over https or to loopback only, no
            # redirect followed, the answer bounded and checked; never cached.
            response = self._transport.post_json(url, query.json_body(), sign=sign,
                                                 renew=renew, service=DATA_SERVICE,
                                                 role=role, check=check)
        else:
            response = self._transport.get(url, sign=sign, renew=renew, refresh=refresh,
                                           service=DATA_SERVICE, role=role, check=check)
        stamp = response.headers.get(FETCHED_AT_HEADER, "")
        fetched_at = int(stamp) if stamp.isdigit() else round(self._clock() * 1000)
        return _Fetched(query, shown, fetched_at, bool(getattr(response, "from_cache", False)),
                        response.content, posted=post)

    def _signing(self) -> tuple[Callable[[], requests.auth.AuthBase] | None,
                                Callable[[], bool] | None]:
        auth = self._auth
        if auth is None:
            return None, None

        def sign() -> requests.auth.AuthBase:
            token_url = self._token_url() if auth.needs_token_server else None
            return auth.signer(now=self._clock(), token_url=token_url, post=self._post_token)

        return sign, auth.forget

    def _token_url(self) -> str:
        base = self._discovery.base_url(self.account, TOKEN_SERVICE)
        return base + _TOKEN_PATH.format(account=self.account)

    def _post_token(self, url: str, body: str) -> Secret:
        # The token server refuses the credentials of another account as it refuses wrong
        # ones: the account id is worth checking too.
        hint = f"the account id {self.account} may be wrong too (account=, or {ENV_ACCOUNT})"
        response = self._transport.post_form(url, body, service=TOKEN_SERVICE,
                                             role=self._discovery.role(TOKEN_SERVICE),
                                             hint=hint)
        return Secret(response.text)

    def _get_json(self, url: str, *, role: str, check: Callable[[Any], Any]) -> Any:
        shown = redact_url(url)

        def parse(body: bytes) -> Any:
            # Checked before the cache may keep it: a broken answer is never served again.
            return check(decode_json(body, source=shown))

        _, value = self._transport.get_parsed(url, parse, expire_after=self._domain_ttl,
                                              service=DOMAIN_API, role=role)
        return value

    def _head(self, fetched: _Fetched) -> dict[str, Any]:
        return {
            "request": {"account": self.account, **fetched.query.request_fields()},
            "fetched_at": _iso(fetched.fetched_at_ms),
            "from_cache": fetched.from_cache,
        }

    def _envelope(self, fetched: _Fetched) -> dict[str, Any]:
        method = fetched.query.method
        try:
            response = decode_json(fetched.content, source=fetched.url)
        except ResponseError as exc:
            self._unusable(fetched)
            raise exc.with_context(method=method) from None
        if not isinstance(response, dict):
            self._unusable(fetched)
            raise ResponseError("", "a JSON object", type(response).__name__,
                                source=fetched.url, method=method)
        self._save(fetched)
        return {**self._head(fetched), "response": response}

    def _flatten(self, fetched: _Fetched) -> pd.DataFrame:
        try:
            frame = flatten(self._envelope_bytes(fetched))
        except ResponseError as exc:
            self._unusable(fetched)
            if not exc.path:  # the envelope is ours: only the answer's JSON can break it
                raise ResponseError("", "complete, valid JSON", f"broken or cut-off JSON "
                                    f"({len(fetched.content)} bytes received)",
                                    source=fetched.url, method=fetched.query.method) from None
            path = "" if exc.path == "response" else exc.path
            raise ResponseError(path, exc.expected, exc.found, source=fetched.url,
                                method=exc.method or fetched.query.method) from None
        self._save(fetched)
        return frame

    def _envelope_bytes(self, fetched: _Fetched) -> bytes:
        head = json.dumps(self._head(fetched), separators=(",", ":")).encode()
        return head[:-1] + b',"response":' + fetched.content + b"}"

    def _unusable(self, fetched: _Fetched) -> None:
        # A broken answer must not be served again from the cache (a POST's never is).
        if not fetched.posted:
            query = fetched.query
            self._transport.evict(f"{self._data_url(query.method)}?{query.query_string()}")

    def _save(self, fetched: _Fetched) -> None:
        if self.save_raw is None:
            return
        problem: str | None = None
        try:
            self.save_raw.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = reason(exc)
        if problem is not None:
            raise OutputError(f"save_raw: cannot create the folder {self.save_raw} ({problem})")
        stamp = _iso(fetched.fetched_at_ms).replace("-", "").replace(":", "").replace(".", "")
        digest = hashlib.sha256(f"{fetched.query.method}?{fetched.query.query_string()}"
                                .encode()).hexdigest()[:10]
        target = self.save_raw / f"{fetched.query.method}_{self.account}_{stamp}_{digest}.json"
        content = self._envelope_bytes(fetched)

        def write(temporary: Path) -> None:
            temporary.write_bytes(content)

        write_file(target, write)  # a full disk: an OutputError naming the file


def _credentials(auth: Any, environ: Mapping[str, str] | None, *, offline: bool) -> Auth | None:
    if offline and auth is None:
        # Offline nothing is sent, so nothing needs signing; credentials found are kept.
        try:
            return resolve_auth(None, environ=environ)
        except AuthError:
            return None
    return resolve_auth(auth, environ=environ)


def merge_parts(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Merge the frames of a split query into one, recomputing the totals.

    Rows with equal timestamp, skill, agent, metric, level and span (and the dimension
    columns, ``account`` and ``start`` when present) become one whose value is the sum, or,
    for the metrics that do not add up, what the API would have sent for the whole request
    (:mod:`engframe._merge`: extremes and snapshots summed without their -1, averages and
    ratios recomputed); ``fetched_at`` keeps the latest, ``complete`` is true only if true
    in every part. Rows appear in the order
    their key first appears. This is right because the parts of a split ask for disjoint
    ids, so they count disjoint chats (the model of :mod:`engframe.scope`); parts whose
    requests (``df.attrs["query"]``) overlap are refused.

    Parameters
    ----------
    frames : sequence of DataFrame
        Tidy frames of disjoint parts of one query, as :meth:`Client.frame` fetches them.

    Returns
    -------
    pandas.DataFrame
        One tidy frame (the one frame itself when given one).

    Examples
    --------
    >>> import engframe
    >>> a = engframe.flatten({"agentsMetrics": {"metricsPerAgent": {"1": {"x": 2}},
    ...                                         "metricsTotals": {"x": 2}}})
    >>> b = engframe.flatten({"agentsMetrics": {"metricsPerAgent": {"2": {"x": 3}},
    ...                                         "metricsTotals": {"x": 3}}})
    >>> merge_parts([a, b])[["agent", "value", "level"]]
       agent  value         level
    0      1      2         agent
    1   <NA>      5  agents_total
    2      2      3         agent
    """
    if len(frames) == 1:
        return frames[0]
    scopes = [Scope.of_request(frame.attrs.get("query")) for frame in frames]
    for i, one in enumerate(scopes):
        for other in scopes[i + 1:]:
            if one is not None and other is not None and not one.disjoint(other):
                # The sum below is right only for parts that select disjoint chats.
                raise FrameError(f"merge_parts: parts {one.text()} and {other.text()} ask for "
                                 "overlapping ids; split requests must be disjoint")
    stacked = concat_frames(list(frames))
    keys = [*_KEYS, *(name for name in (*DIMENSION_COLUMNS, "account", "start")
                      if name in stacked.columns)]
    rules = {name: _MERGE_RULES.get(name, "first") for name in stacked.columns
             if name not in keys}
    merged = (stacked.groupby(keys, observed=True, dropna=False, sort=False)
              .agg(rules).reset_index())
    merged = merged[list(stacked.columns)]
    for name in stacked.columns:
        if merged[name].dtype != stacked[name].dtype:
            merged[name] = merged[name].astype(stacked[name].dtype)
    return rekind(stacked, merged, keys)


def load_live(
    *,
    account: str | int | None,
    timeframe: int | None = None,
    method: str = DEFAULT_METHOD,
    interval: int | None = None,
    skills: IdsLike = None,
    agents: IdsLike = None,
    groups: IdsLike = None,
    histogram: Iterable[int | str] | str | None = None,
    auth: Any = None,
    refresh: bool = False,
    names: NamesOption = False,
    **client_kwargs: Any,
) -> pd.DataFrame:
    """Fetch a query from the live API as the tidy frame (what ``engframe.load(account=...)`` does).

    Parameters
    ----------
    account : str or int or None
        The account id (``None``: ``$LP_ACCOUNT``).
    timeframe, interval, skills, agents, groups, histogram, method
        The query (see :meth:`Client.fetch`).
    auth : optional
        Credentials (see :class:`Client`); ``None`` reads the environment.
    refresh : bool, default False
        Ask the API even if a fresh answer is cached.
    names : bool, Names or path-like, default False
        Add names (see :meth:`Client.frame`).
    **client_kwargs
        Any other option of :class:`Client` (``cache``, ``offline``, ``save_raw``, ...).

    Returns
    -------
    pandas.DataFrame
        The tidy frame, as :meth:`Client.frame` returns it.

    Raises
    ------
    QueryError, AuthError, RateLimitError, APIError, ResponseError, ConfigError
        As :class:`Client` and :meth:`Client.frame`.

    Examples
    --------
    >>> df = load_live(account="56072331", timeframe=1440, interval=60,
    ...                skills="all", agents="all")  # doctest: +SKIP
    """
    query = Query(method=method, timeframe=timeframe, interval=interval, skills=skills,
                  agents=agents, groups=groups, histogram=histogram)
    with Client(account, auth=auth, **client_kwargs) as client:
        return client.frame(method=query.method, timeframe=query.timeframe,
                            interval=query.interval, skills=query.skills, agents=query.agents,
                            groups=query.groups, histogram=query.histogram, refresh=refresh,
                            names=names)
