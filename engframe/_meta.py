"""What a parquet file's key-value metadata says, and what it never says.

engframe records its version, the file's layout, the query behind the frame (account,
timeframe, interval, skills, agents, fetched_at, taken from ``df.attrs`` as
:func:`engframe.flatten` sets them), the unit of each metric and the frame's dtypes.
Nothing credential-like is ever written: the query is read field by field from a fixed
list, and every value, the caller's extra metadata included, is checked against
credential patterns and dropped (with a warning naming the key, never the value) when it
matches.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any, Final

import pandas as pd

from engframe._arrow import ColumnSpec
from engframe.derive._attrs import UNITS
from engframe.errors import EngframeWarning, OptionError
from engframe.methods import METHODS, unit_of
from engframe.scope import request_of

__all__ = [
    "COLUMNS_KEY",
    "LAYOUT_KEY",
    "QUERY_FIELDS",
    "QUERY_KEY",
    "UNITS_KEY",
    "UNITS_NOTE_KEY",
    "VERSION_KEY",
    "build",
    "parse",
    "parse_units",
    "query_of",
    "units_of",
    "version",
]

PREFIX: Final = "engframe."
VERSION_KEY: Final = "engframe.version"
LAYOUT_KEY: Final = "engframe.layout"
QUERY_KEY: Final = "engframe.query"
COLUMNS_KEY: Final = "engframe.columns"
#: JSON object: metric name -> unit ("s", "chats", "1/h"...), for the metrics the file holds.
UNITS_KEY: Final = "engframe.units"
#: What the units of a method's durations rest on, where LivePerson does not state them
#: (msgconversation's handling times: read as seconds unless told milliseconds).
UNITS_NOTE_KEY: Final = "engframe.units_note"
#: Keys pyarrow and pandas write themselves.
_FOREIGN_KEYS: Final = frozenset({"pandas", "ARROW:schema"})

#: The query fields a file records, and where ``df.attrs["query"]`` (the saved
#: envelope's ``request``) keeps each one.
QUERY_FIELDS: Final = {
    "account": "account",
    "timeframe": "timeframe",
    "interval": "interval",
    "skills": "skillIds",
    "agents": "agentIds",
    "fetched_at": "fetched_at",
}

#: Key names that mean a secret (matched anywhere in the key, any case).
_SECRET_KEY: Final = re.compile(
    r"secret|token|passw|pwd|credential|auth(?!or)|bearer|cookie|signature|api_?key|app_?key|"
    r"consumer_?key|private|session",
    re.IGNORECASE,
)
#: Values that hold a secret whatever their key: an Authorization header, a signed or
#: tokened URL, a JSON web token.
_SECRET_VALUE: Final = re.compile(
    r"\b(bearer|basic|oauth)\s+\S|"
    r"(access_token|client_secret|refresh_token|oauth_\w+|password|secret|token)\s*[=:]|"
    r"\beyJ[\w-]{4,}\.[\w-]{4,}",
    re.IGNORECASE,
)
_SCALARS: Final = (str, int, float, bool)


def query_of(df: pd.DataFrame) -> dict[str, Any]:
    """The query behind ``df``, from its attrs (and its ``account`` column), secrets left out.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame()
    >>> df.attrs = {"query": {"account": "56072331", "timeframe": 60, "skillIds": "all",
    ...                       "client_secret": "x"}, "fetched_at": "2026-11-27T13:29:04.123Z"}
    >>> query_of(df)  # doctest: +NORMALIZE_WHITESPACE
    {'account': '56072331', 'timeframe': 60, 'skills': 'all',
     'fetched_at': '2026-11-27T13:29:04.123Z'}
    """
    attrs = df.attrs
    request = request_of(attrs) or {}
    found: dict[str, Any] = {}
    for field, envelope_key in QUERY_FIELDS.items():
        value = attrs.get(field, request.get(envelope_key, request.get(field)))
        if value is not None and isinstance(value, _SCALARS):
            found[field] = value
    if "account" not in found and "account" in df.columns:
        accounts = pd.unique(df["account"].dropna())
        if len(accounts) == 1:
            found["account"] = str(accounts[0])
    kept, dropped = _split_secrets(found)
    _warn_dropped(dropped, "the frame's query")
    return kept


def units_of(df: pd.DataFrame) -> dict[str, str]:
    """The unit of each metric in ``df`` whose unit is known.

    From ``df.attrs["units"]`` (which :func:`engframe.derive` sets), else the API's own
    units and those of the built-in derived metrics.

    Examples
    --------
    >>> import engframe
    >>> units_of(engframe.flatten('{"metricsTotals": {"totalHandlingTime": 7, "x": 1}}'))
    {'totalHandlingTime': 's'}
    """
    given = df.attrs.get(UNITS)
    given = given if isinstance(given, Mapping) else {}
    metric = df["metric"].astype("category").array  # the categories, not a string per row
    names = [str(name) for name in metric.categories[pd.unique(metric.codes[metric.codes >= 0])]]
    found: dict[str, str] = {}
    milliseconds = df.attrs.get("time_unit") == "ms"
    for name in sorted(names):
        unit = given.get(name) or unit_of(name)
        if milliseconds and not given.get(name) and unit == "s":
            unit = "ms"  # the frame's durations, as it says it holds them
        if isinstance(unit, str) and unit:
            found[name] = unit
    return found


def units_note(df: pd.DataFrame) -> str | None:
    """What the frame's durations rest on, for the methods whose pages state no unit.

    Examples
    --------
    >>> import engframe
    >>> note = units_note(engframe.flatten('{"metricsTotals": {"totalResolvedConversations": 1}}'))
    >>> note.startswith("msgconversation: ")
    True
    """
    from engframe.derive._kinds import frame_methods  # the method column, else the metrics

    chosen = df.attrs.get("time_unit")
    notes = [f"{name}: {METHODS[name].units_note}" + (
        f" This file holds them as {chosen}." if chosen else "")
        for name in frame_methods(df)
        if name in METHODS and not METHODS[name].time_unit_stated]
    return " ".join(notes) or None


def build(
    *,
    layout: str,
    query: Mapping[str, Any],
    specs: Sequence[ColumnSpec],
    extra: Mapping[str, str] | None,
    where: str,
    units: Mapping[str, str] | None = None,
    note: str | None = None,
) -> dict[bytes, bytes]:
    """The key-value metadata of one file.

    Raises
    ------
    OptionError
        If ``extra`` is not a mapping of strings, or uses a key engframe or pyarrow writes.
    """
    pairs = {
        VERSION_KEY: version(),
        LAYOUT_KEY: layout,
        QUERY_KEY: json.dumps(dict(query), sort_keys=True),
        UNITS_KEY: json.dumps(dict(units or {}), sort_keys=True),
        **({UNITS_NOTE_KEY: note} if note else {}),
        COLUMNS_KEY: json.dumps([spec.to_json() for spec in specs]),
    }
    if extra is not None:
        pairs.update(_extra(extra, where=where))
    return {key.encode(): value.encode() for key, value in pairs.items()}


def parse(raw: Mapping[bytes, bytes] | None) -> tuple[str | None, dict[str, Any],
                                                       list[ColumnSpec] | None, dict[str, str]]:
    """Read back what :func:`build` wrote: layout, query, column specs and extra pairs.

    ``layout`` and the specs are ``None`` for a file engframe did not write.
    """
    text = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in (raw or {}).items()}
    layout = text.get(LAYOUT_KEY)
    try:
        query = json.loads(text[QUERY_KEY]) if QUERY_KEY in text else {}
        specs = ([ColumnSpec.from_json(item) for item in json.loads(text[COLUMNS_KEY])]
                 if COLUMNS_KEY in text else None)
    except (ValueError, KeyError, TypeError):
        query, specs = {}, None  # damaged or foreign: fall back to the tidy dtypes
    extra = {k: v for k, v in text.items()
             if not k.startswith(PREFIX) and k not in _FOREIGN_KEYS}
    return layout, query if isinstance(query, dict) else {}, specs, extra


def parse_units(raw: Mapping[bytes, bytes] | None) -> dict[str, str]:
    """The ``engframe.units`` a file records (empty for files without it, or damaged ones)."""
    text = (raw or {}).get(UNITS_KEY.encode())
    try:
        units = json.loads(text) if text is not None else {}
    except ValueError:
        return {}
    if not isinstance(units, dict):
        return {}
    return {str(k): v for k, v in units.items() if isinstance(v, str)}


def attrs_of(query: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, Any]:
    """``df.attrs`` for a frame read back: the query spelt as :func:`engframe.flatten` does."""
    attrs: dict[str, Any] = {}
    request = {QUERY_FIELDS[k]: v for k, v in query.items() if k in QUERY_FIELDS and
               k != "fetched_at"}
    if request:
        attrs["query"] = request
    for field in ("account", "fetched_at"):
        if field in query:
            attrs[field] = query[field]
    if extra:
        attrs["metadata"] = dict(extra)
    return attrs


def _extra(extra: Mapping[str, str], *, where: str) -> dict[str, str]:
    if not isinstance(extra, Mapping):
        raise OptionError(f"{where}: metadata must be a mapping of str to str, "
                          f"found {type(extra).__name__}")
    for key, value in extra.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise OptionError(
                f"{where}: metadata must map str to str; key {key!r} has a "
                f"{type(value).__name__} value" if isinstance(key, str) else
                f"{where}: metadata keys must be strings, found {type(key).__name__}"
            )
        if key.startswith(PREFIX) or key in _FOREIGN_KEYS:
            raise OptionError(f"{where}: metadata key {key!r} is reserved "
                              f"(engframe writes 'engframe.*', pyarrow 'pandas' and "
                              f"'ARROW:schema')")
    kept, dropped = _split_secrets(extra)
    _warn_dropped(dropped, "metadata")
    return {k: str(v) for k, v in kept.items()}


def _split_secrets(pairs: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in pairs.items():
        if _SECRET_KEY.search(key) or (isinstance(value, str) and _SECRET_VALUE.search(value)):
            dropped.append(key)
        else:
            kept[key] = value
    return kept, dropped


def _warn_dropped(keys: Sequence[str], what: str) -> None:
    if keys:
        warnings.warn(
            f"{what}: left out {', '.join(map(repr, keys))}: credential-like values are "
            "never written to files",
            EngframeWarning,
            stacklevel=4,
        )


def version() -> str:
    """The running engframe's version."""
    return str(getattr(import_module("engframe"), "__version__", "unknown"))
