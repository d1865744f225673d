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
    refresh_interval_ms: int = Field(
        default=500,
        ge=100,
        description="How soon a written article is searchable (the articles index's refresh "
        "interval). Shorter makes Elasticsearch write more, smaller segments under a firehose.",
    )
    request_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Limit of one request to Elasticsearch, connecting to answer; it holds "
        "when the server hangs.",
    )
    max_retries: int = Field(
        default=1,
        ge=0,
        description="Times the client tries a request again (on another node if there is "
        "one) after a refused connection, a timeout, 429 or 502-504: one call lasts at most "
        "request_timeout_s x (1 + max_retries).",
    )
    bulk_max_bytes: int = Field(default=10_485_760, gt=0, description="Bytes per bulk request.")
    retry_initial_backoff_ms: int = Field(default=200, ge=0)
    retry_max_backoff_ms: int = Field(default=10_000, ge=0)
    story_window_h: float = Field(
        default=72.0,
        gt=0,
        description="How long a story takes in copies after its first one is seen: a later "
        "near-duplicate starts a story of its own.",
    )
    stories_index: str = Field(
        default="wirewatch-stories",
        description="Index that decides story ids: one create-only document per band key, so "
        "replicas handling copies of one story at once agree on its id.",
    )
    retry_deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a write is retried on 429/5xx/connection errors before it "
        "counts as an outage: the service then holds the batch, reports not-ready and goes on "
        "retrying it until Elasticsearch accepts it, committing nothing meanwhile.",
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

    @property
    def call_deadline_s(self) -> float:
        """The longest one Elasticsearch call lasts, its client-side retries included."""
        return self.request_timeout_s * (1 + self.max_retries)
