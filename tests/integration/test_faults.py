"""Elasticsearch refusing or throttling writes, injected around the real client and server."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from elastic_transport import ObjectApiResponse
from elasticsearch import AsyncElasticsearch

from index import IndexingError, connect
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


class FaultyElasticsearch(AsyncElasticsearch):
    """The real client, whose bulk answers chosen documents with an injected item error.

    The other documents of the request reach the real server as usual. `faults` maps a
    document id to the (status, error type) answers it gets, one per attempt.
    """

    def __init__(
        self,
        *,
        _transport: Any,
        faults: dict[str, list[tuple[int, str]]] | None = None,
        attempts: dict[str, int] | None = None,
    ) -> None:
        super().__init__(_transport=_transport)
        self.faults = faults if faults is not None else {}
        self.attempts = attempts if attempts is not None else {}

    def options(self, **kwargs: Any) -> "FaultyElasticsearch":
        # The bulk helper works on a copy made by options(): it must share the faults.
        copy = super().options(**kwargs)
        copy.faults, copy.attempts = self.faults, self.attempts
        return copy

    async def bulk(self, *, operations: Iterable[Any], **kwargs: Any) -> ObjectApiResponse[Any]:  # type: ignore[override]
        lines = [json.loads(op) if isinstance(op, bytes | str) else op for op in operations]
        pairs = list(zip(lines[::2], lines[1::2], strict=True))
        injected: dict[int, dict[str, Any]] = {}
        forwarded: list[Any] = []
        for position, (action, source) in enumerate(pairs):
            # Any operation: the stories index gets creates of band claims through it too.
            (target,) = action.values()
            doc_id = target["_id"]
            answers = self.faults.get(doc_id, [])
            attempt = self.attempts.get(doc_id, 0)
            self.attempts[doc_id] = attempt + 1
            if attempt < len(answers):
                status, error_type = answers[attempt]
                injected[position] = {"index": {"_id": doc_id, "status": status,
                    "error": {"type": error_type, "reason": "injected by the test"}}}  # fmt: skip
            else:
                forwarded.extend([action, source])
        real_items: list[dict[str, Any]] = []
        meta = None
        if forwarded:
            response = await super().bulk(operations=forwarded, **kwargs)
            real_items, meta = response.body["items"], response.meta
        items = []
        real = iter(real_items)
        for position in range(len(pairs)):
            items.append(injected[position] if position in injected else next(real))
        real_errors = any("error" in next(iter(item.values())) for item in real_items)
        body = {"took": 1, "errors": bool(injected) or real_errors, "items": items}
        if meta is None:  # every document was answered by the test: borrow a real response's meta
            meta = (await self.cluster.health()).meta
        return ObjectApiResponse(body=body, meta=meta)


@pytest.fixture
async def real_client(settings: Settings) -> AsyncIterator[AsyncElasticsearch]:
    async with connect(settings.index) as client:
        yield client


async def test_a_document_refused_for_good_is_dead_lettered_and_the_rest_indexed(
    settings: Settings, elasticsearch: AsyncElasticsearch, real_client: AsyncElasticsearch
) -> None:
    faulty = FaultyElasticsearch(
        _transport=real_client.transport,
        faults={"article-2": [(400, "document_parsing_exception")]},
    )
    await produce(settings, [article_line(n) for n in (1, 2, 3)])
    async with running(settings, elasticsearch=faulty):
        await eventually(lambda: _offset_is(settings, 3), what="all three to be committed")

    assert await count_documents(elasticsearch, settings) == 2
    assert await count_documents(elasticsearch, settings, "id:article-2") == 0
    (letter,) = await read_topic(settings, settings.ingest.dead_letter_topic, 1)
    headers = dict(letter.headers)
    assert letter.value == article_line(2)
    assert headers["wirewatch.stage"] == b"indexing"
    assert headers["wirewatch.original_offset"] == b"1"
    assert b"article-2" in headers["wirewatch.error"]
    assert b"document_parsing_exception" in headers["wirewatch.error"]


async def test_throttled_and_failing_writes_are_retried_until_they_succeed(
    settings: Settings, elasticsearch: AsyncElasticsearch, real_client: AsyncElasticsearch
) -> None:
    answers = [(429, "es_rejected_execution_exception"), (503, "unavailable_shards_exception")]
    faulty = FaultyElasticsearch(_transport=real_client.transport, faults={"article-1": answers})
    await produce(settings, [article_line(1), article_line(2)])
    async with running(settings, elasticsearch=faulty):
        await eventually(lambda: _offset_is(settings, 2), what="both to be committed")

    assert faulty.attempts["article-1"] == 3
    assert faulty.attempts["article-2"] == 1
    versions = await elasticsearch.mget(index=settings.index.alias, ids=["article-1", "article-2"])
    assert [doc["_version"] for doc in versions["docs"]] == [1, 1]
    assert await read_topic(settings, settings.ingest.dead_letter_topic, 1, wait_s=3) == []


async def test_a_refusal_of_the_index_itself_stops_the_service_and_commits_nothing(
    settings: Settings, elasticsearch: AsyncElasticsearch, real_client: AsyncElasticsearch
) -> None:
    faulty = FaultyElasticsearch(
        _transport=real_client.transport, faults={"article-1": [(403, "security_exception")]}
    )
    await produce(settings, [article_line(1)])
    service = Service(settings, elasticsearch=faulty)
    stop = asyncio.Event()
    with pytest.raises(IndexingError, match="not the article"):
        await service.run(stop)

    assert await committed_offsets(settings) == {}
    assert await read_topic(settings, settings.ingest.dead_letter_topic, 1, wait_s=3) == []
    # Once the index accepts writes again, a restart indexes the message.
    async with running(settings):
        await eventually(lambda: count_documents(elasticsearch, settings), what="indexing")


async def _offset_is(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}
