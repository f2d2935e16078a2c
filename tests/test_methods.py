"""engframe.methods: the catalogue every stage reads (requests, shapes, metrics and kinds)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import engframe
from engframe.errors import QueryError
from engframe.methods import (
    AGGREGATION,
    METHODS,
    Kind,
    get_method,
    infer,
    kind_of,
    label,
    metric_info,
    owner,
    unit_of,
)
from tests.conftest import SAMPLES_DIR


@pytest.mark.parametrize("method", list(METHODS.values()), ids=list(METHODS))
def test_every_metric_says_its_kind_unit_and_label(method) -> None:
    for metric in method.metrics:
        assert metric.kind in Kind and metric.unit and metric.label
        assert metric.kind in AGGREGATION
        if metric.kind in (Kind.AVERAGE, Kind.RATIO) and metric.denominator:
            # the sums behind an average are metrics the method sends, and add up
            for component in (*metric.numerator, *metric.denominator):
                assert method.metric(component) is not None
                assert method.metric(component).additive
    for identity in method.identities:
        assert all(method.metric(m) is not None for m in (identity.whole, *identity.parts))
    assert method.derived and method.volume in (*method.metric_names, *method.derived_map)


def test_names_belong_to_one_method() -> None:
    seen: dict[str, str] = {}
    for method in METHODS.values():
        for name in (*method.metric_names, *method.derived_map):
            assert seen.setdefault(name, method.name) == method.name or name in method.metric_names
    assert owner("avgTime_resolvedConversations_byCCP").name == "msgconversation"
    assert owner("csatShare_score5").name == "msgcsatdistribution"


def test_the_documented_requests() -> None:
    assert METHODS["engactivity"].http == ("GET",)
    assert METHODS["msgconversation"].posts and METHODS["msgconversation"].interval
    assert not METHODS["msgcsatdistribution"].interval
    assert METHODS["msgcsatdistribution"].windows
    assert not METHODS["msgconversation"].time_unit_stated


def test_an_unknown_method_names_the_known_ones() -> None:
    with pytest.raises(QueryError, match="engactivity, msgconversation, msgcsatdistribution"):
        get_method("msgqueuehealth")


def test_kinds_and_labels_read_from_the_catalogue() -> None:
    assert kind_of("totalHandlingTime") == Kind.DURATION
    assert kind_of("avgTime_resolvedConversations") == Kind.AVERAGE
    assert kind_of("csat_score") == Kind.RATIO
    assert kind_of("anything_else") == Kind.UNKNOWN
    assert metric_info("totalHandlingTime_resolvedConversations").rounded
    assert label("avgInteractiveHandlingTime") == "Average interactive handling time (s)"
    assert label("csat_score", unit="") == "CSAT score"
    assert unit_of("resolutionShare_byCCP") == "fraction"


def test_a_response_is_known_by_its_metrics() -> None:
    assert infer(["total_answers", "positive_answers"]).name == "msgcsatdistribution"
    assert infer(["nothing_known"]) is None
    df = engframe.flatten({"metricsTotals": {"nothing_known": 1}})
    assert df["method"].isna().all()  # no method known: NA, never a guess


def test_files_say_what_the_units_of_msgconversation_rest_on(tmp_path) -> None:
    df = engframe.flatten(SAMPLES_DIR / "messaging" / "msgconversation_doc.json")
    engframe.to_parquet(df, tmp_path / "seconds.parquet")
    meta = pq.read_schema(tmp_path / "seconds.parquet").metadata
    units = json.loads(meta[b"engframe.units"])
    assert units["totalHandlingTime_resolvedConversations"] == "s"
    assert units["avgTime_resolvedConversations"] == "s"
    assert units["totalResolvedConversations"] == "conversations"
    assert b"not state the unit" in meta[b"engframe.units_note"]
    df.attrs["time_unit"] = "ms"
    engframe.to_parquet(df, tmp_path / "ms.parquet")
    meta = pq.read_schema(tmp_path / "ms.parquet").metadata
    assert json.loads(meta[b"engframe.units"])["totalHandlingTime_resolvedConversations"] == "ms"
    assert b"as ms" in meta[b"engframe.units_note"]


def test_a_history_table_says_it_too(tmp_path) -> None:
    envelope = {"request": {"account": "1", "method": "msgconversation", "timeframe": 5,
                            "interval": 5},
                "fetched_at": "2026-11-18T12:07:00Z",
                "response": {"metricsByIntervals": [{"timestamp": 1795003200000, "metricsData": {
                    "metricsTotals": {"totalResolvedConversations": 2,
                                      "totalHandlingTime_resolvedConversations": 60}}}]}}
    engframe.export(engframe.flatten(envelope), tmp_path)
    (part,) = (tmp_path / "msgconversation").rglob("*.parquet")
    meta = pq.read_schema(part).metadata
    assert json.loads(meta[b"engframe.units"])["totalHandlingTime_resolvedConversations"] == "s"
    assert b"msgconversation" in meta[b"engframe.units_note"]
