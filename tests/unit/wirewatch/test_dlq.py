"""`wirewatch dlq`: --since, and which letters a replay re-sends."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import KafkaPosition
from ingest import StoredLetter
from wirewatch.dlq import parse_since, replay_verdict

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ORIGINAL = KafkaPosition(topic="wirewatch.articles", partition=2, offset=50)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW - timedelta(hours=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("90s", NOW - timedelta(seconds=90)),
        ("7d", NOW - timedelta(days=7)),
        ("1w", NOW - timedelta(weeks=1)),
        ("2026-11-27T10:00:00Z", datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ("2026-11-27T11:00:00+01:00", datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ("2026-11-27 10:00:00.5z", datetime(2026, 11, 27, 10, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_since_takes_rfc3339_or_a_span_back_from_now(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["2026-11-27T10:00:00", "yesterday", "2x", "", "1700000000"])
def test_since_refuses_a_time_without_offset_or_an_unknown_span(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_since(text, NOW)


def letter(value: bytes | None = b'{"id": "a-1"}', *, dropped: bool = False) -> StoredLetter:
    return StoredLetter(
        position=KafkaPosition(topic="wirewatch.articles.dlq", partition=0, offset=3),
        dead_lettered_at=NOW,
        key=b"a-1",
        value=value,
        headers=(),
        stage="indexing",
        reason="refused",
        original=ORIGINAL,
        value_dropped=dropped,
        replayed_from=None,
    )


def at(partition: int, offset: int) -> KafkaPosition:
    return KafkaPosition(topic="wirewatch.articles", partition=partition, offset=offset)


def test_a_letter_not_indexed_is_re_sent() -> None:
    assert replay_verdict(letter(), None)[0] == "resend"
    assert replay_verdict(letter(), [])[0] == "resend"


def test_a_letter_whose_article_was_indexed_from_a_later_message_is_skipped() -> None:
    # The producer re-sent it, or an earlier replay's copy got in.
    action, why = replay_verdict(letter(), [at(2, 51)])

    assert action == "skip"
    assert "already indexed" in why


def test_a_letter_newer_than_the_indexed_copy_is_re_sent() -> None:
    # The index holds version 1; the letter is version 2, whose write was refused.
    assert replay_verdict(letter(), [at(2, 49)]) == (
        "resend",
        "the index holds an earlier version only",
    )


@pytest.mark.parametrize("copies", [[at(1, 10)], [None], [at(2, 49), at(2, 70)], [at(2, 49), None]])
def test_a_copy_that_cannot_be_ordered_before_the_letter_counts_as_indexed(
    copies: list[KafkaPosition | None],
) -> None:
    assert replay_verdict(letter(), copies)[0] == "skip"
    assert replay_verdict(letter(), copies, include_indexed=True)[0] == "resend"


def test_a_letter_without_a_value_is_never_re_sent() -> None:
    assert replay_verdict(letter(None), None)[0] == "skip"
    action, why = replay_verdict(letter(None, dropped=True), None, include_indexed=True)
    assert action == "skip"
    assert "re-publish it from its source" in why
