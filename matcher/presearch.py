"""Presearch: find the rules a document may match without evaluating every rule (pure).

Each rule is indexed under its required keys, a set of (field, term) pairs of which any
matching document has at least one (`CompiledQuery.keys`, read by `matcher.keys.KeyVisitor`).
A document's own keys (the terms of its text and keyword fields) then select the candidate
rules. Rules without such a set but with a required prefix (`countries:V* AND NOT topics:x`)
are indexed under it; the others (pure negations, ranges, leading wildcards) are evaluated for
every document.
"""

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matcher.compiled import CompiledQuery
from matcher.errors import OverBudgetError
from matcher.fields import Catalog, Kind
from matcher.nodes import Key
from matcher.values import FieldValues


@dataclass(frozen=True)
class Evaluation:
    """The rules a document matched, and whether its budget ran out before all were tried."""

    ids: list[str]
    """The ids of the rules it matched (of those evaluated), in the order rules were given."""
    over_budget_rule: str | None = None
    """The rule being evaluated when the budget ran out; None if every candidate was."""
    skipped: int = 0
    """Candidate rules left unevaluated after it."""
    elapsed_s: float = 0.0
    """Seconds spent evaluating rules, when the budget ran out."""


class RuleMatcher:
    """The rules (id, compiled query) a document matches, evaluated through presearch."""

    def __init__(self, rules: Iterable[tuple[str, CompiledQuery]]) -> None:
        given = list(rules)
        # Per rule (parallel lists): its id, its test, and per field the terms a matching
        # document has all of, less the one it is indexed under (a candidate has that).
        self._ids: list[str] = []
        self._tests: list[Callable[[FieldValues], bool]] = []
        self._needed: list[tuple[tuple[str, frozenset[str]], ...]] = []
        # Field name -> term -> the rules indexed under that (field, term).
        self._by_field: dict[str, dict[str, list[int]]] = {}
        # Field name -> prefix -> the rules indexed under a term of that field with that prefix,
        # for rules with no required terms but a required prefix (`countries:V*`).
        self._by_prefix: dict[str, dict[str, list[int]]] = {}
        self._always: list[int] = []
        catalogs = {id(query.catalog): query.catalog for _, query in given}
        if len(catalogs) > 1:
            raise ValueError("all rules of a RuleMatcher must be compiled against one mapping")
        self._catalog = next(iter(catalogs.values()), None)
        options = [query.keys.options() for _, query in given]
        # How many rules can be indexed under each key: a value that many rules name
        # (`topics:arms_deal`) is one that many documents have, so rules are indexed under the
        # keys fewest other rules name (`countries:VE`), which wakes them least often.
        named = Counter(key for found in options for key in frozenset().union(*found))
        for index, ((rule_id, query), found) in enumerate(zip(given, options, strict=True)):
            self._ids.append(rule_id)
            self._tests.append(query.test)
            needed = query.keys.all_of
            if not found:
                self._needed.append(_by_field(needed))
                prefixes = query.keys.prefixes
                if prefixes is None:
                    self._always.append(index)
                for name, prefix in prefixes or ():
                    self._by_prefix.setdefault(name, {}).setdefault(prefix, []).append(index)
                continue
            best = min(found, key=lambda keys: _cost(keys, named, query.catalog))
            self._needed.append(_by_field(needed - best if len(best) == 1 else needed))
            for name, term in best:
                self._by_field.setdefault(name, {}).setdefault(term, []).append(index)
        # Shortest first: a term is looked up under the lengths it has, no more, so that
        # finding candidates stays linear in the document's size.
        self._prefix_lengths = {
            name: tuple(sorted({len(prefix) for prefix in by_prefix}))
            for name, by_prefix in self._by_prefix.items()
        }
        # Rules that were being evaluated when an article's budget ran out: evaluated after
        # the others from then on, so that one costly rule cannot starve every rule after it.
        self._slow: set[int] = set()

    def __len__(self) -> int:
        return len(self._ids)

    def candidates(self, document: FieldValues) -> list[int]:
        """Indexes of the rules that may match `document`, in the order rules were given."""
        found: set[int] = set()
        for name, by_term in self._by_field.items():
            # Looked up term by term: intersecting with the dict's keys would first copy them
            # all into a set, and a field indexes thousands of rule terms to a document's few.
            for term in document.terms_of(name):
                hits = by_term.get(term)
                if hits is not None:
                    found.update(hits)
        for name, by_prefix in self._by_prefix.items():
            lengths = self._prefix_lengths[name]
            for term in document.terms_of(name):
                for length in lengths:
                    if length > len(term):
                        break
                    hits = by_prefix.get(term[:length])
                    if hits is not None:
                        found.update(hits)
        all_needed = self._needed
        kept = list(self._always)
        for index in found:
            needed = all_needed[index]
            if needed:
                for name, terms in needed:
                    if not terms <= document.terms_of(name):
                        break
                else:
                    kept.append(index)
            else:
                kept.append(index)
        kept.sort()
        return kept

    def match(self, source: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose query matches the document with this `_source`."""
        return self.evaluate(source).ids

    def evaluate(self, source: Mapping[str, Any], budget_s: float = math.inf) -> Evaluation:
        """The rules the document with this `_source` matches, evaluating them for at most
        `budget_s` seconds (finding the candidates, linear in the document, not counted):
        past it, the rule being evaluated is stopped, the rest skipped, and the evaluation
        says so."""
        if self._catalog is None:
            return Evaluation([])
        document = FieldValues(source, self._catalog)
        candidates = self.candidates(document)
        slow = self._slow
        if slow:
            candidates.sort(key=slow.__contains__)
        started = time.perf_counter()
        document.deadline = started + budget_s
        ids, tests = self._ids, self._tests
        matched: list[int] = []
        for position, index in enumerate(candidates):
            try:
                found: bool | None = tests[index](document)
            except OverBudgetError:
                found = None
            if found:
                matched.append(index)
            if found is None or time.perf_counter() > document.deadline:
                slow.add(index)
                matched.sort()
                return Evaluation(
                    [ids[found] for found in matched],
                    over_budget_rule=ids[index],
                    skipped=len(candidates) - position - 1,
                    elapsed_s=time.perf_counter() - started,
                )
        matched.sort()
        return Evaluation([ids[found] for found in matched])


def _by_field(keys: frozenset[Key]) -> tuple[tuple[str, frozenset[str]], ...]:
    grouped: dict[str, set[str]] = {}
    for name, term in keys:
        grouped.setdefault(name, set()).add(term)
    return tuple((name, frozenset(terms)) for name, terms in grouped.items())


def _cost(keys: frozenset[Key], named: Counter[Key], catalog: Catalog) -> tuple[int, int]:
    """How often a rule indexed under `keys` is expected to be a candidate: the rules naming
    them, then words of text fields (common in any document) over keyword values."""
    words = 0
    for name, _ in keys:
        known = catalog.fields.get(name)
        if known is None or known.kind is not Kind.KEYWORD:
            words += 1
    return sum(named[key] for key in keys) + words, -min((len(term) for _, term in keys), default=0)
