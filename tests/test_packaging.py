"""What CI runs on: the oldest dependency versions it tests are the ones pyproject.toml allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {}
    for requirement in project["dependencies"]:
        name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        found[name.lower()] = bound
    return found


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "minimums.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip().removesuffix(".*")
    return pins


def test_every_dependency_is_tested_at_its_lower_bound() -> None:
    bounds, pins = _lower_bounds(), _pins()
    assert set(pins) == set(bounds)
    for name, bound in bounds.items():
        # 'pandas>=2.2' is tested as pandas==2.2.0, 'pyarrow>=18' as pyarrow==18.*
        parts = bound.split(".")
        assert pins[name].split(".")[: len(parts)] == parts, (name, bound, pins[name])


def test_the_readme_test_command_runs_the_slow_tests_and_the_oldest_versions() -> None:
    readme = (ROOT / "README.md").read_text()
    command = readme.split("<!-- test-command -->", 1)[1].split("```")[1].strip()
    assert "--run-slow" in command and ".ci/oldest" in command
