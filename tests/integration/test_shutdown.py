"""SIGTERM in the middle of a stream: nothing lost, nothing indexed twice."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from elasticsearch import AsyncElasticsearch

from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    drop_index,
    eventually,
    isolated,
    produce,
)
from wirewatch.settings import Settings

ARTICLES = 600


def service_env(settings: Settings) -> dict[str, str]:
    """The environment that points a `wirewatch run` process at the test's topics and index."""
    return {
        **os.environ,
        "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WIREWATCH_INDEX__ELASTICSEARCH_URL": settings.index.elasticsearch_url,
        "WIREWATCH_INDEX__ALIAS": settings.index.alias,
        "WIREWATCH_INGEST__TOPIC": settings.ingest.topic,
        "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": settings.ingest.dead_letter_topic,
        "WIREWATCH_INGEST__GROUP_ID": settings.ingest.group_id,
        "WIREWATCH_INGEST__TOPIC_PARTITIONS": str(settings.ingest.topic_partitions),
        "WIREWATCH_INGEST__MAX_BATCH_RECORDS": "10",
        "WIREWATCH_SERVICE__HTTP_PORT": "0",
        "WIREWATCH_SERVICE__LOG_FORMAT": "json",
    }


@asynccontextmanager
async def service_process(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    """`wirewatch run` as a child process; killed if the test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirewatch", "run",
        env=service_env(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def stream_settings(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = isolated(base_settings, partitions=3)
    yield settings
    await drop_index(settings)


async def indexed_versions(client: AsyncElasticsearch, settings: Settings) -> dict[str, int]:
    """Each indexed document's id and `_version` (1 means written exactly once)."""
    await client.indices.refresh(index=settings.index.alias)
    response = await client.search(
        index=settings.index.alias, size=ARTICLES * 2, version=True, source=False,
        query={"match_all": {}},
    )  # fmt: skip
    return {hit["_id"]: hit["_version"] for hit in response["hits"]["hits"]}


async def interrupt_mid_stream(
    settings: Settings, elasticsearch: AsyncElasticsearch, *, crash: bool
) -> None:
    """Publishes the stream, runs the service until it has indexed something, then stops it:
    SIGTERM (expecting a clean exit), or SIGKILL when `crash`."""
    await produce(settings, [article_line(n) for n in range(ARTICLES)])
    async with service_process(settings) as service:
        await eventually(
            lambda: count_documents(elasticsearch, settings),
            timeout_s=120, what="the first run to index something",
        )  # fmt: skip
        if crash:
            service.kill()  # no chance to finish the batch or commit
            await service.wait()
            return
        await _terminate(service)


async def finish_stream(settings: Settings) -> None:
    """Runs the service again until every message is committed, then stops it with SIGTERM."""
    async with service_process(settings) as service:
        await eventually(
            lambda: _all_committed(settings), timeout_s=180, what="the restart to finish"
        )
        await _terminate(service)


async def _terminate(service: asyncio.subprocess.Process) -> None:
    service.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(service.communicate(), timeout=60)
    assert service.returncode == 0, stderr.decode()[-3000:]


async def _all_committed(settings: Settings) -> bool:
    return sum((await committed_offsets(settings)).values()) == ARTICLES


async def test_sigterm_mid_stream_loses_nothing_and_indexes_nothing_twice(
    stream_settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = stream_settings
    await interrupt_mid_stream(settings, elasticsearch, crash=False)

    committed_total = sum((await committed_offsets(settings)).values())
    indexed = await indexed_versions(elasticsearch, settings)
    assert 0 < committed_total < ARTICLES, "the stop should come in the middle of the stream"
    # Everything consumed before the stop is indexed and committed, and nothing beyond.
    assert len(indexed) == committed_total

    await finish_stream(settings)
    indexed = await indexed_versions(elasticsearch, settings)
    assert set(indexed) == {f"article-{n}" for n in range(ARTICLES)}
    written_twice = sorted(doc_id for doc_id, version in indexed.items() if version != 1)
    assert written_twice == []


async def test_a_crash_mid_stream_redelivers_without_losing_or_duplicating(
    stream_settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = stream_settings
    await interrupt_mid_stream(settings, elasticsearch, crash=True)
    indexed_before_restart = await indexed_versions(elasticsearch, settings)
    assert sum((await committed_offsets(settings)).values()) <= len(indexed_before_restart)

    await finish_stream(settings)
    # Redelivered messages overwrite their documents: all present, none twice.
    indexed = await indexed_versions(elasticsearch, settings)
    assert set(indexed) == {f"article-{n}" for n in range(ARTICLES)}
    assert await count_documents(elasticsearch, settings) == ARTICLES
