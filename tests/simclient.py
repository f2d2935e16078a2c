"""Fixtures shared by the client and names tests: engframe's simulator and clients of it.

Import them into a ``conftest.py`` to use them there:

- ``clock``: a :class:`tests.clocks.FakeClock` frozen at 2026-11-27 13:29:04.123 UTC;
  ``clock.sleep`` records waits and moves the time on, so retries take no real time.
- ``server``: ``engframe.sim`` on 127.0.0.1 (seed 1) reading ``clock``.
- ``cache_path``: where the HTTP cache lives (under ``tmp_path``).
- ``make_client``: ``make_client(**options) -> engframe.Client`` for ``server`` with OAuth
  2.0 client credentials, the cache at ``cache_path``, ``clock``/its ``sleep`` injected and
  no environment; any option can be overridden. Every client made is closed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engframe import sim
from engframe.client import Client
from tests.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[sim.SimServer]:
    with sim.serve(seed=1, now=clock.ms) as running:
        yield running


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "http_cache.sqlite"


@pytest.fixture
def make_client(
    server: sim.SimServer, clock: FakeClock, cache_path: Path
) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(**options: Any) -> Client:
        settings: dict[str, Any] = {
            "auth": (server.client_id, server.client_secret),
            "csds_url": server.base_url,
            "cache": cache_path,
            "clock": clock,
            "sleep": clock.sleep,
            "environ": {},
        }
        settings.update(options)
        client = Client(settings.pop("account", server.account), **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
