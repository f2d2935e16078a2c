"""Which skills each agent serves: the users list's ``skillIds``, as a tidy table.

An agent serves several skills, so the agents table keeps them as text (``skill_ids``,
``"12,34"``); :func:`agent_skills` spreads them into one row per (agent, skill), the table
that puts per-agent values (agentactivity's states) under each skill the agent serves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engframe.errors import FrameError

__all__ = ["agent_skills"]


def agent_skills(agents: pd.DataFrame) -> pd.DataFrame:
    """One row per agent and skill the agent serves.

    Parameters
    ----------
    agents : pandas.DataFrame
        An agents table (:attr:`engframe.names.Names.agents`,
        :meth:`engframe.Client.agents`) with ``agent`` and ``skill_ids`` columns.

    Returns
    -------
    pandas.DataFrame
        ``agent`` and ``skill`` (Int64), in the agents' order, then each agent's skills in
        the order listed; agents without skills (or whose skills were not read) have no row.

    Raises
    ------
    FrameError
        If a column is missing or ``skill_ids`` holds something else than ids.

    Examples
    --------
    >>> agents = pd.DataFrame({"agent": [9, 10, 11], "skill_ids": ["12,34", None, "12"]})
    >>> agent_skills(agents)
       agent  skill
    0      9     12
    1      9     34
    2     11     12
    """
    missing = [c for c in ("agent", "skill_ids") if c not in agents.columns]
    if missing:
        raise FrameError(f"agent_skills: the agents table lacks {', '.join(missing)} "
                         "(read names with skill ids: Client.agents(), Client.names())")
    text = agents["skill_ids"].astype("string")
    known = (text.notna() & (text.str.len() > 0)).to_numpy(bool)
    lists = [str(value).split(",") for value in text[known]]
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    try:
        flat = [int(item) for items in lists for item in items]
    except ValueError as exc:
        raise FrameError(f"agent_skills: skill_ids holds something else than ids ({exc})"
                         ) from None
    skills = pd.array(flat, dtype=pd.Int64Dtype())
    ids = agents.loc[known, "agent"].astype("Int64").to_numpy()
    return pd.DataFrame({"agent": pd.array(np.repeat(ids, counts), dtype="Int64"),
                         "skill": skills})
