"""The errors of alerting, under one root.

Failures of the clients themselves keep their own package's error: Elasticsearch refusing
or away raises `index.IndexingError`, Kafka away `ingest.IngestError`, so that the service's
outage handling and every retry loop treat an alert's write as they treat an article's.
"""

from contracts import WirewatchError


class AlertsError(WirewatchError):
    """Something about rules, alerts or their delivery; `retriable` says whether trying
    again may help."""


class InvalidRuleError(AlertsError):
    """A rule that cannot be saved as given (no name, a bad webhook URL, ...)."""


class RuleNotFoundError(AlertsError):
    """No rule has the id given."""


class DeliveryError(AlertsError):
    """An alert could not be delivered to one destination."""


class ApiAccessError(AlertsError):
    """The API's tokens are missing where required, unreadable or unusable (never retriable)."""
