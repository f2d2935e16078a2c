"""A history's files verified whole, and the inputs that used to end in raw errors (issue 18).

Parquet page checksums cover data pages only; a flipped bit in a file's footer (a column
name, the stored Arrow schema) read as data or failed deep in pyarrow. Now every file's
SHA-256 is recorded in the manifest when it is written, and every read compares it and the
footer's schema, so any mismatch is a ``DatasetError`` naming the file. Also here: what is
not a regular file where a partition should be, manifests that are not objects, extreme
times, roots that cannot be folders, a full disk, NaN values and a lock path that is a
folder.
"""

from __future__ import annotations

import errno
import json
import math
import os
import threading
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe._lock import locked
from engframe.errors import DatasetError, FrameError, OptionError, OutputError
from engframe.history import LOCK_NAME, MANIFEST_NAME, PART_NAME, export, read_dataset
from engframe.history._read import history_state
from engframe.history._sums import Verifier
from tests.manifests import forget_checksums
from tests.test_history import fetch

DAY = "date=2026-11-27"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    export(fetch("2026-11-27T12:29:04Z"), tmp_path / "history")
    return tmp_path / "history"


def footer(path: Path) -> tuple[int, int]:
    """Where a parquet file's footer (its schema and metadata) starts and ends."""
    data = path.read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    return len(data) - 8 - length, len(data) - 8


def flip(path: Path, at: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 1 << bit
    path.write_bytes(bytes(data))


def flip_in_footer(path: Path, text: bytes) -> None:
    """Flip a bit of the first ``text`` in the footer of ``path``."""
    start, end = footer(path)
    at = path.read_bytes().index(text, start, end)
    flip(path, at + len(text) - 1)


def manifest(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / MANIFEST_NAME).read_text())
    return data


# -- 7. every file verified whole -------------------------------------------------------------


def test_every_file_written_has_its_checksum_recorded(root: Path) -> None:
    recorded = manifest(root)["files"]
    assert isinstance(recorded, dict)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob(PART_NAME)}
    assert set(recorded) == on_disk and on_disk
    assert all(len(sums) == 1 and sums[0].startswith("sha256:") for sums in recorded.values())


@pytest.mark.parametrize("recorded", [True, False], ids=["checksum", "schema"])
def test_a_flipped_bit_in_a_footer_s_column_name_is_a_dataset_error(root: Path,
                                                                    recorded: bool) -> None:
    # once 1,440 rows with a blank metric from read_dataset, in silence
    path = root / "agent" / DAY / PART_NAME
    flip_in_footer(path, b"metric")
    if not recorded:
        forget_checksums(root)
    with pytest.raises(DatasetError, match=f"{path}: a damaged partition") as caught:
        read_dataset(root)
    if not recorded:
        assert "its schema is not the dataset's (no column 'metric'" in str(caught.value)
    with pytest.raises(DatasetError, match=f"{path}: a damaged partition"):
        export(fetch("2026-11-27T12:44:04Z"), root)


#: A bit of the stored Arrow schema whose flip made pyarrow 26 raise a raw OverflowError.
ARROW_SCHEMA_FLIP = (1314, 1)


@pytest.mark.parametrize("recorded", [True, False], ids=["checksum", "schema"])
def test_a_flipped_bit_in_the_stored_arrow_schema_is_a_dataset_error(root: Path,
                                                                    recorded: bool) -> None:
    # once a raw OverflowError, from read_dataset and from export
    path = root / "agent" / DAY / PART_NAME
    before, schema = read_dataset(root), pq.read_schema(path)
    start, end = footer(path)
    offset, bit = ARROW_SCHEMA_FLIP
    flip(path, path.read_bytes().index(b"ARROW:schema", start, end) + offset, bit)
    if not recorded:
        forget_checksums(root)
        if pq.read_schema(path) == schema:
            # pyarrow 18 does not read this bit (a dictionary's index type): nothing changed
            pd.testing.assert_frame_equal(read_dataset(root), before)
            return
    for call in (lambda: read_dataset(root),
                 lambda: export(fetch("2026-11-27T12:44:04Z"), root),
                 lambda: read_dataset(root, start="2026-11-27T12:00Z")):
        with pytest.raises(DatasetError, match=f"{path}: a damaged partition"):
            call()


@settings(max_examples=25)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_in_an_unrecorded_footer_is_an_error_or_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, position: float, bit: int,
) -> None:
    # without a recorded checksum, the schema check and pyarrow's own must still hold
    base = tmp_path_factory.mktemp("flip") / "history"
    export(fetch("2026-11-27T12:29:04Z", agents="1"), base)
    forget_checksums(base)
    before = read_dataset(base)
    path = base / "agent" / DAY / PART_NAME
    start, end = footer(path)
    flip(path, start + int(position * (end - start)), bit)
    try:
        after = read_dataset(base)
    except DatasetError as error:
        assert str(error).startswith(f"{path}: a damaged partition")
    else:
        assert after.equals(before)


@settings(max_examples=25)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_bit_in_a_footer_is_a_dataset_error(tmp_path_factory: pytest.TempPathFactory,
                                                         position: float, bit: int) -> None:
    base = tmp_path_factory.mktemp("flip") / "history"
    export(fetch("2026-11-27T12:29:04Z", agents="1"), base)
    path = base / "agent" / DAY / PART_NAME
    start, end = footer(path)
    flip(path, start + int(position * (end - start)), bit)
    with pytest.raises(DatasetError, match=f"{path}: a damaged partition"):
        read_dataset(base)


def test_a_partition_swapped_for_another_valid_file_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "history"
    export(fetch("2026-11-26T12:29:04Z", timeframe=1440), base)
    days = sorted((base / "agent").iterdir())
    older, newer = days[0] / PART_NAME, days[1] / PART_NAME
    older.write_bytes(newer.read_bytes())  # a stale copy: valid parquet, other rows
    with pytest.raises(DatasetError, match=f"{older}: a damaged partition: its checksum"):
        read_dataset(base)


def test_a_history_written_before_checksums_is_read_and_then_recorded(root: Path) -> None:
    forget_checksums(root)
    assert len(read_dataset(root)) > 0
    export(fetch("2026-11-27T12:44:04Z"), root)
    recorded = manifest(root)["files"]
    assert isinstance(recorded, dict) and f"agent/{DAY}/{PART_NAME}" in recorded


def test_a_reader_with_an_older_manifest_reads_a_file_published_since(root: Path) -> None:
    verify = Verifier.of(root)  # the manifest as a reader read it
    export(fetch("2026-11-27T12:44:04Z", bump=3), root)  # a writer publishes a new file
    assert verify.read(root / "agent" / DAY / PART_NAME)


def test_a_writer_killed_while_publishing_leaves_a_readable_history(
    root: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = read_dataset(root)
    from engframe.history import _sums

    def killed(tmp: Path, path: Path, *, durable: bool) -> None:
        raise KeyboardInterrupt  # after the manifest listed old and new checksums

    monkeypatch.setattr(_sums, "swap_in", killed)
    with pytest.raises(KeyboardInterrupt):
        export(fetch("2026-11-27T12:44:04Z", bump=3), root)
    monkeypatch.undo()
    assert len(read_dataset(root)) == len(before)
    assert not list(root.rglob("*.tmp"))
    export(fetch("2026-11-27T12:44:04Z", bump=3), root)
    assert all(len(sums) == 1 for sums in manifest(root)["files"].values())  # type: ignore[union-attr]


# -- 10. what is not a regular file where a partition should be ---------------------------------


def _replace_with(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_partition_replaced_by_what_is_not_a_file_is_a_dataset_error(root: Path,
                                                                       kind: str) -> None:
    path = root / "agents_total" / DAY / PART_NAME  # the table sync's state reads too
    _replace_with(path, kind)
    what = {"folder": "a folder", "fifo": "a FIFO", "device": "a character device"}[kind]
    for call in (lambda: read_dataset(root),
                 lambda: export(fetch("2026-11-27T12:44:04Z"), root),
                 lambda: history_state(root, account=None, since_ms=0)):
        with pytest.raises(DatasetError, match=f"{path}: is {what}"):
            call()


def test_a_date_entry_that_is_a_file_is_a_dataset_error(root: Path) -> None:
    (root / "agent" / "date=2026-11-28").write_text("x")
    with pytest.raises(DatasetError, match="date=2026-11-28: is not a folder"):
        read_dataset(root)


# -- 10. manifests that are not objects; a killed first manifest write ------------------------


@pytest.mark.parametrize("text", ["[]", "42", '"engframe"', "[" * 100_000 + "]" * 100_000,
                                  '{"format": "engframe history", "version": 2, "grid": {}, '
                                  '"values": "int64", "files": []}'])
def test_a_manifest_that_is_not_one_is_a_dataset_error(root: Path, text: str) -> None:
    (root / MANIFEST_NAME).write_text(text)
    with pytest.raises(DatasetError, match=f"{MANIFEST_NAME}: not a manifest"):
        read_dataset(root)


def test_a_killed_first_manifest_write_leaves_nothing_for_long(tmp_path: Path) -> None:
    base = tmp_path / "history"
    base.mkdir()
    left = base / f".{MANIFEST_NAME}.4242-deadbeef.tmp"
    left.write_text("{")
    export(fetch("2026-11-27T12:29:04Z"), base)
    assert not left.exists()


# -- 10. times past pandas' nanoseconds ----------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", None), (None, "9999-12-31"),
                                            ("0001-01-01", "9999-12-31")])
def test_the_widest_times_read_the_whole_history(root: Path, start: str | None,
                                                 end: str | None) -> None:
    assert len(read_dataset(root, start=start, end=end)) == len(read_dataset(root))


def test_a_fetch_time_far_in_the_past_is_stored(tmp_path: Path) -> None:
    frame = fetch("2026-11-27T12:29:04Z").drop(columns=["fetched_at"])
    frame.attrs.pop("fetched_at", None)
    result = export(frame, tmp_path / "h", fetched_at="0001-01-01")
    assert result.inserted > 0


# -- 10. roots that cannot be folders, a lock that is a folder, a full disk ----------------------


@pytest.mark.parametrize("where", ["file", "/dev/null", "/proc/engframe-history"])
def test_a_root_that_cannot_be_a_folder_is_an_output_error(tmp_path: Path, where: str) -> None:
    base = Path(where) if where.startswith("/") else tmp_path / "afile"
    if where == "file":
        base.write_text("x")
    with pytest.raises(OutputError, match="export: ") as caught:
        export(fetch("2026-11-27T12:29:04Z"), base)
    assert str(base) in str(caught.value)


def test_a_lock_path_that_is_a_folder_is_a_dataset_error(tmp_path: Path) -> None:
    base = tmp_path / "history"
    (base / LOCK_NAME).mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"lock file cannot be opened \(it is a folder"):
        export(fetch("2026-11-27T12:29:04Z"), base)


@pytest.mark.parametrize("timeout", [math.nan, -1, "soon"])
def test_a_lock_timeout_that_is_no_time_is_an_option_error(root: Path, timeout: object) -> None:
    with pytest.raises(OptionError, match="lock_timeout"):
        export(fetch("2026-11-27T12:44:04Z"), root, lock_timeout=timeout)  # type: ignore[arg-type]


def test_an_infinite_lock_timeout_waits_as_none_does(root: Path) -> None:
    done = threading.Event()
    with locked(root / LOCK_NAME, timeout=None):
        waiter = threading.Thread(target=lambda: (export(fetch("2026-11-27T12:44:04Z"), root,
                                                         lock_timeout=math.inf), done.set()))
        waiter.start()
        assert not done.wait(0.3)  # waits for the lock
    waiter.join(30)
    assert done.is_set()


def test_a_full_disk_is_a_dataset_error_naming_the_file(root: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def full(table: object, where: object, **options: object) -> None:
        Path(str(where)).write_bytes(b"PAR1 half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    before = {p: p.read_bytes() for p in root.rglob(PART_NAME)}
    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(DatasetError, match="No space left on device") as caught:
        export(fetch("2026-11-27T12:44:04Z", bump=5), root)
    assert PART_NAME in str(caught.value) and ".tmp" not in str(caught.value)
    assert {p: p.read_bytes() for p in root.rglob(PART_NAME)} == before
    assert not list(root.rglob("*.tmp"))


# -- 10. values a history must not store ----------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_value_that_is_not_a_number_is_refused(tmp_path: Path, bad: float) -> None:
    frame = fetch("2026-11-27T12:29:04Z")
    frame["value"] = frame["value"].astype(float)
    frame.loc[frame["span"] == "interval", "value"] = frame["value"].where(
        frame.index != frame.index[frame["span"] == "interval"][3], bad)
    with pytest.raises(FrameError, match="NaN or infinite"):
        export(frame, tmp_path / "h")
    assert not (tmp_path / "h").exists() or not list((tmp_path / "h").rglob(PART_NAME))


def test_engframe_s_errors_are_the_ones_raised(root: Path) -> None:
    assert issubclass(DatasetError, engframe.EngframeError)
