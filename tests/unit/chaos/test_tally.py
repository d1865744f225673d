"""Counting by id: lost, doubled, rewritten, dead-lettered and alerted are told apart."""

from collections import Counter

from tests.chaos.corpus import build
from tests.chaos.tally import IndexedDocument, RecordedAlert, Tally, tally

CORPUS = build(400, seed=4)
RULES = {"rule-k": "kestrel", "rule-o": "osprey", "rule-h": "harrier", "rule-m": "merlin"}
MARKER_RULE = {marker: rule for rule, marker in RULES.items()}


def _documents() -> list[IndexedDocument]:
    return [
        IndexedDocument(article_id, article_id, "a-000001", 1, f"story-{story}")
        for article_id, story in CORPUS.stories.items()
    ]


def _alerts() -> list[RecordedAlert]:
    first: dict[int, str] = {}
    for article_id, story in sorted(CORPUS.stories.items()):
        first.setdefault(story, article_id)
    return [
        RecordedAlert(f"{marker}-{story}", MARKER_RULE[marker], first[story], f"story-{story}",
                      ("delivered",))
        for marker, story in sorted(CORPUS.expected_alerts())
    ]  # fmt: skip


def _count(
    documents: list[IndexedDocument] | None = None,
    alerts: list[RecordedAlert] | None = None,
    letters: list[bytes] | None = None,
    on_kafka: list[str] | None = None,
    webhook: Counter[str] | None = None,
) -> Tally:
    alerts = _alerts() if alerts is None else alerts
    return tally(
        CORPUS,
        len(CORPUS.messages),
        _documents() if documents is None else documents,
        alerts,
        RULES,
        sorted(CORPUS.invalid_values) if letters is None else letters,
        [alert.alert_id for alert in alerts] if on_kafka is None else on_kafka,
        webhook,
    )


def test_a_perfect_run_has_no_problems() -> None:
    result = _count()
    assert result.problems(webhook=False) == []
    assert result.indexed == result.valid == len(CORPUS.stories)
    assert result.alerts_recorded == result.alerts_expected > 0


def test_an_article_stored_twice_is_a_duplicate_and_a_rewrite_is_not() -> None:
    documents = _documents()
    first = documents[0]
    documents.append(IndexedDocument(first.article_id, first.doc_id, "a-000002", 1, "s"))
    documents[1] = IndexedDocument(documents[1].article_id, documents[1].doc_id, "a-000001", 3,
                                   documents[1].story_id)  # fmt: skip
    result = _count(documents=documents)
    assert result.duplicates == 1
    assert result.rewritten == 1
    assert result.problems(webhook=False) == ["duplicates: 1"]


def test_lost_articles_and_alerts_are_missing() -> None:
    result = _count(documents=_documents()[3:], alerts=_alerts()[1:])
    assert result.missing == 3
    assert result.alerts_missing == 1
    assert result.examples["missing"]


def test_two_alerts_for_one_rule_and_story_are_a_duplicate() -> None:
    alerts = _alerts()
    copy = alerts[0]
    alerts.append(RecordedAlert("other-id", copy.rule_id, copy.article_id, "split-story",
                                ("delivered",)))  # fmt: skip
    result = _count(alerts=alerts)
    assert result.alerts_duplicated == 1
    assert "alerts duplicated: 1" in result.problems(webhook=False)


def test_dead_letters_count_once_each_and_valid_ones_are_named() -> None:
    invalid = sorted(CORPUS.invalid_values)
    valid_value = next(m.value for m in CORPUS.messages if m.article_id is not None)
    result = _count(letters=[*invalid, invalid[0], valid_value])
    assert result.dead_lettered == len(invalid)
    assert result.dead_letter_duplicates == 1
    assert result.valid_dead_lettered == 1


def test_webhook_deliveries_are_counted_per_alert_id() -> None:
    alerts = _alerts()
    got = Counter({alert.alert_id: 1 for alert in alerts[1:]})
    got[alerts[1].alert_id] += 1
    result = _count(alerts=alerts, webhook=got)
    assert result.webhook_missing == 1
    assert result.webhook_duplicates == 1
    assert "webhook deliveries missing: 1" in result.problems(webhook=True)
    assert "webhook deliveries missing: 1" not in result.problems(webhook=False)
