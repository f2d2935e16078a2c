"""Flatten an Engagement Activity response into the tidy long frame (see the package docs)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

import msgspec
import numpy as np
import pandas as pd

from engframe import _files
from engframe.errors import ResponseError, describe
from engframe.flatten._arrays import Chunk, MetricNames, inexact, to_chunk
from engframe.flatten._decode import (
    LATEST_MS,
    Document,
    decode_document,
    interval_path,
    materialize,
)
from engframe.flatten._layouts import NO_VALUE, STATE_NAMES, WALKERS, Codes, DimArrays, Dims
from engframe.flatten._repeats import check_piece, colons
from engframe.flatten._shapes import SHAPE_METHODS, layout_of
from engframe.flatten._typed import typed_interval
from engframe.flatten._typed_queues import typed_queues
from engframe.flatten._typed_states import typed_states
from engframe.flatten._walk import (
    IdCache,
    Leaves,
    expect_object,
    member_path,
    members_of,
    set_aside,
    value_path,
    walk_section,
)
from engframe.limits import MAX_RESPONSE_BYTES
from engframe.methods import METHODS, QUEUES, infer
from engframe.schema import (
    BUCKET_COLUMN,
    INTERVALS_KEY,
    LEVELS,
    MAX_EXACT_INT,
    METHOD_COLUMN,
    METRICS,
    REASON_COLUMN,
    SPANS,
    STATE_COLUMN,
    build_frame,
    categorical,
    utc_stamps,
)
from engframe.window import Window, bucket_ceil, exact_window, query_window

__all__ = ["flatten"]

_NAT: Final = np.iinfo(np.int64).min
_SPAN_CODE: Final = {name: code for code, name in enumerate(SPANS)}
_INTERVAL_MEMBERS: Final = frozenset({"timestamp", "metricsData"})
#: Intervals agentactivity's fast path converts at once (its numpy calls cost more than
#: the values of one interval; a batch's structs are alive together).
_STATES_BATCH: Final = 48


@dataclass
class _Flattening:
    """What the flattener gathers while walking one response."""

    metrics: MetricNames = field(default_factory=lambda: MetricNames(METRICS))
    ids: IdCache = field(default_factory=IdCache)
    chunks: list[Chunk] = field(default_factory=list)
    stamps: list[int] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)
    #: the JSON path of each chunk's section
    paths: list[str] = field(default_factory=list)
    spellings: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)

    #: whether intervals may still take the typed fast path (off after its first miss)
    typed: bool = True
    #: the methods whose typed structs an interval may fit (the declared one first); only
    #: the one that fitted, once an interval did
    candidates: list[str] = field(default_factory=lambda: list(METHODS))
    #: the response's shape (the catalogue's layout name, :mod:`engframe.flatten._shapes`)
    layout: str = "sections"
    #: each chunk's dimensions (states, reasons, buckets) for the shapes that have them
    dims: list[DimArrays | None] = field(default_factory=list)
    #: the reason ids met, coded
    reasons: Codes = field(default_factory=Codes)
    #: the names the answer gave agentactivity's state ids
    state_names: dict[int, str] = field(default_factory=dict)

    def section(self, section: Mapping[Any, Any], path: str, stamp: int, span: str) -> int:
        """Flatten one section; return the number of object members it holds."""
        leaves = Leaves(ids=self.ids)
        dims = None
        if self.layout == "sections":
            walk_section(section, path, leaves)
        else:
            shape = Dims()
            WALKERS[self.layout](section, path, leaves, shape)
            dims = shape.arrays(self.reasons)
        chunk = to_chunk(leaves, self.metrics)
        self.add(chunk, stamp, span, path, dims)
        self.spellings.update(leaves.spellings)
        self.unknown.update(leaves.unknown)
        return leaves.members + len(chunk)

    def add(self, chunk: Chunk, stamp: int, span: str, path: str,
            dims: DimArrays | None = None) -> None:
        self.chunks.append(chunk)
        self.stamps.append(stamp)
        self.spans.append(_SPAN_CODE[span])
        self.paths.append(path)
        self.dims.append(dims)
        if dims is not None:
            for state, name in dims.state_names.items():
                self.state_names.setdefault(state, name)

    def states(self, items: list[tuple[int, Any]]) -> list[int]:
        """Flatten a batch of agentactivity intervals; return their timestamps."""
        raws = [item for _, item in items]
        fast = None
        if self.typed and all(isinstance(raw, msgspec.Raw) for raw in raws):
            fast = typed_states(raws, self.metrics, self.reasons)
        if fast is not None and all(
                0 <= one.timestamp <= LATEST_MS and colons(raw) == one.members
                for one, raw in zip(fast, raws, strict=True)):
            for (index, _), one in zip(items, fast, strict=True):
                self.add(one.chunk, one.timestamp, "interval",
                         f"{interval_path(index)}.metricsData", one.dims)
            return [one.timestamp for one in fast]
        self.typed = False  # this response strays from the usual shape: go the general way
        return [self.interval(item, interval_path(index)) for index, item in items]

    def interval(self, item: Any, path: str) -> int:
        """Flatten one interval of ``metricsByIntervals``; return its timestamp."""
        data_path = f"{path}.metricsData"
        if self.typed and self.layout == QUEUES.name and isinstance(item, msgspec.Raw):
            fast = typed_queues(item, self.metrics)
            if fast is not None and 0 <= fast[0] <= LATEST_MS and colons(item) == fast[2]:
                self.add(fast[1], fast[0], "interval", data_path)
                return fast[0]
            self.typed = False  # this response strays from the usual shape: go the general way
        if self.typed and self.layout == "sections" and isinstance(item, msgspec.Raw):
            for method in self.candidates:
                fast = typed_interval(item, self.metrics, method)
                # Equal counts prove msgspec collapsed no repeated key (engframe.flatten._repeats).
                if fast is not None and 0 <= fast[0] <= LATEST_MS and colons(item) == fast[2]:
                    self.candidates = [method]
                    self.add(fast[1], fast[0], "interval", data_path)
                    return fast[0]
            self.typed = False  # this response strays from the usual shape: go the general way
        stamp, data, members = _interval(materialize(item, path), path, self)
        members += self.section(data, data_path, stamp, "interval")
        if isinstance(item, msgspec.Raw):
            check_piece(item, members, path)
        return stamp


def flatten(response: Any, *, max_bytes: int = MAX_RESPONSE_BYTES) -> pd.DataFrame:
    """Flatten one Engagement Activity response into the tidy long frame.

    One row per numeric value of the response, with the columns of
    :data:`engframe.schema.COLUMNS` (timestamp, skill, agent, metric, value, level, span).
    Rows follow the response: its intervals in their order, then the whole-timeframe
    values. Nothing is dropped: zeros are kept, unknown metric names are kept verbatim,
    and members engframe does not know are reported with a warning and kept in
    ``df.attrs["unknown_keys"]``.

    Any response of this shape is read, the Messaging Operations methods'
    (``msgconversation``, ...) included. ``value`` is ``int64`` when every value of the
    response is a JSON integer, and ``float64`` as soon as one is a JSON number with a
    fraction or an exponent (``31.533981``); then integers must lie within +-2**53, where
    float64 is exact, and ``df.attrs["float_metrics"]`` lists (sorted) the metrics that held
    a float. Ids are signed 64-bit integers written in decimal (``"-1"``; ``"007"`` is 7).

    Parameters
    ----------
    response : dict, str, bytes or path-like
        A decoded response; its JSON text as ``str`` or ``bytes``; or the path of a
        ``.json`` or ``.json.gz`` file. A saved envelope
        ``{"request": {...}, "fetched_at": "...", "response": {...}}`` and a
        ``{"meta": ..., "body": ...}`` wrapper are unwrapped.
    max_bytes : int, default engframe.limits.MAX_RESPONSE_BYTES (256 MiB)
        For a file: the most bytes of JSON it may hold, or a ``.json.gz`` file inflate to.

    Returns
    -------
    pandas.DataFrame
        The tidy frame. When an envelope says when the response was fetched, four
        columns follow the seven: ``account`` (if the request names it), ``fetched_at``,
        ``start`` (start of the period each row covers) and ``complete`` (whether that
        period had ended when fetched). ``df.attrs`` carries the envelope's
        ``query``, ``account``, ``fetched_at``, ``window`` and ``from_cache``.

        Whole-timeframe rows get the window end as timestamp: the newest interval's end,
        or the envelope's fetch time rounded up to the 5-minute bucket; NaT if neither
        is known.

    Raises
    ------
    ResponseError
        If the input is not JSON or not a response: the message names the JSON path of
        the offending element, what was expected there and what was found (and the file,
        for a path). Also for a key repeated in one object (two keys that are one id, such
        as ``"007"`` and ``"7"``, included), an envelope the API could not have sent
        (``request.timeframe`` outside 1..1440, a ``fetched_at`` outside the years
        1..9999), and anything past the bounds of :mod:`engframe.limits` (file size,
        nesting, intervals, metric names).
    SourceError
        If a path was given and the file cannot be read or is not a regular file.
    OptionError
        If ``max_bytes`` is not a positive integer.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.flatten('{"metricsTotals": {"totalInteractiveChats": 1, '
    ...                       '"totalHandlingTime": 12}}')
    >>> df[["metric", "value", "level", "span"]]
                      metric  value    level       span
    0  totalInteractiveChats      1  account  timeframe
    1      totalHandlingTime     12  account  timeframe
    """
    max_bytes = _files.check_max_bytes(max_bytes, where="flatten")
    if isinstance(response, os.PathLike) or (
        isinstance(response, str) and not response.lstrip().startswith(("{", "["))
    ):
        path = os.fspath(response)
        data = _files.read_response_bytes(path, max_bytes=max_bytes)
        try:
            return _flatten_document(decode_document(data))
        except ResponseError as exc:
            raise ResponseError(exc.path, exc.expected, exc.found, source=path,
                                method=exc.method) from None
    return _flatten_document(decode_document(response))


def _flatten_document(document: Document) -> pd.DataFrame:
    with _no_cyclic_gc():
        return _flatten_unpaused(document)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small dicts are made.

    A large response decodes into millions of dicts and ints, none of them in a cycle;
    every few hundred of them would trigger a collection that walks all the rest, which
    costs about a tenth of the flattening time. Reference counting still frees memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _flatten_unpaused(document: Document) -> pd.DataFrame:
    declared = _declared_method(document)
    layout = layout_of(document, declared)
    method = declared if declared is not None else SHAPE_METHODS.get(layout)
    known = METHODS[method].metric_names if method is not None and (
        method in METHODS) else METRICS
    work = _Flattening(metrics=MetricNames(known), candidates=sorted(
        METHODS, key=lambda name: name != declared), layout=layout)
    try:
        return _flatten_work(document, work, method)
    except ResponseError as exc:
        # name the method: the envelope's or the shape's, else that of the metrics read so far
        named = method if method is not None else _inferred(
            _read_so_far(work) or _named_in(document))
        raise exc.with_context(method=named) from None


def _flatten_work(document: Document, work: _Flattening, method: str | None) -> pd.DataFrame:
    seen: dict[int, int] = {}
    for index, stamp in _intervals(document, work):
        if stamp in seen:
            raise ResponseError(
                f"{interval_path(index)}.timestamp",
                "a timestamp no other interval has",
                f"{stamp}, the timestamp of metricsByIntervals[{seen[stamp]}] too",
            )
        seen[stamp] = index
    raw = {key: value for key, value in document.body.items() if key != INTERVALS_KEY}
    body = {key: materialize(value, key) for key, value in raw.items()}
    newest = max(seen, default=None)
    window = _window(document, newest, method)
    snapshot = method is not None and method in METHODS and METHODS[method].snapshot
    if snapshot:
        end = int(_NAT) if document.fetched_at_ms is None else document.fetched_at_ms
    else:
        end = _window_end(window, newest, document.fetched_at_ms)
    members = work.section(body, "", end, "snapshot" if snapshot else "timeframe") - len(body)
    _check_body(raw, body, members)
    frame, used = _assemble(work)
    if method is None:
        method = _inferred(used)
    floats = _float_metrics(work, used, method)
    if floats and frame["value"].dtype.kind != "f":
        _check_exact(work)
        frame["value"] = frame["value"].to_numpy().astype(np.float64)
    frame[METHOD_COLUMN] = _method_column(len(frame), method)
    for name, column in _dimension_columns(work, len(frame)).items():
        frame[name] = column
    if document.fetched_at_ms is not None:
        frame = _with_fetch_columns(frame, document, window)
    frame.attrs.update(_attrs(document, window, work, floats))
    return frame


def _declared_method(document: Document) -> str | None:
    """The method the envelope's request names (the client records it), if any."""
    method = (document.request or {}).get("method")
    return method if isinstance(method, str) else None


def _read_so_far(work: _Flattening) -> list[str]:
    """The metric names of the values read before an error (to name the method)."""
    names = work.metrics.names
    codes = {int(code) for chunk in work.chunks for code in np.unique(chunk.metric_codes)}
    return [names[code] for code in sorted(codes) if 0 <= code < len(names)]


def _named_in(document: Document, *, budget: int = 100_000) -> list[str]:
    """The catalogue's metric names the document holds (for an error's message).

    Raw pieces are searched as bytes; decoded ones walked without recursion, over at most
    ``budget`` containers, since the document may be the hostile one the error is about.
    """
    names = dict.fromkeys(name for method in METHODS.values() for name in method.metric_names)
    found: set[str] = set()
    stack: list[Any] = list(document.body.values())
    while stack and budget > 0:
        node = stack.pop()
        budget -= 1
        if isinstance(node, msgspec.Raw):
            piece = bytes(node)
            found.update(name for name in names if f'"{name}"'.encode() in piece)
        elif isinstance(node, dict):
            found.update(key for key in node if isinstance(key, str) and key in names)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return [name for name in names if name in found]


def _inferred(used: list[str]) -> str | None:
    """The method the metrics present belong to, through the catalogue (None: unknown)."""
    found = infer(used)
    return None if found is None else found.name


def _float_metrics(work: _Flattening, used: list[str], method: str | None) -> list[str]:
    """The metrics that held a JSON float, and those the method sends as floats.

    A method's averages are floats even where a value is written ``0`` (the page's example
    of msgconversation): both of the flattener's paths, and ``unflatten``, agree on them.
    """
    names = work.metrics.names
    floats = {names[code] for chunk in work.chunks for code in chunk.float_codes}
    if method is not None and method in METHODS:
        floats |= {m.name for m in METHODS[method].metrics if m.json_float} & set(used)
    return sorted(floats)


def _method_column(rows: int, method: str | None) -> Any:
    """The ``method`` column: one category, or NA where no method is known."""
    if method is None:
        return categorical(np.full(rows, -1, np.int8), [])
    return categorical(np.zeros(rows, np.int8), [method])


def _check_body(raw: Mapping[str, Any], body: Mapping[str, Any], members: int) -> None:
    """Refuse a repeated key in the raw top-level members (``members`` in all)."""
    pieces = [value for value in raw.values() if isinstance(value, msgspec.Raw)]
    if pieces and sum(map(colons, pieces)) != members:
        for key, value in raw.items():  # colons in strings, or a repeated key: which?
            if isinstance(value, msgspec.Raw):
                check_piece(value, members_of(body[key], key), key)


def _interval(interval: Any, path: str,
              work: _Flattening) -> tuple[int, Mapping[Any, Any], int]:
    """The timestamp and data of an interval, and the object members of all but its data."""
    interval = expect_object(interval, path, "an interval object")
    members = len(interval)
    for key, value in interval.items():
        if key not in _INTERVAL_MEMBERS:
            members += set_aside(work.unknown, member_path(path, key), value)
    if "timestamp" not in interval:
        raise ResponseError(path, "a member 'timestamp' (epoch milliseconds)",
                            f"an interval without one (members: {', '.join(map(str, interval))})")
    stamp = interval["timestamp"]
    if not isinstance(stamp, int) or isinstance(stamp, bool) or not 0 <= stamp <= LATEST_MS:
        raise ResponseError(f"{path}.timestamp", "epoch milliseconds (a non-negative integer "
                                                 "before the year 10000)", describe(stamp))
    if "metricsData" not in interval:
        raise ResponseError(path, "a member 'metricsData'",
                            f"an interval without one (members: {', '.join(map(str, interval))})")
    data = expect_object(interval["metricsData"], f"{path}.metricsData")
    return stamp, data, members


def _window(document: Document, newest: int | None, method: str | None) -> Window | None:
    """The query's window, when the envelope tells enough to work it out.

    agentactivity's is exactly its timeframe back from the fetch, not widened to buckets
    (:func:`engframe.window.exact_window`); a snapshot has none.
    """
    if document.fetched_at_ms is None:
        return None
    request = document.request or {}
    timeframe = request.get("timeframe")
    interval = request.get("interval")
    if not _positive_int(timeframe) or not (interval is None or _positive_int(interval)):
        return None
    found = METHODS.get(method) if method is not None else None
    if found is not None and found.snapshot:
        return None
    arithmetic = exact_window if found is not None and found.window == "exact" else query_window
    window = arithmetic(now_ms=document.fetched_at_ms, timeframe=timeframe, interval=interval)
    if newest is not None and newest != window.end_ms:
        # The data's own newest interval end is the better witness of the window end.
        shift = newest - window.end_ms
        window = arithmetic(now_ms=document.fetched_at_ms + shift, timeframe=timeframe,
                            interval=interval)
    return window


def _intervals(document: Document, work: _Flattening) -> Iterator[tuple[int, int]]:
    """Flatten the intervals; yield each one's index and timestamp.

    agentactivity's go in batches through its fast path; every other shape one by one.
    """
    if work.layout != "states":
        for index, item in document.intervals():
            yield index, work.interval(item, interval_path(index))
        return
    batch: list[tuple[int, Any]] = []
    for index, item in document.intervals():
        batch.append((index, item))
        if len(batch) == _STATES_BATCH:
            yield from zip((i for i, _ in batch), work.states(batch), strict=True)
            batch = []
    if batch:
        yield from zip((i for i, _ in batch), work.states(batch), strict=True)


def _window_end(window: Window | None, newest: int | None, fetched_at_ms: int | None) -> int:
    if window is not None:
        return window.end_ms
    if newest is not None:
        return newest
    if fetched_at_ms is not None:
        return bucket_ceil(fetched_at_ms)
    return int(_NAT)


def _positive_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _assemble(work: _Flattening) -> tuple[pd.DataFrame, list[str]]:
    """The tidy frame of the chunks, and the metric names it holds."""
    chunks = work.chunks
    lengths = np.fromiter(map(len, chunks), np.int64, len(chunks))
    sizes = np.concatenate([c.sizes for c in chunks])
    if any(c.float_codes for c in chunks):
        _check_exact(work)  # then the integer chunks become float64 in the concatenation

    def per_value(name: str) -> np.ndarray:
        return np.repeat(np.concatenate([getattr(c, name) for c in chunks]), sizes)

    codes = np.concatenate([c.metric_codes for c in chunks])
    names = work.metrics.names
    # names registered but absent (the method's documented metrics a response lacks) are
    # not categories of the frame
    present = np.bincount(codes, minlength=len(names)) > 0
    if not present.all():
        lookup = np.cumsum(present) - 1
        codes = lookup.astype(codes.dtype)[codes]
        names = [name for name, there in zip(names, present, strict=True) if there]
    frame = build_frame(
        timestamp_ms=np.repeat(np.array(work.stamps, np.int64), lengths),
        skill=per_value("skills"),
        agent=per_value("agents"),
        metric_codes=codes,
        metrics=names,
        value=np.concatenate([c.values for c in chunks]),
        level_codes=per_value("levels"),
        span_codes=np.repeat(np.array(work.spans, np.int8), lengths),
    )
    return frame, names


def _dimension_columns(work: _Flattening, rows: int) -> dict[str, Any]:
    """The shape's dimension columns (states, reasons, buckets), one value per row."""
    if work.layout not in ("states", "histogram"):
        return {}
    sizes = np.concatenate([c.sizes for c in work.chunks])

    def per_leaf(name: str, fill: Any, dtype: Any) -> np.ndarray:
        parts = [getattr(d, name) if d is not None else np.full(len(c.levels), fill, dtype)
                 for d, c in zip(work.dims, work.chunks, strict=True)]
        leaves: np.ndarray = np.concatenate(parts)
        return leaves

    if work.layout == "histogram":
        bucket = np.repeat(per_leaf("bucket", NO_VALUE, np.int64), sizes)
        missing = bucket == NO_VALUE
        return {BUCKET_COLUMN: pd.arrays.IntegerArray(np.where(missing, 0, bucket), missing)}
    # The states met, coded per leaf (a few distinct ids) and only then spread over its values.
    present, inverse = np.unique(per_leaf("state", NO_VALUE, np.int64), return_inverse=True)
    ids = sorted(set(present.tolist()) - {NO_VALUE},
                 key=lambda i: (i not in STATE_NAMES, list(STATE_NAMES).index(i)
                                if i in STATE_NAMES else i))
    names = [STATE_NAMES.get(i) or work.state_names.get(i) or f"state {i}" for i in ids]
    lookup = {i: code for code, i in enumerate(ids)}
    table = np.array([lookup.get(i, -1) for i in present.tolist()], np.int16)
    codes = np.repeat(table[inverse.ravel()], sizes) if rows else np.zeros(0, np.int16)
    reason = np.repeat(per_leaf("reason", -1, np.int32), sizes)
    return {STATE_COLUMN: categorical(codes, names),
            REASON_COLUMN: categorical(reason, work.reasons.names)}


def _check_exact(work: _Flattening) -> None:
    """Refuse an integer float64 cannot hold exactly, in a response that holds floats."""
    for chunk, path in zip(work.chunks, work.paths, strict=True):
        values = chunk.values
        if values.dtype.kind != "i":
            continue
        beyond = np.flatnonzero((values > MAX_EXACT_INT) | (values < -MAX_EXACT_INT))
        if len(beyond):
            at = int(beyond[0])
            leaf = int(np.searchsorted(np.cumsum(chunk.sizes), at, side="right"))
            where = value_path(path, LEVELS[chunk.levels[leaf]], int(chunk.skills[leaf]),
                               int(chunk.agents[leaf]), work.metrics.names[chunk.metric_codes[at]],
                               work.spellings)
            raise inexact(where, int(values[at]))


def _with_fetch_columns(frame: pd.DataFrame, document: Document,
                        window: Window | None) -> pd.DataFrame:
    fetched = document.fetched_at_ms
    assert fetched is not None
    stamps = frame["timestamp"].to_numpy("datetime64[ms]").view(np.int64)
    is_interval = (frame["span"] == "interval").to_numpy()
    start = np.full(len(frame), _NAT, np.int64)
    if window is not None:
        start[~is_interval] = window.start_ms
        interval = (document.request or {}).get("interval")
        if interval is not None:
            start[is_interval] = np.maximum(stamps[is_interval] - interval * 60_000,
                                            window.start_ms)
    snapshot = (frame["span"] == "snapshot").to_numpy()
    start[snapshot] = stamps[snapshot]  # a moment: it starts where it ends
    known = stamps != _NAT
    columns: dict[str, Any] = {}
    account = (document.request or {}).get("account")
    if isinstance(account, str | int) and not isinstance(account, bool):
        columns["account"] = categorical(np.zeros(len(frame), np.int8), [str(account)])
    columns["fetched_at"] = utc_stamps(np.full(len(frame), fetched, np.int64)).array
    columns["start"] = utc_stamps(start).array
    columns["complete"] = known & (stamps <= fetched)
    for name, column in columns.items():
        frame[name] = column
    return frame


def _attrs(document: Document, window: Window | None, work: _Flattening,
           floats: list[str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if document.request is not None:
        attrs["query"] = dict(document.request)
        account = document.request.get("account")
        if account is not None:
            attrs["account"] = str(account)
    if document.fetched_at_ms is not None:
        attrs["fetched_at"] = _iso(document.fetched_at_ms)
    if window is not None:
        attrs["window"] = {"start": _iso(window.start_ms), "end": _iso(window.end_ms)}
    if document.from_cache is not None:
        attrs["from_cache"] = document.from_cache
    if floats:
        attrs["float_metrics"] = floats
    if work.spellings:
        attrs["spellings"] = dict(work.spellings)
    if work.unknown:
        attrs["unknown_keys"] = dict(work.unknown)
    if work.state_names:
        attrs["state_names"] = {int(k): v for k, v in work.state_names.items()}
    return attrs


def _iso(ms: int) -> str:
    stamp = pd.Timestamp(ms, unit="ms", tz="UTC")
    text = stamp.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")
