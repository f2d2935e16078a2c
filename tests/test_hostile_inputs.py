"""Inputs that once cost a raw exception or quadratic time (issue 18, items 9 and 10).

Ids written with thousands of leading zeros (Python refuses ``int()`` of more than 4,300
digits), a ``None`` agent key in a Python dict, limits past what memory holds, and one
``metricsPerAgent`` of 100,000 agents (50,000 once took 30-39 s: ``list.index`` per new
agent id). The time bound below only proves that the work is not quadratic; it is generous.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engframe
from engframe.errors import OptionError, QueryError, ResponseError, SimRequestError
from engframe.query import Query, id_from_text
from engframe.sim.query import parse_query

ZEROS = "0" * 5000


@given(zeros=st.integers(0, 10_000), number=st.integers(0, 2**63 - 1),
       negative=st.booleans())
def test_an_id_reads_the_same_whatever_its_leading_zeros(zeros: int, number: int,
                                                        negative: bool) -> None:
    text = ("-" if negative else "") + "0" * zeros + str(number)
    assert id_from_text(text) == (-number if negative else number)


@pytest.mark.parametrize("text", ["0" * 5000 + "9" * 20, "-" + "0" * 5000 + "9" * 20,
                                  "9" * 5000])
def test_an_id_past_64_bits_is_none_however_written(text: str) -> None:
    assert id_from_text(text) is None


def test_a_response_id_with_thousands_of_leading_zeros_is_read(tmp_path: Path) -> None:
    doc = {"agentsMetrics": {"metricsPerAgent": {ZEROS + "7": {"m": 1}}}}
    path = tmp_path / "zeros.json"
    path.write_text(json.dumps(doc))
    for source in (doc, path, path.read_bytes()):
        assert engframe.flatten(source)["agent"].tolist() == [7]


def test_a_query_and_the_simulator_read_such_ids() -> None:
    assert Query(timeframe=60, skills=ZEROS + "7," + ZEROS + "8").skills == (7, 8)
    assert parse_query({"timeframe": ["60"], "v": ["1"],
                        "skillIds": [ZEROS + "7"]}).skill_ids == (7,)


def test_a_query_id_past_64_bits_is_still_a_query_error() -> None:
    with pytest.raises(QueryError, match="skills"):
        Query(timeframe=60, skills=ZEROS + "9" * 30)
    with pytest.raises(SimRequestError, match="skillIds"):
        parse_query({"timeframe": ["60"], "v": ["1"], "skillIds": [ZEROS + "9" * 30]})


@pytest.mark.parametrize("key", [None, 7, 7.0, True, ("7",)])
def test_an_agent_key_that_is_not_text_is_a_response_error_not_agent_0(key: object) -> None:
    with pytest.raises(ResponseError, match="metricsPerAgent") as caught:
        engframe.flatten({"agentsMetrics": {"metricsPerAgent": {key: {"m": 1}}}})
    assert "agent id" in str(caught.value)


def test_a_none_skill_agent_key_is_a_response_error_too() -> None:
    doc = {"skillsMetricsPerAgent": {"metricsPerSkill": {"4": {
        "metricsPerAgent": {"1": {"m": 1}, None: {"m": 2}}}}}}
    with pytest.raises(ResponseError, match="agent id"):
        engframe.flatten(doc)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["dict", "json"])
def test_a_hundred_thousand_agents_flatten_in_linear_time(as_bytes: bool) -> None:
    agents = {str(3_000_000_000 + i): {"m": i, "n": 1} for i in range(100_000)}
    doc = {"agentsMetrics": {"metricsPerAgent": agents, "metricsTotals": {"m": 1}}}
    source = json.dumps(doc).encode() if as_bytes else doc
    started = time.perf_counter()
    frame = engframe.flatten(source)
    assert time.perf_counter() - started < 15  # about a minute when quadratic (152 s seen)
    assert len(frame) == 200_001 and frame["agent"].max() == 3_000_099_999


def test_a_bad_key_among_many_agents_is_named(tmp_path: Path) -> None:
    agents = {str(i): {"m": 1} for i in range(1, 20_000)}
    agents["agentX"] = {"m": 1}
    with pytest.raises(ResponseError, match=r'metricsPerAgent\["agentX"\]'):
        engframe.flatten({"agentsMetrics": {"metricsPerAgent": agents}})


@pytest.mark.parametrize("max_bytes", [2**70, 2**41, 0, -1, 1.5, True, "1M"])
def test_a_max_bytes_past_what_memory_holds_or_not_a_count_is_an_option_error(
    samples_dir: Path, max_bytes: object,
) -> None:
    path = next(samples_dir.glob("*.json"))
    for read in (engframe.load, engframe.flatten):
        with pytest.raises(OptionError, match="max_bytes"):
            read(path, max_bytes=max_bytes)  # type: ignore[operator]
