"""The simulator's HTTP server: the standard library's threading server on 127.0.0.1.

:func:`serve` starts a :class:`SimServer` on a free loopback port (or the one given) and
returns it; use it as a context manager so it stops cleanly. Stopping ends the accept loop,
shuts every open keep-alive connection, joins every handler thread and frees the port, so
tests leak neither threads nor ports. Nothing but 127.0.0.1 is ever bound.

Examples
--------
>>> import json, urllib.request
>>> from engframe.sim.server import serve
>>> with serve(seed=1, now=1_395_821_220_000) as server:
...     url = f"{server.base_url}/api/account/{server.account}/service/leDataReporting/baseURI.json"
...     answer = json.load(urllib.request.urlopen(url, timeout=5))
>>> answer["baseURI"] == server.base_url.removeprefix("http://")
True
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, TextIO

from engframe.errors import SimConfigError, describe
from engframe.sim.app import DEFAULT_ACCOUNT, Reply, Request, SimApp, public_query
from engframe.sim.auth import DEFAULT_TOKEN_TTL, Credentials
from engframe.sim.clock import Clock, NowLike
from engframe.sim.faults import FaultPlan, Faults
from engframe.sim.limits import DEFAULT_MAX_IN_FLIGHT
from engframe.sim.messaging import Messaging
from engframe.sim.model import DEFAULT_SEED, Center, CenterConfig
from engframe.sim.people import Directory
from engframe.sim.render import DEFAULT_NEWEST_FIRST

__all__ = ["LOOPBACK", "SimServer", "serve"]

#: The only address the simulator binds.
LOOPBACK: Final = "127.0.0.1"
#: Largest request body read [bytes]; a token request is a few hundred.
MAX_BODY_BYTES: Final = 65_536
#: An idle keep-alive connection is closed after this long [s].
IDLE_TIMEOUT: Final = 30.0
#: How often the accept loop checks whether to stop [s].
POLL_INTERVAL: Final = 0.05
#: How long closing waits for the accept loop [s].
JOIN_TIMEOUT: Final = 10.0
#: How a client hanging up shows while its answer is written.
_HANG_UPS: Final = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                    TimeoutError)


class SimServer:
    """A running (or ready to run) simulator; see :func:`serve`.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:PORT``: the ``csds_url`` to give a client.
    port : int
        The bound port.
    account : str
        The account it hosts.
    client_id, client_secret : str
        OAuth 2.0 client credentials it accepts.
    oauth1 : tuple of str
        ``(app_key, app_secret, access_token, access_token_secret)`` it accepts.
    faults : Faults
        Script faults here: ``server.faults.script("status", status=429, count=3)``.
    center : Center
        The simulated contact center behind the numbers.
    directory : Directory
        Its Account Configuration: skill names, users and agent groups.
    clock : callable
        The clock it reads [epoch ms].

    Examples
    --------
    >>> server = SimServer(seed=1, now=0)
    >>> server.start() is server
    True
    >>> server.close()
    """

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        now: NowLike = None,
        port: int = 0,
        account: str = DEFAULT_ACCOUNT,
        center: CenterConfig | None = None,
        credentials: Credentials | None = None,
        token_ttl: int = DEFAULT_TOKEN_TTL,
        max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
        rate_limit: tuple[int, float] | None = None,
        faults: FaultPlan | None = None,
        newest_first: bool = DEFAULT_NEWEST_FIRST,
        log: TextIO | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise SimConfigError(f"port: expected an integer 0..65535, found {describe(port)}")
        if not isinstance(account, str) or not account.isdigit():
            raise SimConfigError(
                "account: expected a string of digits such as '56072331', "
                f"found {describe(account)}"
            )
        self._stop = threading.Event()
        self._httpd = _HTTPServer((LOOPBACK, port), _Handler)
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        try:
            self._app = SimApp.build(
                seed=seed, now=now, host=f"{LOOPBACK}:{self.port}", stop=self._stop,
                account=account, center=center, credentials=credentials,
                token_ttl=token_ttl, max_in_flight=max_in_flight, rate_limit=rate_limit,
                faults=faults, newest_first=newest_first,
            )
        except BaseException:
            self._httpd.server_close()
            raise
        self._httpd.app = self._app
        self._httpd.log = log
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("running" if self._thread else "ready")
        return f"<SimServer {self.base_url} account={self.account} {state}>"

    def __enter__(self) -> SimServer:
        # serve() hands over a started server; SimServer(...) used directly starts here.
        return self if self._thread is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def account(self) -> str:
        """The account it hosts."""
        return self._app.account

    @property
    def client_id(self) -> str:
        """OAuth 2.0 client id it accepts."""
        return self._app.auth.credentials.client_id

    @property
    def client_secret(self) -> str:
        """OAuth 2.0 client secret it accepts."""
        return self._app.auth.credentials.client_secret

    @property
    def oauth1(self) -> tuple[str, str, str, str]:
        """``(app_key, app_secret, access_token, access_token_secret)`` it accepts."""
        return self._app.auth.credentials.oauth1

    @property
    def faults(self) -> Faults:
        """The fault controller."""
        return self._app.faults

    @property
    def center(self) -> Center:
        """The simulated contact center."""
        return self._app.center

    @property
    def messaging(self) -> Messaging:
        """The center's messaging conversations and CSAT answers (the ground truth of
        msgconversation and msgcsatdistribution: ``server.messaging.frame(start, end)``)."""
        return Messaging.for_center(self._app.center)

    @property
    def directory(self) -> Directory:
        """The account's configuration: skill names, users and agent groups."""
        return self._app.directory

    @property
    def clock(self) -> Clock:
        """The clock it reads [epoch ms]."""
        return self._app.clock

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests answered so far, oldest first: ``method``, ``path``, ``query``, ``status``.

        ``query`` maps each parameter to its first value, secrets redacted. A copy.
        """
        return self._app.requests

    def issue_token(self) -> str:
        """A valid bearer token, without going through HTTP (for "a token I already have").

        Returns
        -------
        str
            The token; it expires like any other.

        Examples
        --------
        >>> with serve(seed=1, now=0) as server:
        ...     len(server.issue_token()) > 20
        True
        """
        creds = self._app.auth.credentials
        answer = self._app.auth.issue_token(
            account=self.account, client_id=creds.client_id, client_secret=creds.client_secret
        )
        token: str = answer["access_token"]
        return token

    def start(self) -> SimServer:
        """Start serving in a background thread.

        Returns
        -------
        SimServer
            Itself.

        Raises
        ------
        SimConfigError
            If it was already started or closed.

        Examples
        --------
        >>> server = SimServer(now=0).start()
        >>> server.close()
        """
        if self._thread is not None or self._closed:
            raise SimConfigError(f"{self!r}: start() works once, on a server not yet started")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": POLL_INTERVAL},
            name=f"engframe-sim:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, close every connection, join every thread, free the port.

        Safe to call twice.

        Examples
        --------
        >>> server = serve(now=0)
        >>> server.close()
        >>> server.close()
        """
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(JOIN_TIMEOUT)
        self._httpd.close_connections()
        self._httpd.server_close()  # joins the handler threads (block_on_close)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server is closed (or ``timeout`` seconds pass).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most; forever when omitted.

        Returns
        -------
        bool
            Whether it was closed.

        Examples
        --------
        >>> server = serve(now=0)
        >>> server.wait(0.01)
        False
        >>> server.close()
        """
        return self._stop.wait(timeout)


def serve(
    *,
    seed: int = DEFAULT_SEED,
    now: NowLike = None,
    port: int = 0,
    account: str = DEFAULT_ACCOUNT,
    center: CenterConfig | None = None,
    credentials: Credentials | None = None,
    token_ttl: int = DEFAULT_TOKEN_TTL,
    max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
    rate_limit: tuple[int, float] | None = None,
    faults: FaultPlan | None = None,
    newest_first: bool = DEFAULT_NEWEST_FIRST,
    log: TextIO | None = None,
) -> SimServer:
    """Start a simulated Engagement Activity API on 127.0.0.1.

    Parameters
    ----------
    seed : int, optional
        Fixes the contact center, its chats and the default credentials.
    now : datetime, int, callable or None, optional
        The clock: ``None`` for the wall clock; a datetime or epoch ms for a frozen moment
        (responses are then identical to the byte); a zero-argument callable returning
        epoch ms, such as :class:`engframe.sim.ManualClock`, for a clock tests move.
    port : int, optional
        Port to bind; 0 (default) picks a free one.
    account : str, optional
        The account it hosts; other accounts get 401 at the token endpoint and 403 with
        valid credentials.
    center : CenterConfig, optional
        Size and rhythm of the center (default: 10 skills, 60 agents).
    credentials : Credentials, optional
        Credentials to accept; derived from ``seed`` when omitted.
    token_ttl : int, optional
        Bearer token lifetime [s], on the simulator's clock.
    max_in_flight : int or None, optional
        Concurrent engactivity requests before 429; ``None`` for no limit.
    rate_limit : tuple of (int, float), optional
        ``(count, seconds)``: more engactivity requests in a sliding window get 429.
    faults : FaultPlan, optional
        Seeded random faults for engactivity requests.
    newest_first : bool, optional
        Order of ``metricsByIntervals`` (the spec's example is newest first).
    log : text stream, optional
        Where to write one line per request (secrets redacted); silent when omitted.

    Returns
    -------
    SimServer
        Started; a context manager that closes it.

    Raises
    ------
    SimConfigError
        If an option is unusable.
    OSError
        If ``port`` is taken.

    Examples
    --------
    >>> from engframe import sim
    >>> with sim.serve(seed=1, now=1_395_821_220_000) as server:
    ...     server.base_url.startswith("http://127.0.0.1:")
    True
    """
    return SimServer(
        seed=seed, now=now, port=port, account=account, center=center,
        credentials=credentials, token_ttl=token_ttl, max_in_flight=max_in_flight,
        rate_limit=rate_limit, faults=faults, newest_first=newest_first, log=log,
    ).start()


class _HTTPServer(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): a stopped server leaves none.
    daemon_threads = False
    block_on_close = True
    app: SimApp
    log: TextIO | None

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        # Wakes handler threads blocked reading an idle keep-alive connection.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.log is None:
            return
        error = sys.exception()
        if isinstance(error, _HANG_UPS):
            # A client that hangs up mid-answer is normal (timeouts, a user's Ctrl+C): one line.
            host, port = client_address[:2]
            self.log.write(f"client {host}:{port} disconnected before the answer was sent "
                           f"({type(error).__name__})\n")
        else:  # a fault of the simulator itself: the whole story
            self.log.write(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "engframe-sim"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    # Headers and body go out in two writes; with Nagle on, a keep-alive client waits ~40 ms
    # for the delayed ACK on every request.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    # http.server dispatches on these names.
    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def do_PATCH(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self._send(Reply(413, b'{"error":"Content Too Large","status":413}'))
            self.close_connection = True
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        host = self.headers.get("Host") or f"{LOOPBACK}:{self.server.server_address[1]}"
        request = Request(
            method=self.command,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base=f"http://{host}",
        )
        reply = self.server.app.handle(request)
        self._send(reply)
        if self.server.log is not None:
            query = "&".join(f"{k}={v}" for k, v in public_query(request.query).items())
            self.server.log.write(
                f"{request.method} {request.path}{'?' if query else ''}{query} {reply.status}\n"
            )

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: requests are logged by _answer, with secrets redacted."""
