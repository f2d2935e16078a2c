"""Run hostile files through engframe in this (fresh) process and report each outcome.

Usage: ``python tests/hostile/runner.py MANIFEST`` where MANIFEST is a JSON file mapping case
names to file paths. For each case and each way in (``flatten(path)``, ``load(path)``,
``load(folder)``) it prints one JSON line: the outcome (the exception's class and message,
or ``"ok"``), the wall time [s] and the peak resident memory growth [bytes] over what the
process held before (Linux: the high-water mark is reset between runs).

``python tests/hostile/runner.py --cli ARGS...`` runs ``ARGS`` as a child process instead and
prints its exit code, output, wall time and peak resident memory [bytes].
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the high-water mark (VmHWM) to the current size


def _run(read: Any, path: Path) -> dict[str, Any]:
    import engframe

    _reset_peak()
    before = _status("VmRSS")
    start = time.perf_counter()
    try:
        read(path)
    except engframe.EngframeError as error:
        outcome = {"error": type(error).__name__, "engframe": True, "message": str(error)}
    except BaseException as error:  # what the corpus must never see: report, do not crash
        outcome = {"error": type(error).__name__, "engframe": False, "message": str(error)[:300]}
    else:
        outcome = {"error": None, "engframe": True, "message": "ok"}
    return {**outcome, "seconds": time.perf_counter() - start,
            "peak_bytes": _status("VmHWM") - before}


def run_api(manifest: dict[str, str]) -> None:
    import warnings

    import engframe

    warnings.simplefilter("ignore")
    ways = {"flatten": engframe.flatten, "load": engframe.load,
            "load_folder": lambda path: engframe.load(path.parent)}
    for case, name in manifest.items():
        for way, read in ways.items():
            result = _run(read, Path(name))
            print(json.dumps({"case": case, "way": way, **result}), flush=True)


def run_cli(args: list[str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    print(json.dumps({"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                      "seconds": time.perf_counter() - start,
                      "peak_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                      * 1024}))


if __name__ == "__main__":
    if sys.argv[1] == "--cli":
        run_cli(sys.argv[2:])
    else:
        run_api(json.loads(Path(sys.argv[1]).read_text()))
