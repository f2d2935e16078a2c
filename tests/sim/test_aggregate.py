"""The five metrics from chats: which events count where, exact sums, per-element rounding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engframe.sim.aggregate import Events, group, select_events, to_shown
from engframe.sim.model import ChatTable

ALL2 = np.ones(2, dtype=bool)


def table(rows: list[tuple[int, int, int, int, bool]]) -> ChatTable:
    """Chats from (skill, agent, connect_ms, close_ms, interactive) rows."""
    skill, agent, connect, close, interactive = (np.array(col) for col in zip(*rows, strict=True))
    return ChatTable(
        skill=skill.astype(np.int64),
        agent=agent.astype(np.int64),
        arrival_ms=connect.astype(np.int64),
        connect_ms=connect.astype(np.int64),
        close_ms=close.astype(np.int64),
        interactive=interactive.astype(bool),
        handling_ms=(close - connect).astype(np.int64),
    )


def totals(events: Events) -> list[int]:
    return [int(v) for v in events.raw.sum(axis=0)]


def test_a_close_counts_the_chat_and_its_whole_handling_time() -> None:
    chats = table([(0, 0, 1_000, 61_500, True), (1, 1, 2_000, 7_000, False)])
    events = select_events(
        chats, edges_ms=np.array([0, 100_000]), visible_ms=100_000, skill_mask=ALL2, agent_mask=ALL2
    )
    assert totals(events) == [1, 1, 60_500, 5_000, 2]


def test_connection_and_close_fall_in_their_own_intervals() -> None:
    chats = table([(0, 0, 50_000, 150_000, True)])
    events = select_events(
        chats,
        edges_ms=np.array([0, 100_000, 200_000]),
        visible_ms=200_000,
        skill_mask=ALL2,
        agent_mask=ALL2,
    )
    per = group(events, by_interval=True)
    assert per.interval.tolist() == [0, 1]
    assert per.raw.tolist() == [[0, 0, 0, 0, 1], [1, 0, 100_000, 0, 0]]


def test_a_chat_that_closed_before_the_window_adds_only_its_connection_if_inside() -> None:
    chats = table([(0, 0, 10_000, 90_000, True)])
    events = select_events(
        chats,
        edges_ms=np.array([50_000, 150_000]),
        visible_ms=150_000,
        skill_mask=ALL2,
        agent_mask=ALL2,
    )
    assert totals(events) == [1, 0, 80_000, 0, 0]


def test_window_start_is_inclusive_and_end_exclusive() -> None:
    chats = table([(0, 0, 100_000, 200_000, True)])
    events = select_events(
        chats,
        edges_ms=np.array([100_000, 200_000]),
        visible_ms=300_000,
        skill_mask=ALL2,
        agent_mask=ALL2,
    )
    assert totals(events) == [0, 0, 0, 0, 1]


def test_events_after_the_visible_moment_are_not_counted_yet() -> None:
    chats = table([(0, 0, 10_000, 60_000, True)])
    kwargs = {"edges_ms": np.array([0, 300_000]), "skill_mask": ALL2, "agent_mask": ALL2}
    assert totals(select_events(chats, visible_ms=59_999, **kwargs)) == [0, 0, 0, 0, 1]
    assert totals(select_events(chats, visible_ms=60_000, **kwargs))[0] == 1


def test_skill_and_agent_masks_restrict_the_events() -> None:
    chats = table([(0, 0, 1, 2, True), (0, 1, 1, 2, True), (1, 1, 1, 2, True)])
    events = select_events(
        chats,
        edges_ms=np.array([0, 10]),
        visible_ms=10,
        skill_mask=np.array([True, False]),
        agent_mask=np.array([False, True]),
    )
    assert totals(events) == [1, 0, 1, 0, 1]


def test_group_by_skill_and_agent_lists_only_cells_with_events_in_id_order() -> None:
    chats = table([(1, 1, 1, 2, True), (0, 1, 1, 2, False), (1, 1, 3, 4, True)])
    events = select_events(
        chats, edges_ms=np.array([0, 10]), visible_ms=10, skill_mask=ALL2, agent_mask=ALL2
    )
    cells = group(events, by_interval=False, by_skill=True, by_agent=True)
    assert list(zip(cells.skill.tolist(), cells.agent.tolist(), strict=True)) == [(0, 1), (1, 1)]
    assert cells.raw[:, 4].tolist() == [1, 2]


def test_group_without_events_is_empty() -> None:
    chats = table([(0, 0, 500, 600, True)])
    events = select_events(
        chats, edges_ms=np.array([0, 10]), visible_ms=10, skill_mask=ALL2, agent_mask=ALL2
    )
    assert len(group(events, by_interval=True).raw) == 0


@pytest.mark.parametrize(("ms", "seconds"), [(0, 0), (499, 0), (500, 1), (1_499, 1), (2_500, 3)])
def test_handling_time_is_shown_in_whole_seconds_half_up(ms: int, seconds: int) -> None:
    assert to_shown(np.array([[0, 0, ms, ms, 0]]))[0, 2:4].tolist() == [seconds, seconds]


def test_counts_are_never_rounded() -> None:
    assert to_shown(np.array([[7, 3, 0, 0, 9]]))[0].tolist() == [7, 3, 0, 0, 9]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=50))
def test_rounded_total_is_within_half_a_second_per_part_of_summed_parts(parts: list[int]) -> None:
    raw = np.zeros((len(parts), 5), dtype=np.int64)
    raw[:, 2] = parts
    shown_parts = int(to_shown(raw)[:, 2].sum())
    shown_total = int(to_shown(raw.sum(axis=0, keepdims=True))[0, 2])
    assert abs(shown_total - shown_parts) <= 0.5 * len(parts) + 0.5
