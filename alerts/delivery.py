"""Delivery of alerts to Kafka and to webhooks, from background workers.

The batch path only matches and writes alerts (alerts/pipeline.py); delivery runs behind a
bounded queue, so a slow or failing webhook never holds up ingestion. The alerts index is
the outbox: what the queue could not take, or what a crash interrupted, stays `pending`
there until a recovery pass delivers it.
"""

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from alerts.book import RuleBook
from alerts.errors import InvalidRuleError, RuleNotFoundError
from alerts.interfaces import AlertMetrics, DeliveryRecords, TopicPublisher, WebhookSender
from alerts.records import KAFKA, Alert, Delivery
from alerts.rules import Rule
from alerts.settings import AlertSettings
from contracts import AsyncResource, WirewatchError
from index import retry_policy

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
        store: DeliveryRecords,
        rules: RuleBook,
        publisher: TopicPublisher,
        webhooks: WebhookSender,
        metrics: AlertMetrics,
    ) -> None:
        """`webhooks` is opened and closed by the caller, around this deliverer's life."""
        self.settings = settings
        self.store = store
        self.rules = rules
        self.publisher = publisher
        self.webhooks = webhooks
        self.metrics = metrics
        # Each alert with whether a recovery pass found it (its state is then read again).
        self._queue: asyncio.Queue[tuple[Alert, bool]] = asyncio.Queue(settings.delivery_queue_size)
        self._queued: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def _open(self) -> None:
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
