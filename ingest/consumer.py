"""The articles consumer: batches of validated articles, offsets committed only when told."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field

from contracts.lifecycle import AsyncResource
from contracts.models import DeadLetter, KafkaPosition, ReceivedArticle
from ingest.connection import client_options
from ingest.errors import IngestError
from ingest.settings import IngestSettings, KafkaSettings
from ingest.topics import ensure_topics
from ingest.validation import decode_message

log = structlog.get_logger(__name__)

_STOP_TIMEOUT_S = 10.0


class IncomingBatch(BaseModel):
    """What one fetch brought: valid articles, dead letters, and the offsets they cover."""

    model_config = ConfigDict(frozen=True)

    articles: list[ReceivedArticle] = Field(default_factory=list)
    dead_letters: list[DeadLetter] = Field(default_factory=list)
    next_offsets: dict[tuple[str, int], int] = Field(
        default_factory=dict, description="Per (topic, partition): the offset to commit."
    )
    lag: dict[tuple[str, int], int] = Field(
        default_factory=dict, description="Per (topic, partition): messages behind the end."
    )

    @property
    def size(self) -> int:
        return len(self.articles) + len(self.dead_letters)


class _WaitForBatchOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets the batch in hand finish and commit before its partitions move elsewhere."""

    def __init__(self, in_flight: asyncio.Lock) -> None:
        self._in_flight = in_flight

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if not revoked:
            return
        async with self._in_flight:
            log.info("partitions revoked", partitions=sorted(str(tp) for tp in revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", partitions=sorted(str(tp) for tp in assigned))


class ArticleConsumer(AsyncResource):
    """A consumer-group member reading the articles topic in batches, auto-commit off.

    Use `batch()` as an async context manager: while it is open a rebalance waits, so the
    batch can be finished and committed before its partitions are revoked.
    """

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings) -> None:
        self._kafka = kafka
        self._ingest = ingest
        self._in_flight = asyncio.Lock()
        self._consumer = AIOKafkaConsumer(
            **client_options(kafka),
            group_id=ingest.group_id,
            enable_auto_commit=False,
            auto_offset_reset=ingest.auto_offset_reset,
            max_partition_fetch_bytes=ingest.max_partition_fetch_bytes,
            session_timeout_ms=ingest.session_timeout_ms,
            max_poll_interval_ms=ingest.max_poll_interval_ms,
            isolation_level="read_committed",
        )

    async def _open(self) -> None:
        """Creates the topics if configured to, joins the group and subscribes."""
        if self._ingest.create_topics:
            created = await ensure_topics(
                self._kafka,
                [self._ingest.topic, self._ingest.dead_letter_topic],
                partitions=self._ingest.topic_partitions,
                replication_factor=self._ingest.topic_replication_factor,
            )
            if created:
                log.info("topics created", topics=created)
        try:
            await self._consumer.start()
        except KafkaError as error:
            await self._consumer.stop()
            raise IngestError(
                f"could not connect to Kafka at {self._kafka.bootstrap_servers}: {error!r}. "
                "Is the broker running (`wirewatch stack status`)?",
                retriable=True,
            ) from error
        try:
            self._consumer.subscribe(
                [self._ingest.topic], listener=_WaitForBatchOnRevoke(self._in_flight)
            )
        except BaseException:
            await self._consumer.stop()
            raise

    async def _close(self) -> None:
        """Leaves the group and closes, committing nothing."""
        try:
            # Leaving can wait out a join in flight; the group notices a vanished member.
            await asyncio.wait_for(self._consumer.stop(), timeout=_STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("consumer did not leave the group in time", timeout_s=_STOP_TIMEOUT_S)

    @contextlib.asynccontextmanager
    async def batch(self, stop: asyncio.Event | None = None) -> AsyncIterator[IncomingBatch]:
        """Fetches the next batch (possibly empty) and holds off rebalances until it closes.

        Setting `stop` ends the wait for records at once, with an empty batch.
        """
        # The fetch itself must not hold the lock: getmany waits for an assignment, and the
        # assignment waits for the revocation listener, which waits for the lock.
        try:
            records = await self._fetch(stop)
        except KafkaError as error:
            raise IngestError(
                f"fetching from {self._ingest.topic!r} failed: {error!r}",
                retriable=error.retriable,
            ) from error
        async with self._in_flight:
            # Partitions revoked while we waited for the lock now belong to another member,
            # which reads them from the last commit.
            assigned = self._consumer.assignment()
            yield self._decode({tp: rs for tp, rs in records.items() if tp in assigned})

    async def _fetch(self, stop: asyncio.Event | None) -> dict[TopicPartition, list[Any]]:
        fetch = asyncio.ensure_future(
            self._consumer.getmany(
                timeout_ms=self._ingest.fetch_max_wait_ms,
                max_records=self._ingest.max_batch_records,
            )
        )
        if stop is None:
            return await fetch  # type: ignore[no-any-return]
        # getmany waits without limit for a partition assignment (the first join, a long
        # rebalance), so a stop must be able to interrupt it.
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
        return {} if fetch.cancelled() else fetch.result()

    async def commit(self, batch: IncomingBatch) -> None:
        """Commits the offsets after the batch; call once all of it is indexed or dead-lettered."""
        if not batch.next_offsets:
            return
        assigned = self._consumer.assignment()
        offsets = {
            TopicPartition(topic, partition): offset
            for (topic, partition), offset in batch.next_offsets.items()
            if TopicPartition(topic, partition) in assigned
        }
        try:
            await self._consumer.commit(offsets)
        except KafkaError as error:
            raise IngestError(
                f"could not commit offsets {batch.next_offsets} for group "
                f"{self._ingest.group_id!r}: {error!r}. The batch will be redelivered and "
                "overwrite the same documents.",
                retriable=error.retriable,
            ) from error

    def assigned(self) -> set[tuple[str, int]]:
        """The (topic, partition) pairs this member reads now."""
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    async def ping(self) -> None:
        """Raises IngestError unless the cluster answers a metadata request."""
        try:
            await asyncio.wait_for(self._consumer.topics(), timeout=5)
        except (KafkaError, TimeoutError) as error:
            raise IngestError(f"Kafka does not answer: {error!r}", retriable=True) from error

    def _decode(self, records: dict[TopicPartition, list[Any]]) -> IncomingBatch:
        articles: list[ReceivedArticle] = []
        dead_letters: list[DeadLetter] = []
        next_offsets: dict[tuple[str, int], int] = {}
        for tp, messages in records.items():
            for message in messages:
                position = KafkaPosition(
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=message.offset,
                )
                decoded = decode_message(
                    position,
                    message.key,
                    message.value,
                    message.timestamp,
                    message.headers,
                )
                if isinstance(decoded, DeadLetter):
                    dead_letters.append(decoded)
                else:
                    articles.append(decoded)
                next_offsets[(tp.topic, tp.partition)] = position.offset + 1
        return IncomingBatch(
            articles=articles,
            dead_letters=dead_letters,
            next_offsets=next_offsets,
            lag=self._lag(next_offsets),
        )

    def _lag(self, next_offsets: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        # Only partitions in the batch: asking a position elsewhere can wait for a reset.
        lag: dict[tuple[str, int], int] = {}
        for (topic, partition), position in next_offsets.items():
            # Under read_committed the end is the last stable offset, not the high watermark.
            end = self._consumer.last_stable_offset(TopicPartition(topic, partition))
            if end is not None:
                lag[(topic, partition)] = max(0, end - position)
        return lag
