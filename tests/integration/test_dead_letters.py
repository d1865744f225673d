"""Dead letters on real servers: listed, replayed once after a fix, and a breaker that keeps a
broken index from emptying the topic into the dead-letter topic."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from elasticsearch import AsyncElasticsearch

from alerts import AlertStore, RuleStore, parse_draft
from contracts import KafkaPosition
from index import first_index_name, mappings
from ingest import LetterFilter, StoredLetter, client_options
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    eventually,
    produce,
    read_topic,
    running,
)
from wirewatch.dlq import ReplayOutcome, list_letters, replay
from wirewatch.settings import Settings


async def break_index(client: AsyncElasticsearch, settings: Settings, field: str) -> None:
    """Creates the alias's index with a date sub-field under `field`: the mapping the service
    puts merges with it, and every document with a value in `field` is refused
    (document_parsing_exception: failed to parse field [<field>.when] of type [date])."""
    broken = mappings(settings.index.text_analyzer)
    definition = broken["properties"][field]
    broken["properties"][field] = {
        **definition,
        "fields": {**definition.get("fields", {}), "when": {"type": "date"}},
    }
    await client.indices.create(
        index=first_index_name(settings.index.alias),
        mappings=broken,
        aliases={settings.index.alias: {"is_write_index": True}},
    )


async def fix_index(client: AsyncElasticsearch, settings: Settings) -> None:
    """The fix: the broken index goes; the service creates a sound one at start."""
    await client.indices.delete(index=f"{settings.index.alias}-*")


async def committed_is(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}


async def letters(settings: Settings, **parts: Any) -> list[StoredLetter]:
    return [letter async for letter in list_letters(settings, LetterFilter(**parts))]


async def replayed(settings: Settings, **options: Any) -> list[ReplayOutcome]:
    letter_filter = options.pop("letter_filter", LetterFilter())
    return [outcome async for outcome in replay(settings, letter_filter, **options)]


async def end_offset(settings: Settings, topic: str) -> int:
    consumer = AIOKafkaConsumer(**client_options(settings.kafka))
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        ends: dict[TopicPartition, int] = await consumer.end_offsets([partition])
        return ends[partition]
    finally:
        await consumer.stop()


async def source_of(client: AsyncElasticsearch, settings: Settings, doc_id: str) -> Any:
    response = await client.search(index=settings.index.alias, query={"ids": {"values": [doc_id]}})
    hits = response["hits"]["hits"]
    assert len(hits) == 1, f"{doc_id} is indexed {len(hits)} times"
    return hits[0]["_source"]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_INGEST__TOPIC": settings.ingest.topic,
        "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": settings.ingest.dead_letter_topic,
        "WIREWATCH_INGEST__GROUP_ID": settings.ingest.group_id,
        "WIREWATCH_SERVICE__HTTP_PORT": "0",
        "WIREWATCH_ALERTS__ENABLED": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def flaky(number: int) -> bytes:
    """An article with authors: refused by the broken index, fine once it is fixed."""
    return article_line(number, id=f"flaky-{number}", authors=["Jane Doe"])


NOT_JSON = b"{this is not json"


async def test_dead_letters_are_listed_and_replayed_once_after_a_fix(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = settings.model_copy(
        update={"index": settings.index.model_copy(update={"breaker_min_refused": 50})}
    )
    await break_index(elasticsearch, settings, "authors")
    # Offsets 0-6: not JSON, four refused by the index, two without authors that go in.
    await produce(
        settings,
        [NOT_JSON, *(flaky(n) for n in range(1, 5)), article_line(5), article_line(6)],
    )
    async with running(settings):
        await eventually(lambda: committed_is(settings, 7), what="the batch committed")

    # Listed, with reasons; the filters select.
    listed = await letters(settings)
    assert [(letter.stage, letter.original) for letter in listed] == [
        (stage, KafkaPosition(topic=settings.ingest.topic, partition=0, offset=offset))
        for stage, offset in [("validation", 0), *(("indexing", n) for n in range(1, 5))]
    ]
    assert [letter.document_id for letter in listed] == [None, *(f"flaky-{n}" for n in range(1, 5))]
    assert "not JSON" in listed[0].reason
    assert all("authors.when" in letter.reason for letter in listed[1:])
    assert len(await letters(settings, stage="indexing")) == 4
    assert len(await letters(settings, stage="enrichment")) == 0
    assert len(await letters(settings, reason="NOT JSON")) == 1
    assert len(await letters(settings, since=datetime.now(UTC) - timedelta(hours=1))) == 5
    assert await letters(settings, since=datetime.now(UTC) + timedelta(minutes=1)) == []
    shown = await asyncio.to_thread(cli, settings, "dlq", "list", "--stage", "indexing")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == 4
    assert f"{settings.ingest.topic}:0:1" in lines[0]
    assert "flaky-1" in lines[0]
    assert "document_parsing_exception" in lines[0]
    as_json = await asyncio.to_thread(cli, settings, "dlq", "list", "--json", "--since", "1h")
    assert [json.loads(line)["document_id"] for line in as_json.stdout.splitlines()] == [
        None, *(f"flaky-{n}" for n in range(1, 5))
    ]  # fmt: skip

    await fix_index(elasticsearch, settings)
    async with running(settings):
        # The producer re-sends two of them itself (offsets 7, 8).
        await produce(settings, [flaky(1), flaky(2)])
        await eventually(lambda: committed_is(settings, 9), what="the producer's copies")

        # Dry run: nothing is sent.
        dry = await replayed(settings, dry_run=True, letter_filter=LetterFilter(stage="indexing"))
        assert [(o.letter.document_id, o.action, o.sent_to) for o in dry] == [
            ("flaky-1", "skip", None), ("flaky-2", "skip", None),
            ("flaky-3", "resend", None), ("flaky-4", "resend", None),
        ]  # fmt: skip
        assert await end_offset(settings, settings.ingest.topic) == 9

        # Only those not indexed are re-sent; they are indexed once, from the replayed copy.
        outcomes = await replayed(settings, letter_filter=LetterFilter(stage="indexing"))
        sent = {o.letter.document_id: o.sent_to for o in outcomes if o.action == "resend"}
        assert list(sent) == ["flaky-3", "flaky-4"]
        assert [position.offset for position in sent.values() if position] == [9, 10]
        await eventually(lambda: committed_is(settings, 11), what="the replayed letters")
        await eventually(
            lambda: count_documents(elasticsearch, settings, "id:flaky-*"),
            what="the flaky articles indexed",
        )
        assert await count_documents(elasticsearch, settings, "id:flaky-*") == 4
        for doc_id, offset in (("flaky-1", 7), ("flaky-2", 8), ("flaky-3", 9), ("flaky-4", 10)):
            kafka = (await source_of(elasticsearch, settings, doc_id))["kafka"]
            assert kafka == {"topic": settings.ingest.topic, "partition": 0, "offset": offset}

        # The replayed messages carry the letter's headers and their provenance.
        messages = await read_topic(settings, settings.ingest.topic, 11)
        headers = dict(messages[9].headers)
        assert messages[9].key == b"flaky-3"
        assert headers["wirewatch.stage"] == b"indexing"
        assert headers["wirewatch.original_offset"] == b"3"
        assert (
            headers["wirewatch.replayed_from_topic"] == settings.ingest.dead_letter_topic.encode()
        )
        assert headers["wirewatch.replayed_from_offset"] == str(listed[3].position.offset).encode()
        assert datetime.fromisoformat(headers["wirewatch.replayed_at"].decode()) <= datetime.now(
            UTC
        )

        # Replaying the same letters again sends nothing.
        again = await replayed(settings, letter_filter=LetterFilter(stage="indexing"))
        assert {o.action for o in again} == {"skip"}
        assert await end_offset(settings, settings.ingest.topic) == 11

        # A replayed message that fails again is dead-lettered again, marked as a replay.
        resent = await asyncio.to_thread(cli, settings, "dlq", "replay", "--reason", "not json")
        assert resent.returncode == 0, resent.stderr
        assert resent.stdout.startswith("re-sent      dlq 0:0 -> ")
        assert "re-sent 1 letter(s)" in resent.stderr
        await eventually(lambda: committed_is(settings, 12), what="the replayed invalid message")

    *_, last = await letters(settings)
    assert last.stage == "validation"
    assert last.original is not None
    assert last.original.offset == 11
    assert last.replayed_from == listed[0].position
    assert last.value == NOT_JSON
    shown = await asyncio.to_thread(cli, settings, "dlq", "list", "--reason", "not json")
    assert "(a replay)" in shown.stdout.splitlines()[-1]
    assert await count_documents(elasticsearch, settings, "id:flaky-*") == 4


async def test_most_of_a_batch_refused_for_one_reason_stops_the_service_without_dead_letters(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await break_index(elasticsearch, settings, "title")
    await produce(settings, [article_line(n) for n in range(10)])

    stopped = await asyncio.to_thread(cli, settings, "run")

    assert stopped.returncode == 1
    assert "refused 10 of the 10 document(s) of a batch for one reason" in stopped.stderr
    assert "document_parsing_exception on field [title.when]" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert await read_topic(settings, settings.ingest.dead_letter_topic, 1, wait_s=3) == []
    assert await committed_offsets(settings) == {}

    # Once the index is fixed, the batch is redelivered and indexed.
    await fix_index(elasticsearch, settings)
    async with running(settings):
        await eventually(lambda: committed_is(settings, 10), what="the redelivered batch")
    assert await count_documents(elasticsearch, settings) == 10
    assert await read_topic(settings, settings.ingest.dead_letter_topic, 1, wait_s=1) == []


async def test_a_few_refusals_in_a_batch_are_dead_lettered_not_a_stop(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await break_index(elasticsearch, settings, "authors")
    # Two of twelve refused: under the default breaker (5 refusals and half the batch).
    await produce(settings, [flaky(1), flaky(2), *(article_line(n) for n in range(3, 13))])

    async with running(settings):
        await eventually(lambda: committed_is(settings, 12), what="the batch committed")

    assert len(await letters(settings, stage="indexing")) == 2
    assert await count_documents(elasticsearch, settings) == 10


async def test_a_replayed_article_alerts_once_however_often_it_is_replayed(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    suffix = settings.index.alias.removeprefix("test-articles-")
    settings = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={
                    "rules_index": f"test-rules-{suffix}",
                    "alerts_index": f"test-alerts-{suffix}",
                    "alerts_topic": f"test.alerts.{suffix}",
                    "rules_refresh_interval_ms": 200,
                }
            ),
        }
    )
    try:
        rule = await RuleStore(elasticsearch, settings.alerts).add(
            parse_draft({"name": "flaky one", "query": "id:flaky-1", "webhooks": []})
        )
        await break_index(elasticsearch, settings, "authors")
        await produce(settings, [flaky(1)])
        async with running(settings):
            await eventually(lambda: committed_is(settings, 1), what="the refusal")
        await fix_index(elasticsearch, settings)

        # Replayed twice before the service reads either copy, then once more on purpose.
        for _ in range(2):
            assert [o.action for o in await replayed(settings)] == ["resend"]
        async with running(settings):
            await eventually(lambda: committed_is(settings, 3), what="both copies")
            forced = await replayed(settings, include_indexed=True)
            assert [o.action for o in forced] == ["resend"]
            await eventually(lambda: committed_is(settings, 4), what="the forced copy")
            await asyncio.sleep(1)  # time for a wrong second alert to show

        assert await count_documents(elasticsearch, settings, "id:flaky-1") == 1
        await elasticsearch.indices.refresh(index=settings.alerts.alerts_index)
        alerts = await AlertStore(elasticsearch, settings.alerts, settings.index).recent(10)
        assert [(alert.rule_id, alert.article_id) for alert in alerts] == [(rule.id, "flaky-1")]
    finally:
        await elasticsearch.options(ignore_status=404).indices.delete(
            index=[settings.alerts.rules_index, settings.alerts.alerts_index],
            ignore_unavailable=True,
        )
