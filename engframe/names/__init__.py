"""Names and teams: skill, agent and agent group names from the Account Configuration API.

The Engagement Activity API speaks in ids ("agent 1282939616"); analysts read names and
think in teams. This subpackage turns the Account Configuration API's skills, users and
agent groups into three tidy tables held by one :class:`Names` object, joins them to any
tidy frame (:func:`attach_names`), and saves and reads them beside saved responses
(:meth:`Names.save`, :func:`read_names`). The live reading is the client's
(:meth:`engframe.Client.names`); nothing here touches the network.

The data flows one way: answers -> :func:`parse_skills`, :func:`parse_agents`,
:func:`parse_agent_groups` -> :class:`Names` -> :func:`attach_names` -> the tidy frame
with ``skill_name``, ``agent_name``, ``agent_group`` and ``agent_group_name``.

Examples
--------
>>> import pandas as pd
>>> import engframe
>>> from engframe.names import Names, attach_names
>>> names = Names(agents=pd.DataFrame({"agent": [2], "agent_name": ["Dana Levi"],
...                                    "agent_group": [10]}),
...               agent_groups=pd.DataFrame({"agent_group": [10],
...                                          "agent_group_name": ["Tier 1"]}))
>>> df = attach_names(engframe.load("data/samples/agent_2_intervals.json"), names)
>>> df[["agent_name", "agent_group_name"]].dropna().drop_duplicates()
  agent_name agent_group_name
0  Dana Levi           Tier 1
"""

from engframe.names._agent_skills import agent_skills, spread_to_skills
from engframe.names._endpoints import CONFIG_SERVICE, NAMES_EXPIRE_AFTER
from engframe.names._files import NAMES_FOLDER, find_names, read_names
from engframe.names._join import NAME_COLUMNS, attach_names
from engframe.names._names import API_SOURCE, Names
from engframe.names._option import NamesOption
from engframe.names._parse import parse_agent_groups, parse_agents, parse_skills
from engframe.names._tables import FALLBACK, UNASSIGNED_NAME, UNASSIGNED_SKILL

__all__ = [
    "API_SOURCE",
    "CONFIG_SERVICE",
    "FALLBACK",
    "NAMES_EXPIRE_AFTER",
    "NAMES_FOLDER",
    "NAME_COLUMNS",
    "UNASSIGNED_NAME",
    "UNASSIGNED_SKILL",
    "Names",
    "NamesOption",
    "agent_skills",
    "attach_names",
    "find_names",
    "parse_agent_groups",
    "parse_agents",
    "parse_skills",
    "read_names",
    "spread_to_skills",
]
