"""Out of core, a history's files are verified before an engine reads them.

DuckDB (and Spark) read the partition files themselves and check neither the SHA-256 the
writer recorded in the manifest nor parquet's page checksums: a value flipped in a data page
came back as a number. ``engframe.scan`` now verifies every file an engine will read, once per
scan until the file changes, and a damaged one is a ``DatasetError`` naming it, as
``read_dataset`` says; ``scan(..., verify=False)`` trusts the files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe.errors import DatasetError, OptionError
from engframe.history import PART_NAME, _sums, export
from tests.test_history import fetch
from tests.test_history_verify import flip

DAY = "date=2026-11-27"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    export(fetch("2026-11-27T12:29:04Z"), tmp_path / "history")
    return tmp_path / "history"


def _value_page_byte(path: Path) -> int:
    """A byte inside the data pages (before the footer), where a flip changes a number and
    not the file's structure."""
    size = path.stat().st_size
    footer_length = int.from_bytes(path.read_bytes()[-8:-4], "little")
    return (size - 8 - footer_length) // 2


def test_a_damaged_partition_is_an_error_naming_it_not_numbers(root: Path) -> None:
    expected = engframe.derive(engframe.scan(root), by="agent")
    path = root / "agent" / DAY / PART_NAME
    flip(path, _value_page_byte(path), 3)
    for compute in (lambda scan: engframe.derive(scan, by="agent"), engframe.reconcile):
        with pytest.raises(DatasetError, match=f"{path}: a damaged partition"):
            compute(engframe.scan(root))
    # trusted: the engine reads the file as it is (here the flip lands in a value or fails
    # in the engine; either way nothing engframe checked)
    try:
        trusted = engframe.derive(engframe.scan(root, verify=False), by="agent")
    except Exception as error:  # DuckDB's own error on a broken page
        assert not isinstance(error, DatasetError)
    else:
        assert len(trusted) == len(expected)


def test_each_file_is_hashed_once_per_scan_until_it_changes(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[Path] = []
    real = _sums.digest_regular

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(_sums, "digest_regular", counting)
    history = engframe.scan(root)
    first = engframe.derive(history, by="agent")
    read_once = len(hashed)
    assert read_once and len(set(hashed)) == read_once
    pd.testing.assert_frame_equal(engframe.derive(history, by="agent"), first)
    engframe.derive(history.one(history.methods()[0]), by="agent")  # a scan made from it
    assert len(hashed) == read_once
    export(fetch("2026-11-27T12:44:04Z"), root)  # rewrites the day's partitions
    engframe.derive(history, by="agent")
    assert len(hashed) > read_once
    assert len(engframe.scan(root, verify=False).files("agent")) and len(hashed) > read_once


def test_verify_must_be_a_boolean(root: Path) -> None:
    with pytest.raises(OptionError, match="verify must be True or False"):
        engframe.scan(root, verify="yes")  # type: ignore[arg-type]
