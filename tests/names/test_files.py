"""Names saved beside saved responses, read back, and joined by engframe.load offline."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe.errors import EngframeWarning, OptionError, ResponseError, SourceError
from engframe.names import NAME_COLUMNS, Names, find_names, read_names

SAMPLE = "skills_all_agent_3.json"


@pytest.fixture
def raw(tmp_path: Path, samples_dir: Path) -> Path:
    """A folder of saved responses: one sample file."""
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(samples_dir / SAMPLE, folder / SAMPLE)
    return folder


def sample_names(skill_name: str = "Sales", read_at: str = "2026-11-27T13:00:00Z") -> Names:
    return Names(
        skills=pd.DataFrame({"skill": [2], "skill_name": [skill_name]}),
        agents=pd.DataFrame({"agent": [3], "agent_name": ["Dana Levi"], "agent_group": [9]}),
        agent_groups=pd.DataFrame({"agent_group": [9], "agent_group_name": ["Tier 1"]}),
        read_at=read_at, account="56072331",
    )


def test_names_are_saved_in_a_names_subfolder(raw: Path) -> None:
    path = sample_names().save(raw)
    assert path == raw / "names" / "names_56072331_20261127T130000000Z.json"


def test_saved_names_read_back_the_same(raw: Path, names: Names) -> None:
    back = read_names(names.save(raw))
    for kind in ("skills", "agents", "agent_groups"):
        pd.testing.assert_frame_equal(getattr(back, kind), getattr(names, kind))
    assert (back.read_at, back.account) == (names.read_at, names.account)


def test_what_failed_is_saved_too(raw: Path) -> None:
    names = Names(failed={"agents": "AuthError: HTTP 403"}, read_at="2026-11-27T13:00:00Z")
    assert dict(read_names(names.save(raw)).failed) == {"agents": "AuthError: HTTP 403"}


def test_the_saved_file_is_readable_json_with_the_tidy_column_names(raw: Path) -> None:
    document = json.loads(sample_names().save(raw).read_text())
    assert document["skills"] == [{"skill": 2, "skill_name": "Sales", "description": None,
                                   "deleted": False}]
    assert document["read_at"] == "2026-11-27T13:00:00.000Z"


def test_a_folder_reads_its_newest_names(raw: Path) -> None:
    sample_names("Old", "2026-11-27T10:00:00Z").save(raw)
    sample_names("New", "2026-11-27T12:00:00Z").save(raw)
    sample_names("Older", "2026-11-26T23:00:00Z").save(raw)
    assert read_names(raw).skills["skill_name"].tolist() == ["New"]


def test_the_source_is_the_file_read(raw: Path) -> None:
    path = sample_names().save(raw)
    assert read_names(raw).source == str(path)


def test_a_folder_without_names_is_a_source_error(raw: Path) -> None:
    with pytest.raises(SourceError, match="holds no saved names"):
        read_names(raw)


def test_a_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_names(tmp_path / "nowhere.json")


def test_a_damaged_names_file_names_the_file_and_path(raw: Path) -> None:
    path = sample_names().save(raw)
    document = json.loads(path.read_text())
    document["agents"][0]["agent"] = "three"
    path.write_text(json.dumps(document))
    with pytest.raises(ResponseError) as caught:
        read_names(path)
    assert caught.value.path == "agents[0].agent"
    assert caught.value.source == str(path)


def test_a_file_that_is_not_names_is_refused(raw: Path) -> None:
    with pytest.raises(ResponseError, match="engframe_names"):
        read_names(raw / SAMPLE)


def test_load_of_a_folder_joins_the_names_saved_there(raw: Path) -> None:
    sample_names().save(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = engframe.load(raw, names=True)
    pair = df.loc[df["level"] == "skill_agent", ["skill_name", "agent_name",
                                                  "agent_group_name"]].iloc[0]
    assert pair.tolist() == ["Sales", "Dana Levi", "Tier 1"]
    assert df.attrs["names"]["source"].endswith(".json")


def test_load_of_a_folder_never_reads_names_as_responses(raw: Path) -> None:
    sample_names().save(raw)
    for recursive in (False, True):
        df = engframe.load(raw, recursive=recursive)
        assert df["source"].unique().tolist() == [SAMPLE]


def test_load_of_a_file_looks_for_names_beside_it(raw: Path) -> None:
    sample_names().save(raw)
    df = engframe.load(raw / SAMPLE, names=True)
    assert "Sales" in df["skill_name"].tolist()


def test_find_names_beside_a_saved_response_finds_those_of_its_folder(raw: Path) -> None:
    saved = sample_names().save(raw)
    assert find_names(raw / SAMPLE) == saved


def test_find_names_without_names_saved_finds_none(raw: Path) -> None:
    assert find_names(raw / SAMPLE) is None


def test_load_with_no_names_saved_falls_back_with_one_warning(raw: Path) -> None:
    with pytest.warns(EngframeWarning) as caught:
        df = engframe.load(raw, names=True)
    assert len(caught) == 1
    assert "no names saved in" in str(caught[0].message)
    assert df["agent_name"].dropna().unique().tolist() == ["agent 3"]


def test_load_takes_a_names_object_or_a_path(raw: Path, tmp_path: Path) -> None:
    names = sample_names()
    path = names.save(tmp_path / "elsewhere")
    given = engframe.load(raw, names=names)
    read = engframe.load(raw, names=path)
    assert given["skill_name"].tolist() == read["skill_name"].tolist()
    assert list(given.columns[-4:]) == list(NAME_COLUMNS)


def test_load_without_names_adds_no_columns(raw: Path) -> None:
    sample_names().save(raw)
    assert not set(NAME_COLUMNS) & set(engframe.load(raw).columns)


def test_names_true_for_a_response_in_memory_is_refused() -> None:
    with pytest.raises(OptionError, match="not a file or folder"):
        engframe.load({"metricsTotals": {"totalInteractiveChats": 1}}, names=True)


def test_a_bad_names_option_is_refused_before_reading(raw: Path) -> None:
    with pytest.raises(OptionError, match="names=5"):
        engframe.load(raw, names=5)  # type: ignore[arg-type]


def test_names_with_a_failed_table_are_saved_as_partial(raw: Path) -> None:
    names = Names(failed={"agents": "AuthError: HTTP 403"}, read_at="2026-11-27T13:00:00Z")
    assert names.save(raw).name.endswith("_partial.json")


def test_a_newer_partial_file_does_not_hide_complete_names(raw: Path) -> None:
    sample_names("Complete", "2026-11-27T10:00:00Z").save(raw)
    Names(failed={"agents": "HTTP 403"}, read_at="2026-11-27T12:00:00Z").save(raw)
    assert read_names(raw).skills["skill_name"].tolist() == ["Complete"]


def test_a_partial_file_is_read_when_there_is_nothing_else(raw: Path) -> None:
    Names(failed={"agents": "HTTP 403"}, read_at="2026-11-27T12:00:00Z").save(raw)
    assert set(read_names(raw).failed) == {"agents"}
