"""Documents Elasticsearch refuses become dead letters with the original message."""

from datetime import UTC, datetime

from contracts import Article, KafkaPosition, ReceivedArticle
from index import Rejection
from wirewatch.batch import rejected_letters


def received(offset: int, key: bytes | None) -> ReceivedArticle:
    value = (
        b'{"id": "wire-%d", "title": "T", "body": "B", '
        b'"published_at": "2024-01-01T00:00:00Z", "source": "S"}' % offset
    )
    return ReceivedArticle(
        article=Article.model_validate_json(value),
        position=KafkaPosition(topic="wirewatch.articles", partition=offset % 3, offset=offset),
        key=key,
        value=value,
        published_to_kafka_at=datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
    )


def test_each_rejection_becomes_an_indexing_dead_letter() -> None:
    articles = [received(10, b"wire-10"), received(11, None), received(12, b"wire-12")]
    rejections = [
        Rejection(
            position=2,
            document_id="wire-12",
            status=400,
            reason="mapper_parsing_exception: failed to parse field [title]",
        ),
        Rejection(position=0, document_id="wire-10", status=409, reason="version conflict"),
    ]

    letters = rejected_letters(articles, rejections)

    assert [letter.position for letter in letters] == [articles[2].position, articles[0].position]
    assert [letter.key for letter in letters] == [b"wire-12", b"wire-10"]
    assert [letter.value for letter in letters] == [articles[2].value, articles[0].value]
    assert all(letter.stage == "indexing" for letter in letters)
    assert "'wire-12'" in letters[0].reason
    assert "400" in letters[0].reason
    assert "mapper_parsing_exception: failed to parse field [title]" in letters[0].reason
    assert "'wire-10'" in letters[1].reason
    assert "409" in letters[1].reason


def test_a_rejection_without_status_still_explains() -> None:
    (letter,) = rejected_letters(
        [received(5, None)],
        [Rejection(position=0, document_id="wire-5", status=None, reason="unknown")],
    )

    assert letter.key is None
    assert "'wire-5'" in letter.reason
    assert "unknown" in letter.reason


def test_no_rejections_no_letters() -> None:
    assert rejected_letters([received(1, b"k")], []) == []
