"""Authentication as the simulator checks it: OAuth 2.0 bearer tokens and OAuth 1.0 signatures.

- OAuth 2.0 client credentials: the token endpoint trades ``client_id``/``client_secret``
  for a random bearer token that expires ``token_ttl`` seconds later on the simulator's
  clock (so tests can make it expire by moving the clock).
- OAuth 1.0 "API keys": the four values sign each request with HMAC-SHA1 in the
  ``Authorization: OAuth ...`` header; oauthlib's RFC 5849 verifier checks the signature
  over the method, the URL as the client addressed it and every parameter. A
  ``(timestamp, nonce)`` pair is accepted once: a retried request must be signed again.
  Timestamps are not compared with the clock, because tests pin the clock in the past.

Missing or wrong credentials are answered 401; valid credentials used on another account
are answered 403. Messages never quote a secret.

Examples
--------
>>> from engframe.sim.auth import Authenticator, Credentials
>>> auth = Authenticator(account="56072331", credentials=Credentials.for_seed(1),
...                      token_ttl=3600, clock=lambda: 0)
>>> token = auth.issue_token(account="56072331", client_id=auth.credentials.client_id,
...                          client_secret=auth.credentials.client_secret)["access_token"]
>>> auth.authorize(account="56072331", method="GET", url="http://h/x",
...                authorization=f"Bearer {token}")
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Final
from urllib.parse import urlsplit

from oauthlib.oauth1.rfc5849 import signature  # type: ignore[import-untyped]

from engframe.errors import SimConfigError, SimRequestError, describe

__all__ = ["DEFAULT_TOKEN_TTL", "WWW_AUTHENTICATE", "Authenticator", "Credentials"]

#: Lifetime of an issued bearer token [s], as LivePerson's token server answers.
DEFAULT_TOKEN_TTL: Final = 3600
#: OAuth 1.0 nonces remembered against replay.
NONCE_MEMORY: Final = 100_000
#: The ``WWW-Authenticate`` header sent with a 401.
WWW_AUTHENTICATE: Final = 'Bearer realm="engframe-sim"'


@dataclass(frozen=True, slots=True)
class Credentials:
    """The credentials a simulator accepts. Secrets stay out of the repr.

    Attributes
    ----------
    client_id, client_secret : str
        OAuth 2.0 client credentials.
    app_key, app_secret, access_token, access_token_secret : str
        OAuth 1.0 keys (HMAC-SHA1).
    """

    client_id: str
    client_secret: str = field(repr=False)
    app_key: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    @classmethod
    def for_seed(cls, seed: int) -> Credentials:
        """Credentials derived from a seed: the same seed gives the same ones every run.

        Parameters
        ----------
        seed : int
            The simulator's seed.

        Returns
        -------
        Credentials
            Six hex strings, different for every seed.

        Examples
        --------
        >>> Credentials.for_seed(1) == Credentials.for_seed(1)
        True
        """

        def derive(name: str, size: int) -> str:
            digest = hashlib.sha256(f"engframe-sim:{seed}:{name}".encode()).hexdigest()
            return digest[:size]

        return cls(
            client_id=derive("client_id", 24),
            client_secret=derive("client_secret", 40),
            app_key=derive("app_key", 32),
            app_secret=derive("app_secret", 16),
            access_token=derive("access_token", 32),
            access_token_secret=derive("access_token_secret", 16),
        )

    @property
    def oauth1(self) -> tuple[str, str, str, str]:
        """``(app_key, app_secret, access_token, access_token_secret)``."""
        return (self.app_key, self.app_secret, self.access_token, self.access_token_secret)


class Authenticator:
    """Issues bearer tokens and checks each request's ``Authorization`` header.

    Parameters
    ----------
    account : str
        The one account the simulator hosts.
    credentials : Credentials
        What it accepts.
    token_ttl : int
        Bearer token lifetime [s].
    clock : callable
        The simulator's clock [epoch ms].

    Raises
    ------
    SimConfigError
        If ``token_ttl`` is not a positive integer.

    Examples
    --------
    >>> auth = Authenticator(account="1", credentials=Credentials.for_seed(0), token_ttl=60,
    ...                      clock=lambda: 0)
    >>> auth.issue_token(account="1", client_id="x", client_secret="y")
    Traceback (most recent call last):
    ...
    engframe.errors.SimRequestError: invalid_client: unknown client id or wrong secret
    """

    def __init__(
        self, *, account: str, credentials: Credentials, token_ttl: int,
        clock: Callable[[], int],
    ) -> None:
        if isinstance(token_ttl, bool) or not isinstance(token_ttl, int) or token_ttl < 1:
            raise SimConfigError(
                f"token_ttl: expected a positive integer [s], found {describe(token_ttl)}"
            )
        self.account = account
        self.credentials = credentials
        self.token_ttl = token_ttl
        self._clock = clock
        self._tokens: dict[str, int] = {}
        self._nonces: set[tuple[str, str]] = set()
        self._nonce_order: deque[tuple[str, str]] = deque()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Authenticator(account={self.account!r}, token_ttl={self.token_ttl})"

    def issue_token(self, *, account: str, client_id: str, client_secret: str) -> dict[str, Any]:
        """Trade client credentials for a bearer token (the token endpoint's answer).

        Parameters
        ----------
        account : str
            The account in the token URL.
        client_id, client_secret : str
            As posted.

        Returns
        -------
        dict
            ``{"access_token": ..., "token_type": "Bearer", "expires_in": token_ttl}``.

        Raises
        ------
        SimRequestError
            With status 401 for an unknown account or wrong client credentials.

        Examples
        --------
        >>> creds = Credentials.for_seed(2)
        >>> auth = Authenticator(account="9", credentials=creds, token_ttl=60, clock=lambda: 0)
        >>> auth.issue_token(account="9", client_id=creds.client_id,
        ...                  client_secret=creds.client_secret)["expires_in"]
        60
        """
        good = (
            account == self.account
            and hmac.compare_digest(client_id.encode(), self.credentials.client_id.encode())
            and hmac.compare_digest(
                client_secret.encode(), self.credentials.client_secret.encode()
            )
        )
        if not good:
            raise SimRequestError(
                "invalid_client: unknown client id or wrong secret", status=401
            )
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._tokens = {t: end for t, end in self._tokens.items() if end > now}
            self._tokens[token] = now + self.token_ttl * 1000
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def authorize(self, *, account: str, method: str, url: str, authorization: str | None) -> None:
        """Check a request's credentials; return quietly when they grant ``account``.

        Parameters
        ----------
        account : str
            The account in the request's path.
        method : str
            The HTTP method.
        url : str
            The URL as the client addressed it (scheme, Host header, path, query).
        authorization : str or None
            The ``Authorization`` header.

        Raises
        ------
        SimRequestError
            Status 401 when credentials are missing, malformed, wrong, expired or replayed;
            403 when they are good but for another account.

        Examples
        --------
        >>> auth = Authenticator(account="1", credentials=Credentials.for_seed(0),
        ...                      token_ttl=60, clock=lambda: 0)
        >>> auth.authorize(account="1", method="GET", url="http://h/", authorization="Bearer x")
        Traceback (most recent call last):
        ...
        engframe.errors.SimRequestError: unknown bearer token
        """
        if not authorization:
            raise _unauthorized(
                "no Authorization header: send a Bearer token or an OAuth 1.0 signature"
            )
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            self._check_bearer(value.strip())
        elif scheme.lower() == "oauth":
            self._check_oauth1(method, url, authorization.strip())
        else:
            raise _unauthorized(
                f"unsupported Authorization scheme {scheme[:20]!r}: expected Bearer or OAuth"
            )
        if account != self.account:
            raise SimRequestError(
                f"forbidden: these credentials do not grant account {account[:40]!r}",
                status=403,
            )

    def _check_bearer(self, token: str) -> None:
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            raise _unauthorized("unknown bearer token")
        if self._clock() >= expires:
            raise _unauthorized("bearer token expired: fetch a new one")

    def _check_oauth1(self, method: str, url: str, header: str) -> None:
        parts = urlsplit(url)
        try:
            params = signature.collect_parameters(
                uri_query=parts.query, headers={"Authorization": header},
                exclude_oauth_signature=False,
            )
        except ValueError:
            raise _unauthorized("malformed OAuth Authorization header") from None
        oauth = dict(params)
        missing = [
            name for name in ("oauth_consumer_key", "oauth_token", "oauth_signature_method",
                              "oauth_signature", "oauth_timestamp", "oauth_nonce")
            if not oauth.get(name)
        ]
        if missing:
            raise _unauthorized(f"OAuth 1.0 header lacks {', '.join(missing)}")
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            raise _unauthorized("OAuth 1.0 signature method must be HMAC-SHA1")
        creds = self.credentials
        known = hmac.compare_digest(
            oauth["oauth_consumer_key"].encode(), creds.app_key.encode()
        ) and hmac.compare_digest(oauth["oauth_token"].encode(), creds.access_token.encode())
        if not known:
            raise _unauthorized("unknown OAuth 1.0 app key or access token")
        # oauthlib's verifier reads these four attributes of a request (RFC 5849 3.4).
        signed = SimpleNamespace(
            params=[(k, v) for k, v in params if k != "oauth_signature"],
            uri=f"{parts.scheme}://{parts.netloc}{parts.path}",
            http_method=method.upper(),
            signature=oauth["oauth_signature"],
        )
        if not signature.verify_hmac_sha1(signed, creds.app_secret, creds.access_token_secret):
            raise _unauthorized("OAuth 1.0 signature does not match")
        self._remember_nonce((oauth["oauth_timestamp"], oauth["oauth_nonce"]))

    def _remember_nonce(self, key: tuple[str, str]) -> None:
        with self._lock:
            if key in self._nonces:
                raise _unauthorized("OAuth 1.0 nonce already used: sign each request anew")
            self._nonces.add(key)
            self._nonce_order.append(key)
            if len(self._nonce_order) > NONCE_MEMORY:
                self._nonces.discard(self._nonce_order.popleft())


def _unauthorized(message: str) -> SimRequestError:
    return SimRequestError(message, status=401)
