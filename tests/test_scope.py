"""engframe.scope: what a saved request selects, read with the client's one id rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engframe.query import check_ids
from engframe.scope import ALL, Scope


@pytest.mark.parametrize("written", [" +7", "1_0", "7.0", [1.5], "9" * 5000, "1,,2", True])
def test_a_request_the_client_would_refuse_says_nothing_sure(written: object) -> None:
    assert Scope.of_request({"skillIds": written, "agentIds": None}) is None


@pytest.mark.parametrize(("written", "selection"), [
    ("all", ALL), ("ALL", ALL), ("4,15", (4, 15)), (" 4, 15 ", (4, 15)), ("4,15,4", (4, 15)),
    (7, (7,)), (["-1", 3], (-1, 3)), ("007", (7,)), (None, None),
])
def test_a_request_reads_as_the_client_wrote_it(written: object, selection: object) -> None:
    assert Scope.of_request({"skillIds": written}) == Scope(skills=selection, agents=None)  # type: ignore[arg-type]


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=8))
def test_a_scope_written_as_text_reads_back(ids: list[int]) -> None:
    scope = Scope(skills=check_ids("skills", ids), agents=ALL)
    assert Scope.of_request(scope.text()) == scope
