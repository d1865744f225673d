"""Dead-letter headers say why, and where from, a message was set aside."""

from typing import Literal

import pytest

from contracts import DeadLetter, KafkaPosition
from ingest.dead_letter import dead_letter_headers


@pytest.mark.parametrize("stage", ["validation", "indexing"])
def test_headers_name_the_error_stage_and_origin(
    stage: Literal["validation", "indexing"],
) -> None:
    letter = DeadLetter(
        position=KafkaPosition(topic="wirewatch.articles", partition=2, offset=1234567890123),
        key=b"wire-1",
        value=b"{}",
        stage=stage,
        reason="1 invalid field(s): title: Field required",
    )

    headers = dict(dead_letter_headers(letter))

    assert headers == {
        "wirewatch.error": b"1 invalid field(s): title: Field required",
        "wirewatch.stage": stage.encode(),
        "wirewatch.original_topic": b"wirewatch.articles",
        "wirewatch.original_partition": b"2",
        "wirewatch.original_offset": b"1234567890123",
    }


def test_header_values_are_utf8() -> None:
    letter = DeadLetter(
        position=KafkaPosition(topic="t", partition=0, offset=0),
        value=None,
        stage="validation",
        reason="title: “smart quotes” — café",
    )

    headers = dict(dead_letter_headers(letter))

    assert headers["wirewatch.error"].decode("utf-8") == "title: “smart quotes” — café"
    assert all(isinstance(value, bytes) for value in headers.values())
