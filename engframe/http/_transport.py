"""HTTP for the live client: the cached session, timeouts, and the one retry loop.

The code behind :mod:`engframe.transport`, whose docstring describes it; import from there.
"""

from __future__ import annotations

import contextvars
import email.utils
import http.client
import importlib.metadata
import json
import logging
import math
import os
import random as _random
import re
import socket
import sqlite3
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import requests_cache
from requests_cache.backends.base import BaseCache

from engframe.errors import (
    APIError,
    AuthError,
    ConfigError,
    EngframeError,
    QueryError,
    RateLimitError,
)
from engframe.http._bounded import (
    Check,
    OverrunError,
    Reader,
    RefusedError,
    Watch,
    WatchedHTTPPool,
    WatchedHTTPSPool,
    run_bounded,
)
from engframe.http._cachefile import damaged_cache, set_aside_if_damaged
from engframe.http._hosts import clear_text_allowed
from engframe.limits import BYTES_CEILING, MAX_RESPONSE_BYTES

__all__ = [
    "API_ERRORS",
    "CACHE_DIR_ENV",
    "CACHE_FILE_NAME",
    "DEFAULT_EXPIRE_AFTER",
    "DEFAULT_MIN_ATTEMPT",
    "DEFAULT_TIMEOUT",
    "FETCHED_AT_HEADER",
    "GUARDED_LOGGERS",
    "IGNORED_PARAMETERS",
    "LONG_WAIT",
    "TOKEN_ERRORS",
    "CacheOption",
    "RetryPolicy",
    "Signer",
    "Transport",
    "default_cache_path",
    "make_session",
    "redact_url",
]

# The logger keeps the public module's name: users and the README configure it by that.
log = logging.getLogger("engframe.transport")

#: Seconds to wait for the server to connect and to answer (each, per attempt).
DEFAULT_TIMEOUT: Final = 30.0
#: The least time left in the retry budget for an attempt to start [s].
DEFAULT_MIN_ATTEMPT: Final = 1.0
#: A wait before a retry longer than this is logged as a WARNING, shorter ones at INFO [s].
LONG_WAIT: Final = 3.0
#: How long a cached answer stays fresh [s]: the API refreshes every 10 s.
DEFAULT_EXPIRE_AFTER: Final = 60
#: Environment variable naming the cache directory (overrides the platform's default).
CACHE_DIR_ENV: Final = "ENGFRAME_CACHE_DIR"
CACHE_FILE_NAME: Final = "http_cache.sqlite"
#: Header engframe adds to a fresh answer before it is cached: the client's clock [epoch ms].
FETCHED_AT_HEADER: Final = "X-Engframe-Fetched-At"
#: Headers and parameters left out of cache keys and removed from stored requests.
IGNORED_PARAMETERS: Final = (
    "Authorization", "Proxy-Authorization", "Cookie", "access_token", "client_id",
    "client_secret", "oauth_consumer_key", "oauth_nonce", "oauth_signature",
    "oauth_signature_method", "oauth_timestamp", "oauth_token", "oauth_version",
)
_SECRET_PARAM: Final = re.compile(r"(?i)^(oauth_.*|.*token.*|.*secret.*|.*password.*|.*key)$")
#: The same names as query parameters inside any text (a log line, a library's message).
_SECRET_IN_QUERY: Final = re.compile(
    r"(?i)([?&](?:oauth_[^=&\s]*|[^=&\s]*token[^=&\s]*|[^=&\s]*secret[^=&\s]*"
    r"|[^=&\s]*password[^=&\s]*|[^=&\s]*key)=)[^&\s\"'#)]*"
)
_MESSAGE_MAX: Final = 300
_FOREVER: Final = 10 * 365 * 24 * 3600

_T = TypeVar("_T")
#: Makes the ``requests`` auth for one attempt (``None``: send unsigned).
Signer = Callable[[], requests.auth.AuthBase | None]
#: What ``cache=`` may be: True (the default file), False (off), a file path, a backend.
CacheOption = bool | str | os.PathLike[str] | BaseCache

#: The error each failing status raises on API calls (anything else: APIError).
API_ERRORS: Final[Mapping[int, type[Exception]]] = {
    400: QueryError, 401: AuthError, 403: AuthError, 429: RateLimitError,
}
#: The same for the token server: any refusal there is about the credentials.
TOKEN_ERRORS: Final[Mapping[int, type[Exception]]] = {
    400: AuthError, 401: AuthError, 403: AuthError, 429: RateLimitError,
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to retry a failed request, and how long to wait first.

    Parameters
    ----------
    retries_5xx : int, default 3
        Retries after a 5xx answer or a broken connection (reset, closed without an
        answer, a name lookup that failed for now). Timeouts are not retried: the attempt
        waited its whole ``timeout`` already.
    pauses_5xx : tuple of float, default (5, 10, 15)
        The pause before each of those retries [s]; the last repeats.
    retries_refused : int, default 1
        Retries after a refused connection (nothing listens, or a firewall said no): one
        quick retry covers a server restarting; more would only delay the error.
    pause_refused : float, default 1
        The pause before each of those retries [s].
    retries_429 : int, default 8
        Retries after 429 Too Many Requests.
    first_wait_429 : float, default 1
        The first wait after a 429 [s]; it doubles on each further 429. LivePerson asks
        for at least one second.
    max_wait_429 : float, default 30
        The longest single wait after a 429 [s], before jitter.
    jitter : float, default 0.5
        Each 429 wait is stretched by a random fraction up to this, so that clients
        that were refused together do not come back together.
    max_total : float, default 120
        The most time one request may take [s], wall-clock, from the start of its first
        attempt to the end of its last, counting every wait, every attempt's connection
        and every byte of its answer, and the signing of retries: each attempt's timeout
        is cut to the time left, an answer still coming when the budget runs out is given
        up (a server dripping bytes cannot stretch a call), and a retry is made only if at
        least ``min_attempt`` seconds are left when its wait ends. (Looking up the host
        and fetching a token before the first attempt are requests of their own, each
        with its own budget.) Raise it for very large answers over a slow link.
    min_attempt : float, default DEFAULT_MIN_ATTEMPT
        The least time an attempt may have [s]: no retry starts with less left.

    Raises
    ------
    ConfigError
        If a count is negative, a time is negative, or ``max_total`` or ``min_attempt`` is
        not positive.

    Examples
    --------
    >>> fast = RetryPolicy(pauses_5xx=(0.01,), first_wait_429=0.01, max_total=5)
    >>> fast.wait_429(0, retry_after=None, draw=0.0)
    0.01
    """

    retries_5xx: int = 3
    pauses_5xx: tuple[float, ...] = (5.0, 10.0, 15.0)
    retries_refused: int = 1
    pause_refused: float = 1.0
    retries_429: int = 8
    first_wait_429: float = 1.0
    max_wait_429: float = 30.0
    jitter: float = 0.5
    max_total: float = 120.0
    min_attempt: float = DEFAULT_MIN_ATTEMPT

    def __post_init__(self) -> None:
        for name in ("retries_5xx", "retries_refused", "retries_429"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"RetryPolicy {name}={value!r} is invalid: it must be an "
                                  "integer >= 0", option="retry")
        pauses = self.pauses_5xx
        if (not isinstance(pauses, tuple) or not pauses
                or not all(_nonnegative(p) for p in pauses)):
            raise ConfigError(f"RetryPolicy pauses_5xx={pauses!r} is invalid: it must be a "
                              "non-empty tuple of seconds >= 0", option="retry")
        for name in ("first_wait_429", "max_wait_429", "jitter", "pause_refused"):
            if not _nonnegative(getattr(self, name)):
                raise ConfigError(f"RetryPolicy {name}={getattr(self, name)!r} is invalid: "
                                  "it must be a number >= 0", option="retry")
        for name in ("max_total", "min_attempt"):
            if not _nonnegative(getattr(self, name)) or not getattr(self, name):
                raise ConfigError(f"RetryPolicy {name}={getattr(self, name)!r} is invalid: "
                                  "it must be a number of seconds > 0", option="retry")

    def pause_5xx(self, retry: int) -> float:
        """The pause before 5xx retry number ``retry`` (0-based) [s].

        Examples
        --------
        >>> RetryPolicy().pause_5xx(5)
        15.0
        """
        return float(self.pauses_5xx[min(retry, len(self.pauses_5xx) - 1)])

    def wait_429(self, retry: int, *, retry_after: float | None, draw: float) -> float:
        """The wait before 429 retry number ``retry`` (0-based) [s].

        ``Retry-After``, when the server sends it, sets the wait (never under
        ``first_wait_429``); otherwise it doubles from ``first_wait_429`` up to
        ``max_wait_429``. ``draw`` in [0, 1) picks the jitter.

        Examples
        --------
        >>> RetryPolicy(jitter=0).wait_429(3, retry_after=None, draw=0.5)
        8.0
        >>> RetryPolicy(jitter=0).wait_429(0, retry_after=7, draw=0.5)
        7.0
        """
        if retry_after is not None:
            base = max(retry_after, self.first_wait_429)
        else:
            base = min(self.first_wait_429 * 2.0**retry, self.max_wait_429)
        return base * (1.0 + self.jitter * draw)


def _nonnegative(value: Any) -> bool:
    """A finite number >= 0 (NaN and infinity are not: a wait of either never ends)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def default_cache_path(*, environ: Mapping[str, str] | None = None) -> Path:
    """Where the HTTP cache lives unless told otherwise.

    ``$ENGFRAME_CACHE_DIR`` if set; else the platform's user cache directory:
    ``$XDG_CACHE_HOME/engframe`` (``~/.cache/engframe``) on Linux,
    ``~/Library/Caches/engframe`` on macOS, ``%LOCALAPPDATA%\\engframe\\Cache`` on Windows.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variables; ``os.environ`` by default.

    Returns
    -------
    pathlib.Path
        The sqlite file's path (its directory may not exist yet).

    Examples
    --------
    >>> default_cache_path(environ={"ENGFRAME_CACHE_DIR": "/tmp/ef"}).as_posix()
    '/tmp/ef/http_cache.sqlite'
    """
    env = os.environ if environ is None else environ
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV]) / CACHE_FILE_NAME
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "engframe" / "Cache" / CACHE_FILE_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "engframe" / CACHE_FILE_NAME
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "engframe" / CACHE_FILE_NAME


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose pools register each connection they hand out with the
    attempt's watch (:class:`engframe.http._bounded.WatchedHTTPPool`): a budget that runs
    out before a server's headers came shuts the connection, and the attempt's worker ends
    then, not when the server stops dripping."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPPool,
                                                   "https": WatchedHTTPSPool}


def make_session(
    cache: CacheOption = True, *, expire_after: float = DEFAULT_EXPIRE_AFTER
) -> requests.Session:
    """Make the session the client sends with: cached unless ``cache`` is False.

    Parameters
    ----------
    cache : bool, str, path-like or requests_cache BaseCache, default True
        ``True``: a sqlite file at :func:`default_cache_path`; a path: a sqlite file
        there (a directory gets ``http_cache.sqlite`` inside); a requests-cache backend:
        that backend; ``False``: no cache.
    expire_after : float, default DEFAULT_EXPIRE_AFTER
        How long an answer stays fresh [s].

    Returns
    -------
    requests.Session
        A ``requests_cache.CachedSession``, or a plain session when ``cache`` is False.

    Raises
    ------
    ConfigError
        If ``cache`` or ``expire_after`` is of the wrong kind.

    Warns
    -----
    EngframeWarning
        If the cache file is damaged (not a database, cut short): it is renamed beside
        itself (``http_cache.sqlite.damaged-<time>``) and a new one started.

    Examples
    --------
    >>> make_session(False).__class__.__name__
    'Session'
    """
    if not _nonnegative(expire_after):
        raise ConfigError(f"expire_after={expire_after!r} is invalid: it must be seconds >= 0",
                          option="expire_after")
    if cache is False:
        session = requests.Session()
    else:
        backend: BaseCache | str
        if isinstance(cache, BaseCache):
            backend, name = cache, "engframe"
        elif cache is True or isinstance(cache, str | os.PathLike):
            path = default_cache_path() if cache is True else Path(os.fspath(cache))
            if path.is_dir():
                path = path / CACHE_FILE_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            set_aside_if_damaged(path)
            backend, name = "sqlite", str(path)
        else:
            raise ConfigError(
                f"cache is invalid (a {type(cache).__name__}): it must be True (the user "
                "cache directory), False (no cache), a file path or a requests_cache backend",
                option="cache",
            )
        session = requests_cache.CachedSession(
            name,
            backend=backend,
            expire_after=expire_after,
            allowable_codes=(200,),
            allowable_methods=("GET",),
            ignored_parameters=IGNORED_PARAMETERS,
            match_headers=False,
            cache_control=False,
            stale_if_error=False,
        )
    for prefix in ("https://", "http://"):
        session.mount(prefix, _WatchedAdapter())
    session.headers["User-Agent"] = f"engframe/{_version()} {requests.utils.default_user_agent()}"
    session.headers["Accept"] = "application/json"
    return session


def _version() -> str:
    try:
        return importlib.metadata.version("engframe")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def redact_url(url: str) -> str:
    """The URL with the values of secret-looking query parameters replaced by ``***``.

    Examples
    --------
    >>> redact_url("https://h/p?timeframe=60&access_token=abc")
    'https://h/p?timeframe=60&access_token=***'
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [(name, "***" if _SECRET_PARAM.match(name) else value)
             for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    query = urlencode(pairs, safe=",*")
    netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def server_message(response: requests.Response) -> str | None:
    """What the server said in an error answer: its JSON message, else the text's start."""
    text = response.text if response.content else ""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("message", "error_description", "errorMessage", "error", "detail"):
            if isinstance(document.get(key), str | int):
                return str(document[key])[:_MESSAGE_MAX]
    title = re.search(r"(?is)<title>(.*?)</title>", text)
    if title:
        text = title.group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return text[:_MESSAGE_MAX] or None


def _retry_after(response: requests.Response, now: float) -> float | None:
    """The wait a ``Retry-After`` header asks for [s]; None when absent or not a wait."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan" and "inf" parse as floats, but are no wait (sleep(nan) raises)
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - now, 0.0)


# -- credentials out of third-party logs ---------------------------------------------------

#: What the records of each library's loggers get while engframe signs and sends: "drop"
#: (oauthlib and requests-oauthlib log the request being signed, keys, tokens and
#: signatures included) or "mask" (urllib3 and requests-cache log URLs: secret-looking
#: query values become ``***``). At any other time their records pass untouched.
GUARDED_LOGGERS: Final[Mapping[str, str]] = {
    "oauthlib": "drop", "requests_oauthlib": "drop",
    "urllib3": "mask", "requests_cache": "mask", "requests": "mask",
}
#: Set while engframe signs and sends (per thread and task, so other code is unaffected).
_SENDING: Final = contextvars.ContextVar("engframe_sending", default=False)


class _SendingGuard(logging.Filter):
    """Keeps credentials out of the records of :data:`GUARDED_LOGGERS` while engframe sends."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _SENDING.get():
            return True
        if GUARDED_LOGGERS.get(record.name.partition(".")[0]) == "drop":
            return False
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it as it would anyway
        masked = _SECRET_IN_QUERY.sub(r"\1***", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_GUARD: Final = _SendingGuard()


def _install_guard() -> None:
    # A logger's filters see only the records logged on it, not its children's, so every
    # logger of those libraries gets the guard; loggers made since the last call get it now.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (isinstance(logger, logging.Logger) and name.partition(".")[0] in GUARDED_LOGGERS
                and _GUARD not in logger.filters):
            logger.addFilter(_GUARD)


@contextmanager
def _sending() -> Iterator[None]:
    """Marks the code inside as engframe signing and sending (see :data:`GUARDED_LOGGERS`)."""
    _install_guard()
    marker = _SENDING.set(True)
    try:
        yield
    finally:
        _SENDING.reset(marker)


_install_guard()


class _TextHeaders(requests.auth.AuthBase):
    """Signs with ``auth``, then turns every header value given as bytes into text.

    requests-oauthlib's ``OAuth1`` has oauthlib encode every header of the request as
    bytes (its default ``decoding="utf-8"``), the ``Cache-Control`` header requests-cache
    sets for ``force_refresh`` included; requests-cache then reads that header again as
    text and fails (``TypeError: a bytes-like object is required, not 'str'``). Header
    values go on the wire as latin-1, so decoding them as latin-1 sends the same bytes.
    """

    def __init__(self, auth: requests.auth.AuthBase) -> None:
        self._auth = auth

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        signed = self._auth(request)
        for name, value in list(signed.headers.items()):
            if isinstance(value, bytes):
                signed.headers[name] = value.decode("latin-1")
        return signed

    def __repr__(self) -> str:
        return f"_TextHeaders({self._auth!r})"


# -- why no answer came ----------------------------------------------------------------------

#: How to say why no answer came, most specific first: an exception type met in the
#: failure's chain (requests wraps urllib3's, which wraps the socket's), how the message
#: opens, what failed ({timeout}: the attempt's timeout [s]) and which retries it gets:
#: "5xx" (LivePerson's 5xx pauses), "refused" (``RetryPolicy.retries_refused``), "never".
_NO_ANSWER: Final[tuple[tuple[type[BaseException], str, str, str], ...]] = (
    (requests.exceptions.ConnectTimeout, "cannot connect to", "timed out after {timeout} s",
     "never"),
    (requests.exceptions.ReadTimeout, "no answer from", "timed out after {timeout} s", "never"),
    (requests.exceptions.InvalidHeader, "cannot send to",
     "a header value is not valid HTTP (not shown: it may hold a credential)", "never"),
    (requests.exceptions.ProxyError, "cannot connect to", "the proxy failed", "5xx"),
    (socket.gaierror, "cannot connect to", "name not resolved", "5xx"),
    (ConnectionRefusedError, "cannot connect to", "connection refused", "refused"),
    (ssl.SSLCertVerificationError, "cannot connect to", "its TLS certificate is not trusted",
     "never"),
    (requests.exceptions.SSLError, "cannot connect to", "the TLS handshake failed", "5xx"),
    (http.client.RemoteDisconnected, "lost the connection to",
     "closed by the server without an answer", "5xx"),
    (ConnectionResetError, "lost the connection to", "reset by the peer", "5xx"),
    (requests.exceptions.ChunkedEncodingError, "lost the connection to",
     "the answer broke off", "5xx"),
    (requests.exceptions.ContentDecodingError, "cannot read the answer from",
     "its compression is broken", "5xx"),
    (TimeoutError, "cannot connect to", "timed out after {timeout} s", "never"),
    (requests.ConnectionError, "cannot connect to", "the connection failed", "5xx"),
)
#: Exceptions whose text may quote a header value (a credential): described by type only.
_QUOTES_HEADERS: Final = (requests.exceptions.InvalidHeader, ValueError, UnicodeError)


@dataclass(frozen=True, slots=True)
class _Unreached:
    """Why an attempt got no answer, in a few words, and the library's full text."""

    opening: str  # "cannot connect to", "no answer from", ...
    host: str
    reason: str  # "connection refused", "timed out after 30 s", ...
    detail: str
    retry: str  # which retries may help: "5xx", "refused" or "never" (see _NO_ANSWER)

    def __str__(self) -> str:
        return f"{self.opening} {self.host}: {self.reason}"


def _chain(error: BaseException) -> list[BaseException]:
    """The error and every exception it wraps (``args``, ``reason``, cause, context)."""
    found: list[BaseException] = []
    todo = [error]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = (*current.args, getattr(current, "reason", None), current.__cause__,
                 current.__context__)
        todo += [item for item in inner if isinstance(item, BaseException)]
    return found


def _unreached(error: BaseException, host: str, timeout: float) -> _Unreached:
    chain = _chain(error)
    if isinstance(error, _QUOTES_HEADERS):
        detail = type(error).__name__
    else:
        detail = _SECRET_IN_QUERY.sub(r"\1***", f"{type(error).__name__}: {error}")
    # A name the DNS says does not exist, or a certificate not trusted, stays so.
    final = any(isinstance(e, ssl.SSLCertVerificationError)
                or (isinstance(e, socket.gaierror) and e.errno == socket.EAI_NONAME)
                for e in chain)
    for kind, opening, reason, retry in _NO_ANSWER:
        if any(isinstance(e, kind) for e in chain):
            return _Unreached(opening, host, reason.format(timeout=_seconds(timeout)), detail,
                              "never" if final else retry)
    if isinstance(error, _QUOTES_HEADERS):
        # http.client refuses a header holding a newline or a character outside latin-1,
        # quoting the value: say so without it.
        return _Unreached("cannot send to", host, "a header value is not valid HTTP (not "
                          "shown: it may hold a credential)", detail, "never")
    # Not a connection failure: a request requests refuses to send (a malformed URL, ...).
    said = (str(error) or type(error).__name__)[:_MESSAGE_MAX]
    return _Unreached("cannot send to", host, _SECRET_IN_QUERY.sub(r"\1***", said), detail,
                      "never")


def _overrun(host: str, budget: float) -> _Unreached:
    """The budget ran out before a whole answer came (a slow or dripping server)."""
    return _Unreached("no complete answer from", host,
                      f"the {_seconds(budget)} s budget (max_total) ran out", "", "never")


def _host(url: str) -> str:
    """``host`` or ``host:port`` of a URL, without any user:password@."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def _seconds(value: float) -> str:
    return f"{value:.3g}"


@dataclass(frozen=True, slots=True)
class _Target:
    """What a request is sent to, for messages: its URL (secrets removed), host and role."""

    url: str
    host: str
    service: str | None
    role: str | None


@dataclass
class Transport:
    """Sends requests: signing, caching options, timeouts and retries, in one place.

    Parameters
    ----------
    session : requests.Session
        What sends the requests; a ``requests_cache.CachedSession`` enables the cache
        options (``refresh``, ``offline``, ``expire_after``).
    timeout : float, default DEFAULT_TIMEOUT
        Seconds to connect and to wait for bytes, per attempt.
    retry : RetryPolicy
        When and how long to wait before retrying, and the budget of a request.
    offline : bool, default False
        Answer only from the cache (stale answers included); nothing is sent.
    max_bytes : int, default engframe.limits.MAX_RESPONSE_BYTES (256 MiB)
        The most decoded bytes an answer may hold (what a gzip-encoded answer inflates
        to counts); a larger answer is a :class:`~engframe.errors.ResponseError`.
    clock : callable, default time.time
        The current time [s since the epoch]; tests inject a fake one.
    sleep : callable, default time.sleep
        Waits that many seconds; tests inject a fake one.
    random : callable, default random.random
        Draws the jitter in [0, 1).

    Examples
    --------
    >>> t = Transport(make_session(False), timeout=5.0)
    >>> t.timeout, t.max_bytes // 2**20
    (5.0, 256)
    """

    session: requests.Session
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    offline: bool = False
    max_bytes: int = MAX_RESPONSE_BYTES
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = _random.random

    def __post_init__(self) -> None:
        if not _nonnegative(self.timeout) or not self.timeout:
            raise ConfigError(f"timeout={self.timeout!r} is invalid: it must be seconds > 0",
                              option="timeout")
        if not isinstance(self.retry, RetryPolicy):
            raise ConfigError(f"retry is invalid (a {type(self.retry).__name__}): it must be "
                              "an engframe.transport.RetryPolicy", option="retry")
        if (not isinstance(self.max_bytes, int) or isinstance(self.max_bytes, bool)
                or not 0 < self.max_bytes <= BYTES_CEILING):
            raise ConfigError(f"max_bytes={self.max_bytes!r} is invalid: it must be a whole "
                              f"number of bytes from 1 to {BYTES_CEILING:,} "
                              "(engframe.limits.BYTES_CEILING)", option="max_bytes")
        if self.offline and not self.cached:
            raise ConfigError("offline=True needs the cache: leave cache= on, or pass a "
                              "requests_cache.CachedSession as session=", option="offline")

    @property
    def cached(self) -> bool:
        """Whether answers are cached (the session is a requests-cache session)."""
        return isinstance(self.session, requests_cache.CacheMixin)

    def get(
        self,
        url: str,
        *,
        sign: Signer | None = None,
        renew: Callable[[], bool] | None = None,
        refresh: bool = False,
        expire_after: float | None = None,
        errors: Mapping[int, type[Exception]] = API_ERRORS,
        service: str | None = None,
        role: str | None = None,
        check: Check | None = None,
    ) -> requests.Response:
        """GET ``url``, from the cache when fresh there, with retries.

        Parameters
        ----------
        url : str
            The full URL, query string included.
        sign : callable, optional
            Makes the auth for each attempt. A signed request goes over HTTPS, or plain
            HTTP to a loopback host only.
        renew : callable, optional
            Called once after a 401 to drop a cached token; a true result retries.
        refresh : bool, default False
            Skip a cached answer and store the new one.
        expire_after : float, optional
            Freshness for this answer [s], instead of the session's.
        errors : mapping, default API_ERRORS
            The exception for each failing status.
        service : str, optional
            The service the host serves (``"leDataReporting"``, ...), set on errors.
        role : str, optional
            What the host is and where it came from, for the message of a connection
            failure (``"the token server 'sentinel', named by the Domain API"``).
        check : callable, optional
            ``check(body)`` looks at a 2xx answer before the cache may keep it, raising an
            engframe error to refuse it: a refused answer is not cached (one found in the
            cache is dropped from it), and the error is raised, without retrying.

        Returns
        -------
        requests.Response
            A 2xx answer; ``response.from_cache`` tells whether it came from the cache.

        Raises
        ------
        QueryError, AuthError, RateLimitError, APIError
            As :data:`API_ERRORS` says, once retries are spent; ``APIError`` too when
            the host cannot be reached, the budget runs out, and when offline and the
            answer is not cached.
        ResponseError
            If the answer holds more than ``max_bytes``; any error ``check`` raises.
        ConfigError
            If a signed request would go over plain HTTP to a host that is not loopback.
        SourceError
            If the cache file is damaged.

        Examples
        --------
        >>> t = Transport(make_session(False), offline=False)
        >>> callable(t.get)
        True
        """
        options: dict[str, Any] = {}
        if self.cached:
            options["force_refresh"] = refresh and not self.offline
            options["only_if_cached"] = self.offline
            if expire_after is not None:
                options["expire_after"] = expire_after
            if self.offline:
                # Offline, an old answer beats none: accept any age.
                options["headers"] = {"Cache-Control": f"max-stale={_FOREVER}"}
        if self.offline:
            sign = renew = None  # nothing is sent, so nothing is signed
        elif self.cached and not refresh:
            # A fresh cached answer needs no signature (and no token fetched for one).
            hit = self._cached(url, {**options, "only_if_cached": True}, check)
            if hit is not None:
                return hit
        return self.send("GET", url, sign=sign, renew=renew, errors=errors, service=service,
                         role=role, check=check, **options)

    def get_parsed(self, url: str, parse: Callable[[bytes], _T], **options: Any,
                   ) -> tuple[requests.Response, _T]:
        """GET ``url`` as :meth:`get` does, parsing the body before it may be cached.

        An answer ``parse`` refuses (raising an engframe error) is never cached: the next
        call asks the server again.

        Parameters
        ----------
        url : str
            The full URL.
        parse : callable
            ``parse(body) -> value``; raises a :class:`~engframe.errors.ResponseError` (or
            another engframe error) for an unusable answer.
        **options
            Those of :meth:`get`.

        Returns
        -------
        tuple
            The answer and what ``parse`` made of it.

        Raises
        ------
        EngframeError
            As :meth:`get`, and what ``parse`` raises.

        Examples
        --------
        >>> callable(Transport(make_session(False)).get_parsed)
        True
        """
        parsed: list[_T] = []
        response = self.get(url, check=lambda body: parsed.append(parse(body)), **options)
        assert parsed, "the check runs on every 2xx answer"
        return response, parsed[-1]

    def evict(self, url: str) -> None:
        """Drop the cached answer to a GET of ``url`` (one that proved unusable).

        Examples
        --------
        >>> Transport(make_session(False)).evict("https://h/p")  # no cache: nothing to do
        """
        if self.cached:
            try:
                self.session.cache.delete(urls=[url])  # type: ignore[attr-defined]
            except sqlite3.DatabaseError as error:
                raise damaged_cache(self.session, error) from None

    def post_form(
        self,
        url: str,
        body: str,
        *,
        errors: Mapping[int, type[Exception]] = TOKEN_ERRORS,
        service: str | None = None,
        role: str | None = None,
        hint: str | None = None,
    ) -> requests.Response:
        """POST a form body that holds a credential: never cached, never redirected.

        The body goes over HTTPS, or plain HTTP to a loopback host only, and never follows
        a redirect: a server answering one is an :class:`~engframe.errors.APIError` naming
        both hosts (re-posting a client secret to wherever a server points is how it would
        leak).

        Parameters
        ----------
        url : str
            Where to post.
        body : str
            The ``application/x-www-form-urlencoded`` body; pass an
            :class:`engframe.auth.Secret` when it holds a credential.
        errors : mapping, default TOKEN_ERRORS
            The exception for each failing status.
        service, role : str, optional
            As :meth:`get`.
        hint : str, optional
            Added to the message when the server refuses (a 4xx answer): what else to check.

        Returns
        -------
        requests.Response
            A 2xx answer.

        Raises
        ------
        AuthError, RateLimitError, APIError
            As ``errors`` says, once retries are spent; ``APIError`` for a redirect.
        ConfigError
            If ``url`` is plain HTTP to a host that is not loopback.

        Examples
        --------
        >>> callable(Transport(make_session(False)).post_form)
        True
        """
        if self.offline:
            raise APIError(f"offline: cannot post to {redact_url(url)}", url=redact_url(url),
                           host=_host(url), service=service)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.send("POST", url, data=body, headers=headers, errors=errors,
                         service=service, role=role, credential=True, hint=hint,
                         allow_redirects=False)

    def post_json(
        self,
        url: str,
        body: bytes,
        *,
        sign: Signer | None = None,
        renew: Callable[[], bool] | None = None,
        errors: Mapping[int, type[Exception]] = API_ERRORS,
        service: str | None = None,
        role: str | None = None,
        check: Check | None = None,
    ) -> requests.Response:
        """POST a JSON body (a data query's parameters): signed, bounded, never cached.

        The rules of every request hold: a signed request goes over HTTPS, or plain HTTP to
        a loopback host only; the answer is read against ``max_bytes`` within the budget;
        ``check`` sees it. A redirect is not followed (an :class:`~engframe.errors.APIError`
        naming both hosts): the body would go where a server points. Nothing is cached, so
        offline there is no answer.

        Parameters
        ----------
        url : str
            Where to post (no query string).
        body : bytes
            The JSON body.
        sign, renew, errors, service, role, check
            As :meth:`get`.

        Returns
        -------
        requests.Response
            A 2xx answer.

        Raises
        ------
        QueryError, AuthError, RateLimitError, APIError, ResponseError, ConfigError
            As :meth:`get`; ``APIError`` offline and for a redirect.

        Examples
        --------
        >>> callable(Transport(make_session(False)).post_json)
        True
        """
        if self.offline:
            raise APIError(f"offline: no cached answer for a POST to {redact_url(url)} (POST "
                           "answers are not cached; ask for fewer ids to fetch with a GET)",
                           url=redact_url(url), host=_host(url), service=service)
        headers = {"Content-Type": "application/json"}
        return self.send("POST", url, data=body, headers=headers, sign=sign, renew=renew,
                         errors=errors, service=service, role=role, check=check,
                         allow_redirects=False)

    def send(
        self,
        method: str,
        url: str,
        *,
        sign: Signer | None = None,
        renew: Callable[[], bool] | None = None,
        errors: Mapping[int, type[Exception]] = API_ERRORS,
        service: str | None = None,
        role: str | None = None,
        check: Check | None = None,
        credential: bool = False,
        hint: str | None = None,
        **options: Any,
    ) -> requests.Response:
        """Send one request, retrying as :attr:`retry` says; the one retry loop of engframe.

        Each retry is logged on ``engframe.transport`` (what failed, on which attempt,
        how long the wait): at INFO, or WARNING when the wait is longer than
        :data:`LONG_WAIT`. The whole call takes at most ``retry.max_total`` seconds from
        its first attempt, wall-clock, answers included (see :class:`RetryPolicy`).

        Parameters
        ----------
        method, url : str
            The request.
        sign : callable, optional
            Makes the auth for each attempt (called again before every retry).
        renew : callable, optional
            Called once after a 401 to drop a cached token; a true result retries.
        errors : mapping, default API_ERRORS
            The exception for each failing status.
        service, role : str, optional
            As :meth:`get`.
        check : callable, optional
            As :meth:`get`.
        credential : bool, default False
            The request carries a credential even without ``sign`` (a token request's
            body): HTTPS, or plain HTTP to loopback, only.
        hint : str, optional
            As :meth:`post_form`.
        **options
            Passed on to ``session.request`` (headers, data, cache options,
            ``allow_redirects``; with ``allow_redirects=False`` a redirect is an error).

        Returns
        -------
        requests.Response
            A 2xx answer.

        Raises
        ------
        QueryError, AuthError, RateLimitError, APIError
            As ``errors`` says, once retries are spent; ``APIError`` when the host
            cannot be reached (its ``reason``, ``host`` and ``detail`` say why), when the
            budget runs out, and for a redirect not followed.
        ResponseError
            If the answer holds more than ``max_bytes``; any error ``check`` raises.
        ConfigError
            If a request carrying a credential would go over plain HTTP to a host that is
            not loopback.
        SourceError
            If the cache file is damaged.

        Examples
        --------
        >>> callable(Transport(make_session(False)).send)
        True
        """
        target = _Target(redact_url(url), _host(url), service, role)
        if (sign is not None or credential) and not clear_text_allowed(url):
            raise ConfigError(f"refusing to send credentials to {target.host} in clear text: "
                              f"{target.url} is not https, and plain http is for a loopback "
                              "host only (a local simulator)")
        policy = self.retry
        attempts = retries_5xx = retries_refused = retries_429 = 0
        renewed = False
        deadline = 0.0
        failure: requests.Response | _Unreached | None = None
        with _sending():
            while True:
                auth = sign() if sign is not None else None
                now = self.clock()
                if not attempts:
                    deadline = now + policy.max_total
                elif deadline - now < policy.min_attempt:  # signing the retry used it up
                    raise _error(failure, target, errors, attempts - 1,
                                 budget=policy.max_total)
                timeout = min(self.timeout, deadline - now)
                outcome = self._attempt(method, url, auth, timeout, deadline, target, check,
                                        options)
                attempts += 1
                if isinstance(outcome, EngframeError):
                    if check is not None:
                        self.evict(url)  # an answer check refused must not be served again
                    raise outcome.with_traceback(None)
                failure = outcome
                if isinstance(failure, requests.Response) and failure.is_redirect and (
                        options.get("allow_redirects") is False):
                    raise _redirect_error(failure, target)
                if isinstance(failure, requests.Response) and failure.ok:
                    return failure
                status = failure.status_code if isinstance(failure, requests.Response) else None
                if self.offline and status == 504:
                    raise APIError(f"offline: no cached answer for {target.url}; fetch it once "
                                   "online", url=target.url, host=target.host, service=service)
                if status == 401 and renew is not None and not renewed and renew():
                    renewed = True
                    log.info("%s (attempt %d): retrying with a new token",
                             _what_failed(failure, target), attempts)
                    continue
                retry = failure.retry if isinstance(failure, _Unreached) else "5xx"
                if status == 429 and retries_429 < policy.retries_429:
                    assert isinstance(failure, requests.Response)
                    wait = policy.wait_429(retries_429, draw=self.random(),
                                           retry_after=_retry_after(failure, self.clock()))
                    retries_429 += 1
                    count, limit = retries_429, policy.retries_429
                elif retry == "refused" and retries_refused < policy.retries_refused:
                    wait = policy.pause_refused
                    retries_refused += 1
                    count, limit = retries_refused, policy.retries_refused
                elif (retry == "5xx" and retries_5xx < policy.retries_5xx
                      and (status is None or status >= 500)):
                    wait = policy.pause_5xx(retries_5xx)
                    retries_5xx += 1
                    count, limit = retries_5xx, policy.retries_5xx
                else:
                    raise _error(failure, target, errors, attempts - 1, hint=hint)
                if self.clock() + wait + policy.min_attempt > deadline:
                    raise _error(failure, target, errors, attempts - 1,
                                 budget=policy.max_total, hint=hint)
                log.log(logging.WARNING if wait > LONG_WAIT else logging.INFO,
                        "%s (attempt %d): retry %d of %d in %s s",
                        _what_failed(failure, target), attempts, count, limit, _seconds(wait))
                self.sleep(wait)

    def _cached(self, url: str, options: Mapping[str, Any],
                check: Check | None) -> requests.Response | None:
        """A fresh answer from the cache, or None; one ``check`` refuses is dropped."""
        reader = Reader(limit=self.max_bytes, watch=Watch(), check=check,
                        source=redact_url(url))
        try:
            with _sending():
                hit = self.session.request("GET", url, timeout=self.timeout,
                                           hooks={"response": [reader, self._stamp]}, **options)
        except RefusedError:
            hit = None  # stored by an engframe that did not check it: ask again
        except sqlite3.DatabaseError as error:
            raise damaged_cache(self.session, error) from None
        if hit is None:
            self.evict(url)
            return None
        return hit if hit.status_code == 200 else None

    def _attempt(
        self,
        method: str,
        url: str,
        auth: requests.auth.AuthBase | None,
        timeout: float,
        deadline: float,
        target: _Target,
        check: Check | None,
        options: Mapping[str, Any],
    ) -> requests.Response | _Unreached | EngframeError:
        """One attempt: the answer, why none came, or the error to raise (never raising).

        It runs within the budget (:func:`engframe.http._bounded.run_bounded`): once
        ``deadline`` passes, the caller gets "no complete answer" at once.
        """
        signed = None if auth is None else _TextHeaders(auth)
        watch = Watch()
        reader = Reader(limit=self.max_bytes, watch=watch, check=check, source=target.url)
        hooks: dict[str, list[Callable[[requests.Response], Any]]] = {
            "response": [reader, self._stamp]}

        def request() -> requests.Response:
            return self.session.request(method, url, auth=signed, timeout=timeout,
                                        stream=True, hooks=hooks, **options)

        finished = run_bounded(request, seconds=deadline - self.clock(), watch=watch)
        error = finished.error
        if not finished.in_time or isinstance(error, OverrunError):
            return _overrun(target.host, self.retry.max_total)
        if error is None:
            response: requests.Response = finished.value
            return response
        # Described and dropped here: raising the error itself would chain it to requests'
        # and urllib3's frames, whose locals hold the request's headers.
        if isinstance(error, RefusedError):
            return error.error
        if isinstance(error, sqlite3.DatabaseError):
            return damaged_cache(self.session, error)
        if isinstance(error, (requests.RequestException, *_QUOTES_HEADERS)):
            return _unreached(error, target.host, timeout)
        raise error

    def _stamp(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # Hooks run before requests-cache stores a fresh answer and again on a cached one:
        # stamp only the first time, so a cache hit keeps its original fetch time.
        if FETCHED_AT_HEADER not in response.headers:
            response.headers[FETCHED_AT_HEADER] = str(round(self.clock() * 1000))


def _redirect_error(response: requests.Response, target: _Target) -> APIError:
    """The error for a redirect of a request that carries a credential in its body."""
    location = response.headers.get("Location", "")
    where = _host(urljoin(target.url, location)) if location else "(nowhere)"
    here = f"{target.host} ({target.role})" if target.role else target.host
    reason = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    return APIError(f"{here} redirected the request to {where} ({reason}): refused, engframe "
                    "never sends a credential on to where a server points; check the host "
                    "(csds_url=, domain=)", status=response.status_code, url=target.url,
                    host=target.host, service=target.service, reason=reason)


def _what_failed(failure: requests.Response | _Unreached, target: _Target) -> str:
    if isinstance(failure, _Unreached):
        return str(failure)
    return f"HTTP {failure.status_code} {failure.reason or ''}".rstrip() + f" from {target.host}"


def _error(
    failure: requests.Response | _Unreached | None,
    target: _Target,
    errors: Mapping[int, type[Exception]],
    retries: int,
    *,
    budget: float | None = None,
    hint: str | None = None,
) -> Exception:
    """The error for the last failure; ``budget``: given up because of it [s].

    ``hint`` is added to a refusal's message (a 4xx answer other than 429): what else to
    check.
    """
    assert failure is not None
    tried = f"after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    if budget is None:
        gave_up = ""
    else:
        gave_up = (f"; gave up {tried or 'without retrying'}: another attempt would pass "
                   f"the {budget:g} s budget")
    if isinstance(failure, _Unreached):
        where = f"{failure.host} ({target.role})" if target.role else failure.host
        message = f"{failure.opening} {where}: {failure.reason}"
        message += gave_up or (f"; gave up {tried}" if tried else "")
        return APIError(message, url=target.url, host=failure.host, service=target.service,
                        reason=failure.reason, retries=retries, detail=failure.detail)
    status = failure.status_code
    said = server_message(failure)
    reason = f"HTTP {status} {failure.reason or ''}".rstrip()
    message = f"{reason} from {target.url}"
    if tried and budget is None:
        message += f" {tried}"
    if said:
        message += f": {said}"
    message += gave_up
    if hint and 400 <= status < 500 and status != 429:
        message += f"; {hint}"
    kind = errors.get(status, APIError)
    if kind is QueryError:
        return QueryError(f"the API refused the query: {message}", status=status,
                          url=target.url, server_message=said)
    assert issubclass(kind, APIError)
    return kind(message, status=status, url=target.url, server_message=said,
                host=target.host, service=target.service, reason=reason, retries=retries)
