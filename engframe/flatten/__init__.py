"""The flatten stage: a response (dict, JSON text, file) into the tidy long frame.

``engframe.flatten`` is both this package and its one public function, as
``engframe.derive`` is: ``from engframe.flatten import flatten`` and ``engframe.flatten(r)``
both work.

The data flows one way through its private modules: :mod:`~engframe.flatten._decode` (JSON,
lazily, unwrapped) -> each interval through :mod:`~engframe.flatten._typed` (the fast path,
for the API's exact shape) or :mod:`~engframe.flatten._walk` + :mod:`~engframe.flatten._arrays`
(the general path, which also names the problems of a malformed response) ->
:func:`engframe.schema.build_frame`, in :mod:`~engframe.flatten._core`. Each piece of raw
JSON is checked for repeated keys as it is converted (:mod:`~engframe.flatten._repeats`).

Examples
--------
>>> from engframe.flatten import flatten
>>> flatten('{"metricsTotals": {"totalInteractiveChats": 1}}')["value"].tolist()
[1]
"""

from engframe.flatten._core import flatten

__all__ = ["flatten"]
