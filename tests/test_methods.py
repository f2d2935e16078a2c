"""engframe.methods: the catalogue every stage reads (requests, shapes, metrics and kinds)."""

from __future__ import annotations

import json
from pathlib import Path

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


# -- the README's table of derived metrics is the catalogue's -------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
_TABLE_START = "<!-- derived-metrics: generated from engframe.methods"
_TABLE_END = "<!-- /derived-metrics -->"


def derived_metrics_table() -> str:
    """The README's table: every method's derived metrics, their formulas and units."""
    lines = ["| method | derived metric | formula | unit | what it is |",
             "|---|---|---|---|---|"]
    for method in METHODS.values():
        for derived in method.derived:
            text = str(derived).split(" = ", 1)[1]
            if derived.unit:
                text = text.removesuffix(f"  [{derived.unit}]")
            lines.append(f"| `{method.name}` | `{derived.name}` | {text} | {derived.unit} "
                         f"| {derived.title} |")
    return "\n".join(lines)


def test_the_readme_table_of_derived_metrics_is_the_catalogues() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split(_TABLE_START, 1)[1].split("-->", 1)[1].split(_TABLE_END, 1)[0]
    assert block.strip() == derived_metrics_table(), (
        "README.md's table of derived metrics is stale; paste this between its markers:\n"
        + derived_metrics_table())


def test_the_readme_table_names_every_method_and_derived_metric() -> None:
    table = derived_metrics_table()
    for method in METHODS.values():
        assert f"| `{method.name}` |" in table
        assert all(f"| `{d.name}` |" in table for d in method.derived)
