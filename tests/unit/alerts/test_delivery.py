"""The webhook body is Slack-compatible and carries the alert; when deferred deliveries are
tried again; the deliverer, on in-memory Kafka, webhooks and alerts index (tests/unit/alerts/
memory.py): each delivery recorded as it settles, retries, deferral, final failures, the
queue and the recovery pass."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from alerts import (
    Alert,
    AlertSettings,
    Deliverer,
    Delivery,
    DeliveryError,
    Rule,
    RuleBook,
    new_alert,
    next_round,
    slack_body,
)
from contracts.models import Article, EnrichedArticle
from index.documents import build_document
from tests.unit.alerts.memory import MemoryOutbox, MemoryRules, MemoryTopic, MemoryWebhooks
from wirewatch.metrics import ServiceMetrics

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def alert(**overrides: object) -> Alert:
    data: dict[str, object] = {
        "id": "a1", "rule_id": "r1", "rule_name": "Arms <deals> & Venezuela",
        "query": "countries:VE", "article_id": "art-1", "story_id": "art-1",
        "title": "Russia & Venezuela sign <secret> pact", "url": "https://example.com/a",
        "source": "Test Wire", "published_at": NOW, "matched_at": NOW,
        "deliveries": [Delivery(destination="kafka", target="t")],
    }  # fmt: skip
    return Alert.model_validate({**data, **overrides})


def test_the_body_has_a_plain_text_fallback_and_blocks_linking_the_story() -> None:
    body = slack_body(alert())

    assert (
        body["text"] == "wirewatch alert Arms &lt;deals&gt; &amp; Venezuela: "
        "Russia &amp; Venezuela sign &lt;secret&gt; pact"
    )
    section = body["blocks"][0]["text"]
    assert section["type"] == "mrkdwn"
    # Slack's control characters are escaped inside mrkdwn.
    assert "*Arms &lt;deals&gt; &amp; Venezuela* matched a new story" in section["text"]
    assert (
        "<https://example.com/a|Russia &amp; Venezuela sign &lt;secret&gt; pact>" in section["text"]
    )
    context = body["blocks"][1]["elements"][0]["text"]
    assert "Test Wire" in context
    assert "`r1`" in context


def test_the_body_carries_the_alert_without_its_delivery_state() -> None:
    body = slack_body(alert())

    assert body["alert"]["id"] == "a1"
    assert body["alert"]["article_id"] == "art-1"
    assert "deliveries" not in body["alert"]


def test_an_article_without_url_is_named_without_a_link() -> None:
    section = slack_body(alert(url=None))["blocks"][0]["text"]["text"]

    assert section.endswith("\nRussia &amp; Venezuela sign &lt;secret&gt; pact")


def deferred_alert(rounds: int, at: datetime) -> Alert:
    hook = Delivery(destination="webhook:0", target="t", rounds=rounds, updated_at=at)
    return alert(deliveries=[Delivery(destination="kafka", target="t", state="delivered"), hook])


def test_a_deferred_delivery_waits_twice_as_long_each_round_up_to_the_cap() -> None:
    settings = AlertSettings(recovery_interval_s=30, delivery_retry_max_backoff_s=600)

    waits = [
        (next_round(deferred_alert(rounds, NOW), NOW, settings) or NOW) - NOW
        for rounds in (1, 2, 3, 5, 6, 1000)
    ]

    assert [wait.total_seconds() for wait in waits] == [30, 60, 120, 480, 600, 600]
    settled = alert(deliveries=[Delivery(destination="kafka", target="t", state="delivered")])
    assert next_round(settled, NOW, settings) is None


def test_a_deferred_alert_is_held_by_no_one_until_a_claim_takes_it_on() -> None:
    waiting = deferred_alert(1, NOW).model_copy(update={"retry_at": NOW + timedelta(seconds=30)})
    lease_start = NOW - timedelta(seconds=60)

    assert waiting.waiting(NOW)
    assert not waiting.held_after(lease_start)
    due = NOW + timedelta(seconds=31)
    assert not waiting.waiting(due)
    assert waiting.held(due).held_after(lease_start), "a claim stamps it after retry_at"


def test_a_failed_round_leaves_the_delivery_pending_with_its_error() -> None:
    delivery = Delivery(destination="webhook:0", target="t", attempts=3, rounds=1)

    later = delivery.deferred(6, "webhook http://h/… failed: refused", NOW)

    assert (later.state, later.attempts, later.rounds) == ("pending", 6, 2)
    assert later.last_error == "webhook http://h/… failed: refused"
    assert later.updated_at == NOW


HOOK = "https://hooks.example.com/services/SECRET"
OTHER = "https://other.example.com/hook"


def hooked_rule(*webhooks: str) -> Rule:
    return Rule.model_validate(
        {"id": "r1", "name": "Venezuela", "query": "title:caracas", "webhooks": list(webhooks),
         "created_at": NOW}
    )  # fmt: skip


def matched(rule: Rule, *, matched_at: datetime, article_id: str = "art-1") -> Alert:
    article = Article.model_validate(
        {"id": article_id, "url": "https://example.com/a", "title": "Officials in Caracas",
         "body": "Talks on defence.", "published_at": "2026-11-27T12:00:00Z",
         "source": "Test Wire"}
    )  # fmt: skip
    document = build_document(EnrichedArticle(article=article, language="en"), None, NOW)
    return new_alert(rule, document, matched_at=matched_at, received_at=NOW, topic="alerts")


class Delivering:
    """A deliverer on in-memory Kafka, webhooks, rules and alerts index."""

    def __init__(self, rule: Rule | None, **settings: Any) -> None:
        defaults: dict[str, Any] = {
            "webhook_max_attempts": 3, "webhook_initial_backoff_ms": 0,
            "webhook_max_backoff_ms": 0, "recovery_interval_s": 30,
        }  # fmt: skip
        self.settings = AlertSettings.model_validate({**defaults, **settings})
        self.rules = MemoryRules()
        if rule is not None:
            self.rules.save(rule)
        self.book = RuleBook(self.rules, self.settings)
        self.topic = MemoryTopic()
        self.webhooks = MemoryWebhooks()
        self.outbox = MemoryOutbox()
        self.registry = CollectorRegistry()
        self.deliverer = Deliverer(
            self.settings, self.outbox, self.book, self.topic, self.webhooks,
            ServiceMetrics(self.registry),
        )  # fmt: skip

    def failed(self, kind: str) -> float:
        value = self.registry.get_sample_value(
            "wirewatch_alert_deliveries_failed_total", {"destination": kind}
        )
        return value or 0.0


def retriable() -> DeliveryError:
    return DeliveryError("webhook answered 503", retriable=True)


def final() -> DeliveryError:
    return DeliveryError("webhook answered 404", retriable=False)


def states(alert: Alert) -> dict[str, str]:
    return {delivery.destination: delivery.state for delivery in alert.deliveries}


async def test_each_destination_gets_the_alert_and_each_outcome_is_recorded_as_it_settles() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule)
    await setup.book.reload()
    alert = matched(rule, matched_at=datetime.now(UTC))

    delivered = await setup.deliverer.deliver(alert)

    assert setup.topic.messages == [(alert.id, json.dumps(alert.message()).encode())]
    assert setup.webhooks.received == [(HOOK, slack_body(alert))]
    # Kafka's outcome is recorded before the webhook is tried: a crash meanwhile does not
    # publish it again.
    assert [states(saved) for saved in setup.outbox.saved] == [
        {"kafka": "delivered", "webhook:0": "pending"},
        {"kafka": "delivered", "webhook:0": "delivered"},
    ]
    assert states(delivered) == {"kafka": "delivered", "webhook:0": "delivered"}
    assert [delivery.attempts for delivery in delivered.deliveries] == [1, 1]
    assert delivered.retry_at is None


async def test_a_failing_webhook_is_tried_again_then_left_pending_for_a_later_round() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule)
    await setup.book.reload()
    setup.webhooks.outcomes[HOOK] = retriable
    before = datetime.now(UTC)

    delivered = await setup.deliverer.deliver(matched(rule, matched_at=before))

    assert setup.webhooks.tries[HOOK] == 3
    hook = delivered.deliveries[1]
    assert (hook.state, hook.attempts, hook.rounds) == ("pending", 3, 1)
    assert hook.last_error == "webhook answered 503"
    assert delivered.retry_at is not None
    assert delivered.retry_at - before >= timedelta(seconds=30)
    assert setup.failed("webhook") == 0


async def test_a_webhook_that_goes_on_failing_past_the_retry_age_fails_for_good() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule, delivery_retry_max_age_s=60)
    await setup.book.reload()
    setup.webhooks.outcomes[HOOK] = retriable
    old = datetime.now(UTC) - timedelta(seconds=61)

    delivered = await setup.deliverer.deliver(matched(rule, matched_at=old))

    assert states(delivered) == {"kafka": "delivered", "webhook:0": "failed"}
    assert delivered.retry_at is None
    assert setup.failed("webhook") == 1


async def test_a_final_refusal_is_not_tried_again() -> None:
    rule = hooked_rule(HOOK, OTHER)
    setup = Delivering(rule)
    await setup.book.reload()
    setup.webhooks.outcomes[HOOK] = final

    delivered = await setup.deliverer.deliver(matched(rule, matched_at=datetime.now(UTC)))

    assert setup.webhooks.tries == {HOOK: 1, OTHER: 1}
    assert states(delivered) == {"kafka": "delivered", "webhook:0": "failed",
                                 "webhook:1": "delivered"}  # fmt: skip
    assert delivered.deliveries[1].last_error == "webhook answered 404"
    assert setup.failed("webhook") == 1


async def test_kafka_failing_is_retried_as_a_webhook_is() -> None:
    rule = hooked_rule()
    setup = Delivering(rule)
    await setup.book.reload()
    failures = iter([retriable(), retriable()])
    setup.topic.outcome = lambda: next(failures, None)

    delivered = await setup.deliverer.deliver(matched(rule, matched_at=datetime.now(UTC)))

    assert setup.topic.tries == 3
    assert len(setup.topic.messages) == 1
    assert (delivered.deliveries[0].state, delivered.deliveries[0].attempts) == ("delivered", 3)


async def test_a_webhook_of_a_removed_rule_is_failed_without_a_try() -> None:
    setup = Delivering(None)
    alert = matched(hooked_rule(HOOK), matched_at=datetime.now(UTC))

    delivered = await setup.deliverer.deliver(alert)

    assert setup.webhooks.tries == {}
    assert states(delivered) == {"kafka": "delivered", "webhook:0": "failed"}
    assert "removed" in (delivered.deliveries[1].last_error or "")


async def test_a_disabled_rule_still_delivers_the_alerts_it_made() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule.model_copy(update={"enabled": False}))
    await setup.book.reload()
    assert setup.book.rules == {}

    delivered = await setup.deliverer.deliver(matched(rule, matched_at=datetime.now(UTC)))

    assert states(delivered) == {"kafka": "delivered", "webhook:0": "delivered"}


async def until_settled(outbox: MemoryOutbox, count: int) -> None:
    for _ in range(500):
        settled = [alert for alert in outbox.alerts.values() if not alert.pending]
        if len(settled) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} alert(s) not delivered within 5 s")


async def test_offered_alerts_are_delivered_in_the_background_and_a_full_queue_leaves_them_pending(
) -> None:  # fmt: skip
    rule = hooked_rule(HOOK)
    setup = Delivering(rule, delivery_queue_size=1, recovery_grace_s=0, recovery_interval_s=0.05)
    await setup.book.reload()
    now = datetime.now(UTC)
    first, second = (matched(rule, matched_at=now, article_id=name) for name in ("a", "b"))
    # Both recorded, as the batch path records them before offering.
    setup.outbox.alerts.update({first.id: first, second.id: second})

    async with setup.deliverer:
        setup.deliverer.offer([first, second])
        setup.deliverer.offer([first])
        await until_settled(setup.outbox, 2)

    assert sorted(key for key, _ in setup.topic.messages) == sorted([first.id, second.id])
    assert len(setup.webhooks.received) == 2, "each alert once: the queued one not offered twice"


async def test_a_recovery_pass_delivers_what_a_crash_left_pending_once() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule, recovery_grace_s=0, recovery_interval_s=0.05)
    await setup.book.reload()
    left = matched(rule, matched_at=datetime.now(UTC) - timedelta(seconds=1))
    setup.outbox.alerts[left.id] = left

    async with setup.deliverer:
        await until_settled(setup.outbox, 1)
        await asyncio.sleep(0.15)

    assert setup.topic.messages == [(left.id, json.dumps(left.message()).encode())]
    assert [url for url, _ in setup.webhooks.received] == [HOOK]


async def test_an_alert_another_instance_holds_is_left_to_it() -> None:
    rule = hooked_rule(HOOK)
    setup = Delivering(rule, recovery_grace_s=60, recovery_interval_s=3600)
    await setup.book.reload()
    now = datetime.now(UTC)
    held = matched(rule, matched_at=now - timedelta(seconds=120)).held(now)
    setup.outbox.alerts[held.id] = held

    async with setup.deliverer:
        setup.deliverer.offer([held], recovered=True)
        await asyncio.sleep(0.1)

    assert setup.topic.messages == []
    assert setup.outbox.saved == []
