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
        # Per rule: its id, its query, and the keys a matching document has all of.
        self._rules: list[tuple[str, CompiledQuery, frozenset[Key]]] = []
        self._by_key: dict[Key, list[int]] = {}
        self._always: list[int] = []
        catalogs: dict[int, Catalog] = {}
        for rule_id, query in rules:
            index = len(self._rules)
            catalogs.setdefault(id(query.catalog), query.catalog)
            every = query.required_all()
            self._rules.append((rule_id, query, every))
            keys = frozenset({_best(every, query.catalog)}) if every else query.required()
            if keys is None:
                self._always.append(index)
                continue
            for key in keys:
                self._by_key.setdefault(key, []).append(index)
        if len(catalogs) > 1:
            raise ValueError("all rules of a RuleMatcher must be compiled against one mapping")
        self._catalog = next(iter(catalogs.values()), None)

    def __len__(self) -> int:
        return len(self._rules)

    def candidates(self, document: Document) -> list[int]:
        """Indexes of the rules that may match `document`, in the order rules were given."""
        found = set(self._always)
        by_key = self._by_key
        keys = document.keys()
        # The keys both sides have, found by C-level set intersection.
        for key in by_key.keys() & keys:
            found.update(by_key[key])
        rules = self._rules
        return sorted(index for index in found if rules[index][2] <= keys)

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


def _best(keys: frozenset[Key], catalog: Catalog) -> Key:
    """The key a rule is indexed under, of those it needs all of: a keyword value (facets are
    rarer than words) or else the longest word."""

    def rank(key: Key) -> tuple[bool, int, Key]:
        known = catalog.fields.get(key[0])
        return (known is not None and known.kind is Kind.KEYWORD, len(key[1]), key)

    return max(keys, key=rank)
