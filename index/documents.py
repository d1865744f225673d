"""The indexed document: what Kibana and alert rules query (field names are a contract)."""

import functools
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field

from contracts import ArmsDeal, EnrichedArticle, Entity, KafkaPosition, TopicMatch, headline
from index.client import json_bytes
from index.template import mappings

ZERO = timedelta(0)


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

    # Dumped once: alert matching and the bulk body read the same `_source` (a dump of a
    # real-length article costs about as much as its bulk line, benchmarks/per_article_cost.py).
    # A cached property, not a private attribute: pydantic leaves it out of equality.
    @functools.cached_property
    def _source(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def source_fields(self) -> dict[str, Any]:
        """The document's `_source`; one dict per document, shared by every caller: read it,
        never change it."""
        return self._source

    def source_json(self) -> bytes:
        """The `_source` as JSON, its line in a bulk body; serialised once, as the client
        would (orjson, the standard library where orjson refuses)."""
        return self._orjson if self._orjson is not None else json_bytes(self._source)

    # Serialised once: the check that the document fits (orjson refuses a lone surrogate) and
    # the bulk body share it.
    @functools.cached_property
    def _orjson(self) -> bytes | None:
        try:
            return orjson.dumps(self._source)
        except orjson.JSONEncodeError:
            return None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with `update` applied; its `_source` is dumped afresh."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_source", None)
        copied.__dict__.pop("_orjson", None)
        return copied


def build_document(
    enriched: EnrichedArticle,
    position: KafkaPosition | None,
    ingested_at: datetime,
    story_id: str | None = None,
) -> ArticleDocument:
    """The document to index for an enriched article read at `position` (None: offline).

    `story_id` defaults to the document's own id: the first copy of a story names it.
    The document always fits the index mapping (`index.template.mappings`): a value that
    cannot (an integer beyond its field's range, a number that is not finite, a date
    Elasticsearch cannot parse, a keyword beyond Lucene's term limit) is left out or cut, and
    `warnings` says which and why. An untitled article takes its body's first sentence as
    title, and says so there too."""
    article = enriched.article
    warnings = list(enriched.warnings)
    title = article.title
    if not title:
        title = headline(article.body)
        warnings.append("title: the article has none; its body's first sentence stands in")
    document = ArticleDocument(
        id=article.document_id,
        url=article.url,
        title=title,
        body=article.body,
        published_at=_fit_date("published_at", article.published_at, warnings),
        source=article.source,
        language=enriched.language,
        authors=article.authors,
        entities=_fit_entities(enriched.entities, warnings),
        persons=enriched.persons,
        organizations=enriched.organizations,
        locations=enriched.locations,
        weapons=enriched.weapons,
        countries=enriched.countries,
        topics=enriched.topics,
        topic_details=_fit_topic_details(enriched.topic_details, warnings),
        deals=[_fit_deal(deal, warnings) for deal in enriched.deals],
        story_id=story_id or article.document_id,
        story_bands=enriched.story_bands,
        warnings=warnings,
        ingested_at=_fit_date("ingested_at", ingested_at, warnings),
        kafka=_fit_position(position, warnings),
    )
    return _fit_strings(document)


# Elasticsearch's `integer` and `long`, and the largest finite `float`.
INTEGER_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
FLOAT32_MAX = 3.4028234663852886e38
# Lucene refuses a term longer than this many UTF-8 bytes, and with it the whole document.
MAX_TERM_BYTES = 32_766
# Java's offsets end at ±18:00; Python's reach ±23:59 (and take seconds).
_MAX_OFFSET = timedelta(hours=18)
_MAX_WARNING_CHARS = 300


def _warn(warnings: list[str], text: str) -> None:
    # Warnings are a keyword (ignore_above 1024): short enough to be found by a search.
    if len(text) > _MAX_WARNING_CHARS:
        text = text[: _MAX_WARNING_CHARS - 1] + "…"
    warnings.append(text)


def _in_range(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _fit_date(name: str, value: datetime, warnings: list[str]) -> datetime:
    offset = value.utcoffset()
    if offset is None or (abs(offset) <= _MAX_OFFSET and offset % timedelta(minutes=1) == ZERO):
        return value
    # The same instant in UTC: the article's contract keeps it within the calendar.
    _warn(warnings, f"{name}: offset {offset} is one Elasticsearch cannot read; stored in UTC")
    return value.astimezone(UTC)


def _fit_entities(entities: list[Entity], warnings: list[str]) -> list[Entity]:
    kept = [
        entity
        for entity in entities
        if _in_range(entity.start, INTEGER_RANGE) and _in_range(entity.end, INTEGER_RANGE)
    ]
    if len(kept) < len(entities):
        _warn(
            warnings,
            f"entities: {len(entities) - len(kept)} left out, their offsets beyond the "
            "integer range of the index",
        )
    return kept


def _fit_topic_details(details: list[TopicMatch], warnings: list[str]) -> list[TopicMatch]:
    kept = []
    for detail in details:
        if math.isfinite(detail.confidence) and abs(detail.confidence) <= FLOAT32_MAX:
            kept.append(detail)
        else:
            _warn(warnings, f"topic_details: {detail.topic!r} left out, its confidence "
                            f"{detail.confidence} is no finite float")  # fmt: skip
    return kept


def _fit_deal(deal: ArmsDeal, warnings: list[str]) -> ArmsDeal:
    changes: dict[str, Any] = {}
    if deal.quantity is not None and not _in_range(deal.quantity, INTEGER_RANGE):
        _warn(warnings, f"deals.quantity: {deal.quantity} read from the text is beyond the "
                        "integer range of the index; left out")  # fmt: skip
        changes["quantity"] = None
    if deal.value is not None and not math.isfinite(deal.value.amount):
        _warn(warnings, f"deals.value: amount {deal.value.amount} read from the text is no "
                        "finite number; left out")  # fmt: skip
        changes["value"] = None
    return deal.model_copy(update=changes) if changes else deal


def _fit_position(position: KafkaPosition | None, warnings: list[str]) -> KafkaPosition | None:
    if position is None or (
        _in_range(position.partition, INTEGER_RANGE) and _in_range(position.offset, LONG_RANGE)
    ):
        return position
    _warn(warnings, f"kafka: partition {position.partition}, offset {position.offset} is "
                    "beyond the range of the index; left out")  # fmt: skip
    return None


def _keyword_limits() -> dict[str, list[int | None]]:
    """Per dotted path of the mapping, the ignore_above of each keyword indexing its values
    (the field itself, or a multi-field such as `title.keyword`)."""
    limits: dict[str, list[int | None]] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
                continue
            for field in [spec, *spec.get("fields", {}).values()]:
                if field.get("type") == "keyword":
                    limits.setdefault(prefix + name, []).append(field.get("ignore_above"))

    walk(mappings("standard")["properties"], "")
    return limits


_KEYWORDS = _keyword_limits()
_SURROGATE = re.compile("[\ud800-\udfff]")
# The keyword fields that index a value long enough to pass the term limit: no ignore_above,
# or one above the characters that can make MAX_TERM_BYTES.
_UNCAPPED_KEYWORDS = tuple(
    tuple(path.split("."))
    for path, limits in _KEYWORDS.items()
    if any(limit is None or limit > MAX_TERM_BYTES // 4 for limit in limits)
)


def _values_at(source: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """The values at a dotted path of a document's `_source`, through its lists (of values or
    of objects: the document's fields nest no list directly in another)."""
    nodes: list[Any] = [source]
    for step in path:
        found: list[Any] = []
        for node in nodes:
            value = node.get(step) if type(node) is dict else None
            if type(value) is list:
                found.extend(value)
            elif value is not None:
                found.append(value)
        nodes = found
    return nodes


def _fits_as_it_is(document: ArticleDocument) -> bool:
    """Whether no string of the document needs `_fit_strings`: a sufficient test in a fraction
    of the walk's time (a real-length article: the walk took two thirds of build_document)."""
    # orjson refuses a lone surrogate, anywhere in the document, at C speed.
    if document._orjson is None:
        return False
    longest = MAX_TERM_BYTES // 4
    source = document.source_fields()
    return not any(
        type(value) is str and len(value) > longest
        for path in _UNCAPPED_KEYWORDS
        for value in _values_at(source, path)
    )


def _fit_strings(document: ArticleDocument) -> ArticleDocument:
    """The document with every keyword within Lucene's term limit (a value over its field's
    ignore_above is not indexed, so it fits as it is) and no lone surrogate in any string."""
    if _fits_as_it_is(document):
        return document
    warnings: list[str] = []

    def fit(value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [fit(item, path) for item in value]
        if isinstance(value, dict):
            return {key: fit(item, f"{path}{key}.") for key, item in value.items()}
        if not isinstance(value, str) or (value.isascii() and len(value) <= MAX_TERM_BYTES):
            return value
        field = path[:-1]
        if _SURROGATE.search(value):
            _warn(warnings, f"{field}: lone surrogates, which no UTF-8 encoder takes, "
                            "replaced by U+FFFD")  # fmt: skip
            value = _SURROGATE.sub("\ufffd", value)
        return _fit_term(field, value, warnings)

    fitted = fit(document.source_fields(), "")
    if not warnings:
        return document
    fitted["warnings"] = [*fitted["warnings"], *warnings]
    return ArticleDocument.model_validate(fitted)


def _fit_term(field: str, value: str, warnings: list[str]) -> str:
    limits = _KEYWORDS.get(field, [])
    indexed = any(limit is None or len(value) <= limit for limit in limits)
    if not indexed or len(value) <= MAX_TERM_BYTES // 4:
        return value
    encoded = value.encode()
    if len(encoded) <= MAX_TERM_BYTES:
        return value
    _warn(warnings, f"{field}: a value of {len(encoded)} UTF-8 bytes is beyond Lucene's "
                    f"term limit of {MAX_TERM_BYTES}; cut to it")  # fmt: skip
    return encoded[:MAX_TERM_BYTES].decode(errors="ignore")
