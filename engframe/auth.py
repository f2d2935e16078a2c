"""Credentials for the live API, pluggable: OAuth 2.0 client credentials, a bearer token, OAuth 1.0.

Each credentials object turns into a ``requests`` auth (a *signer*) for one attempt of one
request; the transport asks for a fresh signer on every attempt, so a retried OAuth 1.0
request is signed again (new nonce and timestamp) and an OAuth 2.0 token that expired
between two attempts is renewed.

=======================================  =====================================================
credentials                              environment variables (used when ``auth`` is None)
=======================================  =====================================================
:class:`BearerToken`                     ``LP_BEARER_TOKEN``
:class:`OAuth2ClientCredentials`         ``LP_CLIENT_ID``, ``LP_CLIENT_SECRET``
:class:`OAuth1Keys` (legacy API keys)    ``LP_APP_KEY``, ``LP_APP_SECRET``, ``LP_ACCESS_TOKEN``,
                                         ``LP_ACCESS_TOKEN_SECRET``
=======================================  =====================================================

When several sets are present the first complete one in that order wins. The account id
comes from ``LP_ACCOUNT`` when none is given. Credentials are checked where they enter: a
control character in any of them (a newline pasted with a token), or a character outside
latin-1 in a bearer token (an HTTP header carries latin-1 only), is refused in one line
that names the variable, the argument or the token server, never the value.

Secrets never appear in reprs or messages: every credential, token, token request body and
token answer is held as a :class:`Secret`, a ``str`` whose ``repr`` is ``<hidden>``, so that
containers and the local variables a traceback prints (``capture_locals``) show
``<hidden>`` instead of the value.

Examples
--------
>>> from engframe.auth import BearerToken, resolve_auth
>>> BearerToken("s3cr3t")
BearerToken(token=<hidden>)
>>> resolve_auth(None, environ={"LP_CLIENT_ID": "id", "LP_CLIENT_SECRET": "pw"})
OAuth2ClientCredentials(client_id=<hidden>, client_secret=<hidden>)
"""

from __future__ import annotations

from engframe.http._auth import (
    DEFAULT_RENEW_BEFORE,
    DEFAULT_TOKEN_LIFETIME,
    ENV_ACCESS_TOKEN,
    ENV_ACCESS_TOKEN_SECRET,
    ENV_ACCOUNT,
    ENV_APP_KEY,
    ENV_APP_SECRET,
    ENV_BEARER_TOKEN,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    Auth,
    BearerToken,
    OAuth1Keys,
    OAuth2ClientCredentials,
    Secret,
    TokenPost,
    resolve_auth,
)

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
