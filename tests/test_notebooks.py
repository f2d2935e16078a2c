"""The notebooks in ``notebooks/`` run top to bottom, and are stored clean.

Each notebook is executed once per test session with nbclient, from ``notebooks/`` as Jupyter
would, in a fresh IPython kernel started on ``sys.executable`` (so the venv's engframe,
whatever kernelspecs the machine lists; no ``ipykernel install`` needed). The kernel's
environment keeps it offline and tidy: matplotlib's Agg backend, no ``LP_*`` variable (so
``live.ipynb`` targets the simulator on 127.0.0.1 and nothing leaves the machine), and
``TMPDIR``, the HTTP cache, IPython's and Jupyter's own files in a temporary folder.
Needs the test extras ``nbclient``, ``nbformat`` and ``ipykernel``.
"""

from __future__ import annotations

import os
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = ("quickstart.ipynb", "live.ipynb")
#: Folders the notebooks read from and run in: they must not write there.
WATCHED = (NOTEBOOKS_DIR, REPO / "data")
#: Per cell [s]; on the simulator each cell takes a few seconds at most.
CELL_TIMEOUT = 120
KERNEL = "python3"
pytestmark = pytest.mark.slow
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class _ThisPython(KernelSpecManager):
    """Every kernel name starts an IPython kernel on this interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"{kernel_name} ({sys.executable})",
            language="python",
        )


@dataclass(frozen=True)
class Run:
    """A notebook after execution, and what appeared on disk meanwhile."""

    nb: Any
    tmp: Path
    new_in_watched: list[Path]


def _files(folders: tuple[Path, ...]) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*") if "__pycache__" not in p.parts}


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS_DIR / name, as_version=4)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module", params=NOTEBOOKS)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Execute one notebook in an offline, headless kernel whose files go to a temp folder."""
    name: str = request.param
    tmp = tmp_path_factory.mktemp(name.removesuffix(".ipynb"))
    nb = _read(name)
    before = _files(WATCHED)
    with pytest.MonkeyPatch.context() as env:
        for variable in [v for v in os.environ if v.startswith("LP_")]:
            env.delenv(variable)
        env.setenv("MPLBACKEND", "Agg")
        env.setenv("TMPDIR", str(tmp))
        env.setenv("ENGFRAME_CACHE_DIR", str(tmp / "cache"))
        env.setenv("IPYTHONDIR", str(tmp / "ipython"))
        env.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
        manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=_ThisPython())
        nbclient.NotebookClient(
            nb,
            km=manager,
            timeout=CELL_TIMEOUT,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        ).execute()  # raises CellExecutionError, quoting the cell and traceback, on any error
    return Run(nb, tmp, sorted(_files(WATCHED) - before))


def test_notebook_runs_every_code_cell(run: Run) -> None:
    code = [c for c in run.nb.cells if c.cell_type == "code"]
    assert code
    assert [c.id for c in code if c.execution_count is None] == []


def test_notebook_outputs_hold_no_error(run: Run) -> None:
    errors = [o for c in run.nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []


def test_notebook_writes_only_into_a_temporary_folder(run: Run) -> None:
    assert run.new_in_watched == []
    assert list(run.tmp.glob("engframe-*"))  # its tempfile.mkdtemp() work folder


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name: str) -> None:
    code = [c for c in _read(name).cells if c.cell_type == "code"]
    assert [c.id for c in code if c.outputs or c.execution_count is not None] == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_metadata_is_the_kernelspec_only(name: str) -> None:
    assert dict(_read(name).metadata) == {"kernelspec": KERNELSPEC}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_valid_nbformat(name: str) -> None:
    nbformat.validate(_read(name))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_notebook_matches_its_build_script(name: str) -> None:
    render = runpy.run_path(str(NOTEBOOKS_DIR / "build.py"))["render"]
    stored = (NOTEBOOKS_DIR / name).read_text(encoding="utf-8")
    assert stored == render(name), "regenerate with: python notebooks/build.py"
