"""Settings of alerting: where rules and alerts live, how alerts are delivered and matched.

Nested in the one settings object as `settings.alerts` (WIREWATCH_ALERTS__* variables).
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alerts.egress import EgressPolicy
from matcher import QueryLimits


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
    webhook_allowed_destinations: list[str] = Field(
        default=[],
        description="Networks (CIDR or address) and exact host names webhooks may reach "
        'beyond public addresses, as a JSON list: \'["10.20.0.0/16", "hooks.internal"]\'. '
        "Loopback, link-local (cloud metadata), private, shared, unique-local, multicast and "
        "reserved addresses are refused otherwise, when a rule is saved and when it is sent.",
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
    delivery_retry_max_backoff_s: float = Field(
        default=600.0,
        gt=0,
        description="Longest wait between two recovery rounds of a delivery that keeps failing "
        "(the wait doubles from recovery_interval_s).",
    )
    delivery_retry_max_age_s: float = Field(
        default=21_600.0,
        ge=0,
        description="How long after its match an alert's failing delivery (webhook or Kafka "
        "down) is still retried by recovery passes before it is marked failed for good; 0: no "
        "retry beyond the first webhook_max_attempts tries.",
    )
    recovery_grace_s: float = Field(
        default=60.0,
        ge=0,
        description="Age an alert's pending delivery must reach before a recovery pass takes "
        "it over, so that an instance still delivering it is not doubled; also how long one "
        "replica's claim on an alert keeps the others from delivering it too.",
    )
    max_query_chars: int = Field(
        default=10_000,
        gt=0,
        le=10_000,
        description="Longest rule query accepted, in characters (the rules index keeps no longer).",
    )
    max_query_depth: int = Field(
        default=32,
        gt=0,
        le=100,
        description="Deepest nesting of a rule query accepted: each group in parentheses, "
        "operator, NOT/+/-, boost and field name is a level.",
    )
    max_query_clauses: int = Field(
        default=1024,
        gt=0,
        le=10_000,
        description="Most terms, phrases and range bounds in one rule query.",
    )
    max_query_wildcards: int = Field(
        default=32,
        ge=0,
        le=1024,
        description="Most wildcard and prefix terms (`x*`, `*x?y`) in one rule query.",
    )
    max_wildcard_chars: int = Field(
        default=1000,
        gt=0,
        le=10_000,
        description="Longest wildcard or prefix term accepted, in characters.",
    )
    match_budget_per_article_ms: float = Field(
        default=250.0,
        gt=0,
        description="Time the rules may take on one article; past it the rule being "
        "evaluated is stopped and the article's remaining rules are skipped (logged, counted "
        "in wirewatch_alert_matching_over_budget); that rule then goes after the others.",
    )
    match_budget_per_batch_ms: float = Field(
        default=10_000.0,
        gt=0,
        description="Time matching may take on one batch; past it the batch's remaining "
        "articles are not matched (logged and counted), so the batch is committed.",
    )

    @field_validator("webhook_allowed_destinations")
    @classmethod
    def _destinations_are_networks_or_names(cls, entries: list[str]) -> list[str]:
        EgressPolicy.allowing(entries)
        return entries

    def egress_policy(self) -> EgressPolicy:
        """Where webhooks may be sent: public addresses and the allowed destinations."""
        return EgressPolicy.allowing(self.webhook_allowed_destinations)

    def query_limits(self) -> QueryLimits:
        """The bounds a rule query must keep, as the matcher takes them."""
        return QueryLimits(
            max_query_chars=self.max_query_chars,
            max_query_depth=self.max_query_depth,
            max_query_clauses=self.max_query_clauses,
            max_query_wildcards=self.max_query_wildcards,
            max_wildcard_chars=self.max_wildcard_chars,
            settings_prefix="WIREWATCH_ALERTS__",
        )
