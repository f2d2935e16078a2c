"""engactivity responses: the spec's shapes, its worked examples, and sums true to the chats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.schema import METRICS
from engframe.sim.model import Center
from engframe.sim.query import EngQuery
from engframe.sim.render import build_response, encode
from engframe.window import query_window

from .conftest import NOW_MS

MINUTE = 60_000
TIMEFRAME_KEYS = ("skillsMetricsPerAgent", "agentsMetrics", "metricsTotals")


def ms(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


def structure(node: Any, path: str = "$") -> set[tuple[str, object]]:
    """Every JSON path of a response with what sits there: ordered keys, 'ids' or a type.

    Maps keyed by ids (and every empty map: in this API only id maps can be empty) become
    'ids', so responses compare by shape whatever ids and how many of them they hold.
    """
    if isinstance(node, dict):
        if not node or all(key.isdigit() for key in node):
            found: set[tuple[str, object]] = {(path, "ids")}
            for value in node.values():
                found |= structure(value, f"{path}.*")
            return found
        found = {(path, tuple(node))}
        for key, value in node.items():
            found |= structure(value, f"{path}.{key}")
        return found
    if isinstance(node, list):
        found = {(path, "list")}
        for value in node:
            found |= structure(value, f"{path}[]")
        return found
    return {(path, type(node).__name__)}


def busiest(center: Center, key: str) -> int:
    """The skill or agent id with the most connected chats in the last 24 hours."""
    body = build_response(
        center, EngQuery(timeframe=1440, skill_ids="all", agent_ids="all"), now_ms=NOW_MS
    )
    section = body[key]
    per = section.get("metricsPerSkill") or section["metricsPerAgent"]
    return int(max(per, key=lambda k: _metrics(per[k])["connectedEngagements"]))


def _metrics(node: dict[str, Any]) -> dict[str, int]:
    return node.get("metricsTotals", node)  # type: ignore[no-any-return]


SAMPLE_QUERIES: dict[str, Callable[[Center], EngQuery]] = {
    "skill_2": lambda c: EngQuery(timeframe=1440, skill_ids=(busiest(c, "skillsMetricsPerAgent"),)),
    "skills_all_agent_3": lambda c: EngQuery(
        timeframe=1440, skill_ids="all", agent_ids=(busiest(c, "agentsMetrics"),)
    ),
    "account": lambda c: EngQuery(timeframe=1440),
    "skill_agent_no_data": lambda c: EngQuery(timeframe=1440, skill_ids=(2,), agent_ids=(3,)),
    "agent_2_intervals": lambda c: EngQuery(
        timeframe=1200, interval=600, agent_ids=(busiest(c, "agentsMetrics"),)
    ),
    "skill_no_data_intervals": lambda c: EngQuery(timeframe=1200, interval=600, skill_ids=(2,)),
    "account_intervals": lambda c: EngQuery(timeframe=1200, interval=600),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_QUERIES))
def test_response_has_the_same_structure_as_the_spec_example(
    name: str, center: Center, sample: Callable[[str], Any]
) -> None:
    body = build_response(center, SAMPLE_QUERIES[name](center), now_ms=NOW_MS)
    assert structure(body) == structure(sample(name))


def test_intervals_come_newest_first_like_the_spec_example(center: Center) -> None:
    body = build_response(center, EngQuery(timeframe=1200, interval=600), now_ms=NOW_MS)
    stamps = [entry["timestamp"] for entry in body["metricsByIntervals"]]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] - stamps[1] == 600 * MINUTE


def test_intervals_can_come_oldest_first(center: Center) -> None:
    body = build_response(
        center, EngQuery(timeframe=60, interval=30), now_ms=NOW_MS, newest_first=False
    )
    stamps = [entry["timestamp"] for entry in body["metricsByIntervals"]]
    assert stamps == sorted(stamps)


def test_spec_0807_example_interval_ends(center: Center) -> None:
    now = ms(2014, 3, 26, 8, 7)
    body = build_response(center, EngQuery(timeframe=20, interval=10), now_ms=now)
    stamps = [entry["timestamp"] for entry in body["metricsByIntervals"]]
    assert stamps == [ms(2014, 3, 26, 8, 10), ms(2014, 3, 26, 8, 0), ms(2014, 3, 26, 7, 50)]


def test_spec_0807_example_window_is_0745_to_0810_via_window_module() -> None:
    window = query_window(now_ms=ms(2014, 3, 26, 8, 7), timeframe=20, interval=10)
    spans = [(i.start_ms, i.end_ms) for i in window.intervals]
    assert spans == [
        (ms(2014, 3, 26, 7, 45), ms(2014, 3, 26, 7, 50)),
        (ms(2014, 3, 26, 7, 50), ms(2014, 3, 26, 8, 0)),
        (ms(2014, 3, 26, 8, 0), ms(2014, 3, 26, 8, 10)),
    ]
    assert [i.complete for i in window.intervals] == [True, True, False]


def test_spec_1329_example_uses_the_1325_and_1330_buckets_via_window_module() -> None:
    window = query_window(now_ms=ms(2026, 11, 25, 13, 29), timeframe=7)
    assert (window.start_ms, window.end_ms) == (ms(2026, 11, 25, 13, 20), ms(2026, 11, 25, 13, 30))


def test_spec_1329_example_counts_events_from_1320_not_1322(center: Center) -> None:
    now = ms(2026, 11, 25, 13, 29)
    chats = center.chats(now - 10 * MINUTE, now)
    early = (chats.close_ms >= now - 9 * MINUTE) & (chats.close_ms < now - 7 * MINUTE)
    assert early.any(), "the test needs chats closing between 13:20 and 13:22"
    closed = (chats.close_ms >= now - 9 * MINUTE) & (chats.close_ms <= now)
    body = build_response(center, EngQuery(timeframe=7), now_ms=now)
    totals = body["metricsTotals"]
    assert totals["totalInteractiveChats"] + totals["totalNonInteractiveChats"] == closed.sum()


def test_newest_interval_is_still_filling_and_holds_only_events_up_to_now(center: Center) -> None:
    body = build_response(center, EngQuery(timeframe=60, interval=5), now_ms=NOW_MS)
    newest = body["metricsByIntervals"][0]
    assert newest["timestamp"] > NOW_MS
    chats = center.chats(NOW_MS - 10 * MINUTE, NOW_MS)
    start = newest["timestamp"] - 5 * MINUTE
    visible = NOW_MS - NOW_MS % 10_000
    connected = ((chats.connect_ms >= start) & (chats.connect_ms <= visible)).sum()
    assert newest["metricsData"]["metricsTotals"]["connectedEngagements"] == connected


def test_same_center_and_moment_give_identical_bytes() -> None:
    query = EngQuery(timeframe=1440, interval=5, skill_ids="all", agent_ids="all")
    first = encode(build_response(Center(seed=1), query, now_ms=NOW_MS))
    second = encode(build_response(Center(seed=1), query, now_ms=NOW_MS))
    assert first == second


def test_a_different_seed_gives_different_numbers() -> None:
    query = EngQuery(timeframe=1440)
    assert build_response(Center(seed=1), query, now_ms=NOW_MS) != build_response(
        Center(seed=2), query, now_ms=NOW_MS
    )


def test_unknown_ids_give_the_empty_shape_with_zero_totals(center: Center) -> None:
    body = build_response(center, EngQuery(timeframe=60, agent_ids=(1, 2)), now_ms=NOW_MS)
    assert body == {
        "agentsMetrics": {"metricsPerAgent": {}, "metricsTotals": dict.fromkeys(METRICS, 0)}
    }


def test_skill_map_lists_only_the_requested_skills_in_id_order(center: Center) -> None:
    wanted = [int(center.skill_ids[3]), int(center.skill_ids[1])]
    body = build_response(center, EngQuery(timeframe=1440, skill_ids=tuple(wanted)), now_ms=NOW_MS)
    assert list(body["skillsMetricsPerAgent"]["metricsPerSkill"]) == [
        str(i) for i in sorted(wanted)
    ]


def test_with_both_lists_each_section_holds_the_asked_agents_on_the_asked_skills(
    center: Center,
) -> None:
    agent = busiest(center, "agentsMetrics")
    skill = int(center.skill_ids[center.serves[list(center.agent_ids).index(agent)]][0])
    both = build_response(
        center, EngQuery(timeframe=1440, skill_ids=(skill,), agent_ids=(agent,)), now_ms=NOW_MS
    )
    alone = build_response(center, EngQuery(timeframe=1440, skill_ids=(skill,)), now_ms=NOW_MS)
    cell = alone["skillsMetricsPerAgent"]["metricsPerSkill"][str(skill)]["metricsPerAgent"][
        str(agent)
    ]
    assert both["agentsMetrics"]["metricsPerAgent"] == {str(agent): cell}
    assert list(
        both["skillsMetricsPerAgent"]["metricsPerSkill"][str(skill)]["metricsPerAgent"]
    ) == [str(agent)]


def test_ids_above_two_to_the_31_appear_as_exact_string_keys(center: Center) -> None:
    body = build_response(center, EngQuery(timeframe=1440, agent_ids="all"), now_ms=NOW_MS)
    keys = [int(k) for k in body["agentsMetrics"]["metricsPerAgent"]]
    assert set(keys) <= set(center.agent_ids.tolist())
    assert max(keys) > 2**31


def test_no_data_older_than_the_window(center: Center) -> None:
    old = NOW_MS - 3 * 86_400_000
    chats = center.chats(old, NOW_MS)
    window = query_window(now_ms=NOW_MS, timeframe=1440)
    visible = NOW_MS - NOW_MS % 10_000  # the data refreshes every 10 s
    in_window = (chats.close_ms >= window.start_ms) & (chats.close_ms <= visible)
    body = build_response(center, EngQuery(timeframe=1440), now_ms=NOW_MS)
    totals = body["metricsTotals"]
    assert totals["totalInteractiveChats"] + totals["totalNonInteractiveChats"] == in_window.sum()
    assert in_window.sum() < (chats.close_ms <= visible).sum()


# --- sums against the underlying chats -------------------------------------------------------


def truth(center: Center, query: EngQuery, now_ms: int) -> list[int]:
    """The five timeframe totals computed straight from the chats (no engframe.sim.aggregate)."""
    window = query_window(now_ms=now_ms, timeframe=query.timeframe)
    chats = center.chats(window.start_ms, window.end_ms)
    visible = now_ms - now_ms % 10_000
    skill_ids, agent_ids = center.skill_ids[chats.skill], center.agent_ids[chats.agent]
    who = np.ones(len(chats), dtype=bool)
    if isinstance(query.skill_ids, tuple):
        who &= np.isin(skill_ids, query.skill_ids)
    if isinstance(query.agent_ids, tuple):
        who &= np.isin(agent_ids, query.agent_ids)
    closed = who & (chats.close_ms >= window.start_ms) & (chats.close_ms <= visible)
    connected = who & (chats.connect_ms >= window.start_ms) & (chats.connect_ms <= visible)
    inter, non = closed & chats.interactive, closed & ~chats.interactive
    seconds = lambda total: (int(total) + 500) // 1000  # noqa: E731
    return [
        int(inter.sum()),
        int(non.sum()),
        seconds(chats.handling_ms[inter].sum()),
        seconds(chats.handling_ms[non].sum()),
        int(connected.sum()),
    ]


def totals_of(section: dict[str, Any]) -> list[int]:
    return [section["metricsTotals"][m] for m in METRICS]


def parts_of(entries: list[dict[str, int]]) -> list[int]:
    return [sum(entry[m] for entry in entries) for m in METRICS]


def assert_close(total: list[int], parts: list[int], n_parts: int) -> None:
    """Counts add up exactly; handling times up to half a second per shown element."""
    assert total[0:2] == parts[0:2] and total[4] == parts[4]
    for position in (2, 3):
        assert abs(total[position] - parts[position]) <= 0.5 * n_parts + 0.5


def sections(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in TIMEFRAME_KEYS if key in body}


@st.composite
def queries(draw: st.DrawFn, center: Center) -> EngQuery:
    timeframe = draw(st.integers(5, 1440))
    divisors = [d for d in range(5, timeframe + 1) if timeframe % d == 0]
    interval = draw(st.none() | st.sampled_from(divisors)) if divisors else None

    def ids(pool: np.ndarray) -> object:
        return draw(
            st.none()
            | st.just("all")
            | st.lists(
                st.sampled_from(pool.tolist()) | st.integers(1, 10),
                min_size=1,
                max_size=4,
            ).map(tuple)
        )

    return EngQuery(
        timeframe=timeframe,
        interval=interval,
        skill_ids=ids(center.skill_ids),
        agent_ids=ids(center.agent_ids),
    )  # type: ignore[arg-type]


CENTER = Center(seed=1)
NOWS = st.integers(NOW_MS - 7 * 86_400_000, NOW_MS)


@settings(max_examples=40, deadline=None)
@given(query=queries(CENTER), now=NOWS)
def test_timeframe_totals_equal_the_chats(query: EngQuery, now: int) -> None:
    body = build_response(CENTER, query, now_ms=now)
    for section in sections(body).values():
        total = (
            totals_of(section)
            if isinstance(section, dict) and "metricsTotals" in section
            else [section[m] for m in METRICS]
        )
        assert total == truth(CENTER, query, now)


@settings(max_examples=40, deadline=None)
@given(query=queries(CENTER), now=NOWS)
def test_intervals_add_up_to_the_timeframe_up_to_rounding(query: EngQuery, now: int) -> None:
    body = build_response(CENTER, query, now_ms=now)
    if "metricsByIntervals" not in body:
        return
    data = [entry["metricsData"] for entry in body["metricsByIntervals"]]
    for key, section in sections(body).items():
        if key == "metricsTotals":
            total, parts = [section[m] for m in METRICS], [d[key] for d in data]
        else:
            total, parts = totals_of(section), [d[key]["metricsTotals"] for d in data]
        assert_close(total, parts_of(parts), len(parts))


@settings(max_examples=40, deadline=None)
@given(query=queries(CENTER), now=NOWS)
def test_skills_and_agents_add_up_to_their_totals_up_to_rounding(query: EngQuery, now: int) -> None:
    body = build_response(CENTER, query, now_ms=now)
    spans = [body] + [entry["metricsData"] for entry in body.get("metricsByIntervals", [])]
    for span in spans:
        if "skillsMetricsPerAgent" in span:
            skills = span["skillsMetricsPerAgent"]
            per_skill = skills["metricsPerSkill"].values()
            assert_close(
                totals_of(skills), parts_of([s["metricsTotals"] for s in per_skill]), len(per_skill)
            )
            for skill in per_skill:
                agents = list(skill["metricsPerAgent"].values())
                assert_close(totals_of(skill), parts_of(agents), len(agents))
        if "agentsMetrics" in span:
            agents_section = span["agentsMetrics"]
            agents = list(agents_section["metricsPerAgent"].values())
            assert_close(totals_of(agents_section), parts_of(agents), len(agents))


def test_rounding_drift_does_occur_somewhere_in_a_busy_day(center: Center) -> None:
    body = build_response(
        center, EngQuery(timeframe=1440, interval=5, agent_ids="all"), now_ms=NOW_MS
    )
    drifts = [
        entry["metricsData"]["agentsMetrics"]["metricsTotals"]["totalHandlingTime"]
        - sum(
            a["totalHandlingTime"]
            for a in entry["metricsData"]["agentsMetrics"]["metricsPerAgent"].values()
        )
        for entry in body["metricsByIntervals"]
    ]
    assert any(drifts)
