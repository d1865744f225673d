"""Compiled query nodes: what a document must have to match (pure).

Each node answers `matches` for a document's field values, and `predicate` gives the same
answer as a function with what it looks up bound once. The compiler (`matcher.compiler`)
builds them from the parse tree; presearch (`matcher.keys`) reads them for the terms a
matching document must have.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcher.fields import Field
from matcher.values import FieldValues
from matcher.wildcard import Wildcard

# A (field name, indexed term) pair: what presearch indexes rules by.
Key = tuple[str, str]
# From this many fields on, a disjunction of terms first tests all of a document's terms.
_MANY_FIELDS = 4
# Loops over a document's values look at its deadline once per this many (plus one) values.
CHECK_EVERY = 255


class Query:
    """A compiled query node: whether a document matches (`matcher.keys` reads what any
    matching document must have)."""

    def matches(self, document: FieldValues) -> bool:
        """Whether the document matches."""
        raise NotImplementedError

    def predicate(self) -> Callable[[FieldValues], bool]:
        """A function answering `matches`, with what it looks up in the node bound once: this
        runs for every candidate rule of every document."""
        return self.matches


class MatchAll(Query):
    """Every document (`*`)."""

    def matches(self, document: FieldValues) -> bool:
        return True


class MatchNone(Query):
    """No document (a field the mapping lacks, a value the field cannot hold)."""

    def matches(self, document: FieldValues) -> bool:
        return False


class Predicated(Query):
    """A node that answers `matches` with its `predicate`, built on first use."""

    def matches(self, document: FieldValues) -> bool:
        return self._test(document)

    @functools.cached_property
    def _test(self) -> Callable[[FieldValues], bool]:
        return self.predicate()


@dataclass(frozen=True)
class Bool(Predicated):
    """Lucene's BooleanQuery; one with only MUST_NOT clauses matches all other documents, as
    Elasticsearch's query_string adds a match-all clause to such a query."""

    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()

    def predicate(self) -> Callable[[FieldValues], bool]:
        must = tuple(query.predicate() for query in self.must)
        must_not = tuple(query.predicate() for query in self.must_not)
        should = tuple(query.predicate() for query in self.should)
        if len(must) == 2 and not must_not:
            first, second = must
            return lambda document: first(document) and second(document)
        if len(must) == 1 and len(must_not) == 1:
            (required,), (prohibited,) = must, must_not
            return lambda document: required(document) and not prohibited(document)
        # Only MUST_NOT clauses: everything else matches.
        otherwise = not should and bool(must_not)

        def matches(document: FieldValues) -> bool:
            for test in must:
                if not test(document):
                    return False
            for test in must_not:
                if test(document):
                    return False
            if must:
                return True
            for test in should:
                if test(document):
                    return True
            return otherwise

        return matches


@dataclass(frozen=True)
class Terms(Query):
    """Any of some indexed terms: tokens of text fields, whole values of keyword fields."""

    keys: frozenset[Key]
    by_field: tuple[tuple[str, frozenset[str]], ...] = ()

    def __post_init__(self) -> None:
        grouped: dict[str, set[str]] = {}
        for name, term in self.keys:
            grouped.setdefault(name, set()).add(term)
        by_field = tuple((name, frozenset(terms)) for name, terms in grouped.items())
        object.__setattr__(self, "by_field", by_field)

    def matches(self, document: FieldValues) -> bool:
        # Field by field, so that only the fields a rule names are ever analyzed; a loop, not
        # any() over a generator, as this runs for most candidate rules.
        for name, terms in self.by_field:  # noqa: SIM110
            if not terms.isdisjoint(document.terms_of(name)):
                return True
        return False

    def predicate(self) -> Callable[[FieldValues], bool]:
        if len(self.by_field) == 1:
            ((name, terms),) = self.by_field
            if len(terms) == 1:
                (term,) = terms
                return lambda document: term in document.terms_of(name)
            return lambda document: not terms.isdisjoint(document.terms_of(name))
        if len(self.by_field) < _MANY_FIELDS:
            return self.matches
        # Over many fields (a bare word over every field), most documents have none of the
        # terms in any field: one test against all of their terms answers those.
        anywhere = frozenset(term for _, term in self.keys)
        per_field = self.matches

        def matches(document: FieldValues) -> bool:
            return not anywhere.isdisjoint(document.all_terms()) and per_field(document)

        return matches


def term_query(known: Field, term: str) -> Terms:
    """One indexed term of one field."""
    return Terms(frozenset({(known.name, term)}))


def any_of(queries: list[Query]) -> Query:
    """A disjunction; disjunctions of terms merge into one set lookup."""
    flat: list[Query] = []
    for query in queries:
        if isinstance(query, Bool) and not query.must and not query.must_not:
            flat.extend(query.should)
        else:
            flat.append(query)
    keys = frozenset(key for query in flat if isinstance(query, Terms) for key in query.keys)
    # A clause that matches nothing adds nothing to a disjunction (`"air defence"` over the
    # date and number fields).
    others = [query for query in flat if not isinstance(query, Terms | MatchNone)]
    merged = [Terms(keys), *others] if keys else others
    if not merged:
        return MatchNone()
    return merged[0] if len(merged) == 1 else Bool(should=tuple(merged))


@dataclass(frozen=True)
class Phrase(Query):
    """Tokens at consecutive positions, or within `slop` moves of that (distinct tokens only)."""

    field: Field
    tokens: tuple[str, ...]
    slop: int

    def matches(self, document: FieldValues) -> bool:
        terms = document.terms(self.field)
        return all(token in terms for token in self.tokens) and self.positioned(document)

    def predicate(self) -> Callable[[FieldValues], bool]:
        field, tokens, positioned = self.field, self.tokens, self.positioned

        def matches(document: FieldValues) -> bool:
            terms = document.terms(field)
            for token in tokens:
                if token not in terms:
                    return False
            return positioned(document)

        return matches

    def positioned(self, document: FieldValues) -> bool:
        """Whether the tokens, all in the field, stand in the phrase's order (within slop)."""
        found = document.positions(self.field)
        lists = [found[token] for token in self.tokens]
        if self.slop == 0:
            # One set per distinct word: a phrase may repeat a word hundreds of times.
            sets = {token: set(found[token]) for token in set(self.tokens[1:])}
            later = [sets[token] for token in self.tokens[1:]]
            # Each start costs up to the phrase's length: look at the deadline now and then.
            for count, start in enumerate(lists[0]):
                if not count & CHECK_EVERY:
                    document.check_deadline()
                if all(start + offset + 1 in positions for offset, positions in enumerate(later)):
                    return True
            return False
        return _smallest_window(lists) <= self.slop


def _smallest_window(lists: list[list[int]]) -> int:
    # Lucene's sloppy phrase matching in its exact form for distinct terms: the smallest spread
    # of (position - offset in the phrase) over one occurrence of each term.
    shifted = sorted(
        (position - offset, index)
        for index, positions in enumerate(lists)
        for offset in (index,)
        for position in positions
    )
    counts = [0] * len(lists)
    covered = 0
    best = math.inf
    left = 0
    for right_value, right_index in shifted:
        if counts[right_index] == 0:
            covered += 1
        counts[right_index] += 1
        while covered == len(lists):
            left_value, left_index = shifted[left]
            best = min(best, right_value - left_value)
            counts[left_index] -= 1
            if counts[left_index] == 0:
                covered -= 1
            left += 1
    return int(best) if best != math.inf else 2**31


def _shared(
    key: tuple[Any, ...], test: Callable[[FieldValues], bool]
) -> Callable[[FieldValues], bool]:
    """`test`, answered once per document for all the rules that have this same clause."""

    def matches(document: FieldValues) -> bool:
        memo = document.memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = test(document)
        return found

    return matches


@dataclass(frozen=True)
class Pattern(Query):
    """A prefix or wildcard pattern over the indexed terms of a text or keyword field."""

    field: Field
    wildcard: Wildcard
    prefix: str = ""
    """The literal start every matching term has (empty if the pattern starts with a wildcard)."""

    def matches(self, document: FieldValues) -> bool:
        test = self.wildcard.matches
        for count, term in enumerate(document.terms(self.field)):
            # A field may hold a hundred thousand distinct terms: the deadline is looked at
            # every so often, so that one rule cannot take more than its article's budget.
            if not count & CHECK_EVERY:
                document.check_deadline()
            if test(term):
                return True
        return False

    def predicate(self) -> Callable[[FieldValues], bool]:
        return _shared(("pattern", self.field.name, self.wildcard.key), self.matches)


@dataclass(frozen=True)
class Exists(Query):
    """Documents with an indexed value in any of the fields (`_exists_:field`)."""

    fields: tuple[Field, ...]

    def matches(self, document: FieldValues) -> bool:
        return any(document.exists(known) for known in self.fields)
