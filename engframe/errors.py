"""The exceptions and warnings engframe raises.

Every error engframe raises on purpose derives from :class:`EngframeError`, so one
``except engframe.EngframeError`` catches them all. Errors about bad input also derive
from the matching builtin, so code that already catches ``ValueError`` keeps working::

    EngframeError
    ├── ResponseError (ValueError)   a response (or a file holding one) is malformed
    ├── FrameError (ValueError)      a DataFrame is not a tidy engframe frame
    └── SourceError (OSError)        a file or folder to read is missing or unreadable

    EngframeWarning (UserWarning)    something was kept or skipped that you should know of
"""

from __future__ import annotations

from typing import Any

__all__ = ["EngframeError", "EngframeWarning", "FrameError", "ResponseError", "SourceError"]

_FOUND_MAX = 60


def describe(value: Any) -> str:
    """Name a found value briefly for a message: its JSON type and a short repr."""
    kind = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > _FOUND_MAX:
        text = text[: _FOUND_MAX - 3] + "..."
    return f"{kind} {text}"


class EngframeError(Exception):
    """Root of every error engframe raises on purpose."""


class ResponseError(EngframeError, ValueError):
    """A response is malformed: not JSON, or JSON of the wrong shape.

    Attributes
    ----------
    path : str
        Where in the response: a JSON path such as
        ``agentsMetrics.metricsPerAgent["agentX"]`` (``""`` for the whole document).
    expected : str
        What belongs there.
    found : str
        What is there instead (its type and a short repr).
    source : str or None
        The file the response came from, when it came from a file.
    """

    def __init__(
        self, path: str, expected: str, found: str, *, source: str | None = None
    ) -> None:
        self.path = path
        self.expected = expected
        self.found = found
        self.source = source
        where = path or "(top level)"
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{where}: expected {expected}, found {found}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_response_error, (self.path, self.expected, self.found, self.source))


def _rebuild_response_error(
    path: str, expected: str, found: str, source: str | None
) -> ResponseError:
    return ResponseError(path, expected, found, source=source)


class FrameError(EngframeError, ValueError):
    """A DataFrame handed to engframe is not a tidy frame (missing columns, bad values)."""


class SourceError(EngframeError, OSError):
    """A file or folder to read is missing, unreadable, or holds no responses."""


class EngframeWarning(UserWarning):
    """Something in the input was kept aside or skipped; the message says what and where."""
