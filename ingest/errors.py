"""Errors of the Kafka side."""

from contracts import WirewatchError


class IngestError(WirewatchError):
    """Reading from or writing to Kafka failed."""


class InvalidMessage(IngestError):  # noqa: N818 (reads as what it is: a message that is invalid)
    """A message that does not follow the article contract; it goes to the dead-letter topic."""


class KafkaSecurityError(IngestError):
    """The TLS or SASL settings cannot be used as given (a missing file, a key that does
    not fit its certificate); the message names the setting."""
