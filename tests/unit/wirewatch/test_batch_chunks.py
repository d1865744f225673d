"""Enrichment in chunks: bounded chunks in order, off the event loop, a stop heard between two."""

import asyncio
import threading
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


async def test_a_stop_is_heard_between_chunks_and_the_rest_is_not_worked_on() -> None:
    stop = asyncio.Event()
    done: list[int] = []
    loop = asyncio.get_running_loop()

    def work(chunk: list[int]) -> list[int]:
        done.extend(chunk)
        if chunk == [2, 3]:
            loop.call_soon_threadsafe(stop.set)
        return [n * 10 for n in chunk]

    with pytest.raises(StopRequestedError):
        await map_in_chunks(work, [[0, 1], [2, 3], [4, 5]], stop)
    assert done == [0, 1, 2, 3]


async def test_chunks_run_off_the_event_loop_and_results_keep_their_order() -> None:
    threads: set[int] = set()

    def work(chunk: list[int]) -> list[int]:
        threads.add(threading.get_ident())
        return [n * 10 for n in chunk]

    assert await map_in_chunks(work, [[0, 1], [2]], asyncio.Event()) == [0, 10, 20]
    assert threading.get_ident() not in threads
