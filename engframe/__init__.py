"""engframe: LivePerson Engagement Activity data as tidy pandas frames.

>>> import engframe
>>> df = engframe.load("data/samples/skill_2.json")
>>> df.columns[:7].tolist()
['timestamp', 'skill', 'agent', 'metric', 'value', 'level', 'span']
"""

from engframe.errors import EngframeError, EngframeWarning, FrameError, ResponseError, SourceError
from engframe.flatten import flatten
from engframe.load import load
from engframe.unflatten import unflatten

__version__ = "0.1.0"

__all__ = [
    "EngframeError",
    "EngframeWarning",
    "FrameError",
    "ResponseError",
    "SourceError",
    "__version__",
    "flatten",
    "load",
    "unflatten",
]
