"""A local stand-in for LivePerson's real-time data API, with a seeded contact center.

A real HTTP server on 127.0.0.1 with the real paths (Domain API, OAuth 2.0 token endpoint,
every method of :data:`MEASURES`: engactivity, msgconversation with GET and POST,
msgcsatdistribution), the API's exact response shapes and window arithmetic,
authentication, rate limits and injectable faults. The numbers come from a deterministic
model of a contact center that runs chat and messaging (:mod:`~engframe.sim.messaging`):
the same seed and clock give the same bytes.

Modules, in the order data flows: :mod:`~engframe.sim.model` (the center and its chats),
:mod:`~engframe.sim.messaging` (its messaging conversations and CSAT answers),
:mod:`~engframe.sim.aggregate` (sums per group), :mod:`~engframe.sim.methods` (each method's
events and how it shows them), :mod:`~engframe.sim.render` (response shapes),
:mod:`~engframe.sim.query` (parameter validation), :mod:`~engframe.sim.auth`,
:mod:`~engframe.sim.limits`, :mod:`~engframe.sim.faults`, :mod:`~engframe.sim.app` (request
to reply), :mod:`~engframe.sim.server` (sockets and threads), :mod:`~engframe.sim.cli`
(``engframe sim``).

The queue, agent-state and service-level methods (``queuehealth``, ``agentactivity``,
``sla``, ``queuestate``) answer from the same center: :mod:`~engframe.sim.operational`
(abandoners, breaks, concurrency, away reasons), :mod:`~engframe.sim.agent_states` and
:mod:`~engframe.sim.queues` (what they add up to), :mod:`~engframe.sim.render_ops` (their
shapes), :mod:`~engframe.sim.query_ops` (their parameters, agentactivity's POST body).

Examples
--------
>>> from engframe import sim
>>> with sim.serve(seed=1, now=1_395_821_220_000) as server:
...     server.account
'56072331'
"""

from engframe.sim.app import DEFAULT_ACCOUNT
from engframe.sim.auth import Credentials
from engframe.sim.cli import main, run
from engframe.sim.clock import ManualClock
from engframe.sim.faults import FaultPlan, Faults
from engframe.sim.messaging import Messaging
from engframe.sim.methods import MEASURES
from engframe.sim.model import Center, CenterConfig
from engframe.sim.operational import Operations
from engframe.sim.query import EngQuery, parse_query
from engframe.sim.query_ops import OpsQuery, parse_ops_query
from engframe.sim.render import build_response
from engframe.sim.render_ops import build_ops_response
from engframe.sim.server import SimServer, serve

__all__ = [
    "DEFAULT_ACCOUNT",
    "MEASURES",
    "Center",
    "CenterConfig",
    "Credentials",
    "EngQuery",
    "FaultPlan",
    "Faults",
    "ManualClock",
    "Messaging",
    "Operations",
    "OpsQuery",
    "SimServer",
    "build_ops_response",
    "build_response",
    "main",
    "parse_ops_query",
    "parse_query",
    "run",
    "serve",
]
