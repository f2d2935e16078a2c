"""The facts of one history table, as arrays, and their parquet form.

One table per level (``skill_agent``, ``skill``, ``agent``, the totals, ``account``); each row
is one period of the grid for one series (account, skill, agent, metric). A table's file
holds only the id columns its level has, and names its measure ``<level>_value``: no two
tables share a measure column, so a reader that stacks every file of the dataset can never
sum two levels' values into one number (see the README, "A history you can sum").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from engframe import _meta
from engframe.history._grid import Grid
from engframe.methods import METHODS, owner, unit_of
from engframe.schema import BUCKET_COLUMN, DIMENSION_COLUMNS, LEVEL_HAS

__all__ = ["NAT", "Dim", "Facts", "dims_of_frame", "measure"]

#: The values of the dimension columns (state, reason, bucket) of one fact, in the order of
#: :data:`engframe.schema.DIMENSION_COLUMNS`; ``None`` where a fact has none.
Dim = tuple[str | None, str | None, int | None]

NAT: Final = np.iinfo(np.int64).min
_STAMP: Final = pa.timestamp("ms", tz="UTC")
_TEXT: Final = pa.dictionary(pa.int32(), pa.string())


def measure(level: str) -> str:
    """The name of a level table's measure column (``agent`` -> ``agent_value``)."""
    return f"{level}_value"


@dataclass(frozen=True)
class Facts:
    """Rows of one table. Codes index ``accounts``/``metrics`` (-1: no account)."""

    stamp: np.ndarray  # period end [epoch ms]
    account: np.ndarray
    accounts: list[str]
    skill: np.ndarray | None  # None when the level has no skill
    agent: np.ndarray | None
    metric: np.ndarray
    metrics: list[str]
    value: np.ndarray
    start: np.ndarray  # start of what the data covers [epoch ms], NAT when unknown
    fetched: np.ndarray
    complete: np.ndarray
    #: codes into ``dim_values``, for the methods whose rows have dimensions (agentactivity's
    #: state and reason, sla's bucket); None for the others
    dim: np.ndarray | None = None
    dim_values: list[Dim] = field(default_factory=list)
    #: the dimension columns the table has (its method's: state and reason, or bucket)
    dim_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.stamp)

    def take(self, index: np.ndarray) -> Facts:
        taken: dict[str, Any] = {name: array[index] for name, array in self._arrays().items()}
        return replace(self, **taken)

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for f in fields(self):
            array = getattr(self, f.name)
            if isinstance(array, np.ndarray):
                out[f.name] = array
        return out

    def coverage(self, grid: Grid) -> np.ndarray:
        """How much of its period each fact covers [ms]; -1 where its start is unknown."""
        begin = np.maximum(self.start, self.stamp - grid.period_ms)
        stop = np.minimum(self.stamp, self.fetched)
        covered = np.where(self.start == NAT, -1, np.maximum(stop - begin, 0))
        return covered.astype(np.int64, copy=False)

    def recoded(self, accounts: list[str], metrics: list[str],
                dim_values: list[Dim] | None = None) -> Facts:
        """The same facts with codes into larger ``accounts``/``metrics`` (and dimension)
        lists."""
        dims: dict[str, Any] = {}
        if self.dim is not None and dim_values is not None:
            dims = {"dim": _recode(self.dim, self.dim_values, dim_values),
                    "dim_values": dim_values}
        return replace(self, account=_recode(self.account, self.accounts, accounts),
                       accounts=accounts, metric=_recode(self.metric, self.metrics, metrics),
                       metrics=metrics, **dims)

    @staticmethod
    def concat(parts: Sequence[Facts]) -> Facts:
        """Stack facts of one table (dictionaries united)."""
        accounts = list(dict.fromkeys(a for p in parts for a in p.accounts))
        metrics = list(dict.fromkeys(m for p in parts for m in p.metrics))
        dim_values = list(dict.fromkeys(d for p in parts for d in p.dim_values))
        parts = [p.recoded(accounts, metrics, dim_values) for p in parts]
        first = parts[0]
        stacked: dict[str, Any] = {name: np.concatenate([getattr(p, name) for p in parts])
                                   for name in first._arrays()}
        return replace(first, **stacked)

    def to_table(self, level: str, grid: Grid) -> pa.Table:
        """The parquet table of a level: its columns, in order, with engframe's metadata."""
        columns: dict[str, Any] = {
            "timestamp": pa.array(self.stamp, _STAMP),
            "account": _dictionary(self.account, self.accounts),
        }
        if self.skill is not None:
            columns["skill"] = pa.array(self.skill, pa.int64())
        if self.agent is not None:
            columns["agent"] = pa.array(self.agent, pa.int64())
        columns["metric"] = _dictionary(self.metric, self.metrics)
        if self.dim_names:
            dim = np.zeros(len(self.stamp), np.int64) if self.dim is None else self.dim
            values = self.dim_values or [(None, None, None)]
            columns.update(_dimension_columns(dim, values, self.dim_names))
        columns[measure(level)] = pa.array(self.value)
        columns["start"] = pa.array(self.start, _STAMP, mask=self.start == NAT)
        columns["fetched_at"] = pa.array(self.fetched, _STAMP)
        columns["complete"] = pa.array(self.complete, pa.bool_())
        units = {m: unit for m in self.metrics if (unit := unit_of(m))}
        owners = {found.name for m in self.metrics if (found := owner(m)) is not None}
        note = " ".join(f"{name}: {METHODS[name].units_note}" for name in sorted(owners)
                        if not METHODS[name].time_unit_stated)
        metadata = {
            _meta.VERSION_KEY: _meta.version(),
            _meta.LAYOUT_KEY: "history",
            "engframe.level": level,
            "engframe.grid": json.dumps(grid.to_json()),
            "engframe.units": json.dumps(units),
            **({"engframe.units_note": note} if note else {}),
        }
        return pa.table(columns, metadata=metadata)

    @classmethod
    def from_table(cls, table: pa.Table, level: str) -> Facts:
        has_skill, has_agent = LEVEL_HAS[level]
        account, accounts = _codes(table.column("account"))
        metric, metrics = _codes(table.column("metric"))
        return cls(
            stamp=_ms(table.column("timestamp")),
            account=account, accounts=accounts,
            skill=_ints(table.column("skill")) if has_skill else None,
            agent=_ints(table.column("agent")) if has_agent else None,
            metric=metric, metrics=metrics,
            value=table.column(measure(level)).to_numpy(),
            start=_ms(table.column("start")),
            fetched=_ms(table.column("fetched_at")),
            complete=table.column("complete").to_numpy().astype(bool, copy=False),
            **_dimensions_of_table(table),
        )


def _dimension_columns(codes: np.ndarray, values: list[Dim],
                       names_kept: tuple[str, ...]) -> dict[str, pa.Array]:
    """The dimension columns ``names_kept`` of the facts."""
    out: dict[str, pa.Array] = {}
    for position, name in enumerate(DIMENSION_COLUMNS):
        column = [value[position] for value in values]
        if name not in names_kept:
            continue
        if name == BUCKET_COLUMN:
            ints = np.array([-1 if v is None else v for v in column], np.int64)
            lookup = np.append(ints, -1)[codes]
            missing = np.append(np.array([v is None for v in column]), True)[codes]
            out[name] = pa.array(lookup, pa.int64(), mask=missing)
        else:
            names = sorted({str(v) for v in column if v is not None})
            index = {n: i for i, n in enumerate(names)}
            lookup = np.append(np.array([-1 if v is None else index[str(v)] for v in column],
                                        np.int64), -1)[codes]
            out[name] = _dictionary(lookup, names)
    return out


def _dimensions_of_table(table: pa.Table) -> dict[str, Any]:
    """The dimension codes and values of a stored table (none: an empty mapping)."""
    present = [name for name in DIMENSION_COLUMNS if name in table.column_names]
    if not present:
        return {}
    if not table.num_rows:
        return {"dim": np.zeros(0, np.int64), "dim_values": [], "dim_names": tuple(present)}
    parts: list[list[Any]] = []
    for name in DIMENSION_COLUMNS:
        if name not in present:
            parts.append([None] * table.num_rows)
        elif name == BUCKET_COLUMN:
            parts.append(table.column(name).to_pylist())
        else:
            codes, names = _codes(table.column(name))
            parts.append([None if c < 0 else names[c] for c in codes.tolist()])
    return {**_dims(list(zip(*parts, strict=True))), "dim_names": tuple(present)}


def _dims(tuples: list[Dim]) -> dict[str, Any]:
    values = list(dict.fromkeys(tuples))
    index = {value: code for code, value in enumerate(values)}
    return {"dim": np.array([index[t] for t in tuples], np.int64), "dim_values": values}


def dims_of_frame(frame: pd.DataFrame, at: np.ndarray | slice) -> dict[str, Any]:
    """The dimension codes and values of a tidy frame's rows ``at`` (none: empty)."""
    present = [name for name in DIMENSION_COLUMNS if name in frame.columns]
    if not present:
        return {}
    key = np.zeros(len(frame), np.int64)[at]
    labels: list[Any] = []
    for name in DIMENSION_COLUMNS:
        if name not in present:
            labels.append(None)
            continue
        column = frame[name]
        if name == BUCKET_COLUMN:
            bounds = column.to_numpy(np.float64, na_value=np.nan)[at]
            codes, found_bounds = pd.factorize(bounds, use_na_sentinel=True)
            names: list[Any] = [int(u) for u in found_bounds]
        else:
            codes, names = frame_codes(column, at)
        key = key * (len(names) + 1) + (np.asarray(codes, np.int64) + 1)
        labels.append((names, len(names) + 1))
    found, positions = pd.factorize(key)
    values: list[Dim] = []
    for packed in np.asarray(positions, np.int64).tolist():
        parts: list[Any] = []
        for entry in reversed(labels):
            if entry is None:
                parts.append(None)
                continue
            names, width = entry
            packed, digit = divmod(packed, width)
            parts.append(None if digit == 0 else names[digit - 1])
        state, reason, bucket = parts[::-1]
        values.append((state, reason, bucket))
    return {"dim": found.astype(np.int64, copy=False), "dim_values": values,
            "dim_names": tuple(present)}


def _recode(codes: np.ndarray, old: list[Any], new: list[Any]) -> np.ndarray:
    if old == new[:len(old)]:
        return codes
    lookup = np.append(np.array([new.index(name) for name in old], np.int64), -1)
    recoded: np.ndarray = lookup[codes]
    return recoded


def _dictionary(codes: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32, copy=False), pa.int32(), mask=codes < 0),
        pa.array(names, pa.string()))


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    if column.num_chunks == 0:
        return np.zeros(0, np.int64), []
    names = column.chunk(0).dictionary.to_pylist()
    codes = np.concatenate([chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                            for chunk in column.chunks]).astype(np.int64)
    return codes, [str(name) for name in names]


def _ms(column: pa.ChunkedArray) -> np.ndarray:
    as_int = column.cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64())
    ms: np.ndarray = as_int.fill_null(NAT).to_numpy().astype(np.int64, copy=False)
    return ms


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    ints: np.ndarray = column.fill_null(0).to_numpy().astype(np.int64, copy=False)
    return ints


def frame_codes(column: pd.Series,
                at: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, list[str]]:
    """A text column of a tidy frame (rows ``at``) as codes (-1 for missing) and names."""
    values = column.astype("category").array
    codes = np.asarray(values.codes)[at].astype(np.int64)
    return codes, [str(c) for c in values.categories]
