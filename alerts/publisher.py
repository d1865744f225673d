"""The alerts topic: each alert published once it is recorded, keyed by its id."""

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts import AsyncResource
from ingest import (
    IngestError,
    IngestSettings,
    KafkaSettings,
    client_options,
    describe_failure,
    ensure_topics,
)


class AlertPublisher(AsyncResource):
    """Publishes alert messages to one topic and waits for each acknowledgement (the
    deliverer's `TopicPublisher`).

    Idempotent with acks=all, so the producer's own retries never write one twice; a message
    resent after a crash carries the same key, which consumers deduplicate on.
    """

    def __init__(self, kafka: KafkaSettings, ingest: IngestSettings, topic: str) -> None:
        self.topic = topic
        self._kafka = kafka
        self._ingest = ingest
        # No linger: an alert is worth a request of its own, its latency is the point.
        self._producer = AIOKafkaProducer(
            **client_options(kafka), acks="all", enable_idempotence=True, linger_ms=0
        )

    async def _open(self) -> None:
        try:
            if self._ingest.create_topics:
                await ensure_topics(
                    self._kafka,
                    [self.topic],
                    partitions=self._ingest.topic_partitions,
                    replication_factor=self._ingest.topic_replication_factor,
                )
            await self._producer.start()
        except KafkaError as error:
            await self._producer.stop()
            raise IngestError(
                f"could not connect the alerts producer to Kafka at "
                f"{self._kafka.bootstrap_servers}: {await describe_failure(self._kafka, error)}",
                retriable=True,
            ) from error
        except BaseException:
            # The producer was made, never started: closed, so nothing is left unclosed.
            await self._producer.stop()
            raise

    async def _close(self) -> None:
        await self._producer.stop()

    async def publish(self, key: str, value: bytes) -> None:
        """Sends one message and returns once Kafka acknowledged it."""
        try:
            await self._producer.send_and_wait(self.topic, value=value, key=key.encode())
        except KafkaError as error:
            raise IngestError(
                f"could not publish alert {key!r} to {self.topic!r}: {error!r}",
                retriable=error.retriable,
            ) from error
