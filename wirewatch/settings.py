"""The one settings object, read from WIREWATCH_* environment variables.

Nested sections use a double underscore: WIREWATCH_INDEX__ELASTICSEARCH_URL,
WIREWATCH_KAFKA__BOOTSTRAP_SERVERS, WIREWATCH_ENRICH__MODEL, ...
"""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts import AlertSettings
from contracts import without_userinfo
from enrich import EnrichSettings
from index import IndexSettings
from ingest import IngestSettings, KafkaSettings


class ServiceSettings(BaseModel):
    """The running process: its HTTP port (probes, metrics, the rules API), logs and shutdown.

    The rules and alerts API takes bearer tokens of two roles: read (GET /rules, /alerts) and
    write (also POST and DELETE /rules). Each role's tokens come from its variable, its file,
    or both, several separated by commas or newlines (for rotation). On an address other than
    loopback at least one token is required; on loopback without any the API is open.
    """

    model_config = ConfigDict(frozen=True)

    http_host: str = Field(
        default="127.0.0.1",
        description="Address of /metrics, the probes and the rules API; another than loopback "
        "needs API tokens.",
    )
    http_port: int = Field(default=9464, ge=0, le=65535)
    api_read_tokens: SecretStr | None = Field(
        default=None,
        description="Bearer tokens that may read the rules and alerts API (GET /rules, "
        "/alerts), comma-separated.",
    )
    api_write_tokens: SecretStr | None = Field(
        default=None,
        description="Bearer tokens that may also add and remove rules (POST, DELETE /rules), "
        "comma-separated.",
    )
    api_read_tokens_file: Path | None = Field(
        default=None,
        description="File of read tokens, one a line (a mounted Kubernetes Secret); read at start.",
    )
    api_write_tokens_file: Path | None = Field(
        default=None, description="File of write tokens, one a line; read at start."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="'auto' is readable in a terminal and JSON elsewhere."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Time the batch being written gets to finish on SIGTERM; those still being "
        "enriched or queued are left uncommitted and redelivered.",
    )
    pipeline_max_batches: int = Field(
        default=2,
        gt=0,
        description="Batches waiting at most in each queue of the pipeline (before enrichment, "
        "before the write); fetching pauses while the first is full.",
    )
    enrich_chunk_max_records: int = Field(
        default=16,
        gt=0,
        description="Articles of a chunk: a batch's chunks go to the enrichment workers at once, "
        "and a stop gives up those not yet started.",
    )
    enrich_chunk_max_bytes: int = Field(
        default=65_536, gt=0, description="Message bytes of a chunk (a longer message alone)."
    )
    probe_timeout_ms: int = Field(
        default=2000,
        gt=0,
        description="Time each dependency gets to answer /readyz (all are probed at once); "
        "keep it below the probe's own timeout.",
    )
    stall_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="/healthz fails once one attempt at a batch has lasted this long (a "
        "wedged loop); above WIREWATCH_INDEX__RETRY_DEADLINE_S plus a batch's enrichment.",
    )
    startup_initial_backoff_ms: int = Field(
        default=500,
        gt=0,
        description="Wait after the first failed try to reach Elasticsearch (or Kafka) at "
        "start; doubles each try.",
    )
    startup_max_backoff_ms: int = Field(
        default=30_000, gt=0, description="Longest wait between two tries at start."
    )


class StackSettings(BaseModel):
    """The local Kafka and Elasticsearch that `wirewatch stack up` runs for development and tests.

    Their ports are those of `kafka.bootstrap_servers` and `index.elasticsearch_url` when
    these point at this machine; a remote address means "use that one, start nothing".
    """

    model_config = ConfigDict(frozen=True)

    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "wirewatch",
        description="Downloaded server distributions, shared by every stack.",
    )
    state_dir: Path = Field(
        default=Path(".wirewatch") / "stack",
        description="Data, logs and pid files of this stack.",
    )
    kafka_version: str = "4.4.0"
    elasticsearch_version: str = "9.2.8"
    kafka_heap_mb: int = Field(default=512, gt=0)
    elasticsearch_heap_mb: int = Field(default=1024, gt=0)
    startup_timeout_s: float = Field(default=180.0, gt=0)
    elasticsearch_user: str = Field(
        default="nobody",
        description="Unprivileged user that runs Elasticsearch when wirewatch runs as root.",
    )
    secure: bool = Field(
        default=False,
        description="Run both servers as a production cluster would: TLS with a CA of the "
        "stack's own, Kafka SASL/SCRAM users and Elasticsearch security with a user; "
        "`wirewatch stack env` prints the WIREWATCH_* variables a client needs.",
    )


class Settings(BaseSettings):
    """Everything wirewatch can be told, one section per stage."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    kafka: KafkaSettings = KafkaSettings()
    ingest: IngestSettings = IngestSettings()
    enrich: EnrichSettings = EnrichSettings()
    index: IndexSettings = IndexSettings()
    alerts: AlertSettings = AlertSettings()
    service: ServiceSettings = ServiceSettings()
    stack: StackSettings = StackSettings()

    @model_validator(mode="after")
    def _stall_outlasts_a_write(self) -> "Settings":
        # A write retried up to its deadline is not a wedged loop: /healthz must not fail
        # (and have the pod restarted) while one is still legitimately under way.
        if self.service.stall_timeout_s <= self.index.retry_deadline_s:
            raise ValueError(
                f"WIREWATCH_SERVICE__STALL_TIMEOUT_S ({self.service.stall_timeout_s:g}) must "
                f"exceed WIREWATCH_INDEX__RETRY_DEADLINE_S ({self.index.retry_deadline_s:g}): "
                "a batch may retry its write that long"
            )
        return self

    def masked(self) -> dict[str, Any]:
        """The settings as JSON-able data, secrets shown as '**********'.

        Credentials written into a URL (http://user:password@host) are masked too.
        """
        data = self.model_dump(mode="json")
        index = data["index"]
        index["elasticsearch_url"] = without_userinfo(index["elasticsearch_url"])
        return data
