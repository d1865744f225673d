"""Presearch: find the rules a document may match without evaluating every rule (pure).

Each rule is indexed under its required keys, a set of (field, term) pairs of which any matching
document has at least one (`CompiledQuery.required`). A document's own keys (the terms of its
text and keyword fields) then select the candidate rules; rules without such a set (pure
negations, ranges, wildcards) are evaluated for every document.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from index.fields import Catalog, Document, Kind
from index.query import CompiledQuery, Key


class RuleMatcher:
    """The rules (id, compiled query) a document matches, evaluated through presearch."""

    def __init__(self, rules: Iterable[tuple[str, CompiledQuery]]) -> None:
        # Per rule: its id, its query, and per field the terms a matching document has all of.
        self._rules: list[tuple[str, CompiledQuery, tuple[tuple[str, frozenset[str]], ...]]] = []
        # Field name -> term -> the rules indexed under that (field, term).
        self._by_field: dict[str, dict[str, list[int]]] = {}
        self._always: list[int] = []
        catalogs: dict[int, Catalog] = {}
        for rule_id, query in rules:
            index = len(self._rules)
            catalogs.setdefault(id(query.catalog), query.catalog)
            every = query.required_all()
            self._rules.append((rule_id, query, _by_field(every)))
            keys = frozenset({_best(every, query.catalog)}) if every else query.required()
            if keys is None:
                self._always.append(index)
                continue
            for name, term in keys:
                self._by_field.setdefault(name, {}).setdefault(term, []).append(index)
        if len(catalogs) > 1:
            raise ValueError("all rules of a RuleMatcher must be compiled against one mapping")
        self._catalog = next(iter(catalogs.values()), None)

    def __len__(self) -> int:
        return len(self._rules)

    def candidates(self, document: Document) -> list[int]:
        """Indexes of the rules that may match `document`, in the order rules were given."""
        found: set[int] = set()
        for name, by_term in self._by_field.items():
            # The terms both sides have, found by C-level set intersection.
            for term in by_term.keys() & document.terms_of(name):
                found.update(by_term[term])
        rules = self._rules
        kept = list(self._always)
        for index in found:
            for name, needed in rules[index][2]:
                if not needed <= document.terms_of(name):
                    break
            else:
                kept.append(index)
        kept.sort()
        return kept

    def match(self, source: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose query matches the document with this `_source`."""
        if self._catalog is None:
            return []
        document = Document(source, self._catalog)
        rules = self._rules
        return [
            rules[index][0]
            for index in self.candidates(document)
            if rules[index][1].root.matches(document)
        ]


def _by_field(keys: frozenset[Key]) -> tuple[tuple[str, frozenset[str]], ...]:
    grouped: dict[str, set[str]] = {}
    for name, term in keys:
        grouped.setdefault(name, set()).add(term)
    return tuple((name, frozenset(terms)) for name, terms in grouped.items())


def _best(keys: frozenset[Key], catalog: Catalog) -> Key:
    """The key a rule is indexed under, of those it needs all of: a keyword value (facets are
    rarer than words) or else the longest word."""

    def rank(key: Key) -> tuple[bool, int, Key]:
        known = catalog.fields.get(key[0])
        return (known is not None and known.kind is Kind.KEYWORD, len(key[1]), key)

    return max(keys, key=rank)
