"""The ``engframe`` command: a thin layer over the public API.

Results go to stdout (``--json`` makes them machine-readable); logs, warnings, progress
bars and errors go to stderr, each error and warning one line (``engframe fetch: error:
...``, ``engframe: warning: ...``), never a traceback for a user's mistake. Errors are
worded in the command line's terms (options such as ``--timeframe``, environment
variables such as ``LP_ACCOUNT``), from the small tables :data:`OPTION_NAMES` and
:data:`CLI_PHRASES`. Credentials come from the environment (``LP_ACCOUNT``,
``LP_CLIENT_ID``/``LP_CLIENT_SECRET``, ``LP_BEARER_TOKEN`` or the four ``LP_APP_KEY``...
OAuth 1.0 values), never from the command line.

Exit codes
----------
===  ==========================================================================
0    success
1    error (unreadable input, failed request, a file that cannot be written)
2    usage: a bad option or argument, or a query parameter refused before sending
3    ``reconcile --strict``: some totals do not add up (mismatch)
4    authentication refused or credentials missing
5    rate limited: still HTTP 429 after every retry
130  interrupted (Ctrl+C)
===  ==========================================================================
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from engframe.errors import (
    AuthError,
    ConfigError,
    EngframeError,
    EngframeWarning,
    OptionError,
    QueryError,
    RateLimitError,
    ResponseError,
    SimConfigError,
)
from engframe.limits import BYTES_CEILING, MAX_EVERY, MAX_RESPONSE_BYTES, MIN_EVERY

if TYPE_CHECKING:  # the commands import pandas and the rest when they run (a fast --help)
    import pandas as pd

__all__ = [
    "CLI_PHRASES",
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "EXIT_RATE_LIMIT",
    "EXIT_USAGE",
    "MIN_EVERY",
    "OPTION_NAMES",
    "OUTPUT_FORMATS",
    "build_parser",
    "console",
    "exit_code",
    "in_cli_terms",
    "main",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_MISMATCH: Final = 3
EXIT_AUTH: Final = 4
EXIT_RATE_LIMIT: Final = 5
#: 128 + SIGINT, as shells report a command stopped by Ctrl+C.
EXIT_INTERRUPTED: Final = 130

#: The file format ``-o`` writes, by the file name's ending (compared in any case).
OUTPUT_FORMATS: Final = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}

#: The Python API's parameter names, as the command line spells them, for error messages.
OPTION_NAMES: Final = {
    "account": "--account",
    "timeframe": "--timeframe",
    "interval": "--interval",
    "skills": "--skills",
    "agents": "--agents",
    "csds_url": "--csds-url",
    "domain": "--domain",
    "save_raw": "--save-raw",
    "rounding": "--rounding",
    "port": "--port",
    "names": "--names",
    "max_bytes": "--max-bytes",
}
#: Phrases of the Python API's errors that mean something else on the command line.
CLI_PHRASES: Final = (
    ("pass auth= or set LP_BEARER_TOKEN; or LP_CLIENT_ID and LP_CLIENT_SECRET; or LP_APP_KEY "
     "and LP_APP_SECRET and LP_ACCESS_TOKEN and LP_ACCESS_TOKEN_SECRET",
     "set LP_CLIENT_ID and LP_CLIENT_SECRET (or LP_BEARER_TOKEN, or LP_APP_KEY, "
     "LP_APP_SECRET, LP_ACCESS_TOKEN and LP_ACCESS_TOKEN_SECRET)"),
    ("pass auth= or set ", "set "),
    ("account is missing: pass it or set LP_ACCOUNT",
     "--account is missing: give it or set LP_ACCOUNT"),
    ("offline=True needs the cache: leave cache= on, or pass a requests_cache.CachedSession "
     "as session=", "--offline needs the HTTP cache: leave out --no-cache"),
    ("must be None or ", "must be "),
    ("must be None, 'all', ", "must be 'all', "),
    (", a comma-separated string of ids or an iterable of them", " or ids separated by commas"),
    ("(a live fetch with names=True and save_raw= saves them there)",
     "(engframe fetch --names --save-raw DIR saves them there)"),
    ("(max_bytes=; engframe.limits.MAX_RESPONSE_BYTES by default)",
     f"(--max-bytes; {MAX_RESPONSE_BYTES // 2**20}M by default)"),
    ("(account=, or LP_ACCOUNT)", "(--account, or LP_ACCOUNT)"),
)
_PARAMETER: Final = re.compile(
    r"(?<![\w-])(" + "|".join(map(re.escape, OPTION_NAMES)) + r")(=| must\b|:)"
)
#: Errors about what the user typed: usage errors (exit 2) when found before sending.
_USAGE_ERRORS: Final = (ConfigError, OptionError, SimConfigError)
#: What ``fetch`` asks for without --timeframe [minutes] (a snapshot method: no timeframe).
FETCH_TIMEFRAME: Final = 1440
#: Errors whose messages name Python parameters, reworded by :func:`in_cli_terms`.
_REWORDED: Final = (QueryError, AuthError, *_USAGE_ERRORS)
#: Errors about a file's content: only their phrases (:data:`CLI_PHRASES`) are reworded,
#: since a JSON path such as ``request.timeframe:`` is not an option.
_PHRASED: Final = (ResponseError, AuthError)

log = logging.getLogger("engframe")

_DESCRIPTION = "LivePerson Engagement Activity data as tidy pandas frames and parquet files."
_EPILOG = """\
commands, by what they do:
  demo       the whole job on the built-in simulator (no account needed)
  fetch      fetch the live API (or a simulator) into a parquet or CSV file
  flatten    saved responses (JSON files or folders) into one parquet or CSV file
  reconcile  check that per-agent and per-skill values add up to the API's totals
  export     upsert saved responses into a parquet history dataset
  sync       fetch and export in one step, once (for cron) or every N minutes
  repair     convert a history dataset written by engframe 0.1
  views      write a DuckDB file of views over a history, for BI tools
  sim        serve the simulated API on 127.0.0.1

-v/--verbose goes before or after the command: it logs every request, retry and wait.
Output files (-o) are parquet or CSV by their ending, in any case: .parquet or .pq, .csv.
--names (fetch, flatten, reconcile) adds skill, agent and team names from the Account
Configuration API.

exit codes: 0 ok, 1 error, 2 usage, 3 reconcile --strict mismatch, 4 authentication,
5 rate limited, 130 interrupted. Credentials come from the environment: LP_ACCOUNT and
LP_CLIENT_ID + LP_CLIENT_SECRET (OAuth 2.0), or LP_BEARER_TOKEN, or LP_APP_KEY,
LP_APP_SECRET, LP_ACCESS_TOKEN, LP_ACCESS_TOKEN_SECRET (OAuth 1.0).
"""
_OUTPUT_HELP = ("the file to write; its ending picks the format, in any case: .parquet or "
                ".pq (parquet), .csv (CSV)")
#: Multipliers of the suffixes ``--max-bytes`` takes (binary: 1K is 1024 bytes).
BYTE_SUFFIXES: Final = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}
_BYTES: Final = re.compile(r"\s*([0-9]+)\s*(?:([KMG])(?:iB|B)?|B)?\s*", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


# -- argument types: checked while parsing, so a bad value is a usage error (exit 2) -----

def _output_file(text: str) -> str:
    suffix = Path(text).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the ending picks the format and must be "
            f"{', '.join(OUTPUT_FORMATS)} (any case), found "
            f"{repr(Path(text).suffix) if Path(text).suffix else 'none'}"
        )
    return text


def _every(text: str) -> float:
    try:
        minutes = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected minutes, found {text!r}") from None
    if not MIN_EVERY <= minutes <= MAX_EVERY:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"must be from {MIN_EVERY:g} to {MAX_EVERY:g} minutes (the API keeps a day), "
            f"found {text}")
    return minutes


def _byte_count(text: str) -> int:
    match = _BYTES.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected a number of bytes such as 300000000, 512M or 1G, found {text!r}")
    if len(match[1].lstrip("0")) > len(str(BYTES_CEILING)):  # not int() of 10,000 digits
        raise argparse.ArgumentTypeError(f"must be at most 1024G, found {text[:40]!r}")
    number = int(match[1]) * BYTE_SUFFIXES[(match[2] or "").upper()]
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 byte or more, found {text}")
    if number > BYTES_CEILING:
        raise argparse.ArgumentTypeError(f"must be at most 1024G, found {text}")
    return number


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, found {text}")
    return number


# -- shared options ------------------------------------------------------------------------

def _common_options() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print machine-readable JSON on stdout")
    # SUPPRESS: given after the command it sets verbose; absent, it keeps the global one
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log every request, retry and wait on stderr")
    return common


def _method_names() -> tuple[str, ...]:
    from engframe.methods import METHODS  # the catalogue: data only, nothing heavy

    return tuple(METHODS)


def _methods(text: str) -> list[str]:
    """``--method`` of sync and demo: one method, several separated by commas, or 'all'."""
    known = _method_names()
    chosen = list(known) if text.strip() == "all" else [m.strip() for m in text.split(",")]
    bad = [m for m in chosen if m not in known]
    if bad or not chosen:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a method: give one or several of {', '.join(known)} separated "
            "by commas, or 'all'")
    return chosen


def _query_options(parser: argparse.ArgumentParser, *, interval: int | None,
                   timeframe: int | None, fixed_interval: bool = False,
                   several_methods: bool = False) -> None:
    """The query's options; ``fixed_interval``: the command always asks for ``interval``."""
    group = parser.add_argument_group("query")
    known = _method_names()
    if several_methods:
        group.add_argument("--method", type=_methods, default=[known[0]], metavar="METHOD",
                           help="the method(s) to fetch, each turn: one of "
                                f"{', '.join(known)}, several separated by commas, or 'all' "
                                f"(default: {known[0]})")
    else:
        group.add_argument("--method", choices=known, default=known[0],
                           help="the method to fetch (default: %(default)s); "
                                "msgcsatdistribution takes no --interval")
    group.add_argument("--account", help="account id (default: $LP_ACCOUNT)")
    # None when not given, so that a snapshot method can refuse one given (its default
    # is the command's: ``timeframe``, or what the history lacks)
    group.add_argument("--timeframe", type=int, default=None,
                       help="minutes to fetch, 1..1440 (default: "
                            f"{timeframe or 'what the history lacks, up to 1440'}; "
                            "queuestate takes none)")
    if fixed_interval:
        parser.set_defaults(interval=interval)
    else:
        shown = ("none: whole-timeframe values only" if interval is None else str(interval))
        group.add_argument("--interval", type=int, default=interval,
                           help="interval size in minutes, >= 5 and a divisor of the "
                                f"timeframe (default: {shown})")
    group.add_argument("--skills", default=None,
                       help="'all', or skill ids separated by commas (default: all, for the "
                            "methods that take skills)")
    group.add_argument("--agents", default=None,
                       help="'all', or agent ids separated by commas (default: all, for the "
                            "methods that take agents)")
    if not several_methods:
        group.add_argument("--groups", default=None,
                           help="sla: 'all', or agent group ids separated by commas")
        group.add_argument("--histogram", default=None,
                           help="sla: bucket lower bounds in seconds, multiples of 5, "
                                "separated by commas (default: the API's 0,15,30,45,60,90,120)")
    conn = parser.add_argument_group("connection")
    conn.add_argument("--domain", help="the API host, skipping the Domain API lookup")
    conn.add_argument("--csds-url", help="the Domain API, e.g. a running 'engframe sim' "
                                         "at http://127.0.0.1:8080")
    conn.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")
    conn.add_argument("--offline", action="store_true",
                      help="answer from the HTTP cache only; send nothing")
    conn.add_argument("--save-raw", metavar="DIR",
                      help="also save every raw response (no secrets) into DIR")
    conn.add_argument("--max-bytes", type=_byte_count, default=MAX_RESPONSE_BYTES,
                      metavar="N",
                      help="the most bytes an answer may inflate to (a 24-hour "
                           "msgconversation answer of 1000 agents is about 500M); K, M, G "
                           f"for KiB, MiB, GiB (default: {MAX_RESPONSE_BYTES // 2**20}M)")


def _reading_options(parser: argparse.ArgumentParser, *, names: bool) -> None:
    """Options of the commands that read saved responses."""
    parser.add_argument("--max-bytes", type=_byte_count, default=MAX_RESPONSE_BYTES,
                        metavar="N",
                        help="the most bytes of JSON a file may hold or a .json.gz file "
                             "inflate to; K, M, G for KiB, MiB, GiB (default: "
                             f"{MAX_RESPONSE_BYTES // 2**20}M)")
    if names:
        parser.add_argument("--names", action="store_true",
                            help="add skill_name, agent_name, agent_group and "
                                 "agent_group_name columns from the names saved beside the "
                                 "responses (in their folder's names/, where 'engframe fetch "
                                 "--names --save-raw DIR' puts them); without saved names, "
                                 "ids stand in and one warning says so")


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"offline": args.offline, "save_raw": args.save_raw,
                               "max_bytes": args.max_bytes}
    if args.no_cache:
        options["cache"] = False
    if args.domain:
        options["domain"] = args.domain
    if args.csds_url:
        options["csds_url"] = args.csds_url
    return options


def _none_if_empty(ids: str | None) -> str | None:
    return ids or None


# -- writing -------------------------------------------------------------------------------

def _write_frame(df: pd.DataFrame, output: str, *, layout: str) -> None:
    """Write ``df`` in the format ``output``'s ending names (see :data:`OUTPUT_FORMATS`)."""
    from engframe._csv import write_csv
    from engframe.derive import to_wide
    from engframe.parquet import to_parquet

    if OUTPUT_FORMATS[Path(output).suffix.lower()] == "parquet":
        to_parquet(df, output, layout=layout)  # type: ignore[arg-type]
        return
    write_csv(to_wide(df) if layout == "wide" else df, output)


def _default_output(df: pd.DataFrame) -> str:
    """``engframe-<account>-<UTC fetch time>.parquet`` in the current folder (the method
    after the account, for another method than engactivity)."""
    import pandas as pd

    fetched = pd.Timestamp(df.attrs.get("fetched_at") or _utc_now())
    stamp = (fetched.tz_convert("UTC") if fetched.tzinfo else fetched).strftime("%Y%m%dT%H%M%SZ")
    method = (df.attrs.get("query") or {}).get("method")
    what = "" if method in (None, _method_names()[0]) else f"-{method}"
    return f"engframe-{df.attrs.get('account') or 'account'}{what}-{stamp}.parquet"


def _utc_now() -> str:
    """Now, as ISO 8601 UTC to the second (``2026-11-27T13:29:04Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    _print(json.dumps(payload, default=str) if args.json else text)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# -- commands ------------------------------------------------------------------------------

def _run_fetch(args: argparse.Namespace) -> int:
    from engframe._output import check_destination
    from engframe.client import load_live

    if args.output:
        check_destination(args.output, probe=True)  # before the fetch, not after it
    from engframe.methods import get_method

    found = get_method(args.method, parameter="--method")
    ids = {name: (given if given else "all" if name in found.ids else None)
           for name, given in (("skills", args.skills), ("agents", args.agents))}
    df = load_live(account=args.account,
                   timeframe=args.timeframe if args.timeframe is not None or found.snapshot
                   else FETCH_TIMEFRAME,
                   interval=args.interval, skills=_none_if_empty(ids["skills"]),
                   agents=_none_if_empty(ids["agents"]), groups=_none_if_empty(args.groups),
                   histogram=_none_if_empty(args.histogram), refresh=args.refresh,
                   names=args.names, method=args.method, **_client_options(args))
    output = args.output or _default_output(df)
    _write_frame(df, output, layout=args.layout)
    window = df.attrs.get("window") or {}
    payload = {"rows": len(df), "account": df.attrs.get("account"), "method": args.method,
               "window": window or None,
               "fetched_at": df.attrs.get("fetched_at"),
               "from_cache": df.attrs.get("from_cache"), "output": output,
               **_names_report(df)}
    _emit(args, payload, f"{_plural(len(df), 'value')} of {args.method} for account "
                         f"{payload['account']}, window {window.get('start')} to "
                         f"{window.get('end')} -> {output}")
    return EXIT_OK


def _names_report(df: pd.DataFrame) -> dict[str, Any]:
    """``{"names": ...}`` for --json output: where the names came from and what they lacked."""
    names = df.attrs.get("names")
    if not isinstance(names, dict):
        return {}
    unknown = names.get("unknown") or {}
    return {"names": {"source": names.get("source"), "read_at": names.get("read_at"),
                      "failed": names.get("failed") or {},
                      "unknown": {kind: len(ids) for kind, ids in unknown.items()}}}


def _read_sources(args: argparse.Namespace) -> list[tuple[str, pd.DataFrame]]:
    from engframe.load import load

    names = bool(getattr(args, "names", False))
    return [(path, load(path, names=names, max_bytes=args.max_bytes)) for path in args.files]


def _files_in(df: pd.DataFrame) -> int:
    """How many response files a loaded frame stacks (a folder's: its ``source`` count)."""
    return int(df["source"].nunique()) if "source" in df.columns else 1


def _run_flatten(args: argparse.Namespace) -> int:
    from engframe._output import check_destination
    from engframe.schema import concat_frames

    check_destination(args.output, probe=True)
    frames = _read_sources(args)
    df = frames[0][1] if len(frames) == 1 else concat_frames([f for _, f in frames])
    _write_frame(df, args.output, layout=args.layout)
    files = sum(_files_in(frame) for _, frame in frames)
    names = [_names_report(frame).get("names") for _, frame in frames]
    _emit(args, {"rows": len(df), "files": args.files, "sources": files, "output": args.output,
                 **({"names": names} if args.names else {})},
          f"{_plural(len(df), 'value')} from {_plural(files, 'file')} -> {args.output}")
    return EXIT_OK


def _run_reconcile(args: argparse.Namespace) -> int:
    from engframe.reconcile import reconcile, summarize

    mismatched = False
    reports = []
    for path, df in _read_sources(args):
        checks = reconcile(df, rounding=args.rounding)
        summary = summarize(checks)
        counts = checks["status"].astype(str).value_counts().to_dict()
        mismatched |= counts.get("mismatch", 0) > 0
        drifted = checks[checks["status"].astype(str) != "ok"]
        reports.append({"file": path, "summary": summary, "counts": counts,
                        "checks": json.loads(drifted.to_json(orient="records",
                                                             date_format="iso"))})
        if not args.json:
            _print(f"{path}: {summary}")
    if args.json:
        _print(json.dumps(reports))
    return EXIT_MISMATCH if args.strict and mismatched else EXIT_OK


def _progress(items: Sequence[Any], *, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", disable=None, file=sys.stderr)


def _result_dict(result: Any) -> dict[str, Any]:
    return {"root": str(result.root), "written": list(result.written),
            "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged, "left_out": result.left_out,
            "names": list(result.names)}


def _counts(result: Any) -> str:
    return (f"{result.inserted} inserted, {result.updated} updated, {result.unchanged} "
            f"unchanged")


def _run_export(args: argparse.Namespace) -> int:
    from engframe.history import export
    from engframe.load import load
    from engframe.names import find_names

    results = []
    for path in _progress(args.files, desc="export"):
        # the names saved beside the responses (save_raw= keeps them) join the history
        result = export(load(path, max_bytes=args.max_bytes), args.root, account=args.account,
                        names=find_names(path))
        results.append({"file": path, **_result_dict(result)})
        if not args.json:
            _print(f"{path}: {_counts(result)}, "
                   f"{_plural(len(result.written), 'partition')} written")
    if args.json:
        _print(json.dumps(results))
    return EXIT_OK


def _run_sync(args: argparse.Namespace) -> int:
    from engframe.sync import sync

    def report(result: Any) -> None:
        at = _utc_now()
        fetched = tuple(getattr(result, "fetched", ()) or ())  # the window, where sync says
        if args.json:
            _print(json.dumps({"at": at, "method": getattr(result, "method", None),
                               **_result_dict(result),
                               **({"fetched": list(fetched)} if any(fetched) else {}),
                               **({"waiting_since": result.waiting_since}
                                  if getattr(result, "waiting_since", None) else {}),
                               **({"unfetched": list(result.unfetched)}
                                  if getattr(result, "unfetched", None) else {})}))
        else:
            window = f" (fetched {fetched[0]} to {fetched[1]})" if any(fetched) else ""
            # the method named when another than engactivity, or several, are synced
            method = getattr(result, "method", "")
            said = f"{method}: " if method and args.method != [_method_names()[0]] else ""
            waiting = getattr(result, "waiting_since", None)
            if waiting is not None:  # a method fetched in windows, its last one just ended
                _print(f"{at} {said}nothing to fetch: the stored window ended at {waiting}, "
                       "not a minute ago")
            else:
                _print(f"{at} {said}{_counts(result)} into {result.root}{window}")
            unfetched = getattr(result, "unfetched", None)
            if unfetched is not None:
                _print(f"{at} {said}{unfetched[0]} to {unfetched[1]} is in no window: the API "
                       "widens a window to its still-filling bucket and the next window "
                       "starts at its end, so sums over windows leave that time out")

    # only what was given: sync's own defaults decide the rest
    query = {"timeframe": args.timeframe} if args.timeframe is not None else {}
    ids = {name: given for name, given in (("skills", args.skills), ("agents", args.agents))
           if given}  # absent: sync's own default, every id for the methods that take it
    sync(args.root, account=args.account, interval=args.interval, method=args.method,
         every=args.every, times=args.times, on_export=report, names=args.names, **query,
         **ids, **_client_options(args))
    return EXIT_OK


def _run_repair(args: argparse.Namespace) -> int:
    from engframe.history import repair_dataset

    root = _one_root(args)
    result = repair_dataset(root)
    payload = {"root": str(result.root), "grid": result.grid or None, "facts": result.facts,
               "left_out": result.left_out, "off_grid": result.off_grid,
               "backup": None if result.backup is None else str(result.backup)}
    if result.backup is None:
        text = f"{result.root}: nothing to repair (no files of engframe 0.1)"
    else:
        text = (f"{result.root}: kept the periods of the grid of {result.grid}: "
                f"{_plural(result.facts, 'fact')} written, "
                f"{_plural(result.left_out, 'whole-timeframe row')} left out (not facts), "
                f"{_plural(result.off_grid, 'interval row')} of other grids left out; the "
                f"0.1 files, as they were, are in {result.backup} (delete it when satisfied)")
    _emit(args, payload, text)
    return EXIT_OK


def _run_views(args: argparse.Namespace) -> int:
    from engframe.lazy import write_views

    root = _one_root(args)
    written = write_views(root, output=args.output)
    payload = {"path": str(written.path), "views": list(written.views),
               "left_out": list(written.left_out)}
    text = (f"{written.path}: {_plural(len(written.views), 'view')}: "
            f"{', '.join(written.views)}"
            + "".join(f"\n  left out {why}" for why in written.left_out))
    _emit(args, payload, text)
    return EXIT_OK


def _one_root(args: argparse.Namespace) -> str:
    """ROOT or --root (either, as the other commands spell it); a usage error otherwise."""
    given = [root for root in (args.root, args.root_option) if root is not None]
    if not given or (len(given) == 2 and given[0] != given[1]):
        raise OptionError("give the dataset's folder once, as ROOT or --root"
                          + (f" (found {given[0]!r} and {given[1]!r})" if given else ""))
    return str(given[0])


def _run_sim(args: argparse.Namespace) -> int:
    from engframe.sim.cli import run

    run(port=args.port, seed=args.seed, account=args.account)
    return EXIT_OK


def _run_demo(args: argparse.Namespace) -> int:
    from engframe.demo import run_demo

    result = run_demo(args.out, seed=args.seed, echo=None if args.json else _print,
                      methods=args.method)
    if args.json:
        _print(json.dumps({"files": {k: str(v) for k, v in result.files.items()},
                          "rows": len(result.frame), "reconcile": result.summary,
                          "methods": {m: {"rows": len(f), "reconcile": result.summaries[m]}
                                      for m, f in result.frames.items()},
                          "seconds": round(result.seconds, 2)}))
    return EXIT_OK


def _print(line: str) -> None:
    """Print a line of results; a reader that left (``engframe demo | head -1``) costs nothing.

    Output to a closed pipe is dropped (stdout pointed at the null device), and the command
    goes on: its files are written whoever reads its stdout.
    """
    try:
        print(line, flush=True)
    except BrokenPipeError:
        _silence_stdout()


# -- the parser ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The ``engframe`` argument parser with all its commands.

    Examples
    --------
    >>> build_parser().parse_args(["reconcile", "data/samples", "-v"]).verbose
    True
    """
    from engframe import __version__
    from engframe._defaults import DEMO_OUT as DEFAULT_OUT
    from engframe._defaults import SIM_ACCOUNT as DEFAULT_ACCOUNT
    from engframe._defaults import SIM_PORT as DEFAULT_PORT
    from engframe._defaults import SIM_SEED as DEFAULT_SEED

    parser = _Parser(prog="engframe", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"engframe {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every request, retry and wait on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    common = _common_options()

    def command(name: str, summary: str, examples: str,
                run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = sub.add_parser(
            name, help=summary, description=summary, epilog=f"examples:\n{examples}",
            parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
        made.set_defaults(run=run)
        return made

    demo = command("demo", "run the whole job on the built-in simulator",
                   "  engframe demo\n  engframe demo --out /tmp/demo --json", _run_demo)
    demo.add_argument("--out", default=str(DEFAULT_OUT),
                      help="output folder, created if missing (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help="which simulated contact center (default: %(default)s)")
    demo.add_argument("--method", type=_methods, default=list(_method_names()),
                      metavar="METHOD",
                      help="the method(s) to run: one of " + ", ".join(_method_names())
                           + ", several separated by commas, or 'all' (default: all: the "
                             "chat and the messaging families)")

    fetch = command("fetch", "fetch the live API into a parquet or CSV file",
                    "  export LP_ACCOUNT=56072331 LP_CLIENT_ID=... LP_CLIENT_SECRET=...\n"
                    "  engframe fetch --timeframe 1440 --interval 60 -o today.parquet\n"
                    "  engframe fetch --csds-url http://127.0.0.1:8080 --no-cache "
                    "--timeframe 60 --interval 15 -o sim.csv\n"
                    "  engframe fetch --timeframe 1440 --interval 60 --names --save-raw raw/ "
                    "-o named.parquet\n"
                    "  engframe fetch --method msgconversation --timeframe 1440 --interval 60 "
                    "-o messaging.parquet", _run_fetch)
    _query_options(fetch, interval=None, timeframe=FETCH_TIMEFRAME)
    fetch.add_argument("--names", action="store_true",
                       help="add skill_name, agent_name, agent_group (the agent's team) and "
                            "agent_group_name columns, read from the Account Configuration "
                            "API (cached for hours); with --save-raw they are saved too. If "
                            "they cannot be read, ids stand in and one warning says why")
    fetch.add_argument("-o", "--output", type=_output_file,
                       help=f"{_OUTPUT_HELP} (default: engframe-<account>-<UTC fetch "
                            "time>.parquet in the current folder)")
    fetch.add_argument("--layout", choices=("long", "wide"), default="long",
                       help="long: one row per value; wide: one column per metric "
                            "(default: %(default)s)")
    fetch.add_argument("--refresh", action="store_true", help="bypass a fresh cached answer")

    flatten = command("flatten", "flatten saved responses into one parquet or CSV file",
                      "  engframe flatten data/samples -o samples.parquet\n"
                      "  engframe flatten raw/*.json.gz -o day.csv\n"
                      "  engframe flatten raw/ --names -o named.parquet   # names saved in "
                      "raw/names/", _run_flatten)
    flatten.add_argument("files", nargs="+", metavar="FILE",
                         help="response files (.json, .json.gz) or folders of them")
    flatten.add_argument("-o", "--output", required=True, type=_output_file,
                         help=_OUTPUT_HELP)
    flatten.add_argument("--layout", choices=("long", "wide"), default="long",
                         help="long: one row per value; wide: one column per metric "
                              "(default: %(default)s)")
    _reading_options(flatten, names=True)

    rec = command("reconcile", "check that values add up to the API's totals",
                  "  engframe reconcile data/samples\n"
                  "  engframe reconcile raw/ --strict --json", _run_reconcile)
    rec.add_argument("files", nargs="+", metavar="FILE",
                     help="response files or folders (each checked as one frame)")
    rec.add_argument("--strict", action="store_true",
                     help=f"exit with {EXIT_MISMATCH} when any total does not add up")
    rec.add_argument("--rounding", choices=("nearest", "truncate"), default="nearest",
                     help="how the API rounds handling times to whole seconds: to the "
                          "nearest (n parts within n // 2 s of their total) or truncated "
                          "(short by at most n - 1 s) (default: %(default)s)")
    _reading_options(rec, names=True)

    exp = command("export", "upsert saved responses into a parquet history dataset",
                  "  engframe export raw/*.json --root history/", _run_export)
    exp.add_argument("files", nargs="+", metavar="FILE", help="saved responses (each one fetch)")
    exp.add_argument("--root", required=True, help="the history dataset's folder")
    exp.add_argument("--account", help="account of responses that do not name one")
    _reading_options(exp, names=False)

    rep = command("repair", "convert a history dataset written by engframe 0.1",
                  "  engframe repair history/\n"
                  "  engframe repair --root history/ --json", _run_repair)
    rep.add_argument("root", nargs="?", metavar="ROOT", help="the history dataset's folder")
    rep.add_argument("--root", dest="root_option", metavar="ROOT",
                     help="the same, spelt as the other commands spell it")

    vw = command("views", "write a DuckDB file of views over a history, for BI tools",
                 "  engframe views history/        # writes history/engframe.duckdb\n"
                 "  engframe views history/ -o /srv/bi/contact-center.duckdb", _run_views)
    vw.add_argument("root", nargs="?", metavar="ROOT", help="the history dataset's folder")
    vw.add_argument("--root", dest="root_option", metavar="ROOT",
                    help="the same, spelt as the other commands spell it")
    vw.add_argument("-o", "--output", help="the database file (default: ROOT/engframe.duckdb)")

    syn = command("sync", "fetch and export in one step, once or every N minutes",
                  "  engframe sync --root history/                  # once, for cron\n"
                  "  engframe sync --root history/ --every 60       # hourly, until Ctrl+C\n"
                  "  engframe sync --root history/ --method all     # every method, one root",
                  _run_sync)
    # a history keeps the API's 5-minute buckets: sync always asks for them
    _query_options(syn, interval=5, timeframe=None, fixed_interval=True, several_methods=True)
    syn.add_argument("--root", required=True, help="the history dataset's folder")
    syn.add_argument("--every", type=_every, metavar="MINUTES",
                     help=f"repeat every this many minutes, {MIN_EVERY:g} to {MAX_EVERY:g}; "
                          "each line printed starts with its UTC time")
    syn.add_argument("--times", type=_positive, help="stop after this many fetches")
    syn.add_argument("--names", action="store_true",
                     help="also read the skill, agent and team names (cached for hours) into "
                          "the history's name tables")

    simulate = command("sim", "serve the simulated API on 127.0.0.1",
                       "  engframe sim --port 8080 --seed 1\n"
                       "  # in another shell, paste the export lines it prints, then:\n"
                       "  engframe fetch --csds-url http://127.0.0.1:8080 --timeframe 60",
                       _run_sim)
    simulate.add_argument("--port", type=int, default=DEFAULT_PORT,
                          help="port (default: %(default)s; 0 picks a free one)")
    simulate.add_argument("--seed", type=int, default=DEFAULT_SEED,
                          help="which simulated contact center (default: %(default)s)")
    simulate.add_argument("--account", default=DEFAULT_ACCOUNT,
                          help="the account id it serves (default: %(default)s)")
    return parser


# -- running -------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``engframe`` command; returns the exit code.

    Examples
    --------
    >>> main(["reconcile", "data/samples/skill_2.json"])
    data/samples/skill_2.json: 10 checks: 10 ok, 0 rounding, 0 mismatch
    0
    """
    command = "engframe"
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        command = f"engframe {args.command}"
        if extra:
            _unknown_options(parser, args.command, extra)
        with _stderr_reports(verbose=args.verbose):
            try:
                code: int = args.run(args)
            except BrokenPipeError:  # a reader that left, where engframe did not print
                _silence_stdout()
                return EXIT_ERROR
            except (EngframeError, OSError) as error:
                return _fail(args, error)
        return code
    except KeyboardInterrupt:  # Ctrl+C at any moment: one line, no traceback
        sys.stderr.write(f"{command}: stopped\n")
        return EXIT_INTERRUPTED


def console() -> int:
    """The ``engframe`` executable's command: :func:`main` on ``sys.argv``, Ctrl+C handled.

    Ctrl+C is a ``KeyboardInterrupt`` while the command runs (which :func:`main` turns into
    one line and exit code 130), and ignored once it is done, so that a late one cannot
    turn the exit into a traceback (or a death by SIGINT) while the interpreter shuts down.
    """
    with suppress(ValueError):  # (not the main thread: leave signals alone)
        # Ctrl+C as KeyboardInterrupt again, which main() turns into one line and 130
        signal.signal(signal.SIGINT, signal.default_int_handler)
    code = main()
    with suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == EXIT_INTERRUPTED:
        # CPython may still hold the interrupt (one that landed inside an import) and end
        # the process by SIGINT at exit, whatever code it returns: leave with 130 at once
        with suppress(OSError, ValueError):
            sys.stdout.flush()
        with suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(code)
    return code


def _unknown_options(parser: argparse.ArgumentParser, command: str,
                     extra: Sequence[str]) -> NoReturn:
    """Refuse what the command does not take, naming the command and the closest option."""
    import difflib

    sub = _subparser(parser, command)
    known = [option for action in sub._actions for option in action.option_strings]
    word = next((e for e in extra if e.startswith("-")), extra[0])
    spelled = word.split("=", 1)[0]
    close = difflib.get_close_matches(spelled, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    what = "option" if word.startswith("-") else "argument"
    sub.error(f"unknown {what} {spelled}{hint}")


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser


def _silence_stdout() -> None:
    """Point stdout at the null device, so flushing it at exit raises nothing more."""
    # not a real file (an embedding program's stream): leave it
    with suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def exit_code(error: BaseException) -> int:
    """The exit code of a failed command (see the module's table).

    Examples
    --------
    >>> exit_code(QueryError("timeframe=0 is invalid", parameter="timeframe"))
    2
    """
    if isinstance(error, AuthError):
        return EXIT_AUTH
    if isinstance(error, RateLimitError):
        return EXIT_RATE_LIMIT
    if isinstance(error, QueryError) and error.status is None:
        return EXIT_USAGE
    if isinstance(error, _USAGE_ERRORS):
        return EXIT_USAGE
    return EXIT_ERROR


def _phrased(message: str) -> str:
    """``message`` with the phrases of :data:`CLI_PHRASES` said as the command line says them."""
    for python, cli in CLI_PHRASES:
        message = message.replace(python, cli)
    return message


def in_cli_terms(message: str) -> str:
    """Say an error of the Python API in the command line's terms.

    Examples
    --------
    >>> in_cli_terms("timeframe=5000 is invalid: timeframe must be from 1 to 1440")
    '--timeframe 5000 is invalid: --timeframe must be from 1 to 1440'
    """
    return _PARAMETER.sub(
        lambda m: OPTION_NAMES[m[1]] + (" " if m[2] == "=" else m[2]), _phrased(message)
    )


def _fail(args: argparse.Namespace, error: BaseException) -> int:
    code = exit_code(error)
    message = _without_prefix(_one_line(error), args.command)
    # errors about what was given (not what a server answered) speak of options
    if isinstance(error, _REWORDED) and getattr(error, "status", None) is None:
        message = in_cli_terms(message)
    elif isinstance(error, _PHRASED):
        message = _phrased(message)
    hint = f" (see engframe {args.command} --help)" if code == EXIT_USAGE else ""
    sys.stderr.write(f"engframe {args.command}: error: {message}{hint}\n")
    if getattr(args, "json", False):
        _print(json.dumps({"error": type(error).__name__, "message": message,
                           "exit_code": code}))
    return code


def _without_prefix(message: str, command: str) -> str:
    """``message`` without a leading ``export: `` the command's own name already says.

    Examples
    --------
    >>> _without_prefix("sync: every must be a number", "sync")
    'every must be a number'
    """
    for prefix in (f"{command}: ", f"engframe.{command}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, EngframeError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        text = f"{where}{error.strerror}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())  # a message never spans lines on a terminal


@contextmanager
def _stderr_reports(*, verbose: bool) -> Iterator[None]:
    """Show engframe's log records (INFO with ``-v``, WARNING always) and warnings on stderr.

    Each as one line, ``engframe: ...`` / ``engframe: warning: ...``, without the file and
    line they come from; everything is put back as it was afterwards.
    """
    logger = logging.getLogger("engframe")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _LineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        return f"engframe: {level}{' '.join(record.getMessage().split())}"


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    kind = "" if issubclass(category, EngframeWarning) else f"{category.__name__}: "
    text = _phrased(" ".join(str(message).split()))
    (file or sys.stderr).write(f"engframe: warning: {kind}{text}\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(console())
