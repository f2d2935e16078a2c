"""Decode a response, lazily: JSON bytes or an already-decoded dict, wrapped or not.

A 24-hour response in 5-minute intervals is well over 100 MB of JSON. Decoding all of it
into Python objects at once would hold several times that in memory, so the document is
decoded one level at a time: the top level keeps its members as raw JSON spans
(``msgspec.Raw``) and each interval of ``metricsByIntervals`` is decoded only when the
flattener reaches it, then dropped. An already-decoded dict goes through the same path.

Every object decoded here one level deep (the top level, an envelope, its response) is
checked for repeated keys (:mod:`engframe.flatten._repeats`), and the envelope's fields are checked
against what the API accepts, so that a hostile ``request.timeframe`` or ``fetched_at``
fails here rather than deep in the window arithmetic or in pandas.

Parses only: no files are read here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec

from engframe.errors import ResponseError, describe
from engframe.flatten._repeats import check_piece, check_shallow
from engframe.flatten._walk import members_of, too_deep
from engframe.limits import MAX_INTERVALS
from engframe.methods import METHODS
from engframe.schema import INTERVALS_KEY
from engframe.window import MAX_TIMEFRAME, MIN_INTERVAL

__all__ = ["EARLIEST_MS", "LATEST_MS", "Document", "decode_document", "interval_path",
           "materialize"]

#: The instants a timestamp may name [epoch ms]: years 1 to 9999, as pandas and Python's
#: datetime hold them.
EARLIEST_MS: Final = -62_135_596_800_000  # 0001-01-01T00:00:00Z
LATEST_MS: Final = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

_TOP = dict[str, msgspec.Raw]
_ITEMS = list[msgspec.Raw]
_NONE = msgspec.Raw()


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    """A response's top level when it holds only the members engframe knows.

    Decoding into this type splits ``metricsByIntervals`` into its intervals in the same
    pass that finds the members; anything else (an envelope, a wrapper, an unknown member,
    a wrong type) fails validation and takes the general path.
    """

    metricsByIntervals: list[msgspec.Raw] | msgspec.UnsetType = msgspec.UNSET
    metricsTotals: msgspec.Raw = _NONE
    metricsTotal: msgspec.Raw = _NONE
    skillsMetricsPerAgent: msgspec.Raw = _NONE
    skillsMetrics: msgspec.Raw = _NONE
    agentsMetrics: msgspec.Raw = _NONE
_JSON_KIND = {"object": "an object", "array": "an array"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Document:
    """One response, unwrapped, with what its envelope says about it.

    Attributes
    ----------
    body : dict
        The response's top-level members; values may still be raw JSON (``msgspec.Raw``).
    request : dict or None
        The envelope's ``request`` (account, timeframe, interval, ...), if any.
    fetched_at_ms : int or None
        When the response was fetched [epoch ms], if an envelope says so.
    from_cache : bool or None
        Whether the envelope says the response came from the HTTP cache.
    """

    body: dict[str, Any]
    request: dict[str, Any] | None = None
    fetched_at_ms: int | None = None
    from_cache: bool | None = None

    def intervals(self) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, interval)`` for ``metricsByIntervals``, each maybe still raw JSON.

        Decode an item with :func:`materialize` (or a faster typed decoder) when it is
        reached, so that only one interval's objects are alive at a time.
        """
        items = self.body.get(INTERVALS_KEY)
        if items is None:
            return
        if isinstance(items, msgspec.Raw):
            items = _decode(items, _ITEMS, INTERVALS_KEY)
        elif not isinstance(items, list):
            raise ResponseError(INTERVALS_KEY, "an array of intervals", describe(items))
        _check_interval_count(items)
        yield from enumerate(items)


def interval_path(index: int) -> str:
    """The JSON path of interval ``index``."""
    return f"metricsByIntervals[{index}]"


def materialize(value: Any, path: str) -> Any:
    """Decode ``value`` if it is still raw JSON.

    The caller checks the piece for repeated keys (it counts the members as it walks them);
    :func:`_materialize_checked` does both for the small pieces of an envelope.
    """
    if isinstance(value, msgspec.Raw):
        return _decode(value, Any, path)
    return value


def _materialize_checked(value: Any, path: str) -> Any:
    decoded = materialize(value, path)
    members = members_of(decoded, path)
    if isinstance(value, msgspec.Raw):
        check_piece(value, members, path)
    return decoded


def decode_document(response: Any) -> Document:
    """Turn JSON bytes/str or a decoded dict into a :class:`Document`.

    Unwraps a saved envelope ``{"request", "fetched_at", "response"}`` and a
    ``{"meta", "body"}`` wrapper, in either nesting.

    Raises
    ------
    ResponseError
        If the input is not JSON, not an object, or the envelope is malformed.
    """
    if isinstance(response, str):
        try:
            response = response.encode()
        except UnicodeEncodeError as exc:
            raise ResponseError("", "text that is valid Unicode",
                                f"a lone surrogate at character {exc.start}") from None
    if isinstance(response, bytes | bytearray | memoryview):
        top = _members(response, "")
    elif isinstance(response, Mapping):
        top = dict(response)
    else:
        raise ResponseError("", "a JSON object (dict, JSON str or bytes)", describe(response))
    document = Document(body=top)
    while True:
        if _is_envelope(top):
            _read_envelope(top, document)
            top = _object(top["response"], "response")
        elif _is_meta_body(top):
            top = _object(top["body"], "body")
        else:
            break
    document.body = top
    return document


def _is_envelope(top: Mapping[str, Any]) -> bool:
    return "response" in top and ("fetched_at" in top or "request" in top)


def _is_meta_body(top: Mapping[str, Any]) -> bool:
    return "body" in top and set(top) <= {"meta", "body"}


def _read_envelope(top: Mapping[str, Any], document: Document) -> None:
    request = _materialize_checked(top.get("request"), "request")
    if request is not None and not isinstance(request, dict):
        raise ResponseError("request", "an object describing the query", describe(request))
    if request is not None:
        _check_request(request)
        document.request = request
    if "fetched_at" in top:
        document.fetched_at_ms = _parse_instant(
            _materialize_checked(top["fetched_at"], "fetched_at"))
    from_cache = _materialize_checked(top.get("from_cache"), "from_cache")
    if from_cache is not None and not isinstance(from_cache, bool):
        raise ResponseError("from_cache", "true or false", describe(from_cache))
    document.from_cache = from_cache


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_request(request: Mapping[str, Any]) -> None:
    """Refuse a ``timeframe`` or ``interval`` the API would have refused (HTTP 400).

    Both feed the window arithmetic, which lists every interval: a hostile timeframe of
    10**9 minutes must not get that far. A ``method`` is a name of letters and digits; one
    the catalogue knows that takes no ``interval`` (msgcsatdistribution) has none.
    """
    method = request.get("method")
    if method is not None and not (isinstance(method, str) and 0 < len(method) <= 64
                                   and method.isascii() and method.isalnum()):
        raise ResponseError("request.method", "an API method's name, such as "
                            "'msgconversation' (letters and digits)", describe(method))
    timeframe = request.get("timeframe")
    if timeframe is not None and not (_is_int(timeframe) and 1 <= timeframe <= MAX_TIMEFRAME):
        raise ResponseError("request.timeframe",
                            f"minutes, an integer from 1 to {MAX_TIMEFRAME}", describe(timeframe))
    interval = request.get("interval")
    if interval is None:
        return
    if isinstance(method, str) and method in METHODS and not METHODS[method].interval:
        raise ResponseError("request.interval", f"none: {method} takes no interval",
                            describe(interval))
    fits = _is_int(interval) and interval >= MIN_INTERVAL and (
        timeframe is None or (interval <= timeframe and timeframe % interval == 0))
    if not fits:
        raise ResponseError(
            "request.interval",
            f"minutes, an integer of at least {MIN_INTERVAL}, at most the timeframe "
            f"({timeframe}) and a divisor of it", describe(interval))


def _parse_instant(value: Any) -> int:
    """Epoch milliseconds from an ISO-8601 string (UTC if no offset) or an integer."""
    expected = "an ISO-8601 time such as 2026-11-27T13:29:04.123Z"
    if _is_int(value):
        ms = int(value)
        expected = "epoch milliseconds of a time in the years 1 to 9999"
    elif isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise ResponseError("fetched_at", expected, describe(value)) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        ms = (stamp - _EPOCH) // timedelta(milliseconds=1)
        expected = "a time in the years 1 to 9999 (UTC)"
    else:
        raise ResponseError("fetched_at", expected, describe(value))
    if not EARLIEST_MS <= ms <= LATEST_MS:
        raise ResponseError("fetched_at", expected, describe(value))
    return ms


def _check_interval_count(items: list[Any]) -> None:
    if len(items) > MAX_INTERVALS:
        raise ResponseError(INTERVALS_KEY, f"at most {MAX_INTERVALS:,} intervals "
                                           "(engframe.limits.MAX_INTERVALS)",
                            f"{len(items):,} intervals")


def _members(data: Any, path: str) -> dict[str, Any]:
    """The members of the JSON object in ``data``, each still raw JSON.

    Raises
    ------
    ResponseError
        If ``data`` is not a JSON object, or repeats one of its keys.
    """
    try:
        body = msgspec.json.decode(data, type=_Body)
    except msgspec.DecodeError:
        members: dict[str, Any] = _decode(data, _TOP, path)  # or raise, naming the problem
        check_shallow(data, members.values(), len(members), path)
        return members
    except RecursionError:
        raise too_deep(path) from None
    found = {name: getattr(body, name) for name in body.__struct_fields__}
    found = {name: value for name, value in found.items()
             if value is not msgspec.UNSET and value is not _NONE}
    children = [value for name, value in found.items() if name != INTERVALS_KEY]
    intervals = found.get(INTERVALS_KEY)
    if intervals is not None:  # its items are the children; the list itself has no keys
        _check_interval_count(intervals)
        children.extend(intervals)
    check_shallow(data, children, len(found), path)
    return found


def _object(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, msgspec.Raw):
        return _members(value, path)
    if not isinstance(value, Mapping):
        raise ResponseError(path, "an object", describe(value))
    return dict(value)


def _decode(data: Any, kind: Any, path: str) -> Any:
    try:
        return msgspec.json.decode(data, type=kind)
    except RecursionError:  # msgspec's own guard, near 1000 levels
        raise too_deep(path) from None
    except msgspec.ValidationError as exc:
        raise _validation_error(exc, path) from None
    except msgspec.DecodeError as exc:
        message = str(exc)
        if not len(data):
            found = "nothing (an empty document)"
        elif "truncated" in message:
            found = f"JSON cut off after {len(data)} bytes"
        else:
            found = f"malformed JSON ({message.removeprefix('JSON is malformed: ')})"
        raise ResponseError(path, "complete, valid JSON", found) from None


def _validation_error(exc: msgspec.ValidationError, path: str) -> ResponseError:
    # msgspec says e.g. "Expected `object`, got `array`"; only the top-level type is
    # validated here, so its own path suffix (if any) adds nothing.
    message = str(exc).split(" - at ", 1)[0]
    if message == "Number out of range":  # 1e400 (no float), or an integer of 5000 digits
        return ResponseError(path, "numbers a float64 (or, for integers, 64 bits) can hold",
                             "a number out of range")
    if message.startswith("Expected `"):
        expected, _, got = message.removeprefix("Expected `").partition("`, got `")
        return ResponseError(
            path, _JSON_KIND.get(expected, expected), f"{got.rstrip('`')}"
        )
    return ResponseError(path, "valid JSON", message)
