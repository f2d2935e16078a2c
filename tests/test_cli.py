"""The ``engframe`` command: every subcommand, --json output, and the documented exit codes.

Live commands talk to ``engframe.sim`` over loopback with credentials from the environment,
as a user's shell would give them. A user's mistake must give one line on stderr (what and
where, in the command line's terms), the documented exit code and no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe import cli, sim

COMMANDS = ["demo", "fetch", "flatten", "reconcile", "export", "sync", "repair", "sim"]


@pytest.fixture
def server() -> Iterator[sim.SimServer]:
    with sim.serve(seed=3) as running:
        yield running


@pytest.fixture
def credentials(server: sim.SimServer, monkeypatch: pytest.MonkeyPatch) -> sim.SimServer:
    """The simulator's account and OAuth 2.0 credentials in the environment."""
    return in_environment(server, monkeypatch)


def in_environment(server: sim.SimServer, monkeypatch: pytest.MonkeyPatch) -> sim.SimServer:
    """``server``'s account and credentials as the only ``LP_`` variables of the environment."""
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


def usage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run a command line argparse refuses: its exit code and stderr."""
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    return int(exited.value.code or 0), capsys.readouterr().err


def one_line(err: str) -> str:
    """The single line of ``err``, checked to be a single line without a traceback."""
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and 'File "' not in err
    return err.strip()


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
    assert json.loads(stdout)["rows"] == 315
    df = engframe.read_parquet(out)
    assert len(df) == 315 and df["source"].nunique() == 8


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
    assert stdout.strip().endswith("10 checks: 10 ok, 0 rounding, 0 mismatch")


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
    stored = len(engframe.read_dataset(root))
    assert first["inserted"] == stored >= 20 and first["updated"] == 0  # 20 interval values
    code, stdout, _ = run(capsys, "export", str(path), "--root", str(root), "--json")
    again = json.loads(stdout)[0]
    assert (again["inserted"], again["updated"]) == (0, 0)
    assert len(engframe.read_dataset(root)) == stored


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
                          credentials.base_url, "--no-cache", "--timeframe", "60", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert result["inserted"] > 0
    assert len(engframe.read_dataset(root)) == result["inserted"]


def test_sync_with_names_keeps_the_name_tables_beside_the_facts(credentials, tmp_path, capsys):
    root = tmp_path / "history"
    code, stdout, _ = run(capsys, "sync", "--root", str(root), "--csds-url",
                          credentials.base_url, "--no-cache", "--timeframe", "60", "--names",
                          "--json")
    assert code == 0 and set(json.loads(stdout)["names"]) >= {"names/skills", "names/agents"}
    named = engframe.read_dataset(root, names=True)
    assert named["agent_name"].notna().any()


def test_export_takes_the_names_saved_beside_the_responses(credentials, tmp_path, capsys):
    raw, root = tmp_path / "raw", tmp_path / "history"
    assert run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
               "--timeframe", "60", "--interval", "5", "--names", "--save-raw", str(raw),
               "-o", str(tmp_path / "f.parquet"))[0] == 0
    (envelope,) = sorted(raw.glob("*.json"))
    code, stdout, _ = run(capsys, "export", str(envelope), "--root", str(root), "--json")
    assert code == 0 and json.loads(stdout)[0]["names"]
    assert engframe.read_dataset(root, names=True)["agent_name"].notna().any()


def test_demo_json_lists_its_files(tmp_path, capsys):
    code, stdout, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--json")
    assert code == 0
    payload = json.loads(stdout)
    assert set(payload["files"]) == {"raw", "names", "history", "wide", "derived",
                                     "activity", "ranking", "teams", "drift",
                                     "messaging_derived", "messaging_volume", "messaging_aht",
                                     "csat_derived", "csat_skills", "csat_teams",
                                     "queue_derived", "queue", "states_derived", "states",
                                     "service_level"}
    assert all(Path(p).exists() for p in payload["files"].values())
    assert "mismatch" in payload["reconcile"]
    assert set(payload["methods"]) == {"engactivity", "msgconversation", "msgcsatdistribution",
                                       "queuehealth", "agentactivity", "sla", "queuestate"}


def test_demo_runs_the_methods_asked(tmp_path, capsys):
    code, stdout, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--json",
                          "--method", "msgcsatdistribution")
    assert code == 0
    payload = json.loads(stdout)
    assert set(payload["methods"]) == {"msgcsatdistribution"}
    assert "csat_teams" in payload["files"] and "activity" not in payload["files"]


def test_fetch_of_a_messaging_method_names_it(credentials, tmp_path, capsys):
    out = tmp_path / "m.parquet"
    code, stdout, _ = run(capsys, "fetch", "--method", "msgconversation", "--csds-url",
                          credentials.base_url, "--no-cache", "--timeframe", "60",
                          "--interval", "30", "-o", str(out), "--json")
    assert code == 0 and json.loads(stdout)["method"] == "msgconversation"
    assert set(engframe.read_parquet(out)["method"].astype(str)) == {"msgconversation"}


def test_fetch_of_csat_with_an_interval_is_a_usage_error(credentials, capsys):
    code, _, err = run(capsys, "fetch", "--method", "msgcsatdistribution", "--csds-url",
                       credentials.base_url, "--timeframe", "60", "--interval", "30")
    assert code == cli.EXIT_USAGE and "takes no interval" in one_line(err)
    assert credentials.requests == []  # refused before any traffic


def test_sync_of_several_methods_says_each(credentials, tmp_path, capsys):
    code, stdout, _ = run(capsys, "sync", "--root", str(tmp_path / "h"), "--csds-url",
                          credentials.base_url, "--no-cache", "--method",
                          "msgconversation,msgcsatdistribution", "--json")
    assert code == 0
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["method"] for line in lines] == ["msgconversation", "msgcsatdistribution"]


def test_an_unknown_method_is_a_usage_error(capsys):
    code, err = usage(capsys, "sync", "--root", "h", "--method", "msgqueuehealth")
    assert code == cli.EXIT_USAGE and "engactivity" in one_line(err)


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


# -- output files: the format follows the ending ----------------------------------------

@pytest.mark.parametrize("name", ["out.CSV", "out.csv", "Out.Csv"])
def test_a_csv_ending_in_any_case_writes_csv(name, tmp_path, samples_dir, capsys):
    out = tmp_path / name
    code, _, _ = run(capsys, "flatten", str(samples_dir / "skill_2.json"), "-o", str(out))
    assert code == 0
    assert len(pd.read_csv(out)) == 15


@pytest.mark.parametrize("name", ["out.parquet", "out.PARQUET", "out.pq", "out.PQ"])
def test_a_parquet_ending_in_any_case_writes_parquet(name, tmp_path, samples_dir, capsys):
    out = tmp_path / name
    code, _, _ = run(capsys, "flatten", str(samples_dir / "skill_2.json"), "-o", str(out))
    assert code == 0
    assert len(engframe.read_parquet(out)) == 15


@pytest.mark.parametrize("name", ["out.xlsx", "outnoext", "out.json", "out.parquet.bak"])
def test_any_other_ending_is_a_usage_error_naming_the_supported_ones(name, tmp_path,
                                                                     samples_dir, capsys):
    code, err = usage(capsys, "flatten", str(samples_dir), "-o", str(tmp_path / name))
    assert code == cli.EXIT_USAGE
    assert ".parquet, .pq, .csv" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_help_of_output_options_says_how_the_format_is_chosen(capsys):
    with pytest.raises(SystemExit):
        cli.main(["flatten", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ".parquet or .pq (parquet), .csv (CSV)" in text and "any case" in text


def test_wide_csv_has_one_column_per_metric(tmp_path, samples_dir, capsys):
    out = tmp_path / "wide.csv"
    code, _, _ = run(capsys, "flatten", str(samples_dir / "account.json"), "-o", str(out),
                     "--layout", "wide")
    assert code == 0
    assert "totalHandlingTime" in pd.read_csv(out).columns


def test_flatten_of_a_folder_counts_its_files(samples_dir, tmp_path, capsys):
    code, stdout, _ = run(capsys, "flatten", str(samples_dir), "-o", str(tmp_path / "s.parquet"))
    assert code == 0 and "from 8 files ->" in stdout


# -- a user's mistakes: one line, what and where, exit 1 -----------------------------------

def test_flatten_into_a_missing_folder_names_the_folder_not_a_temporary_file(
        samples_dir, tmp_path, capsys):
    out = tmp_path / "nodir" / "x" / "out.parquet"
    code, _, err = run(capsys, "flatten", str(samples_dir), "-o", str(out))
    assert code == cli.EXIT_ERROR
    line = one_line(err)
    assert line == (f"engframe flatten: error: cannot write {out}: the folder "
                    f"{out.parent} does not exist")


def test_fetch_into_a_folder_that_refuses_files_fails_before_fetching(
        credentials, tmp_path, capsys, monkeypatch):
    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.TemporaryFile", refused)
    out = tmp_path / "day.parquet"
    code, _, err = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
                       "--timeframe", "60", "-o", str(out))
    assert code == cli.EXIT_ERROR
    assert one_line(err) == f"engframe fetch: error: cannot write {out}: Permission denied"
    assert credentials.requests == []  # nothing fetched, so nothing lost


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_fetch_into_proc_is_one_line_and_exit_1(credentials, capsys):
    code, _, err = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
                       "--timeframe", "60", "-o", "/proc/x.parquet")
    assert code == cli.EXIT_ERROR
    assert one_line(err).startswith("engframe fetch: error: cannot write /proc/x.parquet: ")


def test_demo_into_a_folder_it_cannot_create_is_one_line_and_exit_1(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "demo", "--out", str(blocker / "demo"))
    assert code == cli.EXIT_ERROR
    assert one_line(err).startswith(
        f"engframe demo: error: cannot create the output folder {blocker / 'demo'}: ")


def test_sim_on_a_port_in_use_is_one_line_and_exit_1(capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "sim", "--port", str(port))
    assert code == cli.EXIT_ERROR
    assert one_line(err) == (f"engframe sim: error: cannot listen on 127.0.0.1:{port}: "
                             "Address already in use")


def test_an_unreachable_host_is_one_line_and_exit_1(monkeypatch, capsys):
    def unreachable(**_options: object) -> None:
        raise engframe.APIError("cannot connect to nonexistent.invalid:\n  name not known",
                                url="https://nonexistent.invalid/x")

    monkeypatch.setattr("engframe.client.load_live", unreachable)
    code, _, err = run(capsys, "fetch", "--account", "1", "--domain", "nonexistent.invalid")
    assert code == cli.EXIT_ERROR
    assert one_line(err) == ("engframe fetch: error: cannot connect to nonexistent.invalid: "
                             "name not known")


# -- errors in the command line's terms; parameter errors are usage errors ---------------

@pytest.mark.parametrize("argv, option", [
    (["--timeframe", "5000"], "--timeframe 5000"),
    (["--interval", "7"], "--interval 7"),
    (["--timeframe", "60", "--interval", "45"], "--interval 45"),
    (["--skills", "4,x"], "--skills '4,x'"),
])
def test_a_bad_query_parameter_is_a_usage_error_naming_the_option(argv, option, credentials,
                                                                  capsys):
    code, _, err = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache", *argv)
    assert code == cli.EXIT_USAGE
    line = one_line(err)
    assert line.startswith(f"engframe fetch: error: {option} is invalid")
    assert "=" not in line and "None" not in line
    assert credentials.requests == []


def test_a_missing_account_names_the_option_and_the_variable(monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("LP_"):
            monkeypatch.delenv(name)
    code, _, err = run(capsys, "fetch", "--timeframe", "60")
    assert code == cli.EXIT_USAGE
    assert "--account is missing: give it or set LP_ACCOUNT" in one_line(err)


def test_missing_credentials_name_the_variables_to_set(monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("LP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LP_CLIENT_ID", "only-the-id")
    code, _, err = run(capsys, "fetch", "--account", "1", "--no-cache", "--domain",
                       "127.0.0.1:9")
    assert code == cli.EXIT_AUTH
    line = one_line(err)
    assert "no credentials: set LP_CLIENT_ID and LP_CLIENT_SECRET (or LP_BEARER_TOKEN" in line
    assert "auth=" not in line and "only-the-id" not in line
    assert "LP_CLIENT_SECRET missing" in line


def test_offline_without_a_cache_speaks_of_options(credentials, capsys):
    code, _, err = run(capsys, "fetch", "--csds-url", credentials.base_url, "--offline",
                       "--no-cache")
    assert code == cli.EXIT_USAGE
    assert "--offline needs the HTTP cache: leave out --no-cache" in one_line(err)


def test_in_cli_terms_leaves_option_names_alone():
    assert cli.in_cli_terms("--timeframe 60 and the interval (15)") == (
        "--timeframe 60 and the interval (15)")


def test_interval_help_states_its_default_in_words(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fetch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in text
    assert "(default: none: whole-timeframe values only)" in text


# -- warnings and logs on stderr ------------------------------------------------------------

def test_a_warning_is_one_line_without_file_and_line(tmp_path, capsys):
    path = tmp_path / "extra.json"
    path.write_text('{"metricsTotals": {"totalInteractiveChats": 3}, "surprise": 1}')
    code, _, err = run(capsys, "flatten", str(path), "-o", str(tmp_path / "o.parquet"))
    assert code == 0
    line = one_line(err)
    assert line.startswith("engframe: warning: ") and "surprise" in line
    assert ".py:" not in line and "EngframeWarning" not in line


def _logging_fetch(monkeypatch: pytest.MonkeyPatch, sample) -> None:
    """``load_live`` that logs a retry (INFO) and a long wait (WARNING), as the transport does."""
    def fetch(**_options: object) -> pd.DataFrame:
        logger = logging.getLogger("engframe.transport")
        logger.info("GET https://host/x: 503, retrying in 5 s (1 of 3)")
        logger.warning("waiting 15 s before retrying GET https://host/x")
        return engframe.flatten(sample("account"))

    monkeypatch.setattr("engframe.client.load_live", fetch)


def test_transport_warnings_show_without_verbose(monkeypatch, sample, tmp_path, capsys):
    _logging_fetch(monkeypatch, sample)
    code, _, err = run(capsys, "fetch", "--account", "1", "-o", str(tmp_path / "a.parquet"))
    assert code == 0
    assert err == "engframe: warning: waiting 15 s before retrying GET https://host/x\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command_shows_every_retry(where, monkeypatch, sample,
                                                               tmp_path, capsys):
    _logging_fetch(monkeypatch, sample)
    argv = ["fetch", "--account", "1", "-o", str(tmp_path / "a.parquet")]
    argv = ["-v", *argv] if where == "before" else [*argv, "-v"]
    code, _, err = run(capsys, *argv)
    assert code == 0
    assert err.splitlines() == [
        "engframe: GET https://host/x: 503, retrying in 5 s (1 of 3)",
        "engframe: warning: waiting 15 s before retrying GET https://host/x",
    ]


def test_main_puts_logging_and_warnings_back_as_they_were(samples_dir, capsys):
    logger = logging.getLogger("engframe")
    before = (logger.level, logger.propagate, list(logger.handlers), warnings.showwarning)
    run(capsys, "-v", "reconcile", str(samples_dir / "skill_2.json"))
    assert (logger.level, logger.propagate, list(logger.handlers),
            warnings.showwarning) == before


# -- fetch without -o, sync, Ctrl+C ---------------------------------------------------------

def test_fetch_without_output_writes_a_named_file_here_and_says_so(credentials, tmp_path,
                                                                  capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run(capsys, "fetch", "--csds-url", credentials.base_url, "--no-cache",
                          "--timeframe", "60", "--interval", "15")
    assert code == 0
    written = list(tmp_path.glob("*.parquet"))
    assert len(written) == 1
    assert re.fullmatch(rf"engframe-{credentials.account}-\d{{8}}T\d{{6}}Z\.parquet",
                        written[0].name)
    assert stdout.strip().endswith(f"-> {written[0].name}")
    assert len(engframe.read_parquet(written[0])) > 0


def test_sync_lines_start_with_a_utc_timestamp(credentials, tmp_path, capsys):
    code, stdout, _ = run(capsys, "sync", "--root", str(tmp_path / "h"), "--csds-url",
                          credentials.base_url, "--no-cache", "--timeframe", "60")
    assert code == 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d+ inserted, 0 updated, 0 unchanged "
                    r"into ", stdout)


@pytest.mark.parametrize("every", ["0", "-5", "0.5", "nan", "soon", "inf", "1e308", "1441"])
def test_sync_every_outside_a_minute_to_a_day_is_a_usage_error(every, capsys):
    code, err = usage(capsys, "sync", "--root", "h", "--every", every)
    assert code == cli.EXIT_USAGE and "--every" in one_line(err)


@pytest.mark.parametrize("command, target", [
    ("sync", "engframe.sync.sync"),
    ("fetch", "engframe.client.load_live"),
    ("demo", "engframe.demo.run_demo"),
])
def test_ctrl_c_says_stopped_and_exits_130(command, target, monkeypatch, capsys):
    def interrupted(*_args: object, **_options: object) -> None:
        raise KeyboardInterrupt

    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(sys.modules[module], name, interrupted)  # engframe.sync is a function too
    extra = ["--root", "h", "--account", "1"] if command == "sync" else (
        ["--account", "1"] if command == "fetch" else [])
    code, _, err = run(capsys, command, *extra)
    assert code == cli.EXIT_INTERRUPTED == 130
    assert err == f"engframe {command}: stopped\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_a_running_sim_with_130():
    process = subprocess.Popen(
        [sys.executable, "-m", "engframe.cli", "sim", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        while "Ctrl+C" not in (line := process.stdout.readline()):
            assert line, "sim ended early"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == cli.EXIT_INTERRUPTED
    assert err.strip().splitlines()[-1] == "engframe sim: stopped"


def test_a_reader_that_leaves_early_gets_no_traceback(samples_dir):
    process = subprocess.Popen(
        [sys.executable, "-m", "engframe.cli", "reconcile", str(samples_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # as `engframe reconcile ... | head -0` would
    _, err = process.communicate(timeout=60)
    assert process.returncode == cli.EXIT_OK  # the work is done; its output was dropped
    assert err == ""


# -- names: --names on fetch and flatten (issue 13) -----------------------------------------

NAME_COLUMNS = ["skill_name", "agent_name", "agent_group", "agent_group_name"]


def _fetch(server: sim.SimServer, capsys, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run(capsys, "fetch", "--csds-url", server.base_url, "--no-cache", "--timeframe",
               "60", "--interval", "15", "--skills", "all", "--agents", "all", *extra)


def test_fetch_names_adds_the_name_columns_to_the_file(credentials, tmp_path, capsys):
    out = tmp_path / "named.parquet"
    code, stdout, err = _fetch(credentials, capsys, "--names", "-o", str(out), "--json")
    assert code == 0 and err == ""
    df = engframe.read_parquet(out)
    assert df.columns[-4:].tolist() == NAME_COLUMNS
    agents = df["agent"].notna()
    assert df.loc[agents, "agent_name"].notna().all()
    assert not df.loc[agents, "agent_name"].astype(str).str.startswith("agent ").any()
    assert df.loc[df["skill"].notna(), "skill_name"].notna().all()
    report = json.loads(stdout)["names"]
    assert report.pop("read_at").startswith("20")
    assert report == {"source": engframe.names.API_SOURCE, "failed": {},
                      "unknown": {"skill": 0, "agent": 0, "agent_group": 0}}


def test_fetch_without_names_adds_no_name_column(credentials, tmp_path, capsys):
    out = tmp_path / "plain.parquet"
    code, stdout, _ = _fetch(credentials, capsys, "-o", str(out), "--json")
    assert code == 0 and "names" not in json.loads(stdout)
    assert not set(NAME_COLUMNS) & set(engframe.read_parquet(out).columns)


def test_fetch_names_with_save_raw_saves_them_for_flatten_names(credentials, tmp_path,
                                                                capsys):
    raw = tmp_path / "raw"
    fetched = tmp_path / "fetched.parquet"
    code, _, _ = _fetch(credentials, capsys, "--names", "--save-raw", str(raw), "-o",
                        str(fetched))
    assert code == 0
    assert len(list((raw / "names").glob("names_*.json"))) == 1
    offline = tmp_path / "offline.parquet"
    code, _, err = run(capsys, "flatten", str(raw), "--names", "-o", str(offline))
    assert code == 0 and err == ""
    live, again = engframe.read_parquet(fetched), engframe.read_parquet(offline)
    for column in NAME_COLUMNS:
        assert sorted(again[column].dropna().unique()) == sorted(live[column].dropna().unique())


def test_fetch_names_refused_still_writes_the_file_and_warns_once(credentials, tmp_path,
                                                                 capsys):
    credentials.faults.script("status", status=403, endpoint="users")
    out = tmp_path / "named.parquet"
    code, _, err = _fetch(credentials, capsys, "--names", "-o", str(out))
    assert code == 0
    line = one_line(err)
    assert line.startswith("engframe: warning: names could not be read (agents: AuthError")
    df = engframe.read_parquet(out)
    shown = df.loc[df["agent"].notna(), "agent_name"].astype(str)
    assert (shown == "agent " + df.loc[df["agent"].notna(), "agent"].astype(str)).all()
    assert df.loc[df["skill"].notna(), "skill_name"].notna().all()


def test_flatten_names_without_saved_names_shows_ids_and_says_how_to_save_them(
        samples_dir, tmp_path, capsys):
    out = tmp_path / "s.parquet"
    code, stdout, err = run(capsys, "flatten", str(samples_dir / "skills_all_agent_3.json"),
                            "--names", "-o", str(out), "--json")
    assert code == 0
    line = one_line(err)
    assert "no names saved in" in line
    assert "(engframe fetch --names --save-raw DIR saves them there)" in line
    assert "names=True" not in line and "save_raw=" not in line
    df = engframe.read_parquet(out)
    assert set(df["agent_name"].dropna().astype(str)) == {"agent 3"}
    assert json.loads(stdout)["names"][0]["failed"]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[sim.SimServer]:
    """:func:`credentials` of a simulator whose clock stands still at a moment whose worst
    drift is a skill's (on the wall clock, the worst is a total's at some minutes)."""
    with sim.serve(seed=3, now=FROZEN_AT) as running:
        yield in_environment(running, monkeypatch)


#: 2026-11-25 09:07:31 UTC.
FROZEN_AT = 1_795_600_451_000


def test_reconcile_names_names_the_checks_and_the_worst_drift(frozen, tmp_path, capsys):
    credentials = frozen
    raw = tmp_path / "raw"
    code, _, _ = _fetch(credentials, capsys, "--names", "--save-raw", str(raw), "-o",
                        str(tmp_path / "f.parquet"))
    assert code == 0
    code, stdout, err = run(capsys, "reconcile", str(raw), "--names", "--json")
    assert code == 0 and err == ""
    [report] = json.loads(stdout)
    skills = {s.id: s.name for s in credentials.directory.skills}
    drifted = [c for c in report["checks"] if c["skill"] is not None]
    assert drifted, "the simulator's handling times drift by rounding in 15-minute intervals"
    assert all(c["skill_name"] == skills[c["skill"]] for c in drifted)
    worst = report["summary"].split("; worst: ")[1]
    assert re.search(r"\b(skill|agent) -?\d", worst) is None  # a name, then its id
    assert re.search(r"\b(skill|agent) \D.* \(-?\d+\)", worst)
    code, stdout, _ = run(capsys, "reconcile", str(raw), "--json")
    assert code == 0 and "skill_name" not in json.loads(stdout)[0]["checks"][0]


def test_help_documents_names(capsys):
    for command in ("fetch", "flatten", "reconcile"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--names" in text and "agent_group_name" in text


# -- --max-bytes (issue 12) --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["flatten", "reconcile", "export"])
def test_max_bytes_refuses_a_larger_file_naming_the_option(command, samples_dir, tmp_path,
                                                           capsys):
    path = samples_dir / "skills_all_agent_3.json"
    extra = {"flatten": ["-o", str(tmp_path / "o.parquet")], "reconcile": [],
             "export": ["--root", str(tmp_path / "h")]}[command]
    code, _, err = run(capsys, command, str(path), *extra, "--max-bytes", "100")
    assert code == cli.EXIT_ERROR
    line = one_line(err)
    assert f"engframe {command}: error: {path}: " in line
    assert "at most 100 bytes of JSON (--max-bytes; 256M by default)" in line
    assert "max_bytes=" not in line
    assert not (tmp_path / "o.parquet").exists() and not (tmp_path / "h").exists()


@pytest.mark.parametrize("given, expected", [("5000", 5000), ("5000B", 5000), ("1K", 1024),
                                             ("512M", 512 * 2**20), ("2g", 2 * 2**30),
                                             ("64MiB", 64 * 2**20), ("8MB", 8 * 2**20)])
def test_max_bytes_takes_bytes_or_binary_suffixes(given, expected):
    args = cli.build_parser().parse_args(["flatten", "x.json", "-o", "x.csv",
                                          "--max-bytes", given])
    assert args.max_bytes == expected


def test_max_bytes_defaults_to_the_library_limit():
    args = cli.build_parser().parse_args(["reconcile", "x.json"])
    assert args.max_bytes == engframe.limits.MAX_RESPONSE_BYTES


def test_max_bytes_raised_reads_a_file_the_default_refuses(samples_dir, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setattr("engframe.limits.MAX_RESPONSE_BYTES", 100)  # the library's default
    path = str(samples_dir / "skill_2.json")
    code, stdout, _ = run(capsys, "reconcile", path, "--max-bytes", "1M")
    assert code == 0 and "10 checks" in stdout


@pytest.mark.parametrize("bad", ["lots", "0", "-5", "1.5M", "1T", "5iB", "M",
                                 "99999999999999999999999G", "1025G", "9" * 5000])
def test_a_bad_max_bytes_is_a_usage_error(bad, capsys):
    code, err = usage(capsys, "reconcile", "x.json", "--max-bytes", bad)
    assert code == cli.EXIT_USAGE and "--max-bytes" in one_line(err)
    assert len(one_line(err)) < 300


# -- repair: a history written by engframe 0.1 (issue 10) ------------------------------------

@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    from tests.test_history import _legacy

    root = tmp_path / "history"
    return root, _legacy(root)


def _repaired_twin(tmp_path: Path) -> engframe.history.RepairResult:
    """What ``engframe.repair_dataset`` reports for the same 0.1 dataset elsewhere."""
    from tests.test_history import _legacy

    twin = tmp_path / "twin"
    _legacy(twin)
    return engframe.repair_dataset(twin)


def test_repair_converts_a_0_1_dataset_and_says_what_it_did(legacy, tmp_path, capsys):
    root, written = legacy
    expected = _repaired_twin(tmp_path)
    code, stdout, err = run(capsys, "repair", str(root))
    assert code == 0 and err == ""
    whole = int((written["span"] == "timeframe").sum())
    assert stdout == (
        f"{root}: kept the periods of the grid of 5-minute buckets: {expected.facts:,} facts "
        f"written, {whole:,} whole-timeframe rows left out (not facts), {expected.off_grid:,} "
        f"interval rows of other grids left out; the 0.1 files, as they were, are in "
        f"{root / '_engframe_v1'} (delete it when satisfied)\n")
    assert len(engframe.read_dataset(root)) > 0


def test_repair_json_reports_grid_facts_and_where_the_old_files_went(legacy, tmp_path,
                                                                    capsys):
    root, written = legacy
    expected = _repaired_twin(tmp_path)
    code, stdout, _ = run(capsys, "repair", "--root", str(root), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report == {"root": str(root), "grid": "5-minute buckets", "facts": expected.facts,
                      "left_out": int((written["span"] == "timeframe").sum()),
                      "off_grid": expected.off_grid, "backup": str(root / "_engframe_v1")}
    assert expected.off_grid > 0
    assert sorted(Path(report["backup"]).rglob("*.parquet"))


def test_repair_of_a_current_dataset_does_nothing_and_says_so(legacy, capsys):
    root, _ = legacy
    run(capsys, "repair", str(root))
    code, stdout, _ = run(capsys, "repair", str(root), "--json")
    assert code == 0
    assert json.loads(stdout)["backup"] is None
    code, stdout, _ = run(capsys, "repair", str(root))
    assert stdout.strip() == f"{root}: nothing to repair (no files of engframe 0.1)"


def test_repair_of_a_missing_folder_is_one_line_and_exit_1(tmp_path, capsys):
    code, _, err = run(capsys, "repair", str(tmp_path / "nowhere"))
    assert code == cli.EXIT_ERROR
    assert one_line(err) == f"engframe repair: error: {tmp_path / 'nowhere'}: no such folder"


@pytest.mark.parametrize("argv", [[], ["a", "--root", "b"]])
def test_repair_needs_its_folder_once(argv, capsys):
    code, _, err = run(capsys, "repair", *argv)
    assert code == cli.EXIT_USAGE
    assert "as ROOT or --root" in one_line(err)


def test_a_0_1_dataset_tells_export_to_run_engframe_repair(legacy, samples_dir, capsys,
                                                           tmp_path, sample):
    root, _ = legacy
    envelope = {"request": {"account": "56072331", "timeframe": 1200, "interval": 600},
                "fetched_at": "2014-10-07T11:07:00Z", "response": sample("agent_2_intervals")}
    path = tmp_path / "fetch.json"
    path.write_text(json.dumps(envelope))
    code, _, err = run(capsys, "export", str(path), "--root", str(root))
    assert code == cli.EXIT_ERROR
    assert f"engframe repair {root}" in one_line(err)


# -- --max-bytes of the commands that fetch ---------------------------------------------------

@pytest.mark.parametrize("command", ["fetch", "sync"])
def test_max_bytes_bounds_a_live_answer_naming_the_option(command, credentials, tmp_path,
                                                          capsys):
    where = (["-o", str(tmp_path / "day.parquet")] if command == "fetch"
             else ["--root", str(tmp_path / "h")])
    common = ["--csds-url", credentials.base_url, "--no-cache", "--timeframe", "60", *where]
    code, _, err = run(capsys, command, *common, "--max-bytes", "2K")
    assert code == cli.EXIT_ERROR
    line = one_line(err)
    assert line.startswith(f"engframe {command}: error: ")
    assert "2,048 bytes (--max-bytes; 256M by default)" in line and "max_bytes=" not in line
    assert not (tmp_path / "day.parquet").exists()
    assert not (tmp_path / "h").exists() or not engframe.read_dataset(tmp_path / "h").shape[0]
    assert run(capsys, command, *common, "--max-bytes", "64M")[0] == 0


def test_a_live_load_takes_max_bytes(credentials, tmp_path):
    query = {"csds_url": credentials.base_url, "cache": False, "timeframe": 60,
             "skills": "all", "agents": "all"}
    with pytest.raises(engframe.ResponseError, match="at most 2,048 bytes"):
        engframe.load(max_bytes=2048, **query)
    assert len(engframe.load(max_bytes=64 * 2**20, **query)) > 0
