"""``read_dataset`` reads only what is asked: the same rows as filtering the whole frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.errors import OptionError
from tests.test_lazy_derive import BASE_MS, MINUTE, simulated_history


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans = [(BASE_MS + 7 * MINUTE + h * 90 * MINUTE, 5, 240) for h in range(2)]
    return simulated_history(tmp_path_factory.mktemp("history"), plans)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype({c: str for c in ("metric", "level", "account") if c in df.columns})
    return out.reset_index(drop=True)


def test_filters_keep_what_filtering_the_frame_keeps(history: Path) -> None:
    full = engframe.read_dataset(history)
    skills = sorted(int(s) for s in full["skill"].dropna().unique()[:2])
    metrics = ["totalHandlingTime", "connectedEngagements"]
    got = engframe.read_dataset(history, skills=skills, metrics=metrics,
                                levels=["skill_agent", "skill", "agent"])
    kept = full[full["skill"].isin(skills).fillna(False).to_numpy(bool)
                & full["metric"].isin(metrics).to_numpy(bool)
                & full["level"].isin(["skill_agent", "skill"]).to_numpy(bool)]
    pd.testing.assert_frame_equal(_plain(got), _plain(kept))


def test_agents_filter_leaves_out_the_levels_without_agents(history: Path) -> None:
    full = engframe.read_dataset(history)
    agent = int(full["agent"].dropna().iloc[0])
    got = engframe.read_dataset(history, agents=agent)
    assert set(got["level"].unique()) <= {"agent", "skill_agent"}
    assert (got["agent"] == agent).all()


def test_columns_reads_only_the_columns_asked(history: Path) -> None:
    got = engframe.read_dataset(history, columns=["start"])
    assert got.columns.tolist() == ["timestamp", "skill", "agent", "metric", "value", "level",
                                    "span", "method", "start"]
    full = engframe.read_dataset(history)
    assert np.array_equal(got["start"].to_numpy(), full["start"].to_numpy())
    named = engframe.read_dataset(history, columns=[], names=True)
    assert "account" in named.columns  # names are joined account by account


def test_codes_stay_small(history: Path) -> None:
    frame = engframe.read_dataset(history)
    assert frame["metric"].cat.codes.dtype == np.int8
    assert frame["account"].cat.codes.dtype == np.int8


@pytest.mark.parametrize("options", [{"columns": ["nope"]}, {"metrics": [""]},
                                     {"skills": ["x"]}])
def test_unusable_filters_are_refused(history: Path, options: dict) -> None:
    with pytest.raises(OptionError, match="read_dataset"):
        engframe.read_dataset(history, **options)
