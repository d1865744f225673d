"""The stages overlapped on real servers: a batch is enriched while the one before it is
written, and a member joining mid-stream leaves nothing lost and nothing written twice."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from elastic_transport import ObjectApiResponse
from elasticsearch import AsyncElasticsearch

from contracts import Article
from enrich import EnrichmentResult
from enrich.workers import EnrichmentPool
from index import connect
from ingest import ArticleConsumer
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    drop_index,
    eventually,
    isolated,
    produce,
    running,
)
from wirewatch.service import Service
from wirewatch.settings import Settings

Span = tuple[float, float]


class SlowEnrichment:
    """The real enrichment in its worker processes, `delay_s` slower a call (as a heavier
    model would be); it notes when each call ran."""

    def __init__(self, pool: EnrichmentPool, delay_s: float) -> None:
        self._pool = pool
        self._delay_s = delay_s
        self.spans: list[Span] = []

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        started = time.monotonic()
        await asyncio.sleep(self._delay_s)
        results = await self._pool.enrich(articles)
        self.spans.append((started, time.monotonic()))
        return results


@asynccontextmanager
async def slow_enrichment(settings: Settings, delay_s: float) -> AsyncIterator[SlowEnrichment]:
    async with EnrichmentPool(settings.enrich) as pool:
        yield SlowEnrichment(pool, delay_s)


class CountingElasticsearch(AsyncElasticsearch):
    """The real client; it counts the writes of each article id (those of the test's articles
    index only) and notes when each bulk request to that index ran."""

    def __init__(self, *, _transport: Any, writes: dict[str, int] | None = None,
                 spans: list[Span] | None = None) -> None:  # fmt: skip
        super().__init__(_transport=_transport)
        # `options()` copies the client through this constructor; it then shares the tallies.
        self.writes = writes if writes is not None else {}
        self.spans = spans if spans is not None else []

    def options(self, **kwargs: Any) -> "CountingElasticsearch":
        copy = super().options(**kwargs)
        copy.writes, copy.spans = self.writes, self.spans
        return copy

    async def bulk(self, *, operations: Iterable[Any], **kwargs: Any) -> ObjectApiResponse[Any]:  # type: ignore[override]
        started = time.monotonic()
        lines = [json.loads(op) if isinstance(op, bytes | str) else op for op in operations]
        response = await super().bulk(operations=lines, **kwargs)
        articles = False
        for item in response.body["items"]:
            result = next(iter(item.values()))
            if result["_index"].startswith("test-articles-"):
                articles = True
                if result.get("status", 500) < 300:
                    self.writes[result["_id"]] = self.writes.get(result["_id"], 0) + 1
        if articles:
            self.spans.append((started, time.monotonic()))
        return response


def small_batches(base: Settings, *, partitions: int, records: int) -> Settings:
    settings = isolated(base, partitions=partitions)
    return settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_batch_records": records})}
    )


async def _committed(settings: Settings, count: int) -> bool:
    return sum((await committed_offsets(settings)).values()) == count


def _queued(service: Service) -> float:
    return sum(
        service.registry.get_sample_value("wirewatch_pipeline_queued_batches", {"stage": stage})
        or 0.0
        for stage in ("enrich", "write")
    )


async def test_a_batch_is_enriched_while_the_one_before_it_is_written(
    base_settings: Settings,
) -> None:
    settings = small_batches(base_settings, partitions=1, records=5)
    count = 40
    writes: dict[str, int] = {}
    bulk_spans: list[Span] = []
    await produce(settings, [article_line(n) for n in range(count)])
    most_queued = 0.0
    try:
        async with connect(settings.index) as client:
            counting = CountingElasticsearch(
                _transport=client.transport, writes=writes, spans=bulk_spans
            )
            async with (
                slow_enrichment(settings, delay_s=0.3) as enrichment,
                running(settings, elasticsearch=counting, enricher=enrichment) as service,
            ):
                while not await _committed(settings, count):
                    most_queued = max(most_queued, _queued(service))
                    await asyncio.sleep(0.05)
        enrich_spans = list(enrichment.spans)
        overlapping = [
            (write, enrich)
            for write in bulk_spans
            for enrich in enrich_spans
            if write[0] < enrich[1] and enrich[0] < write[1]
        ]
        print(
            f"{len(bulk_spans)} bulk writes, {len(enrich_spans)} enrichments, "
            f"{len(overlapping)} overlapping; {most_queued:.0f} batches queued at most"
        )
        # Batches waited between the stages, and writes ran while later batches were enriched.
        assert most_queued >= 1
        assert overlapping
        assert writes == {f"article-{n}": 1 for n in range(count)}
    finally:
        await drop_index(settings)


async def test_a_member_joining_mid_stream_leaves_nothing_lost_and_nothing_written_twice(
    base_settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = small_batches(base_settings, partitions=4, records=10)
    count = 400
    await produce(settings, [article_line(n) for n in range(count)])
    by_first: dict[str, int] = {}
    by_second: dict[str, int] = {}
    spans: list[Span] = []
    try:
        async with connect(settings.index) as client:
            first = CountingElasticsearch(_transport=client.transport, writes=by_first, spans=spans)
            second = CountingElasticsearch(
                _transport=client.transport, writes=by_second, spans=spans
            )
            async with (
                slow_enrichment(settings, delay_s=0.1) as enrichment,
                running(settings, elasticsearch=first, enricher=enrichment),
            ):
                # The first member is mid-stream, its pipeline full, when the second joins.
                await eventually(
                    lambda: committed_offsets(settings), timeout_s=120, what="a first commit"
                )
                joined_at = sum((await committed_offsets(settings)).values())
                async with running(settings, elasticsearch=second, enricher=enrichment):
                    # On a loaded machine the first member may finish the backlog before the
                    # group has rebalanced: the stream goes on until the second has written.
                    deadline = time.monotonic() + 120
                    while not by_second:
                        assert time.monotonic() < deadline, "the second member never wrote"
                        await produce(settings, [article_line(count + n) for n in range(20)])
                        count += 20
                        await asyncio.sleep(0.5)
                    await eventually(
                        lambda: _committed(settings, count), timeout_s=240, what="everything"
                    )
        print(f"second member joined after {joined_at} of {count} messages were committed; "
              f"wrote {len(by_second)}, the first {len(by_first)}")  # fmt: skip
        assert joined_at < count
        assert by_second, "the second member should have taken partitions and written"
        writes = {doc_id: by_first.get(doc_id, 0) + by_second.get(doc_id, 0)
                  for doc_id in by_first.keys() | by_second.keys()}  # fmt: skip
        assert writes == {f"article-{n}": 1 for n in range(count)}
        assert await count_documents(elasticsearch, settings) == count
    finally:
        await drop_index(settings)


async def test_records_fetched_across_a_rebalance_that_gives_their_partition_back_are_read_again(
    base_settings: Settings,
) -> None:
    # A rebalance during a fetch that hands the partition back to this member: the records
    # the fetch brought came from the new assignment's position, yet carry the old epoch and
    # are dropped. The position must go back to them, or they are skipped for good (and the
    # next batch's commit covers them).
    settings = isolated(base_settings, partitions=1)
    await produce(settings, [article_line(n) for n in range(5)])
    fetched: list[str] = []
    async with ArticleConsumer(settings.kafka, settings.ingest) as consumer:
        fetch_records = consumer._fetch
        rebalanced = False

        async def fetch_across_a_rebalance(stop: asyncio.Event | None) -> Any:
            nonlocal rebalanced
            records = await fetch_records(stop)
            if records and not rebalanced:
                rebalanced = True
                consumer._epochs.revoke((tp.topic, tp.partition) for tp in records)
            return records

        consumer._fetch = fetch_across_a_rebalance  # type: ignore[method-assign]

        async def everything() -> bool:
            batch = await consumer.fetch()
            fetched.extend(str(item.article.id) for item in batch.articles)
            return len(fetched) >= 5

        await eventually(everything, timeout_s=30, what="the five records")
    assert rebalanced
    assert fetched == [f"article-{n}" for n in range(5)]
