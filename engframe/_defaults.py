"""Defaults the command line shows in ``--help``, kept where importing them costs nothing.

The modules they belong to (:mod:`engframe.demo`, :mod:`engframe.sim`) import pandas and the
HTTP stack; the parser of ``engframe --help`` must not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["DEMO_OUT", "SIM_ACCOUNT", "SIM_PORT", "SIM_SEED"]

#: Where the demo writes unless told otherwise.
DEMO_OUT: Final = Path("engframe-demo")
#: The account the simulator hosts unless told otherwise (LivePerson's documented example).
SIM_ACCOUNT: Final = "56072331"
#: The port ``engframe sim`` listens on unless told otherwise.
SIM_PORT: Final = 8080
#: The simulated contact center's seed when none is given.
SIM_SEED: Final = 1
