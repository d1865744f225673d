"""The indexed document: field names are what Kibana and alert rules query."""

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given

from contracts import ArmsDeal, Article, EnrichedArticle, Entity, KafkaPosition, Money
from index import ArticleDocument, build_document, mappings
from tests.unit.hostile import DATES, POSITIONS, extreme_enriched, misfits
from tests.unit.samples import article_data

POSITION = KafkaPosition(topic="wirewatch.articles", partition=1, offset=7)
INGESTED_AT = datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)


def enriched_article(**article_changes: object) -> EnrichedArticle:
    data = article_data(
        **{
            "title": "Putin backs Maduro",
            "body": "Vladimir Putin backs Nicolas Maduro in Caracas.",
            "published_at": "2019-03-25T08:00:00-04:00",
            "language": "en",
            "authors": ["A. Writer", "B. Writer"],
            **article_changes,
        }
    )
    article = Article.model_validate(data)
    return EnrichedArticle(
        article=article,
        language="en",
        entities=[Entity(text="Vladimir Putin", label="PERSON", field="body", start=0, end=14)],
        persons=["Vladimir Putin", "Nicolas Maduro"],
        organizations=["Kremlin"],
        locations=["Caracas"],
        weapons=["AK-103"],
        countries=["VE"],
        topics=["defense"],
    )


def test_the_document_copies_article_and_enrichment() -> None:
    enriched = enriched_article()
    article = enriched.article

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.id == article.document_id == "wire-1"
    assert document.url == article.url
    assert document.title == article.title
    assert document.body == article.body
    assert document.published_at == article.published_at
    assert document.source == "Example Wire"
    assert document.authors == ["A. Writer", "B. Writer"]
    assert document.language == "en"
    assert document.entities == enriched.entities
    assert document.persons == ["Vladimir Putin", "Nicolas Maduro"]
    assert document.organizations == ["Kremlin"]
    assert document.locations == ["Caracas"]
    assert document.weapons == ["AK-103"]
    assert document.countries == ["VE"]
    assert document.topics == ["defense"]
    assert document.ingested_at == INGESTED_AT
    assert document.kafka == POSITION


def test_the_language_is_the_enriched_one() -> None:
    enriched = enriched_article(language=None).model_copy(update={"language": "und"})

    assert build_document(enriched, POSITION, INGESTED_AT).language == "und"


def test_without_an_id_the_document_id_is_the_canonical_url() -> None:
    enriched = enriched_article(id=None, url="HTTPS://News.Example.com/a/?utm_source=x")

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.id == "https://news.example.com/a"
    assert document.url == "HTTPS://News.Example.com/a/?utm_source=x"


def test_source_fields_are_json_with_iso_dates() -> None:
    document = build_document(enriched_article(), POSITION, INGESTED_AT)

    source = document.source_fields()

    assert json.loads(json.dumps(source)) == source
    published = datetime.fromisoformat(source["published_at"])
    assert published == datetime(2019, 3, 25, 12, tzinfo=UTC)
    assert published.utcoffset() == timedelta(hours=-4)
    assert datetime.fromisoformat(source["ingested_at"]) == INGESTED_AT
    assert source["kafka"] == {"topic": "wirewatch.articles", "partition": 1, "offset": 7}
    assert source["entities"] == [
        {"text": "Vladimir Putin", "label": "PERSON", "field": "body", "start": 0, "end": 14}
    ]


def test_source_fields_hold_every_document_field() -> None:
    document = build_document(enriched_article(), POSITION, INGESTED_AT)

    assert set(document.source_fields()) == set(ArticleDocument.model_fields)


def test_source_fields_round_trip() -> None:
    document = build_document(
        enriched_article(), POSITION, datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=2)))
    )

    assert ArticleDocument.model_validate(document.source_fields()) == document


# --- every document fits the mapping ----------------------------------------------------------


@given(extreme_enriched(), POSITIONS, DATES)
def test_fuzz_every_document_fits_the_mapping(
    enriched: EnrichedArticle, position: KafkaPosition | None, ingested_at: datetime
) -> None:
    document = build_document(enriched, position, ingested_at)

    source = document.source_fields()
    assert misfits(source, mappings("standard")) == []
    json.dumps(source, allow_nan=False).encode()
    # What was changed is said, and no warning of the enrichment is lost.
    assert len(document.warnings) >= len(enriched.warnings)
    if any(d.quantity is not None and d.quantity >= 2**31 for d in enriched.deals):
        assert any(w.startswith("deals.quantity") for w in document.warnings)


def test_a_deal_quantity_beyond_the_integer_range_is_left_out_and_said() -> None:
    deal = ArmsDeal(weapon="AK-103", quantity=3_000_000_000, sentence="s")
    enriched = enriched_article().model_copy(update={"deals": [deal]})

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.deals[0].quantity is None
    assert document.deals[0].weapon == "AK-103"
    assert any("3000000000" in w and w.startswith("deals.quantity") for w in document.warnings)


def test_an_infinite_amount_is_left_out_and_said() -> None:
    deal = ArmsDeal(value=Money(amount=float("inf"), currency="USD"), sentence="s")
    enriched = enriched_article().model_copy(update={"deals": [deal]})

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.deals[0].value is None
    assert any(w.startswith("deals.value") for w in document.warnings)


def test_a_keyword_over_the_term_limit_in_bytes_is_cut_at_a_character() -> None:
    enriched = enriched_article().model_copy(update={"language": "𝕏" * 9000})

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert len(document.language.encode()) <= 32_766
    assert document.language == "𝕏" * (32_766 // 4)
    assert any(w.startswith("language:") for w in document.warnings)


def test_an_offset_elasticsearch_cannot_read_is_stored_in_utc() -> None:
    enriched = enriched_article(published_at="2026-01-01T00:00:00+20:00")

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.published_at == datetime(2025, 12, 31, 4, tzinfo=UTC)
    assert document.published_at.utcoffset() == timedelta(0)
    assert any(w.startswith("published_at") for w in document.warnings)


def test_an_untitled_article_takes_its_first_sentence_and_says_so() -> None:
    enriched = enriched_article(title=None, body="Tanks reached Caracas. More follows.")

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.title == "Tanks reached Caracas."
    assert any(w.startswith("title:") for w in document.warnings)


def test_a_document_that_fits_carries_no_warnings() -> None:
    assert build_document(enriched_article(), POSITION, INGESTED_AT).warnings == []


def test_the_source_is_dumped_once_and_a_copy_dumps_its_own() -> None:
    document = build_document(enriched_article(), POSITION, INGESTED_AT)

    first = document.source_fields()
    assert document.source_fields() is first
    assert first == document.model_dump(mode="json")
    renamed = document.model_copy(update={"id": "another"})
    assert renamed.source_fields()["id"] == "another"
    assert document.source_fields()["id"] != "another"


def test_the_bulk_line_is_the_source_serialised_once_and_a_copy_serialises_its_own() -> None:
    document = build_document(enriched_article(), POSITION, INGESTED_AT)

    line = document.source_json()
    assert document.source_json() is line
    assert json.loads(line) == document.source_fields()
    renamed = document.model_copy(update={"id": "another"})
    assert json.loads(renamed.source_json())["id"] == "another"


def test_a_keyword_over_the_term_limit_within_a_list_of_objects_is_cut() -> None:
    label = "é" * 20_000
    enriched = enriched_article().model_copy(
        update={"entities": [Entity(text="Putin", label=label, field="body", start=0, end=5)]}
    )

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert len(document.entities[0].label.encode()) <= 32_766
    assert any(w.startswith("entities.label:") for w in document.warnings)


def test_a_lone_surrogate_deep_in_the_document_is_replaced() -> None:
    enriched = enriched_article().model_copy(update={"story_bands": ["band-1", "x\ud800y"]})

    document = build_document(enriched, POSITION, INGESTED_AT)

    assert document.story_bands == ["band-1", "x\ufffdy"]
    assert any("lone surrogates" in w for w in document.warnings)
