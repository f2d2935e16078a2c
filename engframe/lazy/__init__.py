"""Analytics on a history where its files are: out of core, on DuckDB or Spark.

:func:`scan` is a lazy handle on a history (``engframe.scan("history/", start=...,
skills=...)``); :func:`engframe.derive` (and ``reconcile`` and the plots) given a scan or a
history's folder compute on its parquet files with an engine (DuckDB in-process by default,
or a Spark session) and return only the small result, equal to the in-memory answer on
``engframe.read_dataset(...)``. The formulas are compiled to SQL from the same
:class:`~engframe.derive.Formula` objects (:mod:`engframe.lazy._sql`), for every engine and
for the BI views :func:`write_views` writes.

Examples
--------
>>> import engframe, tempfile
>>> from engframe.lazy import is_history
>>> is_history(engframe.scan(tempfile.mkdtemp())), is_history(engframe.flatten(
...     "data/samples/account.json"))
(True, False)
"""

from engframe.lazy._scan import Scan, as_scan, is_history, scan
from engframe.lazy._views import VIEWS_FILE, Views, write_views

__all__ = ["VIEWS_FILE", "Scan", "Views", "as_scan", "is_history", "scan", "write_views"]
