"""Hostile input on the real servers: no document is refused, no message stops the partition."""

import json
from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch
from hypothesis import given, settings

from contracts import EnrichedArticle, KafkaPosition
from index import ArticleDocument, ArticleIndex, build_document
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    eventually,
    produce,
    read_topic,
    running,
)
from tests.unit.hostile import DATES, POSITIONS, RAW_JSON, extreme_enriched
from wirewatch.settings import Settings


def extreme_documents(count: int) -> list[ArticleDocument]:
    """`count` documents built from enriched articles with extreme values (deterministic)."""
    documents: list[ArticleDocument] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None)
    @given(extreme_enriched(), POSITIONS, DATES)
    def collect(
        enriched: EnrichedArticle, position: KafkaPosition | None, ingested_at: datetime
    ) -> None:
        document = build_document(enriched, position, ingested_at)
        documents.append(document.model_copy(update={"id": f"extreme-{len(documents)}"}))

    collect()
    return documents


async def test_documents_with_extreme_values_are_all_indexed(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    documents = extreme_documents(120)
    async with ArticleIndex(settings.index) as index:
        await index.setup()
        written = await index.write(documents)

    assert written.rejections == []
    await elasticsearch.indices.refresh(index=settings.index.alias)
    assert await count_documents(elasticsearch, settings) == len(documents)


async def test_setup_gives_an_existing_index_the_refresh_interval_of_the_settings(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    async with ArticleIndex(settings.index) as index:
        await index.setup()
    changed = settings.index.model_copy(update={"refresh_interval_ms": 250})
    async with ArticleIndex(changed) as index:
        await index.setup()  # the alias exists: the template alone would not reach its index

    found = await elasticsearch.indices.get_settings(index=settings.index.alias)
    (index_settings,) = found.body.values()
    assert index_settings["settings"]["index"]["refresh_interval"] == "250ms"


def _poison() -> list[bytes]:
    """Messages of many kinds that are no article, each once."""
    valid = json.loads(article_line(0))
    return [
        b"\xff\xfe not utf-8",
        b"{not json",
        b"",
        b"[1, 2]",
        b'{"id": ' + b"1" * 5000 + b"}",
        b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        json.dumps({**valid, "id": "poison-body", "body": "<script>x()</script>"}).encode(),
        json.dumps(
            {**valid, "id": "poison-date", "published_at": "0001-01-01T00:00:00+23:59"}
        ).encode(),
        json.dumps({**valid, "id": "poison-type", "title": 12, "source": ["x"]}).encode(),
        *(b'{"id": "poison-raw", "body": ' + raw + b"}" for raw in RAW_JSON[:6]),
    ]


def _hard_but_valid(number: int) -> bytes:
    """Valid articles that once were refused or broke a stage."""
    shapes: list[dict[str, Any]] = [
        {"title": None},
        {
            "title": "",
            "body": "<rss><item><description><![CDATA[<p>Feed body.</p>]]>"
            "</description></item></rss>",
        },
        {"body": "&lt;p&gt;Escaped feed body &amp; more&lt;/p&gt;"},
        {"title": "Tit\ud800le\x00", "body": "Body with a lone \udfff surrogate."},
        {"published_at": "2026-01-01T00:00:00+20:00"},
        {"body": "Plain text with a < b and x<y and z>w."},
        {"language": "en", "body": "𝕏" * 20_000},
    ]
    overrides = shapes[number % len(shapes)]
    return article_line(number, **overrides)


async def test_poison_interleaved_with_good_messages_leaves_every_good_one_indexed_once(
    settings: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    poison = _poison()
    good = [_hard_but_valid(number) for number in range(14)]
    lines: list[bytes] = []
    for number, article in enumerate(good):
        lines.append(article)
        lines.extend(poison[number :: len(good)])
    bad = [line for line in lines if line not in good]
    await produce(settings, lines)

    async with running(settings):
        await eventually(
            lambda: _offset_is(settings, len(lines)), what="every message to be committed"
        )

    assert await count_documents(elasticsearch, settings) == len(good)
    for number in range(len(good)):
        document = await elasticsearch.get(index=settings.index.alias, id=f"article-{number}")
        assert document["_source"]["kafka"]["offset"] == lines.index(good[number])
    letters = await read_topic(settings, settings.ingest.dead_letter_topic, len(bad))
    assert sorted(letter.value for letter in letters) == sorted(bad)
    assert all(dict(letter.headers)["wirewatch.error"] for letter in letters)
    assert all(dict(letter.headers)["wirewatch.stage"] == b"validation" for letter in letters)


async def _offset_is(settings: Settings, offset: int) -> bool:
    return await committed_offsets(settings) == {0: offset}
