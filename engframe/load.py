"""``engframe.load``: the notebook entry point, from saved responses or the live API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engframe import _files
from engframe.errors import SourceError
from engframe.flatten import flatten
from engframe.schema import categorical, concat_frames

__all__ = ["load"]


def load(source: Any = None, /, *, recursive: bool = False) -> pd.DataFrame:
    """Load Engagement Activity data as one tidy frame.

    Parameters
    ----------
    source : path-like, dict, str or bytes
        A saved response file (``.json`` or ``.json.gz``, plain or in the envelope the
        live client saves); a folder of such files; or anything :func:`engframe.flatten`
        takes.
    recursive : bool, default False
        For a folder: also read the files in its subfolders.

    Returns
    -------
    pandas.DataFrame
        The tidy frame (see :mod:`engframe.schema`). From a folder, the frames of all its
        files stacked, with a categorical ``source`` column naming each row's file
        (relative to the folder); columns only some files have (such as ``fetched_at``)
        are missing (NA, NaT or False) for the others.

    Raises
    ------
    SourceError
        If the path does not exist or a folder holds no ``.json``/``.json.gz`` file.
    ResponseError
        If a response is malformed; the message names the file and the JSON path.

    Examples
    --------
    >>> import engframe
    >>> df = engframe.load("data/samples")
    >>> sorted(df["source"].unique())[:2]
    ['account.json', 'account_intervals.json']
    >>> int(df.loc[df["source"] == "account.json", "value"].sum())
    31
    """
    if isinstance(source, str | os.PathLike) and not _is_json_text(source):
        path = Path(source)
        if path.is_dir():
            return _load_folder(path, recursive=recursive)
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
    if source is None:
        raise SourceError("engframe.load: give a file, a folder, or a response to read")
    return flatten(source)


def _is_json_text(source: Any) -> bool:
    return isinstance(source, str) and source.lstrip().startswith(("{", "["))


def _load_folder(folder: Path, *, recursive: bool) -> pd.DataFrame:
    files = _files.response_files(folder, recursive=recursive)
    if not files:
        raise SourceError(
            f"{folder}: holds no saved responses (files named {' or '.join(_files.PATTERNS)})"
        )
    frames = [flatten(path) for path in files]
    names = [path.relative_to(folder).as_posix() for path in files]
    stacked = concat_frames(frames)
    codes = np.repeat(np.arange(len(files), dtype=np.int32), [len(f) for f in frames])
    stacked["source"] = categorical(codes, names)
    return stacked
