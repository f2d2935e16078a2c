"""The seeded contact center: structure, chats, determinism and rhythm."""

from __future__ import annotations

import numpy as np
import pytest

from engframe.errors import SimConfigError
from engframe.sim.model import DAY_MS, MAX_CHAT_SPAN_MS, Center, CenterConfig

from .conftest import NOW_MS

DAY = NOW_MS // DAY_MS * DAY_MS


def test_default_center_has_ten_skills_and_sixty_agents(center: Center) -> None:
    assert center.skill_ids.shape == (10,)
    assert center.agent_ids.shape == (60,)


def test_ids_are_unique_sorted_longs_some_beyond_32_bit_signed(center: Center) -> None:
    ids = np.concatenate([center.skill_ids, center.agent_ids])
    assert len(np.unique(ids)) == len(ids)
    assert (np.diff(center.skill_ids) > 0).all() and (np.diff(center.agent_ids) > 0).all()
    assert (ids > 2**31).any()


def test_every_skill_has_an_agent_and_every_agent_a_skill(center: Center) -> None:
    assert center.serves.any(axis=0).all()
    assert center.serves.any(axis=1).all()


def test_some_agents_serve_several_skills(center: Center) -> None:
    assert (center.serves.sum(axis=1) > 1).any()


def test_each_chat_goes_to_an_agent_serving_its_skill(center: Center) -> None:
    chats = center.chats(DAY, DAY + DAY_MS)
    assert center.serves[chats.agent, chats.skill].all()


def test_chat_times_are_ordered_and_handling_is_connect_to_close(center: Center) -> None:
    chats = center.chats(DAY, DAY + DAY_MS)
    assert (chats.arrival_ms <= chats.connect_ms).all()
    assert (chats.connect_ms < chats.close_ms).all()
    assert (chats.close_ms - chats.connect_ms == chats.handling_ms).all()
    assert (chats.close_ms - chats.arrival_ms <= MAX_CHAT_SPAN_MS).all()


def test_both_interactive_and_non_interactive_chats_occur(center: Center) -> None:
    share = center.chats(DAY, DAY + DAY_MS).interactive.mean()
    assert 0.6 < share < 0.95


def test_same_seed_gives_the_same_chats() -> None:
    a = Center(seed=5).chats(DAY, DAY + DAY_MS)
    b = Center(seed=5).chats(DAY, DAY + DAY_MS)
    assert np.array_equal(a.close_ms, b.close_ms) and np.array_equal(a.agent, b.agent)


def test_different_seeds_give_different_centers() -> None:
    assert not np.array_equal(Center(seed=1).skill_ids, Center(seed=2).skill_ids)


def test_a_days_chats_do_not_depend_on_what_was_asked_before() -> None:
    fresh = Center(seed=3).chats(DAY, DAY + 1)
    warmed = Center(seed=3)
    warmed.chats(DAY - 5 * DAY_MS, DAY - 4 * DAY_MS)
    assert np.array_equal(warmed.chats(DAY, DAY + 1).arrival_ms, fresh.arrival_ms)


def test_chats_cover_those_arriving_early_enough_to_close_in_the_span(center: Center) -> None:
    chats = center.chats(DAY + 60_000, DAY + 120_000)
    assert chats.arrival_ms.min() < DAY  # the previous day is included
    assert chats.arrival_ms.max() < DAY + DAY_MS


def test_afternoon_is_busier_than_night_in_local_time(center: Center) -> None:
    chats = center.chats(DAY, DAY + DAY_MS)
    local_hour = ((chats.arrival_ms - 5 * 3_600_000) // 3_600_000) % 24
    assert (local_hour == 14).sum() > 4 * (local_hour == 3).sum()


def test_weekend_is_quieter_than_a_weekday() -> None:
    center = Center(seed=1)
    wednesday = DAY  # NOW_MS is a Wednesday
    saturday = DAY + 3 * DAY_MS
    busy = center.chats(wednesday, wednesday + DAY_MS).arrival_ms
    quiet = center.chats(saturday, saturday + DAY_MS).arrival_ms
    in_day = lambda ms, start: ((ms >= start) & (ms < start + DAY_MS)).sum()  # noqa: E731
    assert in_day(quiet, saturday) < 0.8 * in_day(busy, wednesday)


def test_chats_frame_carries_ids_and_utc_times(center: Center) -> None:
    frame = center.chats_frame(DAY, DAY + 3_600_000)
    assert frame["skill"].isin(center.skill_ids).all()
    assert str(frame["close"].dtype) == "datetime64[ms, UTC]"


def test_config_sizes_the_center() -> None:
    center = Center(seed=1, config=CenterConfig(n_skills=3, n_agents=7, chats_per_day=100))
    assert (len(center.skill_ids), len(center.agent_ids)) == (3, 7)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"n_skills": 0}, "n_skills"),
        ({"n_skills": 5, "n_agents": 4}, "n_agents"),
        ({"chats_per_day": -1.0}, "chats_per_day"),
        ({"utc_offset_minutes": 10_000}, "utc_offset_minutes"),
    ],
)
def test_unusable_config_is_refused_naming_the_field(
    options: dict[str, object], named: str
) -> None:
    with pytest.raises(SimConfigError, match=named):
        CenterConfig(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, "1", 1.5])
def test_seed_must_be_a_non_negative_integer(seed: object) -> None:
    with pytest.raises(SimConfigError, match="seed"):
        Center(seed=seed)  # type: ignore[arg-type]
