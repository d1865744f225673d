"""In-memory stand-ins for what alerting reaches through its interfaces (alerts/interfaces.py):
a Kafka topic, webhooks, the rules index and the alerts index. Plain objects that keep what
they were given, so tests assert on outcomes, not on calls."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from alerts import Alert, AlertSettings, DeliveryError, Rule, RuleNotFoundError
from index.errors import IndexingError
from index.template import mappings
from matcher import Catalog, CompiledQuery, compile_query

# Tells what a send does: None to get through, or the error it raises.
Outcome = Callable[[], DeliveryError | None]


def through() -> DeliveryError | None:
    """Every send gets through."""
    return None


class MemoryTopic:
    """A Kafka topic: the (key, value) messages published, in order."""

    def __init__(self, topic: str = "alerts", outcome: Outcome = through) -> None:
        self.topic = topic
        self.outcome = outcome
        self.messages: list[tuple[str, bytes]] = []
        self.tries = 0

    async def publish(self, key: str, value: bytes) -> None:
        self.tries += 1
        error = self.outcome()
        if error is not None:
            raise error
        self.messages.append((key, value))


class MemoryWebhooks:
    """Webhook receivers: the (url, body) posts each got through, and the tries per URL."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.tries: dict[str, int] = {}

    async def post(self, url: str, body: dict[str, Any]) -> None:
        self.tries[url] = self.tries.get(url, 0) + 1
        error = self.outcomes.get(url, through)()
        if error is not None:
            raise error
        self.received.append((url, body))


class MemoryRules:
    """The rules index: rules with versions that change on each save, compiled as the
    rule store compiles them; `compiled` counts the compilations."""

    def __init__(self, settings: AlertSettings | None = None) -> None:
        self._limits = (settings or AlertSettings()).query_limits()
        self._catalog = Catalog.from_mapping(mappings("standard"))
        self._rules: dict[str, tuple[Rule, tuple[int, int]]] = {}
        self._sequence = 0
        self.compiled: list[str] = []
        self.failure: IndexingError | None = None

    def save(self, rule: Rule) -> None:
        self._sequence += 1
        self._rules[rule.id] = (rule, (1, self._sequence))

    def remove(self, rule_id: str) -> None:
        del self._rules[rule_id]

    async def setup(self) -> None:
        return None

    async def get(self, rule_id: str) -> Rule:
        if rule_id not in self._rules:
            raise RuleNotFoundError(f"no rule has id {rule_id!r}")
        return self._rules[rule_id][0]

    async def fingerprint(self, *, enabled_only: bool = False) -> dict[str, tuple[int, int]]:
        current = await self.versions(enabled_only=enabled_only)
        return {rule.id: version for rule, version in current}

    async def versions(self, *, enabled_only: bool = False) -> list[tuple[Rule, tuple[int, int]]]:
        if self.failure is not None:
            raise self.failure
        return [
            (rule, version)
            for rule, version in self._rules.values()
            if rule.enabled or not enabled_only
        ]

    def compile(self, query: str) -> CompiledQuery:
        self.compiled.append(query)
        return compile_query(query, catalog=self._catalog, limits=self._limits)


class MemoryOutbox:
    """The alerts index: each alert as last saved, and every save in order."""

    def __init__(self, alerts: Sequence[Alert] = ()) -> None:
        self.alerts: dict[str, Alert] = {alert.id: alert for alert in alerts}
        self.saved: list[Alert] = []

    async def pending(
        self, matched_before: datetime, now: datetime, size: int = 100
    ) -> list[Alert]:
        due = [
            alert
            for alert in self.alerts.values()
            if alert.pending
            and (
                (alert.retry_at is None and alert.matched_at < matched_before)
                or (alert.retry_at is not None and alert.retry_at <= now)
            )
        ]
        return sorted(due, key=lambda alert: alert.matched_at)[:size]

    async def claim(self, alert_id: str, *, now: datetime, lease_s: float) -> Alert | None:
        alert = self.alerts.get(alert_id)
        if (
            alert is None
            or not alert.pending
            or alert.waiting(now)
            or alert.held_after(now - timedelta(seconds=lease_s))
        ):
            return None
        self.alerts[alert_id] = alert.held(now)
        return self.alerts[alert_id]

    async def save_deliveries(self, alert: Alert) -> None:
        self.saved.append(alert)
        self.alerts[alert.id] = alert
