"""The webhook body is Slack-compatible and carries the alert; settings read from the env."""

from datetime import UTC, datetime

import pytest

from index.alerts import Alert, Delivery
from wirewatch.alerting import slack_body
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
