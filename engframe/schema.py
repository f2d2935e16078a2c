"""The tidy frame: its columns, dtypes, levels and metrics, defined once.

Every engframe frame has these seven columns, in this order:

=========  ======================  ==================================================
column     dtype                   meaning
=========  ======================  ==================================================
timestamp  datetime64[ms, UTC]     end of the period the value covers (NaT if unknown)
skill      Int64                   skill id, ``<NA>`` where the value is not per skill
agent      Int64                   agent id, ``<NA>`` where the value is not per agent
metric     category                the API's metric name, verbatim
value      int64 or float64        the value, exact (see below)
level      category                which part of the response it comes from
span       category                ``interval`` or ``timeframe``
=========  ======================  ==================================================

The eighth, ``method`` (category), says which API method each value comes from
(:mod:`engframe.methods`: ``engactivity``, ``msgconversation``, ``msgcsatdistribution``):
known from a saved envelope's request, else inferred from the metric names through the
catalogue, else ``<NA>``. Values of different methods never add into one number. More
columns may follow (``account``, ``fetched_at``, ``start``, ``complete`` for fetches,
``source`` when loading a folder).

The value dtype is set per response, not per interval: ``int64`` when every value of the
response is a JSON integer, ``float64`` as soon as one value is a JSON number with a
fraction or an exponent (``31.533981``, ``1e2``), as in the Messaging Operations methods'
averages. float64 holds every such number as the JSON decoder read it, and integers exactly
up to 2**53 in magnitude (:data:`MAX_EXACT_INT`): a response with floats and an integer
beyond that is refused. ``df.attrs["float_metrics"]`` lists (sorted) the metrics that held a
float, so that :func:`engframe.unflatten` gives back floats there and integers elsewhere.
NaN and infinity are not JSON, and booleans are not numbers: both are refused.

Ids are signed 64-bit integers (:data:`MIN_ID`..:data:`MAX_ID`; live accounts report chats
never assigned a skill under skill -1). Whether a row has a skill or an agent follows from
its level (:data:`LEVEL_HAS`), never from the id's value.

Examples
--------
>>> from engframe import schema
>>> schema.COLUMNS
('timestamp', 'skill', 'agent', 'metric', 'value', 'level', 'span')
>>> schema.LEVELS[:2]
('account', 'skill_agent')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from engframe._keys import code_counts
from engframe.errors import FrameError
from engframe.methods import SECTIONS
from engframe.methods.engactivity import METHOD as ENGACTIVITY

__all__ = [
    "AGENTS_KEY",
    "BUCKET_COLUMN",
    "COLUMNS",
    "DIMENSION_COLUMNS",
    "DTYPES",
    "INTERVALS_KEY",
    "LEVELS",
    "LEVEL_CODE",
    "LEVEL_DTYPE",
    "LEVEL_HAS",
    "MAX_EXACT_INT",
    "MAX_ID",
    "METHOD_COLUMN",
    "METRICS",
    "MIN_ID",
    "NAT_MS",
    "PER_AGENT_KEY",
    "PER_SKILL_KEY",
    "REASON_COLUMN",
    "SKILLS_KEY",
    "SPANS",
    "SPAN_DTYPE",
    "STATE_COLUMN",
    "TIMESTAMP_DTYPE",
    "TOTALS_KEY",
    "build_frame",
    "categorical",
    "check_frame",
    "concat_frames",
    "empty_frame",
    "epoch_ms",
    "utc_stamps",
]

#: The five metrics Engagement Activity documents, in the spec's order (every method's
#: metrics are in the catalogue, :mod:`engframe.methods`).
METRICS: Final = ENGACTIVITY.metric_names

#: Where a value comes from in the response.
LEVELS: Final = ("account", "skill_agent", "skill", "skills_total", "agent", "agents_total")
#: Each level's code (its position in :data:`LEVELS`), as the level category's codes.
LEVEL_CODE: Final = {name: code for code, name in enumerate(LEVELS)}

#: Which ids each level carries: (has skill, has agent).
LEVEL_HAS: Final = {
    "account": (False, False),
    "skill_agent": (True, True),
    "skill": (True, False),
    "skills_total": (False, False),
    "agent": (False, True),
    "agents_total": (False, False),
}

#: The response's member names, as the spec's JSON examples spell them (the catalogue's
#: :data:`engframe.methods.SECTIONS` layout).
INTERVALS_KEY: Final = "metricsByIntervals"
SKILLS_KEY: Final = SECTIONS.skills
AGENTS_KEY: Final = SECTIONS.agents
TOTALS_KEY: Final = SECTIONS.totals
PER_SKILL_KEY: Final = SECTIONS.per_skill
PER_AGENT_KEY: Final = SECTIONS.per_agent

#: The largest and smallest skill or agent ids (ids are exact signed 64-bit integers; live
#: accounts report chats never assigned a skill under skill -1).
MAX_ID: Final = 2**63 - 1
MIN_ID: Final = -(2**63)

#: The largest integer magnitude a float64 value column holds exactly (2**53).
MAX_EXACT_INT: Final = 2**53

#: ``interval``: one interval of ``metricsByIntervals``; ``timeframe``: the whole window;
#: ``snapshot``: one moment (queuestate: its time is the fetch's).
SPANS: Final = ("interval", "timeframe", "snapshot")

COLUMNS: Final = ("timestamp", "skill", "agent", "metric", "value", "level", "span")

#: The column that follows the seven: which API method a row's value comes from
#: (category: ``engactivity``, ``msgconversation``... from :mod:`engframe.methods`), known
#: from the saved envelope's request or inferred from the metric names, else ``<NA>``.
#: Values of different methods never add into one number.
METHOD_COLUMN: Final = "method"

#: The dimension columns some methods add after ``method`` (only to their own frames):
#: agentactivity's ``state`` (category: the page's name of the state's id) and ``reason``
#: (category: an Away reason's id, on the rows that break Away down); sla's ``bucket``
#: (Int64: the bucket's lower bound [s]).
STATE_COLUMN: Final = "state"
REASON_COLUMN: Final = "reason"
BUCKET_COLUMN: Final = "bucket"
DIMENSION_COLUMNS: Final = (STATE_COLUMN, REASON_COLUMN, BUCKET_COLUMN)

TIMESTAMP_DTYPE: Final = pd.DatetimeTZDtype(unit="ms", tz="UTC")
LEVEL_DTYPE: Final = pd.CategoricalDtype(list(LEVELS))
SPAN_DTYPE: Final = pd.CategoricalDtype(list(SPANS))

DTYPES: Final[dict[str, Any]] = {
    "timestamp": TIMESTAMP_DTYPE,
    "skill": pd.Int64Dtype(),
    "agent": pd.Int64Dtype(),
    "metric": "category",
    "value": np.dtype("int64"),  # float64 for a response that holds floats (see above)
    "level": LEVEL_DTYPE,
    "span": SPAN_DTYPE,
}

#: Epoch milliseconds standing for NaT (int64 min, as numpy's datetime64 NaT).
NAT_MS: Final = np.iinfo(np.int64).min
#: The level codes whose rows have a skill, and those whose rows have an agent.
_SKILL_CODES: Final = tuple(code for code, level in enumerate(LEVELS) if LEVEL_HAS[level][0])
_AGENT_CODES: Final = tuple(code for code, level in enumerate(LEVELS) if LEVEL_HAS[level][1])


def build_frame(
    *,
    timestamp_ms: np.ndarray,
    skill: np.ndarray,
    agent: np.ndarray,
    metric_codes: np.ndarray,
    metrics: Sequence[str],
    value: np.ndarray,
    level_codes: np.ndarray,
    span_codes: np.ndarray,
) -> pd.DataFrame:
    """Assemble a tidy frame from flat arrays, without copying where it can.

    ``timestamp_ms`` is epoch milliseconds with ``numpy.iinfo(int64).min`` for NaT;
    ``skill`` and ``agent`` are read only where the row's level has one (:data:`LEVEL_HAS`),
    elsewhere they are ``<NA>`` whatever the array holds; ``value`` is int64 or float64;
    the ``*_codes`` index ``metrics``, :data:`LEVELS` and :data:`SPANS`.
    """
    columns = {
        "timestamp": utc_stamps(timestamp_ms),
        "skill": _nullable_ids(skill, _lacking(level_codes, _SKILL_CODES)),
        "agent": _nullable_ids(agent, _lacking(level_codes, _AGENT_CODES)),
        "metric": categorical(metric_codes, metrics),
        "value": value,
        "level": pd.Categorical.from_codes(level_codes, dtype=LEVEL_DTYPE),
        "span": pd.Categorical.from_codes(span_codes, dtype=SPAN_DTYPE),
    }
    return pd.DataFrame(columns, copy=False)


def epoch_ms(column: pd.Series) -> np.ndarray:
    """Epoch milliseconds of a datetime column (UTC or naive UTC), NaT as :data:`NAT_MS`.

    Examples
    --------
    >>> epoch_ms(pd.Series(pd.to_datetime(["1970-01-01T00:00:01Z", None]))).tolist()
    [1000, -9223372036854775808]
    """
    # a zoned column's values are UTC instants already: read as they are (no copy in ms)
    ms: np.ndarray = column.to_numpy("datetime64[ms]").view(np.int64)
    return ms


def utc_stamps(ms: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps (:data:`TIMESTAMP_DTYPE`) from epoch milliseconds, int64 min for NaT.

    Examples
    --------
    >>> import numpy as np
    >>> utc_stamps(np.array([0, np.iinfo(np.int64).min])).tolist()
    [Timestamp('1970-01-01 00:00:00+0000', tz='UTC'), NaT]
    """
    return pd.DatetimeIndex(ms.astype(np.int64, copy=False).view("M8[ms]"),
                            dtype=TIMESTAMP_DTYPE)


def categorical(codes: np.ndarray, categories: Sequence[str]) -> Any:
    """A categorical of string ``categories`` from integer ``codes`` (-1 for missing)."""
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories)))


def _lacking(level_codes: np.ndarray, codes: tuple[int, ...]) -> np.ndarray:
    """Which rows have none of the level ``codes`` (a comparison each: faster than a lookup)."""
    missing = np.ones(len(level_codes), bool)
    for code in codes:
        missing &= level_codes != code
    return missing


def _nullable_ids(ids: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(ids.astype(np.int64, copy=False), missing)


def empty_frame() -> pd.DataFrame:
    """A tidy frame with no rows and the right dtypes.

    Examples
    --------
    >>> from engframe.schema import empty_frame
    >>> empty_frame().dtypes["value"]
    dtype('int64')
    """
    none = np.zeros(0, np.int64)
    return build_frame(
        timestamp_ms=none,
        skill=none,
        agent=none,
        metric_codes=none.astype(np.int8),
        metrics=list(METRICS),
        value=none,
        level_codes=none.astype(np.int8),
        span_codes=none.astype(np.int8),
    )


def concat_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack tidy frames, keeping categorical columns categorical.

    ``pandas.concat`` turns a categorical column into ``object`` as soon as two frames
    disagree on its categories (a metric that only one response has); this unites them.
    A column only some frames have is missing (NA) in the rows of the others; a ``bool``
    column becomes the nullable ``boolean`` then. Each column's dtype is decided once, so
    stacking n frames costs time in proportion to n (a folder of thousands of files).
    """
    if not frames:
        return empty_frame()
    names = list(dict.fromkeys(name for frame in frames for name in frame.columns))
    first_dtype: dict[str, Any] = {}
    having = dict.fromkeys(names, 0)
    for frame in frames:
        for name in frame.columns:
            first_dtype.setdefault(name, frame[name].dtype)
            having[name] += 1
    columns = {}
    for name in names:
        partial = having[name] < len(frames)
        dtype = first_dtype[name]
        if partial and dtype == np.dtype(bool):
            dtype = pd.BooleanDtype()
        parts = [_column_or_missing(frame, name, dtype, partial) for frame in frames]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            columns[name] = pd.Series(union_categoricals(_alike(parts), ignore_order=True))
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns, copy=False)


def _alike(parts: list[pd.Series]) -> list[pd.Series]:
    """Categoricals whose categories share one dtype: an empty set of categories (a name
    column of a frame without skills) takes the others' (pandas refuses to unite them)."""
    kinds = {part.cat.categories.dtype for part in parts if len(part.cat.categories)}
    if len(kinds) != 1:
        return parts
    kind = kinds.pop()
    return [part.cat.set_categories(pd.Index([], dtype=kind)) if not len(part.cat.categories)
            else part for part in parts]


def _column_or_missing(frame: pd.DataFrame, name: str, dtype: Any, partial: bool) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(dtype) if partial else frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object)).astype(dtype)


def _held(column: pd.Series) -> tuple[set[Any], bool]:
    """The values a column holds (missing ones left out), and whether any is missing (a
    categorical's codes counted once, not its values compared)."""
    values = column.array
    if isinstance(values, pd.Categorical):
        seen = code_counts(np.asarray(values.codes), len(values.categories))
        return set(values.categories[np.flatnonzero(seen[:-1])]), bool(seen[-1])
    return set(column.dropna().unique()), bool(column.isna().any())


def check_frame(df: object, *, where: str) -> pd.DataFrame:
    """Raise :class:`FrameError` unless ``df`` is a DataFrame with the tidy columns.

    ``where`` names the function that was handed the frame, for the message.
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"{where}: expected a tidy DataFrame, found {type(df).__name__}")
    missing = [name for name in COLUMNS if name not in df.columns]
    if missing:
        raise FrameError(
            f"{where}: the frame lacks the tidy column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, df.columns)) or 'no columns'}"
        )
    held, missing_level = _held(df["level"])
    bad_levels = held - set(LEVELS)
    if bad_levels or missing_level:
        found = sorted(map(str, bad_levels)) if bad_levels else ["<NA>"]
        raise FrameError(
            f"{where}: column 'level' holds {', '.join(found)}; expected one of {', '.join(LEVELS)}"
        )
    held, missing_span = _held(df["span"])
    bad_spans = held - set(SPANS)
    if bad_spans or missing_span:
        found = sorted(map(str, bad_spans)) if bad_spans else ["<NA>"]
        raise FrameError(
            f"{where}: column 'span' holds {', '.join(found)}; expected one of {', '.join(SPANS)}"
        )
    return df
