"""Tidy frames as parquet files that BI tools read, and that come back exactly.

:func:`to_parquet` writes with pyarrow: timestamps as millisecond UTC (``INT64
TIMESTAMP(MILLIS, isAdjustedToUTC=true)``, never nanoseconds, never INT96), categorical
columns as dictionary-encoded strings, snappy compression by default, the tidy column
names, and a CRC checksum on every page, which :func:`read_parquet` verifies: a damaged
file is refused, never read as data. The file's key-value metadata holds the engframe
version, the layout, the query behind the frame (account, timeframe, interval, skills,
agents, fetched_at), the unit of each metric and the frame's exact dtypes; never a
credential. :func:`read_parquet`
rebuilds the very frame that was written: dtypes, category order, ``<NA>`` ids,
timestamps, and ``df.attrs``.

The wide layout (``layout="wide"``) has one column per metric instead of the ``metric``
and ``value`` columns; :func:`read_parquet` turns it back into the long frame.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engframe import _meta
from engframe._arrow import column_specs, default_specs, to_frame, to_table
from engframe._output import write_file
from engframe._wide import from_wide, to_wide
from engframe.derive._attrs import UNITS
from engframe.errors import FrameError, OptionError, SourceError
from engframe.schema import check_frame

__all__ = [
    "COMPRESSIONS",
    "DEFAULT_COMPRESSION",
    "DEFAULT_LAYOUT",
    "LAYOUTS",
    "SUFFIXES",
    "read_parquet",
    "to_parquet",
]

Layout = Literal["long", "wide"]
#: ``long``: the tidy frame as it is; ``wide``: one column per metric.
LAYOUTS: Final = ("long", "wide")
DEFAULT_LAYOUT: Final[Layout] = "long"
#: The codecs pyarrow writes (``"none"`` for uncompressed).
COMPRESSIONS: Final = ("snappy", "zstd", "gzip", "brotli", "lz4", "none")
DEFAULT_COMPRESSION: Final = "snappy"
#: The file name endings :func:`to_parquet` writes to (compared in any case).
SUFFIXES: Final = (".parquet", ".pq")
#: How every engframe parquet file is written (the dataset's partitions too).
WRITE_OPTIONS: Final[Mapping[str, Any]] = {
    "version": "2.6",
    "coerce_timestamps": "ms",
    "allow_truncated_timestamps": False,
    "use_deprecated_int96_timestamps": False,
    "use_dictionary": True,
}


def to_parquet(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    compression: str = DEFAULT_COMPRESSION,
    layout: Layout = DEFAULT_LAYOUT,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write a tidy frame (raw or derived) to one parquet file.

    The file is written beside ``path`` and renamed over it, so an interrupted write
    never leaves a half file at ``path``. Every page carries a CRC checksum, so a file
    damaged later is refused by :func:`read_parquet` instead of read as data.

    Parameters
    ----------
    df : pandas.DataFrame
        A tidy frame (:func:`engframe.flatten`, :func:`engframe.load` or a derived one);
        ``value`` may be integer (raw counts and seconds) or float (derived metrics).
        Its index is not stored.
    path : str or path-like
        The file to write: its name ends in ``.parquet`` or ``.pq`` (any case) and its
        folder exists.
    compression : str, default "snappy"
        One of :data:`COMPRESSIONS`.
    layout : {"long", "wide"}, default "long"
        ``"long"`` stores the frame as it is. ``"wide"`` stores one column per metric
        (integer for raw frames, float for derived ones) beside the other columns
        (timestamp, skill, agent, level, span, and account, fetched_at, start, complete,
        source when present); an empty cell means the frame had no such row. Counts
        stay integers in derived frames too (``df.attrs["integer_metrics"]``, which
        :func:`engframe.derive` sets: ``totalChats``, raw sums), averages are floats.
    metadata : mapping of str to str, optional
        Extra key-value pairs for the file's metadata. Keys starting with ``engframe.``
        are engframe's own; credential-like pairs are left out with a warning.

    Raises
    ------
    FrameError
        If ``df`` is not a tidy frame, its ``value`` is not numeric, or (wide layout)
        two rows share a key and a metric.
    OptionError
        If ``path`` does not end in ``.parquet`` or ``.pq`` (to_parquet writes parquet
        only: for CSV, ``df.to_csv(path, index=False)``), or ``compression``, ``layout``
        or ``metadata`` is not one engframe accepts.
    OutputError
        If the file cannot be written (missing folder, permission, full disk); the
        message names ``path``, and a file already there is left as it was.

    Notes
    -----
    The key-value metadata holds ``engframe.version``, ``engframe.layout``,
    ``engframe.query`` (JSON: account, timeframe, interval, skills, agents, fetched_at),
    ``engframe.units`` (JSON: metric -> unit, such as ``"s"`` or ``"chats"``) and
    ``engframe.columns`` (the exact dtypes, for :func:`read_parquet`).

    Examples
    --------
    >>> import engframe, tempfile, os
    >>> df = engframe.flatten('{"metricsTotals": {"totalInteractiveChats": 3}}')
    >>> path = os.path.join(tempfile.mkdtemp(), "chats.parquet")
    >>> engframe.to_parquet(df, path)
    >>> engframe.read_parquet(path).equals(df)
    True
    """
    df = check_frame(df, where="to_parquet")
    _check_suffix(path)
    _choose(compression, COMPRESSIONS, "compression")
    _choose(layout, LAYOUTS, "layout")
    value = df["value"].dtype
    if not (isinstance(value, np.dtype) and value.kind in "iuf"):
        raise FrameError(f"to_parquet: column 'value' must hold int or float numbers "
                         f"(numpy int64 or float64), found dtype {value}")
    specs = column_specs(df)
    table = to_table(df, where="to_parquet") if layout == "long" else to_wide(
        df, where="to_parquet")
    table = _typed_nulls(table, df)
    pairs = _meta.build(layout=layout, query=_meta.query_of(df), specs=specs, extra=metadata,
                        units=_meta.units_of(df), note=_meta.units_note(df),
                        where="to_parquet")
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **pairs})
    write_file(path, lambda tmp: pq.write_table(table, tmp, compression=compression,
                                                write_page_checksum=True, **WRITE_OPTIONS))


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a parquet file written by :func:`to_parquet` back into the frame written.

    Files in the wide layout come back long. Files engframe did not write are read with
    the tidy dtypes for the tidy columns.

    Parameters
    ----------
    path : str or path-like
        The parquet file.

    Returns
    -------
    pandas.DataFrame
        The frame, with the dtypes it was written with. ``df.attrs`` holds the query
        the file records (``query``, ``account``, ``fetched_at``, as
        :func:`engframe.flatten` spells them), the metrics' ``units`` and any extra
        ``metadata``.

    Raises
    ------
    SourceError
        If the file is missing, is not a readable parquet file, or is damaged: every
        page's checksum (written by :func:`to_parquet`) is verified, and a page whose
        data does not match it fails the read, naming the file.
    FrameError
        If a file engframe did not write lacks the tidy columns.

    Examples
    --------
    >>> import engframe, tempfile, os
    >>> df = engframe.flatten('{"metricsTotals": {"totalHandlingTime": 120}}')
    >>> path = os.path.join(tempfile.mkdtemp(), "aht.parquet")
    >>> engframe.to_parquet(df, path, layout="wide")
    >>> engframe.read_parquet(path)[["metric", "value"]]
                  metric  value
    0  totalHandlingTime    120
    """
    table = _read_table(Path(path))
    layout, query, specs, extra = _meta.parse(table.schema.metadata)
    if layout == "wide":
        if specs is None:
            raise SourceError(f"{path}: a wide engframe file without its column metadata")
        df = from_wide(table, specs)
    else:
        df = to_frame(table, specs or default_specs(table.schema))
        if specs is None:
            check_frame(df, where=f"read_parquet({os.fspath(path)!r})")
    df.attrs.update(_meta.attrs_of(query, extra))
    units = _meta.parse_units(table.schema.metadata)
    if units:
        df.attrs[UNITS] = units
    return df


def _typed_nulls(table: pa.Table, df: pd.DataFrame) -> pa.Table:
    """Give an all-missing categorical column (``skill_name`` of a frame without skills)
    the dictionary-of-strings type of its filled siblings, not Arrow's ``null`` type, so
    that BI tools reading several files see one type."""
    for index, field in enumerate(table.schema):
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        if pa.types.is_null(kind) and isinstance(df.dtypes.get(field.name),
                                                 pd.CategoricalDtype):
            column = pa.nulls(table.num_rows, pa.dictionary(pa.int8(), pa.string()))
            table = table.set_column(index, field.name, column)
    return table


def _read_table(path: Path) -> pa.Table:
    if path.is_dir():
        raise SourceError(f"{path}: is a folder; engframe.read_dataset reads a history dataset")
    try:
        return pq.read_table(path, page_checksum_verification=True)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (pa.ArrowException, OSError) as exc:
        if "checksum" in str(exc).lower():
            raise SourceError(f"{path}: damaged: a page's checksum does not match its data "
                              f"({exc}); nothing of it was read") from None
        raise SourceError(f"{path}: not a readable parquet file ({exc})") from None


def _check_suffix(path: str | os.PathLike[str]) -> None:
    name = os.fspath(path)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise OptionError(
            f"to_parquet: path {name!r} must end in {' or '.join(SUFFIXES)} (any case): "
            "to_parquet writes parquet only; for CSV use df.to_csv(path, index=False), "
            "or engframe.to_wide(df).to_csv(path, index=False) for one column per metric"
        )


def _choose(value: object, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise OptionError(f"to_parquet: {name} must be one of {', '.join(map(repr, allowed))}, "
                          f"found {value!r}")
