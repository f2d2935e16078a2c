"""What hostile answers cost the client: peak memory against the limit, time against the budget.

Run from the repository root::

    python benchmarks/bench_hostile_answers.py [--cases plain_1gib gzip_2gib drip_body ...]

A server on 127.0.0.1 (this process) answers each case; a fresh child process makes one GET
with :class:`engframe.transport.Transport` (the default ``max_bytes`` of 256 MiB unless the
case says otherwise) and reports the outcome, its wall time and its peak resident memory
growth (Linux: the high-water mark is reset before the call). Cases:

- ``plain_1gib``: 1 GiB of JSON blanks, chunked (no length given, so it must be read);
- ``plain_1gib_declared``: the same with ``Content-Length``: refused before reading;
- ``gzip_2gib``: a 2 MB gzip-encoded answer that inflates to 2 GiB;
- ``drip_body`` / ``drip_head``: a byte every 0.05 s of the body / of the headers, with
  ``max_total=5`` (the issue's call lasted 61 s); ``drip_slow``: a byte every 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20

CHILD = """
import json, sys, time, warnings
sys.path.insert(0, {root!r})
from engframe.transport import RetryPolicy, Transport, make_session

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

transport = Transport(make_session(False), retry=RetryPolicy(max_total={budget}))
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
start = time.perf_counter()
try:
    transport.get({url!r})
    outcome = "ok"
except Exception as error:
    outcome = type(error).__name__ + ": " + str(error)[:160]
print(json.dumps({{"outcome": outcome, "seconds": time.perf_counter() - start,
                  "peak_mib": (status("VmHWM") - before) / 2**20}}))
"""


def _serve(answer: Callable[[socket.socket], None]) -> tuple[str, threading.Event]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def one(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            with suppress(OSError):  # the client hung up: what the cases make it do
                answer(connection)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=one, args=(connection,), daemon=True).start()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/x", stop


def _plain(declared: bool) -> Callable[[socket.socket], None]:
    piece = b" " * MIB

    def answer(connection: socket.socket) -> None:
        if declared:
            connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {1024 * MIB}\r\n\r\n"
                               .encode())
            for _ in range(1024):
                connection.sendall(piece)
            return
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(1024):
            connection.sendall(f"{MIB:x}\r\n".encode() + piece + b"\r\n")
        connection.sendall(b"0\r\n\r\n")

    return answer


def _gzip(gib: int) -> Callable[[socket.socket], None]:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    member = b"".join(packer.compress(b" " * MIB) for _ in range(64)) + packer.flush()
    body = member * (gib * 16)

    def answer(connection: socket.socket) -> None:
        connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    print(f"  (gzip body: {len(body) / MIB:.1f} MiB on the wire)", file=sys.stderr)
    return answer


def _drip(pause: float, *, head: bool) -> Callable[[socket.socket], None]:
    def answer(connection: socket.socket) -> None:
        start = b"HTTP/1.1 200 OK\r\n"
        rest = b"X-Slow: " + b"y" * 2000 + b"\r\n" if head else b""
        body = b" " * 100_000
        connection.sendall(start + (b"" if head else
                                    f"Content-Length: {len(body)}\r\n\r\n".encode()))
        for byte in (rest + f"Content-Length: {len(body)}\r\n\r\n".encode() if head else body):
            time.sleep(pause)
            connection.sendall(bytes([byte]))

    return answer


CASES: dict[str, tuple[Callable[[], Callable[[socket.socket], None]], float]] = {
    "plain_1gib": (lambda: _plain(False), 120.0),
    "plain_1gib_declared": (lambda: _plain(True), 120.0),
    "gzip_2gib": (lambda: _gzip(2), 120.0),
    "drip_body": (lambda: _drip(0.05, head=False), 5.0),
    "drip_head": (lambda: _drip(0.05, head=True), 5.0),
    "drip_slow": (lambda: _drip(0.5, head=False), 5.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    print("| case | outcome | wall [s] | peak memory growth [MiB] |")
    print("|---|---|---:|---:|")
    for name in args.cases:
        make, budget = CASES[name]
        url, stop = _serve(make())
        code = CHILD.format(root=str(ROOT), budget=budget, url=url)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=False, timeout=600)
        stop.set()
        if done.returncode:
            print(f"| {name} | child failed: {done.stderr.strip()[-200:]} | | |")
            continue
        result = json.loads(done.stdout)
        print(f"| {name} | {result['outcome']} | {result['seconds']:.2f} | "
              f"{result['peak_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
