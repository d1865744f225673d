"""Small in-memory stages behind the batch path's interfaces (wirewatch/batch.py), and
batches to feed them: each keeps what a user would look at (what the index holds, what was
dead-lettered, which offsets were committed, which alerts were recorded and released)."""

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from alerts import Alert, MatchedArticle, RecordedAlerts, Rule, new_alert
from contracts import Article, DeadLetter, EnrichedArticle, KafkaPosition, ReceivedArticle
from enrich import EnrichmentFailure, EnrichmentResult
from index import ArticleDocument, IndexingError, Rejection, WriteResult, propose
from ingest import IncomingBatch, IngestError

T = TypeVar("T")

TOPIC = "wirewatch.articles"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def received(
    offset: int, *, partition: int = 0, title: str = "Talks in Caracas", body: str = "Talks."
) -> ReceivedArticle:
    """A valid article read at (TOPIC, partition, offset), its id `wire-<offset>`."""
    article = Article.model_validate(
        {"id": f"wire-{offset}", "title": title, "body": body,
         "published_at": "2026-12-01T10:00:00Z", "source": "Test Wire"}
    )  # fmt: skip
    return ReceivedArticle(
        article=article,
        position=KafkaPosition(topic=TOPIC, partition=partition, offset=offset),
        key=f"wire-{offset}".encode(),
        value=article.model_dump_json().encode(),
        published_to_kafka_at=NOW,
    )


def invalid(offset: int, *, partition: int = 0) -> DeadLetter:
    """A message validation refused."""
    return DeadLetter(
        position=KafkaPosition(topic=TOPIC, partition=partition, offset=offset),
        key=None,
        value=b"not json",
        stage="validation",
        reason="not JSON",
    )


def batch_of(
    articles: Sequence[ReceivedArticle], letters: Sequence[DeadLetter] = ()
) -> IncomingBatch:
    """The batch one fetch would bring: offsets to commit past its last message, no lag."""
    next_offsets: dict[tuple[str, int], int] = {}
    for position in [item.position for item in articles] + [item.position for item in letters]:
        key = (position.topic, position.partition)
        next_offsets[key] = max(next_offsets.get(key, 0), position.offset + 1)
    return IncomingBatch(
        articles=list(articles),
        dead_letters=list(letters),
        next_offsets=next_offsets,
        lag=dict.fromkeys(next_offsets, 3),
    )


class Source:
    """The consumer as the batch sees it: partitions assigned, revoked, offsets committed."""

    def __init__(self, partitions: Sequence[int] = (0, 1, 2)) -> None:
        self.owned = {(TOPIC, partition) for partition in partitions}
        self.committed: dict[tuple[str, int], int] = {}
        # The batches claimed and not yet let go (by identity), and the most at once.
        self.claims: set[int] = set()
        self.most_claims = 0

    def revoke(self, partition: int) -> None:
        self.owned.discard((TOPIC, partition))

    async def claim(
        self, batch: IncomingBatch, results: Sequence[T]
    ) -> tuple[IncomingBatch, list[T]]:
        self.claims.add(id(batch))
        self.most_claims = max(self.most_claims, len(self.claims))
        kept = [
            (item, result)
            for item, result in zip(batch.articles, results, strict=True)
            if (item.position.topic, item.position.partition) in self.owned
        ]
        claimed = IncomingBatch(
            articles=[item for item, _ in kept],
            dead_letters=[
                letter
                for letter in batch.dead_letters
                if (letter.position.topic, letter.position.partition) in self.owned
            ],
            next_offsets={k: v for k, v in batch.next_offsets.items() if k in self.owned},
            lag={k: v for k, v in batch.lag.items() if k in self.owned},
        )
        return claimed, [result for _, result in kept]

    def unclaim(self) -> None:
        self.claims.clear()

    async def commit(self, batch: IncomingBatch) -> None:
        self.committed.update(
            {key: offset for key, offset in batch.next_offsets.items() if key in self.owned}
        )

    def assigned(self) -> set[tuple[str, int]]:
        return set(self.owned)


class Enricher:
    """Enrichment without spaCy: a title with "FAIL" fails, `bands` gives story band keys.
    Each call records its chunk, takes a moment (as a worker process would), then records it
    as finished."""

    def __init__(self, bands: dict[str, list[str]] | None = None) -> None:
        self.bands = bands or {}
        self.chunks: list[list[str]] = []
        self.finished: list[list[str]] = []
        # Called once a chunk is started.
        self.on_chunk: Callable[[], None] = lambda: None

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        chunk = [article.document_id for article in articles]
        self.chunks.append(chunk)
        self.on_chunk()
        await asyncio.sleep(0.01)
        self.finished.append(chunk)
        return [
            EnrichmentFailure(article=article, reason="spaCy raised ValueError: boom")
            if "FAIL" in article.title
            else EnrichedArticle(
                article=article, language="en", story_bands=self.bands.get(article.id or "", [])
            )
            for article in articles
        ]


class Stories:
    """Story resolution with the real pure rules (index.stories.propose), nothing claimed
    before the batch."""

    async def resolve(self, batch: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
        return propose(batch, {}, NOW, timedelta(hours=24)).stories


class Index:
    """The articles index: documents by id; `refuse` maps ids to a reason refused for good;
    `down` makes the next writes fail as Elasticsearch away would."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.documents: dict[str, ArticleDocument] = {}
        self.refuse = refuse or {}
        self.down = 0
        self.looked_up: list[str] = []

    async def stored(self, ids: Sequence[str]) -> set[str]:
        self.looked_up.extend(ids)
        return {id_ for id_ in ids if id_ in self.documents}

    async def write(self, documents: Sequence[ArticleDocument]) -> WriteResult:
        if self.down:
            self.down -= 1
            raise IndexingError("Elasticsearch did not answer", retriable=True)
        rejections = []
        for position, document in enumerate(documents):
            if document.id in self.refuse:
                refusal = Rejection(
                    position=position, document_id=document.id, status=400,
                    reason=self.refuse[document.id],
                )  # fmt: skip
                rejections.append(refusal)
            else:
                self.documents[document.id] = document
        return WriteResult(rejections=rejections)


class Alerts:
    """Alerting with one rule that matches everything: alerts are created once per story
    (their ids), recorded pending, then released or withdrawn."""

    RULE = Rule(id="all", name="Everything", query="*", created_at=NOW)

    def __init__(self) -> None:
        self.recorded: dict[str, Alert] = {}
        self.released: list[Alert] = []

    async def match(self, documents: Sequence[ArticleDocument]) -> list[list[Rule]]:
        return [[self.RULE] if self.matches(document) else [] for document in documents]

    def matches(self, document: ArticleDocument) -> bool:
        return True

    async def record(self, new: Sequence[MatchedArticle]) -> RecordedAlerts:
        candidates = [
            new_alert(rule, article.document, matched_at=NOW,
                      received_at=article.received.published_to_kafka_at,
                      topic="wirewatch.alerts")
            for article in new
            for rule in article.rules
        ]  # fmt: skip
        created = [alert for alert in candidates if alert.id not in self.recorded]
        self.recorded.update({alert.id: alert for alert in created})
        return RecordedAlerts(candidates=candidates, created=created)

    async def release(self, recorded: RecordedAlerts, refused: set[str]) -> list[Alert]:
        for alert in recorded.candidates:
            if alert.article_id in refused:
                self.recorded.pop(alert.id, None)
        released = [alert for alert in recorded.created if alert.article_id not in refused]
        self.released.extend(released)
        return released


class ArmsDealAlerts(Alerts):
    """Alerting with one rule that matches titles about an arms deal only."""

    def matches(self, document: ArticleDocument) -> bool:
        return "arms" in document.title


class DeadLetters:
    """The dead-letter topic: what was published, in order; `down` refuses the next publish."""

    def __init__(self) -> None:
        self.published: list[DeadLetter] = []
        self.down = False

    async def publish(self, letters: list[DeadLetter]) -> None:
        if self.down:
            self.down = False
            raise IngestError("the dead-letter topic is away", retriable=True)
        self.published.extend(letters)
