"""The benchmark's own topics, indices and rules on the servers of the WIREWATCH_* environment:
producing articles, reading what got indexed and alerted, and deleting it all afterwards."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from alerts import AlertStores, parse_draft
from contracts import Article
from index import connect
from ingest import client_options, ensure_topics
from wirewatch.settings import Settings

# A rule every benchmark article matches (alerts come only from the first copy of a story).
EVERY_ARTICLE_RULE = 'source:"Bench Wire"'


def isolated(base: Settings, suffix: str | None = None) -> Settings:
    """The environment's servers, with topics, group, indices and rules of the benchmark's own
    (uuid names), alerts on, an ephemeral HTTP port and quiet logs."""
    suffix = suffix or uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "ingest": base.ingest.model_copy(
                update={
                    "topic": f"bench.articles.{suffix}",
                    "dead_letter_topic": f"bench.articles.{suffix}.dlq",
                    "group_id": f"bench-{suffix}",
                }
            ),
            "index": base.index.model_copy(
                update={
                    "alias": f"bench-articles-{suffix}",
                    "stories_index": f"bench-stories-{suffix}",
                }
            ),
            "alerts": base.alerts.model_copy(
                update={
                    "rules_index": f"bench-rules-{suffix}",
                    "alerts_index": f"bench-alerts-{suffix}",
                    "alerts_topic": f"bench.alerts.{suffix}",
                }
            ),
            "service": base.service.model_copy(update={"http_port": 0, "log_level": "WARNING"}),
        }
    )


def service_environment(settings: Settings) -> dict[str, str]:
    """The WIREWATCH_* variables that make a `wirewatch run` process use `isolated` settings
    (each process gets an HTTP port of its own: see ServiceProcess)."""
    return {
        "WIREWATCH_INGEST__TOPIC": settings.ingest.topic,
        "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": settings.ingest.dead_letter_topic,
        "WIREWATCH_INGEST__GROUP_ID": settings.ingest.group_id,
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_INDEX__STORIES_INDEX": settings.index.stories_index,
        "WIREWATCH_ALERTS__RULES_INDEX": settings.alerts.rules_index,
        "WIREWATCH_ALERTS__ALERTS_INDEX": settings.alerts.alerts_index,
        "WIREWATCH_ALERTS__ALERTS_TOPIC": settings.alerts.alerts_topic,
        "WIREWATCH_SERVICE__LOG_LEVEL": settings.service.log_level,
    }


def message(article: Article) -> bytes:
    """The article as producers publish it."""
    return article.model_dump_json(exclude_none=True).encode()


@asynccontextmanager
async def bench_servers(base: Settings) -> AsyncIterator[Settings]:
    """Isolated settings whose topics exist; everything they name is deleted afterwards."""
    settings = isolated(base)
    ingest = settings.ingest
    await ensure_topics(
        settings.kafka,
        [ingest.topic, ingest.dead_letter_topic, settings.alerts.alerts_topic],
        partitions=ingest.topic_partitions,
        replication_factor=ingest.topic_replication_factor,
    )
    try:
        yield settings
    finally:
        await cleanup(settings)


async def cleanup(settings: Settings) -> None:
    """Deletes the topics, indices and template that `settings` name."""
    async with connect(settings.index) as client:
        tolerant = client.options(ignore_status=404)
        await tolerant.indices.delete(index=f"{settings.index.alias}-*")
        await tolerant.indices.delete_index_template(name=settings.index.alias)
        await tolerant.indices.delete(
            index=[
                settings.index.stories_index,
                settings.alerts.rules_index,
                settings.alerts.alerts_index,
            ],
            ignore_unavailable=True,
        )
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        ingest = settings.ingest
        await admin.delete_topics(
            [ingest.topic, ingest.dead_letter_topic, settings.alerts.alerts_topic]
        )
    finally:
        await admin.close()


async def produce(settings: Settings, articles: Sequence[Article], *, spread: bool = False) -> None:
    """Publishes the articles on the articles topic as fast as Kafka takes them; `spread`:
    article i to partition i (modulo), rather than by key."""
    producer = AIOKafkaProducer(**client_options(settings.kafka), acks="all", linger_ms=20)
    await producer.start()
    try:
        for start in range(0, len(articles), 500):
            partitions = settings.ingest.topic_partitions
            sent = [
                await producer.send(
                    settings.ingest.topic,
                    message(article),
                    (article.id or "").encode(),
                    partition=(start + i) % partitions if spread else None,
                )
                for i, article in enumerate(articles[start : start + 500])
            ]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def produce_steadily(
    settings: Settings, articles: Sequence[Article], rate_per_s: float
) -> dict[str, float]:
    """Publishes the articles at a steady rate; returns each article id's Kafka timestamp (s)."""
    producer = AIOKafkaProducer(**client_options(settings.kafka), acks="all", linger_ms=0)
    await producer.start()
    try:
        pending: dict[str, Any] = {}
        start = time.monotonic()
        for position, article in enumerate(articles):
            await asyncio.sleep(max(0.0, start + position / rate_per_s - time.monotonic()))
            key = article.id or ""
            pending[key] = await producer.send(
                settings.ingest.topic, message(article), key.encode()
            )
        return {key: (await future).timestamp / 1000 for key, future in pending.items()}
    finally:
        await producer.stop()


async def add_rules(settings: Settings, never_matching: int) -> None:
    """The rule every article matches, and `never_matching` rules that presearch skips."""
    async with connect(settings.index) as client:
        stores = AlertStores.from_settings(client, settings.alerts, settings.index)
        await stores.setup()
        await stores.rules.add(parse_draft({"name": "bench", "query": EVERY_ARTICLE_RULE}))
        drafts = [
            parse_draft({"name": f"never {n}", "query": f'persons:"Nobody {n}" AND countries:ZZ'})
            for n in range(never_matching)
        ]
        # Each add waits for a refresh: together they wait for the same few.
        for start in range(0, len(drafts), 50):
            await asyncio.gather(*(stores.rules.add(draft) for draft in drafts[start : start + 50]))


async def indexed_count(settings: Settings) -> int:
    """How many articles the index holds, refreshed first (0 before the index exists)."""
    async with connect(settings.index) as client:
        tolerant = client.options(ignore_status=404)
        await tolerant.indices.refresh(index=settings.index.alias)
        answer = await tolerant.count(index=settings.index.alias)
        return int(answer.body.get("count", 0)) if answer.meta.status == 200 else 0


@asynccontextmanager
async def committed_counter(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """A reader of how many messages the service's consumer group has committed, summed over
    the partitions: what it has indexed or dead-lettered, durably. Unlike counting the index it
    forces no refresh, which would make Elasticsearch write small segments the raw baselines
    never pay for."""
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()

    async def committed() -> int:
        offsets = await admin.list_consumer_group_offsets(settings.ingest.group_id)
        return sum(max(meta.offset, 0) for meta in offsets.values())

    try:
        yield committed
    finally:
        await admin.close()


async def searchable_ids(client: Any, alias: str) -> set[str]:
    """The ids that a search finds now (no refresh forced: what a user would see)."""
    answer = await client.options(ignore_status=404).search(
        index=alias, size=10_000, source=False, query={"match_all": {}}
    )
    if answer.meta.status != 200:
        return set()
    return {hit["_id"] for hit in answer.body["hits"]["hits"]}


async def alerts_read(settings: Settings, expected: int, timeout_s: float) -> dict[str, float]:
    """The alerts topic's messages: article id -> the alert message's Kafka timestamp (s)."""
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: dict[str, float] = {}
    try:
        topic = settings.alerts.alerts_topic
        consumer.assign([TopicPartition(topic, p) for p in range(settings.ingest.topic_partitions)])
        deadline = time.monotonic() + timeout_s
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    found[str(json.loads(record.value)["article_id"])] = record.timestamp / 1000
        return found
    finally:
        await consumer.stop()


async def group_state(settings: Settings) -> tuple[str, int]:
    """The service's consumer group: its state ("Stable" once a rebalance is over) and how
    many members it has."""
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([settings.ingest.group_id])
        _, _, state, _, _, members, *_ = response.groups[0]
        return str(state), len(members)
    finally:
        await admin.close()
