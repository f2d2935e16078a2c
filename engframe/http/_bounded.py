"""One HTTP attempt, bounded in time and in size, its body checked before it can be cached.

A server can answer slowly on purpose, or answer gigabytes: engframe reads every answer

- **within the budget**: the attempt runs in a worker thread and the caller waits for it at
  most until the retry budget's end (``RetryPolicy.max_total``). When that passes, the
  answer's socket is shut for reading (urllib3's ``HTTPResponse.shutdown``, made to stop a
  read from another thread), so the worker stops too, and the caller goes on at once with
  "no complete answer". Before the headers have come, the connection the attempt was
  handed (:class:`WatchedPool` registers it) is shut instead. A server dripping its body,
  or its status line and headers, a byte at a time therefore costs the budget, not hours,
  and leaves no worker behind.
- **against a limit on decoded bytes**: the body is streamed (requests' ``iter_content``)
  into one buffer and refused once it passes ``limit`` bytes; a declared ``Content-Length``
  above it is refused before anything is read. urllib3 inflates gzip, deflate, brotli and
  zstd answers a bounded piece at a time, so a small gzip bomb costs about ``limit`` bytes
  of memory, not what it inflates to. Error pages and redirects keep their first
  :data:`ERROR_BODY_MAX` bytes only (their message is all engframe shows).
- **checked before it is kept**: the caller's ``check`` sees the body of a 2xx answer inside
  requests' response hook, before requests-cache stores it; an answer ``check`` refuses
  raises from the hook, so it is never stored.

Examples
--------
>>> from engframe.http._bounded import Watch
>>> watch = Watch()
>>> watch.expire()
>>> watch.expired
True
"""

from __future__ import annotations

import contextvars
import io
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Final

import requests
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from engframe.errors import EngframeError, ResponseError
from engframe.limits import MAX_DEPTH

__all__ = [
    "CHUNK",
    "ERROR_BODY_MAX",
    "Check",
    "Finished",
    "OverrunError",
    "Reader",
    "RefusedError",
    "Watch",
    "WatchedHTTPPool",
    "WatchedHTTPSPool",
    "run_bounded",
]

#: Decoded bytes read at a time [bytes]: also the most one read can inflate to.
CHUNK: Final = 1 << 20
#: The most of an error page or a redirect's body kept [bytes]: its message is all we show.
ERROR_BODY_MAX: Final = 64 << 10

#: Looks at the body of a 2xx answer: raises an engframe error to refuse it (it is then not
#: cached), or returns anything.
Check = Callable[[bytes], object]


class RefusedError(Exception):
    """Raised from the response hook: the answer is unusable; ``error`` says why.

    Raised as an exception so that requests-cache, which stores an answer after its
    hooks ran, never stores this one.
    """

    def __init__(self, error: EngframeError) -> None:
        super().__init__(str(error))
        self.error = error


class OverrunError(Exception):
    """Raised from the response hook when the budget ran out while the body was read."""


class Watch:
    """The end of one attempt's budget: lets the caller stop a body being read.

    The worker registers the raw urllib3 response it reads (:meth:`reading`); the caller,
    when the budget runs out, calls :meth:`expire`, which shuts that response's socket
    for reading: any read blocked on it returns, and later ones find it closed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: Any = None
        self._connection: Any = None
        self.expired = False

    def using(self, connection: Any) -> None:
        """Register the connection the attempt sends on (before any answer has come)."""
        with self._lock:
            self._connection = connection

    def reading(self, raw: Any) -> bool:
        """Register ``raw`` as being read; False when the budget has already run out."""
        with self._lock:
            if self.expired:
                return False
            self._raw = raw
            return True

    def done(self) -> None:
        """The body has been read (or given up): nothing to shut any more."""
        with self._lock:
            self._raw = self._connection = None

    def expire(self) -> None:
        """The budget ran out: stop the body being read, now and later (or, before the
        headers came, the connection they are awaited on)."""
        with self._lock:
            self.expired = True
            raw, self._raw = self._raw, None
            connection, self._connection = self._connection, None
        if raw is not None:
            # Not every raw response can be shut (a released connection, a test double):
            # then the worker ends at its next read timeout, and the caller has gone on.
            with suppress(ValueError, RuntimeError, OSError, AttributeError):
                raw.shutdown()
        elif connection is not None:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


#: The attempt's watch, in its worker's context (see :func:`run_bounded`).
CURRENT: contextvars.ContextVar[Watch | None] = contextvars.ContextVar(
    "engframe_attempt_watch", default=None)


def _registered(connection: Any) -> Any:
    """``connection``, registered with the current attempt's watch (if any)."""
    watch = CURRENT.get()
    if watch is not None:
        watch.using(connection)
    return connection


class WatchedHTTPPool(HTTPConnectionPool):
    """urllib3's pool, registering each connection it hands out with the current attempt's
    :class:`Watch`, so that a budget run out before the headers came can shut it."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        return _registered(super()._get_conn(timeout))


class WatchedHTTPSPool(HTTPSConnectionPool):
    """:class:`WatchedHTTPPool` for HTTPS."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        return _registered(super()._get_conn(timeout))


class Reader:
    """The response hook that reads a body within ``limit`` and runs ``check`` on it.

    Requests calls response hooks for every answer, redirects included, and
    requests-cache calls them once more on the answer it returns: a body already read
    (or an answer from the cache) is not read again, and ``check`` runs once per answer.

    Parameters
    ----------
    limit : int
        The most decoded bytes a 2xx answer may hold.
    watch : Watch
        The attempt's budget.
    check : callable, optional
        Looks at the body of a 2xx answer (see :data:`Check`).
    source : str
        The URL (secrets removed), for messages.
    """

    def __init__(self, *, limit: int, watch: Watch, check: Check | None, source: str) -> None:
        self.limit = limit
        self.watch = watch
        self.check = check
        self.source = source
        self._checked: list[requests.Response] = []

    def __call__(self, response: requests.Response, *args: Any,
                 **kwargs: Any) -> requests.Response:
        # requests keeps a body read in ``_content`` (False: not read yet), as ``content``
        # does itself; an answer from the cache holds its body already.
        if response._content is False:
            self._read(response)
        if (self.check is not None and 200 <= response.status_code < 300
                and not any(response is seen for seen in self._checked)):
            self._checked.append(response)
            self._run_check(response.content)
        return response

    def _read(self, response: requests.Response) -> None:
        full = 200 <= response.status_code < 300
        limit = self.limit if full else ERROR_BODY_MAX
        if not self.watch.reading(response.raw):
            response.close()
            raise OverrunError
        try:
            declared = response.headers.get("Content-Length", "")
            if (full and not response.headers.get("Content-Encoding")
                    and declared.isdigit() and int(declared) > limit):
                response.close()
                raise RefusedError(self._too_large(f"an answer of {int(declared):,} bytes"))
            body = io.BytesIO()
            for piece in response.iter_content(CHUNK):
                body.write(piece)
                if body.tell() > limit:
                    response.close()  # the rest is not wanted: drop the connection
                    if full:
                        raise RefusedError(self._too_large("an answer that is larger"))
                    break
        except requests.RequestException:
            if self.watch.expired:  # the shut socket failed the read: that is the budget
                raise OverrunError from None
            raise
        finally:
            self.watch.done()
        if self.watch.expired:  # a shut socket reads as the end of the body: it is not
            raise OverrunError
        # BytesIO hands over its buffer without copying it (CPython), so a body costs
        # about its size once, not twice.
        content = body.getvalue()
        response._content = content if full else content[:limit]
        response._content_consumed = True

    def _run_check(self, content: bytes) -> None:
        assert self.check is not None
        try:
            self.check(content)
        except EngframeError as error:
            raise RefusedError(error) from None
        except RecursionError:
            raise RefusedError(ResponseError(
                "", f"JSON nested at most {MAX_DEPTH} levels deep", "deeper nesting",
                source=self.source)) from None

    def _too_large(self, found: str) -> ResponseError:
        return ResponseError("", f"at most {self.limit:,} bytes (max_bytes=; "
                             "engframe.limits.MAX_RESPONSE_BYTES by default)", found,
                             source=self.source)


@dataclass(frozen=True, slots=True)
class Finished:
    """How a bounded call ended: its result, its error, or neither (the budget ran out)."""

    value: Any = None
    error: BaseException | None = None
    in_time: bool = True


def run_bounded(call: Callable[[], Any], *, seconds: float, watch: Watch) -> Finished:
    """Run ``call`` in a worker thread and wait for it at most ``seconds``.

    The worker runs in a copy of the caller's context (so that context variables, such as
    the one that guards the loggers while engframe sends, hold there too). If it is not done
    in time, or the caller is interrupted while waiting, ``watch`` expires, which stops the
    worker's body reading.

    Examples
    --------
    >>> run_bounded(lambda: 42, seconds=5, watch=Watch()).value
    42
    """
    box: dict[str, Any] = {}
    done = threading.Event()
    context = contextvars.copy_context()

    def watched() -> Any:
        CURRENT.set(watch)  # in the worker's context only
        return call()

    def work() -> None:
        try:
            box["value"] = context.run(watched)
        except BaseException as error:  # handed to the caller, who decides
            box["error"] = error
        finally:
            done.set()

    # A daemon: a worker stuck on a server that drips its headers must not keep the
    # interpreter from exiting.
    threading.Thread(target=work, name="engframe-attempt", daemon=True).start()
    try:
        done.wait(max(seconds, 0.0))
    finally:
        if not done.is_set():
            watch.expire()
    if not done.is_set():
        return Finished(in_time=False)
    return Finished(box.get("value"), box.get("error"))
