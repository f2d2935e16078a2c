"""Names in the history: dimension tables beside the facts that BI tools join.

Fixtures and helpers (local to this file):

- ``fetched``: one fetch of the simulator (seed 5, frozen clock): 60 minutes of 5-minute
  intervals of all skills and agents, and the account's names read by the same client
  (read once for the module; tests copy what they change). The simulator's configuration
  has a deleted agent, agents in teams under a root group, and a bot and an API user.
- ``root``: an empty folder for a dataset.
- ``renamed(names, read_at, **changes)``: the names as a later read would give them,
  with agents renamed (``{agent id: new name}``).
- ``tables(root)``: the three stored name tables, as pandas frames.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import DatasetError, EngframeWarning, OptionError, SourceError
from engframe.history import (
    MANIFEST_NAME,
    export,
    read_dataset,
    read_history_names,
)
from engframe.names import NAME_COLUMNS, Names, attach_names, read_names
from engframe.transport import RetryPolicy
from tests.hostile.servers import Answer, Scripted, Seen
from tests.manifests import forget_checksums

REPO = Path(__file__).resolve().parent.parent
NOW_MS = 1_795_638_540_000  # 2026-11-25 20:29:00 UTC
KINDS = ("skills", "agents", "agent_groups")
ID = {"skills": "skill", "agents": "agent", "agent_groups": "agent_group"}
LABEL = {"skills": "skill_name", "agents": "agent_name", "agent_groups": "agent_group_name"}


@pytest.fixture(scope="module")
def fetched() -> tuple[pd.DataFrame, Names]:
    clock = sim.ManualClock(NOW_MS)
    with sim.serve(seed=5, now=clock) as server, Client(
        server.account, auth=(server.client_id, server.client_secret),
        csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000,
    ) as client:
        return (client.frame(timeframe=60, interval=5, skills="all", agents="all"),
                client.names())


@pytest.fixture
def frame(fetched: tuple[pd.DataFrame, Names]) -> pd.DataFrame:
    return fetched[0].copy()


@pytest.fixture
def names(fetched: tuple[pd.DataFrame, Names]) -> Names:
    return fetched[1]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "history"


def renamed(names: Names, read_at: str, agents: dict[int, str] | None = None,
            **tables: pd.DataFrame) -> Names:
    """``names`` as read at ``read_at``, agents renamed, tables replaced."""
    people = names.agents.copy()
    for agent, name in (agents or {}).items():
        people.loc[people["agent"] == agent, ["agent_name", "full_name"]] = name
    given_tables = {"skills": names.skills, "agents": people,
                    "agent_groups": names.agent_groups, **tables}
    return Names(**given_tables, read_at=read_at, account=names.account)


def tables(root: Path) -> dict[str, pd.DataFrame]:
    return {kind: pq.read_table(root / "names" / kind / "part-0.parquet").to_pandas()
            for kind in KINDS}


def _agent(names: Names, frame: pd.DataFrame, which: int = 0) -> int:
    """A human agent in a team (not the bot or the API user) with chats in ``frame``."""
    people = names.agents[(names.agents["user_type"] == 1).fillna(False)
                          & names.agents["agent_group"].notna()
                          & ~names.agents["deleted"]
                          & names.agents["agent"].isin(frame["agent"].dropna())]
    return int(people["agent"].iloc[which])


# --- layout ---------------------------------------------------------------------------------


def test_export_writes_three_name_tables_beside_the_facts(root, frame, names):
    result = export(frame, root, names=names)
    assert result.names == ("names/skills", "names/agents", "names/agent_groups")
    files = sorted(str(p.relative_to(root)) for p in (root / "names").rglob("*.parquet"))
    assert files == ["names/agent_groups/part-0.parquet", "names/agents/part-0.parquet",
                     "names/skills/part-0.parquet"]


def test_name_tables_key_on_the_fact_tables_id_columns_and_the_account(root, frame, names):
    export(frame, root, names=names)
    facts = {level: pq.read_schema(next((root / level).rglob("*.parquet"))).names
             for level in ("skill", "agent")}
    stored = tables(root)
    assert {"account", "skill"} <= set(facts["skill"]) & set(stored["skills"].columns)
    assert {"account", "agent"} <= set(facts["agent"]) & set(stored["agents"].columns)
    assert "agent_group" in stored["agent_groups"].columns


def test_each_table_has_its_columns_and_one_row_per_account_and_id(root, frame, names):
    export(frame, root, names=names)
    stored = tables(root)
    assert list(stored["agents"].columns) == [
        "account", "agent", "agent_name", "full_name", "nickname", "login_name", "agent_group",
        "agent_group_name", "user_type", "enabled", "deleted", "skill_ids", "read_at"]
    assert list(stored["skills"].columns) == [
        "account", "skill", "skill_name", "description", "deleted", "read_at"]
    assert list(stored["agent_groups"].columns) == [
        "account", "agent_group", "agent_group_name", "parent", "enabled", "deleted", "read_at"]
    for kind in KINDS:
        assert not stored[kind].duplicated(["account", ID[kind]]).any()


def test_stored_types_are_text_ids_flags_and_utc_read_times(root, frame, names):
    export(frame, root, names=names)
    schema = pq.read_schema(root / "names" / "agents" / "part-0.parquet")
    assert str(schema.field("account").type) == "string"
    assert str(schema.field("agent").type) == "int64"
    assert str(schema.field("agent_group").type) == "int64"
    assert str(schema.field("deleted").type) == "bool"
    assert str(schema.field("read_at").type) == "timestamp[ms, tz=UTC]"


def test_every_row_records_when_its_names_were_read(root, frame, names):
    export(frame, root, names=names)
    for table in tables(root).values():
        assert (table["read_at"] == names.read_at).all()


def test_the_stored_names_are_the_names_read(root, frame, names):
    export(frame, root, names=names)
    agents = tables(root)["agents"].set_index("agent")
    expected = names.agents.set_index("agent")
    assert agents["agent_name"].to_dict() == expected["agent_name"].astype(object).to_dict()
    assert agents["deleted"].to_dict() == expected["deleted"].to_dict()


def test_an_agents_team_name_is_stored_beside_the_agent(root, frame, names):
    export(frame, root, names=names)
    agents = tables(root)["agents"].dropna(subset=["agent_group"])
    groups = names.agent_groups.set_index("agent_group")["agent_group_name"]
    assert len(agents)
    assert (agents["agent_group_name"].tolist()
            == [groups[int(g)] for g in agents["agent_group"]])


def test_the_unassigned_skill_has_a_row(root, frame, names):
    export(frame, root, names=names)
    skills = tables(root)["skills"].set_index("skill")
    assert skills.loc[-1, "skill_name"] == "Unassigned"


def test_names_are_not_repeated_on_fact_rows(root, frame, names):
    export(frame, root, names=names)
    columns = pq.read_schema(next((root / "agent").rglob("*.parquet"))).names
    assert not set(columns) & set(NAME_COLUMNS)


def test_names_leave_the_manifest_as_it_is_but_for_their_checksums(tmp_path, frame, names):
    export(frame, tmp_path / "plain")
    export(frame, tmp_path / "named", names=names)
    plain = json.loads((tmp_path / "plain" / MANIFEST_NAME).read_text())
    named = json.loads((tmp_path / "named" / MANIFEST_NAME).read_text())
    assert sorted(set(named["files"]) - set(plain["files"])) == [
        f"names/{kind}/part-0.parquet" for kind in sorted(KINDS)]
    named["files"] = {path: sums for path, sums in named["files"].items()
                      if not path.startswith("names/")}
    assert plain == named


def test_names_leave_the_facts_as_they_are(tmp_path, frame, names):
    export(frame, tmp_path / "plain")
    export(frame, tmp_path / "named", names=names)
    plain, named = read_dataset(tmp_path / "plain"), read_dataset(tmp_path / "named")
    plain.attrs, named.attrs = {}, {}
    pd.testing.assert_frame_equal(plain, named)


# --- the upsert: latest read wins, nothing deleted --------------------------------------------


def test_exporting_the_same_names_again_writes_nothing(root, frame, names):
    export(frame, root, names=names)
    before = {p: p.read_bytes() for p in (root / "names").rglob("*.parquet")}
    assert export(frame, root, names=names).names == ()
    assert {p: p.read_bytes() for p in (root / "names").rglob("*.parquet")} == before


def test_a_later_read_renames_an_agent_and_updates_read_at(root, frame, names):
    agent = _agent(names, frame)
    export(frame, root, names=names)
    later = renamed(names, "2026-11-25T21:00:00Z", {agent: "Dana Cohen-Levi"})
    assert "names/agents" in export(frame, root, names=later).names
    row = tables(root)["agents"].set_index("agent").loc[agent]
    assert row["agent_name"] == "Dana Cohen-Levi"
    assert row["read_at"] == pd.Timestamp("2026-11-25T21:00:00Z")


def test_a_later_read_updates_read_at_even_when_no_name_changed(root, frame, names):
    export(frame, root, names=names)
    export(frame, root, names=renamed(names, "2026-11-25T21:00:00Z"))
    assert (tables(root)["skills"]["read_at"] == pd.Timestamp("2026-11-25T21:00:00Z")).all()


def test_an_older_read_changes_nothing(root, frame, names):
    agent = _agent(names, frame)
    export(frame, root, names=names)
    older = renamed(names, "2026-11-25T08:00:00Z", {agent: "Old Name"})
    assert export(frame, root, names=older).names == ()
    assert tables(root)["agents"].set_index("agent").loc[agent, "agent_name"] != "Old Name"


def test_an_agent_missing_from_a_later_read_keeps_its_name(root, frame, names):
    gone = _agent(names, frame)
    export(frame, root, names=names)
    later = Names(skills=names.skills, agents=names.agents[names.agents["agent"] != gone],
                  agent_groups=names.agent_groups, read_at="2026-11-25T21:00:00Z",
                  account=names.account)
    export(frame, root, names=later)
    agents = tables(root)["agents"].set_index("agent")
    assert agents.loc[gone, "agent_name"] == names.agents.set_index("agent").loc[
        gone, "agent_name"]
    assert agents.loc[gone, "read_at"] == names.read_at


def test_a_deleted_agent_keeps_its_name_and_says_it_is_deleted(root, frame, names):
    deleted = names.agents[names.agents["deleted"]]
    assert len(deleted)  # the simulator has one, with chats in the history
    export(frame, root, names=names)
    agents = tables(root)["agents"].set_index("agent")
    for agent in deleted["agent"]:
        assert bool(agents.loc[int(agent), "deleted"])


def test_a_table_that_could_not_be_read_is_left_as_stored(root, frame, names):
    agent = _agent(names, frame)
    export(frame, root, names=names)
    before = (root / "names" / "agents" / "part-0.parquet").read_bytes()
    partial = Names(skills=names.skills, read_at="2026-11-25T21:00:00Z",
                    account=names.account, failed={"agents": "AuthError: 403",
                                                   "agent_groups": "AuthError: 403"})
    result = export(frame, root, names=partial)
    assert result.names == ("names/skills",)
    assert (root / "names" / "agents" / "part-0.parquet").read_bytes() == before
    assert tables(root)["agents"]["agent"].isin([agent]).any()


def test_names_that_could_not_be_read_at_all_write_nothing(root, frame, names):
    result = export(frame, root, names=Names.unavailable("403", account=names.account))
    assert result.names == ()
    assert not (root / "names").exists()


def test_a_renamed_team_renames_it_on_its_agents(root, frame, names):
    export(frame, root, names=names)
    groups = names.agent_groups.copy()
    team = int(tables(root)["agents"]["agent_group"].dropna().iloc[0])
    groups.loc[groups["agent_group"] == team, "agent_group_name"] = "Night Shift"
    result = export(frame, root, names=renamed(names, "2026-11-25T21:00:00Z",
                                               agent_groups=groups))
    assert {"names/agents", "names/agent_groups"} <= set(result.names)
    agents = tables(root)["agents"]
    assert (agents.loc[agents["agent_group"] == team, "agent_group_name"] == "Night Shift").all()


def test_namesakes_across_reads_are_told_apart_by_their_id(root, frame, names):
    first, second = _agent(names, frame, 0), _agent(names, frame, 1)
    old_name = names.agents.set_index("agent").loc[first, "agent_name"]
    export(frame, root, names=names)
    # a later read misses the first agent and gives the second the first's name
    later = Names(skills=names.skills, agents=names.agents[names.agents["agent"] != first],
                  agent_groups=names.agent_groups, read_at="2026-11-25T21:00:00Z",
                  account=names.account)
    later = renamed(later, "2026-11-25T21:00:00Z", {second: old_name})
    export(frame, root, names=later)
    agents = tables(root)["agents"].set_index("agent")["agent_name"]
    assert agents[first] == f"{old_name} ({first})"
    assert agents[second] == f"{old_name} ({second})"


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(order=st.permutations(range(4)),
       spellings=st.lists(st.sampled_from(["Dana Levi", "Noa Cohen", "Omar Haddad", None]),
                          min_size=4, max_size=4))
def test_the_stored_name_is_the_latest_reads_whatever_the_export_order(
        tmp_path_factory, fetched, order, spellings):
    frame, names = fetched[0], fetched[1]
    agent = _agent(names, frame)
    reads = []
    for hour, spelling in enumerate(spellings):  # read k at 10+k h; None: agent not listed
        people = names.agents.copy()
        if spelling is None:
            people = people[people["agent"] != agent]
        else:
            people.loc[people["agent"] == agent, "agent_name"] = spelling
        reads.append(Names(skills=names.skills, agents=people, agent_groups=names.agent_groups,
                           read_at=f"2026-11-25T{10 + hour}:00:00Z", account=names.account))
    root = tmp_path_factory.mktemp("history")
    for k in order:
        export(frame, root, names=reads[k])
    listed = [k for k, spelling in enumerate(spellings) if spelling is not None]
    agents = tables(root)["agents"].set_index("agent")
    if not listed:  # no read listed the agent: no name to keep
        assert agent not in agents.index
        return
    assert agents.loc[agent, "agent_name"] == spellings[listed[-1]]
    assert agents.loc[agent, "read_at"] == pd.Timestamp(f"2026-11-25T{10 + listed[-1]}:00:00Z")


# --- what export stores: Names, a path, or the names the frame was loaded with -----------------


def test_names_true_stores_the_names_the_frame_was_loaded_with(root, frame, names):
    named = attach_names(frame, names)
    result = export(named, root, names=True)
    assert result.names == ("names/skills", "names/agents", "names/agent_groups")
    agents = tables(root)["agents"].set_index("agent")
    shown = named.dropna(subset=["agent"]).drop_duplicates("agent").set_index("agent")
    assert agents["agent_name"].to_dict() == shown["agent_name"].astype(str).to_dict()
    assert (agents["read_at"] == names.read_at).all()


def test_names_true_stores_only_what_the_frame_holds(root, frame, names):
    export(attach_names(frame, names), root, names=True)
    agents = tables(root)["agents"]
    assert set(agents["agent"]) == set(frame["agent"].dropna().astype(int))
    assert agents["full_name"].isna().all()  # the frame does not hold it


def test_names_true_stores_no_fallback_for_an_unknown_id(root, frame, names):
    stranger = int(frame["agent"].dropna().iloc[0])
    partial = Names(skills=names.skills,
                    agents=names.agents[names.agents["agent"] != stranger],
                    agent_groups=names.agent_groups, read_at=names.read_at,
                    account=names.account)
    with pytest.warns(EngframeWarning):
        named = attach_names(frame, partial)
    export(named, root, names=True)
    assert stranger not in set(tables(root)["agents"]["agent"])


def test_names_of_the_same_read_complete_each_other(root, frame, names):
    export(attach_names(frame, names), root, names=True)  # names only, no attributes
    export(frame, root, names=names)  # the same read, whole
    full = tables(root)["agents"].set_index("agent")
    assert full["full_name"].notna().any()
    export(attach_names(frame, names), root, names=True)  # and back: nothing is lost
    assert tables(root)["agents"].set_index("agent")["full_name"].equals(full["full_name"])


def test_a_later_frames_names_keep_the_attributes_they_lack(root, frame, names):
    export(frame, root, names=names)
    named = attach_names(frame, renamed(names, "2026-11-25T21:00:00Z"))
    export(named, root, names=True)
    agents = tables(root)["agents"]
    assert agents["full_name"].notna().any()
    assert (agents.loc[agents["agent"].isin(frame["agent"].dropna().astype(int)), "read_at"]
            == pd.Timestamp("2026-11-25T21:00:00Z")).all()


def test_names_true_names_the_unassigned_skill_too(root, frame, names):
    export(attach_names(frame, names), root, names=True)
    skills = tables(root)["skills"].set_index("skill")
    assert skills.loc[-1, "skill_name"] == "Unassigned"


def test_names_true_refuses_a_frame_loaded_without_names(root, frame):
    with pytest.raises(OptionError, match="names=True"):
        export(frame, root, names=True)
    assert not root.exists()


def test_names_of_another_account_are_refused_with_nothing_written(root, frame, names):
    other = Names(skills=names.skills, read_at=names.read_at, account="999")
    with pytest.raises(OptionError, match="account 999"):
        export(frame, root, names=other)
    assert not root.exists()


def test_names_without_an_account_take_the_frames(root, frame, names):
    anonymous = Names(skills=names.skills, read_at=names.read_at)
    export(frame, root, names=anonymous)
    assert set(tables(root)["skills"]["account"]) == {names.account}


def test_an_unknown_names_option_is_refused(root, frame):
    with pytest.raises(OptionError, match="names="):
        export(frame, root, names=42)  # type: ignore[arg-type]


def test_export_stores_names_saved_beside_responses(root, frame, names, tmp_path):
    saved = names.save(tmp_path / "raw")
    result = export(frame, root, names=saved)
    assert result.names == ("names/skills", "names/agents", "names/agent_groups")
    assert sorted(read_history_names(root).agents["agent_name"]) == sorted(
        names.agents["agent_name"])


# --- reading -----------------------------------------------------------------------------------


def test_read_dataset_with_names_equals_attach_names_on_the_same_facts(root, frame, names):
    export(frame, root, names=names)
    joined = read_dataset(root, names=True)
    expected = attach_names(read_dataset(root), names)
    for column in NAME_COLUMNS:
        pd.testing.assert_series_equal(joined[column], expected[column])


def test_read_dataset_with_names_adds_the_columns_load_adds(root, frame, names):
    export(frame, root, names=names)
    joined = read_dataset(root, names=True)
    loaded = attach_names(frame, names)
    assert joined.columns[-4:].tolist() == loaded.columns[-4:].tolist() == list(NAME_COLUMNS)
    assert joined.dtypes[list(NAME_COLUMNS)].astype(str).tolist() == [
        "category", "category", "Int64", "category"]


def test_read_dataset_with_names_records_where_they_came_from(root, frame, names):
    export(frame, root, names=names)
    record = read_dataset(root, names=True).attrs["names"]
    assert record["source"] == str(root / "names")
    assert record["account"] == names.account
    assert pd.Timestamp(record["read_at"]) == names.read_at


def test_read_dataset_names_keeps_the_history_attrs(root, frame, names):
    export(frame, root, names=names)
    attrs = read_dataset(root, names=True).attrs
    assert {"query", "history", "names"} <= set(attrs)


def test_read_dataset_names_a_renamed_agent_by_its_latest_name(root, frame, names):
    agent = _agent(names, frame)
    export(frame, root, names=names)
    export(frame, root, names=renamed(names, "2026-11-25T21:00:00Z", {agent: "Dana Cohen"}))
    joined = read_dataset(root, names=True, levels=["agent"])
    assert set(joined.loc[joined["agent"] == agent, "agent_name"]) == {"Dana Cohen"}


def test_read_dataset_names_the_unassigned_skill(root, frame, names):
    unassigned = frame[frame["level"] == "skill"].copy()
    unassigned["skill"] = pd.array([-1] * len(unassigned), dtype="Int64")
    export(pd.concat([frame, unassigned], ignore_index=True).drop_duplicates(
        ["timestamp", "level", "skill", "agent", "metric"]), root, names=names)
    joined = read_dataset(root, names=True, levels=["skill"])
    assert set(joined.loc[joined["skill"] == -1, "skill_name"]) == {"Unassigned"}


def test_a_history_without_name_tables_gives_fallbacks_and_one_warning(root, frame):
    export(frame, root)
    with pytest.warns(EngframeWarning, match="no name tables") as caught:
        joined = read_dataset(root, names=True)
    ours = [w for w in caught if issubclass(w.category, EngframeWarning)]
    assert len(ours) == 1
    assert ours[0].filename == __file__  # points at the caller's line
    agent = int(joined["agent"].dropna().iloc[0])
    assert set(joined.loc[joined["agent"] == agent, "agent_name"]) == {f"agent {agent}"}


def test_read_dataset_joins_given_names_to_every_row(root, frame, names):
    export(frame, root)
    joined = read_dataset(root, names=names)
    assert joined["agent_name"].notna().any()
    assert joined.attrs["names"]["source"] == names.source


def test_read_dataset_refuses_an_unknown_names_option(root, frame):
    export(frame, root)
    with pytest.raises(OptionError, match="names="):
        read_dataset(root, names=3.5)  # type: ignore[arg-type]


def test_each_accounts_rows_get_that_accounts_names(root, frame, names):
    other = frame.assign(account=pd.Categorical(["111"] * len(frame)))
    other.attrs = {**frame.attrs, "account": "111"}
    agent = _agent(names, frame)
    theirs = Names(skills=names.skills, agents=renamed(names, "2026-11-25T20:29:00Z",
                                                       {agent: "Someone Else"}).agents,
                   agent_groups=names.agent_groups, read_at=names.read_at, account="111")
    export(frame, root, names=names)
    export(other, root, names=theirs)
    joined = read_dataset(root, names=True, levels=["agent"])
    mine = joined[(joined["agent"] == agent).to_numpy(bool)]
    by_account = mine.groupby("account", observed=True)["agent_name"].unique()
    assert list(by_account["111"]) == ["Someone Else"]
    assert list(by_account[names.account]) == [
        names.agents.set_index("agent").loc[agent, "agent_name"]]
    assert set(joined.attrs["names"]["accounts"]) == {names.account, "111"}


def test_read_history_names_gives_back_the_names_exported(root, frame, names):
    export(frame, root, names=names)
    back = read_history_names(root)
    assert back.account == names.account and back.read_at == names.read_at
    for kind in KINDS:
        columns = list(getattr(names, kind).columns)
        pd.testing.assert_frame_equal(
            getattr(back, kind)[columns].sort_values(ID[kind], ignore_index=True),
            getattr(names, kind).sort_values(ID[kind], ignore_index=True))


def test_read_history_names_asks_which_account_of_several(root, frame, names):
    other = frame.assign(account=pd.Categorical(["111"] * len(frame)))
    export(frame, root, names=names)
    export(other, root, names=Names(skills=names.skills, read_at=names.read_at, account="111"))
    with pytest.raises(OptionError, match="account="):
        read_history_names(root)
    assert read_history_names(root, account="111").account == "111"


def test_read_history_names_of_a_history_without_names_is_a_source_error(root, frame):
    export(frame, root)
    with pytest.raises(SourceError, match="no name tables"):
        read_history_names(root)


def test_read_names_of_a_history_points_to_read_history_names(root, frame, names):
    export(frame, root, names=names)
    with pytest.raises(SourceError, match="read_history_names"):
        read_names(root)


# --- damage --------------------------------------------------------------------------------------


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(16)
    path.write_bytes(bytes(data))


def test_a_damaged_name_table_is_a_dataset_error_naming_it_on_read(root, frame, names):
    export(frame, root, names=names)
    path = root / "names" / "agents" / "part-0.parquet"
    _damage(path)
    with pytest.raises(DatasetError, match=re.escape(str(path))):
        read_dataset(root, names=True)


def test_a_damaged_name_table_stops_an_export_with_nothing_written(root, frame, names):
    export(frame, root, names=names)
    path = root / "names" / "agents" / "part-0.parquet"
    _damage(path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    later = renamed(names, "2026-11-25T21:00:00Z")
    with pytest.raises(DatasetError, match=re.escape(str(path))):
        export(frame, root, names=later)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_name_table_that_repeats_an_id_is_reported(root, frame, names):
    export(frame, root, names=names)
    path = root / "names" / "skills" / "part-0.parquet"
    table = pq.read_table(path)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), path)
    forget_checksums(root)  # as an engframe that recorded none would have left it
    with pytest.raises(DatasetError, match="repeated"):
        read_history_names(root)


# --- BI: DuckDB ----------------------------------------------------------------------------------


def _readme_query(marker: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(marker)
    return text[start:text.index("```", start)]


def test_the_readme_duckdb_join_gives_pandas_totals_per_day_team_and_agent(root, frame, names):
    export(frame, root, names=names)
    query = _readme_query("-- DuckDB: chats per day, team and agent").replace(
        "'history/", f"'{root}/")
    duck = duckdb.sql(query).df()
    hist = read_dataset(root, names=True, levels=["agent"])
    chats = hist[hist["metric"].isin(["totalInteractiveChats", "totalNonInteractiveChats"])]
    expected = chats.assign(date=chats["timestamp"].dt.floor("D").dt.date,
                            team=chats["agent_group_name"].astype(object),
                            agent=chats["agent_name"].astype(str)).groupby(
        ["date", "team", "agent"], dropna=False, observed=True)["value"].sum()
    got = duck.assign(date=pd.to_datetime(duck["date"]).dt.date).set_index(
        ["date", "team", "agent"])["chats"]
    assert len(got) == len(expected) > 10
    assert got.astype(int).sort_index().to_dict() == expected.sort_index().to_dict()


def test_the_unassigned_skill_joins_in_duckdb(root, frame, names):
    export(frame, root, names=names)
    skills = root / "names" / "skills" / "part-0.parquet"
    row = duckdb.sql(f"SELECT skill_name FROM read_parquet('{skills}') WHERE skill = -1").fetchall()
    assert row == [("Unassigned",)]


# --- sync ---------------------------------------------------------------------------------------


@pytest.fixture
def live() -> Iterator[tuple[sim.SimServer, Client]]:
    clock = sim.ManualClock(NOW_MS)
    with sim.serve(seed=5, now=clock) as server, Client(
        server.account, auth=(server.client_id, server.client_secret),
        csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000,
        retry=RetryPolicy(retries_5xx=0, retries_429=0),
    ) as client:
        yield server, client


def test_sync_with_names_exports_them_each_turn(root, live):
    server, client = live
    [result] = engframe.sync(root, client=client, names=True, timeframe=30)
    assert any("/configuration/le-users/" in r["path"] for r in server.requests)
    assert result.names == ("names/skills", "names/agents", "names/agent_groups")
    assert len(read_history_names(root).agents) == len(server.directory.users)


def test_sync_without_names_reads_none(root, live):
    server, client = live
    [result] = engframe.sync(root, client=client, timeframe=30)
    assert result.names == ()
    assert not any("/configuration/le-users/" in r["path"] for r in server.requests)


def test_sync_exports_the_facts_when_the_configuration_refuses(root, live, caplog):
    server, client = live
    server.faults.script("status", status=403, endpoint="users")
    with caplog.at_level(logging.WARNING, logger="engframe.sync"):
        [result] = engframe.sync(root, client=client, names=True, timeframe=30)
    assert result.inserted > 0
    assert "names/agents" not in result.names
    assert any("names could not be read" in r.getMessage() and "agents" in r.getMessage()
               for r in caplog.records)


def test_sync_exports_the_facts_when_a_configuration_answer_is_malformed(root, live, caplog):
    server, client = live
    server.faults.script("truncate", endpoint="skills")
    with caplog.at_level(logging.WARNING, logger="engframe.sync"):
        [result] = engframe.sync(root, client=client, names=True, timeframe=30)
    assert result.inserted > 0 and result.names == ()
    assert any("names not exported this turn" in r.getMessage() for r in caplog.records)


def test_sync_exports_the_facts_when_a_configuration_answer_is_nested_too_deep(root, live,
                                                                              caplog):
    server, client = live

    def deep_users(request: Seen) -> Answer:  # the other lists as the simulator has them
        if request.path.endswith("/users"):
            return Answer(body=b"[" * 100_000 + b"]" * 100_000)
        got = requests.get(server.base_url + request.target, timeout=10,
                           headers={"Authorization": request.headers["Authorization"]})
        return Answer(got.status_code, got.content)

    with (Scripted(deep_users) as config,
          Client(server.account, auth=(server.client_id, server.client_secret),
                 csds_url=server.base_url, cache=False, clock=client.clock,
                 domain={"accountConfigReadOnly": config.url}) as named,
          caplog.at_level(logging.WARNING, logger="engframe.sync")):
        [result] = engframe.sync(root, client=named, names=True, timeframe=30)
    assert result.inserted > 0 and result.names == ()
    assert any("names not exported this turn" in r.getMessage() and "nested" in r.getMessage()
               for r in caplog.records)


def test_sync_exports_the_facts_when_a_stored_name_table_is_damaged(root, live, caplog):
    _, client = live
    engframe.sync(root, client=client, names=True, timeframe=30)
    (root / "names" / "agents" / "part-0.parquet").write_bytes(b"not parquet")
    with caplog.at_level(logging.WARNING, logger="engframe.sync"):
        [result] = engframe.sync(root, client=client, names=True, timeframe=60)
    assert result.inserted > 0 and result.names == ()
    assert any("names not exported this turn" in r.getMessage() and "agents" in r.getMessage()
               for r in caplog.records)


def test_sync_refuses_a_names_option_that_is_not_a_bool(root, live):
    _, client = live
    with pytest.raises(OptionError, match="names"):
        engframe.sync(root, client=client, names="yes")  # type: ignore[arg-type]

