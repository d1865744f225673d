"""Counting by id: what a scenario's stream should have become against what it became.

Pure: the observations (documents, alerts, dead letters, deliveries) are read elsewhere.
With deterministic document ids an overwrite is invisible in a count, so three things are
told apart: an article stored twice (two documents carrying one article id, say in two
backing indices) is a duplicate; an article written more than once onto its one document
(`_version` > 1, a redelivery after a crash) is a rewrite, harmless by design; an article
not stored at all is missing.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tests.chaos.corpus import Corpus


@dataclass(frozen=True)
class IndexedDocument:
    article_id: str
    doc_id: str
    index: str
    version: int
    story_id: str | None


@dataclass(frozen=True)
class RecordedAlert:
    alert_id: str
    rule_id: str
    article_id: str
    story_id: str
    delivery_states: tuple[str, ...]


@dataclass
class Tally:
    """The figures of one scenario, by id."""

    produced: int = 0
    valid: int = 0
    indexed: int = 0
    duplicates: int = 0
    missing: int = 0
    rewritten: int = 0
    unexpected_documents: int = 0
    stories_split: int = 0
    invalid_expected: int = 0
    dead_lettered: int = 0
    dead_letter_duplicates: int = 0
    dead_letters_missing: int = 0
    valid_dead_lettered: int = 0
    alerts_expected: int = 0
    alerts_recorded: int = 0
    alerts_duplicated: int = 0
    alerts_missing: int = 0
    alerts_unexpected: int = 0
    deliveries_pending: int = 0
    deliveries_failed: int = 0
    kafka_alerts_delivered: int = 0
    kafka_alert_duplicates: int = 0
    webhook_delivered: int | None = None
    webhook_duplicates: int | None = None
    webhook_missing: int | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)

    def problems(self, *, webhook: bool) -> list[str]:
        """What breaks "everything valid indexed once, no alert doubled, none lost"."""
        checks = [
            ("missing", self.missing),
            ("duplicates", self.duplicates),
            ("unexpected documents", self.unexpected_documents),
            ("dead letters missing", self.dead_letters_missing),
            ("valid articles dead-lettered", self.valid_dead_lettered),
            ("alerts missing", self.alerts_missing),
            ("alerts duplicated", self.alerts_duplicated),
            ("alerts unexpected", self.alerts_unexpected),
            ("deliveries failed", self.deliveries_failed),
            ("deliveries still pending", self.deliveries_pending),
            ("alerts missing from Kafka", self.alerts_recorded - self.kafka_alerts_delivered),
        ]
        if webhook:
            checks.append(("webhook deliveries missing", self.webhook_missing or 0))
        return [f"{name}: {count}" for name, count in checks if count > 0]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sample(items: Iterable[str], count: int = 5) -> list[str]:
    return sorted(items)[:count]


def tally(
    corpus: Corpus,
    produced: int,
    documents: Iterable[IndexedDocument],
    alerts: Iterable[RecordedAlert],
    rule_markers: dict[str, str],
    dead_letters: Iterable[bytes],
    kafka_alert_ids: Iterable[str],
    webhook_deliveries: Counter[str] | None = None,
) -> Tally:
    """Counts the stream's fate by id.

    `rule_markers` maps a rule id to its marker word; `dead_letters` are the values found on
    the dead-letter topic; `kafka_alert_ids` the ids found on the alerts topic.
    """
    result = Tally(produced=produced, valid=len(corpus.stories))
    examples: dict[str, list[str]] = {}

    copies: Counter[str] = Counter()
    story_ids: dict[int, set[str]] = defaultdict(set)
    for document in documents:
        copies[document.article_id] += 1
        if document.version > 1:
            result.rewritten += 1
        story = corpus.stories.get(document.article_id)
        if story is not None and document.story_id is not None:
            story_ids[story].add(document.story_id)
    valid = corpus.valid_ids
    result.indexed = len(valid & set(copies))
    result.duplicates = sum(count - 1 for count in copies.values() if count > 1)
    missing = valid - set(copies)
    result.missing = len(missing)
    unexpected = set(copies) - valid
    result.unexpected_documents = len(unexpected)
    result.stories_split = sum(1 for ids in story_ids.values() if len(ids) > 1)
    examples["missing"] = _sample(missing)
    examples["duplicates"] = _sample(key for key, count in copies.items() if count > 1)

    letters = Counter(dead_letters)
    invalid = corpus.invalid_values
    result.invalid_expected = len(invalid)
    result.dead_lettered = len(set(letters) & invalid)
    result.dead_letter_duplicates = sum(count - 1 for count in letters.values() if count > 1)
    result.dead_letters_missing = len(invalid - set(letters))
    result.valid_dead_lettered = len(set(letters) - invalid)

    expected = corpus.expected_alerts()
    result.alerts_expected = len(expected)
    recorded: Counter[tuple[str, int]] = Counter()
    alert_ids: set[str] = set()
    strays = 0
    for alert in alerts:
        alert_ids.add(alert.alert_id)
        marker = rule_markers.get(alert.rule_id)
        story = corpus.stories.get(alert.article_id)
        if marker is None or story is None:
            strays += 1
            continue
        recorded[(marker, story)] += 1
        result.deliveries_pending += alert.delivery_states.count("pending")
        result.deliveries_failed += alert.delivery_states.count("failed")
    result.alerts_recorded = sum(recorded.values()) + strays
    result.alerts_duplicated = sum(count - 1 for count in recorded.values() if count > 1)
    missed = expected - set(recorded)
    result.alerts_missing = len(missed)
    result.alerts_unexpected = len(set(recorded) - expected) + strays
    examples["alerts_missing"] = _sample(f"{marker}/story {story}" for marker, story in missed)
    examples["alerts_duplicated"] = _sample(
        f"{marker}/story {story} x{count}" for (marker, story), count in recorded.items()
        if count > 1
    )  # fmt: skip

    on_kafka = Counter(kafka_alert_ids)
    result.kafka_alerts_delivered = len(set(on_kafka) & alert_ids)
    result.kafka_alert_duplicates = sum(count - 1 for count in on_kafka.values() if count > 1)

    if webhook_deliveries is not None:
        result.webhook_delivered = len(set(webhook_deliveries) & alert_ids)
        result.webhook_duplicates = sum(c - 1 for c in webhook_deliveries.values() if c > 1)
        result.webhook_missing = len(alert_ids - set(webhook_deliveries))
    result.examples = {key: value for key, value in examples.items() if value}
    return result
