"""Messaging CSAT Distribution (``msgcsatdistribution``): satisfaction answers 1 to 5.

LivePerson's pages (:data:`METHOD`'s ``docs``): GET only; ``timeframe``, ``skillIds``,
``agentIds`` and **no** ``interval``, so an answer covers one window (a history stores it per
fetch window, never on a grid of periods). The shape is Engagement Activity's (described,
without an example). Counts of answers per score, their total and the positive ones
(scores 4 and 5), and ``csat_score``, the share of positive answers, sent as a float.

The pages call ``csat_score`` "the percentage of the total answers which were positive"
while the family's notes (``../shared/api/FAMILY.md``) give it as a fraction,
positive / total: engframe follows the notes (a fraction, 0 to 1) and recomputes it from
the counts at every grain.

Examples
--------
>>> from engframe.methods.msgcsatdistribution import METHOD
>>> [i.name for i in METHOD.identities]
['answers_by_score', 'positive_by_score']
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engframe.methods._formula import formula
from engframe.methods._model import SECTIONS, Identity, Kind, Method, Metric

__all__ = ["METHOD", "SCORES"]

#: The answers a consumer can give.
SCORES: Final = (1, 2, 3, 4, 5)
_SCORE: Final = "csat_score{score}_answers"

_METRIC_LIST: Final = (
    *(Metric(_SCORE.format(score=s), Kind.COUNT, "answers", f"CSAT answers of {s}",
             f"Times CSAT answer {s} was submitted.") for s in SCORES),
    Metric("total_answers", Kind.COUNT, "answers", "CSAT answers",
           "Answers submitted."),
    Metric("positive_answers", Kind.COUNT, "answers", "Positive CSAT answers",
           "Answers of 4 and 5 submitted."),
    Metric("csat_score", Kind.RATIO, "fraction", "CSAT score",
           "Share of the answers that were positive (4 or 5).",
           numerator=MappingProxyType({"positive_answers": 1.0}),
           denominator=MappingProxyType({"total_answers": 1.0}), json_float=True),
)

METHOD: Final = Method(
    name="msgcsatdistribution",
    title="Messaging CSAT Distribution",
    family="Messaging Operations",
    path="/operations/api/account/{account}/msgcsatdistribution",
    http=("GET",),
    timeframe=(1, 1440),
    interval=False,
    ids=MappingProxyType({"skills": "skillIds", "agents": "agentIds"}),
    version=1,
    layout=SECTIONS,
    dimensions=("skill", "agent"),
    metrics=_METRIC_LIST,
    derived=(
        _METRIC_LIST[5].formula(),
        _METRIC_LIST[7].formula(),
        *(formula(f"csatShare_score{s}", _SCORE.format(score=s), "total_answers",
                  unit="fraction", description=f"Share of the answers that were {s}.",
                  label=f"Share of CSAT answers of {s}") for s in SCORES),
    ),
    identities=(
        Identity("answers_by_score", "total_answers",
                 tuple(_SCORE.format(score=s) for s in SCORES),
                 "answers of 1 to 5 vs all answers"),
        Identity("positive_by_score", "positive_answers",
                 tuple(_SCORE.format(score=s) for s in (4, 5)),
                 "answers of 4 and 5 vs positive answers"),
    ),
    time_unit="s",
    time_unit_stated=True,
    units_note="Counts of answers, and a fraction; no durations.",
    docs=(
        "pages/documents/data/messaging-operations/methods/messaging-csat-distribution.md",
        "pages/documents/RealTimeData/MessagingOperationsAPI/methods/"
        "messaging-csat-distribution.md",
    ),
    volume="total_answers",
)
