"""Alerting at ingest time: match new articles against the rules, record, deliver.

The batch path only matches and writes alerts (create-once ids); delivery to Kafka and to
webhooks runs in background workers behind a bounded queue, so a slow or failing webhook
never holds up ingestion. The alerts index is the outbox: what the queue could not take, or
what a crash interrupted, stays `pending` there until a recovery pass delivers it.
"""

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from elasticsearch import AsyncElasticsearch

from contracts.errors import WirewatchError
from contracts.lifecycle import AsyncResource
from contracts.models import ReceivedArticle
from index.alerts import KAFKA, Alert, AlertStore, Delivery, new_alert
from index.documents import ArticleDocument
from index.retry import retry_policy
from index.rules import (
    InvalidRuleError,
    Rule,
    RuleBook,
    RuleNotFoundError,
    RuleStore,
)
from index.settings import AlertSettings
from ingest.alerts import AlertPublisher
from wirewatch.metrics import ServiceMetrics
from wirewatch.settings import Settings
from wirewatch.webhooks import WebhookClient

log = structlog.get_logger(__name__)

# How long stopping waits for deliveries in flight; the rest stays pending for recovery.
_STOP_GRACE_S = 5.0


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(alert: Alert) -> dict[str, Any]:
    """The webhook body: Slack's incoming-webhook format, with the alert itself alongside.

    `text` is the plain fallback (notifications, clients without blocks); `blocks` link
    the story; `alert` carries the fields for receivers that are not Slack (its `id` is the
    key to deduplicate on: a delivery interrupted by a crash is sent again).
    """
    title = _slack_escape(alert.title)
    link = f"<{alert.url}|{title}>" if alert.url else title
    context = (
        f"{_slack_escape(alert.source)} · published {alert.published_at.isoformat()} · "
        f"rule `{alert.rule_id}`"
    )
    return {
        "text": f"wirewatch alert {_slack_escape(alert.rule_name)}: {title}",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{_slack_escape(alert.rule_name)}* matched a new story\n{link}",
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
        "alert": alert.message(),
    }


def next_round(alert: Alert, now: datetime, settings: AlertSettings) -> datetime | None:
    """When the deferred deliveries of the alert are due (none if nothing is pending): the
    recovery interval after the first failed round, doubling with each further one, capped
    at `delivery_retry_max_backoff_s`."""
    if not alert.pending:
        return None
    rounds = min(delivery.rounds for delivery in alert.pending)
    # Past 64 doublings any interval is beyond any cap; the bound keeps the float finite.
    wait_s = min(
        settings.recovery_interval_s * 2.0 ** max(0, min(rounds, 64) - 1),
        settings.delivery_retry_max_backoff_s,
    )
    return now + timedelta(seconds=wait_s)


class Deliverer(AsyncResource):
    """Delivers alerts to Kafka and to their rule's webhooks from background workers.

    `offer` never waits: an alert the full queue cannot take stays pending in the alerts
    index. Each delivery is tried up to `webhook_max_attempts` times with capped exponential
    backoff; its outcome is recorded in the alert. A round that fails with an error worth
    trying again (a webhook or Kafka down) leaves the delivery pending, due at `retry_at`
    for a recovery pass, with a longer wait after each round, until the alert is
    `delivery_retry_max_age_s` old; then it is failed for good. Delivery is at least once: a crash
    between sending and recording sends again, with the same alert id. An alert older than
    `recovery_grace_s` is claimed in the alerts index first, so that replicas recovering it
    at the same time deliver it once.
    """

    def __init__(
        self,
        settings: AlertSettings,
        store: AlertStore,
        rules: RuleBook,
        publisher: AlertPublisher,
        metrics: ServiceMetrics,
    ) -> None:
        self.settings = settings
        self.store = store
        self.rules = rules
        self.publisher = publisher
        self.metrics = metrics
        # Each alert with whether a recovery pass found it (its state is then read again).
        self._queue: asyncio.Queue[tuple[Alert, bool]] = asyncio.Queue(settings.delivery_queue_size)
        self._queued: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.webhooks = WebhookClient(settings.egress_policy(), settings.webhook_timeout_s)

    async def _open(self) -> None:
        await self.webhooks.start()
        self._tasks = [
            asyncio.create_task(self._work(), name=f"alert-delivery-{number}")
            for number in range(self.settings.delivery_workers)
        ]
        self._tasks.append(asyncio.create_task(self._recover_forever(), name="alert-recovery"))

    async def _close(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained(), timeout=_STOP_GRACE_S)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.webhooks.stop()
        if self._queued:
            log.info("alerts left pending for the next start", alerts=len(self._queued))

    async def _drained(self) -> None:
        await self._queue.join()

    def offer(self, alerts: Sequence[Alert], *, recovered: bool = False) -> None:
        """Queues the alerts for delivery without waiting; those that do not fit stay pending."""
        for alert in alerts:
            if alert.id in self._queued or not alert.pending:
                continue
            try:
                self._queue.put_nowait((alert, recovered))
            except asyncio.QueueFull:
                log.warning("delivery queue full: alert left pending for recovery",
                            alert_id=alert.id, queue=self._queue.maxsize)  # fmt: skip
                continue
            self._queued.add(alert.id)

    async def recover(self) -> int:
        """Queues alerts left pending longer than the grace period, and those whose deferred
        deliveries are due; returns how many."""
        room = self._queue.maxsize - self._queue.qsize()
        if room <= 0:
            return 0
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.settings.recovery_grace_s)
        pending = [
            alert
            for alert in await self.store.pending(cutoff, now, size=room)
            if alert.id not in self._queued
        ]
        if pending:
            log.info("recovering pending alert deliveries", alerts=len(pending))
        self.offer(pending, recovered=True)
        return len(pending)

    async def _recover_forever(self) -> None:
        while True:
            try:
                await self.recover()
            except WirewatchError as error:
                log.warning("alert recovery pass failed; will try again", error=str(error))
            except Exception:
                # The next pass may succeed; a dead recovery task would strand alerts.
                log.exception("alert recovery pass crashed; will try again")
            await asyncio.sleep(self.settings.recovery_interval_s)

    async def _work(self) -> None:
        while True:
            alert, recovered = await self._queue.get()
            try:
                grace = self.settings.recovery_grace_s
                now = datetime.now(UTC)
                # Past the grace period another replica's recovery pass may have taken the
                # alert too: of those holding it, only the one whose claim wins delivers.
                # The claim reads in real time, so it also sees what a worker here has just
                # recorded since the pass searched (searches lag writes by a refresh).
                if recovered or now - alert.matched_at > timedelta(seconds=grace):
                    current = await self.store.claim(alert.id, now=now, lease_s=grace)
                    if current is None:
                        continue
                    alert = current
                await self.deliver(alert)
            except asyncio.CancelledError:
                raise
            except Exception:
                # One alert's bug must not stop the worker; a recovery pass retries it.
                log.exception("alert delivery crashed; it stays pending", alert_id=alert.id)
            finally:
                self._queued.discard(alert.id)
                self._queue.task_done()

    async def deliver(self, alert: Alert) -> Alert:
        """Tries each pending delivery of the alert, recording each outcome as it settles;
        returns the alert. Deliveries that failed but may still succeed later are deferred
        to a recovery pass (`retry_at`)."""
        rule = await self._rule(alert.rule_id)
        pending = alert.pending
        for number, delivery in enumerate(pending, start=1):
            alert = alert.with_delivery(await self._deliver_one(alert, delivery, rule))
            # Recorded one by one: a stop or crash while a slow webhook is still being tried
            # must not send again what already got through (the Kafka message first of all).
            # Each record renews the lease on what is left, so that a long delivery is not
            # taken over by another replica's recovery pass.
            now = datetime.now(UTC)
            alert = alert.held(now)
            if number == len(pending):
                alert = alert.model_copy(update={"retry_at": next_round(alert, now, self.settings)})
            try:
                await self.store.save_deliveries(alert)
            except WirewatchError as error:
                log.warning("alert delivered but its state not recorded; a recovery pass "
                            "will send it again", alert_id=alert.id, error=str(error))  # fmt: skip
        return alert

    async def _rule(self, rule_id: str) -> Rule | None:
        rule = self.rules.rules.get(rule_id)
        if rule is not None:
            return rule
        # Disabled since, or recovering after a restart: the store has it all the same.
        try:
            return await self.rules.store.get(rule_id)
        except RuleNotFoundError:
            return None
        except InvalidRuleError as error:
            # Edited by hand into something unreadable: its webhooks cannot be known.
            log.warning("alert's rule unreadable; its webhooks are skipped", error=str(error))
            return None

    async def _deliver_one(self, alert: Alert, delivery: Delivery, rule: Rule | None) -> Delivery:
        send: Callable[[], Awaitable[None]]
        if delivery.destination == KAFKA:
            value = json.dumps(alert.message()).encode()
            send = lambda: self.publisher.publish(alert.id, value)  # noqa: E731
        else:
            position = int(delivery.destination.split(":", 1)[1])
            urls = rule.webhook_urls() if rule is not None else []
            if position >= len(urls):
                self.metrics.alert_deliveries_failed.labels(destination=delivery.kind).inc()
                return delivery.gave_up(
                    delivery.attempts,
                    "the rule or its webhook was removed, or the rule is unreadable",
                    datetime.now(UTC),
                )
            body = slack_body(alert)
            send = lambda: self.webhooks.post(urls[position], body)  # noqa: E731
        return await self._attempt(alert, delivery, send)

    async def _attempt(
        self, alert: Alert, delivery: Delivery, send: Callable[[], Awaitable[None]]
    ) -> Delivery:
        attempts = delivery.attempts
        retrying = retry_policy(
            initial_backoff_ms=self.settings.webhook_initial_backoff_ms,
            max_backoff_ms=self.settings.webhook_max_backoff_ms,
            max_attempts=self.settings.webhook_max_attempts,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    await send()
        except WirewatchError as error:
            now = datetime.now(UTC)
            age = now - alert.matched_at
            if error.retriable and age < timedelta(seconds=self.settings.delivery_retry_max_age_s):
                log.warning("alert delivery failed; a recovery pass will try again",
                            alert_id=alert.id, rule_id=alert.rule_id,
                            destination=delivery.destination, target=delivery.target,
                            attempts=attempts, error=str(error))  # fmt: skip
                return delivery.deferred(attempts, str(error), now)
            self.metrics.alert_deliveries_failed.labels(destination=delivery.kind).inc()
            log.warning("alert delivery failed", alert_id=alert.id, rule_id=alert.rule_id,
                        destination=delivery.destination, target=delivery.target,
                        attempts=attempts, error=str(error))  # fmt: skip
            return delivery.gave_up(attempts, str(error), now)
        return delivery.succeeded(attempts, datetime.now(UTC))


class Alerting(AsyncResource):
    """Rules, alerts and their delivery, for the service's batch path."""

    def __init__(
        self, settings: Settings, client: AsyncElasticsearch, metrics: ServiceMetrics
    ) -> None:
        alerts = settings.alerts
        self.settings = alerts
        self.metrics = metrics
        self.rule_store = RuleStore(client, alerts, settings.index.text_analyzer)
        self.store = AlertStore(client, alerts, settings.index)
        self.rules = RuleBook(
            self.rule_store,
            alerts,
            on_reload=metrics.alert_rules.set,
            on_over_budget=lambda budget: metrics.alert_matching_over_budget.labels(budget).inc(),
        )
        self.publisher = AlertPublisher(settings.kafka, settings.ingest, alerts.alerts_topic)
        self.deliverer = Deliverer(alerts, self.store, self.rules, self.publisher, metrics)
        self._resources = AsyncExitStack()

    async def _open(self) -> None:
        async with AsyncExitStack() as resources:
            await self.store.setup()
            for resource in (self.rules, self.publisher, self.deliverer):
                await resources.enter_async_context(resource)
            self._resources = resources.pop_all()

    async def _close(self) -> None:
        await self._resources.aclose()

    async def record(
        self, new: Sequence[tuple[ReceivedArticle, ArticleDocument]]
    ) -> "RecordedAlerts":
        """Matches the batch's new articles and records their alerts, pending and not yet
        offered for delivery: called before the articles are written, so that a crash
        between the write and the record cannot lose them (the redelivered articles are
        still new, their alerts' creates answer 409).

        A (rule, story) that alerted before is skipped.
        """
        # Off the event loop, within time budgets: Kafka heartbeats, probes and the commit
        # never wait on a rule.
        matched = await asyncio.to_thread(
            self.rules.match_batch, [document.source_fields() for _, document in new]
        )
        matched_at = datetime.now(UTC)
        candidates = [
            new_alert(rule, document, matched_at=matched_at,
                      received_at=item.published_to_kafka_at, topic=self.publisher.topic)
            for (item, document), rules in zip(new, matched, strict=True)
            for rule in rules
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


def new_articles(
    received: Sequence[ReceivedArticle],
    documents: Sequence[ArticleDocument],
    stored: set[str],
) -> list[tuple[ReceivedArticle, ArticleDocument]]:
    """The articles of a batch that alert: those the index did not hold before the batch,
    and of several copies of one in the batch only the last (the one written).

    A redelivered, replayed or re-published article is stored already: it stays silent,
    however its write is answered, so a rule added since never alerts on an old story.
    """
    last = {document.id: position for position, document in enumerate(documents)}
    return [
        (item, document)
        for position, (item, document) in enumerate(zip(received, documents, strict=True))
        if document.id not in stored and last[document.id] == position
    ]
