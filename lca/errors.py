"""Errors raised by the calculation engine.

LcaError
  + SnapshotError        snapshot missing, incomplete, corrupt, or its hash does not match
  + SingularSystemError  technosphere matrix cannot be factorised (singular, or not square)
  + UnknownIndicator     an indicator id that the indicator set or the snapshot does not know
  + ForegroundError      a foreground (BOM) line that cannot be evaluated as given

`lca` knows nothing of HTTP; the service maps these classes to problem responses.
"""


class LcaError(Exception):
    """Root of every error raised by `lca`."""


class SnapshotError(LcaError):
    """A snapshot cannot be built or loaded: a file is missing, a file hash or the
    snapshot hash does not match the manifest, or the data is not what a snapshot holds."""


class SingularSystemError(LcaError):
    """The technosphere matrix is singular or not square, so it cannot be factorised."""


class UnknownIndicator(LcaError):
    """An indicator id that is not part of the indicator set in use."""


class ForegroundError(LcaError):
    """A foreground line links to something outside the snapshot (product or flow index
    out of range) or its arrays do not fit together."""
