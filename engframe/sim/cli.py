"""Run the simulator from the command line: ``engframe sim --port 8080 --seed 1``.

A thin layer over :func:`engframe.sim.serve`: it prints the base URL and the credentials
the simulator accepts (they are the simulator's own, derived from the seed, and useless
anywhere else), then serves until interrupted.

Examples
--------
>>> import io, threading
>>> from engframe.sim.cli import run
>>> stop, out = threading.Event(), io.StringIO()
>>> stop.set()
>>> run(port=0, seed=1, out=out, stop=stop)
>>> "http://127.0.0.1:" in out.getvalue()
True
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import Final, TextIO

from engframe.errors import EngframeError, SimConfigError
from engframe.sim.app import DEFAULT_ACCOUNT
from engframe.sim.model import DEFAULT_SEED
from engframe.sim.server import LOOPBACK, SimServer, serve

__all__ = ["DEFAULT_PORT", "main", "run"]

#: The port ``engframe sim`` listens on unless told otherwise.
DEFAULT_PORT: Final = 8080
_LOOPBACK_NAMES: Final = (LOOPBACK, "localhost")


def run(
    *,
    port: int = DEFAULT_PORT,
    seed: int = DEFAULT_SEED,
    host: str = LOOPBACK,
    account: str = DEFAULT_ACCOUNT,
    out: TextIO | None = None,
    log: TextIO | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the simulator until interrupted (Ctrl+C) or ``stop`` is set.

    Parameters
    ----------
    port : int, optional
        Port to listen on (0 picks a free one).
    seed : int, optional
        Fixes the center, its chats and the credentials.
    host : str, optional
        Must be ``127.0.0.1`` (or ``localhost``): the simulator only binds loopback.
    account : str, optional
        The account it hosts.
    out : text stream, optional
        Where the banner goes (standard output by default).
    log : text stream, optional
        Where one line per request goes (standard error by default).
    stop : threading.Event, optional
        Set it to stop serving (for tests and embedding).

    Raises
    ------
    SimConfigError
        If ``host`` is not loopback or another option is unusable.
    OSError
        If the port is taken.

    Examples
    --------
    >>> import io, threading
    >>> stop = threading.Event(); stop.set()
    >>> run(port=0, out=io.StringIO(), stop=stop)
    """
    if host not in _LOOPBACK_NAMES:
        raise SimConfigError(
            f"host: the simulator only binds {LOOPBACK} (or 'localhost'), found {host!r}"
        )
    out = sys.stdout if out is None else out
    log = sys.stderr if log is None else log
    with serve(seed=seed, port=port, account=account, log=log) as server:
        out.write(banner(server, seed=seed))
        out.flush()
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            out.write("stopped\n")


def banner(server: SimServer, *, seed: int) -> str:
    """The text ``engframe sim`` prints on start: URL, account and credentials.

    Parameters
    ----------
    server : SimServer
        The running simulator.
    seed : int
        Its seed, for the record.

    Returns
    -------
    str
        Several lines, ending with a newline.

    Examples
    --------
    >>> with serve(seed=1, now=0) as server:
    ...     "client_id" in banner(server, seed=1)
    True
    """
    app_key, app_secret, access_token, access_token_secret = server.oauth1
    return (
        f"engframe simulator (seed {seed}) serving account {server.account}\n"
        f"  csds_url / base URL  {server.base_url}\n"
        f"  OAuth 2.0            client_id={server.client_id}\n"
        f"                       client_secret={server.client_secret}\n"
        f"  OAuth 1.0            app_key={app_key} app_secret={app_secret}\n"
        f"                       access_token={access_token} "
        f"access_token_secret={access_token_secret}\n"
        "  (simulator credentials, valid only here)\n"
        "Press Ctrl+C to stop.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``engframe sim``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``sim`` (``sys.argv[1:]`` when omitted).

    Returns
    -------
    int
        The exit status: 0 after a clean stop, 2 for a bad option, 1 if the port is taken.

    Examples
    --------
    >>> main(["--host", "0.0.0.0"])
    2
    """
    parser = argparse.ArgumentParser(
        prog="engframe sim",
        description="Serve a simulated LivePerson Engagement Activity API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the simulated center (default {DEFAULT_SEED})")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT,
                        help=f"account id it hosts (default {DEFAULT_ACCOUNT})")
    parser.add_argument("--host", default=LOOPBACK, help=f"only {LOOPBACK} is allowed")
    args = parser.parse_args(argv)
    try:
        run(port=args.port, seed=args.seed, host=args.host, account=args.account)
    except EngframeError as error:
        print(f"engframe sim: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the port is taken, most likely
        print(f"engframe sim: cannot listen on {LOOPBACK}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0
