"""Team rollups: derive and select by agent_group and the other name columns."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import engframe
from engframe.errors import OptionError
from engframe.names import Names, attach_names
from engframe.schema import METRICS

HOUR_MS = 3_600_000
END_MS = 1_795_788_000_000  # 2026-11-27 14:00 UTC, on the hour
NAMES = Names(
    agents=pd.DataFrame({"agent": [1, 2, 3, 4],
                         "agent_name": ["Dana Levi", "Noa Cohen", "Omar Haddad", "Ops"],
                         "agent_group": pd.array([100, 100, 200, None], dtype="Int64")}),
    agent_groups=pd.DataFrame({"agent_group": [100, 200],
                               "agent_group_name": ["Tier 1", "Tier 2"]}),
    skills=pd.DataFrame({"skill": [10], "skill_name": ["Sales"]}),
)


def metrics(agent: int, interval: int) -> dict[str, int]:
    chats = agent + 2 * interval
    return dict(zip(METRICS, (chats, agent % 2, chats * (60 * agent + 7 * interval),
                              5 * (agent % 2), chats + 1), strict=True))


def summed(parts: list[dict[str, int]]) -> dict[str, int]:
    return {m: sum(p[m] for p in parts) for m in METRICS}


def section(interval: int | None) -> dict[str, Any]:
    """Agents 1-4; the skill section holds other numbers, to catch a wrong level."""
    steps = [interval] if interval is not None else [0, 1, 2, 3]
    per_agent = {str(a): summed([metrics(a, i) for i in steps]) for a in (1, 2, 3, 4)}
    inside_skill = {str(a): {m: 1 for m in METRICS} for a in (1, 2, 3, 4)}
    return {
        "skillsMetricsPerAgent": {
            "metricsPerSkill": {"10": {"metricsPerAgent": inside_skill,
                                       "metricsTotals": summed(list(inside_skill.values()))}},
            "metricsTotals": summed(list(inside_skill.values()))},
        "agentsMetrics": {"metricsPerAgent": per_agent,
                          "metricsTotals": summed(list(per_agent.values()))},
    }


@pytest.fixture
def frame() -> pd.DataFrame:
    # Four 30-minute intervals: two hours, two intervals in each.
    response = {
        "metricsByIntervals": [
            {"timestamp": END_MS - (3 - i) * HOUR_MS // 2, "metricsData": section(i)}
            for i in range(4)
        ],
        **section(None),
    }
    return attach_names(engframe.flatten(response), NAMES, warn=False)


def by_hand(df: pd.DataFrame, keys: list[str], span: str) -> pd.Series:
    rows = df[(df["level"] == "agent") & (df["span"] == span)]
    wide = rows.pivot_table(index=[*keys, "agent"], columns="metric", values="value",
                            observed=True, aggfunc="sum", dropna=False)
    sums = wide.groupby(level=keys, dropna=False).sum()
    aht = sums["totalHandlingTime"] / sums["totalInteractiveChats"]
    return aht.rename("value")


def test_derive_by_agent_group_is_a_ratio_of_sums_over_the_groups_agents(
    frame: pd.DataFrame
) -> None:
    out = engframe.derive(frame, by="agent_group", metrics=["avgInteractiveHandlingTime"])
    got = out.set_index("agent_group")["value"].sort_index(na_position="last")
    expected = by_hand(frame, ["agent_group"], "timeframe").sort_index(na_position="last")
    assert got.index.tolist() == expected.index.tolist() == [100, 200, pd.NA]
    assert got.tolist() == pytest.approx(expected.tolist())
    assert (out["level"] == "agent").all() and out["agent"].isna().all()


def test_derive_by_agent_group_matches_sums_written_out(frame: pd.DataFrame) -> None:
    out = engframe.derive(frame, by="agent_group", metrics=["totalChats"])
    tier1 = sum(sum(metrics(a, i)[m] for i in range(4) for m in METRICS[:2]) for a in (1, 2))
    assert out.set_index("agent_group").loc[100, "value"] == tier1


def test_derive_by_group_and_hour(frame: pd.DataFrame) -> None:
    out = engframe.derive(frame, by=["agent_group", "hour"],
                          metrics=["avgInteractiveHandlingTime"])
    frame = frame.assign(hour=(frame["timestamp"] - pd.Timedelta(1, "ms")).dt.floor("h"))
    expected = by_hand(frame, ["agent_group", "hour"], "interval")
    got = out.set_index(["agent_group", "hour"])["value"]
    assert len(got) == 6
    assert got.sort_index().tolist() == pytest.approx(expected.sort_index().tolist())


def test_derive_by_group_name_gives_the_same_numbers_as_by_group_id(
    frame: pd.DataFrame
) -> None:
    by_id = engframe.derive(frame, by="agent_group", metrics=["totalChats"])
    by_name = engframe.derive(frame, by=["agent_group", "agent_group_name"],
                              metrics=["totalChats"])
    assert by_name["value"].tolist() == by_id["value"].tolist()
    pairs = by_name.dropna(subset=["agent_group"])
    assert dict(zip(pairs["agent_group"], pairs["agent_group_name"], strict=True)) == {
        100: "Tier 1", 200: "Tier 2"}


def test_derive_by_agent_name_reads_the_agent_level_like_by_agent(frame: pd.DataFrame) -> None:
    by_name = engframe.derive(frame, by="agent_name", metrics=["totalChats"])
    by_id = engframe.derive(frame, by="agent", metrics=["totalChats"])
    assert (by_name["level"] == "agent").all()
    assert sorted(by_name["value"]) == sorted(by_id["value"])


def test_derive_by_skill_name_reads_the_skill_level_like_by_skill(frame: pd.DataFrame) -> None:
    by_name = engframe.derive(frame, by="skill_name", metrics=["totalChats"])
    by_id = engframe.derive(frame, by="skill", metrics=["totalChats"])
    assert (by_name["level"] == "skill").all()
    assert by_name["value"].tolist() == by_id["value"].tolist()


def test_select_by_agent_group_keeps_the_agent_level(frame: pd.DataFrame) -> None:
    picked = engframe.select(frame, by=["agent_group"])
    assert picked["level"].unique().tolist() == ["agent"]


def test_a_frame_without_names_is_told_to_load_them(frame: pd.DataFrame) -> None:
    bare = frame.drop(columns=["skill_name", "agent_name", "agent_group", "agent_group_name"])
    with pytest.raises(OptionError, match=r"'agent_group'.*names=True"):
        engframe.derive(bare, by="agent_group")


def test_an_explicit_level_without_agents_is_refused_for_a_group(frame: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="asks for 'agent'"):
        engframe.derive(frame, by="agent_group", level="skill")
