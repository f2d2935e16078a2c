"""``engframe sim``: the banner, serving until stopped, and refusing anything but loopback."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests

from engframe import sim
from engframe.errors import SimConfigError
from engframe.sim import main, run
from engframe.sim.cli import banner

TIMEOUT = 10


def test_run_prints_url_account_and_credentials_then_serves_until_stopped(
    no_leaked_threads: None,
) -> None:
    out, stop = io.StringIO(), threading.Event()
    worker = threading.Thread(
        target=run, kwargs={"port": 0, "seed": 1, "out": out, "log": io.StringIO(), "stop": stop}
    )
    worker.start()
    try:
        deadline = time.monotonic() + TIMEOUT
        while "Ctrl+C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        banner = out.getvalue()
        url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert url is not None and "export LP_ACCOUNT=56072331" in banner
        assert f"--csds-url {url.group()}" in banner
        answer = requests.get(
            f"{url.group()}/api/account/56072331/service/sentinel/baseURI.json", timeout=TIMEOUT
        )
        assert answer.status_code == 200
    finally:
        stop.set()
        worker.join(TIMEOUT)
    assert not worker.is_alive()


def _banner(seed: int = 1) -> str:
    out, stop = io.StringIO(), threading.Event()
    stop.set()
    run(port=0, seed=seed, out=out, log=io.StringIO(), stop=stop)
    return out.getvalue()


def test_banner_is_export_lines_and_comments_only() -> None:
    lines = _banner().splitlines()
    assert lines and all(line.startswith(("export LP_", "# ")) for line in lines)
    names = [line.split("=")[0].removeprefix("export ") for line in lines
             if line.startswith("export")]
    assert names == ["LP_ACCOUNT", "LP_CLIENT_ID", "LP_CLIENT_SECRET", "LP_APP_KEY",
                     "LP_APP_SECRET", "LP_ACCESS_TOKEN", "LP_ACCESS_TOKEN_SECRET"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_a_shell_that_evals_the_banner_gets_the_simulators_credentials() -> None:
    with sim.serve(seed=4) as server:
        text = banner(server, seed=4)
    shell = subprocess.run(["sh", "-c", 'eval "$BANNER"; env'], env={"BANNER": text},
                           capture_output=True, text=True, timeout=TIMEOUT, check=True)
    seen = dict(line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
    assert seen["LP_ACCOUNT"] == server.account
    assert (seen["LP_CLIENT_ID"], seen["LP_CLIENT_SECRET"]) == (server.client_id,
                                                                 server.client_secret)
    assert (seen["LP_APP_KEY"], seen["LP_APP_SECRET"], seen["LP_ACCESS_TOKEN"],
            seen["LP_ACCESS_TOKEN_SECRET"]) == server.oauth1


def test_banner_credentials_follow_the_seed() -> None:
    assert re.sub(r":\d+", ":PORT", _banner(9)) == re.sub(r":\d+", ":PORT", _banner(9))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.2"])
def test_run_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(SimConfigError, match=r"127\.0\.0\.1"):
        run(host=host, port=0)


def test_main_exits_2_for_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "127.0.0.1" in capsys.readouterr().err


def test_main_exits_1_with_one_line_when_the_port_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_run_names_the_taken_port_in_its_os_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            run(port=port, out=io.StringIO(), log=io.StringIO())


def test_main_exits_130_on_ctrl_c(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(**_options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("engframe.sim.cli.run", interrupted)
    assert main(["--port", "0"]) == 130
    assert capsys.readouterr().err == "engframe sim: stopped\n"
