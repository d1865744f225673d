"""What the service is compared with: bare spaCy over the same texts, raw aiokafka consumption
and raw `async_streaming_bulk` of the same documents."""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import spacy
from aiokafka import AIOKafkaConsumer, TopicPartition
from elasticsearch.helpers import async_streaming_bulk

from contracts import Article, EnrichedArticle
from enrich import analysed_text
from index import build_document, connect, ensure_index, mappings
from ingest import client_options
from wirewatch.settings import Settings


def bare_pipe_rate(model: str, texts: Sequence[str], processes: int, batch_size: int) -> float:
    """Texts per second of the model's own `nlp.pipe` with `processes` processes (after a
    warm-up batch, which loads spaCy's lazy parts)."""
    nlp = spacy.load(model)
    for _ in nlp.pipe(texts[:batch_size], batch_size=batch_size):
        pass
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size, n_process=processes):
        pass
    return len(texts) / (time.perf_counter() - started)


def bare_pipe_texts(settings: Settings, articles: Sequence[Article]) -> list[str]:
    """The texts the service's spaCy sees for these articles."""
    return [analysed_text(article, settings.enrich.max_text_chars) for article in articles]


async def raw_consume_rate(settings: Settings, expected: int) -> float:
    """Records per second of a bare aiokafka `getmany` loop reading the articles topic from
    the start (partitions assigned, no group), until `expected` records are read."""
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = settings.ingest.topic
        consumer.assign([TopicPartition(topic, p) for p in range(settings.ingest.topic_partitions)])
        read = 0
        started = time.perf_counter()
        while read < expected:
            batches = await consumer.getmany(
                timeout_ms=settings.ingest.fetch_max_wait_ms,
                max_records=settings.ingest.max_batch_records,
            )
            read += sum(len(records) for records in batches.values())
        return read / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def pass_through_sources(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The documents the pass-through service writes for these articles."""
    now = datetime.now(UTC)
    return [
        build_document(
            EnrichedArticle(article=article, language=article.language or "en"), None, now
        ).source_fields()
        for article in articles
    ]


async def raw_bulk_rate(settings: Settings, articles: Sequence[Article]) -> float:
    """Documents per second of a bare `async_streaming_bulk` of the pass-through documents
    into an index of the service's mapping (created first, not timed)."""
    sources = pass_through_sources(articles)
    name = f"{settings.index.alias}-rawbulk"
    async with connect(settings.index) as client:
        await ensure_index(client, name, mappings(settings.index.text_analyzer))
        actions = (
            {"_op_type": "index", "_index": name, "_id": source["id"], "_source": source}
            for source in sources
        )
        written = 0
        started = time.perf_counter()
        async for ok, _ in async_streaming_bulk(
            client, actions, max_chunk_bytes=settings.index.bulk_max_bytes, chunk_size=500
        ):
            written += int(ok)
        return written / (time.perf_counter() - started)
