"""The index template must map exactly what the service writes."""

from typing import Any

import pytest

from contracts import Entity, KafkaPosition
from index import ArticleDocument, IndexSettings, first_index_name, mappings
from index.template import index_template


@pytest.fixture
def properties() -> dict[str, Any]:
    mapped: dict[str, Any] = mappings("standard")["properties"]
    return mapped


def test_every_document_field_is_mapped(properties: dict[str, Any]) -> None:
    assert set(properties) == set(ArticleDocument.model_fields)


def test_entity_sub_fields_are_mapped(properties: dict[str, Any]) -> None:
    assert set(properties["entities"]["properties"]) == set(Entity.model_fields)


def test_kafka_sub_fields_are_mapped(properties: dict[str, Any]) -> None:
    assert set(properties["kafka"]["properties"]) == set(KafkaPosition.model_fields)
    assert properties["kafka"]["properties"]["offset"]["type"] == "long"


def test_unknown_fields_are_refused() -> None:
    assert mappings("standard")["dynamic"] == "strict"


def test_dates_are_dates(properties: dict[str, Any]) -> None:
    assert properties["published_at"]["type"] == "date"
    assert properties["ingested_at"]["type"] == "date"


@pytest.mark.parametrize(
    "field", ["persons", "organizations", "locations", "weapons", "countries", "topics"]
)
def test_facets_are_keywords(properties: dict[str, Any], field: str) -> None:
    assert properties[field]["type"] == "keyword"


@pytest.mark.parametrize("analyzer", ["standard", "english"])
def test_the_analyzer_setting_reaches_title_and_body(analyzer: str) -> None:
    mapped = mappings(analyzer)["properties"]

    assert mapped["title"] == {
        "type": "text",
        "analyzer": analyzer,
        "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}},
    }
    assert mapped["body"] == {"type": "text", "analyzer": analyzer}


def test_the_template_carries_settings() -> None:
    settings = IndexSettings(
        alias="news", text_analyzer="english", number_of_shards=3, number_of_replicas=2,
        refresh_interval_ms=250,
    )  # fmt: skip

    template = index_template(settings)

    assert template["template"]["settings"]["number_of_shards"] == 3
    assert template["template"]["settings"]["number_of_replicas"] == 2
    assert template["template"]["settings"]["refresh_interval"] == "250ms"
    assert template["template"]["mappings"] == mappings("english")


@pytest.mark.parametrize("alias", ["wirewatch-articles", "news"])
def test_the_template_covers_the_first_backing_index(alias: str) -> None:
    (pattern,) = index_template(IndexSettings(alias=alias))["index_patterns"]
    first = first_index_name(alias)

    assert first == f"{alias}-000001"
    assert pattern.endswith("*")
    assert first.startswith(pattern[:-1])
    assert not alias.startswith(pattern[:-1])
