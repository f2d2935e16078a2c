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
from dataclasses import dataclass, fields, replace
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from engframe import _meta
from engframe.history._grid import Grid
from engframe.methods import METHODS, owner, unit_of
from engframe.schema import LEVEL_HAS

__all__ = ["NAT", "Facts", "measure"]

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

    def recoded(self, accounts: list[str], metrics: list[str]) -> Facts:
        """The same facts with codes into larger ``accounts``/``metrics`` lists."""
        return replace(self, account=_recode(self.account, self.accounts, accounts),
                       accounts=accounts, metric=_recode(self.metric, self.metrics, metrics),
                       metrics=metrics)

    @staticmethod
    def concat(parts: Sequence[Facts]) -> Facts:
        """Stack facts of one table (dictionaries united)."""
        accounts = list(dict.fromkeys(a for p in parts for a in p.accounts))
        metrics = list(dict.fromkeys(m for p in parts for m in p.metrics))
        parts = [p.recoded(accounts, metrics) for p in parts]
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
        )


def _recode(codes: np.ndarray, old: list[str], new: list[str]) -> np.ndarray:
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
