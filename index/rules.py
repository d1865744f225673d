"""Alert rules: saved Lucene searches, stored in Elasticsearch, matched in-process.

`RuleStore` manages the rules index (the CLI and the HTTP API use it); `RuleBook` is what a
running service matches against: the enabled rules, reloaded when the index changes.
"""

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)

from contracts.lifecycle import AsyncResource
from contracts.redact import masked_url
from index.client import is_retriable, refused_access
from index.egress import EgressPolicy, EgressRefusedError
from index.errors import IndexingError
from index.settings import AlertSettings
from index.template import mappings
from matcher import Catalog, CompiledQuery, MatcherError, RuleMatcher, compile_query

log = structlog.get_logger(__name__)

_MAX_URL_CHARS = 2048


class InvalidRuleError(IndexingError):
    """A rule that cannot be saved as given (no name, a bad webhook URL, ...)."""


class RuleNotFoundError(IndexingError):
    """No rule has the id given."""


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


async def ensure_index(client: AsyncElasticsearch, name: str, mappings: dict[str, Any]) -> None:
    """Creates index `name` with `mappings` unless it exists (another instance may race us);
    an existing one gets the fields added to `mappings` since it was created."""
    try:
        if await client.indices.exists(index=name):
            await client.indices.put_mapping(index=name, **mappings)
            return
        # Small indices: one shard, and a replica only where a second node can hold it, so a
        # single-node cluster stays green.
        await client.indices.create(
            index=name,
            mappings=mappings,
            settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"},
        )
        log.info("index created", index=name)
    except BadRequestError as error:
        if error.error != "resource_already_exists_exception":
            raise IndexingError(f"could not create index {name!r}: {error}") from error
    except (ApiError, TransportError) as error:
        refused = refused_access(error)
        raise IndexingError(
            f"could not set up index {name!r}: {refused}"
            if refused
            else f"could not set up index {name!r}: {error}. Is Elasticsearch running and are "
            "the credentials allowed to create indices?",
            # Refused access is fixed outside the process (a user created, a role granted,
            # a password reset): start-up waits for it, not ready, instead of crash-looping.
            retriable=is_retriable(error) or refused is not None,
        ) from error


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


class RuleBook(AsyncResource):
    """The enabled rules of a running service, kept current without a restart.

    Every `rules_refresh_interval_ms` the rules' versions (not the rules) are read; when any
    rule was added, removed or changed, the rules are read and the matcher rebuilt (compiling
    only the changed rules) and swapped in whole, so a batch never sees half a change. A
    failing reload keeps the last good set.
    """

    def __init__(
        self,
        store: RuleStore,
        settings: AlertSettings,
        on_reload: Callable[[int], None] | None = None,
        on_over_budget: Callable[[str], None] | None = None,
    ) -> None:
        """`on_over_budget` is told of each article whose matching ran out of time, with the
        budget that did: "article" or "batch"."""
        self.store = store
        self._interval_s = settings.rules_refresh_interval_ms / 1000
        self._article_budget_s = settings.match_budget_per_article_ms / 1000
        self._batch_budget_s = settings.match_budget_per_batch_ms / 1000
        self._on_reload = on_reload
        self._on_over_budget = on_over_budget
        self._versions: dict[str, tuple[int, int]] = {}
        self._fingerprint: dict[str, tuple[int, int]] | None = None
        self._compiled: dict[str, CompiledQuery] = {}
        # The rules and their matcher, swapped together: a batch matched in a worker thread
        # reads both at once and never sees half a reload.
        self._current: tuple[dict[str, Rule], RuleMatcher] = ({}, RuleMatcher([]))
        self._task: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        await self.store.setup()
        await self.reload()
        self._task = asyncio.create_task(self._refresh_forever(), name="rules-refresh")

    async def _close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def rules(self) -> Mapping[str, Rule]:
        """The enabled rules by id, as of the last reload."""
        return self._current[0]

    def match(self, source: Mapping[str, Any]) -> list[Rule]:
        """The enabled rules a document's `_source` matches (no time budget)."""
        rules, matcher = self._current
        return [rules[rule_id] for rule_id in matcher.match(source)]

    def match_batch(self, sources: Sequence[Mapping[str, Any]]) -> list[list[Rule]]:
        """The enabled rules each `_source` matches, within the time budgets: per article
        (`match_budget_per_article_ms`: past it, its remaining rules are skipped) and per
        batch (`match_budget_per_batch_ms`: past it, the remaining articles are not matched).
        Each overrun is logged, naming the article and the rule, and reported to
        `on_over_budget`. CPU-bound: call it in a worker thread."""
        rules, matcher = self._current
        found: list[list[Rule]] = []
        deadline = time.perf_counter() + self._batch_budget_s
        for position, source in enumerate(sources):
            left = deadline - time.perf_counter()
            if left <= 0:
                unmatched = [str(rest.get("id")) for rest in sources[position:]]
                log.warning("alert matching over budget: the batch's remaining articles are "
                            "not matched", articles=unmatched,
                            budget_ms=self._batch_budget_s * 1000,
                            setting="WIREWATCH_ALERTS__MATCH_BUDGET_PER_BATCH_MS")  # fmt: skip
                for _ in unmatched:
                    self._over_budget("batch")
                found.extend([] for _ in unmatched)
                break
            budget = "article" if self._article_budget_s <= left else "batch"
            setting = f"WIREWATCH_ALERTS__MATCH_BUDGET_PER_{budget.upper()}_MS"
            evaluation = matcher.evaluate(source, min(self._article_budget_s, left))
            found.append([rules[rule_id] for rule_id in evaluation.ids])
            running = evaluation.over_budget_rule
            if running is not None:
                log.warning("alert matching over budget: the article's remaining rules are "
                            "skipped", article_id=source.get("id"), rule_id=running,
                            rule=rules[running].name, skipped_rules=evaluation.skipped,
                            elapsed_ms=round(evaluation.elapsed_s * 1000, 1),
                            setting=setting)  # fmt: skip
                self._over_budget(budget)
        return found

    def _over_budget(self, budget: str) -> None:
        if self._on_over_budget is not None:
            self._on_over_budget(budget)

    async def reload(self) -> bool:
        """Reads the enabled rules and swaps in a new matcher if any changed; says whether."""
        fingerprint = await self.store.fingerprint(enabled_only=True)
        if fingerprint == self._fingerprint:
            return False
        current = await self.store.versions(enabled_only=True)
        versions = {rule.id: version for rule, version in current}
        # Compiling thousands of rules takes seconds: off the event loop, so that probes,
        # deliveries and Kafka heartbeats go on meanwhile. The old matcher serves until then.
        compiled, matcher = await asyncio.to_thread(self._compile, current)
        self._current = ({rule.id: rule for rule, _ in current if rule.id in compiled}, matcher)
        self._compiled, self._versions = compiled, versions
        # The fingerprint read first: a change made since is seen by the next reload, and
        # rules skipped as invalid do not make every reload a full one.
        self._fingerprint = fingerprint
        log.info("rules loaded", enabled=len(self.rules))
        if self._on_reload is not None:
            self._on_reload(len(self.rules))
        return True

    def _compile(
        self, current: list[tuple[Rule, tuple[int, int]]]
    ) -> tuple[dict[str, CompiledQuery], RuleMatcher]:
        compiled: dict[str, CompiledQuery] = {}
        for rule, version in current:
            if self._versions.get(rule.id) == version and rule.id in self._compiled:
                compiled[rule.id] = self._compiled[rule.id]
                continue
            try:
                compiled[rule.id] = self.store.compile(rule.query)
            except MatcherError as error:
                # Saved before the matcher changed, or written to the index by hand.
                log.warning("rule skipped: its query cannot be matched", rule_id=rule.id,
                            name=rule.name, error=str(error))  # fmt: skip
        return compiled, RuleMatcher(compiled.items())

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.reload()
            except IndexingError as error:
                log.warning("rules reload failed; keeping the last good rules",
                            error=str(error), rules=len(self.rules))  # fmt: skip
            except Exception:
                # Whatever went wrong, rule changes must keep arriving once it is fixed.
                log.exception("rules reload crashed; keeping the last good rules")
