"""engframe: LivePerson real-time data (chat and messaging) as tidy pandas frames.

Every method engframe knows (Engagement Activity, Messaging Conversation, Messaging CSAT
Distribution) is described in its catalogue, ``engframe.methods``: the request, the response
shape, and each metric's kind, which says how it aggregates. The main functions, in the order
the data flows::

    engframe.load(source_or_query)    saved responses (file, folder) or a live query -> frame
    engframe.flatten(response)        one response (dict, JSON text, file) -> the tidy frame
    engframe.Client(account, ...)     the live API: hosts, credentials, cache, retries
    engframe.derive(df, by=...)       average handling time and more, as ratios of sums
    engframe.select(df, ...)          one level and one span, before summing anything
    engframe.to_wide(df)              one column per metric
    engframe.reconcile(df)            do the parts add up to the API's totals? (summarize)
    engframe.to_parquet(df, path)     one parquet file (engframe.read_parquet reads it back)
    engframe.export(df, root)         upsert into a history dataset (engframe.read_dataset)
    engframe.scan(root, start=...)    a history, lazily: derive/reconcile it out of core
    engframe.sync(root, every=60)     fetch and export, once or on a schedule
    engframe.unflatten(df)            the tidy frame back to the nested response
    engframe.plot                     charts: timeseries, ranking, drift, queue, states, service
    engframe.names                    skill, agent and team names (attach_names)
    engframe.repair_dataset(root)     convert a history written by engframe 0.1
    engframe.sim                      a simulated API on 127.0.0.1, for trying all of it

Every error engframe raises derives from ``engframe.EngframeError``; the classes
(``QueryError``, ``AuthError``, ``ResponseError``...) are importable from ``engframe`` and
drawn as a tree in ``help(engframe.errors)``. The ``engframe`` command (``engframe
--help``) runs the same steps from a shell.

Examples
--------
>>> import engframe
>>> df = engframe.load("data/samples/skill_2.json")
>>> df.columns[:7].tolist()
['timestamp', 'skill', 'agent', 'metric', 'value', 'level', 'span']
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any, Final

# Errors: importable here, documented in engframe.errors. They stay out of __all__ so that
# help(engframe) shows the functions, not thirteen copies of the builtin exceptions' methods.
# (engframe.errors imports nothing heavy: the command line's --help stays fast.)
from engframe.errors import APIError as APIError
from engframe.errors import AuthError as AuthError
from engframe.errors import ConfigError as ConfigError
from engframe.errors import DatasetError as DatasetError
from engframe.errors import EngframeError as EngframeError
from engframe.errors import EngframeWarning as EngframeWarning
from engframe.errors import FrameError as FrameError
from engframe.errors import MetricError as MetricError
from engframe.errors import OptionError as OptionError
from engframe.errors import OutputError as OutputError
from engframe.errors import QueryError as QueryError
from engframe.errors import RateLimitError as RateLimitError
from engframe.errors import ResponseError as ResponseError
from engframe.errors import SourceError as SourceError

if TYPE_CHECKING:  # what the names below are, for type checkers and editors
    from engframe import names, plot
    from engframe.client import Client
    from engframe.derive import derive, formula, select, to_wide
    from engframe.flatten import flatten
    from engframe.history import export, read_dataset, repair_dataset
    from engframe.lazy import scan
    from engframe.load import load
    from engframe.names import Names, attach_names, read_names
    from engframe.parquet import read_parquet, to_parquet
    from engframe.reconcile import reconcile, summarize
    from engframe.service_level import service_level
    from engframe.sync import sync
    from engframe.unflatten import unflatten

__version__ = "0.3.0"

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: ``import engframe`` (and ``engframe --help``) does not pay for pandas, pyarrow, requests
#: and matplotlib before anything needs them.
_LAZY: Final = {
    "Client": "engframe.client",
    "Names": "engframe.names",
    "attach_names": "engframe.names",
    "derive": "engframe.derive",
    "export": "engframe.history",
    "flatten": "engframe.flatten",
    "formula": "engframe.derive",
    "load": "engframe.load",
    "read_dataset": "engframe.history",
    "read_names": "engframe.names",
    "read_parquet": "engframe.parquet",
    "reconcile": "engframe.reconcile",
    "repair_dataset": "engframe.history",
    "scan": "engframe.lazy",
    "select": "engframe.derive",
    "service_level": "engframe.service_level",
    "summarize": "engframe.reconcile",
    "sync": "engframe.sync",
    "to_parquet": "engframe.parquet",
    "to_wide": "engframe.derive",
    "unflatten": "engframe.unflatten",
}
#: Submodules that are public names themselves.
_MODULES: Final = frozenset({"names", "plot"})


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"engframe.{name}")
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'engframe' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_MODULES})


class _Package(types.ModuleType):
    """engframe's module type: ``engframe.load`` stays the function once loaded.

    Importing a submodule sets it as an attribute of its package; ``load``, ``flatten``,
    ``derive``, ``reconcile``, ``sync`` and ``unflatten`` are both submodules and the
    functions of the same names, and the functions are what ``engframe.<name>`` means.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # a submodule loading: engframe.<name> stays (or becomes) the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "Client",
    "Names",
    "__version__",
    "attach_names",
    "derive",
    "export",
    "flatten",
    "formula",
    "load",
    "names",
    "plot",
    "read_dataset",
    "read_names",
    "read_parquet",
    "reconcile",
    "repair_dataset",
    "scan",
    "select",
    "service_level",
    "summarize",
    "sync",
    "to_parquet",
    "to_wide",
    "unflatten",
]
