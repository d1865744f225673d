"""The service's Prometheus metrics, registered in the registry passed in."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    """Counters and gauges of the pipeline, all prefixed `wirewatch_`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed = Counter(
            "wirewatch_messages_consumed",
            "Messages read from the articles topic.",
            ["topic"],
            registry=registry,
        )
        self.indexed = Counter(
            "wirewatch_articles_indexed", "Articles written to Elasticsearch.", registry=registry
        )
        self.dead_lettered = Counter(
            "wirewatch_messages_dead_lettered",
            "Messages sent to the dead-letter topic, by the stage that refused them.",
            ["stage"],
            registry=registry,
        )
        self.enrichment_worker_restarts = Counter(
            "wirewatch_enrichment_worker_restarts",
            "Enrichment worker processes started in place of one that died (a crash or the OOM "
            "killer); the articles it held were tried again one at a time.",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "wirewatch_batch_duration_seconds",
            "Time spent enriching, writing and committing a batch (queue waits excluded).",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.batch_records = Histogram(
            "wirewatch_batch_records",
            "Messages per processed batch.",
            buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
            registry=registry,
        )
        self.ingest_latency_seconds = Histogram(
            "wirewatch_ingest_latency_seconds",
            "Time from a message's arrival in Kafka to its article being indexed.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "wirewatch_consumer_lag",
            "Messages between the last batch read and the end of each assigned partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self.alerts_fired = Counter(
            "wirewatch_alerts_fired",
            "Alerts created: a rule matched a story it had not alerted on.",
            registry=registry,
        )
        self.alert_deliveries_failed = Counter(
            "wirewatch_alert_deliveries_failed",
            "Alert deliveries given up after their last attempt, by destination kind.",
            ["destination"],
            registry=registry,
        )
        self.alert_latency_seconds = Histogram(
            "wirewatch_alert_latency_seconds",
            "Time from an article's arrival in Kafka to the creation of its alerts.",
            buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60),
            registry=registry,
        )
        self.alert_rules = Gauge(
            "wirewatch_alert_rules", "Enabled alert rules the service matches.", registry=registry
        )
        self.dependency_up = Gauge(
            "wirewatch_dependency_up",
            "1 when the dependency answered the last readiness probe or start-up attempt, else 0.",
            ["dependency"],
            registry=registry,
        )
        self.pipeline_queued_batches = Gauge(
            "wirewatch_pipeline_queued_batches",
            "Batches waiting in the pipeline for a stage (enrich, write).",
            ["stage"],
            registry=registry,
        )
        self.paused_partitions = Gauge(
            "wirewatch_paused_partitions",
            "Assigned partitions not fetched now: the pipeline is full (back-pressure).",
            registry=registry,
        )
        self.sink_batch_age_seconds = Gauge(
            "wirewatch_sink_batch_age_seconds",
            "How long the attempt at the batch in hand has lasted (0 without one).",
            registry=registry,
        )
        self.sink_stalled = Gauge(
            "wirewatch_sink_stalled",
            "1 while the batch in hand has outlasted WIREWATCH_SERVICE__STALL_TIMEOUT_S "
            "(/healthz then fails).",
            registry=registry,
        )
        self.alert_matching_over_budget = Counter(
            "wirewatch_alert_matching_over_budget",
            "Articles whose rule matching ran out of time, by the budget that did: 'article' "
            "(its remaining rules skipped) or 'batch' (the article not matched).",
            ["budget"],
            registry=registry,
        )
