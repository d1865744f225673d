"""Enrichment in chunks: bounded chunks in order, off the event loop, a stop heard between two."""

import asyncio
from datetime import UTC, datetime

import pytest

from contracts import Article, KafkaPosition, ReceivedArticle
from wirewatch.batch import StopRequestedError, enrichment_chunks, map_in_chunks


def received(offset: int, body_bytes: int = 10) -> ReceivedArticle:
    value = (
        b'{"id": "wire-%d", "title": "T", "body": "%s", '
        b'"published_at": "2024-01-01T00:00:00Z", "source": "S"}' % (offset, b"x" * body_bytes)
    )
    return ReceivedArticle(
        article=Article.model_validate_json(value),
        position=KafkaPosition(topic="wirewatch.articles", partition=0, offset=offset),
        value=value,
        published_to_kafka_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def test_chunks_keep_order_and_respect_the_record_bound() -> None:
    articles = [received(n) for n in range(10)]
    chunks = enrichment_chunks(articles, max_records=4, max_bytes=1_000_000)
    assert [len(chunk) for chunk in chunks] == [4, 4, 2]
    assert [item for chunk in chunks for item in chunk] == articles


def test_chunks_respect_the_byte_bound_and_a_longer_message_goes_alone() -> None:
    small, huge = received(0, 100), received(1, 5000)
    chunks = enrichment_chunks(
        [small, small, huge, small], max_records=100, max_bytes=len(small.value) * 2
    )
    assert chunks == [[small, small], [huge], [small]]


def test_no_articles_no_chunks() -> None:
    assert enrichment_chunks([], max_records=4, max_bytes=100) == []


async def test_a_stop_gives_up_the_chunks_in_hand_at_once() -> None:
    stop = asyncio.Event()
    started: list[list[int]] = []
    finished: list[list[int]] = []

    async def work(chunk: list[int]) -> list[int]:
        started.append(chunk)
        if chunk == [2, 3]:
            stop.set()
        await asyncio.sleep(10)
        finished.append(chunk)
        return chunk

    with pytest.raises(StopRequestedError):
        await asyncio.wait_for(map_in_chunks(work, [[0, 1], [2, 3], [4, 5]], stop), timeout=5)
    assert started == [[0, 1], [2, 3], [4, 5]]
    assert finished == []


async def test_a_stop_set_before_starts_nothing() -> None:
    stop = asyncio.Event()
    stop.set()
    started: list[list[int]] = []

    async def work(chunk: list[int]) -> list[int]:
        started.append(chunk)
        return chunk

    with pytest.raises(StopRequestedError):
        await map_in_chunks(work, [[0, 1]], stop)
    assert started == []


async def test_chunks_run_at_once_and_results_keep_their_order() -> None:
    running = 0
    most = 0

    async def work(chunk: list[int]) -> list[int]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01 * (3 - len(chunk)))  # the shorter chunk ends last
        running -= 1
        return [n * 10 for n in chunk]

    assert await map_in_chunks(work, [[0, 1], [2]], asyncio.Event()) == [0, 10, 20]
    assert await map_in_chunks(work, [[0, 1], [2]], None) == [0, 10, 20]
    assert most == 2
