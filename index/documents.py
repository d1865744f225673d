"""The indexed document: what Kibana and alert rules query (field names are a contract)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.models import ArmsDeal, EnrichedArticle, Entity, KafkaPosition, TopicMatch


class ArticleDocument(BaseModel):
    """One article in the index, keyed by its deterministic id."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The document `_id`: the article's id, else its canonical URL.")
    url: str | None
    title: str
    body: str
    published_at: datetime
    source: str
    language: str
    authors: list[str]
    entities: list[Entity]
    persons: list[str]
    organizations: list[str]
    locations: list[str]
    weapons: list[str]
    countries: list[str]
    topics: list[str]
    topic_details: list[TopicMatch]
    deals: list[ArmsDeal]
    story_id: str = Field(
        description="Shared by near-identical copies of one story: the id of the first copy seen."
    )
    story_bands: list[str] = Field(description="MinHash LSH band keys that find the copies.")
    warnings: list[str] = Field(
        description="What enrichment or indexing left out or changed, and why."
    )
    ingested_at: datetime
    kafka: KafkaPosition | None = Field(description="Where it was read; none when offline.")

    def source_fields(self) -> dict[str, Any]:
        """The document's `_source`."""
        return self.model_dump(mode="json")


def build_document(
    enriched: EnrichedArticle,
    position: KafkaPosition | None,
    ingested_at: datetime,
    story_id: str | None = None,
) -> ArticleDocument:
    """The document to index for an enriched article read at `position` (None: offline).

    `story_id` defaults to the document's own id: the first copy of a story names it."""
    article = enriched.article
    return ArticleDocument(
        id=article.document_id,
        url=article.url,
        title=article.title,
        body=article.body,
        published_at=article.published_at,
        source=article.source,
        language=enriched.language,
        authors=article.authors,
        entities=enriched.entities,
        persons=enriched.persons,
        organizations=enriched.organizations,
        locations=enriched.locations,
        weapons=enriched.weapons,
        countries=enriched.countries,
        topics=enriched.topics,
        topic_details=enriched.topic_details,
        deals=enriched.deals,
        story_id=story_id or article.document_id,
        story_bands=enriched.story_bands,
        warnings=enriched.warnings,
        ingested_at=ingested_at,
        kafka=position,
    )
