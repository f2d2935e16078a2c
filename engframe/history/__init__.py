"""A history that outlives the API's 24 hours, and that BI tools can sum.

The API looks back 24 hours only; exporting every fetch into one dataset keeps the rest. A
history holds **facts**: for every series (level, account, skill, agent, metric) one value per
period of the dataset's **grid**, never two for overlapping periods, so that every sum over it
counts each chat once, however many fetches were exported, in whatever order:

- **one grid per dataset**: the first export's interval length and phase (5-minute buckets
  for ``engframe sync`` and ``engframe demo``); a fetch whose intervals do not line up is
  refused with a :class:`~engframe.errors.DatasetError` and nothing is written;
- **the best value** of a period is the one covering most of it (a still-filling interval
  covers up to its fetch time; the API's oldest interval only the remainder of the window),
  then the later fetch (:mod:`engframe.history._upsert`);
- **whole-timeframe rows are not facts**: they total the intervals of one window; they are
  not stored (they would count every chat once more per fetch);
- **one table per level**, ``ROOT/<level>/date=YYYY-MM-DD/part-0.parquet``, each with only
  the id columns of its level and a measure named ``<level>_value``: a reader that stacks
  every file of the folder can never add one level's values to another's.

``ROOT/_engframe.json`` records the grid, the values' dtype and the request scope; files carry
page checksums verified on every read. A history written by engframe 0.1 is recognised and
converted by :func:`repair_dataset`.

**Names beside the facts** (``export(..., names=...)``): three dimension tables,
``ROOT/names/skills``, ``ROOT/names/agents`` and ``ROOT/names/agent_groups``, one row per
(account, id) with the id column named as in the fact tables, the names, the useful
attributes and ``read_at`` (:mod:`engframe.history._names`). The latest read wins, names are
never deleted, and ``read_dataset(root, names=True)`` joins them as ``load(..., names=True)``
does; :func:`read_history_names` gives them as an :class:`~engframe.names.Names`.

Examples
--------
>>> from engframe.history import export, read_dataset, repair_dataset
>>> from engframe.history._facts import measure
>>> measure("agent")
'agent_value'
"""

from engframe.history._export import DEFAULT_LOCK_TIMEOUT, LOCK_NAME, ExportResult, export
from engframe.history._facts import measure
from engframe.history._grid import BUCKETS, Grid
from engframe.history._manifest import MANIFEST_NAME
from engframe.history._names_store import read_history_names
from engframe.history._read import HistoryState, history_state, read_dataset
from engframe.history._repair import BACKUP_NAME, RepairResult, repair_dataset
from engframe.history._store import PART_NAME

__all__ = [
    "BACKUP_NAME",
    "BUCKETS",
    "DEFAULT_LOCK_TIMEOUT",
    "LOCK_NAME",
    "MANIFEST_NAME",
    "PART_NAME",
    "ExportResult",
    "Grid",
    "HistoryState",
    "RepairResult",
    "export",
    "history_state",
    "measure",
    "read_dataset",
    "read_history_names",
    "repair_dataset",
]
