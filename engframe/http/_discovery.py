"""Where an account's services live: LivePerson's Domain API (CSDS), looked up and cached.

The Engagement Activity host (service ``leDataReporting``) and the OAuth 2.0 token server
(service ``sentinel``) differ by account and change rarely, so each answer is kept in
memory for hours (and, through the HTTP cache, on disk as long). The Domain API's own
URL (``csds_url``) also gives the scheme used for the hosts it names; a test server on
``http://127.0.0.1:PORT`` therefore yields ``http://`` hosts.

What the Domain API answers is checked before it is used or cached
(:mod:`engframe.http._hosts`): a ``baseURI`` is a bare host name or IP literal, at most with port
443 (any port on loopback), never a URL with a scheme, user name or path; and a Domain API
reached over plain HTTP (a local simulator) may name loopback hosts only, since the hosts
it names get credentials.

A host can also be given (``overrides``, the client's ``domain=``): only the services
named are then skipped; the others are still looked up. :meth:`Discovery.role` and
:meth:`Discovery.lookup_role` say, for messages, where a host came from, so that an error
reaching the token server never reads as if the given domain failed, nor the reverse.

Examples
--------
>>> from engframe.http._discovery import parse_base_uri
>>> parse_base_uri({"service": "leDataReporting", "account": "56072331",
...                 "baseURI": "va-a.data.liveperson.net"}, service="leDataReporting")
'va-a.data.liveperson.net'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from engframe.errors import ConfigError, ResponseError, describe
from engframe.http._hosts import check_host, is_loopback

__all__ = [
    "DATA_SERVICE",
    "DEFAULT_CSDS_URL",
    "DEFAULT_DOMAIN_TTL",
    "DOMAIN_API",
    "SERVICE_NAMES",
    "TOKEN_SERVICE",
    "Discovery",
    "base_url",
    "csds_lookup_url",
    "given_url",
    "parse_base_uri",
]

#: LivePerson's Domain API.
DEFAULT_CSDS_URL: Final = "https://api.liveperson.net"
#: The service that serves the Engagement Activity method (case-sensitive).
DATA_SERVICE: Final = "leDataReporting"
#: The OAuth 2.0 token server.
TOKEN_SERVICE: Final = "sentinel"
#: How long a looked-up host is trusted [s].
DEFAULT_DOMAIN_TTL: Final = 6 * 3600.0
#: The Domain API itself, as errors name it (their ``service``): LivePerson's CSDS.
DOMAIN_API: Final = "csds"
#: How messages name the hosts of known services (others: "the host of service 'x'").
SERVICE_NAMES: Final = {
    DATA_SERVICE: f"the Engagement Activity host '{DATA_SERVICE}'",
    TOKEN_SERVICE: f"the token server '{TOKEN_SERVICE}'",
}


class GetJson(Protocol):
    """Fetches a JSON document and checks it: ``get_json(url, role=..., check=...)``.

    ``role`` says, for messages, what the request is for (see :meth:`Discovery.lookup_role`);
    ``check(document)`` returns what the caller wants from the decoded document or raises a
    :class:`~engframe.errors.ResponseError`, and is called before the answer is cached, so
    that an answer it refuses is never kept. The call returns what ``check`` returned.
    """

    def __call__(self, url: str, *, role: str, check: Callable[[Any], Any]) -> Any: ...


def csds_lookup_url(csds_url: str, account: str, service: str) -> str:
    """The Domain API URL that names ``service``'s host for ``account``.

    Examples
    --------
    >>> csds_lookup_url("https://api.liveperson.net", "56072331", "sentinel")
    'https://api.liveperson.net/api/account/56072331/service/sentinel/baseURI.json?version=1.0'
    """
    path = f"/api/account/{account}/service/{service}/baseURI.json?version=1.0"
    return csds_url.rstrip("/") + path


def parse_base_uri(document: Any, *, service: str) -> str:
    """The host in a Domain API answer.

    Parameters
    ----------
    document : object
        The decoded answer, ``{"service": ..., "account": ..., "baseURI": "host"}``.
    service : str
        The service asked for (to check the answer is about it, when it says).

    Returns
    -------
    str
        The host, possibly with a port: ``"va-a.data.liveperson.net"``.

    Raises
    ------
    ResponseError
        If the answer names another service, or its ``baseURI`` is not a bare host name or
        IP literal (a URL with a scheme, user name or path; an invalid IPv6 literal; a port
        other than 443 on a host that is not loopback).

    Examples
    --------
    >>> parse_base_uri({"baseURI": "127.0.0.1:8080"}, service="sentinel")
    '127.0.0.1:8080'
    >>> parse_base_uri({"baseURI": "http://evil.example"},
    ...                service="sentinel")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engframe.errors.ResponseError: baseURI: expected a bare host name ... (a scheme)), found ...
    """
    if not isinstance(document, dict):
        raise ResponseError("", "a Domain API object with a member 'baseURI'", describe(document))
    named = document.get("service")
    if named is not None and named != service:
        raise ResponseError("service", f"the service asked for, {service!r}", describe(named))
    host = document.get("baseURI")
    expected = "a bare host name such as 'va-a.data.liveperson.net'"
    if not isinstance(host, str) or not host.strip():
        raise ResponseError("baseURI", expected, describe(host))
    try:
        return check_host(host.strip())
    except ValueError as problem:
        found = describe(host)
        raise ResponseError("baseURI", f"{expected} ({problem})", found) from None


def service_name(service: str) -> str:
    """How messages name the host of ``service``.

    Examples
    --------
    >>> service_name("sentinel")
    "the token server 'sentinel'"
    """
    return SERVICE_NAMES.get(service, f"the host of service '{service}'")


def base_url(host: str, *, scheme: str) -> str:
    """``scheme://host`` for a bare host; a URL that has a scheme is kept as it is.

    Examples
    --------
    >>> base_url("va-a.data.liveperson.net", scheme="https")
    'https://va-a.data.liveperson.net'
    >>> base_url("http://127.0.0.1:8080/", scheme="https")
    'http://127.0.0.1:8080'
    """
    host = host.strip().rstrip("/")
    return host if "://" in host else f"{scheme}://{host}"


def given_url(host: str, *, scheme: str) -> str:
    """The base URL of a host given by the user (``domain=``), checked like an answer's.

    A bare host takes ``scheme``; a URL keeps its own. Either way it is refused if it holds
    a user name or a path, or if it would send credentials over plain http to a host that
    is not loopback. Any port is accepted: the user chose it.

    Raises
    ------
    ConfigError
        Naming the value and what is wrong.

    Examples
    --------
    >>> given_url("va-a.data.liveperson.net", scheme="https")
    'https://va-a.data.liveperson.net'
    >>> given_url("http://127.0.0.1:8080/", scheme="https")
    'http://127.0.0.1:8080'
    """
    url = base_url(host, scheme=scheme) if isinstance(host, str) else None
    parts = urlsplit(url) if url is not None else None
    problem = None
    if parts is None or parts.scheme not in ("http", "https"):
        problem = "it must be a host such as 'va-a.data.liveperson.net', or an http(s) URL"
    elif parts.username is not None or parts.path or parts.query or parts.fragment:
        problem = "it must be a host or a base URL, without a user name, path or query"
    else:
        try:
            check_host(parts.netloc, any_port=True)
        except ValueError as what:
            problem = f"it must be a host name or IP address, found {what}"
        else:
            if parts.scheme == "http" and not is_loopback(_host_of(parts.netloc)):
                problem = ("credentials go over plain http to a loopback host only (a local "
                           "simulator); use https")
    if problem is not None:
        raise ConfigError(f"domain={host!r} is invalid: {problem}", option="domain")
    assert url is not None
    return url


def _host_of(host_port: str) -> str:
    """The host of ``host[:port]`` or ``[v6]:port``."""
    if host_port.startswith("["):
        return host_port.partition("]")[0] + "]"
    return host_port.rpartition(":")[0] if host_port.count(":") == 1 else host_port


class Discovery:
    """Looks up service hosts through the Domain API and remembers them for hours.

    Parameters
    ----------
    get_json : callable
        ``get_json(url, role=..., check=...)`` fetches a URL, decodes its JSON and returns
        what ``check`` makes of it (see :class:`GetJson`; the client passes its
        transport's, so lookups are retried, timed out and cached like any request, and an
        answer ``check`` refuses is not cached); ``role`` says what the lookup is for, for
        its error messages.
    csds_url : str, default DEFAULT_CSDS_URL
        The Domain API's base URL; its scheme is used for the hosts it names. Plain http
        only to a loopback host (a local simulator).
    overrides : mapping of str to str, optional
        Hosts (or base URLs) to use instead of looking up, by service name (see
        :func:`given_url`).
    ttl : float, default DEFAULT_DOMAIN_TTL
        How long a looked-up host is kept [s].
    clock : callable, default time.time
        The current time [s since the epoch].

    Raises
    ------
    ConfigError
        If ``csds_url`` is not an http(s) URL (or plain http to a host that is not
        loopback), a given host is not usable, or ``ttl`` is negative.

    Examples
    --------
    >>> d = Discovery(lambda url, role, check: check({"baseURI": "h.example"}),
    ...               csds_url="https://csds.example")
    >>> d.base_url("56072331", "leDataReporting")
    'https://h.example'
    """

    def __init__(
        self,
        get_json: GetJson,
        *,
        csds_url: str = DEFAULT_CSDS_URL,
        overrides: Mapping[str, str] | None = None,
        ttl: float = DEFAULT_DOMAIN_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(csds_url) if isinstance(csds_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"csds_url={csds_url!r} is invalid: it must be an http(s) URL "
                              f"such as {DEFAULT_CSDS_URL!r}", option="csds_url")
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            # The hosts a Domain API names take its scheme, and they get credentials.
            raise ConfigError(f"csds_url={csds_url!r} is invalid: plain http is for a loopback "
                              "host only (a local simulator), since the hosts it names get "
                              f"credentials; use https, such as {DEFAULT_CSDS_URL!r}",
                              option="csds_url")
        if not isinstance(ttl, int | float) or ttl < 0:
            raise ConfigError(f"ttl={ttl!r} is invalid: it must be seconds >= 0", option="ttl")
        self.csds_url = csds_url.rstrip("/")
        self.scheme = parts.scheme
        self.ttl = float(ttl)
        self._get_json = get_json
        self._clock = clock
        self._overrides = {service: given_url(host, scheme=self.scheme)
                           for service, host in (overrides or {}).items()}
        self._known: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def base_url(self, account: str, service: str) -> str:
        """The base URL (``scheme://host``) of ``service`` for ``account``.

        Parameters
        ----------
        account : str
            The account id.
        service : str
            The service name, case-sensitive (:data:`DATA_SERVICE`, :data:`TOKEN_SERVICE`).

        Returns
        -------
        str
            The base URL, without a trailing slash.

        Raises
        ------
        ResponseError
            If the Domain API's answer names no usable host (see :func:`parse_base_uri`),
            or, reached over plain http, a host that is not loopback.
        APIError, AuthError, QueryError
            If the Domain API cannot be reached or refuses the lookup.

        Examples
        --------
        >>> d = Discovery(lambda url, role, check: {}, overrides={"leDataReporting": "h.example"})
        >>> d.base_url("1", "leDataReporting")
        'https://h.example'
        """
        if service in self._overrides:
            return self._overrides[service]
        now = self._clock()
        with self._lock:
            known = self._known.get((account, service))
        if known is not None and now < known[1]:
            return known[0]
        url = csds_lookup_url(self.csds_url, account, service)

        def check(document: Any) -> str:
            try:
                host = parse_base_uri(document, service=service)
            except ResponseError as exc:
                raise ResponseError(exc.path, exc.expected, exc.found, source=url) from None
            if self.scheme == "http" and not is_loopback(_host_of(host)):
                raise ResponseError(
                    "baseURI", "a loopback host: this Domain API answers over plain http, and "
                    "credentials go over plain http to loopback only", describe(host),
                    source=url)
            return host

        host = self._get_json(url, role=self.lookup_role(service), check=check)
        found = base_url(host, scheme=self.scheme)
        with self._lock:
            self._known[(account, service)] = (found, now + self.ttl)
        return found

    def given(self, service: str) -> bool:
        """Whether the host of ``service`` was given (``overrides``), not looked up.

        Examples
        --------
        >>> d = Discovery(lambda url, role, check: {}, overrides={"leDataReporting": "h"})
        >>> d.given("sentinel")
        False
        """
        return service in self._overrides

    def role(self, service: str) -> str:
        """What the host of ``service`` is and where it came from, for messages.

        Examples
        --------
        >>> d = Discovery(lambda url, role, check: {}, overrides={"leDataReporting": "h.example"})
        >>> d.role("leDataReporting")
        "the Engagement Activity host 'leDataReporting', given in domain="
        >>> d.role("sentinel")
        "the token server 'sentinel', named by the Domain API"
        """
        origin = "given in domain=" if self.given(service) else "named by the Domain API"
        return f"{service_name(service)}, {origin}"

    def lookup_role(self, service: str) -> str:
        """What a Domain API lookup of ``service`` is for, for messages.

        When other services' hosts were given, it says that those do not cover this one
        (a domain given for the data host does not spare the token server's lookup).

        Examples
        --------
        >>> d = Discovery(lambda url, role, check: {}, overrides={"leDataReporting": "h.example"})
        >>> for part in d.lookup_role("sentinel").split("; "):
        ...     print(part)
        the Domain API, asked for the token server 'sentinel'
        domain= gives only the Engagement Activity host 'leDataReporting'
        """
        role = f"the Domain API, asked for {service_name(service)}"
        if self._overrides:
            given = " and ".join(service_name(name) for name in self._overrides)
            role += f"; domain= gives only {given}"
        return role
