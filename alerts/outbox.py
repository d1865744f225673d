"""The alerts index, the outbox of delivery: create-once writes, delivery state, claims.

An alert is written before it is delivered, its deliveries `pending`; what a crash or a
full queue left pending is found here again by a recovery pass.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError

from alerts.records import Alert, alerts_mappings
from alerts.settings import AlertSettings
from index import (
    IndexingError,
    IndexSettings,
    ItemFate,
    StillPending,
    describe_item_error,
    ensure_index,
    fate,
    index_retry_policy,
)

log = structlog.get_logger(__name__)


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
