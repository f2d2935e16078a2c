"""engframe.parquet: tidy frames to parquet files and back, exactly.

Fixtures (local to this file):

- ``envelope_frame``: the spec's skills-and-agents sample flattened from a saved envelope,
  so it has the optional columns (account, fetched_at, start, complete) and query attrs.
- ``derived_frame``: a derived-looking frame: the tidy columns with float64 values,
  NaN included.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engframe
from engframe.errors import EngframeWarning, FrameError, OptionError, OutputError, SourceError
from engframe.parquet import read_parquet, to_parquet
from engframe.schema import LEVELS, METRICS, SPANS, build_frame, empty_frame

SORT_KEY = ["timestamp", "span", "level", "skill", "agent", "metric"]
ENVELOPE_REQUEST = {"account": "56072331", "timeframe": 1440, "interval": 60,
                    "skillIds": "all", "agentIds": "3", "v": 1}


@pytest.fixture
def envelope_frame(sample) -> pd.DataFrame:
    envelope = {"request": ENVELOPE_REQUEST, "fetched_at": "2014-10-07T11:19:04.123Z",
                "response": sample("agent_2_intervals")}
    return engframe.flatten(envelope)


@pytest.fixture
def derived_frame() -> pd.DataFrame:
    n = 12
    frame = build_frame(
        timestamp_ms=1_795_000_000_000 + 300_000 * (np.arange(n) // 4),
        skill=np.where(np.arange(n) % 2 == 0, 2_152_260_212, -1),
        agent=np.full(n, 3_705_342_610),
        metric_codes=(np.arange(n) % 4).astype(np.int8),
        metrics=["aht", "chats_per_hour", "share", "unused"],
        value=np.zeros(n, np.int64),
        level_codes=np.where(np.arange(n) % 2 == 0, 1, 4).astype(np.int8),
        span_codes=np.zeros(n, np.int8),
    )
    values = np.linspace(0.5, 700.25, n)
    values[3] = np.nan
    return frame.assign(value=values)


def _round_trip(df: pd.DataFrame, path: Path, **options) -> pd.DataFrame:
    to_parquet(df, path, **options)
    return read_parquet(path)


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(SORT_KEY, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("name", ["account", "account_intervals", "agent_2_intervals",
                                  "skill_2", "skill_agent_no_data", "skill_no_data_intervals",
                                  "skills_all_agent_3"])
def test_raw_sample_frames_round_trip_exactly(name, samples_dir, tmp_path):
    df = engframe.flatten(samples_dir / f"{name}.json")
    pd.testing.assert_frame_equal(_round_trip(df, tmp_path / "f.parquet"), df, check_exact=True)


def test_envelope_frame_round_trips_with_optional_columns(envelope_frame, tmp_path):
    back = _round_trip(envelope_frame, tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(back, envelope_frame, check_exact=True)
    assert list(back.columns[7:]) == ["method", "account", "fetched_at", "start", "complete"]


def test_derived_float_values_round_trip_exactly(derived_frame, tmp_path):
    back = _round_trip(derived_frame, tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(back, derived_frame, check_exact=True)
    assert back["value"].dtype == np.float64


def test_wide_layout_round_trips_raw_frames(envelope_frame, tmp_path):
    back = _round_trip(envelope_frame, tmp_path / "f.parquet", layout="wide")
    pd.testing.assert_frame_equal(_canonical(back), _canonical(envelope_frame), check_exact=True)


def test_wide_layout_round_trips_derived_frames_keeping_nan_apart_from_absent(
        derived_frame, tmp_path):
    back = _round_trip(derived_frame, tmp_path / "f.parquet", layout="wide")
    pd.testing.assert_frame_equal(_canonical(back), _canonical(derived_frame), check_exact=True)
    assert back["value"].isna().sum() == 1


def test_wide_layout_has_one_column_per_metric_of_the_value_type(envelope_frame,
                                                                  derived_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "raw.parquet", layout="wide")
    to_parquet(derived_frame, tmp_path / "derived.parquet", layout="wide")
    raw = pq.read_schema(tmp_path / "raw.parquet")
    derived = pq.read_schema(tmp_path / "derived.parquet")
    assert all(raw.field(m).type == pa.int64() for m in METRICS)
    assert "metric" not in raw.names and "value" not in raw.names
    assert derived.field("aht").type == pa.float64()
    wide = duckdb.sql(f"select * from '{tmp_path / 'raw.parquet'}'").df()
    assert len(wide) * len(METRICS) == len(envelope_frame)


def test_wide_layout_refuses_two_values_for_one_key_and_metric(envelope_frame, tmp_path):
    doubled = pd.concat([envelope_frame, envelope_frame.iloc[:1]], ignore_index=True)
    with pytest.raises(FrameError, match="more than one value"):
        to_parquet(doubled, tmp_path / "f.parquet", layout="wide")


def test_timestamps_are_utc_milliseconds_not_nanoseconds_or_int96(envelope_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "f.parquet")
    schema = pq.ParquetFile(tmp_path / "f.parquet").schema
    for name in ("timestamp", "fetched_at", "start"):
        column = schema.column(schema.names.index(name))
        assert column.physical_type == "INT64"
        logical = json.loads(column.logical_type.to_json())
        assert (logical["Type"], logical["isAdjustedToUTC"], logical["timeUnit"]) == (
            "Timestamp", True, "milliseconds")


def test_nanosecond_frames_are_stored_as_milliseconds_and_come_back_in_their_unit(
        envelope_frame, tmp_path):
    ns = envelope_frame.assign(timestamp=envelope_frame["timestamp"].astype(
        "datetime64[ns, UTC]"))
    back = _round_trip(ns, tmp_path / "f.parquet")
    assert pq.read_schema(tmp_path / "f.parquet").field("timestamp").type == pa.timestamp(
        "ms", tz="UTC")
    pd.testing.assert_frame_equal(back, ns, check_exact=True)


def test_sub_millisecond_timestamps_are_refused(envelope_frame, tmp_path):
    stamps = envelope_frame["timestamp"].astype("datetime64[ns, UTC]") + pd.Timedelta(1, "ns")
    with pytest.raises(FrameError, match="finer than a millisecond"):
        to_parquet(envelope_frame.assign(timestamp=stamps), tmp_path / "f.parquet")


def test_categorical_columns_are_dictionary_encoded_strings(envelope_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "f.parquet")
    meta = pq.ParquetFile(tmp_path / "f.parquet").metadata
    schema = pq.read_schema(tmp_path / "f.parquet")
    names = schema.names
    for name in ("metric", "level", "span", "account"):
        assert pa.types.is_dictionary(schema.field(name).type)
        assert pa.types.is_string(schema.field(name).type.value_type)
        chunk = meta.row_group(0).column(names.index(name))
        assert chunk.physical_type == "BYTE_ARRAY"
        assert "RLE_DICTIONARY" in chunk.encodings


def test_compression_is_snappy_by_default_and_configurable(envelope_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "a.parquet")
    to_parquet(envelope_frame, tmp_path / "b.parquet", compression="zstd")
    assert pq.ParquetFile(tmp_path / "a.parquet").metadata.row_group(0).column(0).compression \
        == "SNAPPY"
    assert pq.ParquetFile(tmp_path / "b.parquet").metadata.row_group(0).column(0).compression \
        == "ZSTD"


def test_metadata_records_version_layout_and_query(envelope_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "f.parquet", metadata={"team": "north"})
    meta = pq.read_schema(tmp_path / "f.parquet").metadata
    assert meta[b"engframe.version"] == engframe.__version__.encode()
    assert meta[b"engframe.layout"] == b"long"
    assert json.loads(meta[b"engframe.query"]) == {
        "account": "56072331", "timeframe": 1440, "interval": 60, "skills": "all",
        "agents": "3", "fetched_at": envelope_frame.attrs["fetched_at"]}
    assert meta[b"team"] == b"north"


def test_read_parquet_gives_the_query_back_in_attrs(envelope_frame, tmp_path):
    back = _round_trip(envelope_frame, tmp_path / "f.parquet")
    assert back.attrs["account"] == "56072331"
    assert back.attrs["fetched_at"] == envelope_frame.attrs["fetched_at"]
    assert back.attrs["query"] == {"account": "56072331", "timeframe": 1440, "interval": 60,
                                   "skillIds": "all", "agentIds": "3"}


SECRETS = ("s3cr3t-client-value", "tok-9f8e7d6c5b4a", "hmac-sig-0123456789")


def test_metadata_never_holds_a_credential(envelope_frame, tmp_path):
    envelope_frame.attrs["query"] = {**envelope_frame.attrs["query"],
                                     "client_secret": SECRETS[0], "access_token": SECRETS[1]}
    envelope_frame.attrs["token"] = SECRETS[1]
    extra = {"Authorization": f"Bearer {SECRETS[1]}", "note": f"oauth_signature={SECRETS[2]}",
             "app_key": SECRETS[0], "team": "north"}
    with pytest.warns(EngframeWarning, match="credential-like") as caught:
        to_parquet(envelope_frame, tmp_path / "f.parquet", metadata=extra)
    raw = (tmp_path / "f.parquet").read_bytes()
    assert not any(secret.encode() in raw for secret in SECRETS)
    assert not any(secret in str(w.message) for w in caught for secret in SECRETS)
    assert pq.read_schema(tmp_path / "f.parquet").metadata[b"team"] == b"north"


def test_a_clean_frame_writes_without_warnings(envelope_frame, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_parquet(envelope_frame, tmp_path / "f.parquet")


@pytest.mark.parametrize("options, match", [
    ({"layout": "tall"}, "layout"),
    ({"compression": "zip"}, "compression"),
    ({"metadata": {"engframe.version": "9"}}, "reserved"),
    ({"metadata": {"team": 7}}, "str to str"),
])
def test_unusable_options_raise_option_error(envelope_frame, tmp_path, options, match):
    with pytest.raises(OptionError, match=match):
        to_parquet(envelope_frame, tmp_path / "f.parquet", **options)


def test_a_frame_that_is_not_tidy_raises_frame_error(tmp_path):
    with pytest.raises(FrameError, match="lacks the tidy column"):
        to_parquet(pd.DataFrame({"a": [1]}), tmp_path / "f.parquet")


def test_a_non_numeric_value_column_raises_frame_error(envelope_frame, tmp_path):
    with pytest.raises(FrameError, match="'value'"):
        to_parquet(envelope_frame.assign(value="x"), tmp_path / "f.parquet")


def test_reading_a_missing_file_raises_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_parquet(tmp_path / "missing.parquet")


def test_reading_a_file_that_is_not_parquet_raises_source_error(tmp_path):
    (tmp_path / "f.parquet").write_text("not parquet")
    with pytest.raises(SourceError, match="not a readable parquet file"):
        read_parquet(tmp_path / "f.parquet")


def test_a_file_written_by_pandas_is_read_with_the_tidy_dtypes(envelope_frame, tmp_path):
    plain = envelope_frame.astype({"metric": str, "level": str, "span": str, "account": str})
    pq.write_table(pa.Table.from_pandas(plain, preserve_index=False).replace_schema_metadata(),
                   tmp_path / "f.parquet")
    back = read_parquet(tmp_path / "f.parquet")
    assert back.dtypes.to_dict() == envelope_frame.dtypes.to_dict()
    assert back["skill"].isna().equals(envelope_frame["skill"].isna())


def test_an_empty_frame_round_trips(tmp_path):
    df = empty_frame()
    pd.testing.assert_frame_equal(_round_trip(df, tmp_path / "f.parquet"), df)
    pd.testing.assert_frame_equal(_round_trip(df, tmp_path / "w.parquet", layout="wide"), df)


def test_an_interrupted_write_leaves_the_old_file(envelope_frame, tmp_path, monkeypatch):
    to_parquet(envelope_frame, tmp_path / "f.parquet")
    before = (tmp_path / "f.parquet").read_bytes()

    def broken(table, where, **options):
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        to_parquet(envelope_frame.iloc[:3], tmp_path / "f.parquet")
    assert (tmp_path / "f.parquet").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["f.parquet"]


@st.composite
def tidy_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 40))
    ints = st.integers(-1, 2**63 - 1)
    metrics = draw(st.lists(st.sampled_from(METRICS) | st.text(min_size=1, max_size=8),
                            min_size=1, max_size=6, unique=True))
    arrays = {
        "timestamp_ms": np.array(draw(st.lists(st.integers(0, 2**42), min_size=n, max_size=n)),
                                 np.int64),
        "skill": np.array(draw(st.lists(ints, min_size=n, max_size=n)), np.int64),
        "agent": np.array(draw(st.lists(ints, min_size=n, max_size=n)), np.int64),
        "metric_codes": np.array(draw(st.lists(st.integers(0, len(metrics) - 1), min_size=n,
                                               max_size=n)), np.int8),
        "value": np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n,
                                        max_size=n)), np.int64),
        "level_codes": np.array(draw(st.lists(st.integers(0, len(LEVELS) - 1), min_size=n,
                                              max_size=n)), np.int8),
        "span_codes": np.array(draw(st.lists(st.integers(0, len(SPANS) - 1), min_size=n,
                                             max_size=n)), np.int8),
    }
    frame = build_frame(metrics=metrics, **arrays)
    if draw(st.booleans()):
        floats = st.floats(allow_nan=True, allow_infinity=True)
        frame["value"] = np.array(draw(st.lists(floats, min_size=n, max_size=n)), np.float64)
    return frame


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=tidy_frames(), layout=st.sampled_from(["long", "wide"]))
def test_any_tidy_frame_round_trips_exactly(df, layout, tmp_path):
    if layout == "wide":
        key = ["timestamp", "skill", "agent", "level", "span", "metric"]
        df = df.drop_duplicates(key).reset_index(drop=True)
    back = _round_trip(df, tmp_path / "f.parquet", layout=layout)
    if layout == "wide":
        back, df = _canonical(back), _canonical(df)
    pd.testing.assert_frame_equal(back, df, check_exact=True)


# -- the file name, and failures to write -------------------------------------------------

@pytest.mark.parametrize("name", ["x.csv", "x.CSV", "x", "x.xlsx", "x.parquet.tmp"])
def test_to_parquet_refuses_a_name_that_is_not_parquet_and_says_what_to_call(name, tmp_path,
                                                                             envelope_frame):
    with pytest.raises(OptionError, match=r"\.parquet or \.pq.*df\.to_csv\(path, index=False\)"):
        to_parquet(envelope_frame, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["x.PARQUET", "x.Parquet", "x.pq", "x.PQ"])
def test_to_parquet_takes_parquet_endings_in_any_case(name, tmp_path, envelope_frame):
    to_parquet(envelope_frame, tmp_path / name)
    assert len(read_parquet(tmp_path / name)) == len(envelope_frame)


def test_writing_into_a_missing_folder_names_the_folder(tmp_path, envelope_frame):
    path = tmp_path / "nodir" / "x" / "out.parquet"
    with pytest.raises(OutputError) as raised:
        to_parquet(envelope_frame, path)
    assert str(raised.value) == (f"cannot write {path}: the folder {path.parent} "
                                 "does not exist")
    assert isinstance(raised.value, OSError)


def test_a_failed_write_names_the_path_never_the_temporary_file(tmp_path, envelope_frame,
                                                                monkeypatch):
    def refused(table, where, **options):
        raise FileNotFoundError(2, f"Failed to open local file '{where}'")

    monkeypatch.setattr(pq, "write_table", refused)
    path = tmp_path / "out.parquet"
    with pytest.raises(OutputError) as raised:
        to_parquet(envelope_frame, path)
    assert str(raised.value) == f"cannot write {path}: No such file or directory"
    assert ".tmp" not in str(raised.value)


# -- units, integer counts, the query of derived frames -----------------------------------

def test_metadata_records_the_unit_of_each_raw_metric(envelope_frame, tmp_path):
    to_parquet(envelope_frame, tmp_path / "f.parquet")
    units = json.loads(pq.read_schema(tmp_path / "f.parquet").metadata[b"engframe.units"])
    assert units == {"connectedEngagements": "engagements", "nonInteractiveTotalHandlingTime": "s",
                     "totalHandlingTime": "s", "totalInteractiveChats": "chats",
                     "totalNonInteractiveChats": "chats"}


def test_metadata_records_derived_units_including_your_own_formulas(envelope_frame, tmp_path):
    minutes = engframe.formula("ahtMinutes", "totalHandlingTime / totalInteractiveChats",
                               unit="min", scale=1 / 60)
    derived = engframe.derive(envelope_frame, by="agent", metrics=[minutes, "totalChats"])
    back = _round_trip(derived, tmp_path / "f.parquet")
    assert back.attrs["units"] == {"ahtMinutes": "min", "totalChats": "chats"}


def test_a_derived_file_records_the_query_of_its_source(envelope_frame, tmp_path):
    derived = engframe.derive(envelope_frame, by="agent")
    to_parquet(derived, tmp_path / "f.parquet", layout="wide")
    query = json.loads(pq.read_schema(tmp_path / "f.parquet").metadata[b"engframe.query"])
    assert query["account"] == "56072331" and query["timeframe"] == 1440


def test_wide_derived_files_store_counts_as_integers_and_averages_as_floats(envelope_frame,
                                                                            tmp_path):
    derived = engframe.derive(envelope_frame, by=["agent", "timestamp"], components=True)
    to_parquet(derived, tmp_path / "f.parquet", layout="wide")
    schema = pq.read_schema(tmp_path / "f.parquet")
    for name in ("totalChats", "totalHandlingTime", "totalInteractiveChats"):
        assert schema.field(name).type == pa.int64()
    for name in ("avgInteractiveHandlingTime", "interactiveShare", "hours"):
        assert schema.field(name).type == pa.float64()
    back = read_parquet(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(_canonical(back), _canonical(derived), check_exact=True)


@pytest.mark.parametrize("claimed", ["unused", "chats_per_hour"])
def test_a_claimed_integer_metric_that_is_not_whole_stays_float(claimed, derived_frame,
                                                                tmp_path):
    # "unused" holds a NaN, "chats_per_hour" fractions: integers would lose them
    derived_frame.attrs["integer_metrics"] = [claimed]
    to_parquet(derived_frame, tmp_path / "f.parquet", layout="wide")
    assert pq.read_schema(tmp_path / "f.parquet").field(claimed).type == pa.float64()
    back = read_parquet(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(_canonical(back), _canonical(derived_frame), check_exact=True)


# -- page checksums: a damaged file is refused, never read as data (issue 12) --------------

#: A value whose 8 bytes appear in the file's data page (and its statistics) only.
DISTINCT = 81_985_529_216_486_895


def _flip_a_value_byte(path: Path) -> None:
    """Flip one bit of the first copy of DISTINCT's bytes: the data page's."""
    data = bytearray(path.read_bytes())
    at = data.find(DISTINCT.to_bytes(8, "little"))
    assert at > 0
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _distinct_frame() -> pd.DataFrame:
    return engframe.flatten(json.dumps({"metricsTotals": {"totalInteractiveChats": DISTINCT}}))


def test_every_page_written_carries_a_checksum(tmp_path):
    path = tmp_path / "f.parquet"
    to_parquet(_distinct_frame(), path, compression="none")
    _flip_a_value_byte(path)
    # without verification the flipped bit reads as another number: what checksums prevent
    assert pq.read_table(path).column("value").to_pylist() == [DISTINCT - 1]
    with pytest.raises(OSError, match="CRC checksum"):
        pq.read_table(path, page_checksum_verification=True)


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_a_flipped_byte_is_a_source_error_naming_the_file(layout, tmp_path):
    path = tmp_path / "f.parquet"
    to_parquet(_distinct_frame(), path, compression="none", layout=layout)
    _flip_a_value_byte(path)
    with pytest.raises(SourceError, match=r"f\.parquet: damaged: a page's checksum") as caught:
        read_parquet(path)
    assert str(path) in str(caught.value)


def test_an_undamaged_compressed_file_with_checksums_reads_back(envelope_frame, tmp_path):
    pd.testing.assert_frame_equal(_round_trip(envelope_frame, tmp_path / "f.parquet",
                                              compression="zstd"), envelope_frame)


def test_a_file_written_without_checksums_still_reads(envelope_frame, tmp_path):
    table = pa.Table.from_pandas(envelope_frame, preserve_index=False)
    pq.write_table(table, tmp_path / "old.parquet")  # no page checksums, as engframe 0.1
    assert len(read_parquet(tmp_path / "old.parquet")) == len(envelope_frame)


# -- frames with names ---------------------------------------------------------------------

def _named(frame: pd.DataFrame) -> pd.DataFrame:
    from engframe.names import Names, attach_names

    names = Names(agents=pd.DataFrame({"agent": [2], "agent_name": ["Dana Levi"],
                                       "agent_group": [10]}),
                  agent_groups=pd.DataFrame({"agent_group": [10],
                                             "agent_group_name": ["Tier 1"]}))
    return attach_names(frame, names, warn=False)


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_a_frame_with_names_round_trips_with_its_name_columns(layout, envelope_frame, tmp_path):
    named = _named(envelope_frame)
    back = _round_trip(named, tmp_path / "f.parquet", layout=layout)
    if layout == "wide":
        back = back.sort_values(SORT_KEY, kind="stable").reset_index(drop=True)
        named = _canonical(named)
    back.attrs = named.attrs = {}
    pd.testing.assert_frame_equal(back, named)


def test_name_columns_are_dictionary_strings_and_the_team_an_integer(envelope_frame, tmp_path):
    to_parquet(_named(envelope_frame), tmp_path / "f.parquet")
    schema = pq.read_schema(tmp_path / "f.parquet")
    for name in ("skill_name", "agent_name", "agent_group_name"):
        assert pa.types.is_dictionary(schema.field(name).type)
        assert pa.types.is_string(schema.field(name).type.value_type)
    assert schema.field("agent_group").type == pa.int64()
