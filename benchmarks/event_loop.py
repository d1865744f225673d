"""Raw Kafka consumption and raw bulk indexing under asyncio's loop and uvloop, and the bulk
body through json and orjson (a benchmark, not a test).

On the servers the settings name (WIREWATCH_KAFKA__BOOTSTRAP_SERVERS,
WIREWATCH_INDEX__ELASTICSEARCH_URL): produces `--messages` real-length articles (about 1,000
words, benchmarks/per_article_cost.py) to a topic of its own, then reads them all with bare
aiokafka `getmany` (a fresh consumer group per pass), and writes the same number of documents
with bare `async_streaming_bulk` to an index of its own; each pass alternates the event loop
(and the serializer), best of `--rounds`. Deletes its topic and index at the end.

    python -m benchmarks.event_loop --messages 5000 --rounds 3
"""

import argparse
import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_streaming_bulk
from elasticsearch.serializer import JsonSerializer

from benchmarks.per_article_cost import NOW, long_articles
from contracts import KafkaPosition
from enrich.pipeline import Enricher
from enrich.settings import EnrichSettings
from index.client import FastJsonSerializer
from index.documents import build_document
from wirewatch.settings import Settings

PARTITIONS = 4

LoopFactory = Callable[[], asyncio.AbstractEventLoop]
LOOPS: dict[str, LoopFactory] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}


def run(loop: LoopFactory, coroutine: Coroutine[Any, Any, float]) -> float:
    with asyncio.Runner(loop_factory=loop) as runner:
        return runner.run(coroutine)


async def produce(servers: str, topic: str, values: list[bytes]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=servers, linger_ms=20, acks="all")
    await producer.start()
    try:
        batch = [await producer.send(topic, value) for value in values]
        await asyncio.gather(*batch)
    finally:
        await producer.stop()


async def consume(servers: str, topic: str, expected: int) -> float:
    """Seconds to read `expected` messages from the start with bare getmany."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers,
        group_id=f"bench-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        # The clock starts with the first records: joining the group is not consumption.
        first = await consumer.getmany(timeout_ms=30_000, max_records=1)
        started = time.perf_counter()
        seen = sum(len(records) for records in first.values())
        while seen < expected:
            fetched = await consumer.getmany(timeout_ms=1_000, max_records=2_000)
            seen += sum(len(records) for records in fetched.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def index(url: str, name: str, sources: list[dict[str, Any]], json_lib: str) -> float:
    """Seconds to write the documents with bare async_streaming_bulk."""
    serializer = FastJsonSerializer() if json_lib == "orjson" else JsonSerializer()
    client = AsyncElasticsearch(url, serializer=serializer, request_timeout=60)
    try:
        actions = (
            {"_index": name, "_id": str(number), "_source": source}
            for number, source in enumerate(sources)
        )
        started = time.perf_counter()
        async for ok, info in async_streaming_bulk(client, actions, chunk_size=500):
            if not ok:
                raise RuntimeError(f"bulk item refused: {info}")
        return time.perf_counter() - started
    finally:
        await client.close()


async def cleanup(servers: str, topic: str, url: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    client = AsyncElasticsearch(url)
    try:
        for name in names:
            await client.options(ignore_status=404).indices.delete(index=name)
    finally:
        await client.close()


def listed(rates: list[float]) -> str:
    return ", ".join(f"{rate:.0f}" for rate in rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    servers, url = settings.kafka.bootstrap_servers, settings.index.elasticsearch_url
    count = args.messages

    articles = long_articles()
    enriched = Enricher(EnrichSettings()).enrich_all(articles)
    position = KafkaPosition(topic="articles", partition=0, offset=0)
    documents = [build_document(one, position, NOW).source_fields() for one in enriched]
    values = [articles[n % len(articles)].model_dump_json().encode() for n in range(count)]
    sources = [documents[n % len(documents)] for n in range(count)]
    megabytes = sum(map(len, values)) / 1e6
    suffix = uuid.uuid4().hex[:8]
    topic = f"bench-loop-{suffix}"
    names: list[str] = []
    run(asyncio.new_event_loop, produce(servers, topic, values))
    print(f"{count} messages ({megabytes:.1f} MB) on {topic}, {PARTITIONS} partitions")
    try:
        print("raw Kafka consumption (getmany), messages/s, best of rounds:")
        consumed: dict[str, list[float]] = {loop: [] for loop in LOOPS}
        for _ in range(args.rounds):
            for name, loop in LOOPS.items():
                consumed[name].append(count / run(loop, consume(servers, topic, count)))
        for name, rates in consumed.items():
            print(f"  {name:<8} {max(rates):>9.0f}   (all: {listed(rates)})")
        print("raw bulk indexing (async_streaming_bulk, 500 a request), documents/s:")
        written: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for json_lib in ("json", "orjson"):
                for name, loop in LOOPS.items():
                    target = f"bench-loop-{suffix}-{len(names)}"
                    names.append(target)
                    seconds = run(loop, index(url, target, sources, json_lib))
                    written.setdefault(f"{name} + {json_lib}", []).append(count / seconds)
        for name, rates in written.items():
            print(
                f"  {name:<16} {max(rates):>9.0f}   (all: {', '.join(f'{r:.0f}' for r in rates)})"
            )
    finally:
        run(asyncio.new_event_loop, cleanup(servers, topic, url, names))


if __name__ == "__main__":
    main()
