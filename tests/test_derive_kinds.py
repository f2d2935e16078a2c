"""engframe.derive aggregates every metric by its kind (engframe.methods), at every grain.

The figures are worked out by hand from the JSON of the documentation's example of
msgconversation (``data/samples/messaging/msgconversation_doc.json``, the response of
LivePersonInc/developer-center ``pages/documents/data/messaging-operations/methods/
messaging-conversation.md``, the same in the newer ``pages/documents/RealTimeData/
MessagingOperationsAPI/methods/messaging-conversation.md``) and of the CSAT sample
(``data/samples/messaging/msgcsatdistribution.json``: that method's pages show no example).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import engframe
from engframe.derive import derive, formula, to_wide
from engframe.errors import EngframeWarning, MetricError, OptionError
from engframe.methods import METHODS
from engframe.schema import concat_frames
from tests.conftest import SAMPLES_DIR

DOC = SAMPLES_DIR / "messaging" / "msgconversation_doc.json"
CSAT = SAMPLES_DIR / "messaging" / "msgcsatdistribution.json"


def value(out: pd.DataFrame, metric: str, **where: object) -> float:
    mask = (out["metric"] == metric).to_numpy(bool)
    for column, wanted in where.items():
        mask = mask & out[column].eq(wanted).fillna(False).to_numpy(bool)
    (found,) = out.loc[mask, "value"].tolist()
    return float(found)


# -- msgconversation: the page's example ------------------------------------------------------

def test_the_doc_example_derives_aht_per_resolution_type_per_agent() -> None:
    out = derive(engframe.flatten(DOC), by="agent")
    # agent 2: 426 s over 21 conversations resolved by the agent, 1411 / 41, 215 / 11
    assert value(out, "avgTime_resolvedConversations_byCCP", agent=2) == pytest.approx(426 / 21)
    assert value(out, "avgTime_resolvedConversations_byConsumer", agent=2) == pytest.approx(
        1411 / 41)
    assert value(out, "avgTime_resolvedConversations_bySystem", agent=2) == pytest.approx(
        215 / 11)
    assert value(out, "avgTime_resolvedConversations", agent=2) == pytest.approx(3248 / 103)
    # the mix of the three resolution types (of those, 21 + 41 + 11 = 73)
    assert value(out, "resolutionShare_byCCP", agent=2) == pytest.approx(21 / 73)
    assert value(out, "resolutionShare_bySystem", agent=2) == pytest.approx(11 / 73)


def test_the_doc_example_per_skill_reads_the_skill_totals() -> None:
    out = derive(engframe.flatten(DOC), by="skill")
    # skill 3's totals: 215 s over 226 conversations resolved by the system: the API's
    # 0.95132744, recomputed, never an average of 19.545454 and 0
    assert value(out, "avgTime_resolvedConversations_bySystem", skill=3) == pytest.approx(
        215 / 226)


def test_an_average_over_no_conversations_has_no_value() -> None:
    out = derive(engframe.flatten(DOC), by=["skill", "agent"])
    # agent 6 resolved nothing by the agent: 0 / 0 (the API shows 0) is no average
    assert np.isnan(value(out, "avgTime_resolvedConversations_byCCP", agent=6))
    assert value(out, "avgTime_resolvedConversations_bySystem", agent=6) == 0.0  # 0 s / 215


def test_derive_without_metrics_gives_the_frame_methods_derived_metrics() -> None:
    out = derive(engframe.flatten(DOC), by="agent")
    assert list(dict.fromkeys(out["metric"].astype(str))) == [
        f.name for f in METHODS["msgconversation"].derived]
    assert out.attrs["units"]["avgTime_resolvedConversations"] == "s"
    assert out.attrs["units"]["resolutionShare_byCCP"] == "fraction"
    assert (out["method"] == "msgconversation").all()


def test_counts_stay_integer_in_the_wide_form_of_a_messaging_frame() -> None:
    wide = to_wide(derive(engframe.flatten(DOC), by="agent"))
    assert wide["totalResolvedConversations"].dtype == "Int64"
    assert wide["avgTime_resolvedConversations"].dtype == np.float64


def test_durations_in_milliseconds_are_read_as_such() -> None:
    df = engframe.flatten(DOC)
    out = derive(df, by="agent", metrics=["avgTime_resolvedConversations_byCCP"],
                 time_unit="ms")
    assert value(out, "avgTime_resolvedConversations_byCCP") == pytest.approx(426 / 21 / 1000)
    df.attrs["time_unit"] = "ms"
    again = derive(df, by="agent", metrics=["avgTime_resolvedConversations_byCCP"])
    assert value(again, "avgTime_resolvedConversations_byCCP") == pytest.approx(0.426 / 21)


def test_an_unknown_time_unit_is_refused() -> None:
    with pytest.raises(OptionError, match="time_unit='min'"):
        derive(engframe.flatten(DOC), time_unit="min")


# -- msgcsatdistribution ---------------------------------------------------------------------

def test_csat_is_positive_over_total_at_every_grain() -> None:
    df = engframe.load(CSAT)
    by_agent = derive(df, by="agent", metrics=["csat_score"])
    # agent 2: skill 10 (3 + 5 positive of 10) and skill 20 (1 + 1 of 5): 10 of 15
    assert value(by_agent, "csat_score", agent=2) == pytest.approx(10 / 15)
    by_skill = derive(df, by="skill", metrics=["csat_score", "csatShare_score5"])
    assert value(by_skill, "csat_score", skill=10) == pytest.approx(20 / 25)
    assert value(by_skill, "csatShare_score5", skill=20) == pytest.approx(1 / 5)
    overall = derive(df, metrics=["csat_score"])
    assert value(overall, "csat_score") == pytest.approx(22 / 30)


def test_a_ratio_is_refused_inside_a_formula_with_the_sums_behind_it() -> None:
    df = engframe.load(CSAT)
    with pytest.raises(MetricError, match=r"csat_score.*positive_answers / total_answers"):
        derive(df, metrics=[formula("x", ["csat_score", "total_answers"])])


# -- metrics without their sums, unknown metrics ------------------------------------------------

AVERAGES_ONLY = {"agentsMetrics": {
    "metricsPerAgent": {"1": {"avgTime_resolvedConversations": 30.5, "made_up": 2},
                        "2": {"avgTime_resolvedConversations": 40.5, "made_up": 3}},
    "metricsTotals": {"avgTime_resolvedConversations": 35.5, "made_up": 5}}}


def test_an_average_without_its_sums_is_kept_where_a_group_holds_one_value() -> None:
    df = engframe.flatten(AVERAGES_ONLY)
    out = derive(df, by="agent", metrics=["avgTime_resolvedConversations"])
    assert out["value"].tolist() == [30.5, 40.5]
    total = derive(df, metrics=["avgTime_resolvedConversations"])  # the agents' total row
    assert total["value"].tolist() == [35.5]


def test_an_average_without_its_sums_has_no_value_beyond_and_a_warning_says_so() -> None:
    df = engframe.flatten(AVERAGES_ONLY)
    with pytest.warns(EngframeWarning, match="avgTime_resolvedConversations.*never added"):
        out = derive(df, level="agent", metrics=["avgTime_resolvedConversations"])
    assert np.isnan(out["value"]).all()  # never 71.0, the sum of two averages


def test_an_unknown_metric_of_integers_adds_up() -> None:
    out = derive(engframe.flatten(AVERAGES_ONLY), level="agent", metrics=["made_up"])
    assert out["value"].tolist() == [5.0]


def test_an_unknown_metric_holding_decimals_is_never_added() -> None:
    df = engframe.flatten({"agentsMetrics": {
        "metricsPerAgent": {"1": {"score": 0.5}, "2": {"score": 0.25}},
        "metricsTotals": {"score": 0.75}}})
    with pytest.warns(EngframeWarning, match="score"):
        out = derive(df, level="agent", metrics=["score"])
    assert np.isnan(out["value"]).all()
    by_agent = derive(df, by="agent", metrics=["score"])
    assert by_agent["value"].tolist() == [0.5, 0.25]


# -- frames of several methods ------------------------------------------------------------------

def test_frames_of_two_methods_never_add_into_one_number() -> None:
    chat = engframe.flatten({"metricsTotals": {"totalInteractiveChats": 4, "shared": 10}})
    messaging = engframe.flatten({"metricsTotals": {"totalResolvedConversations": 7,
                                                    "shared": 1}})
    both = concat_frames([chat, messaging])
    out = derive(both, metrics=["shared"])
    assert sorted(zip(out["method"].astype(str), out["value"], strict=True)) == [
        ("engactivity", 10.0), ("msgconversation", 1.0)]


def test_a_frame_of_two_methods_derives_each_its_own_metrics() -> None:
    both = concat_frames([engframe.flatten(DOC), engframe.load(CSAT)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = derive(both, by="agent")
    csat = out[(out["metric"] == "csat_score").to_numpy(bool)]
    assert set(csat["method"].astype(str)) == {"msgcsatdistribution"}
    aht = out[(out["metric"] == "avgTime_resolvedConversations").to_numpy(bool)]
    assert set(aht["method"].astype(str)) == {"msgconversation"}
    assert value(out, "avgTime_resolvedConversations", agent=2) == pytest.approx(3248 / 103)


# -- agentactivity: a state's times named metric@State -------------------------------------------

STATES = SAMPLES_DIR / "operational" / "agentactivity_intervals.json"


def test_utilization_per_agent_is_chatting_over_total_logged_in_summed_over_intervals() -> None:
    df = engframe.flatten(STATES)
    got = derive(df, by="agent", metrics=["utilization", "awayShare"])
    rows = df[(df["span"] == "interval") & (df["reason"].isna())]
    for agent, own in rows.groupby("agent"):
        seconds = own.groupby(["state", "metric"], observed=True)["value"].sum()
        assert value(got, "utilization", agent=agent) == pytest.approx(
            seconds["Logged in", "chatting"] / seconds["Logged in", "total"])
        assert value(got, "awayShare", agent=agent) == pytest.approx(
            seconds["Away", "total"] / seconds["Logged in", "total"])


def test_a_row_without_a_metric_is_left_out_of_the_states_names() -> None:
    df = engframe.flatten(STATES)
    blank = df.copy()
    blank.loc[len(blank) - 1, "metric"] = None
    expected = derive(df.iloc[:-1], by="agent")
    pd.testing.assert_frame_equal(derive(blank, by="agent"), expected)
