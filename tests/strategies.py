"""Hypothesis strategies for valid Engagement Activity responses, and a leaf counter.

A *valid* response has the API's structure: sections with an account ``metricsTotals``, or a
skills element (``metricsPerSkill`` and ``metricsTotals``) and/or an agents element
(``metricsPerAgent`` and ``metricsTotals``); each skill lists ``metricsPerAgent``; every
metric map holds at least one number; optional ``metricsByIntervals`` with distinct
timestamps, each interval's ``metricsData`` shaped like the top level. Ids are any signed
64-bit integer (skill -1 included). ``responses(floats=True)`` draws responses shaped like the
Messaging Operations methods': some values are floats (finite), and integers stay within
+-2**53, where float64 is exact.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from engframe.schema import METRICS

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
EXACT = st.integers(min_value=-(2**53), max_value=2**53)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
ids = (st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.just(-1)).map(str)
metric_names = st.sampled_from(METRICS) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
)


@st.composite
def metric_maps(draw: st.DrawFn, names: tuple[str, ...] | None = None, *,
                floats: bool = False) -> dict[str, int | float]:
    """One metric map: usually the five documented metrics, sometimes other names."""
    if names is None:
        names = tuple(draw(st.lists(metric_names, min_size=1, max_size=6, unique=True)))
    small = st.integers(min_value=0, max_value=10_000)
    values = small | EXACT | FLOATS if floats else small | INT64
    return {name: draw(values) for name in names}


@st.composite
def sections(draw: st.DrawFn, *, shape: str, names: tuple[str, ...],
             floats: bool = False) -> dict[str, Any]:
    """One section (the top level or an interval's metricsData) of the given shape."""
    metrics = metric_maps(names, floats=floats)
    section: dict[str, Any] = {}
    if shape == "account":
        section["metricsTotals"] = draw(metrics)
        return section
    if "skills" in shape:
        skill_ids = draw(st.lists(ids, max_size=4, unique=True))
        section["skillsMetricsPerAgent"] = {
            "metricsPerSkill": {
                skill: {
                    "metricsPerAgent": draw(st.dictionaries(ids, metrics, max_size=3)),
                    "metricsTotals": draw(metrics),
                }
                for skill in skill_ids
            },
            "metricsTotals": draw(metrics),
        }
    if "agents" in shape:
        section["agentsMetrics"] = {
            "metricsPerAgent": draw(st.dictionaries(ids, metrics, max_size=4)),
            "metricsTotals": draw(metrics),
        }
    return section


SHAPES = ("account", "skills", "agents", "skills+agents")


@st.composite
def responses(draw: st.DrawFn, *, floats: bool = False) -> dict[str, Any]:
    """A random valid response: any shape, ids and sizes, with or without intervals."""
    shape = draw(st.sampled_from(SHAPES))
    if draw(st.booleans()):
        names = METRICS
    else:
        names = tuple(draw(st.lists(metric_names, min_size=1, max_size=6, unique=True)))
    body = draw(sections(shape=shape, names=names, floats=floats))
    if draw(st.booleans()):
        stamps = draw(
            st.lists(st.integers(0, 4_102_444_800_000), min_size=1, max_size=4, unique=True)
        )
        body = {
            "metricsByIntervals": [
                {"timestamp": stamp,
                 "metricsData": draw(sections(shape=shape, names=names, floats=floats))}
                for stamp in stamps
            ],
            **body,
        }
    return body


def count_values(node: Any, *, key: str | None = None) -> int:
    """The number of numeric leaves of a response (interval timestamps excluded)."""
    if isinstance(node, dict):
        return sum(count_values(value, key=k) for k, value in node.items())
    if isinstance(node, list):
        return sum(count_values(item) for item in node)
    return int(isinstance(node, int | float) and not isinstance(node, bool)
               and key != "timestamp")
