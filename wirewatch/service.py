"""The wiring of the three stages: ingest -> enrich -> index, one batch at a time."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from prometheus_client import CollectorRegistry

from alerts import Alerting, AlertStores, ApiAccess, alert_routes, new_articles
from contracts.errors import WirewatchError
from contracts.models import DeadLetter, ReceivedArticle
from enrich import Enricher, EnrichmentFailure, EnrichmentResult
from index import ArticleIndex, ElasticsearchClient, Rejection, build_document
from index.breaker import check_refusals
from ingest import ArticleConsumer, DeadLetterPublisher, IncomingBatch
from ingest.connection import ssl_context
from wirewatch.health import Readiness, SinkWatch, wait_for
from wirewatch.http import HealthServer
from wirewatch.logs import kafka_outage
from wirewatch.metrics import ServiceMetrics
from wirewatch.settings import Settings

log = structlog.get_logger(__name__)

_OUTAGE_PROBE_INTERVAL_S = 2.0

A = TypeVar("A")
R = TypeVar("R")


class ShutdownTimeoutError(WirewatchError):
    """The batch in hand did not finish within the shutdown timeout; nothing was committed."""


class StopRequestedError(Exception):
    """The batch in hand was given up before anything of it was written: stop was set."""


class PipelineState:
    """Whether the service loop moves, or holds a batch through an outage (and why).

    Readiness reads it: a held pipeline is not ready, though the process is alive.
    """

    def __init__(self) -> None:
        self.held_reason: str | None = None
        self._held_since = 0.0

    def hold(self, reason: str) -> bool:
        """Records an outage; True when this starts one (the moment to say so once)."""
        starts = self.held_reason is None
        if starts:
            self._held_since = time.monotonic()
        self.held_reason = reason
        return starts

    def release(self) -> float | None:
        """Ends an outage; returns how long it lasted, or None if there was none."""
        if self.held_reason is None:
            return None
        self.held_reason = None
        return time.monotonic() - self._held_since

    async def check(self) -> None:
        """Raises while a batch is held, for the readiness probe."""
        if self.held_reason is not None:
            raise WirewatchError(
                f"holding a batch until the outage ends (consumption paused): {self.held_reason}",
                retriable=True,
            )


def enrichment_chunks(
    articles: Sequence[ReceivedArticle], max_records: int, max_bytes: int
) -> list[list[ReceivedArticle]]:
    """Consecutive runs of the articles, each at most `max_records` long and `max_bytes` of
    messages (a longer message alone), so that a stop is heard between two of them."""
    chunks: list[list[ReceivedArticle]] = []
    size = 0
    for article in articles:
        if not chunks or len(chunks[-1]) >= max_records or size + len(article.value) > max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(article)
        size += len(article.value)
    return chunks


async def map_in_chunks(
    work: Callable[[list[A]], list[R]], chunks: Sequence[list[A]], stop: asyncio.Event | None
) -> list[R]:
    """`work` over each chunk in a thread, in order; raises StopRequestedError between two
    chunks once `stop` is set (a running thread cannot be cancelled, a chunk ends soon)."""
    results: list[R] = []
    for chunk in chunks:
        if stop is not None and stop.is_set():
            raise StopRequestedError
        results.extend(await asyncio.to_thread(work, chunk))
    return results


def rejected_letters(
    articles: Sequence[ReceivedArticle], rejections: Sequence[Rejection]
) -> list[DeadLetter]:
    """Dead letters for the documents Elasticsearch refused for good."""
    for rejection in rejections:
        # build_document fits every document to the mapping: a refusal means it does not.
        log.error("Elasticsearch refused the document of a validated article: a bug in "
                  "wirewatch, please report it with this reason", id=rejection.document_id,
                  status=rejection.status, reason=rejection.reason)  # fmt: skip
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


def enrichment_letters(
    articles: Sequence[ReceivedArticle], results: Sequence[EnrichmentResult]
) -> list[DeadLetter]:
    """Dead letters for the articles enrichment failed on."""
    return [
        DeadLetter(
            position=item.position,
            key=item.key,
            value=item.value,
            headers=item.headers,
            stage="enrichment",
            reason=f"cannot enrich article {item.article.document_id!r}: {result.reason}",
        )
        for item, result in zip(articles, results, strict=True)
        if isinstance(result, EnrichmentFailure)
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
        *,
        stop: asyncio.Event | None = None,
        chunk_max_records: int = 16,
        chunk_max_bytes: int = 65_536,
    ) -> None:
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.enricher = enricher
        self.index = index
        self.metrics = metrics
        self.alerting = alerting
        self.stop = stop
        self.chunk_max_records = chunk_max_records
        self.chunk_max_bytes = chunk_max_bytes
        self._lagging: set[tuple[str, int]] = set()

    async def process(self, batch: IncomingBatch) -> None:
        """Indexes or dead-letters every message of the batch, then commits its offsets.

        Raises StopRequestedError, having written nothing, if `stop` is set while enriching.
        """
        started = time.perf_counter()
        # spaCy holds the CPU: off the event loop, in chunks, so heartbeats flow meanwhile
        # and a stop is heard within one chunk.
        results = await map_in_chunks(
            self.enricher.enrich,
            [
                [item.article for item in chunk]
                for chunk in enrichment_chunks(
                    batch.articles, self.chunk_max_records, self.chunk_max_bytes
                )
            ],
            self.stop,
        )
        # Partitions revoked while enriching are their new owner's: only the rest is written.
        batch, results = await self.consumer.claim(batch, results)
        # An article enrichment failed on is dead-lettered; the others go on.
        received = [
            item
            for item, result in zip(batch.articles, results, strict=True)
            if not isinstance(result, EnrichmentFailure)
        ]
        enriched = [result for result in results if not isinstance(result, EnrichmentFailure)]
        failed = enrichment_letters(batch.articles, results)
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
        recorded = None
        if self.alerting is not None:
            # Newness is decided before the write, by what the index holds, so neither the
            # answer to a retried bulk request nor a crash after the write changes it; the
            # alerts are recorded before the write too, and their ids derive from (rule,
            # story): a redelivery finds them recorded and records nothing twice.
            stored = await self.index.stored([document.id for document in documents])
            recorded = await self.alerting.record(new_articles(received, documents, stored))
        written = await self.index.write(documents)
        rejections = written.rejections
        if self.alerting is not None and recorded is not None:
            refused = {rejection.document_id for rejection in rejections}
            await self.alerting.release(recorded, refused)
        # Most of the batch refused for one reason is the index's problem: stop before any
        # of it is dead-lettered or committed, so it is redelivered once the index is fixed.
        check_refusals(
            rejections,
            len({document.id for document in documents}),
            min_refused=self.index.settings.breaker_min_refused,
            refused_fraction=self.index.settings.breaker_refused_fraction,
        )
        letters = [*batch.dead_letters, *failed, *rejected_letters(received, rejections)]
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


async def _watch_kafka_outage(consumer: ArticleConsumer) -> None:
    """Ends the logged Kafka outage once the broker answers again (see KafkaOutage)."""
    while True:
        await asyncio.sleep(_OUTAGE_PROBE_INTERVAL_S)
        if kafka_outage.ongoing:
            with contextlib.suppress(WirewatchError):
                await consumer.ping()
                kafka_outage.over()


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
        self.pipeline = PipelineState()
        self.http_port: int | None = None
        self.readiness = Readiness(
            settings.service.probe_timeout_ms / 1000,
            on_probe=lambda name, up: self.metrics.dependency_up.labels(name).set(int(up)),
        )
        self.sink = SinkWatch(settings.service.stall_timeout_s)
        self.metrics.sink_batch_age_seconds.set_function(self.sink.batch_age_s)
        self.metrics.sink_stalled.set_function(lambda: int(self.sink.stalled()))

    async def run(self, stop: asyncio.Event) -> None:
        """Consumes until `stop` is set; raises the error that ended it otherwise.

        The probes answer from the start: while Elasticsearch cannot be set up, start-up
        waits for it (not ready, saying why), and a stop meanwhile ends the wait cleanly.
        """
        settings = self.settings
        log.info("starting", settings=settings.masked())
        # Before anything opens: a refusal (no token beyond loopback) is the whole answer.
        access = ApiAccess.from_settings(settings.service)
        if access.open:
            log.warning(
                "the rules API is open to anyone on this machine: no token is configured "
                "(WIREWATCH_SERVICE__API_READ_TOKENS, ..._API_WRITE_TOKENS, or their _FILE)",
                host=settings.service.http_host,
            )
        # Unusable TLS files are a setting to fix: said at once, before any waiting.
        ssl_context(settings.kafka)
        async with AsyncExitStack() as resources:
            index = await resources.enter_async_context(
                ArticleIndex(settings.index, client=self._elasticsearch)
            )
            stores = AlertStores.from_settings(index.client, settings.alerts, settings.index)
            http = await resources.enter_async_context(
                HealthServer(
                    settings.service.http_host,
                    settings.service.http_port,
                    self.registry,
                    self.readiness,
                    self.sink,
                    alert_routes(stores.rules, stores.alerts, access),
                )
            )
            self.http_port = http.bound_port
            probe_timeout_s = settings.service.probe_timeout_ms / 1000
            self.readiness.add("elasticsearch", lambda: index.ping(probe_timeout_s))

            async def set_up_elasticsearch() -> None:
                await index.setup()
                if settings.alerts.enabled:
                    await stores.setup()

            self.readiness.step("setting up the Elasticsearch index")
            if not await wait_for(
                "elasticsearch",
                set_up_elasticsearch,
                stop=stop,
                readiness=self.readiness,
                initial_backoff_s=settings.service.startup_initial_backoff_ms / 1000,
                max_backoff_s=settings.service.startup_max_backoff_ms / 1000,
            ):
                log.info("stopped while waiting for Elasticsearch")
                return
            self.readiness.step("loading the enrichment model")
            enricher = await asyncio.to_thread(Enricher, settings.enrich)
            self.readiness.step("connecting to Kafka")
            clients: list[tuple[Alerting | None, DeadLetterPublisher, ArticleConsumer]] = []

            async def connect_kafka() -> None:
                async with AsyncExitStack() as attempt:
                    # First what needs Kafka only: a refusing broker ends the attempt there.
                    publisher = await attempt.enter_async_context(
                        DeadLetterPublisher(settings.kafka, settings.ingest)
                    )
                    alerting = None
                    if settings.alerts.enabled:
                        # Its rules come from Elasticsearch; its alerts go to Kafka.
                        alerting = await attempt.enter_async_context(
                            Alerting(settings, index.client, self.metrics)
                        )
                    member = await attempt.enter_async_context(
                        ArticleConsumer(settings.kafka, settings.ingest)
                    )
                    clients.append((alerting, publisher, member))
                    resources.push_async_exit(attempt.pop_all())

            # A broker that is down, or refuses the credentials or the certificate, is waited
            # for (not ready, saying why), as Elasticsearch is: a crash loop would say no more.
            if not await wait_for(
                "kafka",
                connect_kafka,
                stop=stop,
                readiness=self.readiness,
                initial_backoff_s=settings.service.startup_initial_backoff_ms / 1000,
                max_backoff_s=settings.service.startup_max_backoff_ms / 1000,
            ):
                log.info("stopped while waiting for Kafka")
                return
            ((alerting, dead_letters, consumer),) = clients
            self.readiness.add("kafka", consumer.ping)
            self.readiness.add("pipeline", self.pipeline.check)
            processor = BatchProcessor(
                consumer, dead_letters, enricher, index, self.metrics, alerting,
                stop=stop,
                chunk_max_records=settings.service.enrich_chunk_max_records,
                chunk_max_bytes=settings.service.enrich_chunk_max_bytes,
            )  # fmt: skip
            self.readiness.started()
            self.ready.set()
            log.info("consuming", topic=settings.ingest.topic, group=settings.ingest.group_id)
            watch = asyncio.create_task(_watch_kafka_outage(consumer))
            resources.callback(watch.cancel)
            while not stop.is_set():
                async with consumer.batch(stop) as batch:
                    if batch.size:
                        await self._finish(self._until_done(processor, consumer, batch), stop)
            log.info("stopping: the last batch is committed or left for redelivery; "
                     "closing clients")  # fmt: skip
        log.info("stopped")

    async def _until_done(
        self, processor: BatchProcessor, consumer: ArticleConsumer, batch: IncomingBatch
    ) -> None:
        """Processes the batch, holding it through outages: a retriable failure (Elasticsearch
        away past the retry deadline, Kafka away) pauses consumption and retries the batch
        whole, with capped backoff, until it goes through. Nothing is committed meanwhile."""
        backoff_s = self.settings.index.retry_initial_backoff_ms / 1000
        max_backoff_s = self.settings.index.retry_max_backoff_ms / 1000
        while True:
            try:
                # Each attempt is watched alone: a pause between attempts is no stall.
                await self._watched(batch, processor.process(batch))
            except WirewatchError as error:
                if not error.retriable:
                    raise
                reason = str(error)
            else:
                held_s = self.pipeline.release()
                if held_s is not None:
                    log.warning("outage over: the held batch went through; consuming again",
                                held_s=round(held_s, 1))  # fmt: skip
                return
            # Nothing of the batch is committed: a revocation meanwhile may take it.
            consumer.unclaim()
            if self.pipeline.hold(reason):
                log.error("outage: holding the batch and retrying it until it goes through; "
                          "consumption is paused, nothing is committed",
                          error=reason, records=batch.size)  # fmt: skip
            await asyncio.sleep(backoff_s)
            backoff_s = min(max(backoff_s * 2, 0.1), max_backoff_s)

    async def _watched(self, batch: IncomingBatch, attempt: Awaitable[None]) -> None:
        """Runs one attempt at the batch under the stall watch that /healthz reports."""
        self.sink.took(batch.size)
        done = False
        try:
            await attempt
            done = True
        finally:
            self.sink.settled(done=done)

    async def _finish(self, work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
        """Runs the batch to its end; once `stop` is set it gets the shutdown timeout, no more."""
        task = asyncio.create_task(work)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done() and self.pipeline.held_reason is not None:
                # Held through an outage: nothing of it is committed; it is redelivered.
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                log.warning("stopped holding the batch in hand; it will be redelivered")
                return
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
            try:
                task.result()
            except StopRequestedError:
                log.info("stopped enriching the batch in hand; it will be redelivered")
        finally:
            stopping.cancel()
            if not task.done():
                task.cancel()
