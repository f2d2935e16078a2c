"""Check that the totals of a response add up, and say where, by how much, and why.

The API warns that "totals may not add up due to rounding differences". Every relation the
model of :mod:`engframe.scope` implies is checked, at every timestamp and metric:

============================  ================================  ==============================
relation                      parts                             reported whole
============================  ================================  ==============================
skill_agents_vs_skill         ``skill_agent`` rows of a skill    that skill's ``skill`` row
skills_vs_skills_total        ``skill`` rows                     the ``skills_total`` row
agents_vs_agents_total        ``agent`` rows                     the ``agents_total`` row
skill_agents_vs_agent         ``skill_agent`` rows of an agent   that agent's ``agent`` row
skills_total_vs_agents_total  the ``skills_total`` row           the ``agents_total`` row
intervals_vs_timeframe        a series' ``interval`` rows        its ``timeframe`` row
============================  ================================  ==============================

The last two but one hold only for some requests (an agent's values summed over the skills
asked equal its own values when skills and agents were asked; the two sections' totals agree
when both asked for all): they are checked where the request is known to imply them, file by
file in a folder (each file's own request). A skill or agent the API leaves out had no data,
so a missing part or whole counts as 0. A relation is checked in a response only where that
response holds the reported level.

**What one check compares.** The values of one period of one response: checks never mix
two files (``source``) or two accounts. In a history, or in a folder that
:func:`engframe.load` resolved, each period holds its best values (one per series), and the
checks compare those, period by period, whatever fetch each value came from; frames that
stack fetches of the same periods (``pandas.concat`` of two fetches) are checked fetch by
fetch (``fetched_at``).

**The rounding model.** Each part and each whole is measured finer than it is shown and
rounded to whole seconds on its own. Rounded to nearest (``rounding="nearest"``, the
default), each value is off by at most half a second, so n parts may differ from their whole
by at most (n + 1) / 2 seconds; truncated (``rounding="truncate"``), each loses less than a
second, so the parts may fall short of their whole by at most n - 1 seconds and never exceed
it. Counts are exact. ``tolerance`` says the bound, and ``beyond`` how far a difference lies
outside it.

Statuses: ``ok`` (exact); ``rounding`` (a handling time within the bound); ``mismatch``
(anything else). Each check says why in ``reason``. No documentation of the API says that a
total counts chats outside what the request selected (the spec's ``skillIds=all&agentIds=3``
example shows the skill's total equal to the named agent's values), so a total above its
named parts is a mismatch, never excused.

Examples
--------
>>> import engframe
>>> from engframe.reconcile import reconcile, summarize
>>> checks = reconcile(engframe.flatten("data/samples/agent_2_intervals.json"))
>>> print(summarize(checks))
30 checks: 30 ok, 0 rounding, 0 mismatch
"""

from __future__ import annotations

from engframe.reconcile._core import reconcile
from engframe.reconcile._summary import summarize
from engframe.reconcile._terms import (
    AVERAGE_RELATION,
    RATIO_RELATION,
    REASONS,
    RELATION_LABELS,
    RESPONSE_KEYS,
    ROUNDED_METRICS,
    ROUNDINGS,
    STATUSES,
)
from engframe.scope import RELATIONS, Relation

__all__ = [
    "AVERAGE_RELATION",
    "RATIO_RELATION",
    "REASONS",
    "RELATIONS",
    "RELATION_LABELS",
    "RESPONSE_KEYS",
    "ROUNDED_METRICS",
    "ROUNDINGS",
    "STATUSES",
    "Relation",
    "reconcile",
    "summarize",
]
