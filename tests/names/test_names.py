"""The Names object: hand-made tables are completed, checked and labelled like parsed ones."""

from __future__ import annotations

import pandas as pd
import pytest

from engframe.errors import FrameError, OptionError
from engframe.names import Names, parse_agents


def test_missing_columns_are_added_with_their_dtypes() -> None:
    names = Names(agents=pd.DataFrame({"agent": [1], "agent_name": ["Dana Levi"]}))
    assert list(names.agents.columns) == list(parse_agents([]).columns)
    assert str(names.agents["agent_group"].dtype) == "Int64"
    assert not names.agents.loc[0, "deleted"]


def test_extra_columns_are_kept_after_the_known_ones() -> None:
    names = Names(skills=pd.DataFrame({"skill": [1], "skill_name": ["S"], "region": ["EU"]}))
    assert names.skills.columns[-1] == "region"


def test_missing_names_become_fallbacks_and_shared_ones_get_ids() -> None:
    names = Names(skills=pd.DataFrame({"skill": [1, 2, 3],
                                       "skill_name": [None, "Sales", "Sales"]}))
    assert names.skills["skill_name"].tolist() == ["skill 1", "Sales (2)", "Sales (3)"]


def test_labelling_twice_changes_nothing() -> None:
    once = Names(agents=pd.DataFrame({"agent": [1, 2], "agent_name": ["A", "A"]}))
    again = Names(agents=once.agents)
    pd.testing.assert_frame_equal(once.agents, again.agents)


def test_a_table_without_its_id_column_is_refused() -> None:
    with pytest.raises(FrameError, match="'skill'"):
        Names(skills=pd.DataFrame({"skill_name": ["Sales"]}))


def test_a_repeated_id_is_refused() -> None:
    with pytest.raises(FrameError, match="id 7 more than once"):
        Names(agents=pd.DataFrame({"agent": [7, 7], "agent_name": ["A", "B"]}))


def test_a_column_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(FrameError, match="'agent_group'"):
        Names(agents=pd.DataFrame({"agent": [1], "agent_group": ["Tier 1"]}))


def test_read_at_becomes_a_utc_timestamp() -> None:
    names = Names(read_at="2026-11-27T14:29:04+01:00")
    assert names.read_at == pd.Timestamp("2026-11-27T13:29:04", tz="UTC")


def test_a_bad_read_at_is_refused() -> None:
    with pytest.raises(OptionError, match="read_at"):
        Names(read_at="yesterday-ish")


def test_unavailable_names_say_why() -> None:
    names = Names.unavailable("no names saved", account="1")
    assert dict(names.failed) == {"names": "no names saved"}
    assert names.skills.empty and names.account == "1"


def test_failed_cannot_be_changed_afterwards() -> None:
    names = Names(failed={"agents": "HTTP 403"})
    with pytest.raises(TypeError):
        names.failed["skills"] = "x"  # type: ignore[index]


def test_repr_counts_the_tables() -> None:
    names = Names(skills=pd.DataFrame({"skill": [1], "skill_name": ["S"]}), account=56072331,
                  failed={"agents": "x"})
    assert repr(names) == ("Names(account='56072331', skills=1, agents=0, agent_groups=0, "
                           "read_at=None, failed=['agents'])")


def test_agent_skills_spreads_each_agents_skills_into_rows() -> None:
    from engframe.names import agent_skills
    agents = pd.DataFrame({"agent": pd.array([9, 10, 11], dtype="Int64"),
                           "skill_ids": ["12,34", "", "-1"]})
    table = agent_skills(agents)
    assert table.to_dict("list") == {"agent": [9, 9, 11], "skill": [12, 34, -1]}
    assert str(table["skill"].dtype) == "Int64"


def test_agent_skills_needs_the_skill_ids_column() -> None:
    from engframe.errors import FrameError
    from engframe.names import agent_skills
    with pytest.raises(FrameError, match="lacks skill_ids"):
        agent_skills(pd.DataFrame({"agent": [1]}))
