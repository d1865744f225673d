"""Settings of the Kafka side: where to read, where to dead-letter, how much at once."""

import socket
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class KafkaSettings(BaseModel):
    """Connection to the Kafka cluster."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of brokers."
    )
    client_id: str = "wirewatch"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    request_timeout_ms: int = Field(default=30_000, gt=0)


class IngestSettings(BaseModel):
    """What the consumer reads and how it hands work on."""

    model_config = ConfigDict(frozen=True)

    topic: str = "wirewatch.articles"
    dead_letter_topic: str = "wirewatch.articles.dlq"
    group_id: str = "wirewatch"
    create_topics: bool = Field(
        default=True, description="Create the articles and dead-letter topics if missing."
    )
    topic_partitions: int = Field(default=3, gt=0)
    topic_replication_factor: int = Field(default=1, gt=0)
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    max_batch_records: int = Field(default=256, gt=0, description="Records per batch at most.")
    fetch_max_wait_ms: int = Field(default=200, ge=0, description="Longest wait for a batch.")
    max_partition_fetch_bytes: int = Field(default=1_048_576, gt=0)
    session_timeout_ms: int = Field(
        default=10_000,
        gt=0,
        description="How long the group waits for a silent member (a crashed process) before "
        "giving its partitions to the others.",
    )
    heartbeat_interval_ms: int = Field(
        default=3_000, gt=0, description="Heartbeats per session: a third of the session or less."
    )
    max_poll_interval_ms: int = Field(
        default=300_000,
        gt=0,
        description="Longest pause between fetches; a long batch polls (fetching nothing) "
        "while it is worked on, so it need not fit in this.",
    )
    rebalance_timeout_ms: int = Field(
        default=60_000,
        gt=0,
        description="How long the group waits for members to rejoin in a rebalance. The batch "
        "being written when one starts gets half of it to commit; a batch still being "
        "enriched leaves the revoked partitions' records to their new owner.",
    )
    group_instance_id: str | None = Field(
        default=None,
        description="Static group membership: a restarted process with the same id gets its "
        "partitions back at once, without a rebalance. Unique per process (two with one id "
        "fence each other): e.g. a StatefulSet's pod name; '{hostname}' is replaced by the "
        "host name. Unset: dynamic membership.",
    )

    def instance_id(self) -> str | None:
        """The static member id, placeholders replaced, or None for dynamic membership."""
        if self.group_instance_id is None:
            return None
        return self.group_instance_id.replace("{hostname}", socket.gethostname())
