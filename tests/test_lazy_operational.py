"""Out of core, a history of the operational methods gives the in-memory answers.

queuehealth, agentactivity, sla and queuestate synced from the simulator into one root at
a few moments: ``derive`` of ``engframe.scan(root, method=...)`` (DuckDB, the method's
tables; agentactivity's states read as ``derive`` reads them: ``metric@State`` over the
states, plain names by state or reason) equals ``derive`` of ``read_dataset`` in memory at
every grain, the dimension columns (state, reason, bucket) included; ``reconcile`` of the
root equals ``reconcile`` in memory (these shapes are checked a day at a time by the
in-memory code); a dimension the method lacks is refused naming the methods that have it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import engframe
from engframe import sim
from engframe.client import Client
from engframe.errors import EngframeError, EngframeWarning, OptionError
from engframe.lazy import write_views
from tests.test_lazy_derive import BASE_MS, CENTER, MINUTE
from tests.test_lazy_reconcile import _sorted

OPERATIONAL = ("queuehealth", "agentactivity", "sla", "queuestate")
GRAINS = {
    "queuehealth": ((), "skill", "timestamp", "hour", ("skill", "day"), "skill_name"),
    "agentactivity": ((), "agent", "agent_group", ("agent", "hour"), "state", "reason",
                      ("agent", "state"), ("agent_group_name", "state")),
    "sla": ((), "bucket", ("start", "bucket")),
    "queuestate": ((), "skill", ("skill", "fetched_at")),
}
METRICS = {
    "queuehealth": (None, ["avgTimeToAnswer", "abandonmentRate", "averageQueueSize"],
                    ["maxQueueSize", "minAvailableSlots", "currentQueueSize"]),
    "agentactivity": (None, ["utilization", "chatting"], ["awayShare", "saturation"]),
    "sla": (None, ["chats"]),
    "queuestate": (None, ["currentQueueSize", "currentMaxWaitTimeInQueue"]),
}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two turns of the four methods, 95 minutes apart, in one root (with names)."""
    root = tmp_path_factory.mktemp("ops") / "h"
    clock = sim.ManualClock(BASE_MS)
    with sim.serve(seed=4, now=clock, center=CENTER) as server, Client(
            server.account, auth=(server.client_id, server.client_secret),
            csds_url=server.base_url, cache=False, clock=lambda: clock() / 1000) as client:
        for minutes in (0, 95):
            clock.set(BASE_MS + minutes * MINUTE)
            engframe.sync(root, client=client, names=True, skills="all", agents="all",
                          method=list(OPERATIONAL))
    return root


def _both(root: Path, method: str, **options: object) -> tuple[object, object]:
    found: list[object] = []
    for data in (lambda: engframe.read_dataset(root, names=True, method=method),
                 lambda: engframe.scan(root, method=method)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EngframeWarning)
                out = engframe.derive(data(), **options)  # type: ignore[arg-type]
            out.attrs.pop("names", None)
            found.append(out)
        except EngframeError as exc:
            found.append(exc)
    return found[0], found[1]


@pytest.mark.parametrize("method", OPERATIONAL)
def test_each_method_derives_out_of_core_as_in_memory(history: Path, method: str) -> None:
    for by in GRAINS[method]:
        for metrics in METRICS[method]:
            expected, got = _both(history, method, by=by, metrics=metrics)
            if isinstance(expected, Exception):
                assert type(got) is type(expected) and str(got) == str(expected), (by, metrics)
                continue
            assert isinstance(got, pd.DataFrame), (by, metrics, got)
            assert len(got), (by, metrics)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12,
                                          check_categorical=False)


@pytest.mark.parametrize("method", OPERATIONAL)
def test_each_method_reconciles_out_of_core_as_in_memory(history: Path, method: str) -> None:
    expected = engframe.reconcile(engframe.read_dataset(history, method=method))
    got = engframe.reconcile(engframe.scan(history, method=method))
    assert len(got) and list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_categorical=False)
    assert set(got["status"].astype(str)) <= {"ok", "rounding"}


def test_utilization_by_team_out_of_core_is_the_teams_chatting_over_logged_in(
        history: Path) -> None:
    facts = engframe.read_dataset(history, method="agentactivity", names=True)
    whole = facts[(facts["state"] == "Logged in") & facts["reason"].isna()]
    sums = whole.pivot_table(index="agent_group", columns="metric", values="value",
                             aggfunc="sum", observed=True)
    got = engframe.derive(engframe.scan(history, method="agentactivity"), by="agent_group",
                          metrics=["utilization"]).set_index("agent_group")["value"]
    expected = sums["chatting"] / sums["total"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(),
                                   check_names=False, check_index_type=False)


def test_a_dimension_the_method_lacks_is_refused_naming_who_has_it(history: Path) -> None:
    with pytest.raises(OptionError, match=r"queuehealth's facts do not have.*agentactivity"):
        engframe.derive(engframe.scan(history, method="queuehealth"), by="state")
    with pytest.raises(OptionError, match="only sla's do"):
        engframe.derive(engframe.scan(history, method="agentactivity"), by="bucket")


# -- engframe views: each method's facts and derived views -------------------------------------


def _view(path: Path, name: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql(f"SELECT * FROM {name}").df()


@pytest.mark.parametrize(("method", "grain", "by", "metrics"), [
    ("queuehealth", "skill_hour", ["account", "skill", "hour"],
     ["avgTimeToAnswer", "abandonmentRate", "averageQueueSize", "averageAvailableSlots"]),
    ("agentactivity", "team", ["account", "agent_group"],
     ["utilization", "saturation", "onlineShare", "awayShare", "loggedIn"]),
    ("agentactivity", "agent_day", ["account", "agent", "day"], ["utilization", "loggedIn"]),
])
def test_a_method_s_derived_view_equals_derive(history: Path, method: str, grain: str,
                                               by: list[str], metrics: list[str]) -> None:
    written = write_views(history)
    table = _view(written.path, f"derived_{method}_by_{grain}")
    derived = engframe.to_wide(engframe.derive(
        engframe.read_dataset(history, names=True, method=method), by=by, metrics=metrics))
    for frame in (table, derived):
        for key in ("day", "hour"):
            if key in by:  # a DATE, a TIMESTAMPTZ, a tz-aware column: one UTC instant
                frame[key] = pd.to_datetime(frame[key], utc=True)
        frame["account"] = frame["account"].astype(str)
        for key in by[1:]:
            if key not in ("day", "hour"):
                frame[key] = frame[key].astype("Int64")
    table = table.sort_values(by).reset_index(drop=True)
    derived = derived.sort_values(by).reset_index(drop=True)
    assert len(table) == len(derived) > 0
    for metric in metrics:
        pd.testing.assert_series_equal(table[metric].astype(float), derived[metric].astype(float),
                                       check_names=False, rtol=1e-12)


def test_a_method_s_facts_view_keeps_its_dimensions_and_a_snapshot_has_no_derived_view(
        history: Path) -> None:
    written = write_views(history)
    states = _view(written.path, "facts_agentactivity_agent")
    assert {"state", "reason"} <= set(states.columns)
    assert set(states["state"].dropna()) == {"Logged in", "Online", "Back soon", "Away"}
    assert "bucket" in _view(written.path, "facts_sla_account").columns
    assert "facts_queuestate_skill" in written.views
    assert not [v for v in written.views if v.startswith("derived_queuestate")]
    assert any(line.startswith("derived_queuestate_by_*: ") for line in written.left_out)
    # no engactivity in this history: none of its views
    assert "derived_by_agent" not in written.views and "periods" not in written.views
