"""Shared fixtures for engframe's tests.

- ``samples_dir``: ``data/samples``, the seven response examples of the API's spec and two
  live shapes (skill -1, a messaging response with floats), one JSON file each (see
  ``data/samples/README.md`` for the request each one answers).
- ``sample``: a function ``sample(name) -> dict`` that reads one of them, decoded.

Module-specific fixtures live beside their tests (``tests/sim/conftest.py``,
``tests/client/conftest.py``, ...). No fixture touches the network or the user's home.

Hypothesis runs derandomized (the same examples on every run, no example database), so the
suite is deterministic; ``HYPOTHESIS_PROFILE=explore`` draws fresh examples instead.

Tests marked ``slow`` (the hostile corpus, writers killed at every step, concurrent writers,
the notebooks) are skipped unless ``--run-slow`` is given: a developer's ``python -m pytest``
stays quick, and CI (the README's test command) runs them all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow (CI does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES_DIR


@pytest.fixture
def sample() -> Callable[[str], Any]:
    def read(name: str) -> Any:
        return json.loads((SAMPLES_DIR / f"{name}.json").read_text())

    return read
