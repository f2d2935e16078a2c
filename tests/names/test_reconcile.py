"""reconcile on a named frame: the checks carry skill_name and agent_name, summarize says them."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.client import Client
from engframe.names import Names, attach_names
from engframe.reconcile import reconcile, summarize

from .conftest import Row, _tidy, sample_names

Tidy = Callable[[list[Row]], pd.DataFrame]
X = "totalInteractiveChats"


def named(df: pd.DataFrame, names: Names) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown ids get fallback names
        return attach_names(df, names)


def test_checks_carry_the_names_of_their_ids(tidy: Tidy, names: Names) -> None:
    df = tidy([("skill_agent", 10, 1, X, 3), ("skill_agent", 10, 2, X, 4),
               ("skill", 10, None, X, 9), ("skill_agent", 11, 3, X, 1),
               ("skill", 11, None, X, 1), ("agent", None, 1, X, 3),
               ("agent", None, 2, X, 4), ("agents_total", None, None, X, 7)])
    checks = reconcile(named(df, names))
    assert checks.columns[-2:].tolist() == ["skill_name", "agent_name"]
    by_skill = checks[checks["relation"] == "skill_agents_vs_skill"]
    assert dict(zip(by_skill["skill"], by_skill["skill_name"], strict=True)) == {
        10: "Sales", 11: "Billing"}
    assert by_skill["agent_name"].isna().all()
    totals = checks[checks["relation"] == "agents_vs_agents_total"]
    assert totals["skill_name"].isna().all() and totals["agent_name"].isna().all()


def test_summarize_names_the_worst_drift_then_its_id(tidy: Tidy, names: Names) -> None:
    df = tidy([("skill_agent", 10, 1, X, 3), ("skill_agent", 10, 2, X, 4),
               ("skill", 10, None, X, 9), ("skill_agent", 11, 3, X, 1),
               ("skill", 11, None, X, 1)])
    line = summarize(reconcile(named(df, names)))
    assert "worst: skill_agents_vs_skill totalInteractiveChats skill Sales (10): parts 7" in line
    assert "skill 10:" in summarize(reconcile(df))  # without names: the id


def test_a_shared_name_shows_its_id_once(tidy: Tidy, names: Names) -> None:
    twins = Names(skills=pd.DataFrame({"skill": [10, 11], "skill_name": ["Sales", "Sales"]}),
                  agents=names.agents, agent_groups=names.agent_groups,
                  read_at=names.read_at, account=names.account)
    df = tidy([("skill_agent", 10, 1, X, 3), ("skill", 10, None, X, 9)])
    line = summarize(reconcile(named(df, twins)))
    assert "skill Sales (10): parts 3" in line
    assert "(10) (10)" not in line


def test_an_empty_named_frame_gives_the_name_columns(tidy: Tidy, names: Names) -> None:
    checks = reconcile(named(tidy([]), names))
    assert checks.empty and checks.columns[-2:].tolist() == ["skill_name", "agent_name"]


ids = st.sampled_from([10, 11, 12, -1])
agents = st.sampled_from([1, 2, 3, 4, 5])
parts = st.lists(st.tuples(ids, agents, st.integers(0, 20)), max_size=12, unique_by=lambda t: t[:2])


@settings(max_examples=60, deadline=None)
@given(parts=parts, reported=st.dictionaries(ids, st.integers(0, 60)))
def test_names_never_change_a_check(parts: list[tuple[int, int, int]],
                                    reported: dict[int, int]) -> None:
    rows: list[Row] = [("skill_agent", s, a, X, v) for s, a, v in parts]
    rows += [("skill", s, None, X, v) for s, v in reported.items()]
    df = _tidy(rows)
    plain, with_names = reconcile(df), reconcile(named(df, sample_names()))
    pd.testing.assert_frame_equal(with_names.drop(columns=["skill_name", "agent_name"]), plain)
    known = {10: "Sales", 11: "Billing", -1: "Unassigned"}
    for skill, name in zip(with_names["skill"], with_names["skill_name"], strict=True):
        assert name == known.get(skill, f"skill {skill}")


def test_a_fetched_frame_with_names_reconciles_with_them(
    make_client: Callable[..., Client], server
) -> None:
    client = make_client()
    frame = client.frame(timeframe=60, interval=15, skills="all", agents="all",
                         names=client.names())
    checks = reconcile(frame)
    expected = {s.id: s.name for s in server.directory.skills}
    has_skill = checks["skill"].notna().to_numpy(bool)
    assert has_skill.any()
    got = dict(zip(checks.loc[has_skill, "skill"], checks.loc[has_skill, "skill_name"],
                   strict=True))
    assert got == {skill: expected[skill] for skill in got}
    worst = summarize(checks).partition("; worst: ")[2]
    assert re.search(r"\b(skill|agent) -?\d", worst) is None
