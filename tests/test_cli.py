"""The ``engframe`` command: every subcommand, --json output, and the documented exit codes.

Live commands talk to ``engframe.sim`` over loopback with credentials from the environment,
as a user's shell would give them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe import cli, sim

COMMANDS = ["demo", "fetch", "flatten", "reconcile", "export", "sync", "sim"]


@pytest.fixture
def server() -> Iterator[sim.SimServer]:
    with sim.serve(seed=3) as running:
        yield running


@pytest.fixture
def credentials(server: sim.SimServer, monkeypatch: pytest.MonkeyPatch) -> sim.SimServer:
    """The simulator's account and OAuth 2.0 credentials in the environment."""
    for name in list(os.environ):
        if name.startswith("LP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LP_ACCOUNT", server.account)
    monkeypatch.setenv("LP_CLIENT_ID", server.client_id)
    monkeypatch.setenv("LP_CLIENT_SECRET", server.client_secret)
    return server


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"engframe {command}" in out


def test_bad_arguments_give_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["fetch", "--timeframe", "soon"])
    assert exited.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--timeframe" in err and "Traceback" not in err


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["frobnicate"])
    assert exited.value.code == cli.EXIT_USAGE


def test_flatten_writes_parquet_with_every_row(tmp_path, samples_dir, capsys):
    out = tmp_path / "samples.parquet"
    code, stdout, _ = run(capsys, "flatten", str(samples_dir), "-o", str(out), "--json")
    assert code == 0
    assert json.loads(stdout)["rows"] == 357
    df = engframe.read_parquet(out)
    assert len(df) == 357 and df["source"].nunique() == 9


def test_flatten_writes_csv(tmp_path, samples_dir, capsys):
    out = tmp_path / "one.csv"
    code, stdout, _ = run(capsys, "flatten", str(samples_dir / "skill_2.json"), "-o", str(out))
    assert code == 0 and "15 values" in stdout
    assert len(pd.read_csv(out)) == 15


def test_flatten_of_a_bad_file_is_one_error_line_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"metricsTotals": {"x": "one"}}')
    code, _, err = run(capsys, "flatten", str(bad), "-o", str(tmp_path / "o.parquet"))
    assert code == cli.EXIT_ERROR
    assert err.strip().endswith("metricsTotals.x: expected a number, found string 'one'")
    assert err.count("\n") == 1


def test_reconcile_prints_a_summary_per_source(samples_dir, capsys):
    code, stdout, _ = run(capsys, "reconcile", str(samples_dir / "skill_2.json"))
    assert code == 0
    assert stdout.strip().endswith("10 checks: 10 ok, 0 rounding, 0 filtered, 0 mismatch")


def mismatched(tmp_path: Path, sample) -> Path:
    response = sample("skill_2")
    response["skillsMetricsPerAgent"]["metricsTotals"]["totalInteractiveChats"] = 40
    path = tmp_path / "mismatch.json"
    path.write_text(json.dumps(response))
    return path


def test_reconcile_strict_exits_3_on_a_mismatch(tmp_path, sample, capsys):
    path = mismatched(tmp_path, sample)
    assert run(capsys, "reconcile", str(path))[0] == 0
    code, stdout, _ = run(capsys, "reconcile", str(path), "--strict", "--json")
    assert code == cli.EXIT_MISMATCH
    report = json.loads(stdout)
    assert report[0]["counts"]["mismatch"] == 1
    assert report[0]["checks"][0]["metric"] == "totalInteractiveChats"


def test_export_upserts_and_reports(tmp_path, sample, capsys):
    envelope = {"request": {"account": "56072331", "timeframe": 1200, "interval": 600},
                "fetched_at": "2014-10-07T11:07:00Z", "response": sample("agent_2_intervals")}
    path = tmp_path / "fetch.json"
    path.write_text(json.dumps(envelope))
    root = tmp_path / "history"
    code, stdout, _ = run(capsys, "export", str(path), "--root", str(root), "--json")
    assert code == 0
    first = json.loads(stdout)[0]
    assert first["inserted"] == 30 and first["updated"] == 0
    code, stdout, _ = run(capsys, "export", str(path), "--root", str(root), "--json")
    assert json.loads(stdout)[0]["unchanged"] == 30
    assert len(engframe.read_dataset(root)) == 30


def test_fetch_against_the_simulator_with_credentials_from_the_environment(
    credentials, tmp_path, capsys
):
    out = tmp_path / "day.parquet"
    code, stdout, _ = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
                          "--timeframe", "60", "--interval", "15", "-o", str(out), "--json")
    assert code == 0
    payload = json.loads(stdout)
    assert payload["account"] == credentials.account and payload["rows"] > 0
    df = engframe.read_parquet(out)
    assert len(df) == payload["rows"]
    assert set(df["span"].astype(str)) == {"interval", "timeframe"}


def test_fetch_with_a_wrong_secret_exits_4_without_showing_it(credentials, capsys, monkeypatch):
    monkeypatch.setenv("LP_CLIENT_SECRET", "not-the-secret-at-all")
    code, _, err = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
                       "--timeframe", "60")
    assert code == cli.EXIT_AUTH
    assert "not-the-secret-at-all" not in err and err.startswith("engframe fetch: error:")


def test_fetch_without_credentials_exits_4(monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("LP_"):
            monkeypatch.delenv(name)
    code, _, err = run(capsys, "fetch", "--account", "56072331", "--no-cache",
                       "--domain", "127.0.0.1:9", "--timeframe", "60")
    assert code == cli.EXIT_AUTH and "LP_" in err


def test_rate_limiting_after_all_retries_exits_5(monkeypatch, capsys):
    def refused(**_options: object) -> None:
        raise engframe.RateLimitError("still 429 after 8 retries", status=429,
                                      url="https://example.invalid/x", server_message="busy")

    monkeypatch.setattr("engframe.client.load_live", refused)
    code, _, err = run(capsys, "fetch", "--account", "1", "--timeframe", "60")
    assert code == cli.EXIT_RATE_LIMIT and "429" in err


def test_sync_once_exports_a_fetch(credentials, tmp_path, capsys):
    root = tmp_path / "history"
    code, stdout, _ = run(capsys, "sync", "--root", str(root), "--csds-url",
                          credentials.base_url, "--no-cache", "--timeframe", "60",
                          "--interval", "15", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert result["inserted"] > 0
    assert len(engframe.read_dataset(root)) == result["inserted"]


def test_demo_json_lists_its_files(tmp_path, capsys):
    code, stdout, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--json")
    assert code == 0
    payload = json.loads(stdout)
    assert set(payload["files"]) == {"raw", "history", "wide", "derived", "activity",
                                     "ranking", "drift"}
    assert all(Path(p).exists() for p in payload["files"].values())
    assert "mismatch" in payload["reconcile"]


def test_sim_command_serves_until_stopped(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "engframe.cli", "sim", "--port", "0", "--seed", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        seen = ""
        while "http://127.0.0.1:" not in seen:
            line = process.stdout.readline()
            assert line, f"sim ended early: {process.stderr.read() if process.stderr else ''}"
            seen += line
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "56072331" in seen
