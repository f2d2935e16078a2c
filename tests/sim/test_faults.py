"""Scripted and seeded faults."""

from __future__ import annotations

import pytest

from engframe.errors import SimConfigError
from engframe.sim.faults import Fault, FaultPlan, Faults


def test_scripted_faults_come_in_the_order_scripted_then_stop() -> None:
    faults = Faults()
    faults.script("status", status=429, count=2)
    faults.script("html")
    assert [faults.next("engactivity") for _ in range(4)] == [
        Fault("status", status=429),
        Fault("status", status=429),
        Fault("html", status=502),
        None,
    ]


def test_scripted_faults_are_per_endpoint() -> None:
    faults = Faults()
    faults.script("status", status=503, endpoint="token")
    assert faults.next("engactivity") is None
    assert faults.next("token") == Fault("status", status=503)


def test_slow_fault_carries_its_delay() -> None:
    faults = Faults()
    faults.script("slow", delay=0.25)
    assert faults.next("engactivity") == Fault("slow", delay=0.25)


def test_retry_after_is_kept_for_status_faults() -> None:
    faults = Faults()
    faults.script("status", status=429, retry_after=2)
    assert faults.next("engactivity") == Fault("status", status=429, retry_after=2)


def test_pending_and_clear() -> None:
    faults = Faults()
    faults.script("truncate", count=3)
    assert faults.pending() == 3
    faults.clear()
    assert faults.pending() == 0


@pytest.mark.parametrize(
    ("args", "options", "named"),
    [
        (("explode",), {}, "kind"),
        (("status",), {}, "status="),
        (("status",), {"status": 200}, "status"),
        (("truncate",), {"count": 0}, "count"),
        (("slow",), {"delay": -1}, "delay"),
        (("truncate",), {"endpoint": "nowhere"}, "endpoint"),
        (("status",), {"status": 429, "retry_after": -1}, "retry_after"),
    ],
)
def test_bad_script_is_refused_naming_the_option(
    args: tuple[str], options: dict[str, object], named: str
) -> None:
    with pytest.raises(SimConfigError, match=named):
        Faults().script(*args, **options)  # type: ignore[arg-type]


def draws(plan: FaultPlan, n: int = 200) -> list[Fault | None]:
    faults = Faults(plan)
    return [faults.next("engactivity") for _ in range(n)]


def test_seeded_plan_is_deterministic() -> None:
    plan = FaultPlan(seed=7, p_429=0.2, p_5xx=0.1)
    assert draws(plan) == draws(plan)


def test_seeded_plan_hits_about_its_probabilities() -> None:
    outcomes = draws(FaultPlan(seed=1, p_429=0.2, p_5xx=0.1), n=2000)
    share_429 = sum(1 for f in outcomes if f is not None and f.status == 429) / len(outcomes)
    share_503 = sum(1 for f in outcomes if f is not None and f.status == 503) / len(outcomes)
    assert 0.16 < share_429 < 0.24 and 0.07 < share_503 < 0.13


def test_scripting_does_not_shift_the_seeded_sequence() -> None:
    plan = FaultPlan(seed=3, p_429=0.3)
    plain = draws(plan, n=10)
    faults = Faults(plan)
    faults.script("html", count=2)
    scripted = [faults.next("engactivity") for _ in range(10)]
    assert scripted[2:] == plain[2:]


def test_seeded_plan_spares_other_endpoints() -> None:
    faults = Faults(FaultPlan(seed=1, p_429=1.0))
    assert faults.next("token") is None


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"p_429": 1.5}, "p_429"),
        ({"p_429": 0.6, "p_5xx": 0.6}, "sum"),
        ({"status_5xx": 404}, "status_5xx"),
        ({"slow_delay": -1.0}, "slow_delay"),
    ],
)
def test_bad_plan_is_refused(options: dict[str, object], named: str) -> None:
    with pytest.raises(SimConfigError, match=named):
        FaultPlan(**options)  # type: ignore[arg-type]
