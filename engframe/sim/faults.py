"""Injected faults: scripted ("the next 3 requests get 429") or seeded random ones.

A fault replaces or spoils the answer to one request:

==========  ===========================================================================
kind        effect
==========  ===========================================================================
status      answers ``status`` (429, 5xx, ...) with a short JSON error body
html        answers ``status`` (502 by default) with a non-JSON HTML error page
truncate    answers as usual but cuts the body in half, mid-JSON (status unchanged)
slow        waits ``delay`` seconds, then answers as usual
==========  ===========================================================================

Scripted faults are served first, in the order scripted. Then, for engactivity requests, a
:class:`FaultPlan` draws one number per request from its own seeded generator, so the same
sequence of requests meets the same faults.

Examples
--------
>>> faults = Faults(FaultPlan(seed=1, p_429=0.5))
>>> faults.script("status", status=503, count=1)
>>> faults.next("engactivity").status
503
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass
from typing import Final

from engframe.errors import SimConfigError, describe
from engframe.methods import METHODS

__all__ = [
    "DEFAULT_HTML_STATUS",
    "DEFAULT_SLOW_DELAY",
    "ENDPOINTS",
    "FAULT_KINDS",
    "Fault",
    "FaultPlan",
    "Faults",
]

#: The kinds of fault, see the module docstring.
FAULT_KINDS: Final = ("status", "html", "truncate", "slow")
#: The endpoints a fault can be scripted for.
ENDPOINTS: Final = (*METHODS, "token", "domain", "skills", "users", "agentGroups")
#: How long a slow answer waits [s], unless told otherwise.
DEFAULT_SLOW_DELAY: Final = 0.5
#: The status of an HTML error page, unless told otherwise (a proxy's Bad Gateway).
DEFAULT_HTML_STATUS: Final = 502
#: The status of a random server error drawn by a FaultPlan.
DEFAULT_5XX_STATUS: Final = 503
_MAX_DELAY: Final = 600.0


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to inflict on one request.

    Attributes
    ----------
    kind : str
        One of :data:`FAULT_KINDS`.
    status : int or None
        The status answered, for ``status`` and ``html``.
    delay : float
        Seconds to wait first, for ``slow``.
    retry_after : int or None
        A ``Retry-After`` header value [s] to send with a ``status`` fault.
    """

    kind: str
    status: int | None = None
    delay: float = 0.0
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Seeded random faults for engactivity requests.

    Parameters
    ----------
    seed : int
        Seeds the draws: the n-th engactivity request always meets the same fate.
    p_429, p_5xx, p_html, p_truncate, p_slow : float
        Probability of each fault per request; their sum must not exceed 1.
    status_5xx : int
        The status of a drawn server error.
    slow_delay : float
        The wait of a drawn slow answer [s].

    Raises
    ------
    SimConfigError
        If a probability is outside [0, 1], they sum above 1, or a status or delay is bad.

    Examples
    --------
    >>> FaultPlan(seed=3, p_429=0.1, p_5xx=0.05).p_429
    0.1
    """

    seed: int = 0
    p_429: float = 0.0
    p_5xx: float = 0.0
    p_html: float = 0.0
    p_truncate: float = 0.0
    p_slow: float = 0.0
    status_5xx: int = DEFAULT_5XX_STATUS
    slow_delay: float = DEFAULT_SLOW_DELAY

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise SimConfigError(
                f"FaultPlan.seed: expected an integer, found {describe(self.seed)}"
            )
        for name, p in self._probabilities():
            if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
                raise SimConfigError(
                    f"FaultPlan.{name}: expected a probability in [0, 1], found {describe(p)}"
                )
        total = sum(p for _, p in self._probabilities())
        if total > 1.0 + 1e-12:
            raise SimConfigError(f"FaultPlan: the probabilities sum to {total:g}; expected <= 1")
        _check_status(self.status_5xx, where="FaultPlan.status_5xx", low=500)
        _check_delay(self.slow_delay, where="FaultPlan.slow_delay")

    def _probabilities(self) -> tuple[tuple[str, float], ...]:
        return (
            ("p_429", self.p_429),
            ("p_5xx", self.p_5xx),
            ("p_html", self.p_html),
            ("p_truncate", self.p_truncate),
            ("p_slow", self.p_slow),
        )

    def draw(self, u: float) -> Fault | None:
        """The fault a uniform draw ``u`` in [0, 1) selects, if any.

        Parameters
        ----------
        u : float
            A uniform random number.

        Returns
        -------
        Fault or None
            The fault, or ``None`` for a normal answer.

        Examples
        --------
        >>> FaultPlan(p_429=0.25).draw(0.1).status, FaultPlan(p_429=0.25).draw(0.5)
        (429, None)
        """
        outcomes = (
            Fault("status", status=429),
            Fault("status", status=self.status_5xx),
            Fault("html", status=DEFAULT_HTML_STATUS),
            Fault("truncate"),
            Fault("slow", delay=self.slow_delay),
        )
        edge = 0.0
        for (_, p), fault in zip(self._probabilities(), outcomes, strict=True):
            edge += p
            if u < edge:
                return fault
        return None


class Faults:
    """The fault controller of a running simulator (``server.faults``).

    Parameters
    ----------
    plan : FaultPlan, optional
        Seeded random faults for engactivity requests; none when omitted.

    Examples
    --------
    >>> faults = Faults()
    >>> faults.script("truncate", count=2)
    >>> faults.pending()
    2
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        if plan is not None and not isinstance(plan, FaultPlan):
            raise SimConfigError(f"faults: expected a FaultPlan, found {describe(plan)}")
        self.plan = plan
        self._scripted: dict[str, deque[Fault]] = {name: deque() for name in ENDPOINTS}
        self._random = random.Random(plan.seed if plan is not None else 0)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Faults(plan={self.plan!r}, pending={self.pending()})"

    def script(
        self,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        delay: float = DEFAULT_SLOW_DELAY,
        retry_after: int | None = None,
        endpoint: str = "engactivity",
    ) -> None:
        """Make the next ``count`` requests to ``endpoint`` meet a fault.

        Parameters
        ----------
        kind : str
            ``"status"``, ``"html"``, ``"truncate"`` or ``"slow"``.
        count : int, optional
            How many requests in a row.
        status : int, optional
            The status to answer: required for ``"status"`` (400..599); for ``"html"``,
            defaults to 502.
        delay : float, optional
            How long ``"slow"`` waits [s].
        retry_after : int, optional
            Send ``Retry-After: <seconds>`` with a ``"status"`` fault.
        endpoint : str, optional
            ``"engactivity"`` (default), ``"token"``, ``"domain"``, one of the Account
            Configuration lists ``"skills"``, ``"users"``, ``"agentGroups"``, or one of the
            Operational Realtime methods ``"queuehealth"``, ``"agentactivity"``, ``"sla"``,
            ``"queuestate"``.

        Raises
        ------
        SimConfigError
            For an unknown kind or endpoint, a missing or bad status, a bad count or delay.

        Examples
        --------
        >>> faults = Faults()
        >>> faults.script("status", status=429, count=3)
        >>> [faults.next("engactivity").status for _ in range(3)]
        [429, 429, 429]
        >>> faults.next("engactivity") is None
        True
        """
        if kind not in FAULT_KINDS:
            raise SimConfigError(
                f"faults.script(kind): expected one of {', '.join(FAULT_KINDS)}, found {kind!r}"
            )
        if endpoint not in ENDPOINTS:
            raise SimConfigError(
                f"faults.script(endpoint): expected one of {', '.join(ENDPOINTS)}, "
                f"found {endpoint!r}"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise SimConfigError(
                f"faults.script(count): expected an integer >= 1, found {describe(count)}"
            )
        if kind == "status":
            if status is None:
                raise SimConfigError("faults.script('status'): status= is required, e.g. 429")
            _check_status(status, where="faults.script(status)", low=400)
        elif kind == "html":
            status = DEFAULT_HTML_STATUS if status is None else status
            _check_status(status, where="faults.script(status)", low=400)
        if kind == "slow":
            _check_delay(delay, where="faults.script(delay)")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise SimConfigError(
                "faults.script(retry_after): expected a non-negative integer [s], "
                f"found {describe(retry_after)}"
            )
        fault = Fault(
            kind,
            status=status if kind in ("status", "html") else None,
            delay=float(delay) if kind == "slow" else 0.0,
            retry_after=retry_after if kind == "status" else None,
        )
        with self._lock:
            self._scripted[endpoint].extend([fault] * count)

    def next(self, endpoint: str) -> Fault | None:
        """The fault the next request to ``endpoint`` meets, if any (consumes it).

        Parameters
        ----------
        endpoint : str
            One of :data:`ENDPOINTS`.

        Returns
        -------
        Fault or None
            A scripted fault first; else, for a data method (engactivity...), the plan's
            draw.

        Examples
        --------
        >>> Faults().next("token") is None
        True
        """
        with self._lock:
            # Draw for every engactivity request, scripted or not, so scripting a fault
            # never shifts which later requests the seeded plan hits.
            drawn = None
            if endpoint in METHODS and self.plan is not None:
                drawn = self.plan.draw(self._random.random())
            queue = self._scripted[endpoint]
            return queue.popleft() if queue else drawn

    def pending(self) -> int:
        """How many scripted faults are still waiting, over all endpoints.

        Returns
        -------
        int
            The count.

        Examples
        --------
        >>> Faults().pending()
        0
        """
        with self._lock:
            return sum(len(queue) for queue in self._scripted.values())

    def clear(self) -> None:
        """Drop every scripted fault still waiting (the seeded plan stays).

        Examples
        --------
        >>> faults = Faults()
        >>> faults.script("slow", count=2)
        >>> faults.clear()
        >>> faults.pending()
        0
        """
        with self._lock:
            for queue in self._scripted.values():
                queue.clear()


def _check_status(status: object, *, where: str, low: int) -> None:
    if isinstance(status, bool) or not isinstance(status, int) or not low <= status <= 599:
        raise SimConfigError(
            f"{where}: expected an HTTP status {low}..599, found {describe(status)}"
        )


def _check_delay(delay: object, *, where: str) -> None:
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not (
        0 <= delay <= _MAX_DELAY
    ):
        raise SimConfigError(
            f"{where}: expected seconds in [0, {_MAX_DELAY:g}], found {describe(delay)}"
        )
