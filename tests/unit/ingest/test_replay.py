"""Dead letters read back: headers parsed, filters applied, provenance added on replay."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import DeadLetter, KafkaPosition
from ingest import LetterFilter, StoredLetter
from ingest.dead_letter import dead_letter_headers
from ingest.replay import read_letter, replay_headers
from ingest.validation import decode_message

DLQ = KafkaPosition(topic="wirewatch.articles.dlq", partition=1, offset=42)
AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ARTICLE = b'{"id": "wire-1", "title": "t", "body": "b", "source": "s"}'


def stored(letter: DeadLetter, *, at: datetime = AT, position: KafkaPosition = DLQ) -> StoredLetter:
    """The letter as `dlq list` reads it back after the service published it."""
    return read_letter(
        position, int(at.timestamp() * 1000), letter.key, letter.value, dead_letter_headers(letter)
    )


def letter(
    reason: str = "1 invalid field(s): published_at: Field required",
    stage: str = "validation",
    headers: tuple[tuple[str, bytes], ...] = (),
    value: bytes | None = ARTICLE,
) -> DeadLetter:
    return DeadLetter.model_validate(
        {
            "position": {"topic": "wirewatch.articles", "partition": 2, "offset": 7},
            "key": b"wire-1",
            "value": value,
            "headers": headers,
            "stage": stage,
            "reason": reason,
        }
    )


def test_a_letter_reads_back_with_its_stage_reason_origin_and_document_id() -> None:
    read = stored(letter())

    assert read.stage == "validation"
    assert read.reason == "1 invalid field(s): published_at: Field required"
    assert read.original == KafkaPosition(topic="wirewatch.articles", partition=2, offset=7)
    assert read.document_id == "wire-1"
    assert read.dead_lettered_at == AT
    assert read.replayed_from is None
    assert not read.value_dropped


def test_a_value_that_is_no_json_has_no_document_id() -> None:
    assert stored(letter(value=b"{not json")).document_id is None
    assert stored(letter(value=None)).document_id is None


def test_missing_or_garbled_headers_read_as_unknown_not_as_an_error() -> None:
    read = read_letter(
        DLQ,
        0,
        None,
        b"x",
        [("wirewatch.original_partition", b"two"), ("wirewatch.stage", None), ("other", None)],
    )

    assert read.stage == "?"
    assert read.reason == "(no reason recorded)"
    assert read.original is None


def test_the_producers_headers_travel_into_the_dead_letter_topic() -> None:
    decoded = decode_message(
        KafkaPosition(topic="t", partition=0, offset=3),
        None,
        b"{not json",
        0,
        [("traceparent", b"00-abc-01"), ("empty", None)],
    )
    assert isinstance(decoded, DeadLetter)

    headers = dead_letter_headers(decoded)

    assert headers[:2] == [("traceparent", b"00-abc-01"), ("empty", b"")]
    assert dict(headers)["wirewatch.original_offset"] == b"3"


def test_a_replay_carries_the_letters_headers_and_says_where_from_and_when() -> None:
    original = stored(letter(headers=(("traceparent", b"00-abc-01"),)))

    headers = replay_headers(original, AT)

    names = dict(headers)
    assert names["traceparent"] == b"00-abc-01"
    assert names["wirewatch.error"] == b"1 invalid field(s): published_at: Field required"
    assert names["wirewatch.original_offset"] == b"7"
    assert names["wirewatch.replayed_from_topic"] == b"wirewatch.articles.dlq"
    assert names["wirewatch.replayed_from_partition"] == b"1"
    assert names["wirewatch.replayed_from_offset"] == b"42"
    assert names["wirewatch.replayed_at"] == b"2026-11-27T10:00:00.000Z"


def test_a_replay_that_fails_again_is_dead_lettered_as_a_replay_with_the_new_failure() -> None:
    first = stored(letter())
    replayed = replay_headers(first, AT)
    # The replayed message fails again, at its new position in the articles topic.
    again = DeadLetter(
        position=KafkaPosition(topic="wirewatch.articles", partition=2, offset=99),
        key=b"wire-1",
        value=ARTICLE,
        headers=tuple(replayed),
        stage="indexing",
        reason="Elasticsearch refused document 'wire-1' (status 400): mapper_parsing_exception",
    )

    second = stored(again, position=DLQ.model_copy(update={"offset": 77}))

    assert second.stage == "indexing"
    assert second.reason.startswith("Elasticsearch refused")
    assert second.original == KafkaPosition(topic="wirewatch.articles", partition=2, offset=99)
    assert second.replayed_from == DLQ
    names = [name for name, _ in dead_letter_headers(again)]
    assert names.count("wirewatch.error") == 1
    assert names.count("wirewatch.original_offset") == 1
    # Replaying it again points at the newer letter only.
    assert dict(replay_headers(second, AT))["wirewatch.replayed_from_offset"] == b"77"
    assert [name for name, _ in replay_headers(second, AT)].count("wirewatch.replayed_at") == 1


@pytest.mark.parametrize(
    ("letter_filter", "expected"),
    [
        (LetterFilter(), True),
        (LetterFilter(reason="PUBLISHED_AT"), True),
        (LetterFilter(reason="title"), False),
        (LetterFilter(stage="validation"), True),
        (LetterFilter(stage="indexing"), False),
        (LetterFilter(since=AT), True),
        (LetterFilter(since=AT + timedelta(seconds=1)), False),
        (LetterFilter(reason="published", stage="validation", since=AT - timedelta(hours=1)), True),
        (LetterFilter(reason="published", stage="enrichment"), False),
    ],
)
def test_filters_take_a_letter_only_when_every_part_set_matches(
    letter_filter: LetterFilter, expected: bool
) -> None:
    assert letter_filter.matches(stored(letter())) is expected


def test_a_dropped_value_is_flagged() -> None:
    big = letter(value=None)
    headers = [*dead_letter_headers(big), ("wirewatch.value_dropped", b"too large")]

    read = read_letter(DLQ, 0, big.key, None, headers)

    assert read.value_dropped
