"""Where names come from: the Account Configuration API's three read-only lists, as data.

The lists are found through the Domain API as service :data:`CONFIG_SERVICE` and read with
the same credentials, retries and HTTP cache as the Engagement Activity API (the client
does the I/O; this module only says what to ask and how to read the answer). Deleted
items are always asked for (``include_deleted=true``): old data needs the names of
agents who have left. Names change rarely, so answers stay fresh in the cache for
:data:`NAMES_EXPIRE_AFTER`; after that the cached answer is revalidated with its
``ETag`` (``If-None-Match``), which costs the server a 304 when nothing changed.

Examples
--------
>>> from engframe.names._endpoints import ENDPOINTS
>>> ENDPOINTS["agents"].target("56072331")[:61]
'/api/account/56072331/configuration/le-users/users?v=4.0&incl'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import pandas as pd

from engframe.names._parse import parse_agent_groups, parse_agents, parse_skills

__all__ = ["CONFIG_SERVICE", "ENDPOINTS", "NAMES_EXPIRE_AFTER", "USER_SELECT", "Endpoint"]

#: The Domain API's name for the Account Configuration API (case-sensitive).
CONFIG_SERVICE: Final = "accountConfigReadOnly"
#: How long names read from it stay fresh in the HTTP cache [s].
NAMES_EXPIRE_AFTER: Final = 6 * 3600.0
#: The user fields engframe reads (without ``select=`` users answer only
#: ``id,pid,deleted,loginName``).
USER_SELECT: Final = ("id,loginName,fullName,nickname,memberOf,userTypeId,isEnabled,deleted,"
                      "skillIds")
_PATH: Final = "/api/account/{account}/configuration/le-users/{list}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One list: its path segment, query parameters, and the parser of its answer."""

    kind: str
    list: str
    parameters: tuple[tuple[str, str], ...]
    parse: Callable[..., pd.DataFrame]

    def target(self, account: str) -> str:
        """Path and query string for ``account``."""
        query = urlencode(self.parameters, safe=",")
        return _PATH.format(account=account, list=self.list) + "?" + query


def _parameters(version: str, **extra: Any) -> tuple[tuple[str, str], ...]:
    return (("v", version), ("include_deleted", "true"), *extra.items())


#: The three lists, by the name of the table (and client method) each fills.
ENDPOINTS: Final = {
    "skills": Endpoint("skills", "skills", _parameters("2.0"), parse_skills),
    "agents": Endpoint("agents", "users", _parameters("4.0", select=USER_SELECT), parse_agents),
    "agent_groups": Endpoint("agent_groups", "agentGroups", _parameters("2.0"),
                             parse_agent_groups),
}
