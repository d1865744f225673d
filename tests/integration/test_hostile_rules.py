"""Hostile rules on the real servers: refused at the API, or matched within budget while
articles keep being indexed and committed."""

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from elasticsearch import AsyncElasticsearch

from alerts import RuleBook, RuleStore, parse_draft
from index.client import connect
from tests.integration.support import (
    article_line,
    committed_offsets,
    count_documents,
    eventually,
    produce,
    running,
)
from wirewatch.settings import Settings


@pytest.fixture
async def hostile(settings: Settings) -> AsyncIterator[Settings]:
    """The test's settings with a rules and alerts index of their own."""
    suffix = settings.index.alias.removeprefix("test-articles-")
    isolated = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={
                    "rules_index": f"test-rules-{suffix}",
                    "alerts_index": f"test-alerts-{suffix}",
                    "alerts_topic": f"test.alerts.{suffix}",
                    "rules_refresh_interval_ms": 200,
                }
            )
        }
    )
    yield isolated
    async with connect(settings.index) as client:
        await client.options(ignore_status=404).indices.delete(
            index=[isolated.alerts.rules_index, isolated.alerts.alerts_index],
            ignore_unavailable=True,
        )


async def test_a_query_5000_levels_deep_is_a_400_with_the_reason(
    hostile: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    async with running(hostile, elasticsearch) as service, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{service.http_port}/rules"
        for query, reason in [
            ("(" * 5000 + "a" + ")" * 5000, "query"),
            ("(" * 4000 + "a" + ")" * 4000, "WIREWATCH_ALERTS__MAX_QUERY_DEPTH"),
            ("NOT " * 2400 + "a", "WIREWATCH_ALERTS__MAX_QUERY_DEPTH"),
            (" ".join(f"w{n}" for n in range(1100)), "WIREWATCH_ALERTS__MAX_QUERY_CLAUSES"),
            (" ".join(f"url:*{n}?*" for n in range(40)), "WIREWATCH_ALERTS__MAX_QUERY_WILDCARDS"),
        ]:
            async with session.post(url, json={"name": "hostile", "query": query}) as refused:
                assert refused.status == 400, query[:40]
                assert reason in (await refused.json())["error"]
        async with session.get(f"http://127.0.0.1:{service.http_port}/healthz") as health:
            assert health.status == 200
    assert await RuleStore(elasticsearch, hostile.alerts).rules() == []


HOSTILE_QUERIES = [
    "url:*?*?*?*?*?*?*Q",
    "url:" + "*?" * 400 + "*Q",
    " OR ".join(f"url:*{n}?*?*?*Z" for n in range(32)),
    " OR ".join(f"body:*e?*a{n}*" for n in range(32)),
    "countries:(" + " OR ".join(f"X{n}" for n in range(1024)) + ")",
]


async def test_articles_flow_while_hostile_rules_are_matched(
    hostile: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    # Budgets small enough that the hostile rules run into them on these articles.
    settings = hostile.model_copy(
        update={
            "alerts": hostile.alerts.model_copy(
                update={"match_budget_per_article_ms": 20, "match_budget_per_batch_ms": 500}
            )
        }
    )
    store = RuleStore(elasticsearch, settings.alerts)
    for number, query in enumerate(HOSTILE_QUERIES):
        await store.add(parse_draft({"name": f"hostile {number}", "query": query}))
    # A rule written straight into the rules index, past every limit: skipped, never run.
    await elasticsearch.index(
        index=settings.alerts.rules_index, id="hand-made", refresh=True,
        document={"id": "hand-made", "name": "deep", "query": "(" * 40 + "a" + ")" * 40,
                  "enabled": True, "created_at": "2026-11-27T10:00:00Z"},
    )  # fmt: skip
    long_url = "https://example.com/" + "a" * 8000
    words = " ".join(f"word{n}e{n}a" for n in range(3000))
    lines = [
        article_line(number, url=f"{long_url}{number}", body=f"{words} round {number}")
        for number in range(10)
    ]
    async with running(settings, elasticsearch) as service:
        await eventually(
            lambda: _equals(service.registry.get_sample_value("wirewatch_alert_rules"), 5),
            what="the five hostile rules loaded, the hand-made one skipped",
        )
        started = time.monotonic()
        await produce(settings, lines)
        health_url = f"http://127.0.0.1:{service.http_port}/healthz"
        slowest_probe = 0.0
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < 120:
                asked = time.monotonic()
                async with session.get(health_url) as health:
                    assert health.status == 200
                slowest_probe = max(slowest_probe, time.monotonic() - asked)
                if (await committed_offsets(settings)).get(0) == len(lines):
                    break
                await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        over = service.registry.get_sample_value(
            "wirewatch_alert_matching_over_budget_total", {"budget": "article"}
        )
    assert (await committed_offsets(settings)).get(0) == len(lines), "all committed"
    assert await count_documents(elasticsearch, settings) == len(lines)
    assert over, "the hostile rules ran into the article budget"
    # Generous bounds (a shared machine): before, one such article held the loop for minutes.
    assert slowest_probe < 2.0, f"/healthz waited {slowest_probe:.1f} s"
    assert elapsed < 90, f"10 articles took {elapsed:.0f} s"


async def _equals(value: float | None, expected: float) -> bool:
    return value == expected


async def test_the_rule_book_stops_a_batch_at_its_budget(
    hostile: Settings, elasticsearch: AsyncElasticsearch
) -> None:
    settings = hostile.alerts.model_copy(
        update={"match_budget_per_article_ms": 10, "match_budget_per_batch_ms": 300}
    )
    store = RuleStore(elasticsearch, settings)
    await store.add(parse_draft({"name": "costly", "query": "authors:*a?t*r?n*Q"}))
    await store.add(parse_draft({"name": "cheap", "query": "countries:VE"}))
    overruns: list[str] = []
    async with RuleBook(store, settings, on_over_budget=overruns.append) as book:
        authors = [f"author {number}" for number in range(300_000)]
        sources = [{"id": f"a{n}", "countries": ["VE"], "authors": authors} for n in range(20)]
        started = time.perf_counter()
        matched = await asyncio.to_thread(book.match_batch, sources)
        elapsed = time.perf_counter() - started
    assert len(matched) == len(sources)
    assert "article" in overruns
    assert "batch" in overruns
    assert [rule.name for rule in matched[1]] == ["cheap"], "the costly rule went last"
    assert matched[-1] == [], "past the batch budget, articles are not matched"
    assert elapsed < 5.0
