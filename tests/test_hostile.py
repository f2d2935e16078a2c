"""Hostile files through flatten, load and the CLI: only engframe errors, in seconds and MB.

The corpus (``tests/hostile/corpus.py``) is generated into a temporary folder: deep nesting,
gzip bombs of 1 and 10 GiB, envelopes with a huge timeframe or fetch time, too many metric
names or intervals, repeated keys, one id written twice, damaged gzip, bytes that are not
UTF-8, JSON that is not an object, an empty file, NaN, 1e400, booleans, ids out of range.
Each file sits in a folder beside a valid response. Every case runs in a fresh process
(``tests/hostile/runner.py``) that measures its wall time and peak memory; the bounds are
generous so that a busy machine does not fail them, yet far below what the cases used to
cost (minutes, gigabytes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import engframe
from tests.hostile.corpus import CASES, SMALL, write_corpus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK),
                       reason="peak memory is measured through Linux's /proc"),
]

RUNNER = Path(__file__).resolve().parent / "hostile" / "runner.py"
ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS = 120  # proves termination (no hang), generously; speed is for benchmarks/
MAX_PEAK_BYTES = 400 * 2**20
WAYS = ("flatten", "load", "load_folder")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def api_results(corpus: dict[str, Path],
                tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    """Every case through every way into the Python API, in one fresh process."""
    manifest = tmp_path_factory.mktemp("manifest") / "manifest.json"
    manifest.write_text(json.dumps({name: str(path) for name, path in corpus.items()}))
    done = subprocess.run([sys.executable, str(RUNNER), str(manifest)], capture_output=True,
                          text=True, check=True, cwd=ROOT, timeout=600)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {(line["case"], line["way"]): line for line in lines}


def run_cli(*args: str) -> dict[str, Any]:
    command = [sys.executable, str(RUNNER), "--cli", sys.executable, "-m", "engframe", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT,
                          timeout=600)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def cli_results(corpus: dict[str, Path],
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``engframe flatten FILE -o out.parquet`` for every case (two at a time)."""
    out = tmp_path_factory.mktemp("cli")

    def one(name: str) -> dict[str, Any]:
        return run_cli("flatten", str(corpus[name]), "-o", str(out / f"{name}.parquet"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(one, CASES), strict=True))


@pytest.fixture(scope="module")
def cli_baseline(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak memory of the CLI flattening a small valid response [bytes]."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "good.json").write_text(json.dumps(SMALL))
    result = run_cli("flatten", str(folder / "good.json"), "-o", str(folder / "o.parquet"))
    assert result["code"] == 0, result["stderr"]
    peak: int = result["peak_bytes"]
    return peak


CASE_WAYS = [(case, way) for case in CASES for way in WAYS]


@pytest.mark.parametrize(("case", "way"), CASE_WAYS)
def test_a_hostile_file_ends_in_an_engframe_error_naming_it(api_results, corpus, case, way):
    result = api_results[case, way]
    assert result["engframe"], f"{result['error']}: {result['message']}"
    assert result["error"] in {"ResponseError", "SourceError"}
    assert result["message"].startswith(f"{corpus[case]}: ")


@pytest.mark.parametrize(("case", "way"), CASE_WAYS)
def test_a_hostile_file_is_refused_within_seconds(api_results, case, way):
    assert api_results[case, way]["seconds"] < MAX_SECONDS


@pytest.mark.parametrize(("case", "way"), CASE_WAYS)
def test_a_hostile_file_is_refused_within_bounded_memory(api_results, case, way):
    assert api_results[case, way]["peak_bytes"] < MAX_PEAK_BYTES


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_refuses_a_hostile_file_in_one_line_with_exit_1(cli_results, corpus, case):
    result = cli_results[case]
    assert result["code"] == 1
    assert "Traceback" not in result["stderr"]
    assert result["stderr"].count("\n") == 1
    assert result["stderr"].startswith(f"engframe flatten: error: {corpus[case]}: ")


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_refuses_a_hostile_file_within_seconds_and_bounded_memory(cli_results,
                                                                          cli_baseline, case):
    result = cli_results[case]
    assert result["seconds"] < MAX_SECONDS
    assert result["peak_bytes"] - cli_baseline < MAX_PEAK_BYTES


def test_the_gzip_bombs_are_small_on_disk(corpus):
    assert corpus["gzip_bomb_1gib"].stat().st_size < 2 * 2**20
    assert corpus["gzip_bomb_10gib"].stat().st_size < 12 * 2**20


# --- what is not a regular file --------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_a_source_error_without_waiting_for_a_writer(tmp_path: Path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(engframe.SourceError, match=r"pipe\.json: is not a regular file \(a FIFO"):
        engframe.load(fifo)


def test_a_device_is_a_source_error():
    with pytest.raises(engframe.SourceError, match="character device"):
        engframe.flatten(Path("/dev/zero"))


def test_a_fifo_in_a_folder_is_not_read(tmp_path: Path):
    (tmp_path / "good.json").write_text(json.dumps(SMALL))
    os.mkfifo(tmp_path / "pipe.json")
    assert engframe.load(tmp_path)["source"].unique().tolist() == ["good.json"]
