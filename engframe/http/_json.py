"""Decode the JSON of an HTTP answer: malformed or too deeply nested is a ResponseError.

msgspec decodes recursively and raises ``RecursionError`` on JSON nested thousands of levels
deep; these helpers turn that, like any decoding error, into a
:class:`~engframe.errors.ResponseError` naming the answer's URL, so that the transport can
refuse the answer before it is cached (see :mod:`engframe.http._bounded`).

Examples
--------
>>> decode_json(b'{"a": 1}', source="https://h/p")
{'a': 1}
>>> check_json_object(b"[1]", source="https://h/p")
Traceback (most recent call last):
...
engframe.errors.ResponseError: https://h/p: (top level): expected a complete JSON object, \
found Expected `object`, got `array` (3 bytes)
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from engframe.errors import ResponseError
from engframe.limits import MAX_DEPTH

__all__ = ["check_json_object", "decode_json"]

#: Reads the top level of an object and skips over its members' values without building
#: them: a complete, well-formed JSON object in a tenth of the time a full decode takes.
_OBJECT_SHAPE: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _too_deep(source: str) -> ResponseError:
    return ResponseError("", f"JSON nested at most {MAX_DEPTH} levels deep "
                         "(engframe.limits.MAX_DEPTH)", "deeper nesting", source=source)


def decode_json(content: bytes, *, source: str, expected: str = "a JSON document") -> Any:
    """The decoded JSON of ``content``.

    Raises
    ------
    ResponseError
        If it is not JSON (naming ``expected``), or nested too deeply to decode.
    """
    try:
        return msgspec.json.decode(content)
    except msgspec.DecodeError as exc:
        found = f"{exc} ({len(content):,} bytes)"
    except RecursionError:
        found = None
    if found is None:
        raise _too_deep(source)
    raise ResponseError("", expected, found, source=source)


def check_json_object(content: bytes, *, source: str) -> None:
    """Refuse ``content`` unless it is one complete, well-formed JSON object.

    Raises
    ------
    ResponseError
        If it is not (cut short, malformed, not an object), or is nested too deeply.
    """
    try:
        _OBJECT_SHAPE.decode(content)
    except msgspec.ValidationError as exc:  # JSON, but not an object
        found = f"{exc} ({len(content):,} bytes)"
    except msgspec.DecodeError as exc:
        found = f"broken or cut-off JSON ({exc}; {len(content):,} bytes received)"
    except RecursionError:
        found = None
    else:
        return
    if found is None:
        raise _too_deep(source)
    raise ResponseError("", "a complete JSON object", found, source=source)
