"""The wiring of the three stages: ingest -> enrich -> index, one batch at a time (the
batch's steps are in batch.py)."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from alerts import Alerting, AlertStores, ApiAccess, alert_routes
from contracts import WirewatchError
from enrich import Enricher
from index import ArticleIndex, ElasticsearchClient
from ingest import ArticleConsumer, DeadLetterPublisher, IncomingBatch, ssl_context
from wirewatch.batch import ArticleEnricher, BatchLimits, BatchProcessor, StopRequestedError
from wirewatch.batch_observer import BatchObserver
from wirewatch.health import Readiness, SinkWatch, wait_for
from wirewatch.http import HealthServer
from wirewatch.logs import kafka_outage
from wirewatch.metrics import ServiceMetrics
from wirewatch.settings import Settings

log = structlog.get_logger(__name__)

_OUTAGE_PROBE_INTERVAL_S = 2.0


class ShutdownTimeoutError(WirewatchError):
    """The batch in hand did not finish within the shutdown timeout; nothing was committed."""


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
        enricher: ArticleEnricher | None = None,
    ) -> None:
        self.settings = settings
        # Benchmarks pass one without spaCy, to measure everything but enrichment.
        self._enricher = enricher
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

            async def waited(name: str, step: Callable[[], Awaitable[None]]) -> bool:
                """Whether `step` succeeded, tried with the start-up backoff until a stop."""
                return await wait_for(
                    name,
                    step,
                    stop=stop,
                    readiness=self.readiness,
                    initial_backoff_s=settings.service.startup_initial_backoff_ms / 1000,
                    max_backoff_s=settings.service.startup_max_backoff_ms / 1000,
                )

            self.readiness.step("setting up the Elasticsearch index")
            if not await waited("elasticsearch", set_up_elasticsearch):
                log.info("stopped while waiting for Elasticsearch")
                return
            self.readiness.step("loading the enrichment model")
            enricher = self._enricher
            if enricher is None:
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
            if not await waited("kafka", connect_kafka):
                log.info("stopped while waiting for Kafka")
                return
            ((alerting, dead_letters, consumer),) = clients
            self.readiness.add("kafka", consumer.ping)
            self.readiness.add("pipeline", self.pipeline.check)
            processor = BatchProcessor(
                consumer, enricher, index.stories, index, dead_letters,
                BatchObserver(self.metrics, consumer.assigned), alerting,
                limits=BatchLimits.from_settings(settings), stop=stop,
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
