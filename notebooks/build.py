"""Write engframe's notebooks from the cells below, without outputs.

The notebooks are generated so that they stay reviewable as code and identical from one build
to the next (fixed cell ids, no outputs, no execution counts, minimal metadata). Edit the
cells here, then run::

    python notebooks/build.py            # rewrite notebooks/*.ipynb
    python notebooks/build.py --check    # exit 1 if a stored notebook differs from its build

``tests/test_notebooks.py`` executes the notebooks and checks they match this script.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import nbformat
from nbformat.notebooknode import NotebookNode

#: Where the notebooks are written: beside this script.
HERE: Final = Path(__file__).resolve().parent
#: The kernel every notebook names (the Python of the environment that runs it).
KERNELSPEC: Final = {"name": "python3", "display_name": "Python 3", "language": "python"}

Cell = tuple[str, str]


def md(text: str) -> Cell:
    """A markdown cell."""
    return ("markdown", textwrap.dedent(text).strip())


def code(text: str) -> Cell:
    """A code cell."""
    return ("code", textwrap.dedent(text).strip())


QUICKSTART: Final[Sequence[Cell]] = (
    md("""
        # engframe quickstart

        engframe turns LivePerson's Engagement Activity API (chats and handling times per
        skill, per agent, per interval) into **tidy pandas frames**, and from there into
        derived metrics, reconciliation checks, plots and parquet files.

        This notebook runs offline: it reads the example responses in `data/samples/` (the
        spec's seven, and two shapes live accounts send), and a day of realistic data from
        engframe's built-in simulator, served on `127.0.0.1` with a fixed seed and clock (so
        every run shows the same numbers). Everything it writes goes to a temporary folder.

        Outline: 1. load · 2. the tidy frame · 3. a day of data · 4. totals are not
        observations · 5. derive · 6. reconcile · 7. plot · 8. export, DuckDB and history ·
        9. a messaging account · 10. queues, agents' states and service level.
        """),
    code("""
        import json
        import tempfile
        from datetime import UTC, datetime
        from pathlib import Path

        import duckdb
        import numpy as np
        import pandas as pd

        import engframe
        from engframe import sim
        from engframe.derive import DERIVED, select

        pd.set_option("display.width", 120)
        pd.set_option("display.max_columns", 14)

        # the repository's data/samples, whether the notebook runs from notebooks/ or the root
        ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents)
                    if (p / "data" / "samples").is_dir())
        SAMPLES = ROOT / "data" / "samples"
        WORK = Path(tempfile.mkdtemp(prefix="engframe-quickstart-"))
        sorted(p.name for p in SAMPLES.glob("*.json"))
        """),
    md("""
        ## 1. Load a response

        `engframe.load` reads a saved response (a `.json` or `.json.gz` file), a folder of
        them, or anything `engframe.flatten` takes (a dict, JSON text). Here is one of the
        spec's examples as the API sent it: skill 2 broken down by agent, and agent 3's
        values over all skills.
        """),
    code("""
        print((SAMPLES / "skills_all_agent_3.json").read_text())
        """),
    code("""
        one = engframe.load(SAMPLES / "skills_all_agent_3.json")
        one
        """),
    md("""
        ## 2. The tidy frame

        **One row per number in the response.** Seven columns, always in this order:

        | column | dtype | meaning |
        |---|---|---|
        | `timestamp` | `datetime64[ms, UTC]` | **end** of the period the value covers (below) |
        | `skill`, `agent` | `Int64` | the ids the value is split by, `<NA>` where it is not |
        | `metric` | category | the API's metric name, verbatim |
        | `value` | `int64`, or `float64` for decimals | the value, exact (counts; seconds) |
        | `level` | category | which part of the response it comes from (below) |
        | `span` | category | `interval` (of `metricsByIntervals`) or `timeframe` (whole window) |

        For `timeframe` rows, `timestamp` is the window's end when known, else NaT (a bare
        response does not say when it was fetched).

        | level | response path | skill | agent |
        |---|---|---|---|
        | `account` | `metricsTotals` (no skills or agents asked) | | |
        | `skill_agent` | `skillsMetricsPerAgent.metricsPerSkill.{s}.metricsPerAgent.{a}` | s | a |
        | `skill` | `skillsMetricsPerAgent.metricsPerSkill.{s}.metricsTotals` | s | |
        | `skills_total` | `skillsMetricsPerAgent.metricsTotals` | | |
        | `agent` | `agentsMetrics.metricsPerAgent.{a}` | | a |
        | `agents_total` | `agentsMetrics.metricsTotals` | | |

        Loading a folder stacks every file and adds a `source` column naming each row's file.
        Saved envelopes (what the live client writes) add `account`, `fetched_at`, `start`
        (the period's start) and `complete` (the period had ended when fetched).
        """),
    code("""
        samples = engframe.load(SAMPLES)
        samples.groupby(["source", "level", "span"], observed=True).size().rename("rows").to_frame()
        """),
    code("""
        samples.dtypes
        """),
    md("""
        `engframe.unflatten` rebuilds the nested response from the frame: nothing was lost.
        """),
    code("""
        raw = json.loads((SAMPLES / "agent_2_intervals.json").read_text())
        engframe.unflatten(engframe.flatten(raw)) == raw
        """),
    md("""
        ## 3. A day of data

        The samples are tiny. The simulator (`engframe.sim`) serves the API's real paths and
        response shapes on loopback for a seeded contact center; the live client
        (`engframe.Client`) reaches it as it would reach LivePerson (Domain API lookup,
        OAuth 2.0 token, then the data). Both clocks are frozen at `NOW`, so the numbers
        are the same on every run.

        We ask for the last 24 hours in 60-minute intervals, for all skills and all agents.
        `client.fetch` returns the *saved envelope*: the request, the fetch time and the
        API's JSON, which `engframe.flatten` turns into the tidy frame.
        """),
    code("""
        NOW = datetime(2026, 11, 27, 13, 29, 4, tzinfo=UTC)

        with sim.serve(seed=1, now=NOW) as server:
            credentials = (server.client_id, server.client_secret)
            with engframe.Client(server.account, auth=credentials, csds_url=server.base_url,
                                 cache=False, clock=NOW.timestamp) as client:
                envelope = client.fetch(timeframe=1440, interval=60, skills="all", agents="all")
                names = client.names()  # skill, agent and team names (section 7)

        print(envelope["request"], envelope["fetched_at"])
        day = engframe.flatten(envelope)
        print(f"{len(day):,} rows")
        day.head()
        """),
    code("""
        day.groupby(["level", "span"], observed=True).agg(
            rows=("value", "size"), skills=("skill", "nunique"), agents=("agent", "nunique"),
            intervals=("timestamp", "nunique"))
        """),
    md("""
        The window was widened to whole 5-minute buckets (it ends at 13:30, the end of the
        bucket holding `NOW`). The newest interval is still filling (`complete` is False)
        and the oldest holds only the remainder of the window: `start` says where each
        period begins.
        """),
    code("""
        periods = select(day, level="skills_total", span="interval")
        periods = periods[["start", "timestamp", "complete"]].drop_duplicates()
        periods.sort_values("timestamp").iloc[[0, 1, -2, -1]]
        """),
    md("""
        ## 4. Totals are not observations

        A response reports each chat several times: in its agent's row, in its skill's row,
        in the skill-by-agent row, in the totals, and in its interval **and** in the whole
        timeframe. Every (level, span) pair below tells the same total:
        """),
    code("""
        chats = day[day["metric"] == "totalInteractiveChats"]
        by_part = chats.groupby(["level", "span"], observed=True)["value"].sum()
        by_part.to_frame()
        """),
    md("""
        So `day["value"].sum()` counts every chat ten times. **Pick one level and one span
        before summing**: `select` does it (by default from the grouping you intend), and
        `derive` always does it for you.
        """),
    code("""
        print("sum over all rows  :", chats["value"].sum())
        agent_rows = select(chats, level="agent", span="interval")
        print("agent x interval   :", agent_rows["value"].sum())
        chosen = select(day, by=["agent"])[["level", "span"]].drop_duplicates()
        print("select(by=['agent']):", chosen.to_numpy().tolist())
        """),
    md("""
        ## 5. Derive

        `engframe.derive` computes ratios **of sums** at the grain you ask for: the
        numerator and denominator are summed per group first and divided last (never a
        mean of per-row ratios), and a zero denominator gives NaN. LivePerson publishes
        no formula for average handling time; engframe's definitions:
        """),
    code("""
        for f in DERIVED.values():
            print(f)
        """),
    md("""
        Average interactive handling time **by agent** (over the whole day: the agent level,
        timeframe span), with the chats behind each value. `to_wide` pivots any tidy frame
        to one column per metric.
        """),
    code("""
        by_agent = engframe.derive(day, by="agent",
                                   metrics=["avgInteractiveHandlingTime", "totalChats"])
        (engframe.to_wide(by_agent)[["agent", "avgInteractiveHandlingTime", "totalChats"]]
         .sort_values("totalChats", ascending=False).head(5))
        """),
    md("""
        **By interval** (`by="timestamp"`): the account-wide value per 60-minute interval.
        `by="hour"` or `by="day"` group calendar periods in any time zone (`tz=`).
        """),
    code("""
        by_interval = engframe.derive(day, by="timestamp",
                                      metrics=["avgInteractiveHandlingTime", "totalChats",
                                               "connectedEngagementsPerHour"])
        engframe.to_wide(by_interval)[["timestamp", "level", "avgInteractiveHandlingTime",
                                       "totalChats", "connectedEngagementsPerHour"]].tail(4)
        """),
    md("""
        **Your own metric**: `engframe.formula(name, "numerator / denominator")` with sums
        and differences of components, optional weights, `unit=` and `scale=`. Here average
        handling time in minutes, per skill; `components=True` adds the sums behind each
        ratio as rows, so the number can be checked.
        """),
    code("""
        aht_minutes = engframe.formula("ahtMinutes", "totalHandlingTime / totalInteractiveChats",
                                       unit="min", scale=1 / 60)
        per_skill = engframe.derive(day, by="skill", metrics=[aht_minutes], components=True)
        wide = engframe.to_wide(per_skill)
        by_hand = wide["totalHandlingTime"] / wide["totalInteractiveChats"] / 60
        assert np.allclose(wide["ahtMinutes"], by_hand)
        wide[["skill", "totalHandlingTime", "totalInteractiveChats", "ahtMinutes"]].sort_values(
            "ahtMinutes", ascending=False).head()
        """),
    md("""
        ## 6. Reconcile

        The API warns that "totals may not add up due to rounding differences": handling
        times are measured finer than they are shown, each value rounded on its own.
        `engframe.reconcile` checks every relation a response implies (skill-agent rows
        against their skill, skills against the skills total, agents against the agents
        total, intervals against the timeframe) at every timestamp and metric, and marks
        each check `ok`, `rounding` (within what rounding each value to the nearest second
        explains: n parts may differ from their total by n // 2 seconds) or `mismatch`. Run
        it on the frame as flattened: all levels and spans.
        """),
    code("""
        checks = engframe.reconcile(day)
        print(engframe.summarize(checks))
        checks.groupby(["relation", "status"], observed=True).size().unstack(fill_value=0)
        """),
    code("""
        shown = ["relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
                 "sum_of_parts", "difference", "parts", "status"]
        drifted = checks.loc[checks["status"] != "ok", shown]
        drifted.sort_values("difference", key=abs, ascending=False).head(3)
        """),
    code("""
        print(engframe.summarize(engframe.reconcile(samples)))
        """),
    md("""
        ## 7. Plot

        `engframe.plot` draws with matplotlib and returns the Axes. Times are UTC unless you
        pass `tz=`.

        - `timeseries` draws a metric (raw or derived) per interval (or `grain="hour"`,
          `"day"`), one line per skill or agent for the busiest `top`; the rest are pooled
          into a grey dashed "other" line (a ratio of their sums for a ratio, their mean
          for a sum). **Hollow markers are partial periods**: the oldest interval holds
          only the remainder of the window, the newest was still filling when fetched, so
          their low values are not dips.
        - `ranking` ranks agents or skills with the chats behind each bar, leaving out those
          with fewer than `min_volume` chats (20 by default: a long average on three chats
          is not a finding); the title says how many were ranked of how many.
        - `drift` shows where totals fail to add up: counts and handling times on separate
          panels, one dot per distinct difference, larger where it stands for more checks.
        """),
    code("""
        engframe.plot.timeseries(day, "avgInteractiveHandlingTime", by="skill", top=4);
        """),
    code("""
        engframe.plot.ranking(day, "avgInteractiveHandlingTime", by="agent", top=10);
        """),
    code("""
        engframe.plot.drift(checks);
        """),
    md("""
        **Names.** The ids become names when the frame has them: `engframe.load(...,
        names=True)`, `client.frame(..., names=True)`, or `engframe.attach_names(df, names)`
        with the names `client.names()` read from the Account Configuration API (the
        simulator serves it too). Legends and bars then read "Sales", "Dana Levi", and
        `by="agent_group"` ranks teams (each agent counts in its group; ratios of sums).
        """),
    code("""
        named = engframe.attach_names(day, names)
        engframe.plot.ranking(named, "avgInteractiveHandlingTime", by="agent", top=10);
        """),
    code("""
        engframe.plot.ranking(named, "avgInteractiveHandlingTime", by="agent_group");
        """),
    md("""
        ## 8. Export, read back with DuckDB, keep a history

        `to_parquet` writes one file that comes back exactly with `read_parquet` (dtypes,
        categories, `<NA>` ids, millisecond UTC timestamps, the query in the metadata).
        `layout="wide"` writes one column per metric, the shape BI tools like.
        """),
    code("""
        engframe.to_parquet(day, WORK / "day.parquet")
        engframe.to_parquet(day, WORK / "day-wide.parquet", layout="wide")
        assert engframe.read_parquet(WORK / "day.parquet").equals(day)
        pd.read_parquet(WORK / "day-wide.parquet").head(3)
        """),
    md("""
        Any parquet reader takes it from there. DuckDB reads the file as it is; the same
        filter on level and span applies in SQL (the file holds every level and span).
        """),
    code("""
        lake = f"read_parquet('{(WORK / 'day.parquet').as_posix()}')"
        duckdb.sql(f"select level, span, count(*) as rows from {lake} group by all order by all")
        """),
    code("""
        sql = duckdb.sql(f'''
            select skill, sum(value)::bigint as chats
            from {lake}
            where level = 'skill' and span = 'interval' and metric = 'totalInteractiveChats'
            group by skill order by skill
        ''').df()
        in_pandas = (select(day, level="skill", span="interval")
                     .query("metric == 'totalInteractiveChats'")
                     .groupby("skill")["value"].sum())
        assert sql["chats"].tolist() == in_pandas.tolist()
        assert sql["skill"].tolist() == in_pandas.index.tolist()
        sql.head()
        """),
    md("""
        Average handling time per agent in SQL, as a ratio of sums, matches `derive`:
        """),
    code("""
        aht_sql = duckdb.sql(f'''
            select agent,
                   sum(value) filter (where metric = 'totalHandlingTime')
                 / sum(value) filter (where metric = 'totalInteractiveChats') as aht
            from {lake}
            where level = 'agent' and span = 'timeframe'
            group by agent order by agent
        ''').df()
        aht_pandas = engframe.derive(day, by="agent", metrics=["avgInteractiveHandlingTime"])
        aht_pandas = aht_pandas.sort_values("agent")
        assert np.allclose(aht_sql["aht"].astype(float), aht_pandas["value"], equal_nan=True)
        aht_sql.head()
        """),
    md("""
        `export` upserts into a **history dataset**: a folder of Hive-partitioned parquet
        files (its layout, and the SQL that sums it, are in the README), so exporting
        overlapping fetches (the API looks back 24 hours only) builds a longer history.
        Exporting the same frame again changes nothing.
        """),
    code("""
        history = WORK / "history"
        print(engframe.export(day, history))
        print(engframe.export(day, history))
        sorted(p.relative_to(history).as_posix() for p in history.rglob("*.parquet"))
        """),
    md("""
        `engframe.read_dataset(root, start=..., end=..., account=...)` reads the dataset back
        as a tidy frame, reading only the partitions it needs.
        """),
    code("""
        back = engframe.read_dataset(history, start="2026-11-27")
        print(back["timestamp"].min(), len(back), "rows")
        """),
    md("""
        ## 9. A messaging account

        Most accounts run messaging. engframe knows LivePerson's Messaging Operations methods
        too: **msgconversation** (conversations resolved by the agent, the consumer or the
        system, their handling times and the API's averages) and **msgcsatdistribution**
        (CSAT answers 1 to 5, their total, the positive ones and the score). Each method is
        described in engframe's catalogue, `engframe.methods`: its request, its response
        shape, and every metric's **kind**, which says how it aggregates at any grain:
        """),
    code("""
        from engframe.methods import AGGREGATION, METHODS

        for kind, rule in AGGREGATION.items():
            print(f"{kind:>9}: {rule}")
        pd.DataFrame([(m.name, m.kind.value, m.unit, m.label)
                      for m in METHODS["msgconversation"].metrics],
                     columns=["metric", "kind", "unit", "label"])
        """),
    md("""
        The same simulated center runs messaging. `method=` fetches it; the frame says its
        method in the `method` column. msgconversation's handling times have no documented
        unit: engframe reads them as seconds (`derive(..., time_unit="ms")` if yours are
        milliseconds).
        """),
    code("""
        with sim.serve(seed=1, now=NOW) as server:
            credentials = (server.client_id, server.client_secret)
            with engframe.Client(server.account, auth=credentials, csds_url=server.base_url,
                                 cache=False, clock=NOW.timestamp) as client:
                conversations = client.frame(method="msgconversation", timeframe=1440,
                                             interval=60, skills="all", agents="all",
                                             names=names)
                csat = client.frame(method="msgcsatdistribution", timeframe=1440,
                                    skills="all", agents="all", names=names)
        print(conversations["method"].unique().tolist(), csat["method"].unique().tolist())
        print(f"{len(conversations):,} and {len(csat):,} rows")
        """),
    md("""
        **Averages are recomputed, never added.** Asked for by name,
        `avgTime_resolvedConversations_byCCP` is `totalHandlingTime_resolvedConversations_byCCP
        / resolvedConversations_byCCP` summed over each group, at every grain: adding the
        API's per-agent averages would be wrong by minutes. By skill, per resolution type,
        with the resolution mix:
        """),
    code("""
        per_skill = engframe.derive(conversations, by=["skill", "skill_name"])
        wide = engframe.to_wide(per_skill)
        wide[["skill_name", "totalResolvedConversations", "avgTime_resolvedConversations",
              "avgTime_resolvedConversations_byCCP", "avgTime_resolvedConversations_bySystem",
              "resolutionShare_byCCP"]].sort_values("totalResolvedConversations",
                                                    ascending=False).head()
        """),
    code("""
        engframe.plot.ranking(conversations, "avgTime_resolvedConversations", by="agent_group");
        """),
    md("""
        **CSAT** is positive answers (4 and 5) over all answers, a ratio of sums by team:
        """),
    code("""
        teams = engframe.derive(csat, by=["agent_group_name"],
                                metrics=["total_answers", "csat_score", "csatShare_score1"])
        engframe.to_wide(teams)
        """),
    code("""
        engframe.plot.ranking(csat, "csat_score", by="skill");
        """),
    md("""
        **Reconcile** checks, beside the levels' totals, the relations among a method's
        metrics: the three resolution types against all resolved, the answers 1 to 5 against
        their total, positive against 4 + 5, and each average against the ratio of its sums
        (within the 32-bit float rounding the API shows: 426 / 21 is sent as `20.285715`).
        The example on LivePerson's msgconversation page does not add up: reconcile says
        where.
        """),
    code("""
        print(engframe.summarize(engframe.reconcile(conversations)))
        doc = engframe.reconcile(engframe.load(SAMPLES / "messaging" / "msgconversation_doc.json"))
        print(engframe.summarize(doc))
        doc.loc[doc["status"] == "mismatch", ["relation", "level", "agent", "metric", "reported",
                                             "sum_of_parts"]].head(4)
        """),
    md("""
        **One history, every method.** Engagement Activity's tables stay where they were
        (`history/<level>/`); other methods' go under `history/<method>/<level>/`. CSAT has no
        intervals: it is stored per fetch window, and windows that overlap are refused.
        """),
    code("""
        print(engframe.export(conversations, history))
        print(engframe.export(csat, history))
        print(sorted({p.relative_to(history).parts[0] for p in history.rglob("*.parquet")}))
        engframe.read_dataset(history, method="msgconversation")["method"].unique().tolist()
        """),
    md("""
        ## 10. Queues, agents' states and service level

        Four numbers an operations analyst reads each morning come from LivePerson's
        Operational Realtime methods: **queuehealth** (speed of answer, abandonment, queue
        size), **agentactivity** (each agent's time per state: Online, Back soon, Away with
        its reasons; chatting or not), **sla** (a histogram of how long answered chats
        waited) and **queuestate** (the queues now). The same simulated center serves them:
        its queues hold the chats engactivity counts.
        """),
    code("""
        with sim.serve(seed=1, now=NOW) as server:
            credentials = (server.client_id, server.client_secret)
            with engframe.Client(server.account, auth=credentials, csds_url=server.base_url,
                                 cache=False, clock=NOW.timestamp) as client:
                queues = client.frame(method="queuehealth", timeframe=1440, interval=5,
                                      skills="all", names=names)
                states = client.frame(method="agentactivity", timeframe=1440, interval=60,
                                      agents="all", names=names)
                waits = client.frame(method="sla", timeframe=1440, skills="all",
                                     histogram=[15, 30, 60, 120])
                now = client.frame(method="queuestate", skills="all", names=names)
        print({name: len(f) for name, f in [("queuehealth", queues), ("agentactivity", states),
                                            ("sla", waits), ("queuestate", now)]})
        """),
    md("""
        **Speed of answer** is `totalTimeToAnswer / connectedEng` and **abandonment**
        `abandonedEng / (abandonedEng + connectedEng)`, both summed over each group first: the
        API's per-skill averages are never averaged again.
        """),
    code("""
        per_skill = engframe.derive(queues, by=["skill_name"],
                                    metrics=["connectedEng", "avgTimeToAnswer",
                                             "abandonmentRate", "averageQueueSize"])
        wide = engframe.to_wide(per_skill)
        wide[["skill_name", "connectedEng", "avgTimeToAnswer", "abandonmentRate",
              "averageQueueSize"]].sort_values("connectedEng", ascending=False).head()
        """),
    code("""
        engframe.plot.queue(queues);
        """),
    md("""
        **Agents' states** are a dimension (`state`, `reason`), read by their ids, never by
        their position in the answer. Utilization is chatting time over logged-in time,
        saturation the share of chatting time at maximum concurrency, per team:
        """),
    code("""
        teams = engframe.derive(states, by=["agent_group_name"],
                                metrics=["loggedIn", "utilization", "saturation", "awayShare"])
        wide = engframe.to_wide(teams).assign(hours=lambda w: w["loggedIn"] / 3600)
        wide[["agent_group_name", "hours", "utilization", "saturation", "awayShare"]]
        """),
    code("""
        engframe.plot.states(states);
        """),
    md("""
        **Service level** within T is the chats answered in less than T over all answered
        chats, from the histogram's counts. T must be an edge of the histogram asked for:
        """),
    code("""
        print(engframe.service_level(waits, within=[15, 30, 60]))
        try:
            engframe.service_level(waits, within=20)
        except engframe.EngframeError as error:
            print(error)
        """),
    code("""
        engframe.plot.service_curve(waits);
        """),
    md("""
        **The queues now** are a snapshot, kept in a table of its own in a history (never
        summed over time); `-1` ("no data") is left out, as the API leaves it out of its
        totals. Reconcile checks each method's own relations too: agents' states against
        their logged-in time (1 s per state), the histogram's running shares against its
        counts.
        """),
    code("""
        print(engframe.export(now, history))
        print(engframe.summarize(engframe.reconcile(states)))
        print(engframe.summarize(engframe.reconcile(waits)))
        engframe.to_wide(now[now["level"] == "skill"])[
            ["skill_name", "currentQueueSize", "currentAvailableSlots"]].head()
        """),
)


LIVE: Final[Sequence[Cell]] = (
    md("""
        # engframe against a live account

        The quickstart's flow against the real API, plus what a live account needs: the
        HTTP cache, saving raw answers, and collecting history with `engframe.sync`.

        **Target.** With `LP_ACCOUNT` set in the environment, this notebook fetches from
        LivePerson, with credentials from the environment (never in the notebook):

        | method | variables |
        |---|---|
        | OAuth 2.0 client credentials | `LP_CLIENT_ID`, `LP_CLIENT_SECRET` |
        | a bearer token you already have | `LP_BEARER_TOKEN` |
        | OAuth 1.0 keys | `LP_APP_KEY` `LP_APP_SECRET` `LP_ACCESS_TOKEN` `LP_ACCESS_TOKEN_SECRET` |

        Without `LP_ACCOUNT` it starts engframe's simulator on `127.0.0.1` instead, so it runs
        anywhere. The cells below are the same either way. Everything is written to a
        temporary folder.
        """),
    code("""
        import contextlib
        import os
        import tempfile
        from pathlib import Path

        import numpy as np
        import pandas as pd

        import engframe
        from engframe import sim

        pd.set_option("display.width", 120)
        pd.set_option("display.max_columns", 14)

        WORK = Path(tempfile.mkdtemp(prefix="engframe-live-"))
        CACHE = WORK / "http_cache.sqlite"
        RAW = WORK / "raw"
        HISTORY = WORK / "history"
        resources = contextlib.ExitStack()  # closed in the last cell

        LIVE = bool(os.environ.get("LP_ACCOUNT"))
        if LIVE:
            where, auth = {}, None  # account and credentials from the LP_* variables
            print("live API, account", os.environ["LP_ACCOUNT"])
        else:
            server = resources.enter_context(sim.serve(seed=1))
            where = {"account": server.account, "csds_url": server.base_url}
            auth = (server.client_id, server.client_secret)
            print("simulator at", server.base_url, "account", server.account)
        """),
    md("""
        ## 1. A client

        `engframe.Client` finds the account's host through LivePerson's Domain API, gets
        and renews the OAuth token, retries on 429 and 5xx as LivePerson's policy asks, and
        splits requests whose URL would be too long. Its repr never shows a secret.

        - `cache=` keeps answers in a sqlite HTTP cache (default: your user cache folder;
          here a file in the temporary folder), fresh for `expire_after` seconds (60).
        - `save_raw=` saves every answer as an *envelope* JSON file:
          `{"request", "fetched_at", "from_cache", "response"}`, never a credential.
        """),
    code("""
        client = engframe.Client(**where, auth=auth, cache=CACHE, save_raw=RAW)
        resources.callback(client.close)
        client
        """),
    md("""
        `client.frame(...)` fetches and flattens (for a one-off, `engframe.load(timeframe=60,
        interval=15)` makes the client, fetches and closes it in one call). The last hour in
        15-minute intervals, at account level (no skills or agents asked):
        """),
    code("""
        hour = client.frame(timeframe=60, interval=15)
        print(hour.attrs["window"], "from cache:", hour.attrs["from_cache"])
        hour[["timestamp", "start", "complete", "metric", "value", "level", "span"]].head(6)
        """),
    md("""
        ## 2. Caching

        Asking again within `expire_after` is answered from the cache, without a request.
        `refresh=True` asks the API anyway. A client made with `offline=True` answers only
        from the cache, whatever the age of the answers, and needs no credentials: useful
        on a train, or to rerun a notebook on yesterday's answers.
        """),
    code("""
        again = client.frame(timeframe=60, interval=15)
        fresh = client.frame(timeframe=60, interval=15, refresh=True)
        print("again from cache:", again.attrs["from_cache"])
        print("refresh=True from cache:", fresh.attrs["from_cache"])
        assert again.equals(hour)
        """),
    code("""
        with engframe.Client(**where, cache=CACHE, offline=True) as offline:
            print(offline)
            cached = offline.frame(timeframe=60, interval=15)
        print("offline from cache:", cached.attrs["from_cache"], len(cached), "rows")
        """),
    md("""
        ## 3. A day, derived, reconciled, plotted

        The last 24 hours in 60-minute intervals for all skills and all agents: the same
        steps as in the quickstart.
        """),
    code("""
        day = client.frame(timeframe=1440, interval=60, skills="all", agents="all")
        print(f"{len(day):,} rows, {day['skill'].nunique()} skills, "
              f"{day['agent'].nunique()} agents, {day.attrs['requests']} request(s)")
        by_agent = engframe.derive(day, by="agent",
                                   metrics=["avgInteractiveHandlingTime", "totalChats"])
        (engframe.to_wide(by_agent)[["agent", "avgInteractiveHandlingTime", "totalChats"]]
         .sort_values("totalChats", ascending=False).head(5))
        """),
    code("""
        checks = engframe.reconcile(day)
        print(engframe.summarize(checks))
        """),
    code("""
        engframe.plot.timeseries(day, "totalChats", by="skill", top=4);
        """),
    code("""
        engframe.plot.ranking(day, "avgInteractiveHandlingTime", by="agent", top=10);
        """),
    code("""
        engframe.plot.drift(checks);
        """),
    md("""
        ## 4. The saved envelopes

        Every answer went to `RAW` as a JSON file (an answer served from the cache keeps its
        original fetch time, so it lands in the same file). The files hold the request and
        the response, never a credential.
        """),
    code("""
        files = sorted(RAW.glob("*.json"))
        for path in files:
            print(path.name, f"{path.stat().st_size:,} bytes")
        secrets = [v for k, v in os.environ.items() if k.startswith("LP_") and k != "LP_ACCOUNT"]
        secrets += [] if LIVE else [server.client_secret]
        assert not any(s and s in path.read_text() for path in files for s in secrets)
        """),
    md("""
        `engframe.load(folder)` reads them back as one frame, with a `source` column naming
        the file of each row. The files overlap in time and answer different questions
        (account level, or skills and agents), so never sum across them: pick one file,
        or group by `source`.
        """),
    code("""
        saved = engframe.load(RAW)
        saved.groupby("source", observed=True).agg(
            rows=("value", "size"), levels=("level", "nunique"), first=("timestamp", "min"),
            last=("timestamp", "max"), fetched_at=("fetched_at", "first"))
        """),
    code("""
        from_file = saved[saved["source"] == files[-1].name]  # the day, as saved
        again = engframe.derive(from_file, by="agent",
                                metrics=["avgInteractiveHandlingTime", "totalChats"])
        assert np.allclose(again["value"], by_agent["value"], equal_nan=True)
        print(len(from_file), "rows; the same per-agent values as from client.frame()")
        """),
    md("""
        ## 5. Collect history with `engframe.sync`

        The API looks back 24 hours only. `engframe.sync(root, ...)` fetches (by default the
        whole day in 5-minute intervals, all skills and agents) and upserts into a history
        dataset (see `engframe.export`), once (for cron) or every `every` minutes. Each
        turn reports what it did to the stored rows: `inserted` (keys new to the dataset:
        the intervals that began since the last turn), `updated` (a stored row replaced by
        a more complete one: the interval that was still filling last turn, once the API
        has more of it) and `unchanged` (nothing to do). Two turns, one after the other:
        """),
    code("""
        first = engframe.sync(HISTORY, client=client, on_export=print)[0]
        second = engframe.sync(HISTORY, client=client, on_export=print)[0]
        print(f"turn 1 stored {first.inserted:,} rows; turn 2 inserted {second.inserted:,}, "
              f"updated {second.updated:,} and left {second.unchanged:,} unchanged")
        """),
    md("""
        Seconds apart, the second turn finds almost the same day: a few new or fuller values
        of the newest interval at most (how many depends on whether chats closed in between,
        or a 5-minute bucket began). Run hourly, each turn inserts the last hour's intervals
        and completes the one that was still filling.
        """),
    code("""
        history = engframe.read_dataset(HISTORY)
        print(f"{len(history):,} rows in", sorted(p.parent.relative_to(HISTORY).as_posix()
                                                  for p in HISTORY.rglob("*.parquet")))
        hourly = engframe.derive(history, by="hour",
                                 metrics=["totalChats", "avgInteractiveHandlingTime"])
        engframe.to_wide(hourly)[["hour", "totalChats", "avgInteractiveHandlingTime"]].tail(4)
        """),
    md("""
        In production: `engframe.sync("history/", every=60)` in a long-running process, or
        `engframe.sync("history/")` from cron every hour, with `LP_ACCOUNT` and credentials
        in the environment. Finally, close the client and stop the simulator:
        """),
    code("""
        resources.close()
        """),
)

NOTEBOOKS: Final = {"quickstart.ipynb": QUICKSTART, "live.ipynb": LIVE}


def build(cells: Sequence[Cell], *, prefix: str) -> NotebookNode:
    """The notebook of ``cells``: no outputs, fixed cell ids, kernelspec metadata only.

    Parameters
    ----------
    cells : sequence of (kind, source)
        ``("markdown" | "code", text)`` pairs.
    prefix : str
        Start of each cell id (ids must be unique and stable between builds).

    Returns
    -------
    nbformat.NotebookNode
        A valid nbformat 4 notebook.

    Examples
    --------
    >>> nb = build([md("# Title"), code("1 + 1")], prefix="x")
    >>> [c.id for c in nb.cells], nb.cells[1].outputs
    (['x-00', 'x-01'], [])
    """
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb: NotebookNode = nbformat.v4.new_notebook(  # type: ignore[no-untyped-call]
        metadata={"kernelspec": dict(KERNELSPEC)}
    )
    for i, (kind, source) in enumerate(cells):
        cell = make[kind](source)  # type: ignore[no-untyped-call]
        cell.id = f"{prefix}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """The text of notebook ``name`` as it is stored.

    Parameters
    ----------
    name : str
        A key of :data:`NOTEBOOKS`.

    Returns
    -------
    str
        JSON, indented by one space, ending with a newline.

    Examples
    --------
    >>> render("live.ipynb").startswith("{")
    True
    """
    nb = build(NOTEBOOKS[name], prefix=name.removesuffix(".ipynb"))
    return str(nbformat.writes(nb)) + "\n"  # type: ignore[no-untyped-call]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the notebooks, or with ``--check`` report those that differ from their build.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (``sys.argv[1:]`` when omitted).

    Returns
    -------
    int
        0 when written or up to date, 1 when ``--check`` finds a difference.

    Examples
    --------
    >>> main(["--check"])
    0
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a stored notebook differs from its build")
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for name in stale:
        print(f"{name} differs from notebooks/build.py: run python notebooks/build.py",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
