"""The ``engframe`` command: a thin layer over the public API.

Results go to stdout (``--json`` makes them machine-readable); logs, progress bars and
errors go to stderr. Credentials come from the environment (``LP_ACCOUNT``,
``LP_CLIENT_ID``/``LP_CLIENT_SECRET``, ``LP_BEARER_TOKEN`` or the four ``LP_APP_KEY``...
OAuth 1.0 values), never from the command line.

Exit codes
----------
==  ==========================================================
0   success
1   error (bad input, failed request, unreadable file, ...)
2   usage: bad command-line arguments
3   ``reconcile --strict``: some totals do not add up (mismatch)
4   authentication refused or credentials missing
5   rate limited: still HTTP 429 after every retry
==  ==========================================================
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn

import pandas as pd

from engframe.errors import AuthError, EngframeError, RateLimitError

__all__ = ["EXIT_AUTH", "EXIT_ERROR", "EXIT_MISMATCH", "EXIT_OK", "EXIT_RATE_LIMIT",
           "EXIT_USAGE", "main"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_MISMATCH: Final = 3
EXIT_AUTH: Final = 4
EXIT_RATE_LIMIT: Final = 5

log = logging.getLogger("engframe")

_DESCRIPTION = "LivePerson Engagement Activity data as tidy pandas frames and parquet files."
_EPILOG = """\
commands, by what they do:
  demo       the whole job on the built-in simulator (no account needed)
  fetch      fetch the live API (or a simulator) into a parquet/CSV file
  flatten    saved responses (JSON files or folders) into one parquet/CSV file
  reconcile  check that per-agent and per-skill values add up to the API's totals
  export     upsert saved responses into a parquet history dataset
  sync       fetch and export in one step, once (for cron) or every N minutes
  sim        serve the simulated API on 127.0.0.1

exit codes: 0 ok, 1 error, 2 usage, 3 reconcile --strict mismatch, 4 authentication,
5 rate limited. Credentials come from the environment: LP_ACCOUNT and LP_CLIENT_ID +
LP_CLIENT_SECRET (OAuth 2.0), or LP_BEARER_TOKEN, or LP_APP_KEY, LP_APP_SECRET,
LP_ACCESS_TOKEN, LP_ACCESS_TOKEN_SECRET (OAuth 1.0).
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def _json_option() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print machine-readable JSON on stdout")
    return common


def _query_options(parser: argparse.ArgumentParser, *, interval: int | None) -> None:
    group = parser.add_argument_group("query")
    group.add_argument("--account", help="account id (default: $LP_ACCOUNT)")
    group.add_argument("--timeframe", type=int, default=1440,
                       help="minutes to fetch, 1..1440 (default: %(default)s)")
    group.add_argument("--interval", type=int, default=interval,
                       help="interval size in minutes, >= 5 and a divisor of the timeframe "
                            "(default: %(default)s)")
    group.add_argument("--skills", default="all",
                       help="'all', or skill ids separated by commas (default: all)")
    group.add_argument("--agents", default="all",
                       help="'all', or agent ids separated by commas (default: all)")
    conn = parser.add_argument_group("connection")
    conn.add_argument("--domain", help="the API host, skipping the Domain API lookup")
    conn.add_argument("--csds-url", help="the Domain API, e.g. a running 'engframe sim' "
                                         "at http://127.0.0.1:8080")
    conn.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")
    conn.add_argument("--offline", action="store_true",
                      help="answer from the HTTP cache only; send nothing")
    conn.add_argument("--save-raw", metavar="DIR",
                      help="also save every raw response (no secrets) into DIR")


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"offline": args.offline, "save_raw": args.save_raw}
    if args.no_cache:
        options["cache"] = False
    if args.domain:
        options["domain"] = args.domain
    if args.csds_url:
        options["csds_url"] = args.csds_url
    return options


def _none_if_empty(ids: str) -> str | None:
    return ids or None


def _write_frame(df: pd.DataFrame, output: str, *, layout: str) -> None:
    from engframe.parquet import to_parquet

    if output.endswith(".csv"):
        df.to_csv(output, index=False)
    else:
        to_parquet(df, output, layout=layout)  # type: ignore[arg-type]


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, default=str) if args.json else text)


def _run_fetch(args: argparse.Namespace) -> int:
    from engframe.client import load_live

    df = load_live(account=args.account, timeframe=args.timeframe, interval=args.interval,
                   skills=_none_if_empty(args.skills), agents=_none_if_empty(args.agents),
                   refresh=args.refresh, **_client_options(args))
    if args.output:
        _write_frame(df, args.output, layout=args.layout)
    payload = {"rows": len(df), "account": df.attrs.get("account"),
               "window": df.attrs.get("window"), "fetched_at": df.attrs.get("fetched_at"),
               "from_cache": df.attrs.get("from_cache"), "output": args.output}
    where = f" -> {args.output}" if args.output else ""
    _emit(args, payload, f"{len(df):,} values for account {payload['account']}, window "
                         f"{(payload['window'] or {}).get('start')} to "
                         f"{(payload['window'] or {}).get('end')}{where}")
    return EXIT_OK


def _read_sources(paths: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    from engframe.load import load

    return [(path, load(path)) for path in paths]


def _run_flatten(args: argparse.Namespace) -> int:
    from engframe.schema import concat_frames

    frames = _read_sources(args.files)
    df = frames[0][1] if len(frames) == 1 else concat_frames([f for _, f in frames])
    _write_frame(df, args.output, layout=args.layout)
    _emit(args, {"rows": len(df), "files": args.files, "output": args.output},
          f"{len(df):,} values from {len(args.files)} source(s) -> {args.output}")
    return EXIT_OK


def _run_reconcile(args: argparse.Namespace) -> int:
    from engframe.reconcile import reconcile, summarize

    mismatched = False
    reports = []
    for path, df in _read_sources(args.files):
        checks = reconcile(df, seconds_per_part=args.seconds_per_part)
        summary = summarize(checks)
        counts = checks["status"].astype(str).value_counts().to_dict()
        mismatched |= counts.get("mismatch", 0) > 0
        drifted = checks[checks["status"].astype(str) != "ok"]
        reports.append({"file": path, "summary": summary, "counts": counts,
                         "checks": json.loads(drifted.to_json(orient="records",
                                                              date_format="iso"))})
        if not args.json:
            print(f"{path}: {summary}")
    if args.json:
        print(json.dumps(reports))
    return EXIT_MISMATCH if args.strict and mismatched else EXIT_OK


def _progress(items: Sequence[Any], *, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", disable=None, file=sys.stderr)


def _result_dict(result: Any) -> dict[str, Any]:
    return {"root": str(result.root), "written": list(result.written),
            "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged}


def _run_export(args: argparse.Namespace) -> int:
    from engframe.history import export
    from engframe.load import load

    results = []
    for path in _progress(args.files, desc="export"):
        result = export(load(path), args.root, account=args.account)
        results.append({"file": path, **_result_dict(result)})
        if not args.json:
            print(f"{path}: {result.inserted} inserted, {result.updated} updated, "
                  f"{result.unchanged} unchanged, {len(result.written)} partition(s) written")
    if args.json:
        print(json.dumps(results))
    return EXIT_OK


def _run_sync(args: argparse.Namespace) -> int:
    from engframe.sync import sync

    def report(result: Any) -> None:
        if args.json:
            print(json.dumps(_result_dict(result)), flush=True)
        else:
            print(f"{result.inserted} inserted, {result.updated} updated, {result.unchanged} "
                  f"unchanged into {result.root}", flush=True)

    sync(args.root, account=args.account, timeframe=args.timeframe, interval=args.interval,
         skills=_none_if_empty(args.skills), agents=_none_if_empty(args.agents),
         every=args.every, times=args.times, on_export=report, **_client_options(args))
    return EXIT_OK


def _run_sim(args: argparse.Namespace) -> int:
    from engframe.sim.cli import run

    run(port=args.port, seed=args.seed, account=args.account)
    return EXIT_OK


def _run_demo(args: argparse.Namespace) -> int:
    from engframe.demo import run_demo

    result = run_demo(args.out, seed=args.seed, echo=None if args.json else print)
    if args.json:
        print(json.dumps({"files": {k: str(v) for k, v in result.files.items()},
                          "rows": len(result.frame), "reconcile": result.summary,
                          "seconds": round(result.seconds, 2)}))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``engframe`` argument parser with all its commands."""
    from engframe import __version__
    from engframe.demo import DEFAULT_OUT
    from engframe.sim.app import DEFAULT_ACCOUNT
    from engframe.sim.cli import DEFAULT_PORT
    from engframe.sim.model import DEFAULT_SEED

    parser = _Parser(prog="engframe", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"engframe {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more, on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    common = _json_option()

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
                      help="output folder (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help="which simulated contact center (default: %(default)s)")

    fetch = command("fetch", "fetch the live API into a parquet or CSV file",
                    "  export LP_ACCOUNT=56072331 LP_CLIENT_ID=... LP_CLIENT_SECRET=...\n"
                    "  engframe fetch --timeframe 1440 --interval 60 -o today.parquet\n"
                    "  engframe fetch --csds-url http://127.0.0.1:8080 --no-cache "
                    "--timeframe 60 --interval 15 -o sim.csv", _run_fetch)
    _query_options(fetch, interval=None)
    fetch.add_argument("-o", "--output", help="write the tidy frame here (.parquet or .csv)")
    fetch.add_argument("--layout", choices=("long", "wide"), default="long",
                       help="parquet layout (default: %(default)s)")
    fetch.add_argument("--refresh", action="store_true", help="bypass a fresh cached answer")

    flatten = command("flatten", "flatten saved responses into one parquet or CSV file",
                      "  engframe flatten data/samples -o samples.parquet\n"
                      "  engframe flatten raw/*.json.gz -o day.csv", _run_flatten)
    flatten.add_argument("files", nargs="+", metavar="FILE",
                         help="response files (.json, .json.gz) or folders of them")
    flatten.add_argument("-o", "--output", required=True, help="output .parquet or .csv")
    flatten.add_argument("--layout", choices=("long", "wide"), default="long",
                         help="parquet layout (default: %(default)s)")

    rec = command("reconcile", "check that values add up to the API's totals",
                  "  engframe reconcile data/samples\n"
                  "  engframe reconcile raw/ --strict --json", _run_reconcile)
    rec.add_argument("files", nargs="+", metavar="FILE",
                     help="response files or folders (each checked as one frame)")
    rec.add_argument("--strict", action="store_true",
                     help=f"exit with {EXIT_MISMATCH} when any total does not add up")
    rec.add_argument("--seconds-per-part", type=float, default=1.0,
                     help="rounding tolerance per part for handling times [s] "
                          "(default: %(default)s)")

    exp = command("export", "upsert saved responses into a parquet history dataset",
                  "  engframe export raw/*.json --root history/", _run_export)
    exp.add_argument("files", nargs="+", metavar="FILE", help="saved responses (each one fetch)")
    exp.add_argument("--root", required=True, help="the history dataset's folder")
    exp.add_argument("--account", help="account of responses that do not name one")

    syn = command("sync", "fetch and export in one step, once or every N minutes",
                  "  engframe sync --root history/                  # once, for cron\n"
                  "  engframe sync --root history/ --every 60       # hourly, until Ctrl+C",
                  _run_sync)
    _query_options(syn, interval=5)
    syn.add_argument("--root", required=True, help="the history dataset's folder")
    syn.add_argument("--every", type=float, help="repeat every this many minutes")
    syn.add_argument("--times", type=int, help="stop after this many fetches")

    simulate = command("sim", "serve the simulated API on 127.0.0.1",
                       "  engframe sim --port 8080 --seed 1", _run_sim)
    simulate.add_argument("--port", type=int, default=DEFAULT_PORT,
                          help="port (default: %(default)s; 0 picks a free one)")
    simulate.add_argument("--seed", type=int, default=DEFAULT_SEED,
                          help="which simulated contact center (default: %(default)s)")
    simulate.add_argument("--account", default=DEFAULT_ACCOUNT,
                          help="the account id it serves (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``engframe`` command; returns the exit code.

    Examples
    --------
    >>> main(["reconcile", "data/samples/skill_2.json"])
    data/samples/skill_2.json: 10 checks: 10 ok, 0 rounding, 0 filtered, 0 mismatch
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, format="engframe: %(message)s",
                        level=logging.INFO if args.verbose else logging.WARNING)
    try:
        code: int = args.run(args)
    except AuthError as error:
        return _fail(args, error, EXIT_AUTH)
    except RateLimitError as error:
        return _fail(args, error, EXIT_RATE_LIMIT)
    except EngframeError as error:
        return _fail(args, error, EXIT_ERROR)
    except KeyboardInterrupt:
        return EXIT_ERROR
    return code


def _fail(args: argparse.Namespace, error: Exception, code: int) -> int:
    sys.stderr.write(f"engframe {args.command}: error: {error}\n")
    if getattr(args, "json", False):
        print(json.dumps({"error": type(error).__name__, "message": str(error),
                          "exit_code": code}))
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
