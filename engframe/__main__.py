"""``python -m engframe`` and the ``engframe`` executable: the command line.

Ctrl+C is answered from the first moment this module runs: while the command line and the
libraries it needs load, a SIGINT ends the process with one line and exit code 130 (a
``KeyboardInterrupt`` there would print a traceback of some import); once the command runs,
:func:`engframe.cli.console` takes over with the same promise.
"""

import os
import signal
import sys
from types import FrameType


def _stopped(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("engframe: stopped\n")
    sys.stderr.flush()
    os._exit(130)  # nothing is written yet: nothing to clean up


signal.signal(signal.SIGINT, _stopped)


def run() -> int:
    """Run the ``engframe`` command on ``sys.argv``; returns the exit code."""
    from engframe.cli import console

    return console()


if __name__ == "__main__":
    raise SystemExit(run())
