"""engframe.service_level: the share of chats answered within T, from sla's bucket counts.

Figures from the SLA page's example (``data/samples/operational/sla.json``: 2 + 2 + 0 + 1 + 0
chats in buckets from 0, 5, 10, 20 and 30 s) and from copies of it standing for other fetch
windows.
"""

from __future__ import annotations

import pandas as pd
import pytest

import engframe
from engframe.errors import OptionError
from tests.conftest import SAMPLES_DIR

SLA = SAMPLES_DIR / "operational" / "sla.json"


def windows() -> pd.DataFrame:
    """Three fetch windows: the page's, the page's doubled (no timestamp), the page's again."""
    page = engframe.flatten(SLA)
    first = page.assign(timestamp=pd.Timestamp("2026-01-01", tz="UTC"))
    doubled = page.assign(value=page["value"] * 2)
    last = page.assign(timestamp=pd.Timestamp("2026-01-02", tz="UTC"))
    return pd.concat([first, doubled, last], ignore_index=True)


def test_the_whole_curve_is_the_accumulated_share_of_the_bucket_below_each_edge() -> None:
    page = engframe.flatten(SLA)
    curve = engframe.service_level(page)
    accumulated = page[page["metric"] == "accumulated"].set_index("bucket")["value"]
    edges = sorted(accumulated.index)
    assert curve["within"].tolist() == edges[1:]
    below = [accumulated[lower] for lower in edges[:-1]]
    assert curve["value"].tolist() == pytest.approx(below)


def test_each_window_counts_its_own_buckets_in_the_order_asked() -> None:
    got = engframe.service_level(windows(), by="timestamp", within=[30, 5, 10])
    assert got["within"].tolist() == [30, 5, 10] * 3
    assert got["answered"].tolist() == [5, 2, 4, 10, 4, 8, 5, 2, 4]
    assert got["chats"].tolist() == [5] * 3 + [10] * 3 + [5] * 3
    assert got["timestamp"].isna().tolist() == [False] * 3 + [True] * 3 + [False] * 3


def test_the_windows_add_up_without_a_grouping() -> None:
    got = engframe.service_level(windows(), within=10)
    assert got[["answered", "chats"]].values.tolist() == [[16.0, 20.0]]
    assert got["value"].item() == pytest.approx(0.8)


def test_a_threshold_that_is_no_edge_is_refused_naming_the_edges() -> None:
    with pytest.raises(OptionError, match="the edges are 5, 10, 20, 30"):
        engframe.service_level(windows(), within=[10, 15])
