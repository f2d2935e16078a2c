"""Fixtures for the live client's tests (``engframe.client`` and the modules under it).

``clock``, ``server``, ``cache_path`` and ``make_client`` come from :mod:`tests.simclient`.

- ``clock``: a :class:`~tests.clocks.FakeClock` frozen at 2026-11-27 13:29:04.123 UTC.
  Call it for the time [s since the epoch]; ``clock.sleep(s)`` records the wait in
  ``clock.sleeps`` and moves the time on without sleeping, so retry tests take no real time.
- ``server``: a running ``engframe.sim`` server on 127.0.0.1 (seed 1) that reads the same
  ``clock``, so the client's fetch times and the server's windows agree. Real HTTP on
  loopback: nothing about ``requests`` is mocked.
- ``cache_path``: where the HTTP cache goes, under ``tmp_path`` (never the user's cache).
- ``make_client``: ``make_client(**options) -> engframe.client.Client`` for ``server``
  with OAuth 2.0 client credentials, the cache at ``cache_path``, and ``clock``/its
  ``sleep`` injected; any option can be overridden.
- ``secrets``: every secret the server accepts (client secret, OAuth 1.0 keys, a bearer
  token), for checking that none leaks into files or messages.
- ``no_such_host``: ``no_such_host(errno)`` makes name lookups of ``*.invalid`` hosts fail
  with that ``socket.gaierror`` errno (``EAI_NONAME``: no such name; ``EAI_AGAIN``: try
  later) without any DNS traffic; other names resolve as usual.
- ``closed_port()`` (a function): a loopback port nothing listens on, so connections to
  it are refused.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from engframe import sim
from tests.simclient import cache_path, clock, make_client, server  # noqa: F401 (fixtures)


@pytest.fixture
def secrets(server: sim.SimServer) -> list[str]:  # noqa: F811 (the fixture)
    return [server.client_secret, *server.oauth1[1:], server.issue_token()]


@pytest.fixture
def no_such_host(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    def fail_with(errno: int) -> None:
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if str(host).endswith(".invalid"):
                raise socket.gaierror(errno, "Name or service not known")
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return fail_with


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
