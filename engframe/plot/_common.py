"""What the charts share: their options' choices and defaults, axes, labels and checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from engframe.derive import Formula
from engframe.derive._select import (
    missing_key_hint,
)
from engframe.errors import OptionError
from engframe.methods import HOURS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BY_CHOICES",
    "DEFAULT_MIN_VOLUME",
    "DEFAULT_PARTIAL",
    "DEFAULT_RANK_TOP",
    "DEFAULT_TOP",
    "DOT_AREA",
    "GRAINS",
    "NO_GROUP",
    "OTHER",
    "PARTIAL_NOTE",
    "PARTIAL_STYLES",
    "STATUS_COLORS",
]


#: Series drawn by :func:`timeseries` before the rest are grouped as :data:`OTHER`.
DEFAULT_TOP: Final = 5


#: Bars drawn by :func:`ranking`.
DEFAULT_RANK_TOP: Final = 20


#: The least volume (chats, by default) :func:`ranking` needs to rank a skill or agent.
DEFAULT_MIN_VOLUME: Final = 20


#: Label of the series that groups every skill or agent outside the top N.
OTHER: Final = "other"


#: Time axes of :func:`timeseries`: per interval (None), per calendar hour or day.
GRAINS: Final = (None, "hour", "day")


#: What :func:`timeseries` does with partial periods: draw them hollow, or leave them out.
PARTIAL_STYLES: Final = ("mark", "omit")


DEFAULT_PARTIAL: Final = "mark"


#: The legend entry of the hollow markers.
PARTIAL_NOTE: Final = "partial period (window starts or ends inside it)"


#: Colour of each reconciliation status in :func:`drift`.
STATUS_COLORS: Final[Mapping[str, str]] = {
    "ok": "#9e9e9e",
    "rounding": "#1f77b4",
    "mismatch": "#d62728",
}


#: Area [pt^2] of a :func:`drift` dot standing for one check; n checks get ``sqrt(n)``
#: times it, at most 40 times (10 checks: 3.2 times, 1000 checks: 32 times).
DOT_AREA: Final = 18.0


#: What ``by`` may name: the id column, the column holding its name in a frame with
#: names (:data:`engframe.names.NAME_COLUMNS`), and the noun titles and legends use.
BY_CHOICES: Final[Mapping[str, tuple[str, str]]] = {
    "skill": ("skill_name", "skill"),
    "agent": ("agent_name", "agent"),
    "agent_group": ("agent_group_name", "team"),
}


#: Label of the agents that belong to no agent group, in ``by="agent_group"`` charts.
NO_GROUP: Final = "no group"


_SERIES: Final = "_series"


_OTHER_STYLE: Final[Mapping[str, Any]] = {"color": "#7f7f7f", "linestyle": "--"}


#: The clock time a period's data covers [h], as derive counts it.
_COVERED: Final = Formula("_covered", {HOURS: 1.0})


#: A period covered to within this much [h] (a second) is full.
_TOLERANCE_HOURS: Final = 1 / 3600


_DRIFT_LABELS: Final = {
    "count": "sum of parts - reported [count]",
    "s": "sum of parts - reported [s]",
    "fraction": "recomputed - reported [fraction]",
    "%": "relative difference [%]",
}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(9, 4.5), layout="constrained")
    return new


def _check_by(df: pd.DataFrame, by: str | None, *, where: str, allow_none: bool) -> None:
    if by is None and allow_none:
        return
    if by is None or by not in BY_CHOICES:
        choices = ", ".join(BY_CHOICES) + (" or None" if allow_none else "")
        raise OptionError(f"{where}: by={by!r}; expected {choices}")
    if by not in df.columns:
        raise OptionError(f"{where}: by={by!r} needs the agents' groups, which the frame "
                          f"lacks{missing_key_hint(by)}")


def _name_keys(df: pd.DataFrame, by: str) -> list[str]:
    """``by``'s name column, when the frame has names: grouped on beside the id, so the
    derived rows carry each one's label (a name is a property of its id: no group splits)."""
    name = BY_CHOICES[by][0]
    return [name] if name in df.columns else []


def _labels(table: pd.DataFrame, by: str) -> list[str]:
    """How each row of ``table`` (derived by ``by`` and its name) is called in a chart."""
    name, noun = BY_CHOICES[by]
    if name in table.columns:
        fallback = NO_GROUP if by == "agent_group" else None
        return [str(x) if not pd.isna(x) else (fallback or f"{noun} {i}")
                for x, i in zip(table[name], table[by], strict=True)]
    return [f"{noun} {i}" if not pd.isna(i) else NO_GROUP for i in table[by]]


def _check_top(top: int, *, where: str) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise OptionError(f"{where}: top must be a positive integer, found {top!r}")


def _check_choice(value: object, allowed: tuple[Any, ...], name: str, *, where: str) -> None:
    if value not in allowed:
        raise OptionError(f"{where}: {name}={value!r}; expected one of "
                          f"{', '.join(map(repr, allowed))}")


def _label(f: Formula) -> str:
    """The axis label of a metric: plain words and the unit, "Average handling time (s)"."""
    unit = {"fraction": "0 to 1"}.get(f.unit, f.unit)
    # "Chats", not "Chats (chats)"; but "... conversations (s)": a word, not a letter
    if not unit or unit.lower() in f.title.lower().split():
        return f.title
    return f"{f.title} ({unit})"


def _wall_time(stamps: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(stamps, utc=True).dt.tz_convert(tz).dt.tz_localize(None)


def _weight_formula(f: Formula) -> Formula:
    """What "biggest" means for top N: the volume behind the metric, not its value."""
    if f.is_ratio and "hours" not in f.denominator:
        return Formula("_weight", f.denominator)
    return Formula("_weight", {k: abs(w) for k, w in f.numerator.items()})


#: What tells a row's period and how much of it the row's data covers (see
#: :mod:`engframe.derive._periods`), and its level: rows equal in all of these are
#: interchangeable for the hours a period covers.
_COVERAGE_KEYS: Final = ("timestamp", "start", "fetched_at", "source", "account", "level")


def _date_axis(axes: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    )
