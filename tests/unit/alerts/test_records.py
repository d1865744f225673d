"""Alert ids collapse copies of a story; deliveries move from pending to a final state."""

from datetime import UTC, datetime, timedelta

from alerts import Alert, Delivery, Rule, alert_id, new_alert
from alerts.records import alerts_mappings
from contracts.models import Article, EnrichedArticle
from index.documents import ArticleDocument, build_document

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def rule(webhooks: list[str]) -> Rule:
    return Rule.model_validate(
        {
            "id": "r1",
            "name": "Venezuela",
            "query": "countries:VE",
            "webhooks": webhooks,
            "created_at": NOW,
        }
    )


def document(article_id: str, story_id: str | None = None) -> ArticleDocument:
    article = Article.model_validate(
        {
            "id": article_id,
            "url": "https://example.com/a",
            "title": "Officials in Caracas",
            "body": "Talks on defence.",
            "published_at": "2026-11-27T12:00:00Z",
            "source": "Test Wire",
        }
    )
    return build_document(EnrichedArticle(article=article, language="en"), None, NOW, story_id)


def alert_for(
    article_id: str, story_id: str | None = None, webhooks: tuple[str, ...] = ()
) -> Alert:
    built = document(article_id, story_id)
    return new_alert(rule(list(webhooks)), built, matched_at=NOW, received_at=NOW, topic="alerts")


def test_alert_ids_are_stable_and_differ_by_rule_and_story() -> None:
    assert alert_id("r1", "s1") == alert_id("r1", "s1")
    assert len({alert_id("r1", "s1"), alert_id("r2", "s1"), alert_id("r1", "s2")}) == 3
    # The separator keeps the parts apart.
    assert alert_id("ab", "c") != alert_id("a", "bc")


def test_copies_of_one_story_share_the_alert_id_of_the_story() -> None:
    first = alert_for("story-a")
    copy = alert_for("copy-b", story_id="story-a")

    assert copy.id == first.id
    assert (copy.article_id, copy.story_id) == ("copy-b", "story-a")


def test_a_new_alert_has_kafka_and_one_pending_delivery_per_webhook_masked() -> None:
    alert = alert_for(
        "a", webhooks=("https://hooks.slack.com/services/T/B/SECRET", "http://h:8080/x")
    )

    assert [(d.destination, d.target, d.state) for d in alert.deliveries] == [
        ("kafka", "alerts", "pending"),
        ("webhook:0", "https://hooks.slack.com/…", "pending"),
        ("webhook:1", "http://h:8080/…", "pending"),
    ]
    assert "SECRET" not in alert.model_dump_json()
    assert alert.pending == alert.deliveries


def test_delivery_state_transitions_record_attempts_and_the_last_error() -> None:
    pending = Delivery(destination="webhook:0", target="https://h/…")

    delivered = pending.succeeded(2, NOW)
    failed = pending.gave_up(5, "webhook https://h/… answered 500", NOW)

    assert (delivered.state, delivered.attempts, delivered.last_error) == ("delivered", 2, None)
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed",
        5,
        "webhook https://h/… answered 500",
    )
    assert failed.kind == "webhook"
    assert Delivery(destination="kafka", target="t").kind == "kafka"


def test_replacing_one_delivery_keeps_the_others_and_ends_pending_when_all_settle() -> None:
    alert = alert_for("a", webhooks=("https://h/1",))
    kafka, hook = alert.deliveries

    once = alert.with_delivery(kafka.succeeded(1, NOW))
    both = once.with_delivery(hook.gave_up(3, "timeout", NOW))

    assert [d.destination for d in once.pending] == ["webhook:0"]
    assert both.pending == []
    assert [d.state for d in both.deliveries] == ["delivered", "failed"]


def test_the_message_leaves_out_delivery_state_and_the_mapping_covers_every_field() -> None:
    alert = alert_for("a", webhooks=("https://h/1",))

    assert "deliveries" not in alert.message()
    assert alert.message()["rule_id"] == "r1"
    properties = alerts_mappings()["properties"]
    assert set(alert.summary()) == set(properties)
    assert set(Delivery.model_fields) == set(properties["deliveries"]["properties"])
    assert alerts_mappings()["dynamic"] == "strict"
    assert properties["matched_at"] == {"type": "date"}


def test_holding_an_alert_stamps_only_its_pending_deliveries() -> None:
    alert = alert_for("a", webhooks=("https://h/1",))
    kafka, _ = alert.deliveries
    once = alert.with_delivery(kafka.succeeded(1, NOW))
    later = NOW + timedelta(seconds=30)

    held = once.held(later)

    assert [d.updated_at for d in held.deliveries] == [NOW, later]
    assert not once.held_after(NOW - timedelta(seconds=60)), "never taken on: free"
    assert held.held_after(NOW)
    assert not held.held_after(later), "the lease ran out"
    assert not held.with_delivery(held.deliveries[1].succeeded(1, later)).held_after(NOW)
