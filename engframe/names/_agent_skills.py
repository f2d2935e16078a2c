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


def spread_to_skills(df: pd.DataFrame, agents: pd.DataFrame) -> pd.DataFrame:
    """Per-agent rows repeated under each skill the agent serves, for per-skill views.

    agentactivity gives each agent's times, not per skill; an agent serves several skills
    (the Account Configuration API's ``skillIds``). This gives every ``agent`` row one copy
    per skill the agent serves, with ``skill`` set and level ``skill_agent``, so that
    ``engframe.derive(spread, by="skill")`` sums each skill's agents. An agent serving two
    skills counts in both: the skills' values do not add up to the agents' total (which is
    why this is a view you ask for, never the frame's own rows). Agents without skills, and
    rows of other levels, are left out.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame (agentactivity's, or any other with ``agent`` rows).
    agents : pandas.DataFrame
        The agents table with ``skill_ids`` (:attr:`engframe.names.Names.agents`,
        :meth:`engframe.Client.agents`).

    Returns
    -------
    pandas.DataFrame
        The ``agent`` rows, repeated per skill, level ``skill_agent``; same columns.

    Raises
    ------
    FrameError
        As :func:`agent_skills`.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten("data/samples/operational/agentactivity.json")
    >>> agents = pd.DataFrame({"agent": [2, 3], "skill_ids": ["10,11", "11"]})
    >>> spread = spread_to_skills(df, agents)
    >>> engframe.derive(spread, by="skill", metrics=["loggedIn"])["value"].tolist()
    [7200.0, 14400.0]
    """
    pairs = agent_skills(agents)
    rows = df[(df["level"].astype(str) == "agent").to_numpy(bool)]
    agent = rows["agent"].astype("Int64").to_numpy(np.int64, na_value=-1)
    served = pd.Index(pairs["agent"].to_numpy(np.int64))
    order = np.argsort(served.to_numpy(), kind="stable")
    sorted_agents = served.to_numpy()[order]
    low = np.searchsorted(sorted_agents, agent, side="left")
    high = np.searchsorted(sorted_agents, agent, side="right")
    counts = high - low
    take = np.repeat(np.arange(len(rows)), counts)
    which = np.concatenate([order[a:b] for a, b in zip(low, high, strict=True)]) if len(
        take) else np.zeros(0, np.int64)
    out = rows.take(take).reset_index(drop=True)
    out["skill"] = pd.array(pairs["skill"].to_numpy(np.int64)[which], dtype="Int64")
    levels = out["level"].cat.categories
    out["level"] = pd.Categorical(["skill_agent"] * len(out), categories=levels)
    out.attrs = dict(df.attrs)
    return out
