"""The refusal breaker: most of a batch refused for one reason stops the service."""

from collections.abc import Mapping

import pytest

from index import RefusalBreakerError, Rejection, check_refusals
from index.breaker import dominant_refusal, refusal_cause
from index.bulk import describe_item_error

# Refusals as Elasticsearch 9 words them (the document's id and value differ per document).
DATE: dict[str, object] = {
    "type": "document_parsing_exception",
    "reason": "[1:17] failed to parse field [published_at] of type [date] in document with id "
    "'{id}'. Preview of field's value: '{id}-value'",
    "caused_by": {"type": "illegal_argument_exception", "reason": "failed to parse date field"},
}
OBJECT: dict[str, object] = {
    "type": "document_parsing_exception",
    "reason": "[1:48] object mapping for [kafka] tried to parse field [kafka] as object, but "
    "found a concrete value",
}
STRICT: dict[str, object] = {
    "type": "strict_dynamic_mapping_exception",
    "reason": "[1:46] mapping set to strict, dynamic introduction of [foo] within [_doc] is not "
    "allowed",
}
IMMENSE: dict[str, object] = {
    "type": "illegal_argument_exception",
    "reason": 'Document contains at least one immense term in field="title.keyword" (whose UTF8 '
    "encoding is longer than the max length 32766)",
}


def rejection(position: int, error: Mapping[str, object]) -> Rejection:
    document = f"doc-{position}"
    text = {k: v.format(id=document) if isinstance(v, str) else v for k, v in error.items()}
    return Rejection(
        position=position, document_id=document, status=400, reason=describe_item_error(text)
    )


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (
            DATE,
            "document_parsing_exception on field [published_at] "
            "(caused by illegal_argument_exception)",
        ),
        (OBJECT, "document_parsing_exception on field [kafka]"),
        (STRICT, "strict_dynamic_mapping_exception on field [foo]"),
        (IMMENSE, "illegal_argument_exception on field [title.keyword]"),
    ],
)
def test_the_cause_is_the_error_type_and_field_without_the_documents_text(
    error: Mapping[str, object], cause: str
) -> None:
    assert refusal_cause(rejection(1, error).reason) == cause
    assert refusal_cause(rejection(1, error).reason) == refusal_cause(rejection(2, error).reason)


def test_a_reason_without_an_error_type_is_kept_without_its_values() -> None:
    assert refusal_cause("refused 'doc-1' at 17") == refusal_cause("refused 'doc-22' at 3")
    assert len(refusal_cause("x" * 100_000)) <= 200


def test_most_of_a_batch_refused_for_one_reason_trips() -> None:
    refused = [rejection(i, DATE) for i in range(8)]

    tripped = dominant_refusal(refused, 10, min_refused=5, refused_fraction=0.5)

    assert tripped is not None
    assert tripped[0].startswith("document_parsing_exception on field [published_at]")
    assert len(tripped[1]) == 8


def test_one_refusal_in_a_small_batch_does_not_trip() -> None:
    assert dominant_refusal([rejection(0, DATE)], 2, min_refused=5, refused_fraction=0.5) is None


def test_a_minority_of_a_batch_does_not_trip() -> None:
    refused = [rejection(i, DATE) for i in range(6)]

    assert dominant_refusal(refused, 20, min_refused=5, refused_fraction=0.5) is None


def test_many_refusals_for_different_reasons_do_not_trip() -> None:
    refused = [
        *(rejection(i, DATE) for i in range(3)),
        *(rejection(i, OBJECT) for i in range(3, 6)),
        *(rejection(i, STRICT) for i in range(6, 9)),
    ]

    assert dominant_refusal(refused, 10, min_refused=5, refused_fraction=0.5) is None


def test_exactly_the_fraction_does_not_trip_more_does() -> None:
    refused = [rejection(i, DATE) for i in range(5)]

    assert dominant_refusal(refused, 10, min_refused=5, refused_fraction=0.5) is None
    assert dominant_refusal(refused, 9, min_refused=5, refused_fraction=0.5) is not None


def test_the_error_names_the_cause_an_example_and_what_to_do() -> None:
    refused = [rejection(i, OBJECT) for i in range(6)]

    with pytest.raises(RefusalBreakerError) as raised:
        check_refusals(refused, 6, min_refused=5, refused_fraction=0.5)

    message = str(raised.value)
    assert "refused 6 of the 6 document(s)" in message
    assert "document_parsing_exception on field [kafka]" in message
    assert "'doc-0'" in message
    assert "Nothing of the batch was dead-lettered or committed" in message
    assert not raised.value.retriable
    check_refusals([], 6, min_refused=5, refused_fraction=0.5)
