"""engframe.load from files and folders of saved responses."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.schema import COLUMNS


def test_folder_gives_one_frame_with_a_source_column(samples_dir):
    df = engframe.load(samples_dir)
    assert tuple(df.columns) == (*COLUMNS, "method", "source")
    assert df.groupby("source", observed=True).size().to_dict() == {
        "account.json": 5, "account_intervals.json": 20, "agent_2_intervals.json": 30,
        "live_skill_unassigned.json": 190,
        "skill_2.json": 15, "skill_agent_no_data.json": 10,
        "skill_no_data_intervals.json": 20, "skills_all_agent_3.json": 25,
    }
    assert isinstance(df["metric"].dtype, pd.CategoricalDtype)
    assert isinstance(df["level"].dtype, pd.CategoricalDtype)


def test_folder_rows_match_each_file_flattened_alone(samples_dir):
    df = engframe.load(samples_dir)
    alone = engframe.flatten(samples_dir / "skill_2.json")
    part = df[df["source"] == "skill_2.json"].drop(columns="source").reset_index(drop=True)
    pd.testing.assert_frame_equal(part, alone, check_categorical=False)


def test_the_samples_keep_counts_integer(samples_dir):
    """The messaging sample (floats) sits apart, so the chat samples load as integers."""
    assert engframe.load(samples_dir)["value"].dtype == np.int64
    messaging = engframe.load(samples_dir / "messaging")
    assert messaging["value"].dtype == np.float64
    assert engframe.load(samples_dir, recursive=True)["value"].dtype == np.float64


def test_folder_mixing_envelopes_and_plain_files(tmp_path: Path, sample):
    (tmp_path / "a.json").write_text(json.dumps(sample("account")))
    wrapped = {"request": {"account": "1", "timeframe": 60}, "fetched_at": "2026-01-01T00:02:00Z",
               "response": sample("account")}
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps(wrapped).encode()))
    (tmp_path / "notes.txt").write_text("not a response")
    df = engframe.load(tmp_path)
    assert df["source"].unique().tolist() == ["a.json", "b.json.gz"]
    plain = df[df["source"] == "a.json"]
    assert plain["fetched_at"].isna().all() and plain["complete"].isna().all()
    assert plain["account"].isna().all()
    saved = df[df["source"] == "b.json.gz"]
    assert (saved["account"] == "1").all()
    assert saved["complete"].dtype == pd.BooleanDtype()


def test_recursive_folder(tmp_path: Path, sample):
    (tmp_path / "day1").mkdir()
    (tmp_path / "day1" / "r.json").write_text(json.dumps(sample("account")))
    with pytest.raises(engframe.SourceError, match="holds no saved responses"):
        engframe.load(tmp_path)
    df = engframe.load(tmp_path, recursive=True)
    assert df["source"].unique().tolist() == ["day1/r.json"]


def test_missing_path_is_a_source_error(tmp_path: Path):
    with pytest.raises(engframe.SourceError, match="no such file or folder"):
        engframe.load(tmp_path / "nope")


def test_load_accepts_whatever_flatten_accepts(sample):
    response = sample("skills_all_agent_3")
    pd.testing.assert_frame_equal(engframe.load(response), engframe.flatten(response))
    pd.testing.assert_frame_equal(engframe.load(json.dumps(response)), engframe.flatten(response))


def test_bad_file_in_a_folder_is_named(tmp_path: Path):
    (tmp_path / "good.json").write_text('{"metricsTotals": {"x": 1}}')
    (tmp_path / "bad.json").write_text('{"metricsTotals": {"x": [1]}}')
    with pytest.raises(engframe.ResponseError, match=r"bad\.json: metricsTotals\.x"):
        engframe.load(tmp_path)


def saved(response: dict, *, fetched_at: str, **request: object) -> dict:
    return {"request": {"account": "56072331", "timeframe": 60, "interval": None, **request},
            "fetched_at": fetched_at, "from_cache": False, "response": response}


def test_folder_attrs_keep_what_every_source_agrees_on(tmp_path: Path, sample):
    for name, fetched in (("a.json", "2026-01-01T00:02:00Z"), ("b.json", "2026-01-01T01:07:00Z")):
        wrapped = saved(sample("skill_2"), fetched_at=fetched, skillIds="2")  # windows apart
        (tmp_path / name).write_text(json.dumps(wrapped))
    df = engframe.load(tmp_path)
    assert df.attrs["query"]["skillIds"] == "2"
    assert df.attrs["account"] == "56072331" and df.attrs["from_cache"] is False
    assert "fetched_at" not in df.attrs and "window" not in df.attrs


def test_folder_attrs_are_empty_when_sources_share_nothing(samples_dir):
    assert engframe.load(samples_dir).attrs == {}


def test_max_bytes_refuses_a_larger_file_naming_it(tmp_path: Path, sample):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(sample("account")))
    with pytest.raises(engframe.ResponseError, match=r"r\.json: .*at most 100 bytes"):
        engframe.load(path, max_bytes=100)
    assert len(engframe.load(path, max_bytes=path.stat().st_size)) == 5


def test_max_bytes_applies_to_every_file_of_a_folder(tmp_path: Path, sample):
    (tmp_path / "small.json").write_text('{"metricsTotals": {"x": 1}}')
    (tmp_path / "big.json").write_text(json.dumps(sample("skill_2")))
    with pytest.raises(engframe.ResponseError, match=r"big\.json"):
        engframe.load(tmp_path, max_bytes=100)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1000", True])
def test_max_bytes_must_be_a_positive_integer(samples_dir, bad):
    with pytest.raises(engframe.OptionError, match="max_bytes"):
        engframe.load(samples_dir, max_bytes=bad)


def test_a_folder_mixing_decimals_and_huge_integers_names_the_integer(tmp_path: Path, sample):
    (tmp_path / "msg.json").write_text(json.dumps(sample("messaging/msgconversation")))
    (tmp_path / "big.json").write_text('{"metricsByIntervals": [{"timestamp": 300000, '
                                       '"metricsData": {"metricsTotals": {"x": 1}}}, '
                                       '{"timestamp": 600000, "metricsData": {"metricsTotals": '
                                       '{"x": 9007199254740993}}}]}')
    with pytest.raises(engframe.ResponseError) as caught:
        engframe.load(tmp_path)
    assert caught.value.source == str(tmp_path / "big.json")
    assert caught.value.path == "metricsByIntervals[1].metricsData.metricsTotals.x"
