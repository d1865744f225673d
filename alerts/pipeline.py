"""Alerting in the service's batch path: match the new articles, record their alerts
before the write, release them for delivery after it."""

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Self

import structlog
from elasticsearch import AsyncElasticsearch

from alerts.book import RuleBook
from alerts.delivery import Deliverer
from alerts.interfaces import AlertingSettings, AlertMetrics
from alerts.outbox import AlertStore
from alerts.publisher import AlertPublisher
from alerts.records import Alert, new_alert
from alerts.rules import Rule, RuleStore
from alerts.settings import AlertSettings
from alerts.webhooks import WebhookClient
from contracts import AsyncResource, ReceivedArticle
from index import ArticleDocument, IndexSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AlertStores:
    """The rules index and the alerts index, built once from the settings."""

    rules: RuleStore
    alerts: AlertStore

    @classmethod
    def from_settings(
        cls, client: AsyncElasticsearch, alerts: AlertSettings, index: IndexSettings
    ) -> Self:
        """Both stores on `client`: rules compiled for the articles index's text analyzer,
        alert writes retried as the articles index's are."""
        return cls(
            rules=RuleStore(client, alerts, index.text_analyzer),
            alerts=AlertStore(client, alerts, index),
        )

    async def setup(self) -> None:
        """Creates both indices with their strict mappings if missing."""
        await self.rules.setup()
        await self.alerts.setup()


class Alerting(AsyncResource):
    """Rules, alerts and their delivery, for the service's batch path."""

    def __init__(
        self, settings: AlertingSettings, client: AsyncElasticsearch, metrics: AlertMetrics
    ) -> None:
        alerts = settings.alerts
        self.settings = alerts
        self.metrics = metrics
        stores = AlertStores.from_settings(client, alerts, settings.index)
        self.rule_store = stores.rules
        self.store = stores.alerts
        self.rules = RuleBook(
            self.rule_store,
            alerts,
            on_reload=metrics.alert_rules.set,
            on_over_budget=lambda budget: metrics.alert_matching_over_budget.labels(budget).inc(),
        )
        self.publisher = AlertPublisher(settings.kafka, settings.ingest, alerts.alerts_topic)
        self.webhooks = WebhookClient(alerts.egress_policy(), alerts.webhook_timeout_s)
        self.deliverer = Deliverer(
            alerts, self.store, self.rules, self.publisher, self.webhooks, metrics
        )
        self._resources = AsyncExitStack()

    async def _open(self) -> None:
        async with AsyncExitStack() as resources:
            await self.store.setup()
            # Closed in reverse: the deliverer drains before the webhook client closes.
            for resource in (self.rules, self.publisher, self.webhooks, self.deliverer):
                await resources.enter_async_context(resource)
            self._resources = resources.pop_all()

    async def _close(self) -> None:
        await self._resources.aclose()

    async def match(self, documents: Sequence[ArticleDocument]) -> list[list[Rule]]:
        """The enabled rules each document matches, in order. Matched before the index is
        asked which of the documents it holds: only those a rule matches need asking."""
        # Off the event loop, within time budgets: Kafka heartbeats, probes and the commit
        # never wait on a rule.
        return await asyncio.to_thread(
            self.rules.match_batch, [document.source_fields() for document in documents]
        )

    async def record(self, new: Sequence["MatchedArticle"]) -> "RecordedAlerts":
        """Records the alerts of the batch's new matched articles, pending and not yet
        offered for delivery: called before the articles are written, so that a crash
        between the write and the record cannot lose them (the redelivered articles are
        still new, their alerts' creates answer 409).

        A (rule, story) that alerted before is skipped.
        """
        matched_at = datetime.now(UTC)
        candidates = [
            new_alert(rule, article.document, matched_at=matched_at,
                      received_at=article.received.published_to_kafka_at,
                      topic=self.publisher.topic)
            for article in new
            for rule in article.rules
        ]  # fmt: skip
        if not candidates:
            return RecordedAlerts(candidates=[], created=[])
        return RecordedAlerts(
            candidates=candidates, created=await self.store.create_many(candidates)
        )

    async def release(self, recorded: "RecordedAlerts", refused: set[str]) -> list[Alert]:
        """Offers the recorded alerts for delivery once their articles are written; returns
        them. An alert recorded for an article the index refused is withdrawn, and recorded
        again for another copy of its story that the batch indexed, if one matched.
        """
        created = recorded.created
        # Candidates, not only those created now: a crashed attempt may have recorded them.
        dropped = [alert for alert in recorded.candidates if alert.article_id in refused]
        if dropped:
            withdrawn = set(await self.store.withdraw(dropped))
            replacements = [
                alert
                for alert in recorded.candidates
                if alert.id in withdrawn and alert.article_id not in refused
            ]
            created = [alert for alert in created if alert.id not in withdrawn]
            created += await self.store.create_many(replacements)
        released_at = datetime.now(UTC)
        for alert in created:
            self.metrics.alerts_fired.inc()
            if alert.article_received_at is not None:
                latency = (released_at - alert.article_received_at).total_seconds()
                self.metrics.alert_latency_seconds.observe(max(0.0, latency))
            log.info("alert", alert_id=alert.id, rule_id=alert.rule_id, rule=alert.rule_name,
                     article_id=alert.article_id, story_id=alert.story_id,
                     title=alert.title)  # fmt: skip
        self.deliverer.offer(created)
        return created


@dataclass(frozen=True)
class RecordedAlerts:
    """A batch's alerts before its write: every candidate (rule, article) matched, and the
    alerts created for them (a (rule, story) already alerted on is not)."""

    candidates: list[Alert]
    created: list[Alert]


@dataclass(frozen=True)
class MatchedArticle:
    """An article of a batch, its document and the rules the document matched."""

    received: ReceivedArticle
    document: ArticleDocument
    rules: Sequence[Rule]


def new_articles(matched: Sequence[MatchedArticle], stored: set[str]) -> list[MatchedArticle]:
    """The articles of a batch that alert: matched by a rule, not held by the index before the
    batch (`stored` needs to name only the matched), and of several copies of one in the batch
    only the last (the one written).

    A redelivered, replayed or re-published article is stored already: it stays silent,
    however its write is answered, so a rule added since never alerts on an old story.
    """
    last = {article.document.id: position for position, article in enumerate(matched)}
    return [
        article
        for position, article in enumerate(matched)
        if article.rules
        and article.document.id not in stored
        and last[article.document.id] == position
    ]
