"""``engframe demo``: the whole job, end to end, against the built-in simulator.

It starts :mod:`engframe.sim` in-process, fetches the last 24 hours in 5-minute intervals
for all skills and agents through the real client over loopback HTTP (the grain a history
is collected at, so runs line up) with the skill, agent and team names of the simulated
Account Configuration API, flattens, reconciles the totals, exports the interval values to
a parquet history dataset, derives the average handling times and the other metrics per
skill and hour and per agent and hour, writes wide parquet files, and draws four charts
labelled with names. No account, no network beyond 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from engframe import plot, sim
from engframe._defaults import DEMO_OUT
from engframe._output import reason
from engframe.client import Client
from engframe.derive import derive, to_wide
from engframe.errors import OutputError
from engframe.history import export
from engframe.names import NAMES_FOLDER
from engframe.parquet import to_parquet
from engframe.plot import NO_GROUP
from engframe.reconcile import reconcile, summarize
from engframe.schema import concat_frames

__all__ = ["DEFAULT_OUT", "DemoResult", "run_demo"]

#: Where the demo writes unless told otherwise.
DEFAULT_OUT: Final = DEMO_OUT
#: The demo's query: a day in 5-minute intervals (the API's finest grain, and the one
#: ``engframe sync`` collects history at), every skill and agent.
TIMEFRAME: Final = 1440
INTERVAL: Final = 5
#: The grain of the derived file and the activity chart: intervals summed to hours.
GRAIN: Final = "hour"
#: How many skills and agents the printed tables show.
TOP: Final = 5
_TABLE_METRICS: Final = ("totalChats", "avgInteractiveHandlingTime", "interactiveShare")
#: The columns naming each row of the derived file and the printed tables, beside its id.
NAMED_BY: Final = {
    "skill": ("skill_name",),
    "agent": ("agent_name", "agent_group", "agent_group_name"),
}


@dataclass
class DemoResult:
    """What the demo made: the frames, and the files by what they hold."""

    frame: pd.DataFrame
    checks: pd.DataFrame
    summary: str
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def run_demo(
    out: str | Path = DEFAULT_OUT,
    *,
    seed: int = sim.model.DEFAULT_SEED,
    now_ms: int | None = None,
    echo: Callable[[str], Any] | None = print,
) -> DemoResult:
    """Run the whole job on the simulator and write its outputs into ``out``.

    Parameters
    ----------
    out : str or path-like, default DEFAULT_OUT
        The output folder (created if missing). Files already there are overwritten;
        the history dataset is upserted with the fetch's interval rows only (never its
        whole-timeframe rows), so running again, later, adds the new intervals and
        completes the one that was still filling without changing any other period.
    seed : int, optional
        The simulated contact center.
    now_ms : int, optional
        The moment to simulate [epoch ms]; the wall clock when omitted.
    echo : callable or None, default print
        Where progress lines go; ``None`` for silence.

    Returns
    -------
    DemoResult
        The tidy frame (with names: ``skill_name``, ``agent_name``, ``agent_group``,
        ``agent_group_name``), the reconciliation checks and summary, and the files
        written: ``raw`` (saved envelopes), ``names`` (the names read, saved in
        ``raw/names/``, where ``engframe.load(raw, names=True)`` finds them), ``history``
        (the dataset), ``wide`` (raw values, one column per metric), ``derived`` (derived
        metrics per skill and hour and per agent and hour, wide, with the account and the
        names), ``activity``, ``ranking``, ``teams`` and ``drift`` (PNG charts).

    Raises
    ------
    OutputError
        If the output folder cannot be created or a file in it cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp(), now_ms=1_795_000_000_000, echo=None)
    >>> sorted(result.files)[:3]
    ['activity', 'derived', 'drift']
    >>> result.frame.attrs["names"]["source"]
    'Account Configuration API'
    """
    say = echo or (lambda _line: None)
    began = time.perf_counter()
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {reason(exc)}") from None
    files = {"raw": folder / "raw", "names": folder / "raw" / NAMES_FOLDER,
             "history": folder / "history",
             "wide": folder / "activity-wide.parquet", "derived": folder / "derived-wide.parquet",
             "activity": folder / "activity.png", "ranking": folder / "agent-ranking.png",
             "teams": folder / "team-ranking.png", "drift": folder / "drift.png"}

    frozen = now_ms
    with sim.serve(seed=seed, now=frozen) as server:
        clock = (lambda: frozen / 1000) if frozen is not None else time.time
        say(f"simulator: account {server.account} at {server.base_url}")
        with Client(server.account, auth=(server.client_id, server.client_secret),
                    csds_url=server.base_url, cache=False, save_raw=files["raw"],
                    clock=clock) as client:
            # the simulator's Account Configuration API; save_raw= saves them in raw/names/
            names = client.names()
            frame = client.frame(timeframe=TIMEFRAME, interval=INTERVAL, skills="all",
                                 agents="all", names=names)
    window = frame.attrs.get("window", {})
    say(f"fetched {len(frame):,} values, {window.get('start')} to {window.get('end')}, "
        f"{frame['skill'].nunique()} skills, {frame['agent'].nunique()} agents in "
        f"{frame['agent_group'].nunique()} teams (raw responses in {files['raw']}, names in "
        f"{files['names']})")

    checks = reconcile(frame)
    summary = summarize(checks)
    say(f"reconciled: {summary}")

    intervals = frame.loc[(frame["span"] == "interval").to_numpy(bool)].reset_index(drop=True)
    result = export(intervals, files["history"], names=names)  # facts and their name tables
    say(f"history: {result.inserted} facts inserted, {result.updated} updated, "
        f"{result.unchanged} unchanged in {files['history']}")
    to_parquet(frame, files["wide"], layout="wide")
    # the account as a column (text, as everywhere), so the file says whose numbers it holds
    account = ["account"] if "account" in frame.columns else []
    parts = [derive(frame, by=[*account, by, *NAMED_BY[by], GRAIN]) for by in ("skill", "agent")]
    # one categorical per name column though skills and agents differ; the same attrs
    # (query, units, integer metrics) for both parts
    hourly = concat_frames(parts)
    hourly.attrs = dict(parts[0].attrs)
    to_parquet(hourly, files["derived"], layout="wide")
    say(f"parquet: {files['wide']}, {files['derived']} (per skill and {GRAIN}, per agent and "
        f"{GRAIN})")

    _charts(frame, checks, files)
    say(f"charts: {files['activity']}, {files['ranking']}, {files['teams']}, {files['drift']} "
        f"(hollow markers: partial {GRAIN}s)")
    say("")
    say(_table(frame, "skill"))
    say("")
    say(_table(frame, "agent"))
    seconds = time.perf_counter() - began
    say(f"\ndone in {seconds:.1f} s; everything is in {folder}/")
    return DemoResult(frame, checks, summary, files, seconds)


def _charts(frame: pd.DataFrame, checks: pd.DataFrame, files: dict[str, Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    drawn = {
        "activity": plot.timeseries(frame, "totalChats", by="skill", top=TOP, grain=GRAIN),
        "ranking": plot.ranking(frame, "avgInteractiveHandlingTime", by="agent"),
        "teams": plot.ranking(frame, "avgInteractiveHandlingTime", by="agent_group"),
        "drift": plot.drift(checks),
    }
    for name, axes in drawn.items():
        figure = axes.figure  # the root figure: the demo draws no subfigures
        assert isinstance(figure, Figure)
        figure.savefig(files[name], dpi=100, bbox_inches="tight")
        pyplot.close(figure)


def _table(frame: pd.DataFrame, by: str) -> str:
    """The top skills or agents by chats, by name (agents with their team), as text."""
    derived = derive(frame, by=[by, *NAMED_BY[by]], metrics=list(_TABLE_METRICS))
    wide = to_wide(derived).sort_values(["totalChats", by], ascending=[False, True],
                                        kind="stable").head(TOP)
    # a handful of rows: plain objects print best, and the team can say "no group"
    top = pd.DataFrame({"chats": wide["totalChats"].to_numpy(),
                        "AHT [s]": wide["avgInteractiveHandlingTime"].to_numpy(),
                        "interactive": wide["interactiveShare"].to_numpy()},
                       index=pd.Index(wide[NAMED_BY[by][0]].astype(object), name=by))
    if by == "agent":
        top.insert(0, "team", wide["agent_group_name"].astype(object).fillna(NO_GROUP)
                   .to_numpy())
    return f"top {len(top)} {by}s by chats\n" + top.to_string(
        float_format=lambda v: f"{v:,.2f}")
