"""Credentials for the live API, pluggable: OAuth 2.0 client credentials, a bearer token, OAuth 1.0.

The code behind :mod:`engframe.auth`, whose docstring describes it; import from there.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error  # type: ignore[import-untyped]
from requests_oauthlib import OAuth1  # type: ignore[import-untyped]

from engframe.errors import AuthError, ConfigError
from engframe.http._discovery import TOKEN_SERVICE

__all__ = [
    "DEFAULT_RENEW_BEFORE",
    "DEFAULT_TOKEN_LIFETIME",
    "ENV_ACCESS_TOKEN",
    "ENV_ACCESS_TOKEN_SECRET",
    "ENV_ACCOUNT",
    "ENV_APP_KEY",
    "ENV_APP_SECRET",
    "ENV_BEARER_TOKEN",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "Auth",
    "BearerToken",
    "OAuth1Keys",
    "OAuth2ClientCredentials",
    "Secret",
    "TokenPost",
    "resolve_auth",
]

ENV_ACCOUNT: Final = "LP_ACCOUNT"
ENV_BEARER_TOKEN: Final = "LP_BEARER_TOKEN"
ENV_CLIENT_ID: Final = "LP_CLIENT_ID"
ENV_CLIENT_SECRET: Final = "LP_CLIENT_SECRET"
ENV_APP_KEY: Final = "LP_APP_KEY"
ENV_APP_SECRET: Final = "LP_APP_SECRET"
ENV_ACCESS_TOKEN: Final = "LP_ACCESS_TOKEN"
ENV_ACCESS_TOKEN_SECRET: Final = "LP_ACCESS_TOKEN_SECRET"

#: Renew an OAuth 2.0 token this long before it expires [s] (at most half its lifetime).
DEFAULT_RENEW_BEFORE: Final = 300.0
#: Lifetime assumed for a token whose answer has no ``expires_in`` [s] (LivePerson's is 3600).
DEFAULT_TOKEN_LIFETIME: Final = 3600.0
_HIDDEN: Final = "<hidden>"

#: Sends a token request: ``post(token_url, form_body) -> response text``. It raises
#: :class:`~engframe.errors.AuthError` when the token server refuses the credentials.
TokenPost = Callable[[str, str], str]


class Secret(str):
    """A credential: a ``str`` that sends as itself but shows as ``<hidden>``.

    ``repr`` (what containers, debuggers and ``capture_locals`` tracebacks print) hides
    the value; ``str``, ``format`` and f-strings give it, so requests can be signed.
    Operations on it (``+``, ``strip``) return plain strings: wrap their results again.

    Examples
    --------
    >>> token = Secret("s3cr3t")
    >>> token, [token], f"Bearer {token}"
    (<hidden>, [<hidden>], 'Bearer s3cr3t')
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return _HIDDEN


class _Bearer(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer <token>`` on a request."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return f"_Bearer(token={_HIDDEN})"


class Auth(ABC):
    """Credentials that can sign requests to the live API.

    Subclass it to plug in another scheme: implement :meth:`signer`.
    """

    #: Whether :meth:`signer` needs the token server (the client then discovers it).
    needs_token_server: ClassVar[bool] = False

    @abstractmethod
    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        """A ``requests`` auth that signs one attempt of one request.

        Parameters
        ----------
        now : float
            The current time [s since the epoch], from the client's clock.
        token_url : str, optional
            The OAuth 2.0 token endpoint, when :attr:`needs_token_server` is true.
        post : callable, optional
            Sends a token request (see :data:`TokenPost`), when a token is needed.

        Returns
        -------
        requests.auth.AuthBase
            Call it on a prepared request to sign it.

        Raises
        ------
        AuthError
            If no signer can be made (the token server refused the credentials).

        Examples
        --------
        >>> BearerToken("t").signer(now=0.0)
        _Bearer(token=<hidden>)
        """

    def forget(self) -> bool:
        """Drop any cached token after the API refused it; say whether a retry may help.

        Examples
        --------
        >>> BearerToken("t").forget()
        False
        """
        return False


class BearerToken(Auth):
    """A ready OAuth 2.0 bearer token, sent as ``Authorization: Bearer <token>``.

    Parameters
    ----------
    token : str
        The access token.

    Raises
    ------
    ConfigError
        If the token is empty or not a string.

    Examples
    --------
    >>> BearerToken("abc")
    BearerToken(token=<hidden>)
    """

    def __init__(self, token: str) -> None:
        self._token = _secret("token", token, header=True)

    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        return _Bearer(self._token)

    def __repr__(self) -> str:
        return f"BearerToken(token={_HIDDEN})"


class OAuth2ClientCredentials(Auth):
    """OAuth 2.0 client credentials: a token from LivePerson's token server (``sentinel``).

    The token is fetched on first use, kept in memory (per token endpoint, so one object
    can serve several accounts) and renewed ``renew_before`` seconds before it expires, or
    at half its lifetime if that comes sooner. A token the API refuses (401) is dropped and
    fetched again once.

    Parameters
    ----------
    client_id, client_secret : str
        The client credentials of an API application.
    renew_before : float, default DEFAULT_RENEW_BEFORE
        How long before expiry to renew [s].

    Raises
    ------
    ConfigError
        If a credential is empty or not a string, or ``renew_before`` is negative.

    Examples
    --------
    >>> OAuth2ClientCredentials("my-app", "s3cr3t")
    OAuth2ClientCredentials(client_id=<hidden>, client_secret=<hidden>)
    """

    needs_token_server = True

    def __init__(
        self, client_id: str, client_secret: str, *, renew_before: float = DEFAULT_RENEW_BEFORE
    ) -> None:
        self._client_id = _secret("client_id", client_id)
        self._client_secret = _secret("client_secret", client_secret)
        if not isinstance(renew_before, int | float) or renew_before < 0:
            raise ConfigError(f"renew_before={renew_before!r} is invalid: it must be a "
                              "number of seconds >= 0", option="renew_before")
        self._renew_before = float(renew_before)
        self._tokens: dict[str, tuple[Secret, float]] = {}
        self._lock = threading.Lock()

    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        if token_url is None or post is None:
            raise AuthError("OAuth 2.0 client credentials need the token server's URL and a way "
                            "to reach it; use them through engframe.Client")
        with self._lock:
            cached = self._tokens.get(token_url)
            if cached is None or now >= cached[1]:
                cached = self._fetch(token_url, post, now)
                self._tokens[token_url] = cached
        return _Bearer(cached[0])

    def _fetch(self, token_url: str, post: TokenPost, now: float) -> tuple[Secret, float]:
        client = BackendApplicationClient(client_id=self._client_id)
        body = Secret(client.prepare_request_body(include_client_id=True,
                                                  client_secret=self._client_secret))
        answer = _parse_token(client, Secret(post(token_url, body)))
        if isinstance(answer, str):
            # Raised here, outside the except block, so that no chained exception keeps
            # oauthlib's frames (whose locals hold the answer) for a traceback to print.
            raise AuthError(f"the token server at {token_url} answered no usable token "
                            f"({answer})", url=token_url, service=TOKEN_SERVICE)
        token, lifetime = answer
        return token, now + lifetime - min(self._renew_before, lifetime / 2)

    def forget(self) -> bool:
        with self._lock:
            self._tokens.clear()
        return True

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(client_id={_HIDDEN}, client_secret={_HIDDEN})"


def _parse_token(client: BackendApplicationClient, text: Secret) -> tuple[Secret, float] | str:
    """The token and its lifetime [s] from a token answer, or why there is none."""
    try:
        token = client.parse_request_body_response(text)
    except (OAuth2Error, ValueError) as exc:
        # oauthlib's messages hold the error code and description only, never a secret.
        return str(exc)
    except RecursionError:  # json.loads of an answer nested thousands of levels deep
        return "JSON nested too deeply"
    access = token.get("access_token")
    if not isinstance(access, str) or not access.strip():
        return "its access_token is not a non-empty string"
    problem = _problem(access.strip(), header=True)
    if problem is not None:
        return f"its access_token holds {problem}"
    return Secret(access.strip()), _lifetime(token.get("expires_in"))


class OAuth1Keys(Auth):
    """Legacy OAuth 1.0 API keys: each request signed with HMAC-SHA1 (requests-oauthlib).

    LivePerson made these keys read-only on 2025-09-30 and ended OAuth 1.0 on 2026-05-31;
    accounts that still hold such keys can use them here.

    Parameters
    ----------
    app_key, app_secret, access_token, access_token_secret : str
        The four values of the API key.

    Raises
    ------
    ConfigError
        If a value is empty or not a string.

    Examples
    --------
    >>> OAuth1Keys("k", "s", "t", "ts")  # doctest: +ELLIPSIS
    OAuth1Keys(app_key=<hidden>, app_secret=<hidden>, ...)
    """

    def __init__(
        self, app_key: str, app_secret: str, access_token: str, access_token_secret: str
    ) -> None:
        self._keys = (
            _secret("app_key", app_key),
            _secret("app_secret", app_secret),
            _secret("access_token", access_token),
            _secret("access_token_secret", access_token_secret),
        )

    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        app_key, app_secret, access_token, access_token_secret = self._keys
        # A new OAuth1 per attempt: requests-oauthlib draws a fresh nonce and timestamp.
        signer: requests.auth.AuthBase = OAuth1(
            app_key, client_secret=app_secret, resource_owner_key=access_token,
            resource_owner_secret=access_token_secret, signature_method="HMAC-SHA1",
            signature_type="AUTH_HEADER",
        )
        return signer

    def __repr__(self) -> str:
        names = ("app_key", "app_secret", "access_token", "access_token_secret")
        return f"OAuth1Keys({', '.join(f'{name}={_HIDDEN}' for name in names)})"


class _RequestsAuth(Auth):
    """A ``requests`` auth object the caller built, used as it is."""

    def __init__(self, auth: requests.auth.AuthBase) -> None:
        self._auth = auth

    def signer(
        self, *, now: float, token_url: str | None = None, post: TokenPost | None = None
    ) -> requests.auth.AuthBase:
        return self._auth

    def __repr__(self) -> str:
        return f"{type(self._auth).__name__}(...)"


def _problem(value: str, *, header: bool) -> str | None:
    """What makes a credential unusable, never quoting it; None when it is usable.

    ``header``: it is sent as an HTTP header value (a bearer token), so latin-1 only.
    """
    if any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in value):
        return "a control character (a newline or tab pasted with it?)"
    if header and any(ord(c) > 0xff for c in value):
        return "a character outside latin-1, which an HTTP header cannot carry"
    return None


def _secret(name: str, value: Any, *, header: bool = False) -> Secret:
    if not isinstance(value, str) or not value.strip():
        kind = "an empty string" if isinstance(value, str) else type(value).__name__
        raise ConfigError(f"{name} is invalid ({kind}): it must be a non-empty string",
                          option="auth")
    problem = _problem(value.strip(), header=header)
    if problem is not None:
        raise ConfigError(f"{name} is invalid: it holds {problem}", option="auth")
    return Secret(value.strip())


def _lifetime(expires_in: Any) -> float:
    try:
        lifetime = float(expires_in)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME
    return lifetime if lifetime > 0 else DEFAULT_TOKEN_LIFETIME


_ENV_SETS: Final[tuple[tuple[Callable[..., Auth], tuple[str, ...]], ...]] = (
    (BearerToken, (ENV_BEARER_TOKEN,)),
    (OAuth2ClientCredentials, (ENV_CLIENT_ID, ENV_CLIENT_SECRET)),
    (OAuth1Keys, (ENV_APP_KEY, ENV_APP_SECRET, ENV_ACCESS_TOKEN, ENV_ACCESS_TOKEN_SECRET)),
)
_BY_LENGTH: Final[dict[int, Callable[..., Auth]]] = {
    1: BearerToken, 2: OAuth2ClientCredentials, 4: OAuth1Keys,
}


def resolve_auth(auth: Any, *, environ: Mapping[str, str] | None = None) -> Auth:
    """Turn what the caller gave as ``auth`` (or the environment) into credentials.

    Parameters
    ----------
    auth : Auth, str, tuple of str, requests.auth.AuthBase or None
        An :class:`Auth`; a bearer token string; ``(client_id, client_secret)`` for
        OAuth 2.0; ``(app_key, app_secret, access_token, access_token_secret)`` for
        OAuth 1.0; any ``requests`` auth object (used as it is); or ``None`` to read the
        environment variables listed in this module's docstring.
    environ : mapping, optional
        Where to read the variables; ``os.environ`` by default.

    Returns
    -------
    Auth
        The credentials.

    Raises
    ------
    AuthError
        If ``auth`` is None and no complete set of variables is set (the message lists the
        variables, never their values).
    ConfigError
        If ``auth`` is of a kind not listed above.

    Examples
    --------
    >>> resolve_auth(("id", "secret"))
    OAuth2ClientCredentials(client_id=<hidden>, client_secret=<hidden>)
    >>> resolve_auth(None, environ={"LP_BEARER_TOKEN": "abc"})
    BearerToken(token=<hidden>)
    """
    if isinstance(auth, Auth):
        return auth
    if isinstance(auth, str):
        return BearerToken(auth)
    if isinstance(auth, tuple | list) and len(auth) in _BY_LENGTH:
        return _BY_LENGTH[len(auth)](*auth)
    if isinstance(auth, requests.auth.AuthBase):
        return _RequestsAuth(auth)
    if auth is not None:
        # Only the type: the value may hold secrets.
        raise ConfigError(
            f"auth is invalid (a {type(auth).__name__}"
            f"{f' of {len(auth)} items' if isinstance(auth, tuple | list) else ''}): it must "
            "be an engframe.auth.Auth, a bearer token string, (client_id, client_secret), "
            "(app_key, app_secret, access_token, access_token_secret), a requests auth "
            "object, or None to read the LP_* environment variables",
            option="auth",
        )
    # os.environ is passed, never bound to a local here: a traceback printing this
    # frame's locals must not print the whole environment.
    found = _from_environ(os.environ if environ is None else environ)
    if isinstance(found, AuthError):
        raise found
    return found


def _from_environ(environ: Mapping[str, str]) -> Auth | AuthError:
    """The first complete set's credentials, or the error saying what is missing.

    The error is returned, not raised, so that this frame (whose locals hold the whole
    environment) is not part of its traceback.
    """
    partial: list[str] = []
    missing: list[str] = []
    for make, names in _ENV_SETS:
        present = [name for name in names if environ.get(name, "").strip()]
        if len(present) == len(names):
            for name in names:
                problem = _problem(environ[name].strip(), header=name == ENV_BEARER_TOKEN)
                if problem is not None:
                    return AuthError(f"{name} is unusable: it holds {problem}; set it again",
                                     env_sets=tuple(n for _, n in _ENV_SETS))
            return make(*(environ[name] for name in names))
        if present:
            lacking = [name for name in names if name not in present]
            missing += lacking
            partial.append(f"{', '.join(present)} set but {', '.join(lacking)} missing")
    sets = "; or ".join(" and ".join(names) for _, names in _ENV_SETS)
    detail = f" ({'; '.join(partial)})" if partial else ""
    return AuthError(f"no credentials: pass auth= or set {sets}{detail}",
                     env_sets=tuple(names for _, names in _ENV_SETS),
                     env_missing=tuple(missing))
