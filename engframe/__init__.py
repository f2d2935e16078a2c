"""engframe: LivePerson Engagement Activity data as tidy pandas frames.

The data flows one way: query -> HTTP (:class:`Client`) -> raw response -> tidy frame
(:func:`flatten`, :func:`load`) -> derived and reconciled (:func:`derive`,
:func:`reconcile`) -> parquet files and history (:func:`to_parquet`, :func:`export`) and
plots (:mod:`engframe.plot`). :mod:`engframe.names` adds skill, agent and team names
(:func:`attach_names`). :mod:`engframe.sim` serves a simulated API on loopback.

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
from engframe.errors import (
    APIError,
    AuthError,
    ConfigError,
    DatasetError,
    EngframeError,
    EngframeWarning,
    FrameError,
    MetricError,
    OptionError,
    QueryError,
    RateLimitError,
    ResponseError,
    SourceError,
)
from engframe.flatten import flatten
from engframe.history import export, read_dataset, repair_dataset
from engframe.load import load
from engframe.names import Names, attach_names, read_names
from engframe.parquet import read_parquet, to_parquet
from engframe.reconcile import reconcile, summarize
from engframe.sync import sync
from engframe.unflatten import unflatten

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AuthError",
    "Client",
    "ConfigError",
    "DatasetError",
    "EngframeError",
    "EngframeWarning",
    "FrameError",
    "MetricError",
    "Names",
    "OptionError",
    "QueryError",
    "RateLimitError",
    "ResponseError",
    "SourceError",
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
    "select",
    "summarize",
    "sync",
    "to_parquet",
    "to_wide",
    "unflatten",
]
