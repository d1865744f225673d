"""The batch path, step by step, over in-memory stages: what gets indexed, dead-lettered,
alerted on and committed, and what a failure at each step leaves behind."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from index import IndexingError, RefusalBreakerError
from ingest import IngestError
from tests.unit.wirewatch.batch_stages import (
    TOPIC,
    Alerts,
    ArmsDealAlerts,
    DeadLetters,
    Enricher,
    Index,
    Source,
    Stories,
    batch_of,
    invalid,
    received,
)
from wirewatch.batch import BatchLimits, BatchProcessor, StopRequestedError
from wirewatch.batch_observer import BatchObserver
from wirewatch.metrics import ServiceMetrics

LIMITS = BatchLimits(
    chunk_max_records=2, chunk_max_bytes=1_000_000, breaker_min_refused=3,
    breaker_refused_fraction=0.5,
)  # fmt: skip
MAPPING_REFUSAL = "mapper_parsing_exception: failed to parse field [title]"


class Stages:
    """One of each stage, and the processor over them."""

    def __init__(
        self,
        *,
        enricher: Enricher | None = None,
        index: Index | None = None,
        alerts: Alerts | None = None,
    ) -> None:
        self.source = Source()
        self.enricher = enricher or Enricher()
        self.index = index or Index()
        self.alerts = alerts or Alerts()
        self.dead_letters = DeadLetters()
        self.registry = CollectorRegistry()
        self.stop = asyncio.Event()
        self.processor = BatchProcessor(
            self.source, self.enricher, Stories(), self.index, self.dead_letters,
            BatchObserver(ServiceMetrics(self.registry), self.source.assigned), self.alerts,
            limits=LIMITS, stop=self.stop,
        )  # fmt: skip

    def metric(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


async def test_each_message_is_indexed_or_dead_lettered_with_its_reason_then_committed() -> None:
    ok, failing, refused = received(1), received(2, title="FAIL"), received(3)
    stages = Stages(index=Index(refuse={"wire-3": MAPPING_REFUSAL}))

    await stages.processor.process(batch_of([ok, failing, refused], [invalid(4)]))

    assert set(stages.index.documents) == {"wire-1"}
    assert [(letter.stage, letter.position.offset) for letter in stages.dead_letters.published] == [
        ("validation", 4), ("enrichment", 2), ("indexing", 3)
    ]  # fmt: skip
    enrichment, indexing = stages.dead_letters.published[1:]
    assert "'wire-2'" in enrichment.reason
    assert "spaCy raised ValueError: boom" in enrichment.reason
    assert (indexing.key, indexing.value) == (refused.key, refused.value)
    assert MAPPING_REFUSAL in indexing.reason
    assert stages.source.committed == {(TOPIC, 0): 5}


async def test_copies_of_one_story_are_written_under_the_first_copy_s_story_id() -> None:
    enricher = Enricher(bands={"wire-1": ["b1", "b2"], "wire-2": ["b2", "b3"], "wire-3": ["b9"]})
    stages = Stages(enricher=enricher)

    await stages.processor.process(batch_of([received(1), received(2), received(3)]))

    stories = {id_: document.story_id for id_, document in stages.index.documents.items()}
    assert stories == {"wire-1": "wire-1", "wire-2": "wire-1", "wire-3": "wire-3"}


async def test_only_articles_the_index_did_not_hold_alert_and_each_once() -> None:
    stages = Stages()
    await stages.processor.process(batch_of([received(1)]))

    # wire-1 redelivered (stored already) beside two new ones; then wire-2 redelivered.
    await stages.processor.process(batch_of([received(1), received(2), received(3)]))
    await stages.processor.process(batch_of([received(2)]))

    assert [alert.article_id for alert in stages.alerts.released] == ["wire-1", "wire-2", "wire-3"]


async def test_only_the_documents_a_rule_matched_are_looked_up_in_the_index() -> None:
    # Elasticsearch looks each id of a multi-get up: the others cannot alert, new or not.
    stages = Stages(alerts=ArmsDealAlerts())
    await stages.processor.process(batch_of([received(1), received(2, title="An arms sale")]))
    await stages.processor.process(batch_of([received(2, title="An arms sale")]))

    assert stages.index.looked_up == ["wire-2", "wire-2"]
    assert [alert.article_id for alert in stages.alerts.released] == ["wire-2"]


async def test_an_alert_of_a_refused_article_is_withdrawn_not_released() -> None:
    stages = Stages(index=Index(refuse={"wire-2": MAPPING_REFUSAL}))

    await stages.processor.process(batch_of([received(1), received(2)]))

    assert [alert.article_id for alert in stages.alerts.released] == ["wire-1"]
    assert [alert.article_id for alert in stages.alerts.recorded.values()] == ["wire-1"]


async def test_a_failed_write_leaves_its_alerts_recorded_pending_and_commits_nothing() -> None:
    stages = Stages()
    stages.index.down = 1
    batch = batch_of([received(1)])

    with pytest.raises(IndexingError, match="did not answer"):
        await stages.processor.process(batch)

    # Recorded before the write, so a crash after it cannot lose them; not offered yet.
    assert [alert.article_id for alert in stages.alerts.recorded.values()] == ["wire-1"]
    assert stages.alerts.released == []
    assert stages.source.committed == {}
    assert stages.dead_letters.published == []

    await stages.processor.process(batch)  # the retry of the held batch

    # Recorded once: the retry's create finds it (a recovery pass delivers what is pending).
    assert [alert.article_id for alert in stages.alerts.recorded.values()] == ["wire-1"]
    assert stages.alerts.released == []
    assert set(stages.index.documents) == {"wire-1"}
    assert stages.source.committed == {(TOPIC, 0): 2}


async def test_a_batch_refused_mostly_for_one_reason_stops_before_dead_lettering() -> None:
    articles = [received(offset) for offset in range(1, 5)]
    refusals = {f"wire-{offset}": MAPPING_REFUSAL for offset in range(1, 4)}
    stages = Stages(index=Index(refuse=refusals))

    with pytest.raises(RefusalBreakerError, match="3 of the 4 document"):
        await stages.processor.process(batch_of(articles, [invalid(5)]))

    assert stages.dead_letters.published == []
    assert stages.source.committed == {}


async def test_offsets_are_not_committed_before_the_dead_letters_are_acknowledged() -> None:
    stages = Stages()
    stages.dead_letters.down = True

    with pytest.raises(IngestError):
        await stages.processor.process(batch_of([received(1, title="FAIL")]))

    assert stages.source.committed == {}


async def test_a_stop_while_enriching_gives_the_batch_up_unwritten() -> None:
    stages = Stages()
    stages.enricher.on_chunk = stages.stop.set

    with pytest.raises(StopRequestedError):
        await stages.processor.process(batch_of([received(n) for n in range(1, 6)]))

    assert stages.enricher.chunks  # chunks of LIMITS.chunk_max_records, started at once
    assert stages.enricher.finished == []  # and given up
    assert stages.index.documents == {}
    assert stages.alerts.recorded == {}
    assert stages.source.committed == {}


async def test_the_records_of_a_partition_revoked_while_enriching_are_left_to_its_new_owner() -> (
    None
):
    stages = Stages()
    stages.source.revoke(1)

    await stages.processor.process(
        batch_of([received(1), received(2, partition=1)], [invalid(3, partition=1)])
    )

    assert set(stages.index.documents) == {"wire-1"}
    assert stages.dead_letters.published == []
    assert stages.source.committed == {(TOPIC, 0): 2}
    assert stages.metric("wirewatch_messages_consumed_total", topic=TOPIC) == 1


async def test_the_observer_counts_and_logs_what_the_batch_did() -> None:
    stages = Stages(index=Index(refuse={"wire-3": MAPPING_REFUSAL}))

    with capture_logs() as logs:
        await stages.processor.process(
            batch_of([received(1), received(2, title="FAIL"), received(3, partition=1)])
        )

    assert stages.metric("wirewatch_messages_consumed_total", topic=TOPIC) == 3
    assert stages.metric("wirewatch_articles_indexed_total") == 1
    for stage in ("enrichment", "indexing"):
        assert stages.metric("wirewatch_messages_dead_lettered_total", stage=stage) == 1
    assert stages.metric("wirewatch_consumer_lag", topic=TOPIC, partition="1") == 3
    assert stages.metric("wirewatch_batch_records_count") == 1
    assert stages.metric("wirewatch_ingest_latency_seconds_count") == 1
    events = [(entry["event"], entry.get("id", entry.get("offset"))) for entry in logs]
    assert ("article indexed", "wire-1") in events
    assert ("message dead-lettered", 2) in events
    assert ("message dead-lettered", 3) in events
    assert any(event.startswith("Elasticsearch refused the document") for event, _ in events)

    # Partition 1 revoked: its lag is its new owner's to report.
    stages.source.revoke(1)
    await stages.processor.process(batch_of([received(4)]))
    assert stages.metric("wirewatch_consumer_lag", topic=TOPIC, partition="1") is None
    assert stages.metric("wirewatch_consumer_lag", topic=TOPIC, partition="0") == 3
