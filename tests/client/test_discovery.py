"""engframe.http._discovery: hosts from the Domain API, remembered for hours, overridable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engframe.errors import ConfigError, ResponseError
from engframe.http._discovery import Discovery, base_url, csds_lookup_url, parse_base_uri
from tests.clocks import FakeClock


class Domains:
    """A Domain API in memory: answers every lookup with ``host``, counting them."""

    def __init__(self, host: str = "va-a.data.liveperson.net") -> None:
        self.host = host
        self.urls: list[str] = []
        self.roles: list[str] = []

    def __call__(self, url: str, *, role: str, check: Callable[[Any], Any]) -> object:
        self.urls.append(url)
        self.roles.append(role)
        return check({"service": url.split("/service/")[1].split("/")[0],
                      "baseURI": self.host})


def answering(answer: object) -> Callable[..., Any]:
    """A Domain API that answers every lookup with ``answer``."""
    return lambda url, role, check: check(answer)


def test_the_lookup_url_is_liveperson_s() -> None:
    assert csds_lookup_url("https://api.liveperson.net/", "56072331", "leDataReporting") == (
        "https://api.liveperson.net/api/account/56072331/service/leDataReporting/"
        "baseURI.json?version=1.0")


def test_a_discovered_host_gets_the_csds_scheme() -> None:
    discovery = Discovery(Domains("127.0.0.1:8080"), csds_url="http://127.0.0.1:8080")
    assert discovery.base_url("1", "sentinel") == "http://127.0.0.1:8080"


def test_a_host_is_looked_up_once_while_fresh(clock: FakeClock) -> None:
    domains = Domains()
    discovery = Discovery(domains, clock=clock, ttl=3600)
    discovery.base_url("1", "leDataReporting")
    clock.advance(3599)
    discovery.base_url("1", "leDataReporting")
    assert len(domains.urls) == 1


def test_a_host_is_looked_up_again_after_its_ttl(clock: FakeClock) -> None:
    domains = Domains()
    discovery = Discovery(domains, clock=clock, ttl=3600)
    discovery.base_url("1", "leDataReporting")
    clock.advance(3600)
    discovery.base_url("1", "leDataReporting")
    assert len(domains.urls) == 2


def test_each_service_and_account_is_looked_up_on_its_own() -> None:
    domains = Domains()
    discovery = Discovery(domains)
    for account in ("1", "2"):
        for service in ("leDataReporting", "sentinel"):
            discovery.base_url(account, service)
    assert len(domains.urls) == 4


def test_an_override_skips_the_lookup() -> None:
    domains = Domains()
    discovery = Discovery(domains, overrides={"leDataReporting": "my.host"})
    assert discovery.base_url("1", "leDataReporting") == "https://my.host"
    assert domains.urls == []


@pytest.mark.parametrize("answer", [[], {"baseURI": ""}, {"baseURI": 5}, {"x": 1},
                                    {"baseURI": "a host"}])
def test_an_answer_without_a_host_is_a_response_error_naming_the_url(answer: object) -> None:
    discovery = Discovery(answering(answer))
    with pytest.raises(ResponseError) as caught:
        discovery.base_url("1", "leDataReporting")
    assert caught.value.source is not None and "/service/leDataReporting/" in caught.value.source


def test_an_answer_about_another_service_is_refused() -> None:
    with pytest.raises(ResponseError, match="service"):
        parse_base_uri({"service": "sentinel", "baseURI": "h"}, service="leDataReporting")


def test_a_base_url_keeps_its_own_scheme() -> None:
    assert base_url("http://h:1/", scheme="https") == "http://h:1"


@pytest.mark.parametrize("csds_url", ["api.liveperson.net", "ftp://x", "", 5,
                                      "http://api.liveperson.net", "http://10.0.0.1:8080"])
def test_a_csds_url_must_be_http(csds_url: object) -> None:
    with pytest.raises(ConfigError, match="csds_url"):
        Discovery(answering({}), csds_url=csds_url)  # type: ignore[arg-type]


# -- where a host came from, for messages -------------------------------------------------


def test_a_given_host_s_role_says_it_was_given_in_domain() -> None:
    discovery = Discovery(Domains(), overrides={"leDataReporting": "my.host"})
    assert discovery.role("leDataReporting") == (
        "the Engagement Activity host 'leDataReporting', given in domain=")


def test_a_looked_up_host_s_role_says_the_domain_api_named_it() -> None:
    discovery = Discovery(Domains(), overrides={"leDataReporting": "my.host"})
    assert discovery.role("sentinel") == "the token server 'sentinel', named by the Domain API"


def test_a_lookup_beside_a_given_domain_says_the_domain_does_not_cover_it() -> None:
    domains = Domains()
    discovery = Discovery(domains, overrides={"leDataReporting": "my.host"})
    discovery.base_url("1", "sentinel")
    assert domains.roles == [
        "the Domain API, asked for the token server 'sentinel'; domain= gives only the "
        "Engagement Activity host 'leDataReporting'"]


def test_a_lookup_without_given_hosts_names_only_the_service() -> None:
    domains = Domains()
    Discovery(domains).base_url("1", "leDataReporting")
    assert domains.roles == ["the Domain API, asked for the Engagement Activity host "
                             "'leDataReporting'"]


def test_an_unknown_service_is_named_by_its_service_name() -> None:
    assert Discovery(Domains()).role("accountConfigReadOnly") == (
        "the host of service 'accountConfigReadOnly', named by the Domain API")


# -- what a Domain API may name: a bare host, credentials in clear text to loopback only -----


@pytest.mark.parametrize(("base_uri", "why"), [
    ("http://evil.example", "a scheme"),
    ("https://va-a.data.liveperson.net", "a scheme"),
    ("user:pw@va-a.data.liveperson.net", "a user name"),
    ("va-a.data.liveperson.net/steal", "a path"),
    ("va-a.data.liveperson.net:8443", "port 8443"),
    ("va-a.data.liveperson.net:0", "an invalid port"),
    ("[::1", "an invalid IPv6 address"),
    ("[fe80::1%eth0]", "a zone"),
    ("::1", "without brackets"),
    ("999.1.1.1", "an invalid IPv4 address"),
    ("va-a.data\nliveperson.net", "blanks or control"),
    ("-evil.example", "not a host name"),
])
def test_a_base_uri_that_is_not_a_bare_host_is_refused(base_uri: str, why: str) -> None:
    domains = Domains(base_uri)
    with pytest.raises(ResponseError, match="baseURI") as caught:
        Discovery(domains).base_url("1", "sentinel")
    assert why in str(caught.value)
    assert caught.value.source == domains.urls[0]


@pytest.mark.parametrize("base_uri", ["va-a.data.liveperson.net", "lo.sentinel.liveperson.net:443",
                                      "10.0.0.1", "[2001:db8::1]"])
def test_a_bare_host_or_ip_literal_is_used(base_uri: str) -> None:
    assert Discovery(Domains(base_uri)).base_url("1", "sentinel") == f"https://{base_uri}"


@pytest.mark.parametrize("base_uri", ["127.0.0.1:8080", "127.0.0.2:1", "[::1]:9", "localhost:80"])
def test_a_loopback_host_may_have_any_port(base_uri: str) -> None:
    discovery = Discovery(Domains(base_uri), csds_url="http://127.0.0.1:8080")
    assert discovery.base_url("1", "sentinel") == f"http://{base_uri}"


def test_a_plain_http_domain_api_may_name_loopback_hosts_only() -> None:
    discovery = Discovery(Domains("evil.example"), csds_url="http://127.0.0.1:8080")
    with pytest.raises(ResponseError, match="a loopback host"):
        discovery.base_url("1", "sentinel")


@pytest.mark.parametrize("given", ["http://evil.example", "https://u:p@h.example",
                                   "https://h.example/path", "h.example/path", "bad host"])
def test_a_given_domain_that_would_leak_or_is_not_a_host_is_a_config_error(given: str) -> None:
    with pytest.raises(ConfigError, match="domain=") as caught:
        Discovery(Domains(), overrides={"leDataReporting": given})
    assert caught.value.option == "domain"


@pytest.mark.parametrize(("given", "url"), [
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("h.example:8443", "https://h.example:8443"),
    ("https://h.example", "https://h.example"),
])
def test_a_given_domain_may_be_https_anywhere_or_http_on_loopback(given: str, url: str) -> None:
    discovery = Discovery(Domains(), overrides={"leDataReporting": given})
    assert discovery.base_url("1", "leDataReporting") == url
