"""agentactivity in ``derive``: a state's times named ``metric@State``, reasons by reason.

An agentactivity frame holds each agent's times per state (the ``state`` column: Logged in,
Online, Back soon, Away) and, for Away, per reason (the ``reason`` column). Logged in is the
whole of the other states and the reasons break Away down, so no sum may mix them. ``derive``
reads them this way:

- by anything but ``state`` and ``reason`` (an agent, a team, an hour, ...): a formula names
  one state's time as ``<metric>@<State>`` (``chatting@Logged in``); a plain metric name
  means the whole, Logged in (``derive(df, metrics=["chatting"], by="agent")`` is each
  agent's time chatting). The catalogue's utilization, saturation and shares per state are
  written so (:mod:`engframe.methods.agentactivity`);
- by ``state``: each state's own times (the reasons left out), a formula's ``@State`` dropped:
  utilization by state is the share of each state's time spent chatting;
- by ``reason``: each Away reason's own times, likewise.

Examples
--------
>>> import engframe
>>> df = engframe.flatten("data/samples/operational/agentactivity.json")
>>> engframe.derive(df, by="agent", metrics=["utilization"])["value"].round(3).tolist()
[0.345, 0.345]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from engframe.errors import MetricError
from engframe.methods import Formula
from engframe.methods.agentactivity import AT, LOGGED_IN
from engframe.schema import REASON_COLUMN, STATE_COLUMN, categorical

__all__ = ["by_states", "state_formulas", "states_mode", "within_states"]


def _renamed(terms: object, rename: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, weight in dict(terms).items():  # type: ignore[call-overload]
        target = rename.get(name, name)
        out[target] = out.get(target, 0.0) + weight
    return out


def states_mode(keys: Sequence[str]) -> str:
    """Which rows and names ``derive`` reads by ``keys`` (see the module): ``"reason"``
    (Away's reasons, plain names), ``"state"`` (each state, plain names) or ``"whole"``
    (every state, its times named ``metric@State``)."""
    if REASON_COLUMN in keys:
        return "reason"
    return "state" if STATE_COLUMN in keys else "whole"


def state_formulas(formulas: Sequence[Formula], mode: str) -> list[Formula]:
    """The formulas as ``derive`` reads them in ``mode`` (:func:`states_mode`): a state's
    ``@State`` dropped when split by state or reason, a plain name made ``@Logged in``
    otherwise.

    Examples
    --------
    >>> from engframe.methods import METHODS
    >>> f = METHODS["agentactivity"].derived_map["utilization"]
    >>> print(state_formulas([f], "state")[0])
    utilization = chatting / total  [fraction]
    """
    components = {c for f in formulas for c in f.components}
    if mode == "whole":
        rename = {c: f"{c}{AT}{LOGGED_IN}" for c in components if AT not in c}
    else:
        rename = {c: c.split(AT, 1)[0] for c in components if AT in c}
    if not rename:
        return list(formulas)
    return [Formula(f.name, _renamed(f.numerator, rename), _renamed(f.denominator, rename),
                    f.unit, f.description, f.scale, f.label) for f in formulas]


def by_states(df: pd.DataFrame, formulas: Sequence[Formula],
              keys: Sequence[str]) -> tuple[pd.DataFrame, list[Formula]]:
    """The frame and formulas ``derive`` reads for an agentactivity frame (see the module).

    A frame without a ``state`` column comes back as it is.
    """
    if STATE_COLUMN not in df.columns:
        return df, list(formulas)
    mode = states_mode(keys)
    reason = df[REASON_COLUMN].isna().to_numpy() if REASON_COLUMN in df.columns else np.ones(
        len(df), bool)
    keep = ~reason if mode == "reason" else reason
    part = df.take(np.flatnonzero(keep)).reset_index(drop=True)
    part.attrs = df.attrs
    if mode == "whole":
        part["metric"] = _qualified(part["metric"], part[STATE_COLUMN])
    return part, state_formulas(formulas, mode)


def _states_of(f: Formula) -> set[str]:
    return {c.split(AT, 1)[1] if AT in c else LOGGED_IN for c in f.components}


def within_states(formulas: Sequence[Formula], keys: Sequence[str], *, asked: bool,
                  where: str = "derive") -> list[Formula]:
    """The formulas that still mean something by ``keys``: split by state or reason, a
    formula comparing one state's time with another's (``onlineShare``: Online over Logged
    in) would be each state's time over itself, 1; left out of the defaults, refused when
    asked for.

    Examples
    --------
    >>> from engframe.methods import METHODS
    >>> found = METHODS["agentactivity"].derived_map
    >>> [f.name for f in within_states([found["utilization"], found["onlineShare"]],
    ...                                ["agent", "state"], asked=False)]
    ['utilization']
    """
    if states_mode(keys) == "whole":
        return list(formulas)
    crossing = [f for f in formulas if len(_states_of(f)) > 1]
    if crossing and asked:
        split = states_mode(keys)
        raise MetricError(
            f"{where}: {', '.join(repr(f.name) for f in crossing)} compare one state's time "
            f"with another's ({crossing[0]}); by={split!r} splits the states apart, so each "
            f"would be a state's time over itself: derive them without {split!r} (by agent, "
            "team or time), or each state's own 'total' by state")
    return [f for f in formulas if f not in crossing]


def _qualified(metric: pd.Series, state: pd.Series) -> Any:
    """``metric@State`` per row (the plain metric where the state is missing), in the order
    met; built from the two columns' codes, so each name is written once, not once a row."""
    metrics = pd.Categorical(metric)
    states = pd.Categorical(state)
    width = len(states.categories) + 1
    pairs = metrics.codes.astype(np.int64) * width + (states.codes.astype(np.int64) + 1)
    named = metrics.codes >= 0  # a row without a metric stays without one
    codes = np.full(len(pairs), -1, np.int64)
    found_codes, found = pd.factorize(pairs[named])
    codes[named] = found_codes
    names: list[str] = []
    for pair in found.tolist():
        name = str(metrics.categories[pair // width])
        names.append(name if pair % width == 0
                     else f"{name}{AT}{states.categories[pair % width - 1]}")
    return categorical(codes, names)
