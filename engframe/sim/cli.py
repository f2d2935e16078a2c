"""Run the simulator from the command line: ``engframe sim --port 8080 --seed 1``.

A thin layer over :func:`engframe.sim.serve`: it prints the base URL and the credentials
the simulator accepts (they are the simulator's own, derived from the seed, and useless
anywhere else) as ``export LP_...=...`` lines a shell can paste or ``eval``, then serves
until interrupted.

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
import shlex
import sys
import threading
from collections.abc import Sequence
from typing import Final, TextIO

from engframe._defaults import SIM_PORT
from engframe.errors import EngframeError, SimConfigError
from engframe.sim.app import DEFAULT_ACCOUNT
from engframe.sim.model import DEFAULT_SEED
from engframe.sim.server import LOOPBACK, SimServer, serve

__all__ = ["DEFAULT_PORT", "main", "run"]

#: The port ``engframe sim`` listens on unless told otherwise.
DEFAULT_PORT: Final = SIM_PORT
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
        If the port is taken (the message says which, and why).
    KeyboardInterrupt
        On Ctrl+C, after the server is stopped.

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
    try:
        server = serve(seed=seed, port=port, account=account, log=log)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot listen on {LOOPBACK}:{port}: "
                                   f"{exc.strerror or exc}") from None
    with server:  # closed on the way out, Ctrl+C included
        out.write(banner(server, seed=seed))
        out.flush()
        (stop or threading.Event()).wait()


def banner(server: SimServer, *, seed: int) -> str:
    """The text ``engframe sim`` prints on start: ``export`` lines for a shell, and comments.

    The ``export`` lines set ``LP_ACCOUNT`` and the simulator's credentials: OAuth 2.0
    (``LP_CLIENT_ID``, ``LP_CLIENT_SECRET``) and the four OAuth 1.0 values, which engframe
    uses only when no OAuth 2.0 pair is set. Comment lines (``#``) say where it serves and
    the ``--csds-url`` to pass, so the whole text can be ``eval``-ed.

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
    ...     [line.split("=")[0] for line in banner(server, seed=1).splitlines()
    ...      if line.startswith("export")][:3]
    ['export LP_ACCOUNT', 'export LP_CLIENT_ID', 'export LP_CLIENT_SECRET']
    """
    app_key, app_secret, access_token, access_token_secret = server.oauth1
    variables = {
        "LP_ACCOUNT": server.account,
        "LP_CLIENT_ID": server.client_id,
        "LP_CLIENT_SECRET": server.client_secret,
        "LP_APP_KEY": app_key,
        "LP_APP_SECRET": app_secret,
        "LP_ACCESS_TOKEN": access_token,
        "LP_ACCESS_TOKEN_SECRET": access_token_secret,
    }
    exports = [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    return "\n".join([
        f"# engframe simulator (seed {seed}) serving account {server.account} at "
        f"{server.base_url}",
        "# simulator-only credentials (valid only here); paste these lines into a shell:",
        *exports[:3],
        "# OAuth 1.0, used only when LP_CLIENT_ID and LP_CLIENT_SECRET are not set:",
        *exports[3:],
        f"# then: engframe fetch --csds-url {server.base_url} --no-cache --timeframe 60 "
        "--interval 15",
        "# Press Ctrl+C to stop.",
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``engframe sim``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``sim`` (``sys.argv[1:]`` when omitted).

    Returns
    -------
    int
        The exit status: 0 after ``stop``, 2 for a bad option, 1 if the port is taken,
        130 after Ctrl+C.

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
    except KeyboardInterrupt:
        print("engframe sim: stopped", file=sys.stderr)
        return 130
    except EngframeError as error:
        print(f"engframe sim: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the port is taken, most likely
        print(f"engframe sim: error: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0
