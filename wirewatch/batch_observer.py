"""The logs and metrics of the batch path, kept out of its steps: the processor tells a
`BatchObserver` what a batch came to, and only the observer logs and measures it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from contracts import DeadLetter, ReceivedArticle
from index import ArticleDocument, Rejection
from ingest import IncomingBatch
from wirewatch.metrics import ServiceMetrics

# The batch path's log lines keep the logger name they always had: saved searches may use it.
log = structlog.get_logger("wirewatch.service")

Partition = tuple[str, int]


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch came to, once committed: for the observer."""

    batch: IncomingBatch
    received: list[ReceivedArticle]
    documents: list[ArticleDocument]
    rejections: list[Rejection]
    letters: list[DeadLetter]

    def indexed(self) -> list[tuple[ReceivedArticle, ArticleDocument]]:
        """The articles written, with their documents (the refused left out)."""
        refused = {rejection.document_id for rejection in self.rejections}
        return [
            (item, document)
            for item, document in zip(self.received, self.documents, strict=True)
            if document.id not in refused
        ]

    def per_partition(self) -> dict[Partition, int]:
        """Messages of the batch per partition, articles and dead letters alike."""
        counts: dict[Partition, int] = {}
        for position in [item.position for item in self.batch.articles] + [
            letter.position for letter in self.batch.dead_letters
        ]:
            key = (position.topic, position.partition)
            counts[key] = counts.get(key, 0) + 1
        return counts


class BatchObserver:
    """The logs and metrics of the batch path, kept out of its steps (metric and event names
    are those the dashboards, alert rules and saved searches use)."""

    def __init__(self, metrics: ServiceMetrics, assigned: Callable[[], set[Partition]]) -> None:
        self.metrics = metrics
        self._assigned = assigned
        self._lagging: set[Partition] = set()

    def refused(self, rejections: Sequence[Rejection]) -> None:
        """Documents refused for good, about to be dead-lettered."""
        for rejection in rejections:
            # build_document fits every document to the mapping: a refusal means it does not.
            log.error("Elasticsearch refused the document of a validated article: a bug in "
                      "wirewatch, please report it with this reason", id=rejection.document_id,
                      status=rejection.status, reason=rejection.reason)  # fmt: skip

    def committed(self, outcome: BatchOutcome, seconds: float) -> None:
        """A batch written, dead-lettered and committed in `seconds`."""
        indexed_at = datetime.now(UTC)
        indexed = outcome.indexed()
        for item, document in indexed:
            latency = (indexed_at - item.published_to_kafka_at).total_seconds()
            self.metrics.ingest_latency_seconds.observe(max(0.0, latency))
            log.info("article indexed", id=document.id, title=document.title,
                     topic=item.position.topic, partition=item.position.partition,
                     offset=item.position.offset)  # fmt: skip
        for letter in outcome.letters:
            log.warning("message dead-lettered", stage=letter.stage, reason=letter.reason,
                        topic=letter.position.topic, partition=letter.position.partition,
                        offset=letter.position.offset)  # fmt: skip
        batch = outcome.batch
        for (topic, _), count in outcome.per_partition().items():
            self.metrics.consumed.labels(topic=topic).inc(count)
        self.metrics.indexed.inc(len(outcome.documents) - len(outcome.rejections))
        for letter in outcome.letters:
            self.metrics.dead_lettered.labels(stage=letter.stage).inc()
        for (topic, partition), lag in batch.lag.items():
            self.metrics.consumer_lag.labels(topic=topic, partition=str(partition)).set(lag)
        self._lagging.update(batch.lag)
        # A revoked partition's lag is its new owner's to report.
        assigned = self._assigned()
        for topic, partition in self._lagging - assigned:
            self.metrics.consumer_lag.remove(topic, str(partition))
        self._lagging &= assigned
        self.metrics.batch_records.observe(batch.size)
        self.metrics.batch_seconds.observe(seconds)
