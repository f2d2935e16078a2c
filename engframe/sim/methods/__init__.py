"""Each method's part of the simulator: which events it counts, and how it shows them.

A :class:`Measure` says, for one method of the catalogue (:mod:`engframe.methods`), what
ids its skill positions stand for, which events of the simulated center fall in each
interval (:class:`~engframe.sim.aggregate.Events`: one row per event, one column per summed
metric), and how a group's exact sums are shown as the API shows them (whole seconds,
averages and scores as 32-bit floats). :mod:`engframe.sim.render` lays them out in the
method's response shape; :mod:`engframe.sim.app` serves every method in :data:`MEASURES`.

Adding a method to the simulator is one module here, registered in :data:`MEASURES`.

Examples
--------
>>> sorted(MEASURES)
['engactivity', 'msgconversation', 'msgcsatdistribution']
>>> float32_shown([426], [21])
[20.285715]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from engframe.methods import Method
from engframe.sim.aggregate import Events
from engframe.sim.model import Center

__all__ = ["MEASURES", "Measure", "float32_shown", "seconds_shown"]


@dataclass(frozen=True, slots=True)
class Measure:
    """A method's part of the simulator.

    Attributes
    ----------
    method : Method
        The catalogue's entry.
    skill_ids : callable
        ``skill_ids(center)``: the id each skill position stands for, ascending.
    events : callable
        ``events(center, edges_ms, visible_ms, skill_mask, agent_mask)``: the method's
        events in the intervals ``[edges[i], edges[i + 1])``, of the skills and agents
        chosen, up to ``visible_ms``.
    shown : callable
        ``shown(raw)``: each row of exact sums as the metric map the API sends.
    """

    method: Method
    skill_ids: Callable[[Center], np.ndarray]
    events: Callable[[Center, np.ndarray, int, np.ndarray, np.ndarray], Events]
    shown: Callable[[np.ndarray], list[dict[str, Any]]]


def seconds_shown(ms: np.ndarray) -> np.ndarray:
    """Whole seconds of milliseconds, each element rounded on its own (half up), as the API.

    Examples
    --------
    >>> seconds_shown(np.array([1_499, 1_500])).tolist()
    [1, 2]
    """
    shown: np.ndarray = (ms + 500) // 1000
    return shown


def float32_shown(numerator: Sequence[float] | np.ndarray,
                  denominator: Sequence[float] | np.ndarray) -> list[Any]:
    """Ratios as the API sends them: a 32-bit float in its shortest decimals; 0 over nothing.

    LivePerson's msgconversation page shows 426 / 21 as ``20.285715`` (20.2857142... as a
    float32) and ``0`` where nothing was resolved.

    Examples
    --------
    >>> float32_shown([215, 0, 2], [226, 0, 3])
    [0.95132744, 0, 0.6666667]
    """
    top = np.asarray(numerator, np.float64)
    bottom = np.asarray(denominator, np.float64)
    ratio = np.divide(top, bottom, out=np.zeros(len(top)), where=bottom != 0).astype(np.float32)
    # str() of a numpy float32 is its shortest decimals, as the API prints them
    return [float(str(value)) if below else 0
            for value, below in zip(ratio, bottom != 0, strict=True)]


def _registry() -> Mapping[str, Measure]:
    from engframe.sim.methods import engactivity, msgconversation, msgcsatdistribution

    measures = (engactivity.MEASURE, msgconversation.MEASURE, msgcsatdistribution.MEASURE)
    return MappingProxyType({m.method.name: m for m in measures})


#: Every method the simulator serves, by name.
MEASURES: Final[Mapping[str, Measure]] = _registry()
