"""engframe.derive: derived metrics as ratios of sums, at any grain."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engframe
from engframe.derive import DERIVED, derive, formula, resolve, select, to_wide
from engframe.errors import FrameError, MetricError, OptionError
from engframe.schema import COLUMNS, METRICS
from tests.analytics_fixtures import HOUR_MS, T0, consistent_response, metrics, sample_frame, tidy


def values(out: pd.DataFrame, metric: str) -> list[float]:
    return out.loc[(out["metric"] == metric).to_numpy(bool), "value"].tolist()


def one(out: pd.DataFrame, metric: str) -> float:
    (value,) = values(out, metric)
    return value


# --- the spec's examples, worked out by hand -------------------------------------------


def test_account_sample_gives_hand_computed_metrics() -> None:
    out = derive(sample_frame("account"))  # 1 / 2 chats, 12 s / 13 s, 3 connected
    assert one(out, "avgInteractiveHandlingTime") == 12.0
    assert one(out, "avgNonInteractiveHandlingTime") == 6.5
    assert one(out, "avgHandlingTime") == pytest.approx(25 / 3)
    assert one(out, "totalChats") == 3.0
    assert one(out, "interactiveShare") == pytest.approx(1 / 3)


def test_skill_sample_by_skill_uses_the_skill_totals() -> None:
    out = derive(sample_frame("skill_2"), by="skill")  # 1 + 1 chats, 12 s and 5 s
    assert set(out["level"]) == {"skill"}
    assert out["skill"].unique().tolist() == [2]
    assert one(out, "avgNonInteractiveHandlingTime") == 5.0
    assert one(out, "interactiveShare") == 0.5


def test_intervals_sample_per_interval_gives_missing_average_for_empty_intervals() -> None:
    out = derive(sample_frame("account_intervals"), by="timestamp",
                 metrics=["avgInteractiveHandlingTime", "totalChats"])
    out = out.sort_values("timestamp")
    aht = values(out, "avgInteractiveHandlingTime")
    assert np.isnan(aht[0]) and np.isnan(aht[1]) and aht[2] == 12.0
    assert values(out, "totalChats") == [0.0, 0.0, 3.0]


def test_connected_per_hour_uses_interval_spacing_without_start() -> None:
    # the sample's intervals end 10 h apart; 3 connected in the newest one
    out = derive(sample_frame("account_intervals"), by="timestamp",
                 metrics=["connectedEngagementsPerHour"]).sort_values("timestamp")
    assert out["value"].tolist() == [0.0, 0.0, pytest.approx(0.3)]


def test_connected_per_hour_over_whole_timeframe_counts_each_period_once() -> None:
    # agent sample: 3 connected over three 10-hour intervals (30 h), one agent
    out = derive(sample_frame("agent_2_intervals"), by="agent", span="interval",
                 metrics=["connectedEngagementsPerHour"])
    assert one(out, "connectedEngagementsPerHour") == pytest.approx(3 / 30)


def test_connected_per_hour_uses_start_and_cuts_at_fetch_time() -> None:
    # spec: now 08:07, the 08:00-08:10 interval really holds 7 minutes
    end = T0 + 8 * HOUR_MS + 10 * 60_000
    start = pd.Series(pd.to_datetime([end - 600_000], unit="ms", utc=True)).astype(
        "datetime64[ms, UTC]")
    fetched = pd.Series(pd.to_datetime([end - 180_000], unit="ms", utc=True)).astype(
        "datetime64[ms, UTC]")
    df = tidy([(end, None, None, "connectedEngagements", 14, "account", "interval")],
              start=start, fetched_at=fetched)
    out = derive(df, by="timestamp", metrics=["connectedEngagementsPerHour"])
    assert one(out, "connectedEngagementsPerHour") == pytest.approx(14 / (7 / 60))


def test_connected_per_hour_is_missing_when_the_period_is_unknown() -> None:
    out = derive(sample_frame("account"), metrics=["connectedEngagementsPerHour"])
    assert np.isnan(one(out, "connectedEngagementsPerHour"))


def test_connected_per_hour_reads_timeframe_from_query_attrs() -> None:
    df = sample_frame("account")
    df.attrs["query"] = {"timeframe": 60, "interval": None}
    out = derive(df, metrics=["connectedEngagementsPerHour"])
    assert one(out, "connectedEngagementsPerHour") == 3.0


# --- ratio of sums, at several grains ----------------------------------------------------

def _two_agents() -> pd.DataFrame:
    """Agent 1: 1 chat of 100 s; agent 2: 9 chats, 90 s. Two hourly intervals, skill 7."""
    rows = []
    for stamp, share in ((T0 + HOUR_MS, 0), (T0 + 2 * HOUR_MS, 1)):
        for agent, chats, seconds in ((1, 1, 100), (2, 9, 90)):
            if share == 1 and agent == 1:
                chats, seconds = 0, 0
            rows += [
                (stamp, 7, agent, "totalInteractiveChats", chats, "skill_agent", "interval"),
                (stamp, 7, agent, "totalHandlingTime", seconds, "skill_agent", "interval"),
            ]
    return tidy(rows)


def test_whole_grain_is_ratio_of_sums_not_mean_of_ratios() -> None:
    out = derive(_two_agents(), metrics=["avgInteractiveHandlingTime"], level="skill_agent")
    # sums: 100 + 90 + 90 s over 1 + 9 + 9 chats; a mean of ratios would say ~37
    assert one(out, "avgInteractiveHandlingTime") == pytest.approx(280 / 19)


def test_skill_grain_is_ratio_of_sums() -> None:
    out = derive(_two_agents(), by="skill", metrics=["avgInteractiveHandlingTime"])
    assert one(out, "avgInteractiveHandlingTime") == pytest.approx(280 / 19)


def test_interval_grain_is_ratio_of_sums_over_agents() -> None:
    out = derive(_two_agents(), by=["timestamp"], level="skill_agent",
                 metrics=["avgInteractiveHandlingTime"]).sort_values("timestamp")
    assert values(out, "avgInteractiveHandlingTime") == [pytest.approx(19.0), 10.0]


def test_day_grain_is_ratio_of_sums() -> None:
    out = derive(_two_agents(), by=["day"], level="skill_agent",
                 metrics=["avgInteractiveHandlingTime"])
    assert one(out, "avgInteractiveHandlingTime") == pytest.approx(280 / 19)
    assert out["day"].iloc[0] == pd.Timestamp(T0, unit="ms", tz="UTC")


def test_agent_grain_sums_over_intervals() -> None:
    out = derive(_two_agents(), by="agent", metrics=["avgInteractiveHandlingTime"])
    assert out.sort_values("agent")["value"].tolist() == [100.0, 10.0]


def _five_minute_bucket(end_ms: int, value: int = 1) -> pd.DataFrame:
    """One account interval of 5 minutes ending at ``end_ms``, with its start known."""
    return tidy([(end_ms, None, None, "totalInteractiveChats", value, "account", "interval")],
                start=pd.Timestamp(end_ms - 5 * 60_000, unit="ms", tz="UTC"))


def test_interval_ending_at_midnight_belongs_to_the_day_before() -> None:
    out = derive(_five_minute_bucket(T0), by="day", metrics=["totalInteractiveChats"])
    assert out["day"].iloc[0] == pd.Timestamp(T0 - 24 * HOUR_MS, unit="ms", tz="UTC")


def test_day_grain_follows_tz() -> None:
    # 23:00 UTC is already the next day in Tokyo
    df = _five_minute_bucket(T0 - HOUR_MS)
    out = derive(df, by="day", tz="Asia/Tokyo", metrics=["totalInteractiveChats"])
    tokyo_day = pd.Timestamp(T0, unit="ms", tz="UTC").tz_convert("Asia/Tokyo").normalize()
    assert out["day"].iloc[0] == tokyo_day


# --- zero denominators ----------------------------------------------------------------------

def test_zero_denominator_gives_nan_not_inf_nor_warning() -> None:
    df = tidy([
        (T0, None, None, "totalHandlingTime", 30, "account", "timeframe"),
        (T0, None, None, "totalInteractiveChats", 0, "account", "timeframe"),
        (T0, None, None, "totalNonInteractiveChats", 0, "account", "timeframe"),
        (T0, None, None, "nonInteractiveTotalHandlingTime", 0, "account", "timeframe"),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = derive(df, metrics=["avgInteractiveHandlingTime", "interactiveShare", "totalChats"])
    assert np.isnan(one(out, "avgInteractiveHandlingTime"))
    assert np.isnan(one(out, "interactiveShare"))
    assert one(out, "totalChats") == 0.0
    assert not np.isinf(out["value"]).any()


def test_no_data_sample_gives_missing_ratios() -> None:
    out = derive(sample_frame("skill_agent_no_data"))
    assert np.isnan(one(out, "avgHandlingTime"))
    assert one(out, "totalChats") == 0.0


# --- user formulas ------------------------------------------------------------------------

def test_user_formula_from_text_works_by_agent_and_by_interval() -> None:
    f = formula("chatsPerConnected",
                "(totalInteractiveChats + totalNonInteractiveChats) / connectedEngagements")
    df = engframe.flatten(consistent_response({
        (0, 1, 10): metrics(2, 20, connected=4),
        (1, 1, 10): metrics(1, 10, connected=1),
        (1, 1, 11): metrics(3, 30, connected=6),
    }, stamps=[T0, T0 + HOUR_MS]))
    by_agent = derive(df, metrics=[f], by="agent").sort_values("agent")
    assert by_agent["value"].tolist() == [pytest.approx(3 / 5), 0.5]
    by_interval = derive(df, metrics=[f], by="timestamp", level="agents_total")
    assert by_interval.sort_values("timestamp")["value"].tolist() == [0.5, pytest.approx(4 / 7)]


def test_user_formula_with_weights_and_scale() -> None:
    f = formula("ahtMinutes", {"totalHandlingTime": 1}, "totalInteractiveChats", scale=1 / 60,
                unit="min")
    assert one(derive(sample_frame("account"), metrics=[f]), "ahtMinutes") == pytest.approx(0.2)


def test_formula_text_with_constant_weight_parses() -> None:
    f = formula("x", "(2 * totalHandlingTime - nonInteractiveTotalHandlingTime) / totalChatsX")
    assert dict(f.numerator) == {"totalHandlingTime": 2.0, "nonInteractiveTotalHandlingTime": -1.0}
    assert dict(f.denominator) == {"totalChatsX": 1.0}


@pytest.mark.parametrize("text", ["a * b / c", "a / b / c", "(a / b) + c", "a +", "f(a) / b"])
def test_formula_refuses_what_is_not_a_ratio_of_sums(text: str) -> None:
    with pytest.raises(MetricError, match="formula 'bad'"):
        formula("bad", text)


def test_formula_refuses_empty_name() -> None:
    with pytest.raises(MetricError):
        formula("", "a")


def test_builtin_definitions_are_documented_as_data() -> None:
    assert str(DERIVED["avgInteractiveHandlingTime"]) == (
        "avgInteractiveHandlingTime = totalHandlingTime / totalInteractiveChats  [s]")
    assert all(f.unit and f.description for f in DERIVED.values())


def test_raw_metric_resolves_to_a_plain_sum_with_its_unit() -> None:
    f = resolve("totalHandlingTime")
    assert (f.is_ratio, f.unit) == (False, "s")


# --- output shape --------------------------------------------------------------------------

def test_output_is_tidy_long_with_float_values() -> None:
    out = derive(sample_frame("skills_all_agent_3"), by="agent")
    assert tuple(out.columns[:7]) == COLUMNS
    assert out["value"].dtype == np.float64
    assert str(out["timestamp"].dtype) == "datetime64[ms, UTC]"
    assert out["skill"].isna().all() and out["agent"].tolist() == [3] * len(DERIVED)
    assert out["metric"].tolist() == list(DERIVED)


def test_components_are_emitted_on_request() -> None:
    out = derive(sample_frame("account"), metrics=["avgInteractiveHandlingTime"], components=True)
    assert one(out, "totalHandlingTime") == 12.0 and one(out, "totalInteractiveChats") == 1.0


def test_envelope_columns_carry_through(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    envelope = {
        "request": {"account": "56072331", "timeframe": 1200, "interval": 600,
                    "skillIds": None, "agentIds": None, "v": 1},
        "fetched_at": "2014-10-07T11:12:00.000Z",
        "response": json.loads((sample_frame.__globals__["SAMPLES_DIR"]
                                / "account_intervals.json").read_text()),
    }
    path = tmp_path / "env.json"
    path.write_text(json.dumps(envelope))
    df = engframe.flatten(path)
    out = derive(df, by="timestamp", metrics=["connectedEngagementsPerHour"])
    newest = out.sort_values("timestamp").iloc[-1]
    # newest interval 01:20-11:20, fetched 11:12: 3 connected in 9 h 52 min
    assert newest["value"] == pytest.approx(3 / (9 + 52 / 60))
    assert "start" in out.columns


# --- level and span selection ------------------------------------------------------------

def test_default_total_level_prefers_skills_total() -> None:
    out = derive(sample_frame("skills_all_agent_3"))
    assert set(out["level"]) == {"skills_total"} and set(out["span"]) == {"timeframe"}


def test_time_key_defaults_to_interval_span() -> None:
    out = derive(sample_frame("agent_2_intervals"), by=["agent", "timestamp"])
    assert set(out["span"]) == {"interval"} and set(out["level"]) == {"agent"}


def test_select_keeps_one_level_and_span() -> None:
    df = select(sample_frame("agent_2_intervals"), by=["agent"])
    assert (set(df["level"]), set(df["span"])) == ({"agent"}, {"timeframe"})


def test_level_lacking_the_asked_id_is_refused() -> None:
    with pytest.raises(OptionError, match="level='skill' has no agent"):
        derive(sample_frame("skill_2"), by="agent", level="skill")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"by": "nope"}, "neither a column"),
    ({"by": "metric"}, "cannot hold 'metric'"),
    ({"level": "team"}, "level='team'"),
    ({"span": "week"}, "span='week'"),
    ({"tz": "Mars/Olympus"}, "tz='Mars/Olympus'"),
])
def test_bad_options_raise_option_error(kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(OptionError, match=match):
        derive(sample_frame("skill_2"), **kwargs)  # type: ignore[arg-type]


def test_unknown_metric_and_missing_component_raise_metric_error() -> None:
    df = tidy([(T0, None, None, "totalHandlingTime", 1, "account", "timeframe")])
    with pytest.raises(MetricError, match="totalInteractiveChats"):
        derive(df, metrics=["avgInteractiveHandlingTime"])
    with pytest.raises(MetricError):
        derive(df, metrics=[3])  # type: ignore[list-item]


def test_not_a_frame_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        derive({"a": 1})  # type: ignore[arg-type]


def test_frame_without_a_usable_level_raises_frame_error() -> None:
    with pytest.raises(FrameError, match="no level"):
        derive(sample_frame("account"), by="agent")


# --- wide --------------------------------------------------------------------------------

def test_to_wide_keeps_integers_exact_and_marks_absent_metrics() -> None:
    df = tidy([
        (T0, 1, None, "totalInteractiveChats", 2**53 + 1, "skill", "timeframe"),
        (T0, 1, None, "totalHandlingTime", 7, "skill", "timeframe"),
        (T0, 2, None, "totalInteractiveChats", 4, "skill", "timeframe"),
    ])
    wide = to_wide(df)
    assert wide["totalInteractiveChats"].tolist() == [2**53 + 1, 4]
    assert str(wide["totalHandlingTime"].dtype) == "Int64"
    assert wide["totalHandlingTime"].isna().tolist() == [False, True]


def test_to_wide_of_derived_frame_has_one_column_per_metric() -> None:
    wide = to_wide(derive(sample_frame("skills_all_agent_3"), by="agent"))
    assert len(wide) == 1 and wide["avgInteractiveHandlingTime"].iloc[0] == 12.0
    assert set(DERIVED) <= set(wide.columns)


def test_to_wide_refuses_stacked_duplicates() -> None:
    df = sample_frame("account")
    with pytest.raises(FrameError, match=r"more than one value.*select one level/span/source"):
        to_wide(pd.concat([df, df]))


# --- properties ------------------------------------------------------------------------------

cells = st.dictionaries(
    keys=st.tuples(st.integers(0, 2), st.integers(1, 4), st.integers(10, 14)),
    values=st.builds(metrics, st.integers(0, 5), st.integers(0, 900), st.integers(0, 3),
                     st.integers(0, 200)),
    min_size=1, max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(cells)
def test_by_skill_components_add_up_to_the_total_grain(cells) -> None:  # type: ignore[no-untyped-def]
    df = engframe.flatten(consistent_response(cells, stamps=[T0 + i * HOUR_MS for i in range(3)]))
    per_skill = derive(df, by="skill", level="skill_agent", components=True, span="interval")
    total = derive(df, level="skill_agent", components=True, span="interval")
    for name in ("totalHandlingTime", "totalInteractiveChats", "totalNonInteractiveChats"):
        assert sum(values(per_skill, name)) == one(total, name)
    handled = sum(values(per_skill, "totalHandlingTime"))
    chats = sum(values(per_skill, "totalInteractiveChats"))
    expected = handled / chats if chats else np.nan
    np.testing.assert_allclose(one(total, "avgInteractiveHandlingTime"), expected)


@settings(max_examples=40, deadline=None)
@given(cells, st.sampled_from([(), ("skill",), ("agent",), ("timestamp",), ("skill", "day")]))
def test_derived_values_are_never_infinite_and_ratios_stay_in_range(cells, by) -> None:  # type: ignore[no-untyped-def]
    df = engframe.flatten(consistent_response(cells, stamps=[T0 + i * HOUR_MS for i in range(3)]))
    out = derive(df, by=list(by), level="skill_agent")
    assert not np.isinf(out["value"]).any()
    share = np.array(values(out, "interactiveShare"))
    assert ((share[~np.isnan(share)] >= 0) & (share[~np.isnan(share)] <= 1)).all()


def test_a_source_without_the_chosen_level_is_named_in_a_warning(samples_dir) -> None:
    df = engframe.load(samples_dir)
    with pytest.warns(engframe.EngframeWarning, match=r"left out: agent_2_intervals\.json"):
        derived = engframe.derive(df, by="source")
    assert "skills_all_agent_3.json" not in set(derived["source"].astype(str))


@pytest.mark.parametrize("by", [["day"], ["hour"], ["timestamp"], []])
def test_an_empty_frame_derives_no_rows_at_any_grain(by: list[str]) -> None:
    five = 5 * 60_000
    full = tidy([(T0, None, None, m, 1, "account", "interval") for m in METRICS],
                start=pd.Timestamp(T0 - five, unit="ms", tz="UTC"))
    out = derive(full.iloc[:0], by=by)
    assert len(out) == 0
    assert list(out.columns) == list(derive(full, by=by).columns)


# -- bad input: clear errors, never a raw exception -----------------------------------------

def test_by_that_is_not_a_name_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="by= must be a column or grain name"):
        derive(sample_frame("account"), by=5)


def test_a_formula_of_thousands_of_terms_is_refused_in_one_line() -> None:
    with pytest.raises(MetricError, match="5,000 components"):
        formula("x", " + ".join(f"a{i}" for i in range(5000)))


def test_a_long_formula_within_the_limit_keeps_its_terms_in_order() -> None:
    f = formula("x", "(" + " + ".join(f"a{i}" for i in range(900)) + ") / b")
    assert list(f.numerator)[:3] == ["a0", "a1", "a2"] and len(f.numerator) == 900
    assert dict(f.denominator) == {"b": 1.0}


# -- averages the API sends are never summed (issue 17, item 3; issue 19: by kind) ------------

def test_an_average_the_api_sends_is_recomputed_from_its_sums_at_every_grain() -> None:
    df = sample_frame("messaging/msgconversation")
    assert "avgTime_resolvedConversations" in df.attrs["float_metrics"]
    for by in ([], ["agent"], ["timestamp"], ["skill"]):
        out = derive(df, by=by, metrics=["avgTime_resolvedConversations"])
        # 3248 s over 103 conversations, the only ones; empty intervals have no average
        assert [v for v in values(out, "avgTime_resolvedConversations")
                if not np.isnan(v)] == [pytest.approx(3248 / 103)]


def test_an_average_is_refused_inside_a_formula_too() -> None:
    df = sample_frame("messaging/msgconversation")
    mixed = formula("odd", "avgTime_resolvedConversations + totalResolvedConversations")
    with pytest.raises(MetricError, match=r"avgTime_resolvedConversations.*average"):
        derive(df, metrics=[mixed])


def test_an_average_is_known_by_its_kind_when_the_frame_lost_its_attrs() -> None:
    df = sample_frame("messaging/msgconversation")
    df.attrs = {}
    out = derive(df, by="agent", metrics=["avgTime_resolvedConversations"])
    assert values(out, "avgTime_resolvedConversations") == [pytest.approx(3248 / 103)]
    with pytest.raises(MetricError, match="avgTime_resolvedConversations"):
        derive(df, metrics=[formula("x", "avgTime_resolvedConversations / 2")])


def test_the_ratio_of_the_sums_behind_an_average_is_the_hand_computed_one() -> None:
    df = sample_frame("messaging/msgconversation")
    aht = formula("aht", "totalHandlingTime_resolvedConversations / totalResolvedConversations",
                  unit="s")
    out = derive(df, by="agent", metrics=[aht, "totalResolvedConversations"])
    assert values(out, "aht") == [pytest.approx(3248 / 103)]
    assert values(out, "totalResolvedConversations") == [103.0]
