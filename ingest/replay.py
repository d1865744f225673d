"""The dead-letter topic read back (`wirewatch dlq list`) and re-sent (`wirewatch dlq replay`).

Reading takes no consumer group and commits nothing: it assigns every partition, reads from
the start (or from a time) up to the end offsets seen when it began, and stops there, so a
letter dead-lettered again while a replay runs is not read by that replay.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field

from contracts import AsyncResource, KafkaPosition
from ingest.connection import client_options
from ingest.dead_letter import (
    ERROR_HEADER,
    ORIGINAL_OFFSET_HEADER,
    ORIGINAL_PARTITION_HEADER,
    ORIGINAL_TOPIC_HEADER,
    STAGE_HEADER,
    VALUE_DROPPED_HEADER,
)
from ingest.errors import IngestError
from ingest.publisher import message_key
from ingest.settings import IngestSettings, KafkaSettings
from ingest.validation import kafka_timestamp

Stage = Literal["validation", "enrichment", "indexing"]
STAGES: tuple[str, ...] = get_args(Stage)

REPLAYED_FROM_TOPIC_HEADER = "wirewatch.replayed_from_topic"
REPLAYED_FROM_PARTITION_HEADER = "wirewatch.replayed_from_partition"
REPLAYED_FROM_OFFSET_HEADER = "wirewatch.replayed_from_offset"
REPLAYED_AT_HEADER = "wirewatch.replayed_at"
REPLAY_HEADERS = frozenset(
    {
        REPLAYED_FROM_TOPIC_HEADER,
        REPLAYED_FROM_PARTITION_HEADER,
        REPLAYED_FROM_OFFSET_HEADER,
        REPLAYED_AT_HEADER,
    }
)
_HEADROOM_BYTES = 64 * 1024


class StoredLetter(BaseModel):
    """A dead letter as read back from the dead-letter topic."""

    model_config = ConfigDict(frozen=True)

    position: KafkaPosition = Field(description="Where the letter sits in the dead-letter topic.")
    dead_lettered_at: datetime
    key: bytes | None = Field(repr=False)
    value: bytes | None = Field(repr=False)
    headers: tuple[tuple[str, bytes], ...] = Field(repr=False)
    stage: str = Field(description="'validation', 'enrichment', 'indexing'; '?' if unsaid.")
    reason: str
    original: KafkaPosition | None = Field(description="Where the message was first read.")
    value_dropped: bool = Field(description="Too large for the dead-letter topic: not kept.")
    replayed_from: KafkaPosition | None = Field(
        description="Set when the message was itself a replay: the letter it re-sent."
    )

    @property
    def document_id(self) -> str | None:
        """The article's document id, where the value names one (even if invalid otherwise)."""
        if self.value is None:
            return None
        key = message_key(self.value)
        return key.decode() if key is not None else None

    def summary(self) -> dict[str, Any]:
        """A JSON-able description (the value and the key left out)."""
        return {
            "dlq": self.position.model_dump(),
            "dead_lettered_at": _rfc3339(self.dead_lettered_at),
            "stage": self.stage,
            "reason": self.reason,
            "original": self.original.model_dump() if self.original else None,
            "document_id": self.document_id,
            "value_dropped": self.value_dropped,
            "replayed_from": self.replayed_from.model_dump() if self.replayed_from else None,
        }


def read_letter(
    position: KafkaPosition,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]],
) -> StoredLetter:
    """A record of the dead-letter topic as a letter; headers missing or garbled read as unknown.

    Where a header repeats, the last one counts (as a failure's own headers come last).
    """
    kept = tuple((name, content or b"") for name, content in headers)
    named = dict(kept)

    def text(name: str) -> str | None:
        content = named.get(name)
        return content.decode("utf-8", errors="replace") if content is not None else None

    return StoredLetter(
        position=position,
        dead_lettered_at=kafka_timestamp(timestamp_ms),
        key=key,
        value=value,
        headers=kept,
        stage=text(STAGE_HEADER) or "?",
        reason=text(ERROR_HEADER) or "(no reason recorded)",
        original=_position(
            named, ORIGINAL_TOPIC_HEADER, ORIGINAL_PARTITION_HEADER, ORIGINAL_OFFSET_HEADER
        ),
        value_dropped=VALUE_DROPPED_HEADER in named,
        replayed_from=_position(
            named,
            REPLAYED_FROM_TOPIC_HEADER,
            REPLAYED_FROM_PARTITION_HEADER,
            REPLAYED_FROM_OFFSET_HEADER,
        ),
    )


def _position(
    headers: dict[str, bytes], topic: str, partition: str, offset: str
) -> KafkaPosition | None:
    try:
        return KafkaPosition(
            topic=headers[topic].decode("utf-8"),
            partition=int(headers[partition]),
            offset=int(headers[offset]),
        )
    except (KeyError, ValueError):
        return None


class LetterFilter(BaseModel):
    """Which letters a `dlq list` or `dlq replay` takes; an unset part takes every letter."""

    model_config = ConfigDict(frozen=True)

    reason: str | None = Field(default=None, description="A part of the reason, any case.")
    stage: Stage | None = None
    since: datetime | None = Field(default=None, description="Dead-lettered at or after.")

    def matches(self, letter: StoredLetter) -> bool:
        """Whether the letter passes every part of the filter that is set."""
        if self.reason is not None and self.reason.casefold() not in letter.reason.casefold():
            return False
        if self.stage is not None and letter.stage != self.stage:
            return False
        return self.since is None or letter.dead_lettered_at >= self.since


def replay_headers(letter: StoredLetter, replayed_at: datetime) -> list[tuple[str, bytes]]:
    """The headers of a replayed message: the letter's own (the producer's, and the failure's
    as provenance), then which letter it re-sends and when. An earlier replay's are replaced.
    """
    kept = [(name, value) for name, value in letter.headers if name not in REPLAY_HEADERS]
    return [
        *kept,
        (REPLAYED_FROM_TOPIC_HEADER, letter.position.topic.encode()),
        (REPLAYED_FROM_PARTITION_HEADER, str(letter.position.partition).encode()),
        (REPLAYED_FROM_OFFSET_HEADER, str(letter.position.offset).encode()),
        (REPLAYED_AT_HEADER, _rfc3339(replayed_at).encode()),
    ]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def read_dead_letters(
    kafka: KafkaSettings,
    topic: str,
    *,
    since: datetime | None = None,
    chunk_records: int = 500,
) -> AsyncIterator[list[StoredLetter]]:
    """The letters of `topic` in chunks, oldest first per partition, up to the end offsets
    read at the start. With `since`, each partition is read from the first letter at or
    after that time. A missing topic has no letters.
    """
    consumer = AIOKafkaConsumer(**client_options(kafka), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, number) for number in await _partitions(kafka, topic)]
        if not partitions:
            return
        await consumer.start()
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        starts = await _start_offsets(consumer, partitions, ends, since)
        remaining = {tp for tp in partitions if starts[tp] < ends[tp]}
        for tp in remaining:
            consumer.seek(tp, starts[tp])
        deadline = time.monotonic() + kafka.request_timeout_ms / 1000
        while remaining:
            records = await consumer.getmany(*remaining, timeout_ms=500, max_records=chunk_records)
            letters = [
                read_letter(
                    KafkaPosition(topic=tp.topic, partition=tp.partition, offset=record.offset),
                    record.timestamp,
                    record.key,
                    record.value,
                    record.headers,
                )
                for tp, batch in sorted(records.items())
                for record in batch
                if record.offset < ends[tp]
            ]
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if letters:
                deadline = time.monotonic() + kafka.request_timeout_ms / 1000
                yield letters
            elif remaining and time.monotonic() > deadline:
                raise IngestError(
                    f"reading the dead-letter topic {topic!r} made no progress within "
                    f"{kafka.request_timeout_ms} ms (WIREWATCH_KAFKA__REQUEST_TIMEOUT_MS) with "
                    f"{len(remaining)} partition(s) unread; is the broker healthy?",
                    retriable=True,
                )
    except KafkaError as error:
        raise IngestError(
            f"could not read the dead-letter topic {topic!r} at {kafka.bootstrap_servers}: "
            f"{error!r}. Is the broker running (`wirewatch stack status`)?",
            retriable=error.retriable,
        ) from error
    finally:
        await consumer.stop()


async def _partitions(kafka: KafkaSettings, topic: str) -> list[int]:
    """The partitions of `topic`; none if it does not exist (asked without creating it)."""
    admin = AIOKafkaAdminClient(**client_options(kafka))
    try:
        await admin.start()
        described = await admin.describe_topics()
    finally:
        await admin.close()
    return sorted(
        partition["partition"]
        for found in described
        if found["topic"] == topic
        for partition in found["partitions"]
    )


async def _start_offsets(
    consumer: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: dict[TopicPartition, int],
    since: datetime | None,
) -> dict[TopicPartition, int]:
    beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
    if since is None:
        return beginnings
    found = await consumer.offsets_for_times(
        {tp: int(since.timestamp() * 1000) for tp in partitions}
    )
    # No letter at or after `since` in a partition: nothing to read there.
    return {
        tp: max(beginnings[tp], found[tp].offset) if found.get(tp) else ends[tp]
        for tp in partitions
    }


class Republisher(AsyncResource):
    """Sends replayed letters to the articles topic and waits until Kafka has them
    (acks=all, idempotent)."""

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings) -> None:
        self.topic = ingest.topic
        self._kafka = kafka
        self._producer = AIOKafkaProducer(
            **client_options(kafka),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            # A letter holds a message a consumer could fetch, plus the headers added since.
            max_request_size=ingest.max_partition_fetch_bytes + 2 * _HEADROOM_BYTES,
        )

    async def _open(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as error:
            await self._producer.stop()
            raise IngestError(
                f"could not connect the replay producer to Kafka at "
                f"{self._kafka.bootstrap_servers}: {error!r}",
                retriable=True,
            ) from error

    async def _close(self) -> None:
        await self._producer.stop()

    async def send(
        self, letters: Sequence[StoredLetter], replayed_at: datetime
    ) -> list[KafkaPosition]:
        """Re-sends each letter's key and value with `replay_headers`; returns where each
        landed in the articles topic, in order."""
        try:
            pending = [
                await self._producer.send(
                    self.topic,
                    value=letter.value,
                    key=letter.key,
                    headers=replay_headers(letter, replayed_at),
                )
                for letter in letters
            ]
            sent = await asyncio.gather(*pending)
        except KafkaError as error:
            raise IngestError(
                f"could not re-send {len(letters)} letter(s) to {self.topic!r}: {error!r}. "
                "Those acknowledged before the failure are on their way; running the replay "
                "again skips what is indexed and re-sends the rest harmlessly.",
                retriable=error.retriable,
            ) from error
        return [
            KafkaPosition(
                topic=metadata.topic, partition=metadata.partition, offset=metadata.offset
            )
            for metadata in sent
        ]
