"""``engframe fetch --method`` and ``engframe sync --method`` for the operational methods.

Against ``engframe.sim`` over loopback, with credentials from the environment as a user's
shell gives them: each command writes what it says (its ``--json`` report against the file or
the history it wrote, the rows against the raw answers it saved), and a method's rules
(sla takes no interval, queuestate no timeframe) are usage errors before any request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engframe
from engframe import cli, sim
from tests.test_cli import in_environment


@pytest.fixture(scope="module")
def server() -> Iterator[sim.SimServer]:
    with sim.serve(seed=3) as running:
        yield running


@pytest.fixture
def credentials(server: sim.SimServer, monkeypatch: pytest.MonkeyPatch) -> sim.SimServer:
    """The simulator's account and OAuth 2.0 credentials in the environment."""
    return in_environment(server, monkeypatch)


def run(capsys: pytest.CaptureFixture[str], server: sim.SimServer,
        *argv: str) -> tuple[int, str, str]:
    code = cli.main([argv[0], "--csds-url", server.base_url, "--no-cache", *argv[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def saved(folder: Path, method: str) -> dict[str, Any]:
    (path,) = folder.glob(f"{method}_*.json")
    envelope: dict[str, Any] = json.loads(path.read_text())
    return envelope


def test_fetch_queuehealth_writes_the_rows_of_the_answer_it_saved(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, raw = tmp_path / "queues.parquet", tmp_path / "raw"
    code, stdout, _ = run(capsys, credentials, "fetch", "--method", "queuehealth",
                          "--timeframe", "60", "--interval", "5", "--save-raw", str(raw),
                          "-o", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["method"] == "queuehealth" and report["output"] == str(out)
    written = engframe.read_parquet(out)
    assert len(written) == report["rows"]
    envelope = saved(raw, "queuehealth")
    assert envelope["request"]["method"] == "queuehealth"
    again = engframe.flatten(envelope)
    key = ["timestamp", "level", "span", "skill", "metric"]
    pd.testing.assert_series_equal(
        written.sort_values(key)["value"].reset_index(drop=True),
        again.sort_values(key)["value"].reset_index(drop=True), check_dtype=False)
    totals = envelope["response"]["metricsTotals"]
    whole = written[(written["span"] == "timeframe") & (written["level"] == "skills_total")]
    assert dict(zip(whole["metric"].astype(str), whole["value"], strict=True)) == totals


def test_fetch_agentactivity_to_csv_keeps_each_state(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, raw = tmp_path / "states.csv", tmp_path / "raw"
    code, stdout, _ = run(capsys, credentials, "fetch", "--method", "agentactivity",
                          "--timeframe", "60", "--save-raw", str(raw), "-o", str(out), "--json")
    assert code == 0 and json.loads(stdout)["method"] == "agentactivity"
    written = pd.read_csv(out)
    per_agent = saved(raw, "agentactivity")["response"]["agentsMetrics"]["metricsPerAgent"]
    agent, states = next(iter(per_agent.items()))
    logged_in = next(s["value"] for s in states if s["id"] == -1)
    rows = written[(written["agent"] == int(agent)) & (written["state"] == "Logged in")]
    assert dict(zip(rows["metric"], rows["value"], strict=True)) == logged_in
    assert set(written["state"]) == {"Logged in", "Online", "Back soon", "Away"}
    assert len(written) == json.loads(stdout)["rows"]


def test_fetch_sla_with_a_histogram_writes_its_buckets(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, raw = tmp_path / "sla.parquet", tmp_path / "raw"
    code, _, _ = run(capsys, credentials, "fetch", "--method", "sla", "--timeframe", "120",
                     "--histogram", "0,10,20,60", "--save-raw", str(raw), "-o", str(out))
    assert code == 0
    written = engframe.read_parquet(out)
    chats = written[written["metric"] == "chats"]
    buckets = saved(raw, "sla")["response"]["slaDataRange"]
    assert list(buckets) == ["0", "10", "20", "60"]
    assert dict(zip(chats["bucket"].astype(int), chats["value"], strict=True)) == {
        int(b): v["chats"] for b, v in buckets.items()}


def test_fetch_queuestate_writes_a_snapshot_of_now(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "now.parquet"
    code, stdout, _ = run(capsys, credentials, "fetch", "--method", "queuestate",
                          "-o", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["window"] is None  # a moment, not a window
    written = engframe.read_parquet(out)
    assert set(written["span"].astype(str)) == {"snapshot"}
    assert (written["timestamp"] == pd.Timestamp(report["fetched_at"])).all()


@pytest.mark.parametrize(("argv", "words"), [
    (("--method", "sla", "--timeframe", "60", "--interval", "5"), "sla takes no interval"),
    (("--method", "queuestate", "--timeframe", "60"), "queuestate takes no timeframe"),
])
def test_an_option_the_method_does_not_take_is_a_usage_error_before_any_request(
        credentials: sim.SimServer, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
        words: str) -> None:
    before = len(credentials.requests)
    code, _, err = run(capsys, credentials, "fetch", *argv)
    assert code == cli.EXIT_USAGE and words in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert len(credentials.requests) == before


def test_sync_of_two_methods_writes_each_into_its_tables(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "history"
    code, stdout, _ = run(capsys, credentials, "sync", "--root", str(root), "--timeframe",
                          "60", "--method", "queuehealth,agentactivity", "--json")
    assert code == 0
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["method"] for line in lines] == ["queuehealth", "agentactivity"]
    for line in lines:
        stored = engframe.read_dataset(root, method=line["method"])
        assert line["inserted"] == len(stored) > 0
        assert all(part.startswith(f"{line['method']}/") for part in line["written"])
    assert {p.name for p in root.iterdir() if p.is_dir()} == {"queuehealth", "agentactivity"}


def test_sync_takes_a_queue_snapshot_each_turn(
        credentials: sim.SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "history"
    for _ in range(2):
        code, stdout, _ = run(capsys, credentials, "sync", "--root", str(root), "--method",
                              "queuestate", "--json")
        assert code == 0 and json.loads(stdout)["method"] == "queuestate"
    snapshots = engframe.read_dataset(root, method="queuestate")
    assert set(snapshots["span"].astype(str)) == {"snapshot"}
    assert snapshots["fetched_at"].nunique() == 2  # real time: two moments, each kept
