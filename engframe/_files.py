"""Read saved responses from disk: ``.json`` and gzip-compressed ``.json.gz`` files.

Only regular files are read, and never more than ``max_bytes`` of JSON: a plain file is
refused by its size before it is read, a gzip file is inflated in pieces and abandoned as
soon as it passes the limit, so a small file that inflates to gigabytes costs no more
memory than the limit.
"""

from __future__ import annotations

import os
import stat
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Final

from engframe.errors import OptionError, ResponseError, SourceError
from engframe.limits import BYTES_CEILING, MAX_RESPONSE_BYTES

__all__ = ["check_max_bytes", "read_response_bytes", "response_files"]

_GZIP_MAGIC: Final = b"\x1f\x8b"
#: gzip framing for zlib (16 + the largest window).
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
#: How much compressed input is inflated at a time.
_PIECE: Final = 1 << 20
#: The most inflated bytes made at a time (so a bomb never holds two copies of much).
_OUT_PIECE: Final = 16 << 20
#: The file names :func:`response_files` picks up in a folder.
PATTERNS = ("*.json", "*.json.gz")
#: The subfolder where names are saved beside responses (engframe.names): never responses.
NAMES_FOLDER = "names"


def check_max_bytes(max_bytes: Any, *, where: str) -> int:
    """``max_bytes`` if it is a whole number of bytes from 1 to 1 TiB, else an OptionError.

    Above :data:`engframe.limits.BYTES_CEILING` a limit bounds nothing a machine could hold,
    and file reads refuse sizes past ``sys.maxsize``.
    """
    if (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)
            or not 0 < max_bytes <= BYTES_CEILING):
        shown = "a number too large to show" if isinstance(max_bytes, int) and (
            max_bytes.bit_length() > 4000) else repr(max_bytes)
        raise OptionError(f"{where}: max_bytes must be a positive number of bytes, at most "
                          f"{BYTES_CEILING:,} (1 TiB), got {shown}")
    return max_bytes


def read_response_bytes(path: str | Path, *,
                        max_bytes: int = MAX_RESPONSE_BYTES) -> bytes | bytearray:
    """Return the JSON bytes of a saved response, decompressing gzip files.

    Raises
    ------
    SourceError
        If the file is missing, is a folder or not a regular file (a FIFO, a device), or
        cannot be read.
    ResponseError
        If it holds or inflates to more than ``max_bytes``, or looks like gzip but does
        not decompress.
    """
    path = Path(path)
    if path.is_dir():
        raise SourceError(f"{path}: is a folder; engframe.load(folder) reads every response in it")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SourceError(f"{path}: is not a regular file (a {_kind(mode)}); engframe "
                              "reads saved responses from regular files only")
        try:
            head = handle.read(2)
            if head == _GZIP_MAGIC:
                return _inflate(handle, path, max_bytes)
            size = os.fstat(fd).st_size
            if size > max_bytes:
                raise _too_big(path, max_bytes, f"a file of {size:,} bytes")
            data = head + handle.read(max_bytes - len(head) + 1)  # +1: a file still growing
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise _too_big(path, max_bytes, "a file that grew past that while being read")
    return data


def _inflate(handle: BinaryIO, path: Path, max_bytes: int) -> bytearray:
    """Inflate a (possibly multi-member) gzip file, stopping past ``max_bytes``."""
    out = bytearray(b"")
    inflater = zlib.decompressobj(_GZIP_WBITS)
    pending = _GZIP_MAGIC + handle.read(_PIECE)
    started = False  # whether the current gzip member has been fed any input
    try:
        while True:
            if not pending:
                pending = handle.read(_PIECE)
                if not pending:
                    break
            if not started:
                pending = pending.lstrip(b"\x00")  # gzip allows zero padding after a member
                if not pending:
                    continue
                started = True
            # A bounded piece at a time, and never more than one byte past the limit:
            # enough to know it was passed.
            room = min(max_bytes + 1 - len(out), _OUT_PIECE)
            out += inflater.decompress(pending, room)
            if len(out) > max_bytes:
                raise _too_big(path, max_bytes, "a gzip file that inflates past that")
            if inflater.eof:  # one member done; another may follow
                pending = inflater.unused_data
                inflater = zlib.decompressobj(_GZIP_WBITS)
                started = False
            else:
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ResponseError("", "a complete gzip file", f"a damaged one ({exc})",
                            source=str(path)) from None
    if started and not inflater.eof:
        raise ResponseError("", "a complete gzip file",
                            f"one cut off after {len(out):,} inflated bytes", source=str(path))
    return out


def _too_big(path: Path, max_bytes: int, found: str) -> ResponseError:
    return ResponseError(
        "", f"at most {max_bytes:,} bytes of JSON (max_bytes=; engframe.limits."
        "MAX_RESPONSE_BYTES by default)", found, source=str(path))


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))
    return next((name for test, name in kinds if test(mode)), "special file")


def response_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The saved responses in ``folder`` (``*.json``, ``*.json.gz``), sorted by path."""
    found: set[Path] = set()
    for pattern in PATTERNS:
        found.update(folder.rglob(pattern) if recursive else folder.glob(pattern))
    return sorted(path for path in found if path.is_file()
                  and path.relative_to(folder).parts[0] != NAMES_FOLDER)
