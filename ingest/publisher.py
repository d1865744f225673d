"""Publishing article files to the articles topic (`wirewatch produce`)."""

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts import document_id
from ingest.connection import client_options, describe_failure
from ingest.errors import IngestError
from ingest.settings import KafkaSettings


def message_key(line: bytes) -> bytes | None:
    """The document id of an article line, so one article always lands in one partition.

    Lines that are not articles get no key: they still travel, to be dead-lettered.
    """
    try:
        data = json.loads(line)
        article_id, url = data.get("id"), data.get("url")
        return document_id(
            article_id.strip() if isinstance(article_id, str) else None,
            url.strip() if isinstance(url, str) else None,
        ).encode()
    except (ValueError, AttributeError, RecursionError):
        return None


def read_lines(path: Path) -> Iterable[bytes]:
    """The non-blank lines of a JSON-lines file, unchanged."""
    with path.open("rb") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped:
                yield stripped


async def publish_lines(kafka: KafkaSettings, topic: str, lines: Iterable[bytes]) -> int:
    """Sends each line as one message and waits for all acknowledgements; returns the count."""
    producer = AIOKafkaProducer(
        **client_options(kafka), acks="all", enable_idempotence=True, linger_ms=10
    )
    try:
        await producer.start()
        pending = [await producer.send(topic, value=line, key=message_key(line)) for line in lines]
        await asyncio.gather(*pending)
    except KafkaError as error:
        raise IngestError(
            f"could not publish to {topic!r} at {kafka.bootstrap_servers}: "
            f"{await describe_failure(kafka, error)}",
            retriable=error.retriable,
        ) from error
    finally:
        await producer.stop()
    return len(pending)
