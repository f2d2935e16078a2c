"""How fast the command line starts, and how a folder of many files loads.

Run from the repository root::

    python benchmarks/bench_start.py [--runs 9]

1. ``engframe --version`` and ``engframe --help`` in fresh processes, beside ``python -c
   pass`` (the interpreter's own start, the floor) and ``python -c "import pandas"`` (what
   the CLI paid before its imports moved into the commands): medians of ``--runs``.
2. ``engframe.load`` of folders of 500, 1,000 and 2,000 small saved envelopes: the time per
   file should stay flat (it grew with the number of files when stacking them was
   quadratic: 1,000 files took 18.9 s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def start(runs: int) -> None:
    python = sys.executable
    cases = {
        "python -c pass (floor)": [python, "-c", "pass"],
        "python -c 'import pandas'": [python, "-c", "import pandas"],
        "engframe --version": [python, "-m", "engframe", "--version"],
        "engframe --help": [python, "-m", "engframe", "--help"],
        "engframe fetch --help": [python, "-m", "engframe", "fetch", "--help"],
    }
    floor = None
    print(f"| command | median of {runs} [s] | minus the floor [s] |\n|---|---:|---:|")
    for name, argv in cases.items():
        value = _seconds(argv, runs)
        floor = value if floor is None else floor
        print(f"| {name} | {value:.3f} | {value - floor:.3f} |")


def folders() -> None:
    import engframe

    sample = json.loads((ROOT / "data" / "samples" / "skill_2.json").read_text())
    print("\n| files | load [s] | per file [ms] |\n|---:|---:|---:|")
    for count in (500, 1000, 2000):
        with tempfile.TemporaryDirectory() as folder:
            for i in range(count):
                envelope = {"request": {"account": "1", "timeframe": 60, "skillIds": str(i + 1)},
                            "fetched_at": f"2026-01-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z",
                            "response": sample}
                (Path(folder) / f"f{i:05d}.json").write_text(json.dumps(envelope))
            began = time.perf_counter()
            engframe.load(folder)
            took = time.perf_counter() - began
        print(f"| {count:,} | {took:.2f} | {1000 * took / count:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    start(args.runs)
    folders()


if __name__ == "__main__":
    main()
