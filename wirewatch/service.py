"""The wiring of the three stages: ingest -> enrich -> index, one batch at a time."""

import asyncio
import contextlib
import time
from collections.abc import Coroutine, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from contracts.errors import WirewatchError
from contracts.models import DeadLetter, ReceivedArticle
from enrich import Enricher
from index import ArticleIndex, ElasticsearchClient, Rejection, build_document
from index.alerts import AlertStore
from index.breaker import check_refusals
from index.rules import RuleStore
from ingest import ArticleConsumer, DeadLetterPublisher, IncomingBatch
from wirewatch.alerting import Alerting
from wirewatch.http import HealthServer, alert_routes
from wirewatch.metrics import ServiceMetrics
from wirewatch.settings import Settings

log = structlog.get_logger(__name__)


class ShutdownTimeoutError(WirewatchError):
    """The batch in hand did not finish within the shutdown timeout; nothing was committed."""


def rejected_letters(
    articles: Sequence[ReceivedArticle], rejections: Sequence[Rejection]
) -> list[DeadLetter]:
    """Dead letters for the documents Elasticsearch refused for good."""
    return [
        DeadLetter(
            position=articles[rejection.position].position,
            key=articles[rejection.position].key,
            value=articles[rejection.position].value,
            headers=articles[rejection.position].headers,
            stage="indexing",
            reason=(
                f"Elasticsearch refused document {rejection.document_id!r} "
                f"(status {rejection.status}): {rejection.reason}"
            ),
        )
        for rejection in rejections
    ]


class BatchProcessor:
    """Takes one batch through enrich and index, dead-letters the refused, then commits."""

    def __init__(
        self,
        consumer: ArticleConsumer,
        dead_letters: DeadLetterPublisher,
        enricher: Enricher,
        index: ArticleIndex,
        metrics: ServiceMetrics,
        alerting: Alerting | None = None,
    ) -> None:
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.enricher = enricher
        self.index = index
        self.metrics = metrics
        self.alerting = alerting
        self._lagging: set[tuple[str, int]] = set()

    async def process(self, batch: IncomingBatch) -> None:
        """Indexes or dead-letters every message of the batch, then commits its offsets."""
        started = time.perf_counter()
        received = batch.articles
        # spaCy holds the CPU; off the event loop, Kafka heartbeats keep flowing meanwhile.
        enriched = await asyncio.to_thread(
            self.enricher.enrich, [item.article for item in received]
        )
        stories = await self.index.stories.resolve(
            [(article.article.document_id, article.story_bands) for article in enriched]
        )
        ingested_at = datetime.now(UTC)
        documents = [
            build_document(
                article, item.position, ingested_at, stories[article.article.document_id]
            )
            for article, item in zip(enriched, received, strict=True)
        ]
        written = await self.index.write(documents)
        rejections = written.rejections
        if self.alerting is not None:
            # Only documents this write created are new stories: a redelivery or a replay
            # overwrites. Alerts are recorded before the commit and their ids are derived from
            # (rule, story), so a crash after this records nothing twice. The window this
            # leaves: a crash between the write and the alerts' record loses those alerts,
            # as the redelivered copy overwrites and is no longer new.
            # Of several copies of one document only the last is written: the others must
            # not alert on content the index does not hold.
            last = {document.id: document for document in documents}
            new = [
                (item, document)
                for item, document in zip(received, documents, strict=True)
                if document.id in written.created and last[document.id] is document
            ]
            await self.alerting.on_indexed(new)
        # Most of the batch refused for one reason is the index's problem: stop before any
        # of it is dead-lettered or committed, so it is redelivered once the index is fixed.
        check_refusals(
            rejections,
            len({document.id for document in documents}),
            min_refused=self.index.settings.breaker_min_refused,
            refused_fraction=self.index.settings.breaker_refused_fraction,
        )
        letters = [*batch.dead_letters, *rejected_letters(received, rejections)]
        await self.dead_letters.publish(letters)
        await self.consumer.commit(batch)

        refused_ids = {rejection.document_id for rejection in rejections}
        indexed_at = datetime.now(UTC)
        for item, document in zip(received, documents, strict=True):
            if document.id in refused_ids:
                continue
            latency = (indexed_at - item.published_to_kafka_at).total_seconds()
            self.metrics.ingest_latency_seconds.observe(max(0.0, latency))
            log.info("article indexed", id=document.id, title=document.title,
                     topic=item.position.topic, partition=item.position.partition,
                     offset=item.position.offset)  # fmt: skip
        for letter in letters:
            log.warning("message dead-lettered", stage=letter.stage, reason=letter.reason,
                        topic=letter.position.topic, partition=letter.position.partition,
                        offset=letter.position.offset)  # fmt: skip
        self._measure(batch, len(documents) - len(rejections), letters, started)

    def _measure(
        self, batch: IncomingBatch, indexed: int, letters: list[DeadLetter], started: float
    ) -> None:
        for (topic, _), count in _per_partition_counts(batch).items():
            self.metrics.consumed.labels(topic=topic).inc(count)
        self.metrics.indexed.inc(indexed)
        for letter in letters:
            self.metrics.dead_lettered.labels(stage=letter.stage).inc()
        for (topic, partition), lag in batch.lag.items():
            self.metrics.consumer_lag.labels(topic=topic, partition=str(partition)).set(lag)
        self._lagging.update(batch.lag)
        # A revoked partition's lag is its new owner's to report.
        for topic, partition in self._lagging - self.consumer.assigned():
            self.metrics.consumer_lag.remove(topic, str(partition))
        self._lagging &= self.consumer.assigned()
        self.metrics.batch_records.observe(batch.size)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)


def _per_partition_counts(batch: IncomingBatch) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for position in [item.position for item in batch.articles] + [
        letter.position for letter in batch.dead_letters
    ]:
        key = (position.topic, position.partition)
        counts[key] = counts.get(key, 0) + 1
    return counts


class Service:
    """The long-running consumer: call `run(stop)` and set `stop` to shut it down cleanly.

    Shutdown order: stop fetching, finish the batch in hand (up to the shutdown timeout),
    which writes, dead-letters and commits it, then close the clients. After a failure,
    nothing more is committed: the uncommitted messages are redelivered and overwrite.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        registry: CollectorRegistry | None = None,
        elasticsearch: ElasticsearchClient | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = ServiceMetrics(self.registry)
        self._elasticsearch = elasticsearch
        self.ready = asyncio.Event()
        self.http_port: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Consumes until `stop` is set; raises the error that ended it otherwise."""
        settings = self.settings
        log.info("starting", settings=settings.masked())
        async with AsyncExitStack() as resources:
            index = await resources.enter_async_context(
                ArticleIndex(settings.index, client=self._elasticsearch)
            )
            await index.setup()
            alerting = None
            if settings.alerts.enabled:
                alerting = await resources.enter_async_context(
                    Alerting(settings, index.client, self.metrics)
                )
            enricher = await asyncio.to_thread(Enricher, settings.enrich)
            dead_letters = await resources.enter_async_context(
                DeadLetterPublisher(settings.kafka, settings.ingest)
            )
            consumer = await resources.enter_async_context(
                ArticleConsumer(settings.kafka, settings.ingest)
            )
            http = await resources.enter_async_context(
                HealthServer(
                    settings.service.http_host,
                    settings.service.http_port,
                    self.registry,
                    {"kafka": consumer.ping, "elasticsearch": index.ping},
                    alert_routes(
                        RuleStore(index.client, settings.alerts, settings.index.text_analyzer),
                        AlertStore(index.client, settings.alerts, settings.index),
                    ),
                )
            )
            processor = BatchProcessor(
                consumer, dead_letters, enricher, index, self.metrics, alerting
            )
            self.http_port = http.bound_port
            self.ready.set()
            log.info("consuming", topic=settings.ingest.topic, group=settings.ingest.group_id)
            while not stop.is_set():
                async with consumer.batch(stop) as batch:
                    if batch.size:
                        await self._finish(processor.process(batch), stop)
            log.info("stopping: the last batch is committed; closing clients")
        log.info("stopped")

    async def _finish(self, work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
        """Runs the batch to its end; once `stop` is set it gets the shutdown timeout, no more."""
        task = asyncio.create_task(work)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                timeout = self.settings.service.shutdown_timeout_s
                await asyncio.wait({task}, timeout=timeout)
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    raise ShutdownTimeoutError(
                        f"the batch in hand did not finish within {timeout:.0f} s of the stop "
                        "signal (WIREWATCH_SERVICE__SHUTDOWN_TIMEOUT_S); unless its commit was "
                        "already on the wire it will be redelivered, overwriting the same "
                        "documents."
                    )
            task.result()
        finally:
            stopping.cancel()
            if not task.done():
                task.cancel()
