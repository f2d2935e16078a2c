"""``engframe demo``: every output it promises, checked for content."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib import image

import engframe
from engframe.demo import INTERVAL, run_demo

#: 2026-11-25 20:29 UTC, a Wednesday evening: a busy day behind it.
NOW_MS = 1_795_638_540_000
#: The same folder again, 20 minutes later.
LATER_MS = NOW_MS + 20 * 60_000
KEY = ["timestamp", "level", "skill", "agent", "metric"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    return run_demo(out, now_ms=NOW_MS, echo=lines.append), lines, out


def test_the_frame_covers_a_day_in_five_minute_intervals_for_all_skills_and_agents(demo):
    result, _, _ = demo
    frame = result.frame
    assert frame.attrs["query"]["interval"] == INTERVAL == 5
    intervals = frame.loc[frame["span"] == "interval", "timestamp"].drop_duplicates()
    assert 288 <= len(intervals) <= 289
    assert frame["skill"].nunique() == 10 and frame["agent"].nunique() > 40
    assert not frame.loc[frame["timestamp"] == intervals.max(), "complete"].all()


def test_history_holds_the_interval_rows_and_no_whole_timeframe_row(demo):
    result, _, _ = demo
    stored = engframe.read_dataset(result.files["history"], method="engactivity")
    intervals = result.frame[result.frame["span"] == "interval"]
    assert set(stored["span"].astype(str)) == {"interval"}
    assert len(stored) == len(intervals)
    assert stored["value"].sum() == intervals["value"].sum()


def test_wide_raw_file_reads_back(demo):
    result, _, _ = demo
    wide = engframe.read_parquet(result.files["wide"])
    assert len(wide) == len(result.frame)


def test_derived_file_holds_skills_and_agents_per_hour(demo):
    result, _, _ = demo
    derived = engframe.read_parquet(result.files["derived"])
    assert set(derived["metric"].astype(str)) >= {"avgInteractiveHandlingTime", "totalChats"}
    assert set(derived["level"].astype(str)) == {"skill", "agent"}
    assert derived["value"].dtype == np.float64
    assert 24 <= derived["hour"].nunique() <= 25


def test_derived_file_keeps_counts_integer_and_averages_float(demo):
    result, _, _ = demo
    schema = pq.read_schema(result.files["derived"])
    assert schema.field("totalChats").type == pa.int64()
    assert schema.field("avgInteractiveHandlingTime").type == pa.float64()


def test_derived_file_says_whose_query_it_holds_and_in_what_units(demo):
    result, _, _ = demo
    schema = pq.read_schema(result.files["derived"])
    query = json.loads(schema.metadata[b"engframe.query"])
    assert query["account"] == result.frame.attrs["account"] and query["interval"] == 5
    units = json.loads(schema.metadata[b"engframe.units"])
    assert units["totalChats"] == "chats" and units["avgInteractiveHandlingTime"] == "s"
    assert pa.types.is_string(schema.field("account").type.value_type)


def test_raw_envelopes_replay_offline(demo):
    result, _, _ = demo
    replayed = engframe.load(result.files["raw"])
    for method, frame in result.frames.items():
        assert (replayed["method"] == method).sum() == len(frame)


@pytest.mark.parametrize("chart", ["activity", "ranking", "teams", "drift", "messaging_volume",
                                   "messaging_aht", "csat_skills", "csat_teams", "queue",
                                   "states", "service_level"])
def test_charts_are_real_pictures(demo, chart):
    result, _, _ = demo
    path: Path = result.files[chart]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.05  # not a blank canvas


def test_reconciliation_shows_rounding_but_no_mismatch(demo):
    result, _, _ = demo
    statuses = result.checks["status"].astype(str).value_counts()
    assert statuses.get("mismatch", 0) == 0
    assert statuses.get("rounding", 0) > 0 and statuses.get("ok", 0) > 0
    assert result.summary.startswith(f"{len(result.checks)} checks:")


def test_it_prints_what_it_did_and_the_top_tables(demo):
    _, lines, out = demo
    text = "\n".join(lines)
    assert "top 5 skills by chats" in text and "top 5 agents by chats" in text
    assert str(out) in text and "reconciled:" in text


def _printed_table(lines: list[str], title: str) -> list[str]:
    """The rows (header lines dropped) of the printed table under ``title``."""
    table = "\n".join(lines).split(f"{title}\n")[1].split("\n\n")[0]
    return table.splitlines()[2:]


def _cells(row: str, width: int) -> list[str]:
    """The last ``width`` cells of a printed row (names before them may hold spaces)."""
    return row.split()[-width:]


def test_the_tables_show_chats_as_whole_numbers(demo):
    _, lines, _ = demo
    rows = _printed_table(lines, "top 5 skills by chats")
    assert len(rows) == 5
    assert all(_cells(row, 3)[0].replace(",", "").isdigit() for row in rows)


def test_the_skills_table_shows_skill_names(demo):
    result, lines, _ = demo
    rows = _printed_table(lines, "top 5 skills by chats")
    names = set(result.frame["skill_name"].dropna().astype(str))
    shown = [row.rsplit(None, 3)[0].strip() for row in rows]
    assert all(name in names for name in shown)
    assert not any(name.isdigit() for name in shown)


def test_the_agents_table_shows_each_agents_name_and_team(demo):
    result, lines, _ = demo
    rows = _printed_table(lines, "top 5 agents by chats")
    agents = result.frame.loc[result.frame["level"] == "agent"]
    team_of = dict(zip(agents["agent_name"].astype(str),
                       agents["agent_group_name"].astype(object).fillna("no group"),
                       strict=True))
    for row in rows:
        before = row.rsplit(None, 3)[0]
        name = next(n for n in team_of if before.startswith(n + " "))
        assert before[len(name):].strip() == team_of[name]


def test_the_frame_has_names_read_from_the_simulators_configuration_api(demo):
    result, _, _ = demo
    frame = result.frame
    assert frame.attrs["names"]["source"] == engframe.names.API_SOURCE
    assert frame.attrs["names"]["unknown"] == {"skill": [], "agent": [], "agent_group": []}
    agents = frame["agent"].notna()
    assert frame.loc[agents, "agent_name"].notna().all()
    assert frame["agent_group_name"].nunique() >= 3


def test_the_names_are_saved_beside_the_raw_responses_and_load_offline(demo):
    result, _, _ = demo
    assert list(result.files["names"].glob("names_*.json"))
    offline = engframe.load(result.files["raw"], names=True)
    offline = offline[(offline["method"] == "engactivity").to_numpy()]
    for column in ("skill_name", "agent_name", "agent_group_name"):
        assert set(offline[column].dropna().astype(str)) == set(
            result.frame[column].dropna().astype(str))


def test_derived_file_names_each_skill_and_agent_and_the_agents_team(demo):
    result, _, _ = demo
    derived = engframe.read_parquet(result.files["derived"])
    skills = derived[derived["level"] == "skill"]
    agents = derived[derived["level"] == "agent"]
    assert skills["skill_name"].notna().all() and skills["agent_name"].isna().all()
    assert agents["agent_name"].notna().all() and agents["skill_name"].isna().all()
    assert agents["agent_group_name"].notna().any()


def test_the_history_keeps_the_names_beside_the_facts(demo):
    result, _, _ = demo
    named = engframe.read_dataset(result.files["history"], names=True)
    agents = named[(named["level"] == "agent").to_numpy()]
    assert agents["agent_name"].notna().all() and agents["agent_group_name"].notna().any()


def test_the_team_chart_ranks_teams_by_name(demo):
    from matplotlib import pyplot

    result, _, _ = demo
    ax = engframe.plot.ranking(result.frame, "avgInteractiveHandlingTime", by="agent_group")
    teams = set(result.frame["agent_group_name"].dropna().astype(str))
    assert {t.get_text() for t in ax.get_yticklabels()} <= teams | {"no group"}
    pyplot.close(ax.figure)


def test_running_again_later_changes_no_period_already_complete(demo, tmp_path):
    out = tmp_path / "twice"
    run_demo(out, now_ms=NOW_MS, echo=None)
    before = engframe.read_dataset(out / "history", method="engactivity")
    run_demo(out, now_ms=LATER_MS, echo=None)
    after = engframe.read_dataset(out / "history", method="engactivity")
    complete = before[before["complete"]]
    merged = complete[[*KEY, "value"]].merge(after[[*KEY, "value"]], on=KEY, how="left",
                                             suffixes=("_before", "_after"))
    assert len(merged) == len(complete)
    assert (merged["value_before"] == merged["value_after"]).all()
    assert after["timestamp"].max() > before["timestamp"].max()
    hourly = [engframe.derive(frame[frame["complete"]], by="hour", metrics=["totalChats"])
              .set_index("hour")["value"] for frame in (before, after)]
    shared = hourly[0].index.intersection(hourly[1].index)[1:-1]  # hours complete in both
    assert len(shared) >= 20
    assert hourly[0][shared].equals(hourly[1][shared])


# -- messaging: the demo runs both families by default ---------------------------------------


def test_it_shows_messaging_volume_handling_time_and_csat(demo):
    result, lines, _ = demo
    text = "\n".join(lines)
    assert "top 5 skills by resolved conversations" in text
    assert "CSAT by team (positive answers of all)" in text
    assert set(result.frames) == {"engactivity", "msgconversation", "msgcsatdistribution",
                                  "queuehealth", "agentactivity", "sla", "queuestate"}
    for summary in result.summaries.values():
        assert " 0 mismatch" in summary


def test_the_csat_table_is_the_ratio_of_the_teams_answers(demo):
    result, lines, _ = demo
    frame = result.frames["msgcsatdistribution"]
    agents = frame[(frame["level"] == "agent").to_numpy()]
    counts = agents.pivot_table(index="agent_group_name", columns="metric", values="value",
                                aggfunc="sum", observed=True)
    best = counts["total_answers"].idxmax()
    expected = counts.loc[best, "positive_answers"] / counts.loc[best, "total_answers"]
    row = next(r for r in _printed_table(lines, "CSAT by team (positive answers of all)")
               if r.startswith(str(best)))
    assert float(row.split()[-1]) == pytest.approx(expected, abs=0.005)


def test_the_history_holds_every_method_in_its_own_tables(demo):
    result, _, _ = demo
    history = result.files["history"]
    assert (history / "agent").is_dir() and (history / "msgconversation" / "agent").is_dir()
    csat = engframe.read_dataset(history, method="msgcsatdistribution")
    assert set(csat["span"].astype(str)) == {"timeframe"}
    assert csat["start"].nunique() == 1


def test_the_messaging_aht_chart_says_its_units_in_plain_words(demo):
    from matplotlib import pyplot

    result, _, _ = demo
    ax = engframe.plot.ranking(result.frames["msgconversation"],
                               "avgTime_resolvedConversations_byCCP", by="skill")
    assert ax.get_xlabel() == "Average handling time of conversations resolved by the agent (s)"
    assert "conversations" in ax.get_title()
    pyplot.close(ax.figure)


# -- the operational methods: queues, agent states, service level, queues now ----------------


def _named_row(lines: list[str], title: str, name: str) -> list[str]:
    row = next(r for r in _printed_table(lines, title) if r.startswith(f"{name} "))
    return row[len(name):].split()


def test_the_queue_table_is_speed_of_answer_and_abandonment_from_the_skills_sums(demo):
    result, lines, _ = demo
    frame = result.frames["queuehealth"]
    # the whole timeframe's skill rows, summed by hand: ratios of sums
    rows = frame[(frame["level"] == "skill") & (frame["span"] == "timeframe")]
    sums = rows.pivot_table(index="skill_name", columns="metric", values="value",
                            aggfunc="sum", observed=True)
    best = sums["connectedEng"].idxmax()
    connected, answer, abandoned = (sums.loc[best, m] for m in (
        "connectedEng", "totalTimeToAnswer", "abandonedEng"))
    cells = _named_row(lines, "top 5 skills by connected chats", str(best))
    assert int(cells[0]) == connected
    assert float(cells[1]) == pytest.approx(answer / connected, abs=0.005)
    assert float(cells[2]) == pytest.approx(abandoned / (abandoned + connected), abs=0.005)


def test_the_team_table_is_the_teams_chatting_time_over_logged_in(demo):
    result, lines, _ = demo
    frame = result.frames["agentactivity"]
    rows = frame[(frame["span"] == "timeframe") & (frame["state"] == "Logged in")
                 & frame["reason"].isna()]
    sums = rows.pivot_table(index="agent_group_name", columns="metric", values="value",
                            aggfunc="sum", observed=True)
    busiest = sums["total"].idxmax()
    cells = _named_row(lines, "agents' time by team", str(busiest))
    assert float(cells[0]) == pytest.approx(sums.loc[busiest, "total"] / 3600, abs=0.005)
    assert float(cells[1]) == pytest.approx(
        sums.loc[busiest, "chatting"] / sums.loc[busiest, "total"], abs=0.005)
    assert float(cells[2]) == pytest.approx(
        sums.loc[busiest, "chattingInMaxConcurrency"] / sums.loc[busiest, "chatting"], abs=0.005)


def test_the_service_level_line_counts_the_chats_under_each_edge(demo):
    result, lines, _ = demo
    frame = result.frames["sla"]
    chats = frame[frame["metric"] == "chats"].set_index("bucket")["value"]
    line = next(x for x in lines if x.startswith("service level (answered within T"))
    for t in (15, 30, 60):
        share = chats[chats.index < t].sum() / chats.sum()
        assert f"{t} s {100 * share:.1f}%" in line


def test_the_queue_state_is_kept_as_a_snapshot_of_the_moment_fetched(demo):
    result, lines, _ = demo
    frame = result.frames["queuestate"]
    assert set(frame["span"].astype(str)) == {"snapshot"}
    assert (frame["timestamp"] == frame["fetched_at"]).all()
    stored = engframe.read_dataset(result.files["history"], method="queuestate")
    assert set(stored["span"].astype(str)) == {"snapshot"}
    assert stored["value"].sum() == frame["value"].sum()
    assert any(line.startswith("queues now (") for line in lines)


def test_the_history_keeps_the_states_reasons_and_buckets(demo):
    result, _, _ = demo
    history = result.files["history"]
    states = engframe.read_dataset(history, method="agentactivity")
    assert {"Logged in", "Online", "Back soon", "Away"} <= set(states["state"].astype(str))
    sla = engframe.read_dataset(history, method="sla")
    assert sorted(sla["bucket"].unique().tolist()) == [0, 15, 30, 45, 60, 90, 120]
    fetched = result.frames["sla"]
    assert sla["value"].sum() == fetched["value"].sum()
