"""The indexed document: field names are what Kibana and alert rules query."""

import json
from datetime import UTC, datetime, timedelta, timezone

from contracts.models import Article, EnrichedArticle, Entity, KafkaPosition
from index.documents import ArticleDocument, build_document
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
