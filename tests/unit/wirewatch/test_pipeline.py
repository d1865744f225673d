"""The pipeline over in-memory stages: overlap, back-pressure, order of commits, outages,
failures and stops; its queues and its held state."""

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from contracts import Article, WirewatchError
from enrich import EnrichmentResult
from index import ArticleDocument, IndexingError, WriteResult
from ingest import IncomingBatch
from tests.unit.wirewatch.batch_stages import (
    TOPIC,
    ArmsDealAlerts,
    DeadLetters,
    Enricher,
    Index,
    Source,
    Stories,
    batch_of,
    received,
)
from wirewatch.batch import BatchLimits, BatchProcessor, EnrichedFetch, PreparedBatch
from wirewatch.batch_observer import BatchObserver
from wirewatch.health import SinkWatch
from wirewatch.metrics import ServiceMetrics
from wirewatch.pipeline import (
    Pipeline,
    PipelineLimits,
    PipelineState,
    ShutdownTimeoutError,
    StageQueue,
)

BATCH_LIMITS = BatchLimits(
    chunk_max_records=100, chunk_max_bytes=1_000_000, breaker_min_refused=3,
    breaker_refused_fraction=0.5,
)  # fmt: skip


class Feed:
    """The consumer as the pipeline sees it: batches to fetch, in order, then nothing."""

    def __init__(self, batches: Sequence[IncomingBatch]) -> None:
        self.batches = deque(batches)
        self.fetched = 0
        self.paused_now = False
        self.pauses = 0

    async def fetch(self, stop: asyncio.Event | None = None) -> IncomingBatch:
        assert not self.paused_now, "fetched while paused"
        if not self.batches:
            await asyncio.sleep(0.005)
            return IncomingBatch()
        self.fetched += 1
        return self.batches.popleft()

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        self.paused_now = True
        self.pauses += 1
        try:
            yield
        finally:
            self.paused_now = False


class SlowEnricher(Enricher):
    """Enrichment that takes `seconds` a call (in a worker process, as spaCy would)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        await asyncio.sleep(self.seconds)
        return await super().enrich(articles)


class Timed:
    """The batch's stages, each call's (kind, first document id, start, end) noted; `finish`
    takes `write_s` more, and waits while `gate` is clear."""

    def __init__(self, processor: BatchProcessor, write_s: float = 0.0) -> None:
        self.processor = processor
        self.write_s = write_s
        self.spans: list[tuple[str, str, float, float]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def enrich(self, batch: IncomingBatch) -> EnrichedFetch:
        started = time.monotonic()
        fetched = await self.processor.enrich(batch)
        self.spans.append(("enrich", batch.articles[0].article.id or "", started, time.monotonic()))
        return fetched

    async def prepare(self, fetched: EnrichedFetch) -> PreparedBatch:
        started = time.monotonic()
        prepared = await self.processor.prepare(fetched)
        first = fetched.batch.articles[0].article.id or ""
        self.spans.append(("prepare", first, started, time.monotonic()))
        return prepared

    async def finish(self, prepared: PreparedBatch) -> None:
        started = time.monotonic()
        await self.gate.wait()
        await asyncio.sleep(self.write_s)
        await self.processor.finish(prepared)
        first = prepared.fetched.batch.articles[0].article.id or ""
        self.spans.append(("write", first, started, time.monotonic()))


class Stages:
    """In-memory stages, a processor over them, and a pipeline of `max_batches`."""

    def __init__(
        self,
        batches: Sequence[IncomingBatch],
        *,
        max_batches: int = 1,
        enrich_s: float = 0.0,
        write_s: float = 0.0,
        shutdown_timeout_s: float = 5.0,
    ) -> None:
        self.source = Source()
        self.index = Index()
        self.dead_letters = DeadLetters()
        self.feed = Feed(batches)
        self.stop = asyncio.Event()
        self.processor = BatchProcessor(
            self.source, SlowEnricher(enrich_s), Stories(), self.index, self.dead_letters,
            BatchObserver(ServiceMetrics(CollectorRegistry()), self.source.assigned),
            limits=BATCH_LIMITS, stop=self.stop,
        )  # fmt: skip
        self.steps = Timed(self.processor, write_s)
        self.state = PipelineState()
        limits = PipelineLimits(
            max_batches=max_batches, shutdown_timeout_s=shutdown_timeout_s,
            retry_initial_backoff_s=0.0, retry_max_backoff_s=0.01,
        )  # fmt: skip
        self.pipeline = Pipeline(
            self.feed, self.steps, limits=limits, state=self.state, sink=SinkWatch(60)
        )

    async def run_until(self, committed: dict[tuple[str, int], int], timeout_s: float = 10) -> None:
        """Runs the pipeline until `committed` is what the source holds, then stops it."""
        running = asyncio.create_task(self.pipeline.run(self.stop))
        deadline = time.monotonic() + timeout_s
        while self.source.committed != committed and not running.done():
            assert time.monotonic() < deadline, f"committed only {self.source.committed}"
            await asyncio.sleep(0.005)
        self.stop.set()
        await running


async def until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    """Returns once `condition()` holds; fails after `timeout_s`."""
    for _ in range(int(timeout_s / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail(f"timed out after {timeout_s} s")


def batches(count: int, size: int = 2, partitions: int = 1) -> list[IncomingBatch]:
    """`count` batches of `size` articles each, offsets rising on each partition in turn."""
    return [
        batch_of(
            [received(n * size + i, partition=(n * size + i) % partitions) for i in range(size)]
        )
        for n in range(count)
    ]


async def test_enrichment_overlaps_the_write_of_the_batch_before() -> None:
    stages = Stages(batches(4), enrich_s=0.05, write_s=0.05)
    await stages.run_until({(TOPIC, 0): 8})

    enriched = {first: (start, end) for kind, first, start, end in stages.steps.spans
                if kind == "enrich"}  # fmt: skip
    written = {first: (start, end) for kind, first, start, end in stages.steps.spans
               if kind == "write"}  # fmt: skip
    # Batch 2 (wire-2, wire-3) is enriched while batch 1 (wire-0, wire-1) is written.
    assert written["wire-0"][0] < enriched["wire-2"][1]
    assert enriched["wire-2"][0] < written["wire-0"][1]
    assert set(stages.index.documents) == {f"wire-{n}" for n in range(8)}


async def test_the_next_batch_is_prepared_while_the_one_before_is_finished() -> None:
    stages = Stages(batches(4), max_batches=2, write_s=0.05)
    await stages.run_until({(TOPIC, 0): 8})

    spans = {(kind, first): (start, end) for kind, first, start, end in stages.steps.spans}
    # The writer is the slow stage: once batch 2 (wire-2, wire-3) is prepared, batch 3
    # (wire-4, wire-5) is queued, and is prepared while batch 2 is written.
    assert spans["prepare", "wire-4"][0] < spans["write", "wire-2"][1]
    assert spans["prepare", "wire-4"][1] <= spans["write", "wire-4"][0]
    assert stages.source.most_claims == 1  # a batch is claimed when finished, not prepared
    assert stages.source.claims == set()
    assert set(stages.index.documents) == {f"wire-{n}" for n in range(8)}


async def test_commits_follow_fetch_order_whatever_the_stage_timings() -> None:
    stages = Stages(batches(6, partitions=2), max_batches=2, enrich_s=0.01)
    seen: list[dict[tuple[str, int], int]] = []
    commit = stages.source.commit

    async def noting(batch: IncomingBatch) -> None:
        await commit(batch)
        seen.append(dict(stages.source.committed))

    stages.source.commit = noting  # type: ignore[method-assign]
    await stages.run_until({(TOPIC, 0): 11, (TOPIC, 1): 12})

    offsets_by_commit = [(s.get((TOPIC, 0), 0), s.get((TOPIC, 1), 0)) for s in seen]
    assert offsets_by_commit == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12)]


async def test_a_full_pipeline_pauses_fetching_and_holds_a_bounded_number_of_batches() -> None:
    stages = Stages(batches(10), max_batches=2)
    stages.steps.gate.clear()  # the writer waits: the queues fill
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    try:
        # Two waiting to be enriched, one enriched waiting for room, two waiting to be
        # written, one prepared ahead, one being written. The stages get there at the
        # event loop's pace (slow on a loaded machine), so wait for the state, not a time.
        await until(
            lambda: (
                stages.feed.paused_now
                and len(stages.pipeline.to_enrich) == len(stages.pipeline.to_write) == 2
            )
        )
        fetched = stages.feed.fetched
        await asyncio.sleep(0.05)
        # Full and paused: nothing more was fetched, and everything fetched is in flight.
        assert stages.feed.fetched == fetched == stages.pipeline.in_flight() <= 2 * 2 + 3
        assert stages.source.committed == {}

        stages.steps.gate.set()
        await until(lambda: stages.source.committed == {(TOPIC, 0): 20})
    finally:
        stages.steps.gate.set()  # a failed check above must not also time the stop out
        stages.stop.set()
        await running
    assert stages.feed.fetched == 10
    assert stages.feed.pauses >= 1


async def test_an_outage_holds_the_batch_being_written_then_everything_goes_through_once() -> None:
    stages = Stages(batches(5), max_batches=1)
    stages.index.down = 4  # the first write fails four times, as Elasticsearch away would
    written: list[str] = []
    write = stages.index.write

    async def counting(documents: Sequence[object]) -> object:
        result = await write(documents)  # type: ignore[arg-type]
        written.extend(document.id for document in documents)  # type: ignore[attr-defined]
        return result

    stages.index.write = counting  # type: ignore[assignment,method-assign]
    held: list[str | None] = []

    async def watch() -> None:
        while True:
            held.append(stages.state.held_reason)
            await asyncio.sleep(0.001)

    watching = asyncio.create_task(watch())
    with capture_logs() as logs:
        await stages.run_until({(TOPIC, 0): 10})
    watching.cancel()

    assert "Elasticsearch did not answer" in {reason for reason in held if reason}
    assert stages.state.held_reason is None
    assert sorted(written) == sorted(f"wire-{n}" for n in range(10))
    assert stages.source.claims == set()
    events = [entry["event"] for entry in logs]
    assert any(event.startswith("outage: holding the batch") for event in events)
    assert any(event.startswith("outage over") for event in events)


async def test_a_failed_batch_ends_the_pipeline_and_nothing_after_it_is_committed() -> None:
    stages = Stages(batches(4), max_batches=2)
    write = stages.index.write

    async def failing_second(documents: Sequence[ArticleDocument]) -> WriteResult:
        if documents[0].id == "wire-2":
            raise IndexingError("the index is closed", retriable=False)
        return await write(documents)

    stages.index.write = failing_second  # type: ignore[method-assign]
    with pytest.raises(IndexingError, match="closed"):
        await asyncio.wait_for(stages.pipeline.run(stages.stop), timeout=10)

    assert stages.source.committed == {(TOPIC, 0): 2}
    assert set(stages.index.documents) == {"wire-0", "wire-1"}
    assert stages.source.claims == set()


async def test_a_stop_finishes_the_batch_being_written_and_leaves_the_rest_uncommitted() -> None:
    stages = Stages(batches(6), max_batches=2, write_s=0.2)
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    await until(lambda: len(stages.pipeline.to_write) == 2)
    # The writer is busy with a batch while others wait behind it.
    await asyncio.sleep(0.05)
    assert stages.pipeline.in_flight() > 1
    committed_before = dict(stages.source.committed)
    stages.stop.set()
    await asyncio.wait_for(running, timeout=5)

    # Exactly one more batch (the one being written) was committed; nothing was left half done.
    offset_before = committed_before.get((TOPIC, 0), 0)
    assert stages.source.committed == {(TOPIC, 0): offset_before + 2}
    assert len(stages.index.documents) == offset_before + 2


async def test_a_write_past_the_shutdown_timeout_is_cancelled_and_said() -> None:
    stages = Stages(batches(2), shutdown_timeout_s=0.05)
    stages.steps.gate.clear()  # the write never ends
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    await until(lambda: len(stages.pipeline.to_write) == 1)  # the first is being written
    stages.stop.set()
    with pytest.raises(ShutdownTimeoutError, match="SHUTDOWN_TIMEOUT_S"):
        await asyncio.wait_for(running, timeout=5)
    assert stages.source.committed == {}


async def test_a_stop_while_held_through_an_outage_gives_the_batch_up_at_once() -> None:
    stages = Stages(batches(2))
    stages.index.down = 1_000_000
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    await until(lambda: stages.state.held_reason is not None)
    with capture_logs() as logs:
        stages.stop.set()
        await asyncio.wait_for(running, timeout=5)
    assert stages.source.committed == {}
    assert "stopped holding the batch in hand; it will be redelivered" in {
        entry["event"] for entry in logs
    }


async def test_the_queue_hands_items_over_in_order_and_makes_the_producer_wait_for_room() -> None:
    queue: StageQueue[int] = StageQueue(2)
    queue.put(1)
    queue.put(2)
    assert queue.full()
    with pytest.raises(RuntimeError, match="full"):
        queue.put(3)
    room = asyncio.create_task(queue.room())
    await asyncio.sleep(0)
    assert not room.done()
    assert await queue.get() == 1
    await asyncio.wait_for(room, timeout=1)
    getting = asyncio.create_task(queue.get())
    assert await getting == 2
    later = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put(4)
    assert await asyncio.wait_for(later, timeout=1) == 4
    with pytest.raises(ValueError, match="at least one"):
        StageQueue[int](0)


async def test_a_held_pipeline_is_not_ready_until_released() -> None:
    state = PipelineState()
    await state.check()
    assert state.hold("Elasticsearch did not accept 3 document(s)") is True
    assert state.hold("still down") is False  # one outage, said once
    with pytest.raises(WirewatchError, match="still down"):
        await state.check()
    lasted = state.release()
    assert lasted is not None
    assert lasted >= 0
    assert state.release() is None
    await state.check()


def preparing_the_first_waits_for_the_second(stages: Stages) -> None:
    """The first batch's preparation ends only once the second is queued, so that the second
    is prepared ahead while the first is finished."""
    prepare = stages.steps.prepare
    calls: list[EnrichedFetch] = []

    async def waiting(fetched: EnrichedFetch) -> PreparedBatch:
        calls.append(fetched)
        if len(calls) == 1:
            await until(lambda: len(stages.pipeline.to_write) >= 1)
        return await prepare(fetched)

    stages.steps.prepare = waiting  # type: ignore[method-assign]


async def test_a_batch_prepared_before_a_revocation_leaves_the_revoked_records_alone() -> None:
    first = batch_of([received(0, partition=0), received(1, partition=0)])
    second = batch_of([received(2, partition=1), received(3, partition=1)])
    stages = Stages([first, second], max_batches=2)
    preparing_the_first_waits_for_the_second(stages)
    stages.steps.gate.clear()  # the first batch's finish is slow
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    try:
        await until(lambda: ("prepare", "wire-2") in {span[:2] for span in stages.steps.spans})
        stages.source.revoke(1)  # the second batch's partition is the new owner's now
        stages.steps.gate.set()
        await until(lambda: ("write", "wire-2") in {span[:2] for span in stages.steps.spans})
    finally:
        stages.stop.set()
        await running

    assert set(stages.index.documents) == {"wire-0", "wire-1"}
    assert stages.source.committed == {(TOPIC, 0): 2}


async def test_an_update_prepared_while_its_first_version_is_written_stays_silent() -> None:
    # A re-published article is stored already, so it does not alert, though the rule matches
    # only its new wording: also when the update was prepared (stored ids read) before the
    # first version's write landed.
    first = batch_of([received(0, title="Talks in Caracas")])
    update = received(1, title="Talks in Caracas on an arms deal")
    update = update.model_copy(
        update={"article": update.article.model_copy(update={"id": "wire-0"})}
    )
    stages = Stages([first, batch_of([update])], max_batches=2)
    stages.processor.alerts = alerts = ArmsDealAlerts()
    preparing_the_first_waits_for_the_second(stages)
    stages.steps.gate.clear()
    running = asyncio.create_task(stages.pipeline.run(stages.stop))
    try:
        await until(lambda: sum(span[0] == "prepare" for span in stages.steps.spans) == 2)
        stages.steps.gate.set()
        await until(lambda: stages.source.committed == {(TOPIC, 0): 2})
    finally:
        stages.stop.set()
        await running

    assert alerts.released == []
    assert stages.index.documents["wire-0"].title == "Talks in Caracas on an arms deal"
