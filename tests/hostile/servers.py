"""Hostile and broken servers on loopback, for the client's tests: no outside network.

- :class:`Scripted`: an HTTP server on a loopback address (``127.0.0.1``, or ``127.0.0.2``
  for "another host") that records every request it gets and answers from a function of
  the request. Given as the session's proxy it is a **recording proxy**: every plain-HTTP
  request, to whatever host, reaches it with its absolute URL, so a test sees what would
  have left the machine and where to.
- :class:`Dripping`: a raw socket server that answers a few bytes at a time, with a pause
  between them: its status line and headers, or its body.

Both run in daemon threads and stop (closing every connection) when their ``with`` ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    """One request a scripted server got."""

    method: str
    target: str  # the request line's target: a path, or an absolute URL through a proxy
    headers: dict[str, str]
    body: bytes

    @property
    def host(self) -> str:
        """The host the client meant (the proxy's target URL, else the Host header)."""
        if "://" in self.target:
            return urlsplit(self.target).netloc
        return self.headers.get("Host", "")

    @property
    def path(self) -> str:
        return urlsplit(self.target).path if "://" in self.target else self.target.split("?")[0]


@dataclass(frozen=True)
class Answer:
    """What a scripted server answers: a status, headers and a body."""

    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


Script = Callable[[Seen], Answer]


@dataclass
class Scripted:
    """An HTTP server on ``address`` answering ``script(request)``, recording every request."""

    script: Script
    address: str = "127.0.0.1"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Seen(self.command, self.path, dict(self.headers.items()),
                               self.rfile.read(length) if length else b"")
                outer.seen.append(request)
                answer = outer.script(request)
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if not any(name.lower() == "content-length" for name, _ in answer.headers):
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                # the client may give up reading: what these tests want
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(answer.body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.address, 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def __enter__(self) -> Scripted:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Dripping:
    """A server that sends ``head`` at once (or drips it), then drips ``body``.

    Each dripped piece is ``step`` bytes, sent after a pause of ``pause`` seconds; it stops
    when the client hangs up or the ``with`` ends.
    """

    def __init__(self, *, head: bytes, body: bytes, pause: float, step: int = 1,
                 drip_head: bool = False) -> None:
        self.head, self.body, self.pause, self.step = head, body, pause, step
        self.drip_head = drip_head
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"

    def _pieces(self) -> Iterator[tuple[bytes, bool]]:
        if self.drip_head:
            yield from ((self.head[i:i + self.step], True)
                        for i in range(0, len(self.head), self.step))
        else:
            yield self.head, False
        yield from ((self.body[i:i + self.step], True)
                    for i in range(0, len(self.body), self.step))

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            for piece, slow in self._pieces():
                if slow and self._stop.wait(self.pause):
                    return
                try:
                    connection.sendall(piece)
                except OSError:
                    return

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def __enter__(self) -> Dripping:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)


def wait_until(condition: Callable[[], bool], *, seconds: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; whether it held."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
