"""reconcile's ways to the same checks: every shortcut gives the general way's frame, to the bit.

reconcile reads a flattened answer through shortcuts that spare memory (a metric map's values
placed in a table rather than summed, codes in their narrowest integers, the checks among a
map's metrics keyed by the map, columns read a block of rows at a time). Each is checked here
against the way it replaces, on the simulator's answers of every method with drift injected,
and alone on generated inputs.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe import _keys
from engframe.reconcile import _checks, _codes, _maps, reconcile
from engframe.schema import epoch_ms
from tests.simfetch import BASE_MS, MINUTE, sim_client


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    with sim_client(BASE_MS + 7 * MINUTE + 31_000) as (_clock, client):
        found = {method: client.fetch(method=method, timeframe=60, skills="all", agents="all",
                                      **({"interval": 5} if method != "msgcsatdistribution"
                                         else {}))
                 for method in ("engactivity", "msgconversation", "msgcsatdistribution")}
        found["queuehealth"] = client.fetch(method="queuehealth", timeframe=60, interval=5,
                                            skills="all")
    drifted = copy.deepcopy(found["msgconversation"])
    agents = drifted["response"]["agentsMetrics"]["metricsPerAgent"]
    agent = next(iter(agents))
    agents[agent]["resolvedConversations_byCCP"] += 5
    agents[agent]["avgTime_resolvedConversations"] += 7.5
    found["msgconversation, drifted"] = drifted
    return found


def _frames(answers: dict[str, dict[str, Any]]) -> Iterator[tuple[str, pd.DataFrame]]:
    for name, answer in answers.items():
        yield name, engframe.flatten(answer)
    # several responses in one frame: a concatenation told apart by its source column
    two = [engframe.flatten(answers[m]).assign(source=m)
           for m in ("msgconversation", "msgconversation, drifted")]
    yield "two responses", pd.concat(two, ignore_index=True).astype({"source": "category"})


def _general(monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    if way == "summed":  # a map's values summed (bincount), never placed
        monkeypatch.setattr(_maps, "_placed", lambda *args: None)
    elif way == "rows":  # no table of metric maps: every check from the rows
        monkeypatch.setattr(_maps._Maps, "of", classmethod(lambda cls, *args: None))
        monkeypatch.setattr(importlib.import_module("engframe.reconcile._core")._Maps, "of",
                            classmethod(lambda cls, *args: None))
    elif way == "wide codes":  # every code int64, as before the narrowing
        monkeypatch.setattr(_codes, "_narrow",
                            lambda codes, n: np.asarray(codes).astype(np.int64))


@pytest.mark.parametrize("way", ["summed", "rows", "wide codes"])
def test_every_shortcut_gives_the_general_ways_checks(
        answers: dict[str, dict[str, Any]], way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = list(_frames(answers))
    expected = {name: reconcile(frame) for name, frame in frames}
    assert any((checks["status"] == "mismatch").any() for checks in expected.values())
    _general(monkeypatch, way)
    for name, frame in frames:
        got = reconcile(frame)
        if way == "rows":  # the rows' checks among a map's metrics come in their keys' order
            got, expected[name] = _in_order(got), _in_order(expected[name])
        pd.testing.assert_frame_equal(got, expected[name], check_exact=True,
                                      obj=f"{name} ({way})")


def _in_order(checks: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("source", "relation", "level", "span", "timestamp", "skill", "agent",
                        "metric") if c in checks.columns]
    order = pd.DataFrame({c: checks[c].astype(str) if c in ("source", "relation", "metric")
                          else checks[c] for c in keys})
    return checks.loc[order.sort_values(keys, kind="stable").index].reset_index(drop=True)


def test_the_checks_among_a_maps_metrics_name_the_maps_keys(
        answers: dict[str, dict[str, Any]]) -> None:
    """A check keyed by its metric map carries the map's level, interval, skill and agent:
    the drifted agent's average and its resolution types are flagged where they were put."""
    checks = reconcile(engframe.flatten(answers["msgconversation, drifted"]))
    agent = int(next(iter(answers["msgconversation, drifted"]["response"]["agentsMetrics"]
                          ["metricsPerAgent"])))
    bad = checks[checks["status"] == "mismatch"]
    within = bad[bad["relation"].isin(["average_vs_its_sums", "resolved_by_type"])]
    assert set(within["relation"].astype(str)) == {"average_vs_its_sums", "resolved_by_type"}
    assert set(within["level"].astype(str)) == {"agent"}
    assert set(within["span"].astype(str)) == {"timeframe"}
    assert within["agent"].tolist() == [agent, agent]
    assert within["skill"].isna().all()


# -- the pieces, alone ------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=40),
       block=st.integers(1, 7))
def test_ids_read_a_block_at_a_time_are_the_ids_read_at_once(ids: list[int | None],
                                                             block: int) -> None:
    column = pd.Series(pd.array(ids, dtype="Int64"))
    mask = column.isna().to_numpy()
    values = column.to_numpy(np.int64, na_value=0)
    starts = _codes._run_starts(values, mask)
    expected_codes, expected_ids = pd.factorize(
        pd.arrays.IntegerArray(values[starts], mask[starts]))
    old = _codes.BLOCK
    try:
        _codes.BLOCK = block
        codes, found_ids, found_starts = _codes._factorize_ids(column)
    finally:
        _codes.BLOCK = old
    assert found_starts.tolist() == starts.tolist()
    assert found_ids.tolist() == np.asarray(expected_ids, np.int64).tolist()
    assert codes.tolist() == np.repeat(expected_codes, np.diff([*starts, len(ids)])).tolist()


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(st.integers(-1, 4), max_size=50), block=st.integers(1, 9))
def test_codes_counted_a_block_at_a_time(codes: list[int], block: int) -> None:
    old = _keys.BLOCK
    try:
        _keys.BLOCK = block
        counts = _keys.code_counts(np.array(codes, np.int8), 5)
    finally:
        _keys.BLOCK = old
    assert counts.tolist() == [codes.count(k) for k in range(5)] + [codes.count(-1)]


@pytest.mark.parametrize(("n", "dtype"), [(0, np.int8), (127, np.int8), (128, np.int16),
                                          (32_768, np.int32), (2**31, np.int64)])
def test_codes_take_the_narrowest_type_that_holds_them(n: int, dtype: type) -> None:
    assert _codes._narrow(np.array([-1, 0]), n).dtype == dtype


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 30), st.booleans()),
                     max_size=30),
       rounding=st.sampled_from(["nearest", "truncate"]))
def test_rounding_bounds_written_in_place_are_the_formulas(
        rows: list[tuple[int, int, bool]], rounding: str) -> None:
    diff = np.array([r[0] for r in rows], np.float64)
    parts = np.array([r[1] for r in rows], np.int64)
    rounded = np.array([r[2] for r in rows], bool)
    tolerance, beyond = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    _checks._rounding_bounds(diff, parts, rounded, rounding, tolerance=tolerance,
                             beyond=beyond)
    for (d, n, is_rounded), tol, out in zip(rows, tolerance, beyond, strict=True):
        if rounding == "nearest":
            want = n // 2 if is_rounded else 0
            assert (tol, out) == (want, max(abs(d) - want, 0))
        else:
            want = max(n - 1, 0) if is_rounded else 0
            assert (tol, out) == (want, max(d, 0) + max(-d - want, 0))


def test_a_response_column_repeated_keeps_its_type() -> None:
    category = pd.Categorical(["b", "a"], categories=["a", "b"])
    repeated = _checks._repeated(category, 3)
    assert repeated.tolist() == ["b", "b", "b"] and repeated.dtype == category.dtype
    stamps = pd.array(pd.to_datetime([5, 6], unit="ms", utc=True))
    assert _checks._repeated(stamps, 2).tolist() == [stamps[0], stamps[0]]


def test_a_zoned_column_reads_as_its_utc_instants() -> None:
    utc = pd.Series(pd.to_datetime(["2026-01-01T05:00:00Z", None], utc=True))
    assert epoch_ms(utc.dt.tz_convert("America/New_York")).tolist() == [
        1_767_243_600_000, np.iinfo(np.int64).min]


@pytest.mark.parametrize("method", ["engactivity", "msgconversation", "queuehealth"])
def test_a_flattened_answers_values_are_placed_as_bincount_sums_them(
        answers: dict[str, dict[str, Any]], method: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    frame = engframe.flatten(answers[method])
    codes = _codes._Codes.of(frame, [])
    metrics = range(len(codes.metrics))
    placed = _maps._Maps.of(codes, metrics)
    assert placed is not None and placed.counts.dtype == np.int8  # the placing way was taken
    monkeypatch.setattr(_maps, "_placed", lambda *args: None)
    summed = _maps._Maps.of(codes, metrics)
    assert summed is not None and summed.counts.dtype == np.int64
    assert placed.whole == summed.whole
    np.testing.assert_array_equal(placed.counts, summed.counts)
    np.testing.assert_array_equal(placed.sums, summed.sums)
    assert not np.signbit(placed.sums[placed.sums == 0]).any()  # no -0.0 a sum never gives
