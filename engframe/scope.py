"""What each section of a response covers: one model for the simulator, client and reconcile.

A request names skills (``skillIds``), agents (``agentIds``), both or neither; each is ``"all"``
or a list of ids. The model, written down once:

- Every chat has one skill (``-1`` when it was never assigned one) and one agent.
- A request **selects** the chats whose skill is among the asked skills (when it asks for
  skills) and whose agent is among the asked agents (when it asks for agents); ``"all"``
  selects every id.
- Every section counts the selected chats, and only those:

  ================  =====================================================
  level             counts the selected chats ...
  ================  =====================================================
  ``account``       all of them (only when neither skills nor agents are asked)
  ``skill``         of one skill
  ``skill_agent``   of one skill, handled by one agent
  ``skills_total``  all of them (the skills section's total)
  ``agent``         handled by one agent
  ``agents_total``  all of them (the agents section's total)
  ================  =====================================================

The spec's ``skillIds=all&agentIds=3`` example agrees (the skill's total is agent 3's), and the
simulator (:mod:`engframe.sim`) answers exactly this. It implies the relations of
:data:`RELATIONS`, each exact up to the rounding of handling times to whole seconds.

No documentation of the API says that a total counts chats outside what the request selects,
and the spec's only example of a request naming agents shows the opposite; so
:func:`engframe.reconcile` excuses no shortfall. The relation between an agent's values and
its skills' is checked only when the request asked for both; the one between the two
sections' totals only when both asked for ``"all"``.

Split requests (:func:`engframe.query.split_query`) ask for disjoint id lists, so they select
disjoint sets of chats and every level of the whole is the sum of the parts':
:func:`engframe.client.merge_parts` relies on :meth:`Scope.disjoint`.

Examples
--------
>>> from engframe.scope import Scope, implication
>>> scope = Scope.of_request({"skillIds": "all", "agentIds": "12,34"})
>>> scope
Scope(skills='all', agents=(12, 34))
>>> implication("skill_agents_vs_skill", scope)
'exact'
>>> implication("skills_total_vs_agents_total", scope)
'not_implied'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from engframe.errors import QueryError
from engframe.query import Ids, check_ids, ids_text

__all__ = [
    "ALL",
    "EXACT",
    "NOT_IMPLIED",
    "RELATIONS",
    "Relation",
    "Scope",
    "implication",
    "request_of",
]

#: The selection of every id.
ALL: Final = "all"

#: A relation holds exactly (up to rounding).
EXACT: Final = "exact"
#: The request does not imply the relation (or is unknown where the relation needs it).
NOT_IMPLIED: Final = "not_implied"

Holds = Literal["exact", "not_implied"]
Selection = Ids

#: Where a frame's ``attrs`` keep the request it answers (a fetched frame, a saved envelope).
REQUEST_ATTRS: Final = ("query", "request")

#: The request keys of a saved envelope's ``request`` (and ``df.attrs["query"]``), and the
#: other spellings engframe accepts for them.
_KEYS: Final = {"skills": ("skillIds", "skills"), "agents": ("agentIds", "agents")}


@dataclass(frozen=True, slots=True)
class Relation:
    """Parts that the model says add up to a reported whole.

    Attributes
    ----------
    name : str
        How reconcile names the check.
    parts, whole : str or None
        The levels summed and reported; both ``None``: a series' interval values against its
        whole-timeframe value (same level).
    keys : tuple of str
        Columns that identify one whole besides its metric.
    label : str
        The relation in plain words, for charts and reports.
    """

    name: str
    parts: str | None
    whole: str | None
    keys: tuple[str, ...]
    label: str = ""


#: Every relation the model implies, in reconcile's output order.
RELATIONS: Final = (
    Relation("skill_agents_vs_skill", "skill_agent", "skill", ("span", "timestamp", "skill"),
             "a skill's agents vs the skill's total"),
    Relation("skills_vs_skills_total", "skill", "skills_total", ("span", "timestamp"),
             "the skills vs all skills' total"),
    Relation("agents_vs_agents_total", "agent", "agents_total", ("span", "timestamp"),
             "the agents vs all agents' total"),
    Relation("skill_agents_vs_agent", "skill_agent", "agent", ("span", "timestamp", "agent"),
             "an agent's skills vs the agent's total"),
    Relation("skills_total_vs_agents_total", "skills_total", "agents_total",
             ("span", "timestamp"), "all skills' total vs all agents' total"),
    Relation("intervals_vs_timeframe", None, None, ("level", "skill", "agent"),
             "the intervals vs the whole timeframe"),
)


@dataclass(frozen=True, slots=True)
class Scope:
    """The skills and agents a request asks for: ``None`` (not asked), ``"all"`` or ids.

    Examples
    --------
    >>> Scope(skills=(1, 2), agents="all").disjoint(Scope(skills=(3,), agents="all"))
    True
    """

    skills: Selection
    agents: Selection

    @classmethod
    def of_request(cls, request: Mapping[str, Any] | None) -> Scope | None:
        """The scope of a saved envelope's ``request`` (or ``df.attrs["query"]``).

        Returns ``None`` when the mapping does not say what was asked (neither key present).
        Ids are written as the client records them: ``"all"``, ``"4,15,3"``, an int, a list.

        Examples
        --------
        >>> Scope.of_request({"skillIds": "4,15", "agentIds": None})
        Scope(skills=(4, 15), agents=None)
        >>> Scope.of_request({"timeframe": 60}) is None
        True
        """
        if not isinstance(request, Mapping):
            return None
        found: dict[str, Selection] = {}
        known = False
        for field, names in _KEYS.items():
            found[field] = None
            for name in names:
                if name in request:
                    known = True
                    try:
                        found[field] = check_ids(name, request[name])
                    except QueryError:
                        return None  # a request engframe cannot read says nothing sure
                    break
        if not known:
            return None
        return cls(skills=found["skills"], agents=found["agents"])

    def chosen(self, dimension: Literal["skills", "agents"], ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` (skill or agent ids) the request's ``dimension`` selects."""
        selection = self.skills if dimension == "skills" else self.agents
        if selection is None or selection == ALL:
            return np.ones(len(ids), dtype=bool)
        chosen: np.ndarray = np.isin(ids, np.asarray(selection, dtype=np.int64))
        return chosen

    def disjoint(self, other: Scope) -> bool:
        """Whether no chat is selected by both (split requests must be pairwise disjoint)."""
        return any(
            isinstance(mine, tuple) and isinstance(theirs, tuple) and not set(mine) & set(theirs)
            for mine, theirs in ((self.skills, other.skills), (self.agents, other.agents))
        )

    def text(self) -> dict[str, str | None]:
        """The scope as a saved envelope writes it (``{"skillIds": ..., "agentIds": ...}``)."""
        return {"skillIds": ids_text(self.skills), "agentIds": ids_text(self.agents)}


def implication(relation: str | Relation, scope: Scope | None) -> Holds:
    """What the model says of ``relation`` for a request of ``scope`` (``None``: unknown).

    - ``exact``: the parts add up to the whole (up to rounding);
    - ``not_implied``: nothing is implied (checked only when the request is known to imply
      it).

    Without a known request, every relation that holds for every request is ``exact``, and
    those that need a known request are ``not_implied``.

    Examples
    --------
    >>> implication("skill_agents_vs_agent", Scope(skills="all", agents="all"))
    'exact'
    >>> implication("skill_agents_vs_agent", Scope(skills=(4,), agents=(3,)))
    'exact'
    >>> implication("skill_agents_vs_agent", None)
    'not_implied'
    """
    name = relation.name if isinstance(relation, Relation) else relation
    if name == "skill_agents_vs_agent":
        if scope is None or scope.skills is None or scope.agents is None:
            return NOT_IMPLIED
        return EXACT
    if name == "skills_total_vs_agents_total":
        if scope is not None and scope.skills == ALL and scope.agents == ALL:
            return EXACT
        return NOT_IMPLIED
    return EXACT


def request_of(attrs: Mapping[Any, Any]) -> Mapping[str, Any] | None:
    """The request a frame answers, from its ``attrs``, or ``None`` when unknown.

    Examples
    --------
    >>> request_of({"query": {"timeframe": 60, "skillIds": "all"}})
    {'timeframe': 60, 'skillIds': 'all'}
    >>> request_of({}) is None
    True
    """
    for name in REQUEST_ATTRS:
        request = attrs.get(name)
        if isinstance(request, Mapping):
            return request
    return None
