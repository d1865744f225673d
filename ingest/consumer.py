"""The articles consumer: batches of validated articles, offsets committed only when told."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from pydantic import BaseModel, ConfigDict, Field

from contracts import AsyncResource, DeadLetter, KafkaPosition, ReceivedArticle
from ingest.connection import client_options, describe_failure
from ingest.errors import IngestError
from ingest.kafka_topics import ensure_topics
from ingest.settings import IngestSettings, KafkaSettings
from ingest.validation import decode_message

log = structlog.get_logger(__name__)

_STOP_TIMEOUT_S = 10.0
_COMMIT_BACKOFF_S = 0.2
_COMMIT_MAX_BACKOFF_S = 5.0

T = TypeVar("T")


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
    epochs: dict[tuple[str, int], int] = Field(
        default_factory=dict,
        description="Per (topic, partition): its revocation epoch when fetched (PartitionEpochs).",
    )

    @property
    def size(self) -> int:
        return len(self.articles) + len(self.dead_letters)


class PartitionEpochs:
    """How often each partition was revoked from this member: a batch records the epochs of
    its partitions when fetched, and its records are this member's to write only while they
    are unchanged. A partition revoked and assigned back is read again from its committed
    offset, so the records fetched before the revocation are dropped even then."""

    def __init__(self) -> None:
        self._revocations: dict[tuple[str, int], int] = {}

    def revoke(self, partitions: Iterable[tuple[str, int]]) -> None:
        for partition in partitions:
            self._revocations[partition] = self._revocations.get(partition, 0) + 1

    def now(self) -> dict[tuple[str, int], int]:
        """The epochs now (a partition never revoked is at 0, and left out)."""
        return dict(self._revocations)

    def unchanged(self, epochs: Mapping[tuple[str, int], int]) -> set[tuple[str, int]]:
        """The partitions of `epochs` not revoked since."""
        return {
            partition
            for partition, epoch in epochs.items()
            if self._revocations.get(partition, 0) == epoch
        }


class _LeaveRevokedToNewOwner(ConsumerRebalanceListener):  # type: ignore[misc]
    """On revocation: lets the batch being written commit (for up to `wait_s`), then moves the
    revoked partitions to a new epoch, so that every batch in flight leaves their records to
    the new owner. Never blocks past the rebalance timeout, so the member stays in the group.
    """

    def __init__(self, consumer: "ArticleConsumer", wait_s: float) -> None:
        self._consumer = consumer
        self._wait_s = wait_s

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if not revoked:
            return
        claimed = self._consumer._claimed
        if claimed.locked():
            try:
                async with asyncio.timeout(self._wait_s):
                    await claimed.acquire()
                    claimed.release()
            except TimeoutError:
                log.warning("the batch being written did not commit before the rebalance; "
                            "its revoked partitions' offsets will not be committed",
                            partitions=sorted(str(tp) for tp in revoked),
                            waited_s=self._wait_s)  # fmt: skip
        # No await since the claim was let go: the next batch's claim sees the new epochs.
        self._consumer._epochs.revoke((tp.topic, tp.partition) for tp in revoked)
        log.info("partitions revoked", partitions=sorted(str(tp) for tp in revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self._consumer._fetching_paused and assigned:
            # Back-pressure holds: new partitions start paused too.
            self._consumer._consumer.pause(*assigned)
        log.info("partitions assigned", partitions=sorted(str(tp) for tp in assigned))


class ArticleConsumer(AsyncResource):
    """A consumer-group member reading the articles topic in batches, auto-commit off.

    `fetch()` the batches, one after the other, while earlier ones are still worked on; to
    stop fetching for a while (back-pressure), stay inside `paused()`: the member keeps
    polling (fetching nothing) so that it stays in the group. Before writing a batch,
    `claim()` it: it keeps only the partitions still ours since the fetch, and from then
    until `unclaim()` a revocation waits for its commit. One batch is claimed at a time.
    """

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings) -> None:
        self._kafka = kafka
        self._ingest = ingest
        # Held from `claim()` until `unclaim()`: a batch's writes and commit are under way.
        self._claimed = asyncio.Lock()
        self._epochs = PartitionEpochs()
        self._fetching_paused = False
        self._consumer = AIOKafkaConsumer(
            **client_options(kafka),
            group_id=ingest.group_id,
            group_instance_id=ingest.instance_id(),
            enable_auto_commit=False,
            auto_offset_reset=ingest.auto_offset_reset,
            max_partition_fetch_bytes=ingest.max_partition_fetch_bytes,
            session_timeout_ms=ingest.session_timeout_ms,
            heartbeat_interval_ms=ingest.heartbeat_interval_ms,
            max_poll_interval_ms=ingest.max_poll_interval_ms,
            rebalance_timeout_ms=ingest.rebalance_timeout_ms,
            isolation_level="read_committed",
        )

    async def _open(self) -> None:
        """Creates the topics if configured to, joins the group and subscribes."""
        if self._ingest.create_topics:
            try:
                created = await ensure_topics(
                    self._kafka,
                    [self._ingest.topic, self._ingest.dead_letter_topic],
                    partitions=self._ingest.topic_partitions,
                    replication_factor=self._ingest.topic_replication_factor,
                )
            except BaseException:
                # The consumer was made, never started: closed, so nothing is left unclosed.
                await self._consumer.stop()
                raise
            if created:
                log.info("topics created", topics=created)
        try:
            await self._consumer.start()
        except KafkaError as error:
            await self._consumer.stop()
            raise IngestError(
                f"could not connect to Kafka at {self._kafka.bootstrap_servers}: "
                f"{await describe_failure(self._kafka, error)}. "
                "Is the broker running (`wirewatch stack status`)?",
                retriable=True,
            ) from error
        try:
            self._consumer.subscribe(
                [self._ingest.topic],
                listener=_LeaveRevokedToNewOwner(self, self._ingest.rebalance_timeout_ms / 2000),
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
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            # aiokafka's fetcher, closing while it waits to reconnect to a broker that is
            # gone, re-raises the cancellation of its own task: the consumer is closed anyway.
            log.info("consumer closed while Kafka was unreachable")

    async def fetch(self, stop: asyncio.Event | None = None) -> IncomingBatch:
        """The next batch (possibly empty), decoded and validated, with its partitions' epochs.

        Setting `stop` ends the wait for records at once, with an empty batch.
        """
        before = self._epochs.now()
        try:
            records = await self._fetch(stop)
        except KafkaError as error:
            raise IngestError(
                f"fetching from {self._ingest.topic!r} failed: {error!r}",
                retriable=error.retriable,
            ) from error
        # A partition revoked during the fetch is read again from its committed offset once
        # it is assigned again: what this fetch brought of it is not ours.
        epochs = {
            (tp.topic, tp.partition): before.get((tp.topic, tp.partition), 0) for tp in records
        }
        ours = self._epochs.unchanged(epochs)
        assigned = self._consumer.assignment()
        kept: dict[TopicPartition, list[Any]] = {}
        for tp, messages in records.items():
            if (tp.topic, tp.partition) in ours and tp in assigned:
                kept[tp] = messages
            elif tp in assigned and messages:
                await self._read_again(tp, messages[0].offset)
        return self._decode(kept, epochs)

    async def _read_again(self, tp: TopicPartition, offset: int) -> None:
        """Moves the partition's position back to `offset` if it is past it. Records dropped as
        fetched before a rebalance may have been fetched after it, from the new assignment's
        position: without this, the position would be past them and they would be skipped
        (and committed over by the next batch). Records of the old assignment are before the
        new position (read from the committed offset): it stays as it is."""
        try:
            position = await self._consumer.position(tp)
        except IllegalStateError:  # revoked again meanwhile: its next owner reads it
            return
        if offset < position:
            log.info("records fetched across a rebalance are read again",
                     partition=str(tp), offset=offset, position=position)  # fmt: skip
            self._consumer.seek(tp, offset)

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Fetches nothing while open, but goes on polling: aiokafka counts a member that has
        not polled for max_poll_interval_ms as dead and leaves the group."""
        self._fetching_paused = True
        self._consumer.pause(*self._consumer.assignment())
        polling = asyncio.create_task(self._keep_polling())
        try:
            yield
        finally:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            self._fetching_paused = False
            self._consumer.resume(*self._consumer.assignment())

    def paused_partitions(self) -> int:
        """How many assigned partitions fetching is paused on now."""
        return len(self._consumer.paused())

    async def claim(
        self, batch: IncomingBatch, results: Sequence[T]
    ) -> tuple[IncomingBatch, list[T]]:
        """The part of the batch on partitions still ours, with its per-article `results`.

        Call it after the slow work and before the first write: from then until `unclaim()`,
        a rebalance waits (up to half the rebalance timeout) for the commit. The records of
        partitions revoked since the fetch are dropped: their new owner reads them from the
        last commit, so no two members write them.
        """
        if not self._claimed.locked():
            await self._claimed.acquire()
        owned = self._owned_partitions(batch)
        kept = [
            (article, result)
            for article, result in zip(batch.articles, results, strict=True)
            if _partition(article.position) in owned
        ]
        positions = [item.position for item in batch.articles] + [
            letter.position for letter in batch.dead_letters
        ]
        dropped = {_partition(position) for position in positions} - owned
        if not dropped:
            return batch, list(results)
        log.info(
            "leaving the records of revoked partitions to their new owner",
            partitions=sorted(f"{topic}-{partition}" for topic, partition in dropped),
        )
        return (
            IncomingBatch(
                articles=[article for article, _ in kept],
                dead_letters=[
                    letter for letter in batch.dead_letters if _partition(letter.position) in owned
                ],
                next_offsets={
                    key: offset for key, offset in batch.next_offsets.items() if key in owned
                },
                lag={key: lag for key, lag in batch.lag.items() if key in owned},
                epochs={key: epoch for key, epoch in batch.epochs.items() if key in owned},
            ),
            [result for _, result in kept],
        )

    def unclaim(self) -> None:
        """Lets revocations go ahead again: the claimed batch is committed, or failed with
        nothing of it committed (`claim()` it again before the next attempt writes)."""
        if self._claimed.locked():
            self._claimed.release()

    def _owned_partitions(self, batch: IncomingBatch) -> set[tuple[str, int]]:
        """The batch's partitions still assigned and not revoked since it was fetched."""
        return self.assigned() & self._epochs.unchanged(batch.epochs)

    async def _keep_polling(self) -> None:
        """Polls (fetching nothing) while fetching is paused, so the member stays alive."""
        interval_s = min(5.0, self._ingest.max_poll_interval_ms / 4000)
        while True:
            await asyncio.sleep(interval_s)
            # Partitions assigned by a rebalance meanwhile start unpaused.
            self._consumer.pause(*self._consumer.assignment())
            try:
                records = await asyncio.wait_for(self._consumer.getmany(timeout_ms=0), interval_s)
            except (KafkaError, TimeoutError):
                continue  # the next fetch of the service loop reports a lasting failure
            for tp, messages in records.items():
                if messages:  # fetched before the pause took effect: read it again later
                    self._consumer.seek(tp, messages[0].offset)

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
        backoff_s = _COMMIT_BACKOFF_S
        while True:
            owned = self._owned_partitions(batch)
            offsets = {
                TopicPartition(topic, partition): offset
                for (topic, partition), offset in batch.next_offsets.items()
                if (topic, partition) in owned
            }
            if not offsets:
                return
            try:
                await self._consumer.commit(offsets)
            except KafkaError as error:
                if not error.retriable:
                    raise IngestError(
                        f"could not commit offsets {batch.next_offsets} for group "
                        f"{self._ingest.group_id!r}: {error!r}. The batch will be redelivered "
                        "and overwrite the same documents.",
                        retriable=False,
                    ) from error
                # The broker is away or the group is moving: what is indexed stays indexed,
                # so wait for the broker rather than redo the batch.
                if backoff_s == _COMMIT_BACKOFF_S:  # once per commit: the outage logs itself
                    log.warning("commit failed; will retry", error=repr(error))
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, _COMMIT_MAX_BACKOFF_S)
            else:
                return

    def assigned(self) -> set[tuple[str, int]]:
        """The (topic, partition) pairs this member reads now."""
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    async def ping(self) -> None:
        """Raises IngestError unless the cluster answers a metadata request."""
        try:
            await asyncio.wait_for(self._consumer.topics(), timeout=5)
        except (KafkaError, TimeoutError) as error:
            raise IngestError(f"Kafka does not answer: {error!r}", retriable=True) from error

    def _decode(
        self, records: dict[TopicPartition, list[Any]], epochs: dict[tuple[str, int], int]
    ) -> IncomingBatch:
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
            epochs={key: epochs[key] for key in next_offsets},
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


def _partition(position: KafkaPosition) -> tuple[str, int]:
    return (position.topic, position.partition)
