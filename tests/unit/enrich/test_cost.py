"""What one article costs and what it can break: enrichment is linear in the text whatever the
text says, holds its per-article budget, and an article it fails on fails alone."""

import copy
import time

import pytest
from spacy.tokens import Doc

from benchmarks.enrichment_cost import KINDS, pathological_article
from contracts import EnrichedArticle
from enrich import Enricher, EnrichmentFailure, EnrichmentResult, EnrichSettings
from enrich.components import TOPIC_TAGGER, TopicTaggerComponent


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(EnrichSettings())


def enriched(result: EnrichmentResult) -> EnrichedArticle:
    assert isinstance(result, EnrichedArticle), result
    return result


def seconds(enricher: Enricher, kind: str, chars: int) -> float:
    """The best of two runs: a shared machine only ever slows a run down."""
    article = pathological_article(kind, chars)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        enriched(enricher.enrich([article])[0])
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cost_per_character_does_not_grow_with_the_text(enricher: Enricher, kind: str) -> None:
    # Generous: a quadratic step costs 8x per character at 8x the length; noise is far less.
    small, large = 5_000, 40_000
    per_char_small = seconds(enricher, kind, small) / small
    per_char_large = seconds(enricher, kind, large) / large

    assert per_char_large < 4 * per_char_small, (kind, per_char_small, per_char_large)


def test_the_budget_skips_the_rule_cues_and_deals_and_says_so(enricher: Enricher) -> None:
    tight = Enricher(EnrichSettings(article_budget_ms=1))
    article = pathological_article("deals", 50_000)

    result = enriched(tight.enrich([article])[0])

    assert all(match.decided_by == "classifier" for match in result.topic_details)
    assert all(not match.evidence for match in result.topic_details)
    assert len(result.deals) < len(enriched(enricher.enrich([article])[0]).deals)
    assert any("ARTICLE_BUDGET_MS" in warning for warning in result.warnings)
    # Entities and facets are always there.
    assert "Poland" in result.locations
    untimed = enriched(enricher.enrich([article])[0])
    assert untimed.deals
    assert not untimed.warnings


def test_the_budget_holds_within_a_margin() -> None:
    article = pathological_article("run-on", 100_000)
    budget_ms = 50
    tight = Enricher(EnrichSettings(article_budget_ms=budget_ms))
    calls: list[float] = []
    component = tight.nlp.get_pipe(TOPIC_TAGGER)
    assert isinstance(component, TopicTaggerComponent)
    tag = component.tagger.tag

    def timed_tag(doc: Doc, *args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return tag(doc, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            calls.append(time.perf_counter() - start)

    component.tagger = copy.copy(component.tagger)
    component.tagger.tag = timed_tag  # type: ignore[method-assign,assignment]

    result = enriched(tight.enrich([article])[0])

    assert any("ARTICLE_BUDGET_MS" in warning for warning in result.warnings)
    (took,) = calls
    assert took < 10 * budget_ms / 1000, took


def test_a_text_longer_than_what_is_analysed_says_so(enricher: Enricher) -> None:
    cut = copy.copy(enricher)
    cut.settings = EnrichSettings(max_text_chars=5_000)

    result = enriched(cut.enrich([pathological_article("deals", 20_000)])[0])

    assert any("MAX_TEXT_CHARS" in warning for warning in result.warnings)
    assert result.article.body == pathological_article("deals", 20_000).body


def test_an_article_enrichment_fails_on_fails_alone(
    enricher: Enricher, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = [pathological_article("deals", 2_000), pathological_article("table", 2_000)]
    poison = pathological_article("entities", 2_000).model_copy(update={"id": "poison"})
    annotated = Enricher._annotated

    def failing(self: Enricher, article: object, *args: object) -> EnrichedArticle:
        if getattr(article, "id", None) == "poison":
            raise RuntimeError("a component tripped over this text")
        return annotated(self, article, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Enricher, "_annotated", failing)

    results = enricher.enrich([good[0], poison, good[1]])

    assert [r.article for r in results] == [good[0], poison, good[1]]
    assert isinstance(results[1], EnrichmentFailure)
    assert "RuntimeError: a component tripped over this text" in results[1].reason
    assert enriched(results[0]).locations
    assert enriched(results[2]).locations


def test_spacys_own_length_limit_is_not_a_failure(enricher: Enricher) -> None:
    huge = copy.copy(enricher)
    huge.settings = EnrichSettings(max_text_chars=10**9)
    huge.nlp = copy.copy(enricher.nlp)
    huge.nlp.max_length = 3_000

    result = enriched(huge.enrich([pathological_article("deals", 10_000)])[0])

    assert any("MAX_TEXT_CHARS" in warning for warning in result.warnings)


def test_a_designation_glued_to_a_long_number_costs_no_backtracking(enricher: Enricher) -> None:
    # The airliner pattern "b?7[0-8]7(-?\d{1,3}...)*" backtracked exponentially under Python's
    # re on "737" and thirty digits glued to a designation (minutes); RE2 reads it once.
    body = "Poland ordered 737" + "1" * 40 + "/F-16 jets from the United States. " * 20
    article = pathological_article("deals", 100).model_copy(update={"body": body})

    start = time.perf_counter()
    enriched(enricher.enrich([article])[0])

    assert time.perf_counter() - start < 30
