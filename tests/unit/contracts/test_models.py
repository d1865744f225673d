"""The article contract: what producers may send and what it becomes."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import Article, DeadLetter, Entity, KafkaPosition
from tests.unit.samples import article_data


def test_a_complete_article_is_accepted() -> None:
    article = Article.model_validate(article_data(language="en", authors=["A. Writer"]))

    assert article.id == "wire-1"
    assert article.title == "Talks in Caracas"
    assert article.published_at == datetime(2019, 3, 25, 12, tzinfo=UTC)
    assert article.language == "en"
    assert article.authors == ["A. Writer"]
    assert article.schema_version == 1


def test_language_and_authors_are_optional() -> None:
    article = Article.model_validate(article_data())

    assert article.language is None
    assert article.authors == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [("en", "en"), ("EN_us", "en-us"), (" pt-BR ", "pt-br"), ("zh-Hant-TW", "zh-hant-tw")],
)
def test_language_tags_are_normalised(given: str, expected: str) -> None:
    assert Article.model_validate(article_data(language=given)).language == expected


@pytest.mark.parametrize("tag", ["english", "e", "en us", "12", "en--us", ""])
def test_malformed_language_tags_are_refused(tag: str) -> None:
    with pytest.raises(ValidationError, match="language"):
        Article.model_validate(article_data(language=tag))


def test_an_article_needs_an_id_or_a_url() -> None:
    with pytest.raises(ValidationError, match="'id' or a 'url'"):
        Article.model_validate(article_data(id=None, url=None))


@pytest.mark.parametrize(
    "changes",
    [{"url": None}, {"id": None}],
    ids=["id-only", "url-only"],
)
def test_either_id_or_url_identifies_an_article(changes: dict[str, Any]) -> None:
    assert Article.model_validate(article_data(**changes)).document_id


@pytest.mark.parametrize(
    "published_at", ["2019-03-25T12:00:00", "yesterday", "2019-13-40T00:00:00Z", ""]
)
def test_timestamps_without_an_offset_or_unparsable_are_refused(published_at: str) -> None:
    with pytest.raises(ValidationError, match="published_at"):
        Article.model_validate(article_data(published_at=published_at))


def test_timestamps_with_an_offset_keep_it() -> None:
    article = Article.model_validate(article_data(published_at="2019-03-25T08:00:00-04:00"))

    assert article.published_at == datetime(2019, 3, 25, 12, tzinfo=UTC)


@pytest.mark.parametrize("url", ["ftp://example.com/a", "example.com/a", "https://exa mple.com/"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        Article.model_validate(article_data(url=url))


def test_unknown_fields_are_ignored() -> None:
    article = Article.model_validate(article_data(category="world", tags=["a", "b"]))

    assert "category" not in article.model_dump()


def test_html_bodies_are_reduced_to_text() -> None:
    body = "<p>First <b>paragraph</b>.</p><script>track()</script><p>Second.</p>"

    assert Article.model_validate(article_data(body=body)).body == "First paragraph.\n\nSecond."


@pytest.mark.parametrize("body", ["<div><script>x()</script></div>", "   \n\t ", "<br/><hr>"])
def test_bodies_without_text_are_refused(body: str) -> None:
    with pytest.raises(ValidationError, match="body"):
        Article.model_validate(article_data(body=body))


@pytest.mark.parametrize("missing", ["body", "published_at", "source"])
def test_required_fields_are_required(missing: str) -> None:
    data = article_data()
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        Article.model_validate(data)


def test_only_schema_version_1_is_accepted() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        Article.model_validate(article_data(schema_version=2))


def test_articles_are_immutable() -> None:
    article = Article.model_validate(article_data())
    with pytest.raises(ValidationError):
        article.title = "changed"  # type: ignore[misc]


def test_document_id_prefers_the_id() -> None:
    assert Article.model_validate(article_data()).document_id == "wire-1"


def test_document_id_falls_back_to_the_canonical_url() -> None:
    article = Article.model_validate(
        article_data(id=None, url="HTTPS://News.Example.com/world/wire-1/?utm_source=x")
    )

    assert article.document_id == "https://news.example.com/world/wire-1"


def test_entity_offsets_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        Entity(text="Caracas", label="GPE", field="body", start=-1, end=6)


def test_dead_letters_carry_the_tombstone_value() -> None:
    letter = DeadLetter(
        position=KafkaPosition(topic="t", partition=0, offset=1),
        value=None,
        stage="validation",
        reason="tombstone",
    )

    assert letter.value is None
    assert letter.key is None


@pytest.mark.parametrize("title", [None, "", "   ", "<p> </p>", "\x00\x07"])
def test_a_missing_or_empty_title_is_the_empty_string(title: str | None) -> None:
    data = article_data(title=title)
    data.setdefault("title", None)
    assert Article.model_validate(data).title == ""


def test_a_title_without_the_field_is_accepted() -> None:
    data = article_data()
    del data["title"]
    assert Article.model_validate(data).title == ""


def test_a_long_link_around_a_short_title_is_a_short_title() -> None:
    title = f'<a href="https://example.com/{"x" * 3000}">Short headline</a>'
    assert Article.model_validate(article_data(title=title)).title == "Short headline"


def test_lone_surrogates_and_control_characters_are_cleaned_not_refused() -> None:
    article = Article.model_validate(
        article_data(id="wire-\ud800", title="Tal\x00ks", body="Bo\udfffdy", authors=["A\x07"])
    )
    assert (article.id, article.title, article.body) == ("wire-\ufffd", "Talks", "Bo\ufffddy")
    assert article.authors == ["A"]


def test_an_instant_outside_the_calendar_in_utc_is_refused() -> None:
    with pytest.raises(ValidationError, match="years 1 to 9999"):
        Article.model_validate(article_data(published_at="0001-01-01T00:00:00+23:59"))


def test_overlong_language_tags_are_refused() -> None:
    with pytest.raises(ValidationError, match="language"):
        Article.model_validate(article_data(language="en" + "-abcdefgh" * 10))


def test_dead_letter_reasons_never_carry_lone_surrogates() -> None:
    letter = DeadLetter(
        position=KafkaPosition(topic="t", partition=0, offset=1),
        value=None,
        stage="validation",
        reason="bad \ud800 value",
    )
    assert letter.reason.encode() == "bad \ufffd value".encode()
