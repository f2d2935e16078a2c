"""engframe: LivePerson Engagement Activity data as tidy pandas frames."""

from engframe.errors import EngframeError, EngframeWarning, FrameError, ResponseError, SourceError

__version__ = "0.1.0"

__all__ = [
    "EngframeError",
    "EngframeWarning",
    "FrameError",
    "ResponseError",
    "SourceError",
    "__version__",
]
