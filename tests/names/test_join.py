"""attach_names: the name columns, their dtypes, NA rules, fallbacks, warnings and attrs."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe.errors import EngframeWarning, FrameError, OptionError
from engframe.names import NAME_COLUMNS, Names, attach_names
from engframe.names._join import _factorize

from .conftest import Row, sample_names

Tidy = Callable[[list[Row]], pd.DataFrame]
X = "totalInteractiveChats"


def quiet(df: pd.DataFrame, names: Names) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # these frames must need no warning
        return attach_names(df, names)


def test_four_columns_are_added_at_the_end(tidy: Tidy, names: Names) -> None:
    df = tidy([("skill_agent", 10, 1, X, 3)])
    out = quiet(df, names)
    assert list(out.columns) == [*df.columns, *NAME_COLUMNS]


def test_name_columns_are_categorical_and_the_group_id_is_int64(
    tidy: Tidy, names: Names
) -> None:
    out = quiet(tidy([("skill_agent", 10, 1, X, 3)]), names)
    assert [str(out[c].dtype) for c in NAME_COLUMNS] == ["category", "category", "Int64",
                                                         "category"]


def test_each_row_gets_its_skills_and_agents_names_and_team(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([("skill_agent", 10, 1, X, 3), ("skill_agent", 11, 3, X, 4)]), names)
    assert out["skill_name"].tolist() == ["Sales", "Billing"]
    assert out["agent_name"].tolist() == ["Dana Levi", "Omar Haddad"]
    assert out["agent_group"].tolist() == [100, 200]
    assert out["agent_group_name"].tolist() == ["Tier 1", "Tier 2"]


def test_rows_without_a_skill_or_agent_get_na(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([("skill", 10, None, X, 1), ("agent", None, 2, X, 1),
                      ("account", None, None, X, 1)]), names)
    assert out["skill_name"].isna().tolist() == [False, True, True]
    assert out["agent_name"].isna().tolist() == [True, False, True]
    assert out["agent_group"].isna().tolist() == [True, False, True]
    assert out["agent_group_name"].isna().tolist() == [True, False, True]


def test_an_agent_without_a_group_has_na_group(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([("agent", None, 4, X, 1)]), names)
    assert out["agent_name"].tolist() == ["ops.login"]
    assert out["agent_group"].isna().all() and out["agent_group_name"].isna().all()


def test_skill_minus_one_is_unassigned_and_not_unknown(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([("skill", -1, None, X, 5)]), names)
    assert out["skill_name"].tolist() == ["Unassigned"]
    assert out.attrs["names"]["unknown"]["skill"] == []


def test_unknown_ids_get_a_readable_fallback(tidy: Tidy, names: Names) -> None:
    df = tidy([("skill_agent", 3867783315, 1282939616, X, 1)])
    with pytest.warns(EngframeWarning):
        out = attach_names(df, names)
    assert out["skill_name"].tolist() == ["skill 3867783315"]
    assert out["agent_name"].tolist() == ["agent 1282939616"]
    assert out["agent_group"].isna().all() and out["agent_group_name"].isna().all()


def test_unknown_ids_are_reported_in_one_warning_with_a_few_ids(
    tidy: Tidy, names: Names
) -> None:
    rows: list[Row] = [("agent", None, 1000 + i, X, 1) for i in range(8)]
    rows.append(("skill", 77, None, X, 1))
    with pytest.warns(EngframeWarning) as caught:
        attach_names(tidy(rows), names)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "8 agent ids" in message and "1000, 1001, 1002, 1003, 1004 and 3 more" in message
    assert "1 skill id" in message and "77" in message


def test_unknown_ids_are_recorded_in_attrs(tidy: Tidy, names: Names) -> None:
    with pytest.warns(EngframeWarning):
        out = attach_names(tidy([("agent", None, 9, X, 1), ("skill", 8, None, X, 1)]), names)
    assert out.attrs["names"]["unknown"] == {"skill": [8], "agent": [9], "agent_group": []}


def test_a_group_the_configuration_does_not_know_gets_a_fallback(tidy: Tidy) -> None:
    names = Names(agents=pd.DataFrame({"agent": [1], "agent_name": ["A"],
                                       "agent_group": [55]}))
    with pytest.warns(EngframeWarning, match="1 agent group id"):
        out = attach_names(tidy([("agent", None, 1, X, 1)]), names)
    assert out["agent_group"].tolist() == [55]
    assert out["agent_group_name"].tolist() == ["group 55"]


def test_namesakes_stay_two_categories(tidy: Tidy) -> None:
    names = Names(agents=pd.DataFrame({"agent": [1, 2], "agent_name": ["Dana Levi"] * 2}))
    out = quiet(tidy([("agent", None, 1, X, 1), ("agent", None, 2, X, 1)]), names)
    assert out["agent_name"].tolist() == ["Dana Levi (1)", "Dana Levi (2)"]
    assert len(out["agent_name"].cat.categories) == 2


def test_categories_are_sorted_by_name(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([("skill", 10, None, X, 1), ("skill", 11, None, X, 1)]), names)
    assert out["skill_name"].cat.categories.tolist() == ["Billing", "Sales"]


def test_the_input_frame_is_left_alone(tidy: Tidy, names: Names) -> None:
    df = tidy([("skill_agent", 10, 1, X, 3)])
    df.attrs["query"] = {"timeframe": 60}
    before = df.copy()
    quiet(df, names)
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"query": {"timeframe": 60}}


def test_attaching_again_replaces_the_columns(tidy: Tidy, names: Names) -> None:
    once = quiet(tidy([("skill_agent", 10, 1, X, 3)]), names)
    other = Names(skills=pd.DataFrame({"skill": [10], "skill_name": ["Sales EMEA"]}),
                  agents=names.agents, agent_groups=names.agent_groups)
    twice = quiet(once, other)
    assert list(twice.columns) == list(once.columns)
    assert twice["skill_name"].tolist() == ["Sales EMEA"]


def test_attrs_keep_the_frames_and_add_where_the_names_came_from(
    tidy: Tidy, names: Names
) -> None:
    df = tidy([("skill", 10, None, X, 1)])
    df.attrs["query"] = {"timeframe": 60}
    out = quiet(df, names)
    assert out.attrs["query"] == {"timeframe": 60}
    recorded = out.attrs["names"]
    assert recorded["read_at"] == "2026-11-27T13:00:00+00:00"
    assert recorded["account"] == "56072331" and recorded["source"] == "given"
    assert recorded["failed"] == {}


def test_names_that_could_not_be_read_give_one_warning_saying_why(tidy: Tidy) -> None:
    names = Names(failed={"agents": "AuthError: HTTP 403 Forbidden from https://h/users"})
    with pytest.warns(EngframeWarning) as caught:
        out = attach_names(tidy([("skill_agent", 10, 1, X, 1)]), names)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "agents: AuthError: HTTP 403" in message
    assert "not in the account's configuration" not in message.split("agents:")[0]
    assert out["agent_name"].tolist() == ["agent 1"]
    assert out.attrs["names"]["failed"] == {"agents": names.failed["agents"]}


def test_warn_false_keeps_quiet(tidy: Tidy, names: Names) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = attach_names(tidy([("agent", None, 99, X, 1)]), names, warn=False)
    assert out.attrs["names"]["unknown"]["agent"] == [99]


def test_an_empty_frame_gets_empty_name_columns(tidy: Tidy, names: Names) -> None:
    out = quiet(tidy([]), names)
    assert out.empty and list(out.columns[-4:]) == list(NAME_COLUMNS)


def test_a_derived_frame_can_take_names(names: Names) -> None:
    df = engframe.load("data/samples/skills_all_agent_3.json")
    named = Names(agents=pd.DataFrame({"agent": [3], "agent_name": ["Dana Levi"]}))
    out = quiet(engframe.derive(df, by="agent", metrics=["totalChats"]), named)
    assert out["agent_name"].tolist() == ["Dana Levi"]


def test_something_else_than_names_is_refused(tidy: Tidy) -> None:
    with pytest.raises(OptionError, match=r"engframe\.names\.Names"):
        attach_names(tidy([]), {"skills": {}})  # type: ignore[arg-type]


def test_a_frame_that_is_not_tidy_is_refused(names: Names) -> None:
    with pytest.raises(FrameError, match="attach_names"):
        attach_names(pd.DataFrame({"agent": [1]}), names)


agent_ids = st.sampled_from([1, 2, 3, 4, 5, 2**40, None])
skill_ids = st.sampled_from([10, 11, -1, 12, None])


@given(rows=st.lists(st.tuples(skill_ids, agent_ids), max_size=40))
def test_the_join_matches_a_row_by_row_lookup(rows: list[tuple[int | None, int | None]]) -> None:
    names = sample_names()
    df = pd.DataFrame({
        "timestamp": pd.Series([pd.NaT] * len(rows), dtype="datetime64[ms, UTC]"),
        "skill": pd.array([s for s, _ in rows], dtype="Int64"),
        "agent": pd.array([a for _, a in rows], dtype="Int64"),
        "metric": pd.Categorical([X] * len(rows)),
        "value": np.ones(len(rows), dtype=np.int64),
        "level": pd.Categorical(["skill_agent"] * len(rows)),
        "span": pd.Categorical(["timeframe"] * len(rows)),
    })
    out = attach_names(df, names, warn=False)
    skills = dict(zip(names.skills["skill"], names.skills["skill_name"], strict=True))
    agents = names.agents.set_index("agent")
    groups = dict(zip(names.agent_groups["agent_group"],
                      names.agent_groups["agent_group_name"], strict=True))
    for i, (skill, agent) in enumerate(rows):
        expected_skill = (None if skill is None else "Unassigned" if skill == -1
                          else skills.get(skill, f"skill {skill}"))
        assert (None if pd.isna(out["skill_name"][i]) else out["skill_name"][i]) == \
            expected_skill
        if agent is None or agent not in agents.index:
            expected = None if agent is None else f"agent {agent}"
            assert (None if pd.isna(out["agent_name"][i]) else out["agent_name"][i]) == expected
            assert pd.isna(out["agent_group"][i])
            continue
        group = agents.loc[agent, "agent_group"]
        assert out["agent_name"][i] == agents.loc[agent, "agent_name"]
        assert (pd.isna(out["agent_group"][i]) and pd.isna(group)) or \
            out["agent_group"][i] == group
        if not pd.isna(group):
            assert out["agent_group_name"][i] == groups[group]


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), run=st.sampled_from([1, 5, 40, 3000]))
def test_long_runs_of_one_id_factorize_like_pandas(seed: int, run: int) -> None:
    # Frames past the sample size take the run-length shortcut when ids come in runs.
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 2 * run + 1, size=200_000 // run + 1)
    ids = rng.choice([-1, 7, 2**40, 3, 0, 99], size=len(lengths))
    missing = rng.random(len(lengths)) < 0.2
    values = pd.array(np.repeat(ids, lengths), dtype="Int64")
    values[np.repeat(missing, lengths)] = pd.NA
    rows, uniques = _factorize(values)
    expected_codes, expected_uniques = pd.factorize(values)
    # each row's code, with -1 (NA) read from the last slot as join lookups do
    assert np.array_equal(rows.expand(np.append(np.arange(len(uniques)), -1)), expected_codes)
    assert uniques.tolist() == list(expected_uniques)
    assert (rows.lengths is not None) == (run >= 5)  # runs are kept encoded
