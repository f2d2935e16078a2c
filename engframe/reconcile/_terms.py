"""The words of the checks frame: its relations, statuses and reasons, the metrics rounded
per element, the columns that tell responses apart."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np

from engframe.methods import METHODS
from engframe.schema import BUCKET_COLUMN, REASON_COLUMN, SPANS, STATE_COLUMN
from engframe.scope import RELATIONS

#: Metrics the API rounds element by element (handling times, in seconds, of every method of
#: the catalogue): a total may differ from the sum of its parts by the rounding of each.
#: Counts are exact.
ROUNDED_METRICS: Final = frozenset().union(*(m.rounded for m in METHODS.values()))

#: The relations between metrics of one row: an average (a ratio) against the ratio of the
#: sums behind it, which the API computes as a 32-bit float.
AVERAGE_RELATION: Final = "average_vs_its_sums"
RATIO_RELATION: Final = "ratio_vs_its_counts"

#: Every relation reconcile may report, in plain words (for charts and reports).
RELATION_LABELS: Final = {
    **{r.name: r.label for r in RELATIONS},
    **{i.name: i.label for m in METHODS.values() for i in m.identities},
    AVERAGE_RELATION: "an average vs its sums, recomputed",
    RATIO_RELATION: "a ratio vs its counts, recomputed",
}

#: How the API may round each value to whole seconds: to the nearest (the default: the
#: simulator does so, and ten simulated days never drift beyond it,
#: ``benchmarks/bench_reconcile.py --drift``), or down.
ROUNDINGS: Final = ("nearest", "truncate")

#: Check outcomes, mildest first.
STATUSES: Final = ("ok", "rounding", "mismatch")

#: Why a check got its status, in words (the ``reason`` column).
REASONS: Final = (
    "exact",
    "within rounding",
    "parts exceed the whole",
    "parts short of the whole",
    "differs from the ratio of its sums",
)
_EXACT, _ROUNDING, _OVER, _SHORT, _RECOMPUTED = range(len(REASONS))

#: Columns that tell responses apart in a frame holding several (``fetched_at`` only where
#: the frame stacks fetches of the same periods; see the module's docstring).
RESPONSE_KEYS: Final = ("source", "method", "account", "fetched_at")

_OUTPUT: Final = (
    "relation", "level", "span", "timestamp", "skill", "agent", "metric", "reported",
    "sum_of_parts", "difference", "relative_difference", "parts", "tolerance", "beyond",
    "status", "reason",
)
_SPAN: Final = {name: code for code, name in enumerate(SPANS)}
_NO_STAMP: Final = np.iinfo(np.int64).min  # NaT in epoch ms


#: The name columns a named frame (:func:`engframe.names.attach_names`) lends its checks.
_NAMED: Final = (("skill", "skill_name"), ("agent", "agent_name"))
#: A frame's dimension columns as its checks name them: an Away reason is ``away_reason``,
#: since a check's ``reason`` says why its status is what it is.
CHECK_DIMENSIONS: Final = MappingProxyType({STATE_COLUMN: STATE_COLUMN,
                                            REASON_COLUMN: "away_reason",
                                            BUCKET_COLUMN: BUCKET_COLUMN})


