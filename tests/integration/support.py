"""Helpers of the integration tests: isolated settings, the running service, polling."""

import asyncio
import json
import socket
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from elasticsearch import AsyncElasticsearch

from index.client import connect
from ingest import ensure_topics, publish_lines
from ingest.connection import client_options
from wirewatch.batch import ArticleEnricher
from wirewatch.service import Service
from wirewatch.settings import Settings


def servers_missing(settings: Settings) -> str | None:
    broker = urlsplit(f"//{settings.kafka.bootstrap_servers.split(',')[0]}")
    try:
        with socket.create_connection((broker.hostname or "", broker.port or 9092), timeout=2):
            pass
    except OSError:
        return f"no Kafka at {settings.kafka.bootstrap_servers}"
    try:
        health = f"{settings.index.elasticsearch_url.split(',')[0]}/_cluster/health"
        with urllib.request.urlopen(health, timeout=5):  # noqa: S310 (configured URL)
            pass
    except OSError:
        return f"no Elasticsearch at {settings.index.elasticsearch_url}"
    return None


def isolated(base: Settings, *, partitions: int = 1) -> Settings:
    """Settings with topics, group and alias of their own, and an ephemeral HTTP port."""
    suffix = uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "ingest": base.ingest.model_copy(
                update={
                    "topic": f"test.articles.{suffix}",
                    "dead_letter_topic": f"test.articles.{suffix}.dlq",
                    "group_id": f"test-group-{suffix}",
                    "topic_partitions": partitions,
                    "fetch_max_wait_ms": 100,
                }
            ),
            "index": base.index.model_copy(
                update={
                    "alias": f"test-articles-{suffix}",
                    "stories_index": f"test-stories-{suffix}",
                    "retry_initial_backoff_ms": 0,
                }
            ),
            "service": base.service.model_copy(update={"http_port": 0}),
        }
    )


async def drop_index(settings: Settings) -> None:
    """Deletes the test's indices and index template."""
    async with connect(settings.index) as client:
        await client.options(ignore_status=404).indices.delete(index=f"{settings.index.alias}-*")
        await client.options(ignore_status=404).indices.delete(index=settings.index.stories_index)
        await client.options(ignore_status=404).indices.delete_index_template(
            name=settings.index.alias
        )


@asynccontextmanager
async def running(
    settings: Settings,
    elasticsearch: AsyncElasticsearch | None = None,
    enricher: ArticleEnricher | None = None,
) -> AsyncIterator[Service]:
    """The service consuming in this event loop until the block ends, then stopped cleanly
    (with its own pool of enrichment workers unless `enricher` is given)."""
    service = Service(settings, elasticsearch=elasticsearch, enricher=enricher)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    ready = asyncio.create_task(service.ready.wait())
    await asyncio.wait({task, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises why it did not start
    assert service.ready.is_set(), "the service did not become ready within 60 s"
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout_s: float = 60, what: str = "condition"
) -> Any:
    """Polls `check` until it returns something truthy, failing after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.2)


def article_line(number: int, **overrides: Any) -> bytes:
    """A small valid article as a message value."""
    article = {
        "id": f"article-{number}",
        "title": f"Defence ministers meet in Caracas, round {number}",
        "body": f"Defence ministers from Russia and Venezuela met in Caracas for talks, "
        f"round {number}. Nicolas Maduro welcomed the delegation.",
        "published_at": "2026-11-01T10:00:00Z",
        "source": "Test Wire",
    }
    article.update(overrides)
    return json.dumps(article).encode()


async def produce(settings: Settings, lines: list[bytes]) -> None:
    """Publishes the lines to the test's articles topic (created if missing)."""
    await ensure_topics(
        settings.kafka,
        [settings.ingest.topic, settings.ingest.dead_letter_topic],
        partitions=settings.ingest.topic_partitions,
        replication_factor=1,
    )
    await publish_lines(settings.kafka, settings.ingest.topic, lines)


async def committed_offsets(settings: Settings) -> dict[int, int]:
    """The group's committed offset per partition of the articles topic."""
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                offsets = await admin.list_consumer_group_offsets(settings.ingest.group_id)
                break
            except KafkaError as error:
                # A fresh broker creates its offsets topic on first use: the coordinator
                # is briefly unavailable.
                if not error.retriable or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == settings.ingest.topic and meta.offset >= 0
    }


async def read_topic(settings: Settings, topic: str, count: int, wait_s: float = 30) -> list[Any]:
    """Up to `count` messages of `topic` from the start, waiting at most `wait_s` for them."""
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        messages: list[Any] = []
        deadline = time.monotonic() + wait_s
        while len(messages) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                messages.extend(records)
        return messages
    finally:
        await consumer.stop()


async def count_documents(client: AsyncElasticsearch, settings: Settings, query: str = "*") -> int:
    """Documents in the test's alias matching a query string, after a refresh."""
    # The service may not have created the index yet (404), or created it a moment ago
    # and not yet started its shard (503): both mean "nothing to count yet".
    tolerant = client.options(ignore_status=(404, 503))
    await tolerant.indices.refresh(index=settings.index.alias)
    response = await tolerant.count(
        index=settings.index.alias, query={"query_string": {"query": query}}
    )
    return int(response.body.get("count", 0))
