"""Alert rules: saved Lucene searches, stored in Elasticsearch, matched in-process.

`RuleStore` manages the rules index (the CLI and the HTTP API use it); the rule book
(alerts/book.py) is what a running service matches against.
"""

import asyncio
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)

from alerts.egress import EgressPolicy, EgressRefusedError
from alerts.errors import InvalidRuleError, RuleNotFoundError
from alerts.settings import AlertSettings
from contracts import masked_url
from index import IndexingError, ensure_index, mappings, refused_access
from matcher import Catalog, CompiledQuery, compile_query

log = structlog.get_logger(__name__)

_MAX_URL_CHARS = 2048


def _webhook_url(value: SecretStr) -> SecretStr:
    url = value.get_secret_value().strip()
    if len(url) > _MAX_URL_CHARS or any(character.isspace() for character in url):
        raise ValueError(f"must be a URL without spaces, at most {_MAX_URL_CHARS} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number in 0-65535)
    except ValueError as error:
        raise ValueError(f"has an invalid port: {error}") from error
    return SecretStr(url)


# Webhook URLs carry their credentials (Slack's path is the token): SecretStr keeps them out
# of reprs, logs and JSON dumps; `masked_url` is what people are shown.
WebhookUrl = Annotated[SecretStr, AfterValidator(_webhook_url)]


async def check_destinations(urls: Sequence[str], policy: EgressPolicy, timeout_s: float) -> None:
    """Raises InvalidRuleError, naming the webhook and why, unless every URL is one the
    egress policy lets a webhook reach: http(s), no user:password@, and a host that is, or
    resolves now only to, allowed addresses.

    A name that does not resolve now (or not within `timeout_s`) is accepted: the rule may
    be saved from a machine whose DNS differs from the service's, or before the receiver's
    record exists. Each send resolves and checks the name again, and connects only to the
    addresses checked: that, not this early refusal, is what keeps webhooks in bounds.
    """

    async def check(position: int, url: str) -> None:
        try:
            host = policy.check_url(url)
            if host is None:
                return
            try:
                async with asyncio.timeout(timeout_s):
                    found = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (OSError, TimeoutError):
                log.info("webhook host does not resolve now; it is checked when sent", host=host)
                return
            policy.check_addresses(host, [str(info[4][0]) for info in found])
        except EgressRefusedError as error:
            raise InvalidRuleError(f"the rule is invalid: webhooks.{position}: {error}") from None

    loop = asyncio.get_running_loop()
    # All at once: a rule's save waits for one slow lookup at most, not one per webhook.
    outcomes = await asyncio.gather(
        *(check(position, url) for position, url in enumerate(urls)), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


class RuleDraft(BaseModel):
    """A rule as a user submits it, before it has an id."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(
        min_length=1, max_length=10_000, description="Lucene query syntax over the documents."
    )
    webhooks: list[WebhookUrl] = Field(default_factory=list, max_length=10)
    enabled: bool = True


class Rule(RuleDraft):
    """A saved rule."""

    id: str = Field(min_length=1, max_length=512)
    created_at: datetime

    def webhook_urls(self) -> list[str]:
        """The webhook URLs, credentials included: for delivery, never for display."""
        return [url.get_secret_value() for url in self.webhooks]

    def public(self) -> dict[str, Any]:
        """The rule as JSON-able data for people and APIs, webhook URLs masked."""
        data = self.model_dump(mode="json")
        data["webhooks"] = [masked_url(url) for url in self.webhook_urls()]
        return data

    def stored(self) -> dict[str, Any]:
        """The rule's `_source` in the rules index, webhook URLs in full."""
        return {**self.model_dump(mode="json"), "webhooks": self.webhook_urls()}


def _problems(error: ValidationError) -> str:
    # Never the input: it may be a webhook URL, whose path is its credential.
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'rule'}: "
        f"{detail['msg'].removeprefix('Value error, ')}"
        for detail in error.errors(include_url=False, include_input=False)
    )


def parse_draft(data: Mapping[str, Any]) -> RuleDraft:
    """A draft from user input; raises InvalidRuleError saying which field is wrong and why."""
    try:
        return RuleDraft.model_validate(data)
    except ValidationError as error:
        raise InvalidRuleError(f"the rule is invalid: {_problems(error)}") from None


def _stored_rule(source: Any, index: str) -> Rule:
    """A rule from the rules index; raises InvalidRuleError (input values left out) if the
    document is not one (written by hand, or by another version)."""
    try:
        return Rule.model_validate(source)
    except ValidationError as error:
        rule_id = source.get("id") if isinstance(source, dict) else None
        raise InvalidRuleError(
            f"rule {rule_id!r} in {index!r} is not a valid rule: {_problems(error)}. Remove it "
            "with `wirewatch rules rm` and add it again."
        ) from None


def rules_mappings() -> dict[str, Any]:
    """The strict mapping of the rules index."""
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
            "query": {"type": "keyword", "ignore_above": 10_000},
            # Secrets: stored for delivery, never searchable or aggregatable.
            "webhooks": {"type": "keyword", "index": False, "doc_values": False},
            "enabled": {"type": "boolean"},
            "created_at": {"type": "date"},
        },
    }


class RuleStore:
    """The rules index: add (refusing queries the matcher cannot honour), list, get, remove."""

    def __init__(
        self, client: AsyncElasticsearch, settings: AlertSettings, text_analyzer: str = "standard"
    ) -> None:
        """`text_analyzer` is the articles index's: rules are compiled for the fields as
        analysed there (UnsupportedMappingError for an analyzer the matcher cannot emulate)."""
        self.client = client
        self.catalog = Catalog.from_mapping(mappings(text_analyzer))
        self.index = settings.rules_index
        self.max_rules = settings.max_rules
        self.limits = settings.query_limits()
        self.egress = settings.egress_policy()
        self._resolve_timeout_s = settings.webhook_timeout_s
        # The total last warned about: a running service reads the rules every second.
        self._warned_total: int | None = None

    async def setup(self) -> None:
        """Creates the rules index with its strict mapping if missing."""
        await ensure_index(self.client, self.index, rules_mappings())

    async def add(self, draft: RuleDraft) -> Rule:
        """Saves a new rule and returns it with its id; visible to searches when this returns.

        Raises the matcher's UnsupportedQueryError, which says what is unsupported, for a
        query that in-process matching cannot evaluate exactly as Elasticsearch would, or
        whose cost is beyond the settings' limits (QueryLimitError names the limit), and
        InvalidRuleError for a webhook the egress policy refuses (`check_destinations`).
        """
        webhooks = [url.get_secret_value() for url in draft.webhooks]
        await check_destinations(webhooks, self.egress, self._resolve_timeout_s)
        # Compiling a long query takes a while: off the event loop, as reloads are.
        await asyncio.to_thread(self.compile, draft.query)
        rule = Rule(id=uuid.uuid4().hex[:16], created_at=datetime.now(UTC), **draft.model_dump())
        await self.setup()
        try:
            await self.client.create(
                index=self.index, id=rule.id, document=rule.stored(), refresh="wait_for"
            )
        except (ApiError, TransportError) as error:
            raise self._failed("save rule", error) from error
        log.info("rule added", rule_id=rule.id, name=rule.name, query=rule.query)
        return rule

    def compile(self, query: str) -> CompiledQuery:
        """The query compiled for the articles index, within the rule limits; raises
        UnsupportedQueryError (QueryLimitError for a limit) if it cannot be matched."""
        return compile_query(query, catalog=self.catalog, limits=self.limits)

    async def get(self, rule_id: str) -> Rule:
        """The rule with this id; raises RuleNotFoundError if there is none."""
        try:
            response = await self.client.get(index=self.index, id=rule_id)
        except NotFoundError:
            raise RuleNotFoundError(
                f"no rule has id {rule_id!r}; `wirewatch rules list` shows the ids"
            ) from None
        except (ApiError, TransportError) as error:
            raise self._failed("read rule", error) from error
        return _stored_rule(response["_source"], self.index)

    async def rules(self, *, enabled_only: bool = False) -> list[Rule]:
        """The rules, oldest first (none if the index does not exist yet)."""
        return [rule for rule, _ in await self.versions(enabled_only=enabled_only)]

    async def versions(self, *, enabled_only: bool = False) -> list[tuple[Rule, tuple[int, int]]]:
        """The rules with their (primary term, sequence number): a change changes them."""
        rules = []
        for hit in await self._hits(enabled_only=enabled_only, source=True):
            try:
                rule = _stored_rule(hit["_source"], self.index)
            except InvalidRuleError as error:
                # Written to the index by hand, or by another version: skip, do not stop.
                log.warning("rule skipped: not a valid rule", rule_id=hit["_id"],
                            index=self.index, error=str(error))  # fmt: skip
                continue
            rules.append((rule, (hit["_primary_term"], hit["_seq_no"])))
        return rules

    async def fingerprint(self, *, enabled_only: bool = False) -> dict[str, tuple[int, int]]:
        """Each rule's id and (primary term, sequence number), without the rules: a cheap
        way to learn whether anything was added, removed or changed."""
        hits = await self._hits(enabled_only=enabled_only, source=False)
        return {hit["_id"]: (hit["_primary_term"], hit["_seq_no"]) for hit in hits}

    async def _hits(self, *, enabled_only: bool, source: bool) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"term": {"enabled": True}} if enabled_only else {"match_all": {}}
        try:
            response = await self.client.options(ignore_status=404).search(
                index=self.index,
                query=query,
                size=self.max_rules,
                source=source,
                seq_no_primary_term=True,
                sort=[{"created_at": "asc"}, {"id": "asc"}],
                track_total_hits=True,
            )
        except (ApiError, TransportError) as error:
            raise self._failed("read rules", error) from error
        if response.meta.status == 404:
            return []
        hits = response["hits"]
        total = hits["total"]["value"]
        if total > self.max_rules and total != self._warned_total:
            log.warning("more rules than loaded", total=total, loaded=self.max_rules,
                        setting="WIREWATCH_ALERTS__MAX_RULES")  # fmt: skip
            self._warned_total = total
        found: list[dict[str, Any]] = hits["hits"]
        return found

    async def set_enabled(self, rule_id: str, enabled: bool) -> Rule:
        """Enables or disables a rule; returns it. Raises RuleNotFoundError if there is none."""
        try:
            await self.client.update(
                index=self.index, id=rule_id, doc={"enabled": enabled}, refresh="wait_for"
            )
        except NotFoundError:
            raise RuleNotFoundError(
                f"no rule has id {rule_id!r}; `wirewatch rules list` shows the ids"
            ) from None
        except (ApiError, TransportError) as error:
            raise self._failed("update rule", error) from error
        log.info("rule enabled" if enabled else "rule disabled", rule_id=rule_id)
        return await self.get(rule_id)

    async def remove(self, rule_id: str) -> None:
        """Deletes the rule; raises RuleNotFoundError if there is none."""
        try:
            await self.client.delete(index=self.index, id=rule_id, refresh="wait_for")
        except NotFoundError:
            raise RuleNotFoundError(
                f"no rule has id {rule_id!r}; `wirewatch rules list` shows the ids"
            ) from None
        except (ApiError, TransportError) as error:
            raise self._failed("remove rule", error) from error
        log.info("rule removed", rule_id=rule_id)

    def _failed(self, action: str, error: ApiError | TransportError) -> IndexingError:
        refused = refused_access(error)
        return IndexingError(
            f"could not {action} in {self.index!r}: {refused}"
            if refused
            else f"could not {action} in {self.index!r}: {error}. Is Elasticsearch running "
            "(`wirewatch stack status`)?",
            retriable=isinstance(error, TransportError),
        )
