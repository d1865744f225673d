"""Produce-to-alert latency at a steady load (a benchmark, not a test).

Runs the service in-process against the Kafka and Elasticsearch named by the WIREWATCH_*
environment, with one rule every article matches and `--extra-rules` that none does (so
presearch has work to skip), produces `--rate` articles a second for `--seconds`, and
reads the alerts topic. Latency is the alert message's Kafka timestamp minus its article's:
from the article's arrival in Kafka to its alert's publication, so it includes fetching,
enrichment, indexing, matching, the alert's create and its delivery queue.

    make bench-alerts          # or: python -m benchmarks.alert_latency --rate 50 --seconds 20

Everything it creates (topics, indices, rules) carries a uuid and is deleted afterwards.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from alerts import AlertStores, parse_draft
from enrich import story_bands
from index import connect
from ingest import client_options, ensure_topics
from tools.bench import percentile
from wirewatch.logs import configure_logging
from wirewatch.service import Service
from wirewatch.settings import Settings

# Sentences with numbers in them: their 5-word shingles differ from one article to the next,
# so each article is a story of its own (copies of one story share one alert).
SENTENCES = (
    "Officials said {n} fighter jets would be delivered to Venezuela before {month}.",
    "Analysts in {city} put the value of the contract at {m} million dollars.",
    "Training for {n} Venezuelan pilots is due to begin in {month} near {city}.",
    "The agreement also covers spare parts for {m} helicopters and {n} radar units.",
    "A delegation of {n} Russian engineers arrived in Caracas on {month} {day}.",
    "The defence ministry in {city} said the first {n} missiles had been paid for.",
    "Opposition lawmakers asked why {m} million dollars went to Moscow in {month}.",
)
MONTHS = ("January", "March", "May", "July", "September", "November")
CITIES = ("Caracas", "Maracay", "Moscow", "Valencia", "Barcelona", "Maracaibo")


def isolated(base: Settings, suffix: str) -> Settings:
    """The environment's servers, with topics, group and indices of the benchmark's own."""
    return base.model_copy(
        update={
            "ingest": base.ingest.model_copy(
                update={
                    "topic": f"bench.articles.{suffix}",
                    "dead_letter_topic": f"bench.articles.{suffix}.dlq",
                    "group_id": f"bench-{suffix}",
                    "topic_partitions": 1,
                }
            ),
            "index": base.index.model_copy(update={"alias": f"bench-articles-{suffix}"}),
            "alerts": base.alerts.model_copy(
                update={
                    "rules_index": f"bench-rules-{suffix}",
                    "alerts_index": f"bench-alerts-{suffix}",
                    "alerts_topic": f"bench.alerts.{suffix}",
                }
            ),
            "service": base.service.model_copy(update={"http_port": 0}),
        }
    )


def article(number: int) -> bytes:
    """A distinct story about Russian arms for Venezuela."""
    chance = random.Random(number)  # noqa: S311 (test data, not secrets)
    body = " ".join(
        template.format(
            n=chance.randint(2, 9999), m=chance.randint(10, 99999), day=chance.randint(1, 28),
            month=chance.choice(MONTHS), city=chance.choice(CITIES),
        )
        for template in chance.sample(SENTENCES, k=5)
    )  # fmt: skip
    return json.dumps(
        {
            "id": f"bench-{number}",
            "title": f"Russia and Venezuela discuss fighter jets, round {number}",
            "body": body,
            "published_at": "2026-11-27T10:00:00Z",
            "source": "Bench Wire",
        }
    ).encode()


async def add_rules(settings: Settings, extra: int) -> None:
    async with connect(settings.index) as client:
        rules = AlertStores.from_settings(client, settings.alerts, settings.index).rules
        await rules.add(parse_draft({"name": "bench", "query": "countries:VE"}))
        drafts = [
            parse_draft({"name": f"never {n}", "query": f'persons:"Nobody {n}" AND countries:ZZ'})
            for n in range(extra)
        ]
        # Each add waits for a refresh: together they wait for the same few.
        for start in range(0, len(drafts), 50):
            await asyncio.gather(*(rules.add(draft) for draft in drafts[start : start + 50]))


def distinct_stories(count: int) -> list[tuple[int, bytes]]:
    """`count` articles no two of which are near-duplicates (they would share one alert)."""
    bands: set[str] = set()
    stories: list[tuple[int, bytes]] = []
    number = 0
    while len(stories) < count:
        value = article(number)
        data = json.loads(value)
        keys = set(story_bands(data["title"], data["body"]))
        if not keys & bands:
            bands |= keys
            stories.append((number, value))
        number += 1
    return stories


async def produce(settings: Settings, rate: float, seconds: float) -> dict[str, int]:
    """Sends articles at a steady rate; returns each article id's Kafka timestamp (ms)."""
    producer = AIOKafkaProducer(**client_options(settings.kafka), acks="all", linger_ms=0)
    await producer.start()
    sent: dict[str, Any] = {}
    try:
        stories = distinct_stories(int(rate * seconds))
        start = time.monotonic()
        for position, (number, value) in enumerate(stories):
            await asyncio.sleep(max(0.0, start + position / rate - time.monotonic()))
            key = f"bench-{number}"
            sent[key] = await producer.send(settings.ingest.topic, value, key.encode())
        return {key: (await future).timestamp for key, future in sent.items()}
    finally:
        await producer.stop()


async def read_alerts(settings: Settings, expected: int, timeout_s: float) -> dict[str, int]:
    """The alerts topic's messages: article id -> the alert message's Kafka timestamp (ms)."""
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: dict[str, int] = {}
    try:
        consumer.assign([TopicPartition(settings.alerts.alerts_topic, 0)])
        deadline = time.monotonic() + timeout_s
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    found[json.loads(record.value)["article_id"]] = record.timestamp
        return found
    finally:
        await consumer.stop()


def _mean(service: Service, histogram: str) -> float:
    total = service.registry.get_sample_value(f"{histogram}_sum") or 0.0
    return total / (service.registry.get_sample_value(f"{histogram}_count") or 1.0)


async def cleanup(settings: Settings) -> None:
    async with connect(settings.index) as client:
        tolerant = client.options(ignore_status=404)
        await tolerant.indices.delete(index=f"{settings.index.alias}-*")
        await tolerant.indices.delete_index_template(name=settings.index.alias)
        await tolerant.indices.delete(
            index=[settings.alerts.rules_index, settings.alerts.alerts_index],
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


async def main(rate: float, seconds: float, extra_rules: int) -> int:
    settings = isolated(Settings(), uuid.uuid4().hex[:10])
    configure_logging("WARNING", settings.service.log_format)
    ingest = settings.ingest
    await ensure_topics(
        settings.kafka,
        [ingest.topic, ingest.dead_letter_topic, settings.alerts.alerts_topic],
        partitions=1,
        replication_factor=ingest.topic_replication_factor,
    )
    try:
        await add_rules(settings, extra_rules)
        service = Service(settings)
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        await asyncio.wait(
            {running, asyncio.create_task(service.ready.wait())},
            return_when=asyncio.FIRST_COMPLETED,
        )
        if running.done():
            running.result()
        # The first batch also loads spaCy's lazy parts; warm up before measuring.
        await asyncio.sleep(2)
        produced = await produce(settings, rate, seconds)
        alerted = await read_alerts(settings, len(produced), timeout_s=seconds + 60)
        stop.set()
        await running
        counted = service.registry.get_sample_value("wirewatch_alerts_fired_total") or 0
        indexed = _mean(service, "wirewatch_ingest_latency_seconds")
        alerted_in = _mean(service, "wirewatch_alert_latency_seconds")
        batch = _mean(service, "wirewatch_batch_duration_seconds")
    finally:
        await cleanup(settings)
    latencies = [(alerted[key] - produced[key]) / 1000 for key in produced if key in alerted]
    print(f"rate {rate:g}/s for {seconds:g} s, {extra_rules + 1} rules: produced "
          f"{len(produced)}, alerted {len(alerted)} (service counted {counted:.0f})")  # fmt: skip
    print(f"service means: arrival -> indexed {indexed * 1000:.0f} ms, arrival -> alert "
          f"created {alerted_in * 1000:.0f} ms, batch {batch * 1000:.0f} ms")  # fmt: skip
    if not latencies:
        print("no alerts arrived")
        return 1
    print(
        f"produce -> alert on Kafka: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms, mean {statistics.fmean(latencies) * 1000:.0f} ms"
    )
    return 0 if len(alerted) == len(produced) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50, help="articles per second")
    parser.add_argument("--seconds", type=float, default=20, help="how long to produce")
    parser.add_argument("--extra-rules", type=int, default=200, help="rules that never match")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.rate, arguments.seconds, arguments.extra_rules)))
