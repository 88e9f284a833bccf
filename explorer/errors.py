"""User-facing errors. Each message is one sentence a person can act on.

The CLI prints them without a traceback and the app shows them with ``st.error``.
"""


class ExplorerError(Exception):
    """Base class of every error that is the input's fault, not a bug."""


class DataError(ExplorerError):
    """A dataset root, annotation file or feature store is missing or malformed."""


class CheckpointError(ExplorerError):
    """A checkpoint is missing, malformed or does not match its inputs."""


class WeightsError(ExplorerError):
    """Encoder weights are missing; the message says where to put them and how to get them."""


class FeatureShapeError(ExplorerError, ValueError):
    """Features whose shape does not fit the model (wrong dims, T mismatch)."""


class FeatureTypeError(ExplorerError, TypeError):
    """Features that are not tensors."""


class InvalidInputError(ExplorerError, ValueError):
    """Scores, attention maps or masks have the wrong type, shape or values."""
