"""An article that kills its enrichment worker process, among valid ones, on the real service
and servers: the worker is replaced, the article dead-lettered with the reason, every other
article indexed once, nothing lost."""

import os
import signal
from collections.abc import Sequence

from elasticsearch import AsyncElasticsearch

from contracts import Article
from enrich import Enricher, EnrichmentPool, EnrichmentResult
from tests.integration.support import (
    article_line,
    committed_offsets,
    eventually,
    produce,
    read_topic,
    running,
)
from wirewatch.settings import Settings

VALID = 30
POISON_TITLE = "Crashing headline"


class CrashingEnricher(Enricher):
    """The real enricher, in a worker process that dies as a segfault in native code or the
    OOM killer would end it, on any call holding the poison article."""

    def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        if any(article.title == POISON_TITLE for article in articles):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().enrich(articles)


async def indexed_ids(client: AsyncElasticsearch, settings: Settings) -> list[str]:
    tolerant = client.options(ignore_status=(404, 503))
    await tolerant.indices.refresh(index=settings.index.alias)
    response = await tolerant.search(
        index=settings.index.alias, query={"match_all": {}}, size=1000, source_includes=["id"]
    )
    return [hit["_source"]["id"] for hit in response.body.get("hits", {}).get("hits", [])]


async def test_an_article_that_kills_its_worker_is_dead_lettered_and_the_rest_indexed_once(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = settings.model_copy(
        update={"enrich": settings.enrich.model_copy(update={"workers": 2, "pipe_batch_size": 4})}
    )
    lines = [article_line(n) for n in range(VALID)]
    poison = article_line(VALID, title=POISON_TITLE)
    lines.insert(VALID // 2, poison)
    await produce(settings, lines)
    pool = EnrichmentPool(settings.enrich, factory=CrashingEnricher)
    async with pool, running(settings, enricher=pool):
        await eventually(
            lambda: _committed_all(settings, len(lines)), timeout_s=120, what="every commit"
        )

    ids = await indexed_ids(elasticsearch, settings)
    assert sorted(ids) == sorted(f"article-{n}" for n in range(VALID))  # each exactly once
    letters = await read_topic(settings, settings.ingest.dead_letter_topic, 2, wait_s=5)
    assert [letter.value for letter in letters] == [poison]
    headers = dict(letters[0].headers)
    assert headers["wirewatch.stage"] == b"enrichment"
    assert headers["wirewatch.original_offset"] == str(VALID // 2).encode()
    reason = headers["wirewatch.error"].decode()
    assert f"article-{VALID}" in reason
    assert "worker process died enriching it (killed by SIGKILL" in reason


async def _committed_all(settings: Settings, count: int) -> bool:
    return await committed_offsets(settings) == {0: count}
