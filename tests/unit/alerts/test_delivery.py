"""The webhook body is Slack-compatible and carries the alert; settings read from the env;
which articles are new; when deferred deliveries are tried again."""

from datetime import UTC, datetime, timedelta

import pytest

from alerts import Alert, AlertSettings, Delivery, new_articles, next_round, slack_body
from contracts.models import Article, EnrichedArticle, KafkaPosition, ReceivedArticle
from index.documents import ArticleDocument, build_document
from wirewatch.settings import Settings

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


def test_alert_settings_come_from_wirewatch_alerts_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIREWATCH_ALERTS__WEBHOOK_TIMEOUT_S", "2.5")
    monkeypatch.setenv("WIREWATCH_ALERTS__ALERTS_TOPIC", "team.alerts")

    settings = Settings()

    assert settings.alerts.webhook_timeout_s == 2.5
    assert settings.alerts.alerts_topic == "team.alerts"
    assert settings.alerts.rules_index == "wirewatch-rules"


def test_alert_settings_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_ALERTS__DELIVERY_WORKERS", "0")

    with pytest.raises(ValueError, match="delivery_workers"):
        Settings()


def received(
    article_id: str, offset: int, title: str = "Talks"
) -> tuple[ReceivedArticle, ArticleDocument]:
    article = Article.model_validate(
        {"id": article_id, "title": title, "body": "Talks were held.",
         "published_at": "2026-11-27T10:00:00Z", "source": "Test Wire"}
    )  # fmt: skip
    position = KafkaPosition(topic="articles", partition=0, offset=offset)
    item = ReceivedArticle(article=article, position=position, value=b"{}",
                           published_to_kafka_at=NOW)  # fmt: skip
    document = build_document(EnrichedArticle(article=article, language="en"), position, NOW)
    return item, document


def test_only_articles_the_index_did_not_hold_before_the_batch_are_new() -> None:
    batch = [received("old", 0), received("new", 1)]
    items, documents = zip(*batch, strict=True)

    new = new_articles(items, documents, stored={"old"})

    assert [document.id for _, document in new] == ["new"]


def test_of_two_copies_of_one_article_in_a_batch_only_the_last_written_is_new() -> None:
    batch = [received("a", 0, "First version"), received("a", 1, "Second version")]
    items, documents = zip(*batch, strict=True)

    ((item, document),) = new_articles(items, documents, stored=set())

    assert (item.position.offset, document.title) == (1, "Second version")


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
