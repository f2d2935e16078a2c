"""The ``names=`` option of :func:`engframe.load`: which names to join, from where."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from engframe.errors import OptionError
from engframe.names._files import NAMES_FOLDER, find_names, read_names
from engframe.names._join import attach_names
from engframe.names._names import Names

__all__ = ["NamesOption", "check_names_option", "names_from", "with_names"]

#: What ``names=`` accepts: False/None (no names), True (read them: live from the API,
#: offline those saved beside the responses), a :class:`Names`, or a path of saved names.
NamesOption: TypeAlias = "bool | Names | str | os.PathLike[str] | None"


def check_names_option(option: Any, *, where: str) -> None:
    """Raise :class:`OptionError` unless ``option`` is a kind ``names=`` accepts."""
    if option is None or isinstance(option, bool | Names | str | os.PathLike):
        return
    raise OptionError(f"{where}: names={option!r} is invalid: give True, False, an "
                      "engframe.names.Names, or the path of saved names")


def names_from(option: Any, *, beside: Path | None, where: str) -> Names | None:
    """The names ``option`` asks for, offline; ``None`` for none.

    ``True`` reads the newest names saved in ``beside/names/``; when there are none the
    result is :meth:`Names.unavailable` (every id shows a fallback, one warning says why).

    Raises
    ------
    OptionError
        If ``option`` is of the wrong kind, or ``True`` with nothing to look beside.
    SourceError, ResponseError
        If a path given is missing or not saved names.
    """
    if option is None or option is False:
        return None
    if option is True:
        if beside is None:
            raise OptionError(f"{where}: names=True reads the names saved beside the "
                              "responses, and this source is not a file or folder; pass "
                              "names= a Names or the path of saved names")
        found = find_names(beside)
        if found is None:
            return Names.unavailable(
                f"no names saved in {beside / NAMES_FOLDER} (a live fetch with names=True "
                "and save_raw= saves them there)", source=str(beside))
        return read_names(found)
    if isinstance(option, Names):
        return option
    check_names_option(option, where=where)
    return read_names(option)


def with_names(df: pd.DataFrame, option: Any, *, beside: Path | None,
               where: str = "engframe.load") -> pd.DataFrame:
    """``df`` with the names ``option`` asks for joined (see :func:`names_from`)."""
    names = names_from(option, beside=beside, where=where)
    return df if names is None else attach_names(df, names, stacklevel=4)
