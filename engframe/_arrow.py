"""Tidy frames to Arrow tables and back, keeping every pandas dtype exact.

A frame's dtypes are described as data (:class:`ColumnSpec`, JSON-friendly) so a parquet
file can carry them in its metadata and a reader can rebuild the very same frame:
categories in their order, nullable ``Int64`` ids with ``<NA>``, timestamps in their unit
and time zone. Arrow stores timestamps as milliseconds and categoricals as
dictionary-encoded columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import pandas_dtype

from engframe.errors import FrameError
from engframe.schema import DTYPES, TIMESTAMP_DTYPE

__all__ = ["ColumnSpec", "column_specs", "default_specs", "to_frame", "to_table"]

#: Parquet keeps timestamps in this unit: exact for the API's epoch milliseconds.
TIMESTAMP_UNIT: Final = "ms"
_JSON_SCALARS: Final = (str, int, float, bool)
#: Dtypes of the optional tidy columns, for files that carry no engframe metadata.
_OPTIONAL_DTYPES: Final[Mapping[str, Any]] = {
    "account": "category",
    "source": "category",
    "fetched_at": TIMESTAMP_DTYPE,
    "start": TIMESTAMP_DTYPE,
    "complete": np.dtype("bool"),
}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column's name and pandas dtype, as plain data.

    ``categories`` and ``ordered`` are set for categorical columns only (``categories``
    stays ``None`` when they cannot be written as JSON; the file's own order is kept then).
    """

    name: str
    dtype: str
    categories: tuple[Any, ...] | None = None
    ordered: bool = False

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-ready dict."""
        data: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.categories is not None:
            data["categories"] = list(self.categories)
            data["ordered"] = self.ordered
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnSpec:
        """Rebuild a spec written by :meth:`to_json`."""
        categories = data.get("categories")
        return cls(
            name=str(data["name"]),
            dtype=str(data["dtype"]),
            categories=None if categories is None else tuple(categories),
            ordered=bool(data.get("ordered", False)),
        )


def column_specs(df: pd.DataFrame) -> list[ColumnSpec]:
    """Describe every column of ``df`` (name and exact dtype)."""
    specs = []
    for name, dtype in df.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            categories = list(dtype.categories)
            storable = all(isinstance(c, _JSON_SCALARS) for c in categories)
            specs.append(ColumnSpec(str(name), "category",
                                    tuple(categories) if storable else None,
                                    bool(dtype.ordered)))
        else:
            specs.append(ColumnSpec(str(name), str(dtype)))
    return specs


def default_specs(schema: pa.Schema) -> list[ColumnSpec]:
    """Specs for a file engframe did not write: the tidy dtypes for the tidy columns."""
    specs = []
    for field in schema:
        known = DTYPES.get(field.name, _OPTIONAL_DTYPES.get(field.name))
        if isinstance(known, pd.CategoricalDtype):
            specs.append(ColumnSpec(field.name, "category", tuple(known.categories)))
        elif known is not None:
            specs.append(ColumnSpec(field.name, str(known)))
        else:
            specs.append(ColumnSpec(field.name, ""))  # whatever Arrow makes of it
    return specs


def to_table(df: pd.DataFrame, *, where: str) -> pa.Table:
    """Convert ``df`` to an Arrow table: millisecond timestamps, dictionary categoricals.

    The index is not stored (tidy frames have a plain range index).

    Raises
    ------
    FrameError
        If a column cannot be stored (mixed Python objects, a non-string column name,
        timestamps finer than a millisecond).
    """
    bad_names = [name for name in df.columns if not isinstance(name, str)]
    if bad_names:
        raise FrameError(f"{where}: column names must be strings, found {bad_names[0]!r}")
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()][0]
        raise FrameError(f"{where}: the frame has two columns named {dup!r}")
    bare = df.copy(deep=False)
    bare.attrs = {}  # pyarrow would store the attrs (the query, maybe more) in the metadata
    try:
        table = pa.Table.from_pandas(bare, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise FrameError(f"{where}: a column cannot be stored in parquet: {exc}") from None
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit != TIMESTAMP_UNIT:
            target = pa.timestamp(TIMESTAMP_UNIT, tz=field.type.tz)
            try:
                column = table.column(index).cast(target)
            except pa.ArrowInvalid:
                raise FrameError(
                    f"{where}: column {field.name!r} holds timestamps finer than a millisecond; "
                    "engframe stores milliseconds (the API's unit)"
                ) from None
            table = table.set_column(index, field.name, column)
    return table


def to_frame(table: pa.Table, specs: Sequence[ColumnSpec]) -> pd.DataFrame:
    """Rebuild the frame ``specs`` describe from ``table`` (columns in the specs' order)."""
    columns = {spec.name: _restore(table.column(spec.name), spec) for spec in specs}
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), copy=False)


def _restore(column: pa.ChunkedArray, spec: ColumnSpec) -> Any:
    if spec.dtype == "category":
        return _categorical(column, spec)
    if not spec.dtype:
        return column.to_pandas()
    dtype = _dtype(spec.dtype)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
        dtype, pd.DatetimeTZDtype
    ) and hasattr(dtype, "__from_arrow__"):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        return dtype.__from_arrow__(column)
    series = column.to_pandas()
    return series if series.dtype == dtype else series.astype(dtype)


def _dtype(name: str) -> Any:
    try:
        dtype = pandas_dtype(name)
    except TypeError:
        return np.dtype(object)
    if isinstance(dtype, np.dtype) and dtype.kind == "U":  # "str" before pandas 3
        return np.dtype(object)
    return dtype


def _categorical(column: pa.ChunkedArray, spec: ColumnSpec) -> pd.Categorical:
    values = column.to_pandas()
    found = (
        pd.Categorical(values.array)
        if not isinstance(values.dtype, pd.CategoricalDtype)
        else values.array
    )
    if spec.categories is None:
        return found.as_ordered() if spec.ordered else found
    wanted = pd.Index(list(spec.categories))
    extra = found.categories.difference(wanted, sort=False)
    if len(extra):
        wanted = wanted.append(extra)
    dtype = pd.CategoricalDtype(wanted, ordered=spec.ordered)
    if found.categories.equals(wanted):
        return pd.Categorical.from_codes(found.codes, dtype=dtype)
    recode = np.append(wanted.get_indexer(found.categories), -1)
    return pd.Categorical.from_codes(recode[found.codes], dtype=dtype)

