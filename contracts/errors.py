"""The root of every wirewatch error."""


class WirewatchError(Exception):
    """Base of each package's errors.

    `retriable` tells retry loops whether trying the same thing again can succeed
    (a 429, a dropped connection) or not (a rejected document, a bad setting).
    """

    retriable: bool = False

    def __init__(self, message: str, *, retriable: bool | None = None) -> None:
        super().__init__(message)
        if retriable is not None:
            self.retriable = retriable
