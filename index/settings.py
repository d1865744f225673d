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
    story_window_h: float = Field(
        default=72.0,
        gt=0,
        description="How far back (by ingestion time) a new article looks for earlier copies "
        "of its story to share their story_id.",
    )
    retry_deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a batch is retried on 429/5xx/connection errors before the "
        "service stops without committing.",
    )
    breaker_min_refused: int = Field(
        default=5,
        ge=1,
        description="Refusals of a batch for one reason (error type and field) that stop the "
        "service, when they are also more than breaker_refused_fraction of it: a problem of "
        "the index, not of the articles. Fewer are dead-lettered.",
    )
    breaker_refused_fraction: float = Field(
        default=0.5,
        ge=0,
        lt=1,
        description="Share of a batch's documents that, refused for one reason, stops the "
        "service instead of dead-lettering them.",
    )


class AlertSettings(BaseModel):
    """Saved-search alerts: where rules and alerts live, and how alerts are delivered."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = Field(
        default=True, description="Match each new article against the rules and alert."
    )
    rules_index: str = Field(default="wirewatch-rules", description="Index of the alert rules.")
    alerts_index: str = Field(
        default="wirewatch-alerts", description="Index of the alerts, one per rule and story."
    )
    alerts_topic: str = Field(
        default="wirewatch.alerts", description="Kafka topic every alert is published to."
    )
    rules_refresh_interval_ms: int = Field(
        default=1000,
        gt=0,
        description="How often a running service checks the rules index for changes.",
    )
    max_rules: int = Field(
        default=10_000, gt=0, le=10_000, description="Rules loaded at most (enabled ones)."
    )
    delivery_queue_size: int = Field(
        default=1000,
        gt=0,
        description="Alerts waiting for delivery at most; beyond, they wait in the alerts "
        "index for the next recovery pass.",
    )
    delivery_workers: int = Field(
        default=4, gt=0, description="Alerts delivered concurrently (a slow webhook holds one)."
    )
    webhook_timeout_s: float = Field(
        default=5.0, gt=0, description="Limit of one webhook request, connecting to answer."
    )
    webhook_max_attempts: int = Field(
        default=5,
        gt=0,
        description="Tries per destination (Kafka or a webhook) and alert before the "
        "delivery counts as failed.",
    )
    webhook_initial_backoff_ms: int = Field(
        default=500, ge=0, description="Wait before the second try; doubles each try."
    )
    webhook_max_backoff_ms: int = Field(
        default=30_000, ge=0, description="Longest wait between two tries."
    )
    recovery_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="How often alerts still pending delivery (a full queue, a crash) are "
        "picked up again.",
    )
    recovery_grace_s: float = Field(
        default=60.0,
        ge=0,
        description="Age an alert's pending delivery must reach before a recovery pass takes "
        "it over, so that an instance still delivering it is not doubled; also how long one "
        "replica's claim on an alert keeps the others from delivering it too.",
    )
