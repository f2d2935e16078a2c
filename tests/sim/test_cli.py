"""``engframe sim``: the banner, serving until stopped, and refusing anything but loopback."""

from __future__ import annotations

import io
import re
import socket
import threading
import time

import pytest
import requests

from engframe.errors import SimConfigError
from engframe.sim import main, run

TIMEOUT = 10


def test_run_prints_url_account_and_credentials_then_serves_until_stopped(
    no_leaked_threads: None,
) -> None:
    out, stop = io.StringIO(), threading.Event()
    worker = threading.Thread(
        target=run, kwargs={"port": 0, "seed": 1, "out": out, "log": io.StringIO(), "stop": stop}
    )
    worker.start()
    deadline = time.monotonic() + TIMEOUT
    while "Ctrl+C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    banner = out.getvalue()
    url = re.search(r"http://127\.0\.0\.1:\d+", banner)
    assert url is not None and "56072331" in banner
    assert "client_id=" in banner and "client_secret=" in banner and "app_key=" in banner
    answer = requests.get(
        f"{url.group()}/api/account/56072331/service/sentinel/baseURI.json", timeout=TIMEOUT
    )
    assert answer.status_code == 200
    stop.set()
    worker.join(TIMEOUT)
    assert not worker.is_alive()


def test_banner_credentials_follow_the_seed() -> None:
    banners = []
    for _ in range(2):
        out, stop = io.StringIO(), threading.Event()
        stop.set()
        run(port=0, seed=9, out=out, log=io.StringIO(), stop=stop)
        banners.append(re.sub(r":\d+", ":PORT", out.getvalue()))
    assert banners[0] == banners[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.2"])
def test_run_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(SimConfigError, match=r"127\.0\.0\.1"):
        run(host=host, port=0)


def test_main_exits_2_for_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "127.0.0.1" in capsys.readouterr().err


def test_main_exits_1_when_the_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    assert str(port) in capsys.readouterr().err
