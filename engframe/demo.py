"""``engframe demo``: the whole job, end to end, against the built-in simulator.

It starts :mod:`engframe.sim` in-process, fetches the last 24 hours in 5-minute intervals
for all skills and agents through the real client over loopback HTTP (the grain a history
is collected at, so runs line up) with the skill, agent and team names of the simulated
Account Configuration API, flattens, reconciles the totals, exports the interval values to
a parquet history dataset, derives the average handling times and the other metrics per
skill and hour and per agent and hour, writes wide parquet files, and draws charts labelled
with names. No account, no network beyond 127.0.0.1.

It runs both families by default (``methods=``): the chat product's Engagement Activity,
and messaging from the same simulated center: msgconversation (resolved conversations,
handling time per resolution type, the resolution mix) and msgcsatdistribution (CSAT by
skill and by team), into the same history (a table set per method); and the chat
product's Operational Realtime methods: queuehealth (speed of answer and abandonment by
hour), agentactivity (agents' states per team: utilization, saturation, time away), sla
(the service-level curve) and queuestate (the queues now, kept as a snapshot).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from engframe import plot, sim
from engframe._defaults import DEMO_OUT
from engframe._output import reason
from engframe.client import Client
from engframe.derive import derive, to_wide
from engframe.errors import OptionError, OutputError
from engframe.history import export, history_state
from engframe.methods import METHODS, Kind, get_method, label, unit_of
from engframe.names import NAMES_FOLDER
from engframe.parquet import to_parquet
from engframe.plot import NO_GROUP
from engframe.reconcile import reconcile, summarize
from engframe.schema import concat_frames
from engframe.service_level import service_level
from engframe.sync import plan_window

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
#: The methods the demo runs unless told otherwise: both families, and the chat product's
#: queues, agent states, service level and queue state (Operational Realtime).
DEFAULT_METHODS: Final = ("engactivity", "msgconversation", "msgcsatdistribution",
                          "queuehealth", "agentactivity", "sla", "queuestate")
#: The service levels the demo prints: answered within T seconds (edges of the default
#: histogram).
SERVICE_LEVELS: Final = (15, 30, 60)
_MESSAGING_TABLE: Final = ("totalResolvedConversations", "avgTime_resolvedConversations",
                           "resolutionShare_byCCP")
#: The columns naming each row of the derived file and the printed tables, beside its id.
NAMED_BY: Final = {
    "skill": ("skill_name",),
    "agent": ("agent_name", "agent_group", "agent_group_name"),
}


@dataclass
class DemoResult:
    """What the demo made: the frames, and the files by what they hold.

    ``frame``, ``checks`` and ``summary`` are the first method's (engactivity's by
    default); ``frames``, ``all_checks`` and ``summaries`` hold every method's.
    """

    frame: pd.DataFrame
    checks: pd.DataFrame
    summary: str
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    all_checks: dict[str, pd.DataFrame] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)


def run_demo(
    out: str | Path = DEFAULT_OUT,
    *,
    seed: int = sim.model.DEFAULT_SEED,
    now_ms: int | None = None,
    echo: Callable[[str], Any] | None = print,
    methods: Sequence[str] = DEFAULT_METHODS,
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
    methods : sequence of str, default DEFAULT_METHODS
        The methods to run (engactivity, msgconversation, msgcsatdistribution,
        queuehealth, agentactivity, sla, queuestate): all of them by default.

    Returns
    -------
    DemoResult
        The tidy frame (with names: ``skill_name``, ``agent_name``, ``agent_group``,
        ``agent_group_name``), the reconciliation checks and summary, and the files
        written: ``raw`` (saved envelopes), ``names`` (the names read, saved in
        ``raw/names/``, where ``engframe.load(raw, names=True)`` finds them), ``history``
        (the dataset), ``wide`` (raw values, one column per metric), ``derived`` (derived
        metrics per skill and hour and per agent and hour, wide, with the account and the
        names), ``activity``, ``ranking``, ``teams`` and ``drift`` (PNG charts); for
        messaging, ``messaging_derived`` (per skill and hour, per agent and hour),
        ``messaging_volume`` (resolved conversations per hour by skill), ``messaging_aht``
        (handling time by resolution type), ``csat_derived`` (per skill, per agent),
        ``csat_skills`` and ``csat_teams`` (CSAT by skill, by team); for the operational
        methods, ``queue_derived`` (queuehealth per skill and hour), ``queue`` (speed of
        answer and abandonment by hour), ``states_derived`` (agentactivity per agent and
        hour), ``states`` (agents' states per team) and ``service_level`` (sla's curve).

    Raises
    ------
    OutputError
        If the output folder cannot be created or a file in it cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp(), now_ms=1_795_000_000_000, echo=None)
    >>> sorted(result.files)[:3]
    ['activity', 'csat_derived', 'csat_skills']
    >>> result.frame.attrs["names"]["source"]
    'Account Configuration API'
    """
    say = echo or (lambda _line: None)
    began = time.perf_counter()
    chosen = [get_method(m, parameter="methods").name for m in methods]
    if not chosen:
        raise OptionError(f"demo: methods= names no method; give some of {', '.join(METHODS)}")
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {reason(exc)}") from None
    files = {"raw": folder / "raw", "names": folder / "raw" / NAMES_FOLDER,
             "history": folder / "history"}

    frozen = now_ms
    with sim.serve(seed=seed, now=frozen) as server:
        clock = (lambda: frozen / 1000) if frozen is not None else time.time
        say(f"simulator: account {server.account} at {server.base_url}")
        with Client(server.account, auth=(server.client_id, server.client_secret),
                    csds_url=server.base_url, cache=False, save_raw=files["raw"],
                    clock=clock) as client:
            # the simulator's Account Configuration API; save_raw= saves them in raw/names/
            names = client.names()
            frames = {method: client.frame(
                method=method, names=names,
                **METHODS[method].everything(timeframe=TIMEFRAME, interval=INTERVAL))
                for method in chosen}
            # a method without intervals goes into the history in windows that start where
            # the stored ones end (as engframe sync fetches them): a day's window again
            # would overlap the one a previous run stored
            stored = {method: _next_window(client, files["history"], method, frames[method],
                                           names)
                      for method in chosen if METHODS[method].windows}
    all_checks: dict[str, pd.DataFrame] = {}
    summaries: dict[str, str] = {}
    for method, frame in frames.items():
        window = frame.attrs.get("window", {})
        when = (f"now ({frame['fetched_at'].iloc[0]})" if METHODS[method].snapshot
                and len(frame) else f"{window.get('start')} to {window.get('end')}")
        say(f"{method}: fetched {len(frame):,} values, {when}, {frame['skill'].nunique()} skills, "
            f"{frame['agent'].nunique()} agents in {frame['agent_group'].nunique()} teams")
        all_checks[method] = reconcile(frame)
        summaries[method] = summarize(all_checks[method])
        say(f"{method}: reconciled: {summaries[method]}")
        # facts and their name tables; a method without intervals is stored per window
        window_frame = stored.get(method, frame)
        if window_frame is None:
            say(f"{method}: history: nothing new since the window stored last")
            continue
        result = export(window_frame, files["history"], names=names)
        say(f"{method}: history: {result.inserted} facts inserted, {result.updated} "
            f"updated, {result.unchanged} unchanged in {files['history']}")
    say(f"(raw responses in {files['raw']}, names in {files['names']})")

    if "engactivity" in frames:
        _chat(frames["engactivity"], all_checks, folder, files, say)
    if "msgconversation" in frames:
        _conversations(frames["msgconversation"], folder, files, say)
    if "msgcsatdistribution" in frames:
        _satisfaction(frames["msgcsatdistribution"], folder, files, say)
    if "queuehealth" in frames:
        _queues(frames["queuehealth"], folder, files, say)
    if "agentactivity" in frames:
        _agent_states(frames["agentactivity"], folder, files, say)
    if "sla" in frames:
        _service(frames["sla"], folder, files, say)
    if "queuestate" in frames:
        say(_queue_now(frames["queuestate"]))
        say("")
    files["drift"] = folder / "drift.png"
    checks = concat_frames(list(all_checks.values()))
    _save(plot.drift(checks), files["drift"])
    say(f"drift: {files['drift']} (every method's checks)")
    seconds = time.perf_counter() - began
    say(f"\ndone in {seconds:.1f} s; everything is in {folder}/")
    first = chosen[0]
    return DemoResult(frames[first], all_checks[first], summaries[first], files, seconds,
                      frames, all_checks, summaries)


def _next_window(client: Client, history: Path, method: str, day: pd.DataFrame,
                 names: Any) -> pd.DataFrame | None:
    """The frame of ``method`` to store: the day fetched for a new history, else the window
    from the newest stored one's end up to now (None when not a minute has passed)."""
    now = round(client.clock() * 1000)
    state = history_state(history, account=client.account, method=method,
                          since_ms=now - TIMEFRAME * 60_000)
    plan = plan_window(newest=state.newest, now_ms=now)
    if state.newest is None or plan.timeframe == TIMEFRAME:
        return day
    if not plan.timeframe:
        return None
    return client.frame(method=method, names=names,
                        **METHODS[method].everything(timeframe=plan.timeframe, interval=None))


def _hourly(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's derived metrics per skill and hour and per agent and hour, named."""
    # the account as a column (text, as everywhere), so the file says whose numbers it holds
    account = ["account"] if "account" in frame.columns else []
    parts = [derive(frame, by=[*account, by, *NAMED_BY[by], GRAIN]) for by in ("skill", "agent")]
    # one categorical per name column though skills and agents differ; the same attrs
    # (query, units, integer metrics) for both parts
    hourly = concat_frames(parts)
    hourly.attrs = dict(parts[0].attrs)
    return hourly


def _chat(frame: pd.DataFrame, checks: dict[str, pd.DataFrame], folder: Path,
          files: dict[str, Path], say: Callable[[str], Any]) -> None:
    """Engagement Activity's files, charts and tables."""
    files.update({"wide": folder / "activity-wide.parquet",
                  "derived": folder / "derived-wide.parquet",
                  "activity": folder / "activity.png", "ranking": folder / "agent-ranking.png",
                  "teams": folder / "team-ranking.png"})
    to_parquet(frame, files["wide"], layout="wide")
    to_parquet(_hourly(frame), files["derived"], layout="wide")
    say(f"parquet: {files['wide']}, {files['derived']} (per skill and {GRAIN}, per agent and "
        f"{GRAIN})")
    _charts(frame, files)
    say(f"charts: {files['activity']}, {files['ranking']}, {files['teams']} "
        f"(hollow markers: partial {GRAIN}s)")
    say("")
    say(_table(frame, "skill"))
    say("")
    say(_table(frame, "agent"))
    say("")


def _conversations(frame: pd.DataFrame, folder: Path, files: dict[str, Path],
                   say: Callable[[str], Any]) -> None:
    """msgconversation: volume, handling time by resolution type, the resolution mix."""
    files.update({"messaging_derived": folder / "messaging-derived-wide.parquet",
                  "messaging_volume": folder / "messaging-volume.png",
                  "messaging_aht": folder / "messaging-aht.png"})
    to_parquet(_hourly(frame), files["messaging_derived"], layout="wide")
    _save(plot.timeseries(frame, "totalResolvedConversations", by="skill", top=TOP,
                          grain=GRAIN), files["messaging_volume"])
    _save(_by_resolution(frame), files["messaging_aht"])
    say(f"messaging: {files['messaging_derived']}; charts {files['messaging_volume']}, "
        f"{files['messaging_aht']}")
    say("")
    say(_messaging_table(frame))
    say("")


def _satisfaction(frame: pd.DataFrame, folder: Path, files: dict[str, Path],
                  say: Callable[[str], Any]) -> None:
    """msgcsatdistribution: CSAT by skill and by team."""
    files.update({"csat_derived": folder / "csat-derived-wide.parquet",
                  "csat_skills": folder / "csat-skills.png",
                  "csat_teams": folder / "csat-teams.png"})
    account = ["account"] if "account" in frame.columns else []
    parts = [derive(frame, by=[*account, by, *NAMED_BY[by]]) for by in ("skill", "agent")]
    derived = concat_frames(parts)
    derived.attrs = dict(parts[0].attrs)
    to_parquet(derived, files["csat_derived"], layout="wide")
    _save(plot.ranking(frame, "csat_score", by="skill"), files["csat_skills"])
    _save(plot.ranking(frame, "csat_score", by="agent_group"), files["csat_teams"])
    say(f"csat: {files['csat_derived']}; charts {files['csat_skills']}, {files['csat_teams']}")
    say("")
    say(_csat_table(frame))
    say("")


def _queues(frame: pd.DataFrame, folder: Path, files: dict[str, Path],
            say: Callable[[str], Any]) -> None:
    """queuehealth: speed of answer and abandonment per skill and hour, the queue chart."""
    files.update({"queue_derived": folder / "queue-derived-wide.parquet",
                  "queue": folder / "queue.png"})
    account = ["account"] if "account" in frame.columns else []
    to_parquet(derive(frame, by=[*account, "skill", *NAMED_BY["skill"], GRAIN]),
               files["queue_derived"], layout="wide")
    _save(plot.queue(frame), files["queue"])
    say(f"queues: {files['queue_derived']}; chart {files['queue']}")
    say("")
    say(_queue_table(frame))
    say("")


def _agent_states(frame: pd.DataFrame, folder: Path, files: dict[str, Path],
                  say: Callable[[str], Any]) -> None:
    """agentactivity: utilization and the states' shares per agent and hour, per team."""
    files.update({"states_derived": folder / "agent-states-derived-wide.parquet",
                  "states": folder / "agent-states.png"})
    account = ["account"] if "account" in frame.columns else []
    to_parquet(derive(frame, by=[*account, "agent", *NAMED_BY["agent"], GRAIN]),
               files["states_derived"], layout="wide")
    _save(plot.states(frame, by="agent_group"), files["states"])
    say(f"agent states: {files['states_derived']}; chart {files['states']}")
    say("")
    say(_states_table(frame))
    say("")


def _service(frame: pd.DataFrame, folder: Path, files: dict[str, Path],
             say: Callable[[str], Any]) -> None:
    """sla: the service-level curve, and the service level within a few T."""
    files["service_level"] = folder / "service-level.png"
    _save(plot.service_curve(frame), files["service_level"])
    say(f"service level: chart {files['service_level']}")
    edges = set(service_level(frame)["within"].tolist())
    levels = service_level(frame, within=[t for t in SERVICE_LEVELS if t in edges])
    say("service level (answered within T, of all chats): " + ", ".join(
        f"{t} s {100 * v:.1f}%" for t, v in zip(levels["within"], levels["value"],
                                                  strict=True)))
    say("")


def _save(axes: Any, path: Path) -> None:
    """Save a chart's whole figure as PNG, and close it."""
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    figure = axes.figure  # the root figure: the demo draws no subfigures
    assert isinstance(figure, Figure)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    pyplot.close(figure)


def _charts(frame: pd.DataFrame, files: dict[str, Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    drawn = {
        "activity": plot.timeseries(frame, "totalChats", by="skill", top=TOP, grain=GRAIN),
        "ranking": plot.ranking(frame, "avgInteractiveHandlingTime", by="agent"),
        "teams": plot.ranking(frame, "avgInteractiveHandlingTime", by="agent_group"),
    }
    for name, axes in drawn.items():
        _save(axes, files[name])


def _by_resolution(frame: pd.DataFrame) -> Any:
    """A bar per resolution type: its average handling time over the day, ratio of sums."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    method = METHODS["msgconversation"]
    averages = [m for m in method.metrics if m.kind == Kind.AVERAGE]
    # each average and the conversations behind it (its denominator), as ratios of sums
    derived = derive(frame, metrics=[m.name for m in averages])
    counts = derive(frame, metrics=[next(iter(m.denominator)) for m in averages])
    _, axes = pyplot.subplots(figsize=(8, 3.5))
    labels = [label(m.name, unit="") for m in averages]
    values, volumes = derived["value"].to_numpy(), counts["value"].to_numpy()
    axes.barh(labels[::-1], values[::-1], color="#1f77b4")
    for y, (value, n) in enumerate(zip(values[::-1], volumes[::-1], strict=True)):
        axes.text(value, y, f"  n={n:,.0f}", va="center", fontsize="small")
    axes.set_xlabel(f"Average handling time ({unit_of('avgTime_resolvedConversations')})")
    window = frame.attrs.get("window") or {}
    axes.set_title(f"Handling time by resolution type, {window.get('start')} to "
                   f"{window.get('end')} (ratio of sums)")
    return axes


def _messaging_table(frame: pd.DataFrame) -> str:
    """The top skills by resolved conversations: AHT, and the share resolved by the agent."""
    derived = derive(frame, by=["skill", "skill_name"], metrics=list(_MESSAGING_TABLE))
    wide = to_wide(derived).sort_values(["totalResolvedConversations", "skill"],
                                        ascending=[False, True], kind="stable").head(TOP)
    top = pd.DataFrame({"resolved": wide["totalResolvedConversations"].to_numpy(),
                        "AHT [s]": wide["avgTime_resolvedConversations"].to_numpy(),
                        "by agent": wide["resolutionShare_byCCP"].to_numpy()},
                       index=pd.Index(wide["skill_name"].astype(object), name="skill"))
    return f"top {len(top)} skills by resolved conversations\n" + top.to_string(
        float_format=lambda v: f"{v:,.2f}")


def _csat_table(frame: pd.DataFrame) -> str:
    """CSAT by team: positive over all answers, ratio of sums over the team's agents."""
    derived = derive(frame, by=["agent_group", "agent_group_name"],
                     metrics=["total_answers", "csat_score"])
    wide = to_wide(derived).sort_values(["total_answers", "agent_group"],
                                        ascending=[False, True], kind="stable")
    top = pd.DataFrame({"answers": wide["total_answers"].to_numpy(),
                        "CSAT": wide["csat_score"].to_numpy()},
                       index=pd.Index(wide["agent_group_name"].astype(object).fillna(NO_GROUP),
                                      name="team"))
    return "CSAT by team (positive answers of all)\n" + top.to_string(
        float_format=lambda v: f"{v:,.2f}")


def _queue_table(frame: pd.DataFrame) -> str:
    """The top skills by connected chats: speed of answer, abandonment, queue size."""
    columns = {"connectedEng": "connected", "avgTimeToAnswer": "ASA [s]",
               "abandonmentRate": "abandoned", "averageQueueSize": "avg queue"}
    derived = derive(frame, by=["skill", "skill_name"], metrics=list(columns))
    wide = to_wide(derived).sort_values(["connectedEng", "skill"], ascending=[False, True],
                                        kind="stable").head(TOP)
    top = pd.DataFrame({shown: wide[name].to_numpy() for name, shown in columns.items()},
                       index=pd.Index(wide["skill_name"].astype(object), name="skill"))
    return f"top {len(top)} skills by connected chats\n" + top.to_string(
        float_format=lambda v: f"{v:,.2f}")


def _states_table(frame: pd.DataFrame) -> str:
    """Per team: hours logged in, utilization, saturation and the time away."""
    columns = {"loggedIn": "logged in [h]", "utilization": "utilization",
               "saturation": "saturation", "awayShare": "away"}
    derived = derive(frame, by=["agent_group", "agent_group_name"], metrics=list(columns))
    wide = to_wide(derived).sort_values("agent_group", kind="stable")
    top = pd.DataFrame({shown: wide[name].to_numpy() for name, shown in columns.items()},
                       index=pd.Index(wide["agent_group_name"].astype(object).fillna(NO_GROUP),
                                      name="team"))
    top["logged in [h]"] = top["logged in [h]"] / 3600
    return "agents' time by team\n" + top.to_string(float_format=lambda v: f"{v:,.2f}")


def _queue_now(frame: pd.DataFrame) -> str:
    """queuestate: the skills with visitors waiting now (all of them when none wait)."""
    columns = {"currentQueueSize": "in queue", "currentMaxWaitTimeInQueue": "longest wait [s]",
               "currentAvailableSlots": "free slots"}
    wide = to_wide(frame[frame["level"] == "skill"])
    wide = wide.sort_values(["currentQueueSize", "skill"], ascending=[False, True],
                            kind="stable").head(TOP)
    top = pd.DataFrame({shown: wide[name].to_numpy(np.float64 if name.endswith("InQueue")
                                                   else np.int64)
                        for name, shown in columns.items() if name in wide.columns},
                       index=pd.Index(wide[_skill_label(wide)].astype(object), name="skill"))
    if "longest wait [s]" in top.columns:
        waits = top["longest wait [s]"]
        top["longest wait [s]"] = waits.where(waits >= 0) / 1000
    stamp = pd.Timestamp(frame.attrs.get("window", {}).get("end") or frame["timestamp"].iloc[0])
    at = (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert("UTC")
    return f"queues now ({at:%Y-%m-%d %H:%M:%S} UTC; NaN: the API's -1, no data)\n" + top.to_string(
        float_format=lambda v: f"{v:,.1f}")


def _skill_label(wide: pd.DataFrame) -> str:
    return "skill_name" if "skill_name" in wide.columns else "skill"


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
