"""The wiring of the three stages: ingest -> enrich -> index, overlapped on consecutive
batches (pipeline.py; the batch's steps are in batch.py)."""

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import structlog
from prometheus_client import CollectorRegistry

from alerts import Alerting, AlertStores, ApiAccess, alert_routes
from contracts import WirewatchError
from enrich import EnrichmentPool
from index import ArticleIndex, ElasticsearchClient
from ingest import ArticleConsumer, DeadLetterPublisher, ssl_context
from wirewatch.batch import ArticleEnricher, BatchLimits, BatchProcessor
from wirewatch.batch_observer import BatchObserver
from wirewatch.health import Readiness, SinkWatch, wait_for
from wirewatch.http import HealthServer
from wirewatch.logs import kafka_outage
from wirewatch.metrics import ServiceMetrics
from wirewatch.pipeline import Pipeline, PipelineLimits, PipelineState
from wirewatch.settings import Settings

log = structlog.get_logger(__name__)

_OUTAGE_PROBE_INTERVAL_S = 2.0


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

    Shutdown order: stop fetching and enriching, finish the batch being written (up to the
    shutdown timeout), which writes, dead-letters and commits it, then close the clients;
    the batches behind it are left uncommitted. After a failure, nothing more is committed:
    the uncommitted messages are redelivered and overwrite.
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
        # None: a pool of worker processes running the pipeline of settings.enrich.
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
                enricher = await resources.enter_async_context(
                    EnrichmentPool(
                        settings.enrich,
                        on_worker_restart=self.metrics.enrichment_worker_restarts.inc,
                    )
                )
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
            pipeline = Pipeline(
                consumer, processor, limits=PipelineLimits.from_settings(settings),
                state=self.pipeline, sink=self.sink,
            )  # fmt: skip
            self._measure(pipeline, consumer)
            # What is loaded by now lives as long as the process: the cyclic collector need
            # not walk it again on every full collection (about 0.1 s each, several a second
            # at a thousand articles a second).
            gc.freeze()
            self.readiness.started()
            self.ready.set()
            log.info("consuming", topic=settings.ingest.topic, group=settings.ingest.group_id,
                     pipeline_max_batches=settings.service.pipeline_max_batches)  # fmt: skip
            watch = asyncio.create_task(_watch_kafka_outage(consumer))
            resources.callback(watch.cancel)
            await pipeline.run(stop)
            log.info("stopping: the batch being written is committed or left for redelivery, "
                     "and those behind it are left for redelivery; closing clients")  # fmt: skip
        log.info("stopped")

    def _measure(self, pipeline: Pipeline, consumer: ArticleConsumer) -> None:
        queued = self.metrics.pipeline_queued_batches
        queued.labels("enrich").set_function(lambda: len(pipeline.to_enrich))
        queued.labels("write").set_function(lambda: len(pipeline.to_write))
        self.metrics.paused_partitions.set_function(consumer.paused_partitions)
