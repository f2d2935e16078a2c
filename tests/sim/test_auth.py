"""Credentials, bearer tokens that expire, OAuth 1.0 signatures, and 401 versus 403."""

from __future__ import annotations

import pytest
from oauthlib.oauth1 import Client as OAuth1Client

from engframe.errors import SimConfigError, SimRequestError
from engframe.sim.auth import Authenticator, Credentials
from engframe.sim.clock import ManualClock

ACCOUNT = "56072331"
URL = f"http://127.0.0.1:8080/operations/api/account/{ACCOUNT}/engactivity?timeframe=60&v=1"
CREDS = Credentials.for_seed(1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000_000)


@pytest.fixture
def auth(clock: ManualClock) -> Authenticator:
    return Authenticator(account=ACCOUNT, credentials=CREDS, token_ttl=3600, clock=clock)


def signed(url: str = URL, *, secret: str = CREDS.app_secret, nonce: str | None = None) -> str:
    client = OAuth1Client(
        CREDS.app_key,
        client_secret=secret,
        resource_owner_key=CREDS.access_token,
        resource_owner_secret=CREDS.access_token_secret,
        nonce=nonce,
    )
    _, headers, _ = client.sign(url, http_method="GET")
    return str(headers["Authorization"])


def token(auth: Authenticator) -> str:
    answer = auth.issue_token(
        account=ACCOUNT, client_id=CREDS.client_id, client_secret=CREDS.client_secret
    )
    return str(answer["access_token"])


def status_of(
    auth: Authenticator, authorization: str | None, *, account: str = ACCOUNT, url: str = URL
) -> int:
    try:
        auth.authorize(account=account, method="GET", url=url, authorization=authorization)
    except SimRequestError as error:
        return error.status
    return 200


def test_credentials_follow_the_seed() -> None:
    assert Credentials.for_seed(1) == CREDS
    assert Credentials.for_seed(2).client_secret != CREDS.client_secret


def test_secrets_stay_out_of_the_repr() -> None:
    text = repr(CREDS)
    for secret in (
        CREDS.client_secret,
        CREDS.app_secret,
        CREDS.access_token,
        CREDS.access_token_secret,
    ):
        assert secret not in text
    assert CREDS.client_id in text


def test_token_answer_has_the_oauth2_shape(auth: Authenticator) -> None:
    answer = auth.issue_token(
        account=ACCOUNT, client_id=CREDS.client_id, client_secret=CREDS.client_secret
    )
    assert set(answer) == {"access_token", "token_type", "expires_in"}
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)


def test_each_token_is_new(auth: Authenticator) -> None:
    assert token(auth) != token(auth)


@pytest.mark.parametrize(
    ("account", "client_id", "secret"),
    [
        (ACCOUNT, CREDS.client_id, "s3cr3t-guess"),
        (ACCOUNT, "nobody", CREDS.client_secret),
        ("12345678", CREDS.client_id, CREDS.client_secret),
    ],
)
def test_wrong_client_or_account_gets_no_token(
    auth: Authenticator, account: str, client_id: str, secret: str
) -> None:
    with pytest.raises(SimRequestError) as caught:
        auth.issue_token(account=account, client_id=client_id, client_secret=secret)
    assert caught.value.status == 401
    assert secret not in str(caught.value)


def test_valid_bearer_token_is_accepted(auth: Authenticator) -> None:
    assert status_of(auth, f"Bearer {token(auth)}") == 200


def test_bearer_token_expires_on_the_simulators_clock(
    auth: Authenticator, clock: ManualClock
) -> None:
    bearer = f"Bearer {token(auth)}"
    clock.advance(3600 * 1000 - 1)
    assert status_of(auth, bearer) == 200
    clock.advance(1)
    with pytest.raises(SimRequestError, match="expired"):
        auth.authorize(account=ACCOUNT, method="GET", url=URL, authorization=bearer)


@pytest.mark.parametrize("header", [None, "", "Bearer nonsense", "Basic dXNlcjpwYXNz", "OAuth x"])
def test_missing_or_bad_credentials_are_401(auth: Authenticator, header: str | None) -> None:
    assert status_of(auth, header) == 401


def test_valid_credentials_for_another_account_are_403(auth: Authenticator) -> None:
    assert status_of(auth, f"Bearer {token(auth)}", account="99999999") == 403


def test_valid_oauth1_signature_is_accepted(auth: Authenticator) -> None:
    assert status_of(auth, signed()) == 200


def test_oauth1_signature_with_wrong_secret_is_401(auth: Authenticator) -> None:
    with pytest.raises(SimRequestError, match="signature does not match"):
        auth.authorize(account=ACCOUNT, method="GET", url=URL, authorization=signed(secret="x"))


def test_oauth1_signature_covers_the_query(auth: Authenticator) -> None:
    header = signed()
    assert status_of(auth, header, url=URL.replace("timeframe=60", "timeframe=61")) == 401


def test_oauth1_signature_covers_the_host(auth: Authenticator) -> None:
    assert status_of(auth, signed(), url=URL.replace("8080", "8081")) == 401


def test_replayed_oauth1_nonce_is_401(auth: Authenticator) -> None:
    header = signed(nonce="n-1")
    assert status_of(auth, header) == 200
    with pytest.raises(SimRequestError, match="nonce already used"):
        auth.authorize(account=ACCOUNT, method="GET", url=URL, authorization=header)


def test_valid_oauth1_signature_for_another_account_is_403(auth: Authenticator) -> None:
    other = URL.replace(ACCOUNT, "99999999")
    assert status_of(auth, signed(other), account="99999999", url=other) == 403


@pytest.mark.parametrize("ttl", [0, -5, 1.5, True])
def test_token_ttl_must_be_a_positive_integer(ttl: object, clock: ManualClock) -> None:
    with pytest.raises(SimConfigError, match="token_ttl"):
        Authenticator(account=ACCOUNT, credentials=CREDS, token_ttl=ttl, clock=clock)  # type: ignore[arg-type]
