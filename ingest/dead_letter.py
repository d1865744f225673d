"""The dead-letter topic: messages that cannot be processed, with the reason, unchanged."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from contracts import AsyncResource, DeadLetter
from ingest.connection import client_options, describe_failure
from ingest.errors import IngestError
from ingest.settings import IngestSettings, KafkaSettings

HEADER_PREFIX = "wirewatch."
ERROR_HEADER = f"{HEADER_PREFIX}error"
STAGE_HEADER = f"{HEADER_PREFIX}stage"
ORIGINAL_TOPIC_HEADER = f"{HEADER_PREFIX}original_topic"
ORIGINAL_PARTITION_HEADER = f"{HEADER_PREFIX}original_partition"
ORIGINAL_OFFSET_HEADER = f"{HEADER_PREFIX}original_offset"
VALUE_DROPPED_HEADER = f"{HEADER_PREFIX}value_dropped"
# The headers that describe one failure: a message that fails again gets new ones in their
# place. Its other headers (the producer's own, a replay's provenance) travel on unchanged.
FAILURE_HEADERS = frozenset(
    {
        ERROR_HEADER,
        STAGE_HEADER,
        ORIGINAL_TOPIC_HEADER,
        ORIGINAL_PARTITION_HEADER,
        ORIGINAL_OFFSET_HEADER,
        VALUE_DROPPED_HEADER,
    }
)
_HEADROOM_BYTES = 64 * 1024


def dead_letter_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The headers that say why, and where from, a dead letter came.

    The original message's headers come first, less those of an earlier failure (a replayed
    message failing again): so a replay's `wirewatch.replayed_*` provenance stays.
    """
    position = letter.position
    kept = [(name, value) for name, value in letter.headers if name not in FAILURE_HEADERS]
    return [
        *kept,
        (ERROR_HEADER, letter.reason.encode()),
        (STAGE_HEADER, letter.stage.encode()),
        (ORIGINAL_TOPIC_HEADER, position.topic.encode()),
        (ORIGINAL_PARTITION_HEADER, str(position.partition).encode()),
        (ORIGINAL_OFFSET_HEADER, str(position.offset).encode()),
    ]


class DeadLetterPublisher(AsyncResource):
    """Publishes dead letters and waits until Kafka has them (acks=all, idempotent)."""

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings) -> None:
        self.topic = ingest.dead_letter_topic
        self._kafka = kafka
        self._producer = AIOKafkaProducer(
            **client_options(kafka),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            # Room for the largest message a consumer may fetch, plus the reason headers.
            max_request_size=ingest.max_partition_fetch_bytes + _HEADROOM_BYTES,
        )

    async def _open(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as error:
            await self._producer.stop()
            raise IngestError(
                "could not connect the dead-letter producer to Kafka at "
                f"{self._kafka.bootstrap_servers}: {await describe_failure(self._kafka, error)}",
                retriable=True,
            ) from error

    async def _close(self) -> None:
        # Flushes what is pending first.
        await self._producer.stop()

    async def publish(self, letters: list[DeadLetter]) -> None:
        """Sends every letter and returns once all are acknowledged.

        A letter too large for the dead-letter topic is sent without its value, with a header
        saying so; its headers still point at the original message.
        """
        if not letters:
            return
        try:
            sent = [await self._send(letter) for letter in letters]
            outcomes = await asyncio.gather(*sent, return_exceptions=True)
            for letter, outcome in zip(letters, outcomes, strict=True):
                if isinstance(outcome, MessageSizeTooLargeError):
                    await (await self._send(letter, drop_value=True))
                elif isinstance(outcome, BaseException):
                    raise outcome
        except KafkaError as error:
            raise IngestError(
                f"could not write {len(letters)} message(s) to the dead-letter topic "
                f"{self.topic!r}: {error!r}",
                retriable=error.retriable,
            ) from error

    async def _send(self, letter: DeadLetter, *, drop_value: bool = False) -> "asyncio.Future[Any]":
        headers = dead_letter_headers(letter)
        if drop_value:
            headers.append((VALUE_DROPPED_HEADER, b"too large for the dead-letter topic"))
        try:
            future: asyncio.Future[Any] = await self._producer.send(
                self.topic,
                value=None if drop_value else letter.value,
                key=letter.key,
                headers=headers,
            )
        except MessageSizeTooLargeError:
            if drop_value:
                raise
            return await self._send(letter, drop_value=True)
        return future
