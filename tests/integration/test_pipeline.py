"""The pipeline on real servers: searchable, dead-lettered, never duplicated."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from elasticsearch import AsyncElasticsearch
from spacy.tokens import Doc

from enrich import Enricher, EnrichmentPool, EnrichSettings, components, drop_headline_artefacts
from index import IndexingError
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    eventually,
    produce,
    read_topic,
    running,
)
from wirewatch.service import Service
from wirewatch.settings import Settings

FIXTURES = Path(__file__).parent.parent / "fixtures"


def seed_line() -> bytes:
    return json.dumps(json.loads((FIXTURES / "seed-article.json").read_text())).encode()


async def test_seed_article_becomes_searchable_by_person(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await produce(settings, [seed_line()])
    async with running(settings):
        await eventually(
            lambda: count_documents(elasticsearch, settings, 'persons:"Vladimir Putin"'),
            what="the seed article to be searchable by persons",
        )
    response = await elasticsearch.search(
        index=settings.index.alias, query={"match": {"persons": "Vladimir Putin"}}
    )
    (hit,) = response["hits"]["hits"]
    source = hit["_source"]
    assert {"Vladimir Putin", "Nicolas Maduro"} <= set(source["persons"])
    assert hit["_id"] == "havanatimes-russia-venezuela-defense-industry-talks"
    assert source["kafka"] == {"topic": settings.ingest.topic, "partition": 0, "offset": 0}
    assert source["title"] == "Russian Military Officials in Venezuela for Defense Industry Talks"
    assert any(e["text"] == "Vladimir Putin" and e["label"] == "PERSON" for e in source["entities"])


async def test_cli_search_finds_the_seed_article(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await produce(settings, [seed_line()])
    async with running(settings):
        await eventually(lambda: count_documents(elasticsearch, settings), what="indexing")
    env = {
        **os.environ,
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
    }
    found = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wirewatch", "search", 'persons:"Nicolas Maduro"', "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert [hit["_id"] for hit in hits] == ["havanatimes-russia-venezuela-defense-industry-talks"]

    refused = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wirewatch", "search", "title:(unbalanced"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "refused the query" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_invalid_message_is_dead_lettered_and_the_partition_keeps_flowing(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    not_json = b"{this is not json"
    no_body = article_line(1, body="<p> </p>")
    await produce(settings, [not_json, no_body, article_line(2)])
    async with running(settings):
        await eventually(lambda: count_documents(elasticsearch, settings, "id:article-2"),
                         what="the valid message after the invalid ones")  # fmt: skip
        await eventually(lambda: committed_offsets(settings), what="a commit")

    assert await committed_offsets(settings) == {0: 3}
    assert await count_documents(elasticsearch, settings) == 1
    letters = await read_topic(settings, settings.ingest.dead_letter_topic, 2)
    assert [letter.value for letter in letters] == [not_json, no_body]
    headers = [dict(letter.headers) for letter in letters]
    assert [h["wirewatch.original_offset"] for h in headers] == [b"0", b"1"]
    assert all(h["wirewatch.original_topic"] == settings.ingest.topic.encode() for h in headers)
    assert all(h["wirewatch.stage"] == b"validation" for h in headers)
    assert b"not JSON" in headers[0]["wirewatch.error"]
    assert b"body" in headers[1]["wirewatch.error"]


async def test_a_closed_index_stops_the_service_without_dead_lettering_or_committing(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await produce(settings, [article_line(1)])
    async with running(settings):
        await eventually(lambda: _offset_is(settings, 1), what="the first article committed")
    write_index = f"{settings.index.alias}-000001"
    await elasticsearch.indices.close(index=write_index)
    try:
        await produce(settings, [article_line(2)])
        with pytest.raises(IndexingError, match="closed"):
            await asyncio.wait_for(Service(settings).run(asyncio.Event()), timeout=120)
    finally:
        await elasticsearch.indices.open(index=write_index, wait_for_active_shards="1")
    assert await committed_offsets(settings) == {0: 1}
    assert await read_topic(settings, settings.ingest.dead_letter_topic, 1, wait_s=3) == []

    async with running(settings):
        await eventually(lambda: _offset_is(settings, 2), what="the article after reopening")
    assert await count_documents(elasticsearch, settings) == 2


async def _offset_is(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}


async def test_same_article_delivered_twice_across_a_restart_leaves_one_document(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await produce(settings, [article_line(7)])
    async with running(settings):
        await eventually(lambda: count_documents(elasticsearch, settings), what="first delivery")
    await produce(settings, [article_line(7, title="Defence ministers meet again")])
    async with running(settings):
        await eventually(lambda: _offset_is(settings, 2), what="second delivery to be committed")

    assert await count_documents(elasticsearch, settings) == 1
    document = await elasticsearch.get(index=settings.index.alias, id="article-7")
    assert document["_source"]["title"] == "Defence ministers meet again"
    assert document["_source"]["kafka"]["offset"] == 1


async def test_metrics_and_probes_report_the_pipeline(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    await produce(settings, [b"not json", article_line(1)])
    async with running(settings) as service:
        await eventually(lambda: _offset_is(settings, 2), what="both messages to be committed")
        base = f"http://127.0.0.1:{service.http_port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as health:
                assert health.status == 200
            async with session.get(f"{base}/readyz") as ready:
                assert ready.status == 200
                assert (await ready.json())["dependencies"] == {
                    "elasticsearch": {"status": "up"},
                    "kafka": {"status": "up"},
                    "pipeline": {"status": "up"},
                }
            async with session.get(f"{base}/metrics") as metrics:
                exposition = await metrics.text()
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("wirewatch_") and " " in line
    }
    assert samples["wirewatch_articles_indexed_total"] == 1
    assert samples['wirewatch_messages_dead_lettered_total{stage="validation"}'] == 1
    topic = settings.ingest.topic
    assert samples[f'wirewatch_messages_consumed_total{{topic="{topic}"}}'] == 2
    assert samples[f'wirewatch_consumer_lag{{partition="0",topic="{topic}"}}'] == 0
    assert samples["wirewatch_batch_duration_seconds_count"] >= 1


async def test_copies_of_one_article_in_one_batch_are_written_once_as_the_last_copy(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    copies = [article_line(5, title=f"Version {n} of the story") for n in (1, 2, 3)]
    await produce(settings, copies)
    async with running(settings):
        await eventually(lambda: _offset_is(settings, 3), what="all copies to be committed")

    document = await elasticsearch.get(index=settings.index.alias, id="article-5")
    assert document["_source"]["title"] == "Version 3 of the story"
    assert document["_version"] == 1


async def test_copies_of_one_story_share_a_story_id_across_batches_and_restarts(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    seed = json.loads((FIXTURES / "seed-article.json").read_text())
    paragraphs = seed["body"].split("\n")
    rerun = {
        **seed,
        "id": "rerun-elsewhere",
        "title": "Moscow sends defence officials to Caracas",
        "body": "\n".join(paragraphs[:-2]),
        "source": "Another Outlet",
    }
    await produce(settings, [seed_line()])
    async with running(settings):
        await eventually(lambda: count_documents(elasticsearch, settings), what="the first copy")
    # The second copy and an unrelated story arrive after a restart: the story is found in
    # the index, not in the memory of the instance that wrote the first copy.
    await produce(settings, [json.dumps(rerun).encode(), article_line(1)])
    async with running(settings):
        await eventually(
            lambda: count_documents(elasticsearch, settings, "_id:article-1"), what="the rest"
        )
    await elasticsearch.indices.refresh(index=settings.index.alias)
    response = await elasticsearch.search(
        index=settings.index.alias, query={"match_all": {}}, source_includes=["story_id"]
    )
    stories = {hit["_id"]: hit["_source"]["story_id"] for hit in response["hits"]["hits"]}
    first = "havanatimes-russia-venezuela-defense-industry-talks"
    assert stories == {first: first, "rerun-elsewhere": first, "article-1": "article-1"}


def _failing_on_tripwire(doc: Doc, title_end: int) -> None:
    if "Tripwire" in doc.text:
        raise ValueError("cannot read this text")
    drop_headline_artefacts(doc, title_end)


def enricher_failing_on_tripwire(settings: EnrichSettings) -> Enricher:
    """The real enricher, whose headline clean-up raises on one text (as a component bug on odd
    text would): built in each worker process, where the fault must be."""
    setattr(components, "drop_headline_artefacts", _failing_on_tripwire)  # noqa: B010
    return Enricher(settings)


async def test_an_article_enrichment_raises_on_is_dead_lettered_and_its_batch_goes_on(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    # A fault in one article's enrichment, injected into the real pipeline; the other articles
    # of the batch are enriched as usual.
    pool = EnrichmentPool(settings.enrich, factory=enricher_failing_on_tripwire)
    poison = article_line(2, body="Defence minister Tripwire met Nicolas Maduro in Caracas.")
    await produce(settings, [article_line(1), poison, article_line(3)])
    async with pool, running(settings, enricher=pool):
        await eventually(lambda: committed_offsets(settings), what="a commit")

    assert await committed_offsets(settings) == {0: 3}
    assert await count_documents(elasticsearch, settings, "id:article-1 OR id:article-3") == 2
    assert await count_documents(elasticsearch, settings) == 2
    (letter,) = await read_topic(settings, settings.ingest.dead_letter_topic, 1)
    assert letter.value == poison
    headers = dict(letter.headers)
    assert headers["wirewatch.stage"] == b"enrichment"
    assert headers["wirewatch.original_offset"] == b"1"
    assert b"ValueError: cannot read this text" in headers["wirewatch.error"]
