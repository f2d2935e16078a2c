"""The Account Configuration API's three read-only lists, as the simulator answers them.

``GET /api/account/{account}/configuration/le-users/{kind}`` with ``kind`` one of
:data:`KINDS` answers a JSON array in the documented shape, built from a
:class:`~engframe.sim.people.Directory`:

==============  =====  ==========================================================
kind            v      item
==============  =====  ==========================================================
``skills``      2.0    ``id``, ``name``, ``description``, ``deleted``, ...
``users``       4.0    ``id``, ``pid``, ``loginName``, ``fullName``, ``nickname``,
                       ``userTypeId``, ``isEnabled``, ``deleted``, ``skillIds``,
                       ``memberOf: {agentGroupId, assignmentDate}``, ...
``agentGroups`` 2.0    ``id``, ``name``, ``parentGroupId`` (not for the root),
                       ``isEnabled``, ``deleted``
==============  =====  ==========================================================

Parameters, as the real API reads them: ``v`` is required; ``include_deleted=true`` also
lists deleted items (left out otherwise); ``select=a,b,c`` keeps only those fields (and
``$all`` all of them); without ``select``, users answer only ``id,pid,deleted,loginName``.

Live answers have been documented with numbers and booleans written as strings; so are
these: user and group ids (and ``memberOf.agentGroupId``, ``parentGroupId``) are always
strings, skill ids numbers except every :data:`STRING_EVERY`-th skill's, and every
:data:`STRING_EVERY`-th item of each list writes its booleans as ``"true"``/``"false"``.

Every answer carries an ``ETag`` (a digest of its body); :func:`not_modified` says whether
a request's ``If-None-Match`` (or LivePerson's ``If-Match``) names it, for a 304.

Examples
--------
>>> from engframe.sim.model import Center
>>> from engframe.sim.people import Directory
>>> directory = Directory.for_center(Center(seed=1))
>>> items = config_items(directory, "users", {"v": ["4.0"]})
>>> sorted(items[0])
['deleted', 'id', 'loginName', 'pid']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from engframe.errors import SimRequestError
from engframe.sim.people import Directory, GroupEntry, SkillEntry, UserEntry

__all__ = [
    "DEFAULT_USER_FIELDS",
    "KINDS",
    "STRING_EVERY",
    "VERSIONS",
    "config_answer",
    "config_items",
    "etag",
    "not_modified",
]

#: The three lists, by the last segment of their path.
KINDS: Final = ("skills", "users", "agentGroups")
#: The API version each list documents (``v=`` must be given; any number is accepted).
VERSIONS: Final = {"skills": "2.0", "users": "4.0", "agentGroups": "2.0"}
#: What users answer without ``select=``.
DEFAULT_USER_FIELDS: Final = ("id", "pid", "deleted", "loginName")
#: Every n-th item writes its booleans (and, for skills, its id) as strings.
STRING_EVERY: Final = 3
#: ``select=$all`` keeps every field.
SELECT_ALL: Final = "$all"

_VERSION: Final = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?")
_FIELD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}|\$all")
_BOOLEANS: Final = {"true": True, "false": False}


def _flag(value: bool, quirky: bool) -> bool | str:
    return ("true" if value else "false") if quirky else value


def _skill(entry: SkillEntry, position: int) -> dict[str, Any]:
    quirky = position % STRING_EVERY == STRING_EVERY - 1
    return {
        "id": str(entry.id) if quirky else entry.id,
        "name": entry.name,
        "description": entry.description,
        "deleted": _flag(entry.deleted, quirky),
        "maxWaitTime": 0,
        "skillOrder": position + 1,
    }


def _user(entry: UserEntry, position: int) -> dict[str, Any]:
    quirky = position % STRING_EVERY == STRING_EVERY - 1
    item: dict[str, Any] = {
        "id": str(entry.id),
        "pid": entry.pid,
        "deleted": _flag(entry.deleted, quirky),
        "loginName": entry.login_name,
    }
    if entry.full_name is not None:
        item["fullName"] = entry.full_name
    if entry.nickname is not None:
        item["nickname"] = entry.nickname
    item.update({
        "isEnabled": _flag(entry.enabled, quirky),
        "userTypeId": entry.user_type,
        "skillIds": list(entry.skills),
        "email": f"{entry.login_name}@example.com",
    })
    if entry.group is not None:
        item["memberOf"] = {"agentGroupId": str(entry.group),
                            "assignmentDate": "2024-01-15 09:00:00"}
    return item


def _group(entry: GroupEntry, position: int) -> dict[str, Any]:
    quirky = position % STRING_EVERY == STRING_EVERY - 1
    item: dict[str, Any] = {"id": str(entry.id), "name": entry.name}
    if entry.parent is not None:
        item["parentGroupId"] = str(entry.parent)
    item.update({"isEnabled": _flag(entry.enabled, quirky),
                 "deleted": _flag(entry.deleted, quirky)})
    return item


#: Each list: the Directory attribute holding its entries, and how one is written.
_LISTS: Final[dict[str, tuple[str, Callable[[Any, int], dict[str, Any]]]]] = {
    "skills": ("skills", _skill),
    "users": ("users", _user),
    "agentGroups": ("groups", _group),
}


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _parameters(kind: str, query: Mapping[str, list[str]]) -> tuple[bool, tuple[str, ...] | None]:
    version = _one(query, "v")
    if version is None:
        raise SimRequestError(f"v is required (the {kind} list is version {VERSIONS[kind]})",
                              param="v")
    if not _VERSION.fullmatch(version):
        raise SimRequestError(f"v must be a version number such as {VERSIONS[kind]}",
                              param="v", value=version)
    deleted = _one(query, "include_deleted")
    if deleted is not None and deleted.lower() not in _BOOLEANS:
        raise SimRequestError("include_deleted must be true or false", param="include_deleted",
                              value=deleted)
    select = _one(query, "select")
    fields = None
    if select is not None:
        fields = tuple(name.strip() for name in select.split(",") if name.strip())
        bad = [name for name in fields if not _FIELD.fullmatch(name)]
        if bad or not fields:
            raise SimRequestError("select must be a comma-separated list of field names",
                                  param="select", value=select)
        if SELECT_ALL in fields:
            fields = None
    elif kind == "users":
        fields = DEFAULT_USER_FIELDS
    return deleted is not None and _BOOLEANS[deleted.lower()], fields


def config_items(
    directory: Directory, kind: str, query: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    """The items one list answers, after ``include_deleted`` and ``select``.

    Parameters
    ----------
    directory : Directory
        The account's configuration.
    kind : str
        One of :data:`KINDS`.
    query : mapping of str to list of str
        The query parameters, as from :func:`urllib.parse.parse_qs`.

    Returns
    -------
    list of dict
        The JSON items.

    Raises
    ------
    SimRequestError
        If ``v`` is missing or a parameter is malformed (HTTP 400).

    Examples
    --------
    >>> from engframe.sim.model import Center
    >>> directory = Directory.for_center(Center(seed=1))
    >>> len(config_items(directory, "skills", {"v": ["2.0"], "include_deleted": ["true"]}))
    11
    """
    include_deleted, fields = _parameters(kind, query)
    attribute, render = _LISTS[kind]
    entries: tuple[SkillEntry | UserEntry | GroupEntry, ...] = getattr(directory, attribute)
    items = [render(entry, position) for position, entry in enumerate(entries)
             if include_deleted or not entry.deleted]
    if fields is not None:
        items = [{name: item[name] for name in fields if name in item} for item in items]
    return items


def config_answer(directory: Directory, kind: str, query: Mapping[str, list[str]]) -> bytes:
    """The body of one list's answer: its items as a JSON array.

    Parameters
    ----------
    directory, kind, query
        As :func:`config_items`.

    Returns
    -------
    bytes
        Compact JSON.

    Raises
    ------
    SimRequestError
        As :func:`config_items`.

    Examples
    --------
    >>> from engframe.sim.model import Center
    >>> directory = Directory.for_center(Center(seed=1))
    >>> config_answer(directory, "skills", {"v": ["2"], "select": ["id"]})[:6]
    b'[{"id"'
    """
    return msgspec.json.encode(config_items(directory, kind, query))


def etag(body: bytes) -> str:
    """The ``ETag`` of an answer: a quoted digest of its body, so it changes with it.

    Examples
    --------
    >>> etag(b"[]")
    '"4f53cda18c2baa0c"'
    """
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def not_modified(tag: str, headers: Mapping[str, str]) -> bool:
    """Whether the request's ``If-None-Match`` or ``If-Match`` names ``tag`` (or ``*``).

    LivePerson documents sending the revision back as ``If-Match``; HTTP caches send
    ``If-None-Match``. Either gets a 304. ``headers`` has lower-case names.

    Examples
    --------
    >>> not_modified('"ab"', {"if-none-match": '"ab"'}), not_modified('"ab"', {})
    (True, False)
    >>> not_modified('"ab"', {"if-match": 'ab'})
    True
    """
    bare = tag.strip('"')
    for name in ("if-none-match", "if-match"):
        for candidate in headers.get(name, "").split(","):
            candidate = candidate.strip().removeprefix("W/").strip('"')
            if candidate and candidate in (bare, "*"):
                return True
    return False
