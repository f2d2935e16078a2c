"""What derive tells the steps downstream through ``attrs``: the source's query, the units,
and which derived metrics are whole counts, so wide frames and files keep them integers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.derive import DERIVED, formula, to_wide
from engframe.derive._attrs import is_whole

ENVELOPE = {"request": {"account": "56072331", "timeframe": 1440, "interval": 60,
                        "skillIds": "all", "agentIds": "3"},
            "fetched_at": "2014-10-07T11:19:04.123Z"}


@pytest.fixture
def fetched(sample) -> pd.DataFrame:
    return engframe.flatten({**ENVELOPE, "response": sample("agent_2_intervals")})


def test_derive_carries_the_source_query_over(fetched):
    derived = engframe.derive(fetched, by="agent")
    assert derived.attrs["query"] == fetched.attrs["query"]
    assert derived.attrs["account"] == "56072331"
    assert derived.attrs["fetched_at"] == fetched.attrs["fetched_at"]


def test_derive_does_not_share_mutable_attrs_with_its_source(fetched):
    derived = engframe.derive(fetched, by="agent")
    derived.attrs["query"]["timeframe"] = 1
    assert fetched.attrs["query"]["timeframe"] == 1440


def test_derive_records_the_unit_of_each_metric(fetched):
    derived = engframe.derive(fetched, by="agent")
    assert derived.attrs["units"] == {name: f.unit for name, f in DERIVED.items()}


def test_sums_of_counts_are_whole_numbers_and_ratios_are_not():
    assert is_whole(DERIVED["totalChats"])
    assert not any(is_whole(DERIVED[name]) for name in DERIVED if name != "totalChats")
    assert is_whole(formula("net", {"totalInteractiveChats": 2, "totalNonInteractiveChats": -1}))
    assert not is_whole(formula("half", "totalInteractiveChats", scale=0.5))
    assert not is_whole(formula("weighted", {"totalInteractiveChats": 0.5}))


def test_derive_lists_whole_metrics_and_components_of_integer_frames(fetched):
    derived = engframe.derive(fetched, by="agent", components=True,
                              metrics=["totalChats", "connectedEngagementsPerHour"])
    assert derived.attrs["integer_metrics"] == [
        "totalChats", "totalInteractiveChats", "totalNonInteractiveChats",
        "connectedEngagements"]


def test_derive_of_float_values_lists_no_whole_metric(fetched):
    floats = fetched.assign(value=fetched["value"] + 0.5)
    assert engframe.derive(floats, by="agent").attrs["integer_metrics"] == []


def test_to_wide_keeps_derived_counts_integer_and_averages_float(fetched):
    wide = to_wide(engframe.derive(fetched, by=["agent", "timestamp"]))
    assert wide["totalChats"].dtype == "Int64"
    assert wide["avgInteractiveHandlingTime"].dtype == np.float64
    expected = engframe.derive(fetched, by=["agent", "timestamp"], metrics=["totalChats"])
    assert wide["totalChats"].tolist() == expected["value"].astype(int).tolist()


def test_to_wide_of_a_frame_without_attrs_keeps_floats(fetched):
    derived = engframe.derive(fetched, by="agent")
    derived.attrs = {}
    assert to_wide(derived)["totalChats"].dtype == np.float64
