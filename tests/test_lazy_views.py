"""``engframe views``: a DuckDB file of views whose derived metrics equal ``derive``'s."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.cli import main
from engframe.derive import DERIVED
from engframe.errors import SourceError
from engframe.lazy import VIEWS_FILE, write_views
from tests.test_lazy_derive import BASE_MS, MINUTE, simulated_history


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans = [(BASE_MS + h * 60 * MINUTE + 7_123, 5, 1440) for h in (0, 20)]
    return simulated_history(tmp_path_factory.mktemp("history"), plans)


def _view(path: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql(f"SELECT * FROM {name}").df()


@pytest.mark.parametrize(("view", "by", "names"), [
    ("derived_by_agent_day", ["account", "agent", "day"], False),
    ("derived_by_skill_hour", ["account", "skill", "hour"], False),
    ("derived_by_skill", ["account", "skill"], False),
    ("derived_by_team_day", ["account", "agent_group", "day"], True),
])
def test_a_derived_view_equals_derive(history: Path, view: str, by: list[str],
                                      names: bool) -> None:
    written = write_views(history)
    table = _view(written.path, view)
    source = engframe.read_dataset(history, names=True) if names else history
    derived = engframe.to_wide(engframe.derive(source, by=by))
    keys = [k for k in by if k not in ("day", "hour")]
    for frame in (table, derived):
        for grain in ("day", "hour"):
            if grain in by:  # a DATE, a TIMESTAMPTZ, a tz-aware column: one UTC instant
                frame[grain] = pd.to_datetime(frame[grain], utc=True)
        frame["account"] = frame["account"].astype(str)
        for key in keys[1:]:
            frame[key] = frame[key].astype("Int64")
    order = [*keys, *(g for g in ("day", "hour") if g in by)]
    table = table.sort_values(order).reset_index(drop=True)
    derived = derived.sort_values(order).reset_index(drop=True)
    assert len(table) == len(derived)
    for metric in DERIVED:
        np.testing.assert_allclose(table[metric].to_numpy(np.float64),
                                   derived[metric].to_numpy(np.float64), rtol=1e-12)


def test_the_views_file_lies_in_the_history(history: Path) -> None:
    written = write_views(history)
    assert written.path == history.resolve() / VIEWS_FILE
    assert {"facts_agent", "periods", "skills", "derived_by_team"} <= set(written.views)
    facts = _view(written.path, "facts_agent")
    assert {"day", "hour", "agent_name", "agent_group_name", "value"} <= set(facts.columns)
    # the history still reads as before
    assert len(engframe.read_dataset(history, levels=["agent"])) == len(facts)


def test_hour_views_are_left_out_where_periods_straddle_hours(tmp_path: Path) -> None:
    root = simulated_history(tmp_path / "h", [(BASE_MS + 3 * 60 * MINUTE + 3 * MINUTE, 60, 600)])
    written = write_views(root)
    assert "derived_by_skill_hour" not in written.views
    assert any(why.startswith("derived_by_hour: periods of 60-minute") for why in written.left_out)
    assert "derived_by_agent" in written.views


def test_a_folder_that_is_no_history_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a history"):
        write_views(tmp_path)


def test_the_command_writes_the_views(history: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bi.duckdb"
    assert main(["views", str(history), "-o", str(out)]) == 0
    assert out.is_file() and "derived_by_agent" in capsys.readouterr().out
