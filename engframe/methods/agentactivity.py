"""Agent Activity (``agentactivity``): how long each agent spent in each state.

LivePerson's pages (:data:`METHOD`'s ``docs``; their examples in ``data/samples/operational/``):
GET, or POST with the parameters as a JSON object of strings for long agent lists;
``agentIds`` (required, a list or ``all``), ``timeframe``, ``interval``. Per agent, a list of
states by id: -1 Logged in (the whole of the others), 2 Online, 3 Back soon (sent as "Back
in 5"), 4 Away with its reasons (the account's custom Away reasons, by id); each with the
time in the state, the time chatting, not chatting and chatting at the agent's maximum
concurrency, in seconds. ``metricsTotals`` is ``[]`` ("not currently supported").

The window is exactly ``timeframe`` back from now (:data:`METHOD`'s ``window``), not widened
to 5-minute buckets: the page's example's Logged-in times add up to the 120 minutes asked.

The frame has two dimension columns for this method: ``state`` (by id: the page's name of
it) and ``reason`` (the reason's id, on the rows that break Away down). A derived metric
reads a time of one state by writing ``<time>@<state>``: utilization is
``chatting@Logged in / total@Logged in``. States are read by id, never by position (LivePerson's
own sample dashboard reads them by position, which breaks when the order changes).

**The page's examples disagree with it** (``tests/test_operational_samples.py``): agent 2's
Away has a ``total`` of 0 and 125 seconds of reasons, so its states do not add up to Logged
in; in the interval example several states' chatting and not chatting do not add up to
their total, and the whole timeframe's ``metricsPerAgent`` is empty.

Examples
--------
>>> from engframe.methods.agentactivity import METHOD
>>> print(METHOD.derived_map["utilization"])
utilization = chatting@Logged in / total@Logged in  [fraction]
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engframe.methods._formula import Formula, formula
from engframe.methods._model import STATES, Breakdown, Identity, Kind, Method, Metric

__all__ = ["AT", "LOGGED_IN", "METHOD", "STATE_NAMES", "at"]

#: The state ids and the names the page's element table gives them.
STATE_NAMES: Final = MappingProxyType({-1: "Logged in", 2: "Online", 3: "Back soon", 4: "Away"})
#: The state that is the whole of the others.
LOGGED_IN: Final = STATE_NAMES[-1]
#: How a formula names one state's time: ``chatting@Logged in``.
AT: Final = "@"


def at(metric: str, state: str) -> dict[str, float]:
    """The component naming ``metric`` of ``state`` in a formula (a term of weight 1).

    A formula's text cannot name it (a state's name holds spaces): give it as a mapping, as
    this returns, or a list of names.

    Examples
    --------
    >>> at("total", "Online")
    {'total@Online': 1.0}
    """
    return {f"{metric}{AT}{state}": 1.0}


_METRICS: Final = (
    Metric("total", Kind.DURATION, "s", "Time in the state",
           "The total time the agent was in this state.", rounded=True),
    Metric("chatting", Kind.DURATION, "s", "Time chatting",
           "The time the agent was chatting in this state.", rounded=True),
    Metric("notChatting", Kind.DURATION, "s", "Time not chatting",
           "The time the agent was not chatting in this state.", rounded=True),
    Metric("chattingInMaxConcurrency", Kind.DURATION, "s", "Time at maximum concurrency",
           "The time the agent was chatting with the maximum allowed chats in this state.",
           rounded=True),
)
_WHOLE: Final = at("total", LOGGED_IN)


def _share(name: str, state: str) -> Formula:
    return formula(name, at("total", state), _WHOLE, unit="fraction",
                   description=f"Share of the logged-in time spent {state}.",
                   label=f"Share of time {state}")


METHOD: Final = Method(
    name="agentactivity",
    title="Agent Activity",
    family="Operational Realtime (chat)",
    path="/operations/api/account/{account}/agentactivity",
    http=("GET", "POST"),
    timeframe=(1, 1440),
    interval=True,
    ids=MappingProxyType({"agents": "agentIds"}),
    version=1,
    layout=STATES,
    dimensions=("agent", "state", "reason"),
    metrics=_METRICS,
    derived=(
        formula("loggedIn", _WHOLE, unit="s", description="Time logged in.",
                label="Logged-in time"),
        formula("utilization", at("chatting", LOGGED_IN), _WHOLE, unit="fraction",
                description="Share of the logged-in time spent chatting.",
                label="Utilization"),
        formula("saturation", at("chattingInMaxConcurrency", LOGGED_IN),
                at("chatting", LOGGED_IN), unit="fraction",
                description="Share of the chatting time spent at the maximum concurrency.",
                label="Saturation"),
        *(_share(name, state) for name, state in (
            ("onlineShare", "Online"), ("backSoonShare", "Back soon"), ("awayShare", "Away"))),
    ),
    identities=(
        Identity("chatting_split", "total", ("chatting", "notChatting"),
                 label="Chatting and not chatting add up to the time in the state"),
    ),
    time_unit="s",
    time_unit_stated=True,
    units_note="Times are in seconds (the page says so), computed in milliseconds and each "
               "rounded on its own.",
    docs=(
        "pages/documents/data/operational-realtime/methods/agent-activity.md",
        "pages/documents/RealTimeData/OperationalRealtimeAPI/methods/agent-activity.md",
    ),
    volume="loggedIn",
    window="exact",
    required=("agents",),
    breakdowns=(
        Breakdown("states_vs_logged_in", "state", LOGGED_IN, None, {"reason": None}, 1.0,
                  label="The states add up to Logged in (a second a state)"),
        Breakdown("reasons_vs_away", "reason", None, None, {"state": STATE_NAMES[4]}, 1.0,
                  label="Away's reasons add up to Away (a second a reason)"),
    ),
)
