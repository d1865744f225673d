"""The small interfaces through which alerting reaches what it does not own.

Kafka, webhooks, the service's metrics and settings are handed in by whoever wires alerting
(the service, a test): each is the few members alerting uses, so that an in-memory stand-in
or another client fits as well as the real one.
"""

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter, Gauge, Histogram
from pydantic import SecretStr

from alerts.records import Alert
from alerts.rules import Rule
from alerts.settings import AlertSettings
from index import IndexSettings
from ingest import IngestSettings, KafkaSettings
from matcher import CompiledQuery


class TopicPublisher(Protocol):
    """Publishes bytes to one Kafka topic, returning once the broker acknowledged them."""

    @property
    def topic(self) -> str:
        """The topic published to."""
        ...

    async def publish(self, key: str, value: bytes) -> None:
        """Sends one message keyed by `key`; raises a WirewatchError (its `retriable` set)
        when it did not get through."""
        ...


class WebhookSender(Protocol):
    """POSTs a JSON body to a webhook URL."""

    async def post(self, url: str, body: dict[str, Any]) -> None:
        """Returns once the webhook answered 2xx; raises DeliveryError otherwise."""
        ...


class RuleSource(Protocol):
    """Where the rule book reads rules from (the rules index: `RuleStore`)."""

    async def setup(self) -> None:
        """Makes the source ready to read."""
        ...

    async def get(self, rule_id: str) -> Rule:
        """The rule with this id, enabled or not; raises RuleNotFoundError if there is none."""
        ...

    async def fingerprint(self, *, enabled_only: bool = False) -> dict[str, tuple[int, int]]:
        """Each rule's id and version: a change of any rule changes it."""
        ...

    async def versions(self, *, enabled_only: bool = False) -> list[tuple[Rule, tuple[int, int]]]:
        """The rules with their versions, oldest first."""
        ...

    def compile(self, query: str) -> CompiledQuery:
        """The query compiled for matching; raises a WirewatchError if it cannot be."""
        ...


class DeliveryRecords(Protocol):
    """Where deliveries are recorded and recovered from (the alerts index: `AlertStore`)."""

    async def pending(
        self, matched_before: datetime, now: datetime, size: int = 100
    ) -> list[Alert]:
        """Alerts with a delivery pending since before `matched_before`, or due by `now`."""
        ...

    async def claim(self, alert_id: str, *, now: datetime, lease_s: float) -> Alert | None:
        """The alert with its pending deliveries taken on for `lease_s`; None when there is
        nothing to deliver or another instance holds them."""
        ...

    async def save_deliveries(self, alert: Alert) -> None:
        """Records the state of the alert's deliveries."""
        ...


class AlertMetrics(Protocol):
    """The service's alerting metrics (wirewatch_alert*), as `ServiceMetrics` holds them."""

    @property
    def alerts_fired(self) -> Counter: ...

    @property
    def alert_deliveries_failed(self) -> Counter: ...

    @property
    def alert_latency_seconds(self) -> Histogram: ...

    @property
    def alert_rules(self) -> Gauge: ...

    @property
    def alert_matching_over_budget(self) -> Counter: ...


class AlertingSettings(Protocol):
    """The sections of the one settings object that alerting reads."""

    @property
    def alerts(self) -> AlertSettings: ...

    @property
    def index(self) -> IndexSettings: ...

    @property
    def kafka(self) -> KafkaSettings: ...

    @property
    def ingest(self) -> IngestSettings: ...


class AccessSettings(Protocol):
    """Where the API's tokens come from and the address it listens on
    (WIREWATCH_SERVICE__API_* and WIREWATCH_SERVICE__HTTP_HOST)."""

    @property
    def http_host(self) -> str: ...

    @property
    def api_read_tokens(self) -> SecretStr | None: ...

    @property
    def api_write_tokens(self) -> SecretStr | None: ...

    @property
    def api_read_tokens_file(self) -> Path | None: ...

    @property
    def api_write_tokens_file(self) -> Path | None: ...
