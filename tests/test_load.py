"""engframe.load from files and folders of saved responses."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe.schema import COLUMNS


def test_folder_gives_one_frame_with_a_source_column(samples_dir):
    df = engframe.load(samples_dir)
    assert tuple(df.columns) == (*COLUMNS, "source")
    assert df.groupby("source", observed=True).size().to_dict() == {
        "account.json": 5, "account_intervals.json": 20, "agent_2_intervals.json": 30,
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
