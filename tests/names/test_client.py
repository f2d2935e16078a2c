"""The client's names: skills(), agents(), agent_groups(), names(), frame(names=...).

Against ``engframe.sim`` over real loopback HTTP; only waiting is faked (``clock``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import (
    APIError,
    AuthError,
    EngframeWarning,
    OptionError,
    ResponseError,
    SourceError,
)
from engframe.names import NAME_COLUMNS, Names
from tests.clocks import FakeClock

MakeClient = Callable[..., Client]
LISTS = ("skills", "users", "agentGroups")


def config_requests(server: sim.SimServer, endpoint: str | None = None) -> list[dict]:
    return [r for r in server.requests if "/configuration/le-users/" in str(r["path"])
            and (endpoint is None or str(r["path"]).endswith("/" + endpoint))]


# -- the three lists ----------------------------------------------------------------------


def test_skills_are_the_accounts_skills_deleted_included(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    skills = make_client().skills()
    expected = {s.id: s.name for s in server.directory.skills}
    assert dict(zip(skills["skill"], skills["skill_name"], strict=True)) == expected
    assert skills["deleted"].sum() == 1


def test_agents_are_the_accounts_users_with_their_groups(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    agents = make_client().agents().set_index("agent")
    assert len(agents) == len(server.directory.users)
    for user in server.directory.users:
        row = agents.loc[user.id]
        assert row["agent_name"] == (user.full_name or user.nickname or user.login_name)
        assert row["login_name"] == user.login_name
        assert (pd.isna(row["agent_group"]) if user.group is None
                else row["agent_group"] == user.group)
        assert row["deleted"] == user.deleted and row["enabled"] == user.enabled
        assert row["user_type"] == user.user_type


def test_agent_groups_are_the_accounts_teams(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    groups = make_client().agent_groups()
    assert groups["agent_group_name"].tolist() == [g.name for g in server.directory.groups]
    assert groups["parent"].isna().sum() == 1


def test_the_lists_are_asked_with_deleted_items_and_the_user_fields(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    make_client().names()
    asked = {str(r["path"]).rsplit("/", 1)[1]: r["query"] for r in config_requests(server)}
    assert set(asked) == set(LISTS)
    assert all(q["include_deleted"] == "true" for q in asked.values())
    assert {"fullName", "nickname", "loginName", "memberOf", "deleted"} <= set(
        asked["users"]["select"].split(","))
    assert (asked["skills"]["v"], asked["users"]["v"], asked["agentGroups"]["v"]) == (
        "2.0", "4.0", "2.0")


def test_names_holds_the_three_tables_with_when_and_whose(
    make_client: MakeClient, clock: FakeClock
) -> None:
    names = make_client().names()
    assert (len(names.skills), len(names.agents), len(names.agent_groups)) == (11, 62, 6)
    assert names.account == "56072331" and names.source == "Account Configuration API"
    assert names.read_at == pd.Timestamp(clock.ms(), unit="ms", tz="UTC")
    assert not names.failed


@pytest.mark.parametrize("method", ["bearer", "oauth2", "oauth1"])
def test_every_auth_method_reads_names(
    make_client: MakeClient, server: sim.SimServer, method: str
) -> None:
    auth = {"bearer": server.issue_token(), "oauth2": (server.client_id, server.client_secret),
            "oauth1": server.oauth1}[method]
    assert len(make_client(auth=auth).agents()) == len(server.directory.users)


# -- caching ------------------------------------------------------------------------------


def test_names_are_cached_for_hours(make_client: MakeClient, server: sim.SimServer) -> None:
    client = make_client()
    first = client.names()
    again = make_client().names()  # a new client, the same cache file
    assert len(config_requests(server)) == 3
    pd.testing.assert_frame_equal(first.agents, again.agents)
    assert client.names_expire_after == 6 * 3600


def test_refresh_reads_them_again(make_client: MakeClient, server: sim.SimServer) -> None:
    client = make_client()
    client.skills()
    client.skills(refresh=True)
    assert [r["status"] for r in config_requests(server, "skills")] == [200, 200]


def test_stale_names_are_revalidated_with_their_etag(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    client = make_client()
    client.names_expire_after = 0  # stale at once: every read revalidates
    first = client.agents()
    second = client.agents()
    assert [r["status"] for r in config_requests(server, "users")] == [200, 304]
    pd.testing.assert_frame_equal(first, second)


def test_offline_names_come_from_the_cache(make_client: MakeClient, server: sim.SimServer) -> None:
    make_client().names()
    offline = make_client(offline=True, auth=None).names()
    assert len(offline.agents) == len(server.directory.users)


def test_without_a_cache_names_are_read_each_time(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    client = make_client(cache=False)
    client.skills()
    client.skills()
    assert len(config_requests(server, "skills")) == 2


# -- names in the frame -------------------------------------------------------------------


def test_frame_with_names_adds_the_columns_without_a_warning(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = make_client().frame(timeframe=1440, interval=60, skills="all", agents="all",
                                 names=True)
    assert list(df.columns[-4:]) == list(NAME_COLUMNS)
    per_agent = df.loc[df["level"] == "agent"].drop_duplicates("agent")
    users = {u.id: u for u in server.directory.users}
    for agent, name, group in zip(per_agent["agent"], per_agent["agent_name"],
                                  per_agent["agent_group"], strict=True):
        assert name == users[agent].full_name and group == users[agent].group
    assert df.attrs["names"]["unknown"] == {"skill": [], "agent": [], "agent_group": []}


def test_a_deleted_agent_keeps_a_name_in_the_frame(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    df = make_client().frame(timeframe=1440, agents="all", names=True)
    gone = next(u for u in server.directory.users if u.deleted)
    assert set(df.loc[df["agent"] == gone.id, "agent_name"]) == {gone.full_name}


def test_frame_without_names_reads_no_configuration(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    df = make_client().frame(timeframe=60, agents="all")
    assert not set(NAME_COLUMNS) & set(df.columns)
    assert config_requests(server) == []


def test_frame_takes_names_given_or_saved(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client()
    names = Names(skills=pd.DataFrame({"skill": [1], "skill_name": ["Only one"]}))
    path = names.save(tmp_path)
    with pytest.warns(EngframeWarning, match="10 skill ids not in the account's"):
        given = client.frame(timeframe=60, skills="all", names=names)
    with pytest.warns(EngframeWarning):
        saved = client.frame(timeframe=60, skills="all", names=path)
    assert given["skill_name"].dropna().str.startswith("skill ").all()
    assert saved["skill_name"].tolist() == given["skill_name"].tolist()


def test_a_bad_names_option_is_refused_before_any_request(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    with pytest.raises(OptionError, match="names="):
        make_client().frame(timeframe=60, names=["yes", "please"])  # type: ignore[arg-type]
    assert server.requests == []


def test_load_live_with_names(server: sim.SimServer, clock: FakeClock, tmp_path: Path) -> None:
    df = engframe.load(account=server.account, timeframe=60, skills="all", names=True,
                       auth=(server.client_id, server.client_secret), csds_url=server.base_url,
                       cache=False, clock=clock, sleep=clock.sleep, environ={})
    assert df["skill_name"].notna().any()


# -- when the configuration cannot be read ------------------------------------------------


def test_a_refused_list_still_gives_the_frame_and_one_warning(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    server.faults.script("status", status=403, endpoint="users")
    with pytest.warns(EngframeWarning) as caught:
        df = make_client().frame(timeframe=1440, skills="all", agents="all", names=True)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "agents: AuthError" in message and "403" in message
    agent_names = df["agent_name"].dropna().astype(str)
    assert agent_names.str.fullmatch(r"agent \d+").all()
    assert df["skill_name"].dropna().isin([s.name for s in server.directory.skills]).all()
    assert set(df.attrs["names"]["failed"]) == {"agents"}


def test_no_access_to_the_configuration_gives_fallbacks_and_one_warning(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    for endpoint in LISTS:
        server.faults.script("status", status=401, endpoint=endpoint, count=2)
    with pytest.warns(EngframeWarning) as caught:
        df = make_client().frame(timeframe=60, skills="all", names=True)
    assert len(caught) == 1
    assert all(kind in str(caught[0].message) for kind in ("skills:", "agents:",
                                                           "agent_groups:"))
    assert df["skill_name"].dropna().astype(str).str.startswith("skill ").all()


def test_a_failing_list_is_retried_then_given_up(
    make_client: MakeClient, server: sim.SimServer, clock: FakeClock
) -> None:
    server.faults.script("status", status=500, endpoint="skills", count=4)
    with pytest.warns(EngframeWarning, match=r"skills: APIError: HTTP 500.*after 3 retries"):
        df = make_client().frame(timeframe=60, skills="all", names=True)
    assert clock.sleeps == [5.0, 10.0, 15.0]
    assert len(df) > 0


def test_the_domain_api_not_knowing_the_service_falls_back_too(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    server.faults.script("status", status=404, endpoint="domain", count=3)
    client = make_client(domain={"leDataReporting": server.base_url,
                                 "sentinel": server.base_url})
    with pytest.warns(EngframeWarning, match="could not be read"):
        df = client.frame(timeframe=60, names=True)
    assert "skill_name" in df.columns


def test_names_itself_raises_when_refused(make_client: MakeClient, server: sim.SimServer) -> None:
    server.faults.script("status", status=403, endpoint="agentGroups")
    with pytest.raises(AuthError) as caught:
        make_client().names()
    assert "/configuration/le-users/agentGroups" in str(caught.value.url)


def test_a_cut_off_answer_is_a_response_error_naming_the_url(
    make_client: MakeClient, server: sim.SimServer
) -> None:
    server.faults.script("truncate", endpoint="skills")
    client = make_client()
    with pytest.raises(ResponseError) as caught:
        client.frame(timeframe=60, skills="all", names=True)
    assert "/configuration/le-users/skills" in str(caught.value.source)
    assert len(client.skills()) == 11  # the broken answer was not cached


def test_an_html_error_page_is_an_api_error(make_client: MakeClient, server: sim.SimServer) -> None:
    server.faults.script("html", status=502, endpoint="users", count=4)
    with pytest.raises(APIError, match="502"):
        make_client().agents()


# -- saved names --------------------------------------------------------------------------


def test_save_raw_saves_the_names_beside_the_responses(
    make_client: MakeClient, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    live = make_client(save_raw=raw).frame(timeframe=1440, interval=60, skills="all",
                                           agents="all", names=True)
    assert len(list((raw / "names").glob("names_56072331_*.json"))) == 1
    offline = engframe.load(raw, names=True)
    for column in NAME_COLUMNS:
        assert sorted(offline[column].dropna().unique()) == sorted(live[column].dropna().unique())


def test_saved_names_hold_no_secret(
    make_client: MakeClient, server: sim.SimServer, tmp_path: Path
) -> None:
    make_client(save_raw=tmp_path).names()
    text = next((tmp_path / "names").glob("*.json")).read_text()
    for secret in (server.client_secret, server.issue_token(), *server.oauth1[1:]):
        assert secret not in text


def test_a_missing_names_file_fails_before_any_request(
    make_client: MakeClient, server: sim.SimServer, tmp_path: Path
) -> None:
    with pytest.raises(SourceError, match="no such file"):
        make_client().frame(timeframe=60, names=tmp_path / "none.json")
    assert server.requests == []
