"""Raw Kafka messages become articles, or dead letters that say what to fix."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given

from contracts import DeadLetter, EnrichedArticle, KafkaPosition, ReceivedArticle
from index import build_document, mappings
from ingest import InvalidMessage, parse_article
from ingest.validation import decode_message
from tests.unit.hostile import MESSAGE_VALUES, article_messages, misfits
from tests.unit.samples import article_data

POSITION = KafkaPosition(topic="wirewatch.articles", partition=2, offset=41)


def article_json(**changes: Any) -> bytes:
    return json.dumps(article_data(**{"language": "en", **changes})).encode()


def test_a_good_article_parses() -> None:
    article = parse_article(article_json())

    assert article.id == "wire-1"
    assert article.title == "Talks in Caracas"
    assert article.published_at == datetime(2019, 3, 25, 12, tzinfo=UTC)


def test_missing_id_and_url_is_refused_naming_both() -> None:
    with pytest.raises(InvalidMessage) as refused:
        parse_article(article_json(id=None, url=None))

    assert "'id'" in str(refused.value)
    assert "'url'" in str(refused.value)


@pytest.mark.parametrize(
    ("published_at", "problem"),
    [
        ("2019-03-25T12:00:00", "timezone"),
        ("next tuesday", "datetime"),
        (1553515200, "RFC 3339"),
        ("1553515200", "RFC 3339"),
    ],
    ids=["no-timezone", "garbage", "epoch-number", "epoch-string"],
)
def test_bad_timestamps_are_refused_naming_the_field(published_at: object, problem: str) -> None:
    with pytest.raises(InvalidMessage, match=f"published_at: .*{problem}"):
        parse_article(article_json(published_at=published_at))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "tombstone"),
        (b"this is not json", "not JSON"),
        (b"", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2, 3]", "must be a JSON object, got list"),
        (b'"just a string"', "must be a JSON object, got str"),
        (b"null", "must be a JSON object, got NoneType"),
    ],
    ids=["tombstone", "not-json", "empty", "not-utf8", "array", "string", "null"],
)
def test_values_that_are_not_articles_are_refused(value: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        parse_article(value)


def test_every_invalid_field_is_named() -> None:
    with pytest.raises(InvalidMessage) as refused:
        parse_article(article_json(published_at="soon", language="english", source=""))

    reason = str(refused.value)
    assert reason.startswith("3 invalid field(s)")
    for field in ("published_at", "language", "source"):
        assert f"{field}:" in reason


def test_reasons_stay_short() -> None:
    with pytest.raises(InvalidMessage) as refused:
        parse_article(article_json(authors=[""] * 500))

    assert len(str(refused.value)) <= 2000


def test_html_body_is_reduced_to_text() -> None:
    body = (
        "<html><head><style>p{margin:0}</style></head><body>"
        "<script>window.track()</script><p>First paragraph.</p><p>Second <b>one</b>.</p>"
        "</body></html>"
    )

    article = parse_article(article_json(body=body))

    assert article.body == "First paragraph.\n\nSecond one."


@pytest.mark.parametrize("body", ["<div><script>track()</script></div>", "<p> </p><br>"])
def test_body_of_only_markup_is_refused(body: str) -> None:
    with pytest.raises(InvalidMessage, match="body: "):
        parse_article(article_json(body=body))


def test_unknown_fields_are_ignored() -> None:
    article = parse_article(article_json(section="world", priority=3, extra={"a": 1}))

    assert article.id == "wire-1"


@pytest.mark.parametrize(("given", "expected"), [("EN_us", "en-us"), ("es", "es")])
def test_language_tags_are_normalised(given: str, expected: str) -> None:
    assert parse_article(article_json(language=given)).language == expected


@pytest.mark.parametrize("tag", ["english", "en us", "x"])
def test_bad_language_tags_are_refused(tag: str) -> None:
    with pytest.raises(InvalidMessage, match="language: "):
        parse_article(article_json(language=tag))


@pytest.mark.parametrize(
    "url", ["https://news.example.com:99999/story", "https://news.example.com:port/story"]
)
def test_an_accepted_url_always_identifies_the_article(url: str) -> None:
    """An article that passes validation must have a document id, or indexing fails later.

    A URL with an impossible port passes the URL check, but deriving the document id from it
    raises ValueError, outside validation: such a message should be dead-lettered here.
    """
    result = decode_message(POSITION, None, article_json(id=None, url=url), 0)

    if isinstance(result, ReceivedArticle):
        assert result.article.document_id
    else:
        assert "url" in result.reason


def test_decode_message_dead_letters_bad_input_with_its_position() -> None:
    letter = decode_message(POSITION, b"key-1", b"{not json", 1_553_515_200_000)

    assert isinstance(letter, DeadLetter)
    assert letter.stage == "validation"
    assert letter.position == POSITION
    assert letter.key == b"key-1"
    assert letter.value == b"{not json"
    assert "not JSON" in letter.reason


def test_decode_message_dead_letters_tombstones() -> None:
    letter = decode_message(POSITION, b"key-1", None, 0)

    assert isinstance(letter, DeadLetter)
    assert letter.value is None
    assert "tombstone" in letter.reason


def test_decode_message_receives_good_articles() -> None:
    value = article_json()

    received = decode_message(POSITION, b"wire-1", value, 1_553_515_200_123)

    assert isinstance(received, ReceivedArticle)
    assert received.article.id == "wire-1"
    assert received.position == POSITION
    assert received.key == b"wire-1"
    assert received.value == value
    assert received.published_to_kafka_at == datetime(2019, 3, 25, 12, 0, 0, 123000, tzinfo=UTC)


def test_json_nested_too_deeply_is_dead_lettered_not_raised() -> None:
    position = KafkaPosition(topic="t", partition=0, offset=9)
    letter = decode_message(position, None, b"[" * 100_000, 0)
    assert isinstance(letter, DeadLetter)
    assert "nested too deeply" in letter.reason


def test_an_overlong_url_is_refused_quickly() -> None:
    started = time.perf_counter()
    url = "https://a.example/" + "b" * 60_000 + " c"
    fields = {"title": "t", "body": "b", "published_at": "2026-01-01T00:00:00Z", "source": "s"}
    value = json.dumps({"url": url, **fields})
    letter = decode_message(
        KafkaPosition(topic="t", partition=0, offset=0), None, value.encode(), 0
    )
    assert isinstance(letter, DeadLetter)
    assert "url" in letter.reason
    assert time.perf_counter() - started < 1


def test_a_timestamp_no_calendar_holds_falls_back_to_now() -> None:
    value = json.dumps({"id": "x", "title": "t", "body": "b",
                        "published_at": "2026-01-01T00:00:00Z", "source": "s"})  # fmt: skip
    received = decode_message(KafkaPosition(topic="t", partition=0, offset=0), None,
                              value.encode(), 10**18)  # fmt: skip
    assert isinstance(received, ReceivedArticle)
    assert received.published_to_kafka_at.year == datetime.now(UTC).year


# --- the boundary never lets an exception through -----------------------------------------


def _check_total(value: bytes | None) -> None:
    decoded = decode_message(POSITION, b"key", value, 1_700_000_000_000)
    if isinstance(decoded, DeadLetter):
        assert decoded.reason.strip()
        assert decoded.stage == "validation"
        assert decoded.value == value
        decoded.reason.encode()
        return
    # What passes validation has an id and becomes a document the index takes.
    assert decoded.article.document_id
    enriched = EnrichedArticle(article=decoded.article, language="en")
    document = build_document(enriched, POSITION, datetime(2026, 1, 1, tzinfo=UTC))
    assert misfits(document.source_fields(), mappings("standard")) == []
    json.dumps(document.source_fields(), allow_nan=False).encode()


@given(MESSAGE_VALUES)
def test_fuzz_any_message_value_is_an_article_or_a_dead_letter(value: bytes | None) -> None:
    _check_total(value)


@given(article_messages())
def test_fuzz_article_shaped_json_with_hostile_fields(value: bytes) -> None:
    _check_total(value)


@pytest.mark.parametrize(
    "value",
    [
        b'{"id": ' + b"1" * 5000 + b"}",
        b'{"id": "x", "body": "b", "source": "s", "published_at": ' + b"9" * 4400 + b"}",
        b'{"id": "x", "body": "b", "source": "s", "published_at": "2026-01-01T00:00:00Z", '
        b'"extra": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=["huge-integer", "huge-integer-field", "deep-extra"],
)
def test_json_python_will_not_read_is_dead_lettered(value: bytes) -> None:
    letter = decode_message(POSITION, None, value, 0)
    assert isinstance(letter, DeadLetter)
    assert letter.reason


def test_an_unforeseen_exception_is_dead_lettered_with_its_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(value: bytes | None) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr("ingest.validation.parse_article", explode)
    letter = decode_message(POSITION, None, article_json(), 0)
    assert isinstance(letter, DeadLetter)
    assert "KeyError" in letter.reason
    assert "surprise" in letter.reason


def test_an_untitled_wire_snippet_is_received() -> None:
    value = json.dumps(article_data(title=None)).encode()
    received = decode_message(POSITION, None, value, None)
    assert isinstance(received, ReceivedArticle)
    assert received.article.title == ""


def test_json_that_only_the_standard_library_reads_is_read_as_it_reads_it() -> None:
    # orjson, the fast path, refuses a lone surrogate escape and a NaN; json reads both.
    value = json.dumps(article_data(body="before \ud800 after", extra=float("nan"))).encode()

    article = parse_article(value)

    assert article.body == "before \ufffd after"
