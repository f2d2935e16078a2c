"""The command line a new user meets (issue 22): fast to start, clean to stop, plain errors.

Each behaviour goes through a real ``python -m engframe`` process where a process is what
the user runs: Ctrl+C (SIGINT) at several moments, a reader that leaves, --version.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pydoc
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe import _meta, cli, sim

ROOT = Path(__file__).resolve().parent.parent
#: A generous bound that proves a process ends (it does not hang); speed is for benchmarks/.
ENDS_WITHIN = 120


def _engframe(*argv: str, env: dict[str, str] | None = None,
              **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "engframe", *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
                            **options)  # type: ignore[call-overload]


# -- one version, everywhere ----------------------------------------------------------------

def test_one_version_in_the_package_its_metadata_files_and_help() -> None:
    version = engframe.__version__
    assert importlib.metadata.version("engframe") == version
    assert _meta.version() == version
    assert f"VERSION\n    {version}" in pydoc.render_doc(engframe, renderer=pydoc.plaintext)
    done = subprocess.run([sys.executable, "-m", "engframe", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=ENDS_WITHIN, check=True)
    assert done.stdout.strip() == f"engframe {version}"


def test_help_and_version_import_none_of_the_heavy_libraries() -> None:
    probe = ("import sys, engframe.cli as c; c.build_parser().format_help(); "
             "print(sorted(m for m in ('pandas', 'pyarrow', 'requests', 'matplotlib', "
             "'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=ENDS_WITHIN, check=True)
    assert done.stdout.strip() == "[]"


def test_the_package_s_functions_stay_functions_whatever_is_imported_first() -> None:
    import engframe.load
    import engframe.reconcile
    import engframe.sync

    assert callable(engframe.load) and callable(engframe.reconcile) and callable(engframe.sync)
    assert set(engframe.__all__) <= set(dir(engframe))


# -- Ctrl+C at any moment: one line, exit 130 -----------------------------------------------

@pytest.fixture
def simulated(tmp_path: Path):  # type: ignore[no-untyped-def]
    with sim.serve(seed=1) as server:
        yield server, {"LP_ACCOUNT": server.account, "LP_CLIENT_ID": server.client_id,
                       "LP_CLIENT_SECRET": server.client_secret,
                       "ENGFRAME_CACHE_DIR": str(tmp_path / "cache")}


def _stopped_in_one_line(process: subprocess.Popen[str], command: str) -> None:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=ENDS_WITHIN)
    assert process.returncode == cli.EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    assert err.strip().splitlines() in ([f"engframe {command}: stopped"], ["engframe: stopped"])


@pytest.mark.parametrize("command", ["demo", "flatten"])
def test_ctrl_c_while_the_command_line_loads_ends_in_one_line_and_130(tmp_path, command):
    argv = {"demo": ["--out", str(tmp_path)],
            "flatten": [str(ROOT / "data" / "samples"), "-o", str(tmp_path / "x.parquet")]}
    process = _engframe(command, *argv[command])
    time.sleep(0.5)  # the interpreter runs engframe's code by then; pandas still loads
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=ENDS_WITHIN)
    assert "Traceback" not in err
    if process.returncode == 0:
        # The work was done before the signal came (a fast machine, or the signal landed
        # while the interpreter shut down): then all of it was done and said so.
        if command == "flatten":
            written = pd.read_parquet(tmp_path / "x.parquet")
            assert len(written) == len(engframe.load(ROOT / "data" / "samples"))
        return
    assert process.returncode == cli.EXIT_INTERRUPTED, err
    assert err.strip().splitlines() in ([f"engframe {command}: stopped"], ["engframe: stopped"])


def test_ctrl_c_during_a_request_ends_in_one_line_and_130(tmp_path):
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:  # a Domain API that takes the connection and never answers
        connection, _ = listener.accept()
        held.append(connection)
        accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    process = _engframe("fetch", "--timeframe", "60", "--csds-url", url, "-o",
                        str(tmp_path / "x.parquet"),
                        env={"LP_ACCOUNT": "56072331", "LP_BEARER_TOKEN": "t0ken",
                             "ENGFRAME_CACHE_DIR": str(tmp_path / "cache")})
    try:
        assert accepted.wait(ENDS_WITHIN)
        _stopped_in_one_line(process, "fetch")
    finally:
        process.kill()
        listener.close()
        for connection in held:
            connection.close()


def test_ctrl_c_between_sync_turns_ends_in_one_line_and_130(simulated, tmp_path):
    server, env = simulated
    process = _engframe("sync", "--root", str(tmp_path / "h"), "--every", "1", "--csds-url",
                        server.base_url, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()  # the first turn is done; the next one waits
    assert " inserted" in first
    _stopped_in_one_line(process, "sync")


# -- a reader that leaves: the work goes on, output to it is dropped -------------------------

def test_the_demo_piped_into_head_writes_every_file(tmp_path) -> None:
    out = tmp_path / "demo"
    process = _engframe("demo", "--out", str(out))
    assert process.stdout is not None
    first = process.stdout.readline()
    process.stdout.close()  # as `engframe demo | head -1` does
    _, err = process.communicate(timeout=ENDS_WITHIN)
    assert first.startswith("simulator:")
    assert process.returncode == 0, err
    assert "Traceback" not in err and "error" not in err
    assert {p.name for p in out.iterdir()} >= {"raw", "history", "activity.png", "drift.png",
                                                "derived-wide.parquet"}


# -- messages that point at the fix ---------------------------------------------------------

def _run(capsys, *argv: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


def test_a_misspelt_option_names_the_command_and_the_closest_option(capsys) -> None:
    code, err = _run(capsys, "fetch", "--timefrme", "60")
    assert code == cli.EXIT_USAGE
    assert err.startswith("engframe fetch: error: unknown option --timefrme "
                          "(did you mean --timeframe?)")


def test_sync_offers_no_interval_it_would_refuse(capsys) -> None:
    help_text = cli.build_parser().parse_known_args(["sync", "--root", "x"])[0]
    assert help_text.interval == 5
    code, err = _run(capsys, "sync", "--root", "x", "--interval", "60")
    assert code == cli.EXIT_USAGE and "unknown option --interval" in err


def test_errors_do_not_repeat_the_command_s_name(tmp_path, capsys, samples_dir) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    code, err = _run(capsys, "export", str(samples_dir / "skill_2.json"), "--root", str(afile))
    assert code == cli.EXIT_ERROR
    assert err.startswith(f"engframe export: error: {afile} is a file, not a folder")
    assert "export: export" not in err


def test_reconcile_names_without_saved_names_say_each_id_once(tmp_path, capsys) -> None:
    from tests.simfetch import sim_client

    with sim_client(save_raw=tmp_path) as (_clock, client):
        client.frame(timeframe=1440, interval=5, skills="all", agents="all")
    code = cli.main(["reconcile", str(tmp_path), "--names"])
    out = capsys.readouterr().out
    assert code == 0 and "worst: " in out  # some handling time is off by rounding
    worst = out.split("worst: ")[1]
    assert "skill skill" not in worst and "agent agent" not in worst
    assert " skill " in worst or " agent " in worst


def test_an_unknown_metric_lists_what_is_known_and_the_closest(samples_dir) -> None:
    df = engframe.load(samples_dir / "skill_2.json")
    with pytest.raises(engframe.MetricError, match=r"unknown metric .aht..*did you mean "
                                                   "avgHandlingTime"):
        engframe.derive(df, metrics=["aht"])
    with pytest.raises(engframe.MetricError, match=r"^ranking: unknown metric .AHT."):
        engframe.plot.ranking(df, "AHT")


def test_load_without_arguments_mentions_the_live_route() -> None:
    with pytest.raises(engframe.SourceError, match=r"account=.*timeframe="):
        engframe.load()


def test_json_errors_go_to_stdout_once(capsys) -> None:
    code = cli.main(["reconcile", "no/such/file.json", "--json"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_ERROR
    assert json.loads(out)["error"] == "SourceError"
