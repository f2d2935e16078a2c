"""The hostile corpus: files that once cost a raw exception, minutes or gigabytes.

Each case is a function writing one file into a folder and returning its path. The files are
small on disk: the gzip bombs are concatenated gzip members of 64 MiB of JSON whitespace
each (about 64 KB compressed), so a 1 GiB bomb is a 1 MB file and a 10 GiB one a 10 MB file;
the member is compressed once per process.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

#: A valid response, for the envelope cases.
SMALL = {"metricsTotals": {"totalInteractiveChats": 1, "totalHandlingTime": 12}}
_MIB = 1 << 20
_MEMBER_MIB = 64


@cache
def _blank_member() -> bytes:
    """One gzip member inflating to 64 MiB of spaces (JSON whitespace)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    piece = b" " * _MIB
    return b"".join([*(packer.compress(piece) for _ in range(_MEMBER_MIB)), packer.flush()])


def _bomb(folder: Path, name: str, gib: int) -> Path:
    path = folder / f"{name}.json.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(json.dumps(SMALL).encode()))  # a valid response, then blanks
        for _ in range(gib * 1024 // _MEMBER_MIB):
            out.write(_blank_member())
    return path


def _text(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / f"{name}.json"
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path
    return write


def _json(name: str, value: object) -> Callable[[Path], Path]:
    return _text(name, json.dumps(value))


def _envelope(**fields: object) -> dict[str, object]:
    return {"request": {"account": "56072331", "timeframe": 60, "interval": None},
            "fetched_at": "2026-11-25T14:07:00Z", "from_cache": False, "response": SMALL,
            **fields}


def _truncated_gzip(folder: Path) -> Path:
    path = folder / "truncated_gzip.json.gz"
    packed = gzip.compress(json.dumps({"metricsTotals": {f"m{i}": i for i in range(5000)}})
                           .encode())
    path.write_bytes(packed[: len(packed) // 2])
    return path


_DEEP = 10_000

#: Every case: its name and the function writing it.
CASES: dict[str, Callable[[Path], Path]] = {
    "deep_array": _text("deep_array", "[" * _DEEP + "]" * _DEEP),
    "deep_member": _text("deep_member", '{"metricsTotals": {"x": 1}, "extra": '
                         + '{"a": ' * _DEEP + "1" + "}" * _DEEP + "}"),
    "deep_in_interval": _text("deep_in_interval", '{"metricsByIntervals": [{"timestamp": 1, '
                              '"metricsData": ' + "[" * _DEEP + "]" * _DEEP + "}]}"),
    "gzip_bomb_1gib": lambda folder: _bomb(folder, "gzip_bomb_1gib", 1),
    "gzip_bomb_10gib": lambda folder: _bomb(folder, "gzip_bomb_10gib", 10),
    "truncated_gzip": _truncated_gzip,
    "huge_timeframe": _json("huge_timeframe",
                            _envelope(request={"timeframe": 10**9, "interval": 5})),
    "huge_fetched_at": _json("huge_fetched_at", _envelope(fetched_at=99999999999999999)),
    "too_many_metric_names": _json("too_many_metric_names",
                                   {"metricsTotals": {f"m{i}": i for i in range(40_000)}}),
    "too_many_intervals": _text("too_many_intervals", '{"metricsByIntervals": ['
                                + ",".join(["{}"] * 200_000) + "]}"),
    "repeated_key": _text("repeated_key", '{"metricsTotals": {"m": 1, "m": 2}}'),
    "one_id_twice": _text("one_id_twice", '{"agentsMetrics": {"metricsPerAgent": '
                          '{"007": {"m": 1}, "7": {"m": 2}}}}'),
    "not_utf8": _text("not_utf8", b'{"metricsTotals": {"\xff\xfe": 1}}'),
    "top_level_array": _text("top_level_array", "[1, 2, 3]"),
    "top_level_number": _text("top_level_number", "42"),
    "top_level_string": _text("top_level_string", '"metricsTotals"'),
    "empty_file": _text("empty_file", b""),
    "nan": _text("nan", '{"metricsTotals": {"x": NaN}}'),
    "huge_number": _text("huge_number", '{"metricsTotals": {"x": 1e400}}'),
    "boolean_value": _text("boolean_value", '{"metricsTotals": {"x": true}}'),
    "id_out_of_range": _text("id_out_of_range", '{"agentsMetrics": {"metricsPerAgent": '
                             '{"9223372036854775808": {"m": 1}}}}'),
    # thousands of leading zeros: Python's int() refuses more than 4,300 digits
    "id_zeros_past_64_bits": _text("id_zeros_past_64_bits", '{"agentsMetrics": '
                                   '{"metricsPerAgent": {"' + "0" * 5000 + "9" * 20
                                   + '": {"m": 1}}}}'),
    "skill_zeros_past_64_bits": _text("skill_zeros_past_64_bits", '{"skillsMetricsPerAgent": '
                                      '{"metricsPerSkill": {"-' + "0" * 5000 + "9" * 20
                                      + '": {"metricsTotals": {"m": 1}}}}}'),
}


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every case into ``folder`` (one subfolder each); return their paths by name.

    Each case sits in a subfolder of its own beside a valid response (``good.json``), so
    that loading the subfolder shows whether one hostile file sinks its folder cleanly.
    """
    paths = {}
    for name, write in CASES.items():
        home = folder / name
        home.mkdir()
        (home / "good.json").write_text(json.dumps(SMALL))
        paths[name] = write(home)
    return paths
