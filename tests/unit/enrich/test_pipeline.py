"""Enrichment with the real spaCy pipeline: entity offsets, facets, language handling."""

import copy
import json
from pathlib import Path

import pytest

from contracts import Article
from enrich import Enricher, EnrichSettings, analysed_text

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed-article.json"


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(EnrichSettings())


@pytest.fixture(scope="module")
def seed() -> Article:
    return Article.model_validate(json.loads(SEED.read_text(encoding="utf-8")))


def article(id_: str, title: str, body: str, language: str | None = None) -> Article:
    return Article.model_validate(
        {
            "id": id_,
            "title": title,
            "body": body,
            "published_at": "2019-03-25T12:00:00Z",
            "source": "Example Wire",
            "language": language,
        }
    )


def test_the_seed_article_names_its_people(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert enriched.language == "en"
    assert "Vladimir Putin" in enriched.persons
    assert "Nicolas Maduro" in enriched.persons
    assert "VE" in enriched.countries


def test_the_seed_article_names_its_weapons(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert enriched.weapons == ["AK-103", "An-124", "Il-62", "Tu-160"]
    weapons = [(e.text, e.field) for e in enriched.entities if e.label == "WEAPON"]
    assert ("Tu-160", "body") in weapons


def test_the_seed_article_is_tagged_with_its_three_topics_and_their_evidence(
    enricher: Enricher, seed: Article
) -> None:
    # The acceptance check. The exercise and the contracts are reported facts of the
    # story, in later paragraphs: topics a story reports anywhere count, not only its lead.
    (enriched,) = enricher.enrich_all([seed])
    assert {"arms_deal", "military_exercise", "defense_cooperation"} <= set(enriched.topics)
    details = {match.topic: match for match in enriched.topic_details}
    for topic in ("arms_deal", "military_exercise", "defense_cooperation"):
        assert details[topic].evidence, topic
        assert all(evidence.sentence and evidence.matched for evidence in details[topic].evidence)


def test_the_arms_maker_and_the_broadcaster_are_organisations(
    enricher: Enricher, seed: Article
) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert {"Kalashnikov", "NTN24", "RIA Novosti"} <= set(enriched.organizations)
    assert "Kalashnikov" not in enriched.persons
    assert "Maduro" not in enriched.organizations


def test_the_seed_article_names_its_countries(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert {"RU", "VE", "US", "CN"} <= set(enriched.countries)
    assert "United States" in enriched.locations


def test_each_person_is_named_once(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert [name for name in enriched.persons if "Maduro" in name] == ["Nicolas Maduro"]
    assert [name for name in enriched.persons if "Guaido" in name] == ["Juan Guaido"]


def test_surname_mentions_merge_into_full_names(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    assert "Juan Guaido" in enriched.persons
    assert "Guaido" not in enriched.persons


def test_entity_offsets_point_into_their_field(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    fields = {entity.field for entity in enriched.entities}
    assert fields == {"title", "body"}
    for entity in enriched.entities:
        text = seed.title if entity.field == "title" else seed.body
        assert 0 <= entity.start < entity.end <= len(text)
        assert text[entity.start : entity.end] == entity.text, entity


def test_title_entities_are_found(enricher: Enricher, seed: Article) -> None:
    (enriched,) = enricher.enrich_all([seed])

    in_title = {(e.text, e.start, e.end) for e in enriched.entities if e.field == "title"}
    assert ("Venezuela", 30, 39) in in_title


def test_non_english_articles_get_no_entities(enricher: Enricher) -> None:
    spanish = article(
        "es-1",
        "Militares rusos en Venezuela",
        "Vladimir Putin y Nicolas Maduro hablaron el lunes en Caracas sobre la cooperación.",
        language="es",
    )

    (enriched,) = enricher.enrich_all([spanish])

    assert enriched.language == "es"
    assert enriched.entities == []
    assert enriched.persons == []
    assert enriched.countries == []
    assert enriched.topics == []
    assert enriched.weapons == []


def test_a_regional_english_tag_is_english(enricher: Enricher) -> None:
    british = article(
        "gb-1",
        "Putin meets Maduro",
        "Vladimir Putin met Nicolas Maduro in Moscow on Monday.",
        language="en-GB",
    )

    (enriched,) = enricher.enrich_all([british])

    assert enriched.language == "en-gb"
    assert "Vladimir Putin" in enriched.persons


def test_an_article_without_a_language_gets_one_guessed(enricher: Enricher) -> None:
    german = article(
        "de-1",
        "Russische Militärs in Venezuela",
        "Die Regierung in Caracas hat am Montag eine russische Militärdelegation empfangen, "
        "um über die Zusammenarbeit in der Rüstungsindustrie zu sprechen.",
    )

    (enriched,) = enricher.enrich_all([german])

    assert enriched.language == "de"
    assert enriched.entities == []
    assert enriched.topics == []


def test_a_mixed_batch_comes_back_in_input_order(enricher: Enricher, seed: Article) -> None:
    batch = [
        article("es-1", "Noticias", "Nicolas Maduro habló en Caracas.", language="es"),
        seed,
        article("de-1", "Nachrichten", "Wladimir Putin sprach in Moskau.", language="de"),
        article("en-1", "Putin speaks", "Vladimir Putin spoke in Moscow on Monday.", "en"),
    ]

    enriched = enricher.enrich_all(batch)

    assert [item.article for item in enriched] == batch
    assert [item.language for item in enriched] == ["es", "en", "de", "en"]
    assert enriched[0].entities == []
    assert enriched[2].entities == []
    assert "Nicolas Maduro" in enriched[1].persons
    assert "Vladimir Putin" in enriched[3].persons


def test_an_empty_batch_gives_nothing(enricher: Enricher) -> None:
    assert enricher.enrich_all([]) == []


def test_long_bodies_are_cut_and_offsets_stay_in_range(enricher: Enricher, seed: Article) -> None:
    cut = copy.copy(enricher)  # shares the loaded pipeline
    cut.settings = EnrichSettings(max_text_chars=300)

    (enriched,) = cut.enrich_all([seed])

    assert analysed_text(seed, 300) == (seed.title + "\n\n" + seed.body)[:300]
    for entity in enriched.entities:
        text = seed.title if entity.field == "title" else seed.body
        assert text[entity.start : entity.end] == entity.text
        if entity.field == "body":
            assert entity.end <= 300 - len(seed.title) - 2
