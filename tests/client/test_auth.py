"""engframe.auth: credentials from arguments or the environment, token caching, hidden secrets."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
import requests

from engframe.auth import (
    BearerToken,
    OAuth1Keys,
    OAuth2ClientCredentials,
    Secret,
    resolve_auth,
)
from engframe.errors import AuthError, ConfigError

TOKEN_URL = "https://sentinel.example/sentinel/api/account/1/app/token?v=1.0"


class TokenServer:
    """Answers token requests in memory, counting them (auth.py is given a ``post``)."""

    def __init__(self, expires_in: int | None = 3600) -> None:
        self.forms: list[dict[str, list[str]]] = []
        self.expires_in = expires_in

    def __call__(self, url: str, body: str) -> str:
        self.forms.append(parse_qs(body))
        answer: dict[str, object] = {"access_token": f"tok{len(self.forms)}",
                                     "token_type": "Bearer"}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        return json.dumps(answer)


def header(auth: requests.auth.AuthBase) -> str:
    prepared = requests.Request("GET", "https://h.example/p?timeframe=60&v=1").prepare()
    value = auth(prepared).headers["Authorization"]
    return value.decode() if isinstance(value, bytes) else str(value)


def test_a_bearer_token_is_sent_as_is() -> None:
    assert header(BearerToken("abc").signer(now=0.0)) == "Bearer abc"


def test_client_credentials_are_posted_as_a_form() -> None:
    server = TokenServer()
    OAuth2ClientCredentials("app", "pw").signer(now=0.0, token_url=TOKEN_URL, post=server)
    assert server.forms == [{"grant_type": ["client_credentials"], "client_id": ["app"],
                             "client_secret": ["pw"]}]


def test_the_token_is_reused_until_shortly_before_it_expires() -> None:
    server = TokenServer(expires_in=3600)
    auth = OAuth2ClientCredentials("app", "pw", renew_before=300)
    first = header(auth.signer(now=0.0, token_url=TOKEN_URL, post=server))
    again = header(auth.signer(now=3299.0, token_url=TOKEN_URL, post=server))
    renewed = header(auth.signer(now=3300.0, token_url=TOKEN_URL, post=server))
    assert (first, again, renewed) == ("Bearer tok1", "Bearer tok1", "Bearer tok2")


def test_a_short_lived_token_is_renewed_at_half_its_life() -> None:
    server = TokenServer(expires_in=60)
    auth = OAuth2ClientCredentials("app", "pw", renew_before=300)
    auth.signer(now=0.0, token_url=TOKEN_URL, post=server)
    auth.signer(now=29.0, token_url=TOKEN_URL, post=server)
    auth.signer(now=30.0, token_url=TOKEN_URL, post=server)
    assert len(server.forms) == 2


def test_tokens_are_kept_per_token_endpoint() -> None:
    server = TokenServer()
    auth = OAuth2ClientCredentials("app", "pw")
    auth.signer(now=0.0, token_url=TOKEN_URL, post=server)
    auth.signer(now=0.0, token_url=TOKEN_URL.replace("/1/", "/2/"), post=server)
    assert len(server.forms) == 2


def test_forgetting_a_refused_token_fetches_a_new_one() -> None:
    server = TokenServer()
    auth = OAuth2ClientCredentials("app", "pw")
    auth.signer(now=0.0, token_url=TOKEN_URL, post=server)
    assert auth.forget() is True
    assert header(auth.signer(now=1.0, token_url=TOKEN_URL, post=server)) == "Bearer tok2"


def test_an_answer_without_a_token_is_an_auth_error() -> None:
    auth = OAuth2ClientCredentials("app", "pw")
    with pytest.raises(AuthError, match="no usable token"):
        auth.signer(now=0.0, token_url=TOKEN_URL, post=lambda url, body: '{"error": "x"}')


def test_oauth1_signs_each_attempt_with_a_new_nonce() -> None:
    keys = OAuth1Keys("key", "secret", "token", "token-secret")
    first, second = header(keys.signer(now=0.0)), header(keys.signer(now=0.0))
    assert first.startswith("OAuth ") and 'oauth_signature_method="HMAC-SHA1"' in first
    nonce = re.search(r'oauth_nonce="([^"]+)"', first)
    assert nonce is not None and nonce.group(1) not in second


@pytest.mark.parametrize("auth", [
    BearerToken("s3cr3t-token"),
    OAuth2ClientCredentials("s3cr3t-id", "s3cr3t-pw"),
    OAuth1Keys("s3cr3t-k", "s3cr3t-s", "s3cr3t-t", "s3cr3t-ts"),
])
def test_reprs_hide_every_secret(auth: object) -> None:
    assert "s3cr3t" not in repr(auth) and "s3cr3t" not in str(auth)


def test_a_string_is_a_bearer_token_and_tuples_pick_the_scheme() -> None:
    assert isinstance(resolve_auth("t"), BearerToken)
    assert isinstance(resolve_auth(("id", "pw")), OAuth2ClientCredentials)
    assert isinstance(resolve_auth(("k", "s", "t", "ts")), OAuth1Keys)


def test_a_requests_auth_object_is_used_as_it_is() -> None:
    custom = requests.auth.HTTPBasicAuth("u", "p")
    assert resolve_auth(custom).signer(now=0.0) is custom


@pytest.mark.parametrize(("environ", "kind"), [
    ({"LP_BEARER_TOKEN": "t"}, BearerToken),
    ({"LP_CLIENT_ID": "i", "LP_CLIENT_SECRET": "s"}, OAuth2ClientCredentials),
    ({"LP_APP_KEY": "k", "LP_APP_SECRET": "s", "LP_ACCESS_TOKEN": "t",
      "LP_ACCESS_TOKEN_SECRET": "ts"}, OAuth1Keys),
    ({"LP_BEARER_TOKEN": "t", "LP_CLIENT_ID": "i", "LP_CLIENT_SECRET": "s"}, BearerToken),
])
def test_credentials_come_from_the_environment(environ: dict[str, str], kind: type) -> None:
    assert isinstance(resolve_auth(None, environ=environ), kind)


def test_no_credentials_is_an_auth_error_listing_the_variables() -> None:
    with pytest.raises(AuthError, match="LP_CLIENT_ID and LP_CLIENT_SECRET"):
        resolve_auth(None, environ={})


def test_a_half_set_is_named_without_its_value() -> None:
    with pytest.raises(AuthError, match="LP_CLIENT_ID set but LP_CLIENT_SECRET missing") as caught:
        resolve_auth(None, environ={"LP_CLIENT_ID": "s3cr3t-id"})
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("auth", [42, ("a", "b", "c"), {"token": "s3cr3t"}])
def test_an_unknown_kind_of_auth_is_a_config_error_without_its_value(auth: object) -> None:
    with pytest.raises(ConfigError, match="auth is invalid") as caught:
        resolve_auth(auth)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("value", ["", "   ", None, 5])
def test_empty_credentials_are_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="token is invalid"):
        BearerToken(value)  # type: ignore[arg-type]


def test_missing_credentials_list_the_variable_sets_as_data() -> None:
    with pytest.raises(AuthError) as caught:
        resolve_auth(None, environ={})
    assert caught.value.env_sets == (
        ("LP_BEARER_TOKEN",), ("LP_CLIENT_ID", "LP_CLIENT_SECRET"),
        ("LP_APP_KEY", "LP_APP_SECRET", "LP_ACCESS_TOKEN", "LP_ACCESS_TOKEN_SECRET"))
    assert caught.value.env_missing == ()


def test_a_half_set_names_its_missing_variables_as_data() -> None:
    with pytest.raises(AuthError) as caught:
        resolve_auth(None, environ={"LP_APP_KEY": "k", "LP_ACCESS_TOKEN": "t"})
    assert caught.value.env_missing == ("LP_APP_SECRET", "LP_ACCESS_TOKEN_SECRET")


def test_a_secret_shows_as_hidden_but_sends_as_itself() -> None:
    token = Secret("s3cr3t")
    assert (repr(token), repr([token]), repr({"t": token})) == (
        "<hidden>", "[<hidden>]", "{'t': <hidden>}")
    assert (str(token), f"Bearer {token}", token == "s3cr3t") == ("s3cr3t", "Bearer s3cr3t",
                                                                    True)


@pytest.mark.parametrize("auth", [
    BearerToken("s3cr3t-token"),
    OAuth2ClientCredentials("s3cr3t-id", "s3cr3t-pw"),
    OAuth1Keys("s3cr3t-k", "s3cr3t-s", "s3cr3t-t", "s3cr3t-ts"),
])
def test_credentials_are_held_as_secrets(auth: object) -> None:
    assert "s3cr3t" not in repr(vars(auth))


def test_a_fetched_token_and_the_form_body_are_held_as_secrets() -> None:
    bodies: list[str] = []

    def post(url: str, body: str) -> str:
        bodies.append(body)
        return '{"access_token": "s3cr3t-token", "expires_in": 3600}'

    auth = OAuth2ClientCredentials("app", "s3cr3t-pw")
    auth.signer(now=0.0, token_url=TOKEN_URL, post=post)
    assert isinstance(bodies[0], Secret)
    assert "s3cr3t" not in repr(vars(auth))


def test_a_token_answer_without_a_token_raises_without_a_chained_exception() -> None:
    auth = OAuth2ClientCredentials("app", "pw")
    with pytest.raises(AuthError) as caught:
        auth.signer(now=0.0, token_url=TOKEN_URL, post=lambda url, body: '{"x": 1}')
    assert caught.value.__context__ is None
    assert caught.value.service == "sentinel"


def test_empty_credentials_name_the_auth_option() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_auth(("", "pw"))
    assert caught.value.option == "auth"
