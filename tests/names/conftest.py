"""Fixtures for the names tests (``engframe.names`` and the client's names methods).

- ``clock``: a :class:`~tests.clocks.FakeClock` frozen at 2026-11-27 13:29:04.123 UTC;
  ``clock.sleep`` records waits and moves the time on, so retries take no real time.
- ``server``: ``engframe.sim`` on 127.0.0.1 (seed 1) reading ``clock``: it serves the
  Account Configuration API (``server.directory`` holds what it answers).
- ``make_client``: ``make_client(**options) -> engframe.Client`` for ``server`` with OAuth
  2.0 client credentials, the HTTP cache under ``tmp_path``, ``clock``/its ``sleep``
  injected and no environment; any option can be overridden.
- ``names``: a small hand-made :class:`engframe.names.Names`: skills 10 "Sales" and
  11 "Billing"; agents 1 "Dana Levi" and 2 "Noa Cohen" in group 100 "Tier 1", agent 3
  "Omar Haddad" in group 200 "Tier 2", agent 4 (login name only) in no group.
- ``tidy``: ``tidy(rows)`` builds a tidy frame from ``(level, skill, agent, metric, value)``
  tuples (timeframe span, no timestamp), so tests can use ids the flattener would not
  make (such as the unassigned skill -1).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from engframe.names import Names
from engframe.schema import LEVEL_DTYPE, SPAN_DTYPE, TIMESTAMP_DTYPE
from tests.simclient import cache_path, clock, make_client, server  # noqa: F401 (fixtures)

Row = tuple[str, int | None, int | None, str, int]


def sample_names() -> Names:
    """The ``names`` fixture's names, for property tests (which cannot take fixtures)."""
    return Names(
        skills=pd.DataFrame({"skill": [10, 11], "skill_name": ["Sales", "Billing"]}),
        agents=pd.DataFrame({
            "agent": [1, 2, 3, 4],
            "full_name": ["Dana Levi", "Noa Cohen", "Omar Haddad", None],
            "agent_name": ["Dana Levi", "Noa Cohen", "Omar Haddad", "ops.login"],
            "agent_group": pd.array([100, 100, 200, None], dtype="Int64"),
        }),
        agent_groups=pd.DataFrame({"agent_group": [100, 200],
                                   "agent_group_name": ["Tier 1", "Tier 2"]}),
        read_at="2026-11-27T13:00:00Z",
        account="56072331",
    )


@pytest.fixture
def names() -> Names:
    return sample_names()


def _tidy(rows: list[Row]) -> pd.DataFrame:
    levels, skills, agents, metrics, values = zip(*rows, strict=True) if rows else ([],) * 5
    return pd.DataFrame({
        "timestamp": pd.Series([pd.NaT] * len(rows), dtype=TIMESTAMP_DTYPE),
        "skill": pd.array(list(skills), dtype="Int64"),
        "agent": pd.array(list(agents), dtype="Int64"),
        "metric": pd.Categorical(list(metrics)),
        "value": pd.array(list(values), dtype="int64"),
        "level": pd.Categorical(list(levels), dtype=LEVEL_DTYPE),
        "span": pd.Categorical(["timeframe"] * len(rows), dtype=SPAN_DTYPE),
    })


@pytest.fixture
def tidy() -> Callable[[list[Row]], pd.DataFrame]:
    return _tidy
