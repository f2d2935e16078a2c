"""The simulator's rate limiting: too many requests in flight, or too many per period.

The real API limits concurrent requests and answers 429 beyond the limit. The simulator
does the same for engactivity requests, and can also limit a rate (``count`` requests per
``seconds``, over a sliding window of the requests it let in).

Examples
--------
>>> limiter = Limiter(max_in_flight=1)
>>> with limiter.admit() as first:
...     with limiter.admit() as second:
...         first, second
(None, 'more than 1 request(s) in flight')
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from engframe.errors import SimConfigError, describe

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "Limiter"]

#: Concurrent engactivity requests the simulator serves before answering 429.
DEFAULT_MAX_IN_FLIGHT: Final = 8


class Limiter:
    """Admits requests, or says why not.

    Parameters
    ----------
    max_in_flight : int or None, optional
        Requests served at once; one more is refused. ``None``: no limit.
    rate_limit : tuple of (int, float), optional
        ``(count, seconds)``: at most ``count`` requests let in per sliding ``seconds``.
    monotonic : callable, optional
        The clock for the rate [s]; injectable for tests.

    Raises
    ------
    SimConfigError
        If a limit is not a positive number.

    Examples
    --------
    >>> limiter = Limiter(max_in_flight=None, rate_limit=(1, 60.0))
    >>> with limiter.admit() as first:
    ...     pass
    >>> with limiter.admit() as second:
    ...     second
    'more than 1 request(s) in 60 s'
    """

    def __init__(
        self,
        *,
        max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
        rate_limit: tuple[int, float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_in_flight is not None and (
            isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int)
            or max_in_flight < 1
        ):
            raise SimConfigError(
                f"max_in_flight: expected an integer >= 1 or None, found {describe(max_in_flight)}"
            )
        if rate_limit is not None and not _valid_rate(rate_limit):
            raise SimConfigError(
                "rate_limit: expected (count, seconds) with count >= 1 and seconds > 0, "
                f"or None; found {describe(rate_limit)}"
            )
        self.max_in_flight = max_in_flight
        self.rate_limit = rate_limit
        self._monotonic = monotonic
        self._in_flight = 0
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[str | None]:
        """Hold a place while a request is served.

        Yields
        ------
        str or None
            ``None`` when admitted; otherwise why the request is refused (answer 429).

        Examples
        --------
        >>> with Limiter().admit() as refused:
        ...     refused is None
        True
        """
        refused = self._enter()
        try:
            yield refused
        finally:
            if refused is None:
                with self._lock:
                    self._in_flight -= 1

    def _enter(self) -> str | None:
        with self._lock:
            if self.max_in_flight is not None and self._in_flight >= self.max_in_flight:
                return f"more than {self.max_in_flight} request(s) in flight"
            if self.rate_limit is not None:
                count, seconds = self.rate_limit
                now = self._monotonic()
                while self._admitted and self._admitted[0] <= now - seconds:
                    self._admitted.popleft()
                if len(self._admitted) >= count:
                    return f"more than {count} request(s) in {seconds:g} s"
                self._admitted.append(now)
            self._in_flight += 1
            return None


def _valid_rate(rate: object) -> bool:
    if not isinstance(rate, tuple) or len(rate) != 2:
        return False
    count, seconds = rate
    return (
        isinstance(count, int) and not isinstance(count, bool) and count >= 1
        and isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0
    )
