"""The rule book: the enabled rules, matched against documents, kept current by reloads that
compile only what changed, within time budgets; on an in-memory rules index."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alerts import AlertSettings, Rule, RuleBook
from contracts.models import Article, EnrichedArticle
from index.documents import build_document
from index.errors import IndexingError
from tests.unit.alerts.memory import MemoryRules

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def rule(rule_id: str, query: str, *, enabled: bool = True) -> Rule:
    return Rule.model_validate(
        {"id": rule_id, "name": f"rule {rule_id}", "query": query, "enabled": enabled,
         "created_at": NOW}
    )  # fmt: skip


def source(article_id: str, title: str) -> dict[str, Any]:
    article = Article.model_validate(
        {"id": article_id, "title": title, "body": "Talks were held.",
         "published_at": "2026-11-27T10:00:00Z", "source": "Test Wire"}
    )  # fmt: skip
    document = build_document(EnrichedArticle(article=article, language="en"), None, NOW)
    return document.source_fields()


def book_of(
    rules: MemoryRules, settings: AlertSettings | None = None, **hooks: Callable[..., None]
) -> RuleBook:
    return RuleBook(rules, settings or AlertSettings(), **hooks)


async def test_only_enabled_rules_are_loaded_and_matched() -> None:
    rules = MemoryRules()
    rules.save(rule("tanks", "title:tanks"))
    rules.save(rule("ships", "title:ships"))
    rules.save(rule("off", "title:tanks", enabled=False))
    loaded: list[int] = []
    book = book_of(rules, on_reload=loaded.append)

    assert await book.reload()

    assert sorted(book.rules) == ["ships", "tanks"]
    assert loaded == [2]
    assert [found.id for found in book.match(source("a", "Tanks for Caracas"))] == ["tanks"]
    assert book.match(source("b", "Talks on trade")) == []


async def test_a_reload_without_change_compiles_nothing_and_a_change_compiles_only_it() -> None:
    rules = MemoryRules()
    rules.save(rule("tanks", "title:tanks"))
    rules.save(rule("ships", "title:ships"))
    book = book_of(rules)
    await book.reload()
    assert sorted(rules.compiled) == ["title:ships", "title:tanks"]

    assert not await book.reload()
    rules.save(rule("ships", "title:frigates"))
    rules.remove("tanks")
    assert await book.reload()

    assert sorted(rules.compiled) == ["title:frigates", "title:ships", "title:tanks"]
    assert list(book.rules) == ["ships"]
    assert [found.id for found in book.match(source("a", "Frigates sold"))] == ["ships"]
    assert book.match(source("b", "Tanks sold")) == []


async def test_a_rule_whose_query_cannot_be_matched_is_skipped_and_the_others_load() -> None:
    rules = MemoryRules()
    rules.save(rule("fuzzy", "title:defen~2"))
    rules.save(rule("tanks", "title:tanks"))
    book = book_of(rules)

    await book.reload()

    assert list(book.rules) == ["tanks"]


async def test_matching_past_the_batch_budget_leaves_the_rest_unmatched_and_says_so() -> None:
    rules = MemoryRules()
    rules.save(rule("tanks", "title:tanks"))
    over: list[str] = []
    # A budget no batch can keep: nothing is matched, and each article is counted.
    settings = AlertSettings(match_budget_per_batch_ms=1e-9)
    book = book_of(rules, settings, on_over_budget=over.append)
    await book.reload()

    found = book.match_batch([source("a", "Tanks"), source("b", "Tanks")])

    assert found == [[], []]
    assert over == ["batch", "batch"]


async def test_matching_within_budget_finds_the_rules_of_each_article() -> None:
    rules = MemoryRules()
    rules.save(rule("tanks", "title:tanks"))
    rules.save(rule("ships", "title:ships OR title:tanks"))
    over: list[str] = []
    book = book_of(rules, on_over_budget=over.append)
    await book.reload()

    found = book.match_batch([source("a", "Tanks"), source("b", "Ships"), source("c", "Talks")])

    assert [sorted(rule.id for rule in rules) for rules in found] == [
        ["ships", "tanks"],
        ["ships"],
        [],
    ]
    assert over == []


async def eventually(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")


async def test_a_running_book_picks_up_changes_and_keeps_the_last_good_rules_on_failure() -> None:
    rules = MemoryRules()
    rules.save(rule("tanks", "title:tanks"))
    settings = AlertSettings(rules_refresh_interval_ms=10)

    async with book_of(rules, settings) as book:
        assert list(book.rules) == ["tanks"]
        rules.save(rule("ships", "title:ships"))
        await eventually(lambda: "ships" in book.rules)

        rules.failure = IndexingError("the rules index is away", retriable=True)
        rules.remove("tanks")
        await asyncio.sleep(0.05)
        assert sorted(book.rules) == ["ships", "tanks"], "the last good rules stay"

        rules.failure = None
        await eventually(lambda: list(book.rules) == ["ships"])
