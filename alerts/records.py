"""Alerts: one per rule and story, created once, with the state of each delivery.

The alerts index (alerts/outbox.py) is the outbox: an alert is written before it is
delivered, its deliveries start `pending`, and whatever is still pending after a crash or a
full queue is picked up by a recovery pass. Its id is derived from (rule, story), so
redeliveries, restarts, replays and near-duplicate copies of a story all collapse into the
one alert.
"""

import hashlib
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from alerts.rules import Rule
from contracts import masked_url
from index import ArticleDocument

DeliveryState = Literal["pending", "delivered", "failed"]
KAFKA = "kafka"


def alert_id(rule_id: str, story_id: str) -> str:
    """The alert's `_id`: the same for every copy of one story under one rule."""
    # A separator that cannot occur in either part keeps ("a", "bc") apart from ("ab", "c").
    return hashlib.sha256(f"{rule_id}\x00{story_id}".encode()).hexdigest()[:32]


def webhook_destination(position: int) -> str:
    """The name of a rule's `position`-th webhook among an alert's deliveries."""
    return f"webhook:{position}"


class Delivery(BaseModel):
    """Where one alert goes, and how far it got."""

    model_config = ConfigDict(frozen=True)

    destination: str = Field(description="'kafka', or 'webhook:N' for the rule's N-th webhook.")
    target: str = Field(description="The topic, or the webhook URL masked.")
    state: DeliveryState = "pending"
    attempts: int = Field(default=0, ge=0)
    rounds: int = Field(
        default=0, ge=0, description="Rounds of tries that failed and left it for a later one."
    )
    last_error: str | None = None
    updated_at: datetime | None = None

    @property
    def kind(self) -> str:
        """'kafka' or 'webhook'."""
        return self.destination.split(":", 1)[0]

    def succeeded(self, attempts: int, at: datetime) -> Self:
        """This delivery after it got through on attempt number `attempts`."""
        return self.model_copy(
            update={
                "state": "delivered",
                "attempts": attempts,
                "last_error": None,
                "updated_at": at,
            }
        )

    def deferred(self, attempts: int, error: str, at: datetime) -> Self:
        """This delivery after a round of tries failed with `error`, left pending for a
        recovery pass to try again."""
        return self.model_copy(
            update={
                "attempts": attempts,
                "rounds": self.rounds + 1,
                "last_error": error[:1000],
                "updated_at": at,
            }
        )

    def gave_up(self, attempts: int, error: str, at: datetime) -> Self:
        """This delivery after its last attempt failed with `error`."""
        return self.model_copy(
            update={
                "state": "failed",
                "attempts": attempts,
                "last_error": error[:1000],
                "updated_at": at,
            }
        )


class Alert(BaseModel):
    """A rule matched a new story."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    rule_name: str
    query: str
    article_id: str
    story_id: str
    title: str
    url: str | None
    source: str
    published_at: datetime
    matched_at: datetime
    article_received_at: datetime | None = Field(
        default=None, description="When the article arrived in Kafka; none when offline."
    )
    deliveries: list[Delivery] = Field(default_factory=list)
    retry_at: datetime | None = Field(
        default=None,
        description="When a recovery pass may try its deferred deliveries again; none while "
        "none waits.",
    )

    @property
    def pending(self) -> list[Delivery]:
        """The deliveries not yet delivered nor given up on."""
        return [delivery for delivery in self.deliveries if delivery.state == "pending"]

    def with_delivery(self, updated: Delivery) -> Self:
        """This alert with one delivery's state replaced."""
        return self.model_copy(
            update={
                "deliveries": [
                    updated if delivery.destination == updated.destination else delivery
                    for delivery in self.deliveries
                ]
            }
        )

    def held(self, at: datetime) -> Self:
        """This alert with its pending deliveries stamped as taken on at `at`: a lease that
        keeps other instances from delivering them too until it runs out."""
        return self.model_copy(
            update={
                "deliveries": [
                    delivery.model_copy(update={"updated_at": at})
                    if delivery.state == "pending"
                    else delivery
                    for delivery in self.deliveries
                ]
            }
        )

    def held_after(self, moment: datetime) -> bool:
        """Whether an instance took on a pending delivery of this alert after `moment`.

        Deliveries deferred to `retry_at` are held by no one: the round that deferred them
        stamped them before that time, a claim taking them on stamps them after it.
        """
        return any(
            delivery.updated_at is not None
            and delivery.updated_at > moment
            and (self.retry_at is None or delivery.updated_at >= self.retry_at)
            for delivery in self.pending
        )

    def waiting(self, now: datetime) -> bool:
        """Whether its deferred deliveries are not due before a later time than `now`."""
        return self.retry_at is not None and self.retry_at > now

    def summary(self) -> dict[str, Any]:
        """The alert as JSON-able data: its `_source`, and what `wirewatch alerts --json` prints."""
        return self.model_dump(mode="json")

    def message(self) -> dict[str, Any]:
        """What the Kafka topic and webhooks carry: the alert without its delivery state."""
        return self.model_dump(mode="json", exclude={"deliveries"})


def new_alert(
    rule: Rule,
    document: ArticleDocument,
    *,
    matched_at: datetime,
    received_at: datetime | None,
    topic: str,
) -> Alert:
    """The alert for `document` matching `rule`, every delivery pending."""
    deliveries = [Delivery(destination=KAFKA, target=topic)]
    deliveries += [
        Delivery(destination=webhook_destination(position), target=masked_url(url))
        for position, url in enumerate(rule.webhook_urls())
    ]
    return Alert(
        id=alert_id(rule.id, document.story_id),
        rule_id=rule.id,
        rule_name=rule.name,
        query=rule.query,
        article_id=document.id,
        story_id=document.story_id,
        title=document.title,
        url=document.url,
        source=document.source,
        published_at=document.published_at,
        matched_at=matched_at,
        article_received_at=received_at,
        deliveries=deliveries,
    )


_KEYWORD = {"type": "keyword", "ignore_above": 1024}


def alerts_mappings() -> dict[str, Any]:
    """The strict mapping of the alerts index (Kibana's alerts view uses `matched_at`)."""
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "rule_id": {"type": "keyword"},
            "rule_name": {"type": "text", "fields": {"keyword": _KEYWORD}},
            "query": {"type": "keyword", "ignore_above": 10_000},
            "article_id": {"type": "keyword"},
            "story_id": {"type": "keyword"},
            "title": {"type": "text", "fields": {"keyword": _KEYWORD}},
            "url": {"type": "keyword", "ignore_above": 8192},
            "source": _KEYWORD,
            "published_at": {"type": "date"},
            "matched_at": {"type": "date"},
            "article_received_at": {"type": "date"},
            "retry_at": {"type": "date"},
            "deliveries": {
                "properties": {
                    "destination": {"type": "keyword"},
                    "target": _KEYWORD,
                    "state": {"type": "keyword"},
                    "attempts": {"type": "integer"},
                    "rounds": {"type": "integer"},
                    "last_error": {"type": "text"},
                    "updated_at": {"type": "date"},
                }
            },
        },
    }
