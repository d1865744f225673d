"""The local stack's one error."""

from contracts import WirewatchError


class StackError(WirewatchError):
    """A local server could not be fetched, started or stopped."""
