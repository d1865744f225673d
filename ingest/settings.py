"""Settings of the Kafka side: where to read, where to dead-letter, how much at once."""

import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

_TLS = ("SSL", "SASL_SSL")
_SASL = ("SASL_PLAINTEXT", "SASL_SSL")


class KafkaSettings(BaseModel):
    """Connection to the Kafka cluster."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of brokers."
    )
    client_id: str = "wirewatch"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="SSL: TLS (with a client certificate for mutual TLS); SASL_SSL: TLS and "
        "a SASL user; SASL_PLAINTEXT needs allow_plaintext_sasl.",
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="Required with the SASL_* protocols."
    )
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    allow_plaintext_sasl: bool = Field(
        default=False,
        description="Allow SASL_PLAINTEXT: without TLS, PLAIN sends the password in clear and "
        "with SCRAM the session is readable and the broker unauthenticated.",
    )
    ssl_cafile: Path | None = Field(
        default=None,
        description="PEM file of the CA(s) that signed the brokers' certificates; unset: the "
        "system's trusted CAs.",
    )
    ssl_certfile: Path | None = Field(
        default=None,
        description="PEM client certificate for mutual TLS (with its chain; may hold the key).",
    )
    ssl_keyfile: Path | None = Field(
        default=None, description="PEM private key of ssl_certfile, if not in that file."
    )
    ssl_keyfile_password: SecretStr | None = Field(
        default=None, description="Password of an encrypted ssl_keyfile."
    )
    ssl_check_hostname: bool = Field(
        default=True,
        description="Check that each broker's certificate names the host connected to (the "
        "certificate is verified against the CAs either way).",
    )
    request_timeout_ms: int = Field(default=30_000, gt=0)

    @model_validator(mode="after")
    def _coherent_security(self) -> "KafkaSettings":
        # A setting that would be silently ignored is a mistake worth stopping on: the user
        # believes the connection is protected in a way it is not.
        protocol = self.security_protocol
        if protocol in _SASL:
            if self.sasl_mechanism is None:
                raise ValueError(
                    f"WIREWATCH_KAFKA__SECURITY_PROTOCOL is {protocol}: set "
                    "WIREWATCH_KAFKA__SASL_MECHANISM (SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN)"
                )
            if not self.sasl_username or self.sasl_password is None:
                raise ValueError(
                    f"SASL {self.sasl_mechanism} needs a user: set WIREWATCH_KAFKA__SASL_USERNAME "
                    "and WIREWATCH_KAFKA__SASL_PASSWORD"
                )
        elif self.sasl_mechanism is not None or self.sasl_username or self.sasl_password:
            raise ValueError(
                f"WIREWATCH_KAFKA__SASL_* is set but WIREWATCH_KAFKA__SECURITY_PROTOCOL is "
                f"{protocol}, which does not use SASL: set it to SASL_SSL"
            )
        if protocol == "SASL_PLAINTEXT" and not self.allow_plaintext_sasl:
            exposed = (
                "sends the password in clear"
                if self.sasl_mechanism == "PLAIN"
                else "leaves every message readable and the broker unauthenticated"
            )
            raise ValueError(
                f"SASL {self.sasl_mechanism} over SASL_PLAINTEXT {exposed}: use "
                "WIREWATCH_KAFKA__SECURITY_PROTOCOL=SASL_SSL, or set "
                "WIREWATCH_KAFKA__ALLOW_PLAINTEXT_SASL=true on a network you trust"
            )
        tls_only = {
            "SSL_CAFILE": self.ssl_cafile,
            "SSL_CERTFILE": self.ssl_certfile,
            "SSL_KEYFILE": self.ssl_keyfile,
            "SSL_KEYFILE_PASSWORD": self.ssl_keyfile_password,
        }
        given = [name for name, value in tls_only.items() if value is not None]
        if given and protocol not in _TLS:
            raise ValueError(
                f"WIREWATCH_KAFKA__{given[0]} is set but WIREWATCH_KAFKA__SECURITY_PROTOCOL is "
                f"{protocol}, which does not use TLS: set it to SSL or SASL_SSL"
            )
        if (self.ssl_keyfile or self.ssl_keyfile_password) and self.ssl_certfile is None:
            raise ValueError(
                "WIREWATCH_KAFKA__SSL_KEYFILE / SSL_KEYFILE_PASSWORD need the certificate they "
                "belong to: set WIREWATCH_KAFKA__SSL_CERTFILE"
            )
        return self


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
