"""The one settings object, read from WIREWATCH_* environment variables.

Nested sections use a double underscore: WIREWATCH_INDEX__ELASTICSEARCH_URL,
WIREWATCH_KAFKA__BOOTSTRAP_SERVERS, WIREWATCH_ENRICH__MODEL, ...
"""

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from enrich.settings import EnrichSettings
from index.settings import AlertSettings, IndexSettings
from ingest.settings import IngestSettings, KafkaSettings

_USERINFO = re.compile(r"(//)[^/@,\s]+@")


class ServiceSettings(BaseModel):
    """The running process: its HTTP port, logs and shutdown."""

    model_config = ConfigDict(frozen=True)

    http_host: str = Field(default="127.0.0.1", description="Address of /metrics, /healthz.")
    http_port: int = Field(default=9464, ge=0, le=65535)
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="'auto' is readable in a terminal and JSON elsewhere."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Time the batch being written gets to finish on SIGTERM; one still being "
        "enriched stops at the next chunk and is redelivered.",
    )
    enrich_chunk_max_records: int = Field(
        default=16, gt=0, description="Articles enriched at once: a stop is heard between chunks."
    )
    enrich_chunk_max_bytes: int = Field(
        default=65_536, gt=0, description="Message bytes enriched at once (a longer one alone)."
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

    def masked(self) -> dict[str, Any]:
        """The settings as JSON-able data, secrets shown as '**********'.

        Credentials written into a URL (http://user:password@host) are masked too.
        """
        data = self.model_dump(mode="json")
        index = data["index"]
        index["elasticsearch_url"] = _USERINFO.sub(r"\1**********@", index["elasticsearch_url"])
        return data
