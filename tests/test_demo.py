"""``engframe demo``: every output it promises, checked for content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

import engframe
from engframe.demo import run_demo

#: 2026-11-25 20:29 UTC, a Wednesday evening: a busy day behind it.
NOW_MS = 1_795_638_540_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    return run_demo(out, now_ms=NOW_MS, echo=lines.append), lines, out


def test_the_frame_covers_a_day_in_hourly_intervals_for_all_skills_and_agents(demo):
    result, _, _ = demo
    frame = result.frame
    intervals = frame.loc[frame["span"] == "interval", "timestamp"].drop_duplicates()
    assert 24 <= len(intervals) <= 25
    assert frame["skill"].nunique() == 10 and frame["agent"].nunique() > 40
    assert not frame.loc[frame["timestamp"] == intervals.max(), "complete"].all()


def test_history_dataset_holds_every_row(demo):
    result, _, _ = demo
    stored = engframe.read_dataset(result.files["history"])
    assert len(stored) == len(result.frame)
    assert stored["value"].sum() == result.frame["value"].sum()


def test_wide_files_read_back(demo):
    result, _, _ = demo
    wide = engframe.read_parquet(result.files["wide"])
    assert len(wide) == len(result.frame)
    derived = engframe.read_parquet(result.files["derived"])
    assert "avgInteractiveHandlingTime" in set(derived["metric"].astype(str))
    assert derived["value"].dtype == np.float64


def test_raw_envelopes_replay_offline(demo):
    result, _, _ = demo
    replayed = engframe.load(result.files["raw"])
    assert len(replayed) == len(result.frame)


@pytest.mark.parametrize("chart", ["activity", "ranking", "drift"])
def test_charts_are_real_pictures(demo, chart):
    result, _, _ = demo
    path: Path = result.files[chart]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.05  # not a blank canvas


def test_reconciliation_shows_rounding_but_no_mismatch(demo):
    result, _, _ = demo
    statuses = result.checks["status"].astype(str).value_counts()
    assert statuses.get("mismatch", 0) == 0
    assert statuses.get("rounding", 0) > 0 and statuses.get("ok", 0) > 0
    assert result.summary.startswith(f"{len(result.checks)} checks:")


def test_it_prints_what_it_did_and_the_top_tables(demo):
    _, lines, out = demo
    text = "\n".join(lines)
    assert "top 5 skills by chats" in text and "top 5 agents by chats" in text
    assert str(out) in text and "reconciled:" in text


def test_running_twice_changes_no_history(demo):
    result, _, out = demo
    again = run_demo(out, now_ms=NOW_MS, echo=None)
    stored = engframe.read_dataset(again.files["history"])
    assert len(stored) == len(result.frame)
