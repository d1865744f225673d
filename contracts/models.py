"""The models the stages pass each other: plain, frozen pydantic models."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from contracts.identity import document_id
from contracts.text import plain_text_of_scrubbed, scrub

SCHEMA_VERSION: Literal[1] = 1

_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_URL_PATTERN = r"^https?://[^\s/?#]\S*$"
# RFC 3339: a date, 'T' or a space, a time, and an offset; pydantic alone would also take
# Unix timestamps, which producers send by mistake in seconds or milliseconds alike.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    if not isinstance(value, str) or not _RFC3339.match(value.strip()):
        raise ValueError(
            "must be an RFC 3339 datetime with a timezone offset, e.g. 2026-11-27T10:00:00Z"
        )
    return value


def _in_utc_range(value: datetime) -> datetime:
    # Python takes offsets up to ±23:59, which can push an instant out of the calendar.
    try:
        value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from error
    return value


def _plain_text(value: str) -> str:
    text = plain_text_of_scrubbed(value)
    if not text:
        raise ValueError("is empty once markup and whitespace are removed")
    return text


def _none_as_empty(value: object) -> object:
    return "" if value is None else value


_MAX_TITLE_CHARS = 2000


def _optional_text(value: str) -> str:
    # The limit is on the text: a short title wrapped in a long link is a short title.
    text = plain_text_of_scrubbed(value)
    if len(text) > _MAX_TITLE_CHARS:
        raise ValueError(f"is longer than {_MAX_TITLE_CHARS} characters once markup is removed")
    return text


_STRING_FIELDS = ("id", "url", "title", "body", "source", "language")


_MAX_URL_CHARS = 8192


def _http_url(value: str) -> str:
    # Length first: the pattern below is linear, but nothing needs to scan megabytes.
    if len(value) > _MAX_URL_CHARS:
        raise ValueError(f"is longer than {_MAX_URL_CHARS} characters")
    if not re.match(_URL_PATTERN, value, flags=re.IGNORECASE):
        raise ValueError("must be an absolute http(s) URL without spaces")
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number in 0-65535)
    except ValueError as error:
        raise ValueError(f"has an invalid port: {error}") from error
    if not parts.hostname:
        raise ValueError("has no host")
    return value


_MAX_LANGUAGE_CHARS = 64


def _language_tag(value: str) -> str:
    tag = value.strip().lower().replace("_", "-")
    if len(tag) > _MAX_LANGUAGE_CHARS or not _LANGUAGE_TAG.match(tag):
        raise ValueError("must be a BCP 47 language tag such as 'en' or 'pt-br'")
    return tag


# For Article's fields, which its `_scrubbed` validator has scrubbed before these run.
PlainText = Annotated[str, AfterValidator(_plain_text)]
# Absent, null, or nothing once markup and whitespace are removed: the empty string.
OptionalText = Annotated[
    str,
    BeforeValidator(_none_as_empty),
    AfterValidator(_optional_text),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]}),
]


class Article(BaseModel):
    """An article as producers publish it on the articles topic (the message contract)."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        str_strip_whitespace=True,
        json_schema_extra={"anyOf": [{"required": ["id"]}, {"required": ["url"]}]},
    )

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this contract; 1 today."
    )
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="The producer's stable id of the article. Either id or url is required.",
    )
    url: Annotated[str, AfterValidator(_http_url)] | None = Field(
        default=None,
        description="The article's address. Either id or url.",
        json_schema_extra={"pattern": _URL_PATTERN, "maxLength": _MAX_URL_CHARS},
    )
    title: OptionalText = Field(
        default="",
        description="Optional (wire snippets and posts have none): absent, null or empty, the "
        "article's title is empty, and its indexed document takes the body's first sentence "
        "as title, with a warning saying so. HTML and feed markup are reduced to text, of at "
        f"most {_MAX_TITLE_CHARS} characters.",
    )
    body: PlainText = Field(
        min_length=1,
        description="Plain text; HTML and feed markup (RSS or Atom, CDATA sections, character "
        "references, escaped HTML) are accepted and reduced to text.",
    )
    published_at: Annotated[
        AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc_range)
    ] = Field(
        description="RFC 3339 timestamp with an offset.",
        json_schema_extra={"format": "date-time"},
    )
    source: str = Field(min_length=1, max_length=500, description="The outlet or feed.")
    language: Annotated[str, AfterValidator(_language_tag)] | None = Field(
        default=None,
        description="BCP 47 tag; guessed when absent.",
        json_schema_extra={
            "pattern": "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
            "maxLength": _MAX_LANGUAGE_CHARS,
        },
    )
    authors: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _scrubbed(cls, data: Any) -> Any:
        # Control characters and lone surrogates (valid JSON escapes) would fail every later
        # encoder, Elasticsearch's and the logs' included: they are dropped or replaced here.
        if not isinstance(data, dict):
            return data
        cleaned = dict(data)
        for name in _STRING_FIELDS:
            if isinstance(cleaned.get(name), str):
                cleaned[name] = scrub(cleaned[name])
        authors = cleaned.get("authors")
        if isinstance(authors, list):
            cleaned["authors"] = [scrub(a) if isinstance(a, str) else a for a in authors]
        return cleaned

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if not self.id and not self.url:
            raise ValueError("an article needs an 'id' or a 'url' (or both)")
        return self

    @property
    def document_id(self) -> str:
        """The deterministic Elasticsearch `_id`: `id`, else the canonical URL."""
        return document_id(self.id, self.url)


class KafkaPosition(BaseModel):
    """Where a message sits in Kafka."""

    model_config = ConfigDict(frozen=True)

    topic: str
    partition: int
    offset: int


class ReceivedArticle(BaseModel):
    """A valid article together with the message it came in."""

    model_config = ConfigDict(frozen=True)

    article: Article
    position: KafkaPosition
    key: bytes | None = Field(default=None, repr=False)
    value: bytes = Field(repr=False)
    headers: tuple[tuple[str, bytes], ...] = Field(
        default=(), repr=False, description="The message's headers, kept for its dead letter."
    )
    published_to_kafka_at: datetime


class DeadLetter(BaseModel):
    """A message that cannot be processed, with the reason, bound for the dead-letter topic."""

    model_config = ConfigDict(frozen=True)

    position: KafkaPosition
    key: bytes | None = Field(default=None, repr=False)
    value: bytes | None = Field(repr=False)
    headers: tuple[tuple[str, bytes], ...] = Field(
        default=(),
        repr=False,
        description="The original message's headers: a replay's provenance stays with it.",
    )
    stage: Literal["validation", "enrichment", "indexing"]
    # Headers are UTF-8: a reason quoting the input must not carry its lone surrogates.
    reason: Annotated[str, AfterValidator(scrub)]


class Entity(BaseModel):
    """A named entity found in an article's title or body."""

    model_config = ConfigDict(frozen=True)

    text: str
    label: str = Field(description="PERSON, ORG, GPE, LOC, NORP, FAC, WEAPON, ...")
    field: Literal["title", "body"] = Field(description="The field the offsets point into.")
    start: int = Field(ge=0, description="Character offset of the first character in `field`.")
    end: int = Field(ge=0, description="Character offset just past the last character.")


class TopicEvidence(BaseModel):
    """Why a topic was tagged: the sentence and the words of it that matched one cue."""

    model_config = ConfigDict(frozen=True)

    cue: str = Field(description="The taxonomy cue that matched (its name in the topic file).")
    sentence: str
    matched: list[str] = Field(description="The words of the sentence the cue matched.")


TopicSource = Literal["rules", "classifier", "rules and classifier"]


class TopicMatch(BaseModel):
    """A topic with evidence for it in an article: the rule cues that matched, the classifier's
    probability, and which of them tagged the article with it (none: evidence too weak)."""

    model_config = ConfigDict(frozen=True)

    topic: str
    confidence: float = Field(
        ge=0, le=1, description="The rule cues' confidence; 0 where no cue matched."
    )
    evidence: list[TopicEvidence] = Field(default_factory=list)
    probability: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The topic classifier's probability; none without a classifier.",
    )
    decided_by: TopicSource | None = Field(
        default=None,
        description="What tagged the article with the topic; none: the topic is not tagged.",
    )


class Money(BaseModel):
    """An amount stated in the text, with its ISO 4217 currency."""

    model_config = ConfigDict(frozen=True)

    amount: float = Field(ge=0)
    currency: str = Field(description="ISO 4217 code, e.g. USD.")


class ArmsDeal(BaseModel):
    """An arms transfer stated in the text, after the SIPRI Arms Transfers record.

    Each part is set only where the text states it."""

    model_config = ConfigDict(frozen=True)

    supplier: str | None = Field(default=None, description="Canonical name of the supplier.")
    recipient: str | None = Field(default=None, description="Canonical name of the recipient.")
    weapon: str | None = Field(default=None, description="Canonical weapon designation.")
    quantity: int | None = Field(default=None, ge=0)
    value: Money | None = None
    stage: Literal["proposed", "approved", "signed", "delivered"] | None = None
    sentence: str = Field(description="The sentence the deal was read from.")


class EnrichedArticle(BaseModel):
    """An article with what enrichment found in it."""

    model_config = ConfigDict(frozen=True)

    article: Article
    language: str
    entities: list[Entity] = Field(default_factory=list)
    persons: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    weapons: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes.")
    topics: list[str] = Field(
        default_factory=list, description="Topics whose confidence reaches the threshold."
    )
    topic_details: list[TopicMatch] = Field(default_factory=list)
    deals: list[ArmsDeal] = Field(default_factory=list)
    story_bands: list[str] = Field(
        default_factory=list,
        description="MinHash LSH band keys of the text: copies of one story share some.",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What enrichment or indexing left out or changed, and why (a time budget "
        "ran out, a value did not fit its field): the document is complete except for these.",
    )
