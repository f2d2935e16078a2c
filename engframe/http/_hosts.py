"""Which hosts get credentials: a base URI is a bare host, and clear text is for loopback only.

The Domain API names the hosts that engframe sends credentials to, so what it answers is
checked like any input from the network: a ``baseURI`` is a host name or an IP address
literal, with at most a port, and nothing else (no scheme, no ``user:password@``, no path).
A port other than 443 is accepted only on a loopback host (a local simulator): LivePerson's
hosts answer on 443. Requests that carry a credential (a bearer token, an OAuth 1.0
signature, the client secret of a token request) go over HTTPS, or over plain HTTP to a
loopback address only (``127.0.0.0/8``, ``::1``, ``localhost``), where nothing crosses a
network.

Examples
--------
>>> from engframe.http._hosts import check_host, clear_text_allowed
>>> check_host("va-a.data.liveperson.net"), check_host("127.0.0.1:8080")
('va-a.data.liveperson.net', '127.0.0.1:8080')
>>> clear_text_allowed("http://127.0.0.1:8080/x"), clear_text_allowed("http://evil.example/x")
(True, False)
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

__all__ = ["HTTPS_PORT", "LOOPBACK_NAMES", "check_host", "clear_text_allowed", "is_loopback"]

#: The one port LivePerson's hosts answer on; others only on loopback.
HTTPS_PORT: Final = 443
#: Host names that always mean this machine (RFC 6761).
LOOPBACK_NAMES: Final = frozenset({"localhost"})
#: One DNS label: letters, digits and inner hyphens, 1..63 characters (RFC 1123).
_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_PORT: Final = re.compile(r"[0-9]{1,5}")
_MAX_NAME: Final = 253


def _split(text: str) -> tuple[str, str | None] | None:
    """``(host, port)`` of ``host[:port]`` or ``[v6][:port]``; None when malformed."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        return f"[{host}]", rest[1:] if rest else None
    host, colon, port = text.partition(":")
    return host, port if colon else None


def _host_problem(host: str) -> str | None:
    """Why ``host`` (without its port) is not a host name or IP literal; None if it is."""
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "an invalid IPv6 address"
        # a zone ("%eth0") names an interface of the machine that answered, not a host
        return "an IPv6 address with a zone" if address.scope_id else None
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "an invalid IPv4 address"
        return None
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > _MAX_NAME or not all(map(_LABEL.fullmatch, name.split("."))):
        return "not a host name (letters, digits, hyphens and dots)"
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or IP literal, without port) is this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.2"), is_loopback("[::1]"), is_loopback("10.0.0.1")
    (True, True, False)
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare.rstrip(".").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def check_host(text: str, *, any_port: bool = False) -> str:
    """``text`` if it is a bare host with at most a port LivePerson uses, else ValueError.

    Parameters
    ----------
    text : str
        What a Domain API answered as ``baseURI``, surrounding blanks removed.
    any_port : bool, default False
        Accept any port (a host the user gave), not only 443 or loopback's.

    Returns
    -------
    str
        The host, with its port when it has one.

    Raises
    ------
    ValueError
        Saying what is wrong, in a few words (never quoting ``text``: the caller does).

    Examples
    --------
    >>> check_host("http://evil.example")
    Traceback (most recent call last):
    ...
    ValueError: a URL, not a bare host name (a scheme)
    """
    for mark, what in (("://", "a scheme"), ("@", "a user name"), ("/", "a path"),
                       ("?", "a query"), ("#", "a fragment"), ("\\", "a backslash")):
        if mark in text:
            raise ValueError(f"a URL, not a bare host name ({what})")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("blanks or control characters")
    if text.count(":") > 1 and not text.startswith("["):
        raise ValueError("an IPv6 address without brackets")
    parts = _split(text)
    if parts is None:
        raise ValueError("an invalid IPv6 address")
    host, port = parts
    problem = _host_problem(host)
    if problem is not None:
        raise ValueError(problem)
    if port is not None:
        if not _PORT.fullmatch(port) or not 0 < int(port) < 2**16:
            raise ValueError("an invalid port")
        if int(port) != HTTPS_PORT and not any_port and not is_loopback(host):
            raise ValueError(f"port {int(port)}: LivePerson's hosts answer on {HTTPS_PORT}; "
                             "other ports only on loopback (a local simulator)")
    return text


def clear_text_allowed(url: str) -> bool:
    """Whether a request carrying a credential may go to ``url``: HTTPS, or HTTP to loopback.

    Examples
    --------
    >>> clear_text_allowed("https://va-a.data.liveperson.net/x")
    True
    >>> clear_text_allowed("http://localhost:8080/x"), clear_text_allowed("ftp://h/x")
    (True, False)
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    host = parts.netloc.rsplit("@", 1)[-1]
    split = _split(host)
    return split is not None and is_loopback(split[0])
