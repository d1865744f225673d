"""The rule book: the enabled rules of a running service, and matching articles against them."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from alerts.interfaces import RuleSource
from alerts.rules import Rule
from alerts.settings import AlertSettings
from contracts import AsyncResource
from index import IndexingError
from matcher import CompiledQuery, MatcherError, RuleMatcher

log = structlog.get_logger(__name__)


class RuleBook(AsyncResource):
    """The enabled rules of a running service, kept current without a restart.

    Every `rules_refresh_interval_ms` the rules' versions (not the rules) are read; when any
    rule was added, removed or changed, the rules are read and the matcher rebuilt (compiling
    only the changed rules) and swapped in whole, so a batch never sees half a change. A
    failing reload keeps the last good set.
    """

    def __init__(
        self,
        store: RuleSource,
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
