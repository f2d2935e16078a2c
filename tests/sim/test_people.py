"""The simulated account's configuration: deterministic, realistic names, teams, leavers."""

from __future__ import annotations

import re

import numpy as np

from engframe import sim
from engframe.sim.people import (
    AGENT_USER,
    FIRST_NAMES,
    LAST_NAMES,
    ROOT_GROUP_NAME,
    SKILL_NAMES,
    TEAM_NAMES,
    Directory,
)

from .conftest import NOW_MS

DAY_MS = 86_400_000


def test_same_seed_gives_the_same_directory(center: sim.Center) -> None:
    assert Directory.for_center(center) == Directory.for_center(sim.Center(seed=1))


def test_another_seed_gives_other_names() -> None:
    one = Directory.for_center(sim.Center(seed=1))
    two = Directory.for_center(sim.Center(seed=2))
    assert [u.full_name for u in one.users] != [u.full_name for u in two.users]


def test_naming_people_does_not_change_the_centers_chats() -> None:
    plain = sim.Center(seed=4)
    named = sim.Center(seed=4)
    Directory.for_center(named)
    a, b = plain.chats(0, DAY_MS), named.chats(0, DAY_MS)
    assert np.array_equal(a.agent, b.agent) and np.array_equal(a.close_ms, b.close_ms)


def test_every_skill_of_the_center_has_a_real_looking_name(center: sim.Center) -> None:
    directory = Directory.for_center(center)
    live = [s for s in directory.skills if not s.deleted]
    assert [s.id for s in live] == center.skill_ids.tolist()
    assert all(s.name in SKILL_NAMES for s in live)
    assert {"Sales", "Billing", "Technical Support"} <= {s.name for s in live}
    assert len({s.name for s in live}) == len(live)


def test_large_centers_still_get_distinct_skill_names() -> None:
    center = sim.Center(seed=1, config=sim.CenterConfig(n_skills=50, n_agents=60))
    names = [s.name for s in Directory.for_center(center).skills]
    assert len(set(names)) == len(names) == 51


def test_one_skill_is_deleted_and_serves_no_chat(center: sim.Center) -> None:
    deleted = [s for s in Directory.for_center(center).skills if s.deleted]
    assert len(deleted) == 1
    assert deleted[0].id not in center.skill_ids


def test_agents_look_like_people(center: sim.Center) -> None:
    agents = [u for u in Directory.for_center(center).users if u.user_type == AGENT_USER]
    assert [a.id for a in agents] == center.agent_ids.tolist()
    for agent in agents:
        assert agent.full_name is not None
        first, last = agent.full_name.split(" ")
        assert first in FIRST_NAMES and last in LAST_NAMES
        assert agent.nickname == first
        assert re.fullmatch(r"[a-z]+\.[a-z]+[0-9]*", agent.login_name)
    assert len({a.login_name for a in agents}) == len(agents)


def test_a_deleted_agent_still_has_chats_in_the_history(center: sim.Center) -> None:
    directory = Directory.for_center(center)
    deleted = [u for u in directory.users if u.deleted]
    assert len(deleted) == 1 and not deleted[0].enabled
    chats = center.chats_frame(NOW_MS - DAY_MS, NOW_MS)
    assert (chats["agent"] == deleted[0].id).any()


def test_agents_belong_to_a_root_group_or_its_teams(center: sim.Center) -> None:
    directory = Directory.for_center(center)
    root = directory.groups[0]
    assert root.name == ROOT_GROUP_NAME and root.parent is None
    teams = [g for g in directory.groups[1:] if not g.deleted]
    assert len(teams) >= 2 and all(g.parent == root.id and g.name in TEAM_NAMES for g in teams)
    members = {u.group for u in directory.users if u.user_type == AGENT_USER}
    assert members <= {root.id, *(t.id for t in teams)}
    assert {t.id for t in teams} <= members


def test_a_deleted_team_has_nobody(center: sim.Center) -> None:
    directory = Directory.for_center(center)
    deleted = [g for g in directory.groups if g.deleted]
    assert len(deleted) == 1
    assert all(u.group != deleted[0].id for u in directory.users)


def test_a_bot_and_a_system_user_are_listed_beside_the_agents(center: sim.Center) -> None:
    others = [u for u in Directory.for_center(center).users if u.user_type != AGENT_USER]
    assert sorted(u.user_type for u in others) == [0, 2]
    system = next(u for u in others if u.user_type == 0)
    assert system.full_name is None and system.nickname is None and system.group is None


def test_ids_are_unique_across_skills_users_and_groups(center: sim.Center) -> None:
    directory = Directory.for_center(center)
    ids = [*(s.id for s in directory.skills), *(u.id for u in directory.users),
           *(g.id for g in directory.groups)]
    assert len(set(ids)) == len(ids)
