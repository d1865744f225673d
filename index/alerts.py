"""Alerts: one per rule and story, created once, with the state of each delivery.

The alerts index is the outbox: an alert is written before it is delivered, its deliveries
start `pending`, and whatever is still pending after a crash or a full queue is picked up by
a recovery pass. Its id is derived from (rule, story), so redeliveries, restarts, replays
and near-duplicate copies of a story all collapse into the one alert.
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Self

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError
from pydantic import BaseModel, ConfigDict, Field

from contracts.redact import masked_url
from index.bulk import ItemFate, describe_item_error, fate
from index.documents import ArticleDocument
from index.errors import IndexingError
from index.retry import StillPending, index_retry_policy
from index.rules import Rule, ensure_index
from index.settings import AlertSettings, IndexSettings

log = structlog.get_logger(__name__)

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


class AlertStore:
    """The alerts index: create-once writes, delivery state, recent and pending alerts."""

    def __init__(
        self, client: AsyncElasticsearch, settings: AlertSettings, index: IndexSettings
    ) -> None:
        self.client = client
        self.index = settings.alerts_index
        self._retry = index

    async def setup(self) -> None:
        """Creates the alerts index with its strict mapping if missing."""
        await ensure_index(self.client, self.index, alerts_mappings())

    async def create_many(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Writes each alert unless one with its id exists; returns those written now.

        An existing id (409) means this rule already alerted on this story: not new. 429, 5xx
        and connection failures are retried until the index retry deadline, then raise a
        retriable IndexingError; a refusal of the index itself (credentials, a closed or
        blocked index) raises a final one; other refusals are logged and the alert dropped.
        """
        pending = list({alert.id: alert for alert in alerts}.values())
        if not pending:
            return []
        created: list[Alert] = []
        try:
            async for attempt in index_retry_policy(self._retry):
                with attempt:
                    done, pending = await self._create(pending)
                    created.extend(done)
                    if pending:
                        raise StillPending(f"{len(pending)} alert(s) still pending")  # noqa: TRY301
        except StillPending as error:
            raise IndexingError(
                f"could not write {len(pending)} alert(s) to {self.index!r} within "
                f"{self._retry.retry_deadline_s:.0f} s: {error}. Check the cluster's health.",
                retriable=True,
            ) from error
        return created

    async def _create(self, alerts: list[Alert]) -> tuple[list[Alert], list[Alert]]:
        """One bulk pass: the alerts created, and those to try again."""
        operations: list[dict[str, Any]] = []
        for alert in alerts:
            operations += [{"create": {"_index": self.index, "_id": alert.id}}, alert.summary()]
        try:
            response = await self.client.bulk(operations=operations)
        except ApiError as error:
            raise IndexingError(
                f"bulk write to {self.index!r} failed: {error}", retriable=error.meta.status >= 500
            ) from error
        except TransportError as error:
            raise IndexingError(
                f"bulk write to {self.index!r} failed: {error}", retriable=True
            ) from error
        created: list[Alert] = []
        retry: list[Alert] = []
        for alert, item in zip(alerts, response["items"], strict=True):
            result = item["create"]
            status = result.get("status")
            if status == 201:
                created.append(alert)
            elif status == 409:
                continue
            elif (outcome := fate(False, status, result.get("error"))) is ItemFate.ABORT:
                # About the alerts index, not this alert: every later alert would be lost too.
                raise IndexingError(
                    f"Elasticsearch refused writes to {self.index!r} (status {status}): "
                    f"{describe_item_error(result.get('error'))}. Check the credentials and "
                    "whether the index is closed or blocked; the batch is not committed."
                )
            elif outcome is ItemFate.RETRY:
                retry.append(alert)
            else:
                log.error("alert refused by Elasticsearch", alert_id=alert.id,
                          rule_id=alert.rule_id, article_id=alert.article_id, status=status,
                          error=describe_item_error(result.get("error")))  # fmt: skip
        return created, retry

    async def withdraw(self, alerts: Sequence[Alert]) -> list[str]:
        """Deletes those of the alerts stored for the same article as given and not yet
        tried anywhere: alerts recorded for an article the index then refused. Returns the
        ids deleted; an alert another copy of the story owns, or one already sent, stays."""
        withdrawn: list[str] = []
        for alert in alerts:
            try:
                found = await self.client.options(ignore_status=404).get(
                    index=self.index, id=alert.id
                )
                if not found.body.get("found"):
                    continue
                stored = Alert.model_validate(found["_source"])
                if stored.article_id != alert.article_id or any(
                    delivery.attempts for delivery in stored.deliveries
                ):
                    continue
                await self.client.options(ignore_status=(404, 409)).delete(
                    index=self.index,
                    id=alert.id,
                    if_seq_no=found["_seq_no"],
                    if_primary_term=found["_primary_term"],
                )
            except (ApiError, TransportError) as error:
                raise IndexingError(
                    f"could not withdraw alert {alert.id!r} from {self.index!r}: {error}",
                    retriable=isinstance(error, TransportError),
                ) from error
            withdrawn.append(alert.id)
        return withdrawn

    async def save_deliveries(self, alert: Alert) -> None:
        """Records the state of the alert's deliveries and when the deferred ones are due."""
        try:
            await self.client.update(
                index=self.index,
                id=alert.id,
                doc=alert.model_dump(mode="json", include={"deliveries", "retry_at"}),
                retry_on_conflict=3,
            )
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not record the delivery state of alert {alert.id!r} in {self.index!r}: "
                f"{error}",
                retriable=isinstance(error, TransportError),
            ) from error

    async def claim(self, alert_id: str, *, now: datetime, lease_s: float) -> Alert | None:
        """Takes over the alert's pending deliveries for `lease_s` seconds; returns the alert as
        now stored, or None when nothing is left to deliver, another instance holds them, or
        they are deferred to a later time.

        The claim stamps the pending deliveries' `updated_at` with a compare-and-set on the
        alert's sequence number, so of instances claiming at once exactly one wins, and the
        others leave the alert alone until the lease runs out (its holder crashed).
        """
        try:
            response = await self.client.options(ignore_status=404).get(
                index=self.index, id=alert_id
            )
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not read alert {alert_id!r} from {self.index!r}: {error}",
                retriable=isinstance(error, TransportError),
            ) from error
        if not response.body.get("found"):
            return None
        alert = Alert.model_validate(response["_source"])
        if (
            not alert.pending
            or alert.waiting(now)
            or alert.held_after(now - timedelta(seconds=lease_s))
        ):
            return None
        claimed = alert.held(now)
        try:
            await self.client.update(
                index=self.index,
                id=alert_id,
                doc={
                    "deliveries": [
                        delivery.model_dump(mode="json") for delivery in claimed.deliveries
                    ]
                },
                if_seq_no=response["_seq_no"],
                if_primary_term=response["_primary_term"],
            )
        except ConflictError:
            return None
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not claim alert {alert_id!r} in {self.index!r} for delivery: {error}",
                retriable=isinstance(error, TransportError),
            ) from error
        return claimed

    async def recent(self, size: int = 20) -> list[Alert]:
        """The latest alerts, newest first (none if the index does not exist yet)."""
        return await self._search({"match_all": {}}, size)

    async def pending(
        self, matched_before: datetime, now: datetime, size: int = 100
    ) -> list[Alert]:
        """Alerts with a delivery still pending, oldest first: those matched before
        `matched_before` and never deferred, and those whose deferred deliveries are due."""
        fresh = {
            "bool": {
                "must_not": {"exists": {"field": "retry_at"}},
                "filter": {"range": {"matched_at": {"lt": matched_before.isoformat()}}},
            }
        }
        due = {"range": {"retry_at": {"lte": now.isoformat()}}}
        query = {
            "bool": {
                "filter": [
                    {"term": {"deliveries.state": "pending"}},
                    {"bool": {"should": [fresh, due], "minimum_should_match": 1}},
                ]
            }
        }
        return await self._search(query, size, newest_first=False)

    async def _search(
        self, query: dict[str, Any], size: int, *, newest_first: bool = True
    ) -> list[Alert]:
        order = "desc" if newest_first else "asc"
        try:
            response = await self.client.options(ignore_status=404).search(
                index=self.index, query=query, size=size,
                sort=[{"matched_at": order}, {"id": order}],
            )  # fmt: skip
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not read alerts from {self.index!r}: {error}. Is Elasticsearch running "
                "(`wirewatch stack status`)?",
                retriable=isinstance(error, TransportError),
            ) from error
        if response.meta.status == 404:
            return []
        return [Alert.model_validate(hit["_source"]) for hit in response["hits"]["hits"]]
