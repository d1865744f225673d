"""Settings of the Elasticsearch side."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class IndexSettings(BaseModel):
    """Where and how documents are written."""

    model_config = ConfigDict(frozen=True)

    elasticsearch_url: str = Field(
        default="http://127.0.0.1:9200", description="Comma-separated Elasticsearch node URLs."
    )
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    verify_certs: bool = True
    ca_certs: str | None = Field(default=None, description="Path to a CA bundle.")
    alias: str = Field(
        default="wirewatch-articles", description="Write alias and index-template name."
    )
    text_analyzer: str = Field(
        default="standard",
        description="Analyzer of title and body; 'english' on clusters that have it.",
    )
    number_of_shards: int = Field(default=1, gt=0)
    number_of_replicas: int = Field(default=0, ge=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    bulk_max_bytes: int = Field(default=10_485_760, gt=0, description="Bytes per bulk request.")
    retry_initial_backoff_ms: int = Field(default=200, ge=0)
    retry_max_backoff_ms: int = Field(default=10_000, ge=0)
    retry_deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a batch is retried on 429/5xx/connection errors before the "
        "service stops without committing.",
    )
