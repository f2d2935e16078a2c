"""Parse the Account Configuration API's three answers into tidy name tables. No I/O.

Each answer is a JSON array of objects (see ``NOTES.md``, "Names: the Account
Configuration API"). Only the members engframe uses are read, the others ignored; each is
checked, and a malformed answer raises :class:`~engframe.errors.ResponseError` naming the
JSON path (``[3].id``) and, when given, the URL or file.

Live answers have been documented with numbers and booleans written as strings, so:

- an id is a JSON integer or a string of decimal digits with an optional ``-``
  (``"987654321"``, ``"007"`` is 7), within the signed 64-bit range; nothing else;
- a boolean is ``true``/``false`` or the strings ``"true"``/``"false"`` (any case);
- a text is a string; ``null`` or a missing member means none.

A missing ``deleted`` means not deleted; a missing ``isEnabled`` or ``userTypeId`` is NA;
a missing or null ``memberOf``/``parentGroupId`` means no group / no parent.

Examples
--------
>>> from engframe.names import parse_skills
>>> parse_skills([{"id": "12", "name": "Sales", "deleted": "false"}])
   skill skill_name description  deleted
0     12      Sales        <NA>    False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from engframe.errors import ResponseError, describe
from engframe.names._tables import AGENT_GROUPS, AGENTS, SKILLS, Table, normalize

__all__ = [
    "GROUP_FIELDS",
    "SKILL_FIELDS",
    "USER_FIELDS",
    "Field",
    "clean_text",
    "parse_agent_groups",
    "parse_agents",
    "parse_rows",
    "parse_skills",
    "saved_fields",
]

_ID_TEXT: Final = re.compile(r"-?[0-9]{1,19}")
_MIN_ID: Final = -(2**63)
_MAX_ID: Final = 2**63 - 1
_FLAGS: Final = {"true": True, "false": False}
_MISSING: Final = object()

#: What each kind of member must be, for error messages.
EXPECTED: Final = {
    "id": "an id: an integer or a string of digits",
    "text": "a string or null",
    "flag": 'true or false (or "true"/"false")',
    "ids": "an array of ids (integers or strings of digits)",
}


@dataclass(frozen=True, slots=True)
class Field:
    """One member to read from each item into one column.

    Attributes
    ----------
    column : str
        The tidy column it fills.
    keys : tuple of str
        Where it sits in the item (``("memberOf", "agentGroupId")``).
    kind : str
        ``"id"`` (also any integer), ``"text"``, ``"flag"`` or ``"ids"`` (an array of ids,
        kept as their comma-separated text: ``"12,34"``).
    required : bool
        Whether an item without it is malformed.
    default : object
        The value when it is missing or null.
    """

    column: str
    keys: tuple[str, ...]
    kind: str
    required: bool = False
    default: Any = None


SKILL_FIELDS: Final = (
    Field("skill", ("id",), "id", required=True),
    Field("skill_name", ("name",), "text"),
    Field("description", ("description",), "text"),
    Field("deleted", ("deleted",), "flag", default=False),
)
USER_FIELDS: Final = (
    Field("agent", ("id",), "id", required=True),
    Field("full_name", ("fullName",), "text"),
    Field("nickname", ("nickname",), "text"),
    Field("login_name", ("loginName",), "text"),
    Field("agent_group", ("memberOf", "agentGroupId"), "id"),
    Field("user_type", ("userTypeId",), "id"),
    Field("enabled", ("isEnabled",), "flag"),
    Field("deleted", ("deleted",), "flag", default=False),
    Field("skill_ids", ("skillIds",), "ids"),
)
GROUP_FIELDS: Final = (
    Field("agent_group", ("id",), "id", required=True),
    Field("agent_group_name", ("name",), "text"),
    Field("parent", ("parentGroupId",), "id"),
    Field("enabled", ("isEnabled",), "flag"),
    Field("deleted", ("deleted",), "flag", default=False),
)


def saved_fields(table: Table) -> tuple[Field, ...]:
    """The fields of a name table as engframe saves it: one member per column.

    Examples
    --------
    >>> from engframe.names._tables import SKILLS
    >>> [f.column for f in saved_fields(SKILLS)]
    ['skill', 'skill_name', 'description', 'deleted']
    """
    kinds = {"Int64": "id", "string": "text", "boolean": "flag", "bool": "flag"}
    return tuple(
        Field(name, (name,), kinds[str(dtype)], required=name == table.key,
              default=False if str(dtype) == "bool" else None)
        for name, dtype in table.dtypes.items()
    )


def _path(index: int, keys: Sequence[str]) -> str:
    return f"[{index}]" + "".join(f".{key}" for key in keys)


def _id(value: Any) -> int | None:
    """The id ``value`` holds, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _ID_TEXT.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, int) and _MIN_ID <= value <= _MAX_ID:
        return value
    return None


def _ids(value: Any) -> str | None:
    """An array of ids as their comma-separated text (``"12,34"``), or None if it is not one."""
    if not isinstance(value, list):
        return None
    ids = [_id(one) for one in value]
    return None if None in ids else ",".join(map(str, ids))


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _FLAGS.get(value.lower())
    return None


#: Characters a name never needs: C0 and C1 controls (a newline, an escape that recolours a
#: terminal) and the bidi overrides and isolates that make text show other than it reads.
_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def clean_text(text: str) -> str:
    r"""``text`` with each run of control characters made one space (then stripped).

    Text without control characters comes back as it is.

    Examples
    --------
    >>> clean_text("Dana\nLevi\x1b[31m"), clean_text("\u202eanaD")
    ('Dana Levi [31m', 'anaD')
    """
    return _CONTROLS.sub(" ", text).strip() if _CONTROLS.search(text) else text


_CONVERT: Final[dict[str, Any]] = {"id": _id, "flag": _flag, "ids": _ids}


def _value(item: dict[str, Any], field: Field, index: int, what: str,
           source: str | None) -> Any:
    found: Any = item
    for depth, key in enumerate(field.keys):
        if depth and not isinstance(found, dict):
            raise ResponseError(_path(index, field.keys[:depth]),
                                f"an object with a member {key!r}", describe(found),
                                source=source)
        found = found.get(key, _MISSING)
        if found is _MISSING or found is None:
            if field.required:
                raise ResponseError(_path(index, field.keys), f"the {what}'s "
                                    f"{EXPECTED[field.kind].removeprefix('an ')}",
                                    "nothing" if found is _MISSING else "null",
                                    source=source)
            return field.default
    if field.kind == "text":
        if isinstance(found, str):
            return clean_text(found)
        converted: Any = None
    else:
        converted = _CONVERT[field.kind](found)
        if converted is not None:
            return converted
    raise ResponseError(_path(index, field.keys), EXPECTED[field.kind], describe(found),
                        source=source)


def parse_rows(
    document: Any,
    fields: Sequence[Field],
    *,
    what: str,
    source: str | None = None,
) -> dict[str, list[Any]]:
    """Read ``fields`` from every item of a JSON array: one list per column.

    Parameters
    ----------
    document : object
        The decoded answer: a list of objects.
    fields : sequence of Field
        What to read; the first is the item's id, which must not repeat.
    what : str
        What one item is (``"skill"``), for messages.
    source : str, optional
        The URL or file the answer came from, for messages.

    Returns
    -------
    dict of str to list
        Column name to values, one per item.

    Raises
    ------
    ResponseError
        If the document is not an array of objects, or a member is malformed.

    Examples
    --------
    >>> parse_rows([{"id": "7"}], SKILL_FIELDS[:1], what="skill")
    {'skill': [7]}
    """
    if not isinstance(document, list):
        raise ResponseError("", f"a JSON array of {what}s", describe(document), source=source)
    columns: dict[str, list[Any]] = {field.column: [] for field in fields}
    first: dict[int, int] = {}
    key = fields[0]
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise ResponseError(f"[{index}]", f"a {what} object", describe(item), source=source)
        for field in fields:
            columns[field.column].append(_value(item, field, index, what, source))
        ident = columns[key.column][-1]
        if ident in first:
            raise ResponseError(_path(index, key.keys), f"a {what} id not listed before",
                                f"{ident} again (first at [{first[ident]}])", source=source)
        first[ident] = index
    return columns


def _frame(columns: dict[str, list[Any]], table: Table) -> pd.DataFrame:
    data = {name: pd.array(values, dtype=table.dtypes.get(name, object))
            for name, values in columns.items()}
    return normalize(pd.DataFrame(data), table, where="parse")


def _first_name(*candidates: str | None) -> str | None:
    return next((c for c in candidates if c is not None and c.strip()), None)


def parse_skills(document: Any, *, source: str | None = None) -> pd.DataFrame:
    """The skills table from the answer of ``.../le-users/skills``.

    Parameters
    ----------
    document : object
        The decoded JSON answer: an array of skill objects.
    source : str, optional
        Where it came from (URL or file), for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per skill: ``skill`` (Int64), ``skill_name`` (string: the name, else
        ``"skill <id>"``; a name two skills share gets `` (<id>)`` appended),
        ``description`` (string), ``deleted`` (bool).

    Raises
    ------
    ResponseError
        If the answer is not an array of skill objects, an item has no usable ``id``, an
        id repeats, or a member has the wrong type; the message names the JSON path.

    Examples
    --------
    >>> parse_skills([{"id": 5, "name": "Billing"}, {"id": 6}])["skill_name"].tolist()
    ['Billing', 'skill 6']
    """
    return _frame(parse_rows(document, SKILL_FIELDS, what="skill", source=source), SKILLS)


def parse_agents(document: Any, *, source: str | None = None) -> pd.DataFrame:
    """The agents table from the answer of ``.../le-users/users``.

    Parameters
    ----------
    document : object
        The decoded JSON answer: an array of user objects (ask for
        ``select=id,loginName,fullName,nickname,memberOf,userTypeId,isEnabled,deleted,
        skillIds``).
    source : str, optional
        Where it came from (URL or file), for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per user: ``agent`` (Int64), ``agent_name`` (string: the full name, else
        the nickname, else the login name, else ``"agent <id>"``; a name two users share
        gets `` (<id>)`` appended), ``full_name``, ``nickname``, ``login_name`` (string,
        as given), ``agent_group`` (Int64: ``memberOf.agentGroupId``), ``user_type``
        (Int64: 0 system, 1 human, 2 bot), ``enabled`` (boolean), ``deleted`` (bool),
        ``skill_ids`` (string: the skills the user serves, ``"12,34"``; see
        :func:`engframe.names.agent_skills`).

    Raises
    ------
    ResponseError
        As :func:`parse_skills`.

    Examples
    --------
    >>> users = [{"id": "9", "loginName": "dana", "fullName": "Dana Levi",
    ...           "memberOf": {"agentGroupId": "1"}, "deleted": "true"},
    ...          {"id": "10", "loginName": "noa.c", "nickname": "Noa"}]
    >>> parse_agents(users)[["agent", "agent_name", "agent_group", "deleted"]]
       agent agent_name  agent_group  deleted
    0      9  Dana Levi            1     True
    1     10        Noa         <NA>    False
    """
    columns = parse_rows(document, USER_FIELDS, what="user", source=source)
    columns["agent_name"] = [
        _first_name(full, nick, login) for full, nick, login in
        zip(columns["full_name"], columns["nickname"], columns["login_name"], strict=True)
    ]
    return _frame(columns, AGENTS)


def parse_agent_groups(document: Any, *, source: str | None = None) -> pd.DataFrame:
    """The agent groups table from the answer of ``.../le-users/agentGroups``.

    Parameters
    ----------
    document : object
        The decoded JSON answer: an array of agent group objects.
    source : str, optional
        Where it came from (URL or file), for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``agent_group`` (Int64), ``agent_group_name`` (string: the
        name, else ``"group <id>"``; a name two groups share gets `` (<id>)`` appended),
        ``parent`` (Int64: ``parentGroupId``, NA for the root), ``enabled`` (boolean),
        ``deleted`` (bool).

    Raises
    ------
    ResponseError
        As :func:`parse_skills`.

    Examples
    --------
    >>> parse_agent_groups([{"id": "1", "name": "Main Group"},
    ...                     {"id": "2", "name": "Tier 1", "parentGroupId": "1"}])
       agent_group agent_group_name  parent  enabled  deleted
    0            1       Main Group    <NA>     <NA>    False
    1            2           Tier 1       1     <NA>    False
    """
    return _frame(parse_rows(document, GROUP_FIELDS, what="agent group", source=source),
                  AGENT_GROUPS)
