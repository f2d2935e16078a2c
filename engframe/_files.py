"""Read saved responses from disk: ``.json`` and gzip-compressed ``.json.gz`` files."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from engframe.errors import ResponseError, SourceError

__all__ = ["read_response_bytes", "response_files"]

_GZIP_MAGIC = b"\x1f\x8b"
#: The file names :func:`response_files` picks up in a folder.
PATTERNS = ("*.json", "*.json.gz")
#: The subfolder where names are saved beside responses (engframe.names): never responses.
NAMES_FOLDER = "names"


def read_response_bytes(path: str | Path) -> bytes:
    """Return the JSON bytes of a saved response, decompressing gzip files.

    Raises
    ------
    SourceError
        If the file is missing, is a folder, or cannot be read.
    ResponseError
        If it looks like gzip but does not decompress.
    """
    path = Path(path)
    if path.is_dir():
        raise SourceError(f"{path}: is a folder; engframe.load(folder) reads every response in it")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data.startswith(_GZIP_MAGIC):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ResponseError("", "a complete gzip file", f"a damaged one ({exc})",
                                source=str(path)) from None
    return data


def response_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The saved responses in ``folder`` (``*.json``, ``*.json.gz``), sorted by path."""
    found: set[Path] = set()
    for pattern in PATTERNS:
        found.update(folder.rglob(pattern) if recursive else folder.glob(pattern))
    return sorted(path for path in found if path.is_file()
                  and path.relative_to(folder).parts[0] != NAMES_FOLDER)
