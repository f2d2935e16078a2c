"""Fixtures for the simulator's tests (``engframe.sim``).

Every test here is deterministic: the center is seeded and the clock is pinned.

- ``NOW_MS``: the pinned moment, Wednesday 2026-11-25 20:29:04.123 UTC (15:29 in the
  default center's local time, so the afternoon peak: plenty of chats). Not on a bucket
  boundary, so windows are widened and the oldest interval holds a remainder.
- ``center``: the default ``Center(seed=1)`` (10 skills, 60 agents), shared by the session;
  it is immutable apart from its day cache.
- ``app``: a :class:`engframe.sim.app.SimApp` at ``NOW_MS``, no sockets: for routing, auth
  and fault behaviour without a network.
- ``server``: a real :func:`engframe.sim.serve` on a free 127.0.0.1 port at ``NOW_MS``,
  closed after the test; ``token``: a bearer token it accepts; ``engactivity_url``: its
  engactivity URL; ``http``: a ``requests.Session`` closed after the test.
- ``no_leaked_threads``: fails the test if threads outlive it (every server test uses it
  through ``server``).
- ``sample`` (from ``tests/conftest.py``): ``sample(name)`` reads a spec example response.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from engframe import sim
from engframe.sim.app import SimApp

NOW_MS = 1_795_638_544_123  # 2026-11-25 20:29:04.123 UTC, a Wednesday
LEAK_GRACE_S = 2.0


@pytest.fixture(scope="session")
def center() -> sim.Center:
    return sim.Center(seed=1)


@pytest.fixture
def app() -> SimApp:
    return SimApp.build(seed=1, now=NOW_MS, host="127.0.0.1:9", stop=threading.Event())


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + LEAK_GRACE_S
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        time.sleep(0.02)
    pytest.fail(f"threads outlived the test: {[t.name for t in leaked]}")


@pytest.fixture
def server(no_leaked_threads: None) -> Iterator[sim.SimServer]:
    with sim.serve(seed=1, now=NOW_MS) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def token(server: sim.SimServer) -> str:
    return server.issue_token()


@pytest.fixture
def engactivity_url(server: sim.SimServer) -> str:
    return f"{server.base_url}/operations/api/account/{server.account}/engactivity"
