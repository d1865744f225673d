"""Turning raw Kafka messages into articles or dead letters (pure, no I/O)."""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
from pydantic import ValidationError

from contracts import Article, DeadLetter, KafkaPosition, ReceivedArticle
from ingest.errors import InvalidMessage

# Enough of each problem for a user to fix the producer, without flooding a header.
_MAX_REASON_CHARS = 2000


def parse_article(value: bytes | None) -> Article:
    """Validates a message value against the article contract.

    Raises InvalidMessage with a reason that names each offending field.
    """
    if value is None:
        raise InvalidMessage("the message has no value (a tombstone); expected an article")
    try:
        data = _loads(value)
    except UnicodeDecodeError as error:
        raise InvalidMessage(f"the value is not UTF-8: {error}") from error
    except json.JSONDecodeError as error:
        raise InvalidMessage(f"the value is not JSON: {error}") from error
    except RecursionError as error:
        raise InvalidMessage("the value is JSON nested too deeply to be an article") from error
    except ValueError as error:
        # Python refuses integers of more than 4300 digits (a guard against quadratic parsing).
        raise InvalidMessage(f"the value holds JSON that cannot be read: {error}") from error
    if not isinstance(data, dict):
        raise InvalidMessage(f"the value must be a JSON object, got {type(data).__name__}")
    try:
        return Article.model_validate(data)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from error
    except RecursionError as error:
        raise InvalidMessage("the value is JSON nested too deeply to be an article") from error


def _loads(value: bytes) -> object:
    """The JSON of a message value: orjson's answer where it has one (several times faster),
    the standard library's where orjson refuses what json takes (NaN, infinities, a lone
    surrogate escape), and json's errors are those told. orjson reads an integer beyond 64 bits
    as a float; no field of an article takes a number, so either way it is refused."""
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value.decode("utf-8"))


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each invalid field and what is wrong with it."""
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in detail["loc"]) or "article"
        problems.append(f"{field}: {detail['msg']}")
    reason = f"{len(problems)} invalid field(s): " + "; ".join(problems)
    return reason[:_MAX_REASON_CHARS]


def decode_message(
    position: KafkaPosition,
    key: bytes | None,
    value: bytes | None,
    timestamp_ms: int | None,
    headers: Sequence[tuple[str, bytes | None]] = (),
) -> ReceivedArticle | DeadLetter:
    """A received article, or the dead letter that says why the message is not one.

    Never raises: whatever decoding or validating one message raises, that message is
    dead-lettered with the reason, so no message can stop its partition."""
    # Kafka allows a header without a value; it travels on as an empty one.
    kept = tuple((name, content or b"") for name, content in headers)
    try:
        article = parse_article(value)
        # The index needs the id: an article that cannot have one is refused here, not later.
        article.document_id  # noqa: B018
        return ReceivedArticle(
            article=article,
            position=position,
            key=key,
            value=value or b"",
            headers=kept,
            published_to_kafka_at=kafka_timestamp(timestamp_ms),
        )
    except InvalidMessage as error:
        reason = str(error)
    except Exception as error:  # noqa: BLE001 (the boundary of one message: nothing escapes it)
        reason = unexpected_reason(error)
    return DeadLetter(
        position=position, key=key, value=value, headers=kept, stage="validation", reason=reason
    )


def unexpected_reason(error: BaseException) -> str:
    """The reason for a failure no check foresaw: the exception's type and message, capped."""
    reason = (
        f"decoding the message raised {type(error).__name__}: {error}. This is a bug in "
        "wirewatch's validation; the message is kept here for a report."
    )
    return reason[:_MAX_REASON_CHARS]


def kafka_timestamp(timestamp_ms: int | None) -> datetime:
    """The message's timestamp; now, where a producer set none or one no calendar can hold."""
    if timestamp_ms is None:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.now(UTC)
