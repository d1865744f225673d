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
        self._rules: list[tuple[str, CompiledQuery]] = []
        self._by_key: dict[Key, list[int]] = {}
        self._always: list[int] = []
        catalogs: dict[int, Catalog] = {}
        for rule_id, query in rules:
            index = len(self._rules)
            self._rules.append((rule_id, query))
            catalogs.setdefault(id(query.catalog), query.catalog)
            keys = query.required()
            if keys is None:
                self._always.append(index)
                continue
            for key in keys:
                self._by_key.setdefault(key, []).append(index)
        if len(catalogs) > 1:
            raise ValueError("all rules of a RuleMatcher must be compiled against one mapping")
        self._catalog = next(iter(catalogs.values()), None)
        indexed = {name for name, _ in self._by_key}
        self._indexed_fields = (
            [
                known
                for name, known in self._catalog.fields.items()
                if name in indexed and known.kind in (Kind.TEXT, Kind.KEYWORD)
            ]
            if self._catalog is not None
            else []
        )

    def __len__(self) -> int:
        return len(self._rules)

    def candidates(self, document: Document) -> list[int]:
        """Indexes of the rules that may match `document`, in the order rules were given."""
        found = set(self._always)
        by_key = self._by_key
        for known in self._indexed_fields:
            name = known.name
            for term in document.terms(known):
                hits = by_key.get((name, term))
                if hits is not None:
                    found.update(hits)
        return sorted(found)

    def match(self, source: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose query matches the document with this `_source`."""
        if self._catalog is None:
            return []
        document = Document(source, self._catalog)
        return [
            self._rules[index][0]
            for index in self.candidates(document)
            if self._rules[index][1].matches_document(document)
        ]
