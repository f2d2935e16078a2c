"""engframe: LivePerson Engagement Activity data as tidy pandas frames.

The main functions, in the order the data flows::

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
    engframe.plot                     timeseries, ranking and drift charts
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

from engframe import names, plot
from engframe.client import Client
from engframe.derive import derive, formula, select, to_wide

# Errors: importable here, documented in engframe.errors. They stay out of __all__ so that
# help(engframe) shows the functions, not thirteen copies of the builtin exceptions' methods.
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
from engframe.flatten import flatten
from engframe.history import export, read_dataset, repair_dataset
from engframe.lazy import scan
from engframe.load import load
from engframe.names import Names, attach_names, read_names
from engframe.parquet import read_parquet, to_parquet
from engframe.reconcile import reconcile, summarize
from engframe.sync import sync
from engframe.unflatten import unflatten

__version__ = "0.1.0"

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
    "summarize",
    "sync",
    "to_parquet",
    "to_wide",
    "unflatten",
]
