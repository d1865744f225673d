"""The dead-letter topic: messages that cannot be processed, with the reason, unchanged."""

import asyncio
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts.models import DeadLetter
from ingest.connection import client_options
from ingest.errors import IngestError
from ingest.settings import IngestSettings, KafkaSettings

HEADER_PREFIX = "wirewatch."


def dead_letter_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The headers that say why, and where from, a dead letter came."""
    position = letter.position
    return [
        (f"{HEADER_PREFIX}error", letter.reason.encode()),
        (f"{HEADER_PREFIX}stage", letter.stage.encode()),
        (f"{HEADER_PREFIX}original_topic", position.topic.encode()),
        (f"{HEADER_PREFIX}original_partition", str(position.partition).encode()),
        (f"{HEADER_PREFIX}original_offset", str(position.offset).encode()),
    ]


class DeadLetterPublisher:
    """Publishes dead letters and waits until Kafka has them (acks=all, idempotent)."""

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings) -> None:
        self.topic = ingest.dead_letter_topic
        self._producer = AIOKafkaProducer(
            **client_options(kafka), acks="all", enable_idempotence=True, linger_ms=5
        )
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as error:
            await self._producer.stop()
            raise IngestError(
                f"could not connect the dead-letter producer to Kafka: {error!r}", retriable=True
            ) from error
        self._started = True

    async def stop(self) -> None:
        """Flushes what is pending and closes; safe to call twice."""
        if self._started:
            self._started = False
            await self._producer.stop()

    async def publish(self, letters: list[DeadLetter]) -> None:
        """Sends every letter and returns once all are acknowledged."""
        if not letters:
            return
        try:
            pending = [
                await self._producer.send(
                    self.topic,
                    value=letter.value,
                    key=letter.key,
                    headers=dead_letter_headers(letter),
                )
                for letter in letters
            ]
            await asyncio.gather(*pending)
        except KafkaError as error:
            raise IngestError(
                f"could not write {len(letters)} message(s) to the dead-letter topic "
                f"{self.topic!r}: {error!r}",
                retriable=error.retriable,
            ) from error
