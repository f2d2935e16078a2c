"""The exceptions and warnings engframe raises.

Every error engframe raises on purpose derives from :class:`EngframeError`, so one
``except engframe.EngframeError`` catches them all. Errors about bad input also derive
from the matching builtin, so code that already catches ``ValueError`` keeps working::

    EngframeError
    ├── ResponseError (ValueError)   a response (or a file holding one) is malformed
    ├── FrameError (ValueError)      a DataFrame is not a tidy engframe frame
    ├── MetricError (ValueError)     a derived-metric formula or metric name is not usable
    ├── OptionError (ValueError)     an option's value is not one the function accepts
    ├── SimConfigError (ValueError)  the simulator (engframe.sim) was given an unusable option
    ├── SimRequestError (ValueError) the simulated API rejects a request (its HTTP 4xx answer)
    ├── SourceError (OSError)        a file or folder to read is missing or unreadable
    ├── DatasetError (OSError)       a history dataset cannot be updated (lock, layout, damage)
    ├── OutputError (OSError)        a file or folder cannot be written where asked
    ├── QueryError (ValueError)      a query parameter is invalid (locally, or the API's 400)
    ├── ConfigError (ValueError)     an option of the live client is unusable
    └── APIError (OSError)           the API answered an error, or could not be reached
        ├── AuthError (PermissionError)  credentials missing or refused (401/403)
        └── RateLimitError               still 429 Too Many Requests after every retry

    EngframeWarning (UserWarning)    something was kept or skipped that you should know of
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = [
    "APIError",
    "AuthError",
    "ConfigError",
    "DatasetError",
    "EngframeError",
    "EngframeWarning",
    "FrameError",
    "MetricError",
    "OptionError",
    "OutputError",
    "QueryError",
    "RateLimitError",
    "ResponseError",
    "SimConfigError",
    "SimRequestError",
    "SourceError",
]

_FOUND_MAX = 60
# A repr that stops a few levels down: a found value may be nested thousands of levels deep.
_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxstring = _SHORT.maxother = _FOUND_MAX
_SHORT.maxlong = 40


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
    try:
        text = _SHORT.repr(value)
    except ValueError:  # an integer of more digits than Python converts to text
        text = "(too large to show)"
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
    method : str or None
        The API method the response answers (``msgconversation``), when known: the
        envelope's request says it, or the metric names read before the error do.
    """

    def __init__(
        self, path: str, expected: str, found: str, *, source: str | None = None,
        method: str | None = None,
    ) -> None:
        self.path = path
        self.expected = expected
        self.found = found
        self.source = source
        self.method = method
        where = path or "(top level)"
        if source and method:
            prefix = f"{source} ({method} response): "
        elif source or method:
            prefix = f"{source}: " if source else f"{method} response: "
        else:
            prefix = ""
        super().__init__(f"{prefix}{where}: expected {expected}, found {found}")

    def with_context(self, *, source: str | None = None,
                     method: str | None = None) -> ResponseError:
        """The same error, with the source and method said (those it already has kept)."""
        return ResponseError(self.path, self.expected, self.found,
                             source=self.source or source, method=self.method or method)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_response_error,
                (self.path, self.expected, self.found, self.source, self.method))


def _rebuild_response_error(
    path: str, expected: str, found: str, source: str | None, method: str | None = None
) -> ResponseError:
    return ResponseError(path, expected, found, source=source, method=method)


class FrameError(EngframeError, ValueError):
    """A DataFrame handed to engframe is not a tidy frame (missing columns, bad values)."""


class SourceError(EngframeError, OSError):
    """A file or folder to read is missing, unreadable, or holds no responses."""


class EngframeWarning(UserWarning):
    """Something in the input was kept aside or skipped; the message says what and where."""


class MetricError(EngframeError, ValueError):
    """A derived-metric formula is malformed, or a metric name is neither raw nor derived."""


class SimConfigError(EngframeError, ValueError):
    """The simulator (:mod:`engframe.sim`) was given an option it cannot use.

    The message names the option, quotes the bad value and says what was expected.
    """


class SimRequestError(EngframeError, ValueError):
    """The simulated API rejects a request: the error behind one of its HTTP 4xx answers.

    Attributes
    ----------
    status : int
        The HTTP status the simulator answers with (400 for a bad parameter).
    param : str or None
        The query parameter at fault, when one is.
    value : str or None
        The value it had, as sent (``None`` when it was missing).
    """

    def __init__(
        self, message: str, *, status: int = 400, param: str | None = None,
        value: str | None = None,
    ) -> None:
        self.status = status
        self.param = param
        self.value = value
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_sim_request_error, (str(self), self.status, self.param, self.value))


def _rebuild_sim_request_error(
    message: str, status: int, param: str | None, value: str | None
) -> SimRequestError:
    return SimRequestError(message, status=status, param=param, value=value)


class QueryError(EngframeError, ValueError):
    """A query parameter is invalid: found before sending, or refused by the API (HTTP 400).

    Attributes
    ----------
    parameter : str or None
        The parameter at fault (``"timeframe"``, ``"skills"``, ...), when known.
    value : object
        The bad value as given (``None`` when unknown).
    rule : str or None
        What the parameter must be.
    status : int or None
        400 when the API refused the query, ``None`` when it was caught locally.
    url : str or None
        The request's URL with any secret removed, when the API refused it.
    server_message : str or None
        What the API said, when it refused the query.
    """

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        value: Any = None,
        rule: str | None = None,
        status: int | None = None,
        url: str | None = None,
        server_message: str | None = None,
    ) -> None:
        self.parameter = parameter
        self.value = value
        self.rule = rule
        self.status = status
        self.url = url
        self.server_message = server_message
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__))


class ConfigError(EngframeError, ValueError):
    """An option of the live client (:class:`engframe.Client`) is unusable.

    The message names the option, quotes the bad value and says what was expected.

    Attributes
    ----------
    option : str or None
        The keyword argument at fault (``"timeout"``, ``"csds_url"``, ...), when known, so
        that a command line can name its own option instead.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        self.option = option
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__))


class APIError(EngframeError, OSError):
    """The API answered with an error, or could not be reached at all.

    Attributes
    ----------
    status : int or None
        The HTTP status, ``None`` when no answer came (connection error, timeout).
    url : str
        The request's URL with any secret removed.
    server_message : str or None
        What the server said (its ``message``/``error`` member or the start of its body).
    host : str or None
        The host (``host`` or ``host:port``) that failed, when a request was sent.
    service : str or None
        What that host serves: ``"leDataReporting"``, ``"sentinel"`` (the token server),
        ``"csds"`` (the Domain API), ...; ``None`` when unknown.
    reason : str or None
        What failed, in a few words: ``"name not resolved"``, ``"connection refused"``,
        ``"timed out after 30 s"``, ``"HTTP 503 Service Unavailable"``.
    retries : int
        How many retries were made before giving up.
    detail : str or None
        The full technical description of a connection failure (the library's own words),
        kept out of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        server_message: str | None = None,
        host: str | None = None,
        service: str | None = None,
        reason: str | None = None,
        retries: int = 0,
        detail: str | None = None,
    ) -> None:
        self.status = status
        self.url = url
        self.server_message = server_message
        self.host = host
        self.service = service
        self.reason = reason
        self.retries = retries
        self.detail = detail
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__))


class AuthError(APIError, PermissionError):
    """The credentials are missing, malformed or refused (HTTP 401/403, or the token server).

    Attributes
    ----------
    env_sets : tuple of tuple of str
        When credentials are missing: the sets of environment variables that would
        provide them, any complete set will do (``(("LP_BEARER_TOKEN",), ("LP_CLIENT_ID",
        "LP_CLIENT_SECRET"), ...)``); empty otherwise.
    env_missing : tuple of str
        The variables missing from a set that is only partly set (never their values).
    """

    def __init__(
        self,
        message: str,
        *,
        env_sets: tuple[tuple[str, ...], ...] = (),
        env_missing: tuple[str, ...] = (),
        **details: Any,
    ) -> None:
        self.env_sets = env_sets
        self.env_missing = env_missing
        super().__init__(message, **details)


class RateLimitError(APIError):
    """The API still answered 429 Too Many Requests after every allowed retry."""


def _rebuild(cls: type[Exception], message: str, state: dict[str, Any]) -> Exception:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class OptionError(EngframeError, ValueError):
    """An option's value is not one the function accepts; the message names the option."""


class DatasetError(EngframeError, OSError):
    """A history dataset (:func:`engframe.export`) cannot be updated or read as one.

    Raised when its lock stays taken past the timeout, when its folders mix partitionings,
    or when one of its files is damaged; the message names the dataset and the file.
    """


class OutputError(EngframeError, OSError):
    """A file or folder cannot be written where asked (missing folder, no permission, full disk).

    The message names the path the caller gave (never a temporary file) and what failed;
    a file that was at the path before is left as it was.
    """
