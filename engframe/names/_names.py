"""The :class:`Names` object: an account's skills, agents and agent groups, read once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import pandas as pd

from engframe.errors import OptionError
from engframe.names._tables import AGENT_GROUPS, AGENTS, SKILLS, TABLES, normalize

__all__ = ["API_SOURCE", "KINDS", "Names"]

#: The three tables, by the name of the attribute (and client method) holding each.
KINDS: Final = tuple(TABLES)
#: ``Names.source`` of names read from the Account Configuration API.
API_SOURCE: Final = "Account Configuration API"


def _empty(kind: str) -> pd.DataFrame:
    table = TABLES[kind]
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in
                         table.dtypes.items()})


def _utc(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"Names: read_at={value!r} is not a time ({exc})") from None
    if pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True, eq=False)
class Names:
    """An account's skill, agent and agent group names, as read at one moment.

    Build it with :meth:`engframe.Client.names` (live), :func:`engframe.names.read_names`
    (saved), or by hand from three DataFrames (only the id and name columns are needed;
    the others are filled in). Join it to any tidy frame with
    :func:`engframe.names.attach_names`; save it with :meth:`save`.

    Parameters
    ----------
    skills : DataFrame, optional
        ``skill`` (Int64), ``skill_name`` (string), ``description`` (string),
        ``deleted`` (bool).
    agents : DataFrame, optional
        ``agent`` (Int64), ``agent_name`` (string), ``full_name``, ``nickname``,
        ``login_name`` (string), ``agent_group`` (Int64), ``user_type`` (Int64: 0
        system, 1 human, 2 bot), ``enabled`` (boolean), ``deleted`` (bool), ``skill_ids``
        (string, ``"12,34"``: :func:`engframe.names.agent_skills` spreads it).
    agent_groups : DataFrame, optional
        ``agent_group`` (Int64), ``agent_group_name`` (string), ``parent`` (Int64, NA
        for the root group), ``enabled`` (boolean), ``deleted`` (bool).
    read_at : timestamp-like, optional
        When they were read from the API (UTC).
    account : str, optional
        The account they belong to.
    source : str, default "given"
        Where they came from: :data:`API_SOURCE`, a file path, ...
    failed : mapping of str to str, optional
        The tables that could not be read (``"agents"``, or ``"names"`` for all three),
        each with the reason; their ids show fallback names.

    Notes
    -----
    The name columns hold labels, never NA: a missing name becomes ``"skill <id>"``,
    ``"agent <id>"`` or ``"group <id>"``, an agent's name is its full name, else its
    nickname, else its login name, and a name two ids share gets `` (<id>)`` appended
    so namesakes stay apart in charts.

    Raises
    ------
    FrameError
        If a table lacks its id column, repeats an id, or a column has the wrong type.
    OptionError
        If ``read_at``, ``account`` or ``failed`` is unusable.

    Examples
    --------
    >>> import pandas as pd
    >>> from engframe.names import Names
    >>> names = Names(skills=pd.DataFrame({"skill": [12], "skill_name": ["Sales"]}),
    ...               read_at="2026-11-27T13:29:04Z", account="56072331")
    >>> names
    Names(account='56072331', skills=1, agents=0, agent_groups=0, read_at='2026-11-27T13:29:04Z')
    >>> names.skills.dtypes["skill"]
    Int64Dtype()
    """

    skills: pd.DataFrame = field(default_factory=lambda: _empty("skills"))
    agents: pd.DataFrame = field(default_factory=lambda: _empty("agents"))
    agent_groups: pd.DataFrame = field(default_factory=lambda: _empty("agent_groups"))
    read_at: pd.Timestamp | None = None
    account: str | None = None
    source: str = "given"
    failed: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, table in (("skills", SKILLS), ("agents", AGENTS),
                            ("agent_groups", AGENT_GROUPS)):
            object.__setattr__(self, kind, normalize(getattr(self, kind), table,
                                                     where=f"Names.{kind}"))
        object.__setattr__(self, "read_at", _utc(self.read_at))
        if self.account is not None:
            object.__setattr__(self, "account", str(self.account))
        if not isinstance(self.source, str | os.PathLike):
            raise OptionError(f"Names: source={self.source!r} must be a string")
        object.__setattr__(self, "source", os.fspath(self.source))
        if not isinstance(self.failed, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.failed.items()
        ):
            raise OptionError(f"Names: failed={self.failed!r} must map table names to reasons")
        object.__setattr__(self, "failed", MappingProxyType(dict(self.failed)))

    def __repr__(self) -> str:
        when = None if self.read_at is None else self.read_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        failed = f", failed={sorted(self.failed)!r}" if self.failed else ""
        return (f"Names(account={self.account!r}, skills={len(self.skills)}, "
                f"agents={len(self.agents)}, agent_groups={len(self.agent_groups)}, "
                f"read_at={when!r}{failed})")

    @classmethod
    def unavailable(cls, reason: str, *, account: str | None = None,
                    source: str = "none") -> Names:
        """Names that could not be read at all: every id shows its fallback name.

        Parameters
        ----------
        reason : str
            Why (reported once when they are joined to a frame).
        account : str, optional
            The account.
        source : str, default "none"
            Where they were looked for.

        Returns
        -------
        Names
            Empty tables, ``failed={"names": reason}``.

        Examples
        --------
        >>> Names.unavailable("no names saved in raw/").failed["names"]
        'no names saved in raw/'
        """
        return cls(account=account, source=source, failed={"names": reason})

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Save the names as one JSON file in ``folder/names/`` (which :func:`read_names` reads).

        The file, ``names_<account>_<read_at>.json`` (``..._partial.json`` when a table
        failed), holds the three tables (one JSON
        object per row, the tidy column names as members), the account, ``read_at``,
        the source and the tables that failed. It is written atomically. Nothing secret
        is in it.

        Parameters
        ----------
        folder : path-like
            The folder of saved responses (``save_raw=``); ``names/`` is made inside.

        Returns
        -------
        pathlib.Path
            The file written.

        Examples
        --------
        >>> import tempfile
        >>> names = Names(skills=pd.DataFrame({"skill": [1], "skill_name": ["Sales"]}),
        ...               read_at="2026-11-27T13:29:04.123Z", account="56072331")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     names.save(folder).name
        'names_56072331_20261127T132904123Z.json'
        """
        from engframe.names._files import save_names  # the file module reads Names back

        return save_names(self, folder)
