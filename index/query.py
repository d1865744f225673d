"""Lucene query strings compiled to matchers with Elasticsearch's `query_string` semantics (pure).

The semantics are those of wirewatch's own search (`index.store.ArticleIndex.search`):
`query_string` with `default_field: "*"`, `lenient: true` and the default operator OR. luqum
parses the syntax; its tree is then read the way Lucene's classic query parser reads the same
text, which is not a precedence grammar: each clause is SHOULD, MUST or MUST_NOT, and `AND`
makes the clause before it required, so `a AND b OR c` means `+a +b c`.

What cannot be matched exactly is refused with UnsupportedQueryError: fuzzy terms, regular
expressions, sloppy phrases that repeat a word, and the few spellings where luqum and Lucene
read the text differently.
"""

import functools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from luqum import tree
from luqum.exceptions import IllegalCharacterError
from luqum.parser import parser

from index.analysis import analyze, lowercase
from index.dates import is_date_math, now_offset, parse_bound
from index.errors import UnsupportedQueryError
from index.fields import Catalog, Document, Field, Kind, float32
from index.limits import DEFAULT_LIMITS, QueryLimits, check_text, check_tree
from index.template import mappings
from index.wildcard import Wildcard

# A (field name, indexed term) pair: what presearch indexes rules by.
Key = tuple[str, str]
Clock = Callable[[], float]

_ALL_FIELDS = "*"
_EXISTS_FIELD = "_exists_"
# Lucene's query parser separates terms on these only; Python's \s, which luqum uses, on more.
_LUCENE_WHITESPACE = frozenset(" \t\n\r\u3000")
# Java's Double.parseDouble, as Elasticsearch reads a number in a query.
# Written so that no two ways read one text (`\d+\.?\d*` would backtrack quadratically).
_JAVA_NUMBER = re.compile(r"[+-]?(NaN|Infinity|(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)[fFdD]?")
# From this many fields on, a disjunction of terms first tests all of a document's terms.
_MANY_FIELDS = 4
# Loops over a document's values look at its deadline once per this many (plus one) values.
_CHECK_EVERY = 255
_INTEGER_LIMITS = {Kind.INTEGER: (-(2**31), 2**31 - 1), Kind.LONG: (-(2**63), 2**63 - 1)}


class Query:
    """A compiled query node: whether a document matches, and what presearch can index."""

    def matches(self, document: Document) -> bool:
        """Whether the document matches."""
        raise NotImplementedError

    def predicate(self) -> Callable[[Document], bool]:
        """A function answering `matches`, with what it looks up in the node bound once: this
        runs for every candidate rule of every document."""
        return self.matches

    def required(self) -> frozenset[Key] | None:
        """Keys of which any matching document has at least one; None when there is no such set."""
        return None

    def required_all(self) -> frozenset[Key]:
        """Keys that every matching document has all of (possibly none)."""
        return frozenset()

    def required_prefixes(self) -> frozenset[Key] | None:
        """(field, prefix) pairs of which any matching document has a term in that field that
        starts with that prefix; None when there is no such set."""
        return None

    def required_options(self) -> list[frozenset[Key]]:
        """Key sets of which any matching document has a key of each: presearch may index the
        query under any one of them (none: it must be checked for every document)."""
        options = [frozenset({key}) for key in self.required_all()]
        required = self.required()
        if required is not None:
            options.append(required)
        return options


class MatchAll(Query):
    def matches(self, document: Document) -> bool:
        return True


class MatchNone(Query):
    def matches(self, document: Document) -> bool:
        return False

    def required(self) -> frozenset[Key] | None:
        return frozenset()


@dataclass(frozen=True)
class Bool(Query):
    """Lucene's BooleanQuery; one with only MUST_NOT clauses matches all other documents, as
    Elasticsearch's query_string adds a match-all clause to such a query."""

    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()

    def matches(self, document: Document) -> bool:
        return self._test(document)

    @functools.cached_property
    def _test(self) -> Callable[[Document], bool]:
        return self.predicate()

    def predicate(self) -> Callable[[Document], bool]:
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

        def matches(document: Document) -> bool:
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

    def required(self) -> frozenset[Key] | None:
        if self.must:
            sets = [keys for keys in (query.required() for query in self.must) if keys is not None]
            return min(sets, key=len) if sets else None
        if not self.should:
            return None
        union: set[Key] = set()
        for query in self.should:
            keys = query.required()
            if keys is None:
                return None
            union |= keys
        return frozenset(union)

    def required_prefixes(self) -> frozenset[Key] | None:
        found = [query.required_prefixes() for query in self.must]
        return min((keys for keys in found if keys is not None), key=len, default=None)

    def required_options(self) -> list[frozenset[Key]]:
        if not self.must:
            return super().required_options()
        # What any required clause needs, the whole query needs.
        return [option for query in self.must for option in query.required_options()]

    def required_all(self) -> frozenset[Key]:
        if self.must:
            return frozenset().union(*(query.required_all() for query in self.must))
        if not self.should:
            return frozenset()
        return frozenset.intersection(*(query.required_all() for query in self.should))


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

    def matches(self, document: Document) -> bool:
        # Field by field, so that only the fields a rule names are ever analyzed; a loop, not
        # any() over a generator, as this runs for most candidate rules.
        for name, terms in self.by_field:  # noqa: SIM110
            if not terms.isdisjoint(document.terms_of(name)):
                return True
        return False

    def predicate(self) -> Callable[[Document], bool]:
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

        def matches(document: Document) -> bool:
            return not anywhere.isdisjoint(document.all_terms()) and per_field(document)

        return matches

    def required(self) -> frozenset[Key] | None:
        return self.keys

    def required_all(self) -> frozenset[Key]:
        return self.keys if len(self.keys) == 1 else frozenset()


def _term(known: Field, term: str) -> Terms:
    return Terms(frozenset({(known.name, term)}))


def _any(queries: list[Query]) -> Query:
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

    def matches(self, document: Document) -> bool:
        terms = document.terms(self.field)
        return all(token in terms for token in self.tokens) and self.positioned(document)

    def predicate(self) -> Callable[[Document], bool]:
        field, tokens, positioned = self.field, self.tokens, self.positioned

        def matches(document: Document) -> bool:
            terms = document.terms(field)
            for token in tokens:
                if token not in terms:
                    return False
            return positioned(document)

        return matches

    def positioned(self, document: Document) -> bool:
        """Whether the tokens, all in the field, stand in the phrase's order (within slop)."""
        found = document.positions(self.field)
        lists = [found[token] for token in self.tokens]
        if self.slop == 0:
            # One set per distinct word: a phrase may repeat a word hundreds of times.
            sets = {token: set(found[token]) for token in set(self.tokens[1:])}
            later = [sets[token] for token in self.tokens[1:]]
            # Each start costs up to the phrase's length: look at the deadline now and then.
            for count, start in enumerate(lists[0]):
                if not count & _CHECK_EVERY:
                    document.check_deadline()
                if all(start + offset + 1 in positions for offset, positions in enumerate(later)):
                    return True
            return False
        return _smallest_window(lists) <= self.slop

    def required(self) -> frozenset[Key] | None:
        return frozenset({(self.field.name, max(self.tokens, key=len))})

    def required_all(self) -> frozenset[Key]:
        return frozenset((self.field.name, token) for token in self.tokens)


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


def _shared(key: tuple[Any, ...], test: Callable[[Document], bool]) -> Callable[[Document], bool]:
    """`test`, answered once per document for all the rules that have this same clause."""

    def matches(document: Document) -> bool:
        memo = document.memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = test(document)
        return found

    return matches


@dataclass(frozen=True)
class ValueRange(Query):
    """A range over a field's numbers, or over its indexed terms in code point order (text
    and keyword fields)."""

    field: Field
    lower: Any
    upper: Any
    include_lower: bool
    include_upper: bool
    numeric: bool

    def matches(self, document: Document) -> bool:
        return self._test(document)

    @functools.cached_property
    def _test(self) -> Callable[[Document], bool]:
        return self.predicate()

    def predicate(self) -> Callable[[Document], bool]:
        known = self.field
        if self.numeric:
            return _within_any(self, lambda document: document.numbers(known))
        return _within_any(self, lambda document: document.terms(known))


def _within_any(
    bounds: ValueRange, values_of: Callable[[Document], Iterable[Any]]
) -> Callable[[Document], bool]:
    """Whether one of a document's values lies within `bounds` (None: unbounded)."""
    lower, upper = bounds.lower, bounds.upper
    include_lower, include_upper = bounds.include_lower, bounds.include_upper

    def matches(document: Document) -> bool:
        for count, value in enumerate(values_of(document)):
            if not count & _CHECK_EVERY:
                document.check_deadline()
            if lower is not None and (value < lower or (value == lower and not include_lower)):
                continue
            if upper is None or not (value > upper or (value == upper and not include_upper)):
                return True
        return False

    return matches


class DateRange(Query):
    """A range of dates; bounds with `now` are computed at match time from the clock."""

    def __init__(
        self,
        field: Field,
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
        clock: Clock,
    ) -> None:
        self.field = field
        self.lower = lower
        self.upper = upper
        self.include_lower = include_lower
        self.include_upper = include_upper
        self.clock = clock
        self.dynamic = any(
            bound is not None and bound.startswith("now") for bound in (lower, upper)
        )
        self.offsets: tuple[int | None, int | None] = (None, None)
        self.key = ("date", field.name, lower, upper, include_lower, include_upper)
        self.fixed = None if self.dynamic else self.bounds()
        # `now-7d` and the like are now plus a constant: no parsing at match time.
        if self.dynamic:
            self.offsets = (
                now_offset(lower) if lower is not None else 0,
                now_offset(upper) if upper is not None else 0,
            )

    def bounds(self, now: int | None = None) -> tuple[int | None, int | None] | None:
        """The bounds in epoch milliseconds (None: open), or None if one does not parse;
        `now` in epoch milliseconds defaults to the clock's."""
        if now is None:
            now = int(self.clock() * 1000)
        lower_offset, upper_offset = self.offsets
        lower = upper = None
        if lower_offset is not None and upper_offset is not None:
            if self.lower is not None:
                lower = now + lower_offset + (0 if self.include_lower else 1)
            if self.upper is not None:
                upper = now + upper_offset - (0 if self.include_upper else 1)
            return lower, upper
        if self.lower is not None:
            lower = parse_bound(self.lower, round_up=not self.include_lower, now_millis=now)
            if lower is None:
                return None
            if not self.include_lower:
                lower += 1
        if self.upper is not None:
            upper = parse_bound(self.upper, round_up=self.include_upper, now_millis=now)
            if upper is None:
                return None
            if not self.include_upper:
                upper -= 1
        return lower, upper

    def matches(self, document: Document) -> bool:
        if not self.dynamic:
            return self.within(self.fixed, document)
        # Like Elasticsearch within one request, `now` is read once per document, and rules
        # that share a range (`published_at:>now-1d`) share its answer.
        found = document.memo.get(self.key)
        if found is None:
            found = self.within(self.bounds(document.now_millis(self.clock)), document)
            document.memo[self.key] = found
        return found

    def within(self, bounds: tuple[int | None, int | None] | None, document: Document) -> bool:
        """Whether one of the document's dates lies within `bounds`."""
        if bounds is None:
            return False
        lower, upper = bounds
        return any(
            (lower is None or value >= lower) and (upper is None or value <= upper)
            for value in document.dates(self.field)
        )


def _date_range(
    field: Field,
    lower: str | None,
    upper: str | None,
    include_lower: bool,
    include_upper: bool,
    clock: Clock,
) -> Query:
    # A fixed bound that is no date matches nothing; said at compile time, presearch can skip
    # the rule (`"some words"` over every field is otherwise checked for every document).
    query = DateRange(field, lower, upper, include_lower, include_upper, clock)
    return MatchNone() if not query.dynamic and query.fixed is None else query


@dataclass(frozen=True)
class Pattern(Query):
    """A prefix or wildcard pattern over the indexed terms of a text or keyword field."""

    field: Field
    wildcard: Wildcard
    prefix: str = ""
    """The literal start every matching term has (empty if the pattern starts with a wildcard)."""

    def matches(self, document: Document) -> bool:
        test = self.wildcard.matches
        for count, term in enumerate(document.terms(self.field)):
            # A field may hold a hundred thousand distinct terms: the deadline is looked at
            # every so often, so that one rule cannot take more than its article's budget.
            if not count & _CHECK_EVERY:
                document.check_deadline()
            if test(term):
                return True
        return False

    def predicate(self) -> Callable[[Document], bool]:
        return _shared(("pattern", self.field.name, self.wildcard.key), self.matches)

    def required_prefixes(self) -> frozenset[Key] | None:
        return frozenset({(self.field.name, self.prefix)}) if self.prefix else None


@dataclass(frozen=True)
class Exists(Query):
    fields: tuple[Field, ...]

    def matches(self, document: Document) -> bool:
        return any(document.exists(known) for known in self.fields)


class _Conj(Enum):
    NONE = 0
    AND = 1
    OR = 2


class _Mod(Enum):
    NONE = 0
    REQUIRED = 1
    PROHIBITED = 2


_OPERATIONS: dict[type[tree.Item], _Conj] = {
    tree.AndOperation: _Conj.AND,
    tree.OrOperation: _Conj.OR,
    tree.UnknownOperation: _Conj.NONE,
}


_SYMBOLS = {"&&": _Conj.AND, "||": _Conj.OR}
# Characters luqum accepts inside a term but Lucene's parser does not: it ends the term there
# (" starts a phrase, / a regular expression, ! means NOT, : follows a field name).
_NOT_TERM_CHARACTERS = frozenset('"/!:')
_HINTS = {
    "/": " (Lucene starts a regular expression there)",
    "!": " (Lucene reads it as NOT: write NOT before the clause)",
}


class _MultiTerm(tree.Item):  # type: ignore[misc]
    """Consecutive bare terms that Lucene's parser hands to analysis as one text."""

    def __init__(self, words: list[tree.Word]) -> None:
        super().__init__(pos=words[0].pos, size=None)
        self.words = words


def _position(node: tree.Item) -> str:
    position = getattr(node, "pos", None)
    return f"at position {position}" if position is not None else "in the query"


def _refuse(node: tree.Item, what: str) -> UnsupportedQueryError:
    return UnsupportedQueryError(f"{what} ({str(node).strip()!r} {_position(node)})")


def unescape(text: str, node: tree.Item) -> str:
    """Lucene's discardEscapeChar: `\\c` is c, `\\uXXXX` the code point."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(text):
            raise _refuse(node, "a term ends with an escape character")
        following = text[index + 1]
        if following == "u":
            digits = text[index + 2 : index + 6]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise _refuse(node, "a \\u escape needs four hex digits")
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append(following)
        index += 2
    return "".join(out)


def _unescaped(text: str) -> list[tuple[str, bool]]:
    """The characters of raw term text, each with whether it was escaped."""
    chars: list[tuple[str, bool]] = []
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            chars.append((text[index + 1], True))
            index += 2
        else:
            chars.append((text[index], False))
            index += 1
    return chars


def _java_number(text: str, kind: Kind) -> float | int | None:
    if not _JAVA_NUMBER.fullmatch(text):
        return None
    # A long is also read as a BigDecimal, which takes no f/d suffix, NaN or Infinity.
    if kind is Kind.LONG and (text[-1] in "fFdD" or text.lstrip("+-")[0] in "NI"):
        return None
    body = text.rstrip("fFdD") if text[-1] in "fFdD" and "Infinity" not in text else text
    if re.fullmatch(r"[+-]?\d+", body):
        return int(body)
    return float(body.replace("Infinity", "inf").replace("NaN", "nan"))


class _Compiler:
    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock
        # Whether the leaf being compiled names one field (else a pattern or all fields).
        self.one_field = True

    # Lucene's Query production: clauses joined by conjunctions, each with a modifier.
    def query(self, node: tree.Item, field: str) -> Query | None:
        compiled: list[Query] = []
        occurs: list[str] = []
        for conj, mod, operand in self.multi_terms(self.flatten(node)):
            query = (
                self.clause(operand, field)
                if not isinstance(operand, _MultiTerm)
                else self.multi_term(operand, field)
            )
            # Lucene's addClause with the default operator OR: AND makes the clause before it
            # required unless it is prohibited; a clause the analyzer emptied is left out.
            if compiled and conj is _Conj.AND and occurs[-1] != "must_not":
                occurs[-1] = "must"
            if query is None:
                continue
            if mod is _Mod.PROHIBITED:
                occurs.append("must_not")
            elif mod is _Mod.REQUIRED or conj is _Conj.AND:
                occurs.append("must")
            else:
                occurs.append("should")
            compiled.append(query)
        if not compiled:
            return None
        if len(compiled) == 1 and occurs[0] != "must_not":
            return compiled[0]
        pairs = list(zip(compiled, occurs, strict=True))
        return Bool(
            must=tuple(query for query, occur in pairs if occur == "must"),
            should=tuple(query for query, occur in pairs if occur == "should"),
            must_not=tuple(query for query, occur in pairs if occur == "must_not"),
        )

    def multi_terms(
        self, items: list[tuple[_Conj, _Mod, tree.Item]]
    ) -> list[tuple[_Conj, _Mod, tree.Item]]:
        """Runs of bare terms joined into one clause, as Lucene's parser does when it does not
        split on whitespace (Elasticsearch's query_string): `Vladimir Putin` is analyzed as one
        text, so it is also one keyword value. A run starts after no conjunction and no
        modifier; a term followed by AND or OR stays apart."""
        joined: list[tuple[_Conj, _Mod, tree.Item]] = []
        index = 0
        while index < len(items):
            conj, mod, operand = items[index]
            end = index + 1
            if conj is _Conj.NONE and mod is _Mod.NONE and self.bare_term(operand):
                while (
                    end < len(items)
                    and items[end][0] is _Conj.NONE
                    and items[end][1] is _Mod.NONE
                    and self.bare_term(items[end][2])
                    and (end + 1 >= len(items) or items[end + 1][0] is _Conj.NONE)
                ):
                    end += 1
            if end - index > 1:
                words = [item[2] for item in items[index:end]]
                joined.append((conj, mod, _MultiTerm(words)))
            else:
                joined.append(items[index])
            index = end
        return joined

    def bare_term(self, node: tree.Item) -> bool:
        if not isinstance(node, tree.Word) or node.value in _SYMBOLS:
            return False
        chars = _unescaped(node.value)
        return not any(char in "*?" and not escaped for char, escaped in chars)

    def multi_term(self, run: "_MultiTerm", field: str) -> Query | None:
        for word in run.words:
            chars = self.check_word(word)
            if chars and chars[0][0] in "<>":
                raise _refuse(word, "a term starting with < or > after another term")
        text = " ".join(unescape(word.value, word) for word in run.words)
        if field == _EXISTS_FIELD:
            return self.exists(run.words[0], text)
        return self.per_field(
            field, lambda known: self.term(known, text, run.words[0], quoted=False)
        )

    def flatten(self, node: tree.Item) -> list[tuple[_Conj, _Mod, tree.Item]]:
        """The clauses of a boolean expression in order, each with its conjunction and modifier.

        luqum reads `&&` and `||` as words; Lucene as AND and OR."""
        items: list[tuple[_Conj, _Mod, tree.Item]] = []
        pending: tuple[_Conj, tree.Item] | None = None
        for conj, mod, operand in self.clauses(node):
            symbol = _SYMBOLS.get(operand.value) if isinstance(operand, tree.Word) else None
            if symbol is not None:
                if (
                    pending is not None
                    or not items
                    or conj is not _Conj.NONE
                    or mod is not _Mod.NONE
                ):
                    raise _refuse(operand, f"{operand.value} must stand between two clauses")
                pending = (symbol, operand)
                continue
            if pending is not None:
                if conj is not _Conj.NONE:
                    raise _refuse(pending[1], f"{pending[1]} must stand between two clauses")
                conj, pending = pending[0], None
            items.append((conj, mod, operand))
        if pending is not None:
            raise _refuse(pending[1], f"{pending[1]} must stand between two clauses")
        return items

    def clauses(self, node: tree.Item) -> list[tuple[_Conj, _Mod, tree.Item]]:
        conj = _OPERATIONS.get(type(node))
        if conj is not None:
            items: list[tuple[_Conj, _Mod, tree.Item]] = []
            for index, child in enumerate(node.children):
                sub = self.clauses(child)
                if index > 0:
                    sub[0] = (conj, sub[0][1], sub[0][2])
                items.extend(sub)
            return items
        if isinstance(node, tree.Plus | tree.Prohibit | tree.Not):
            inner = node.a
            if isinstance(inner, tree.Plus | tree.Prohibit | tree.Not):
                raise _refuse(node, "Lucene allows one +, - or NOT before a clause, not two")
            mod = _Mod.REQUIRED if isinstance(node, tree.Plus) else _Mod.PROHIBITED
            return [(_Conj.NONE, mod, inner)]
        return [(_Conj.NONE, _Mod.NONE, node)]

    def clause(self, node: tree.Item, field: str) -> Query | None:
        if isinstance(node, tree.Boost):
            if node.force is None or isinstance(node.expr, tree.Boost):
                raise _refuse(node, "a boost ^ takes one number")
            return self.clause(node.expr, field)
        if isinstance(node, tree.Group):
            return self.query(node.expr, field)
        if isinstance(node, tree.SearchField):
            for char, escaped in _unescaped(node.name):
                if char in _NOT_TERM_CHARACTERS and not escaped:
                    raise _refuse(
                        node, f"an unescaped {char!r} in a field name{_HINTS.get(char, '')}"
                    )
            name = unescape(node.name, node)
            expr = node.expr
            if isinstance(expr, tree.Boost):
                if expr.force is None or isinstance(expr.expr, tree.Boost):
                    raise _refuse(expr, "a boost ^ takes one number")
                expr = expr.expr
            if isinstance(expr, tree.FieldGroup | tree.Group):
                return self.query(expr.expr, name)
            if isinstance(expr, tree.Plus | tree.Prohibit | tree.Not | tree.SearchField):
                raise _refuse(
                    node, "Elasticsearch cannot parse an operator or field after 'field:'"
                )
            return self.leaf(expr, name)
        if isinstance(node, tree.Plus | tree.Prohibit | tree.Not):
            return self.query(node, field)
        if _OPERATIONS.get(type(node)) is not None:
            return self.query(node, field)
        return self.leaf(node, field)

    def leaf(self, node: tree.Item, field: str) -> Query | None:
        if isinstance(node, tree.Fuzzy):
            raise _refuse(node, "fuzzy terms (~) are not supported by rule matching")
        if isinstance(node, tree.Regex):
            raise _refuse(node, "regular expressions (/.../) are not supported by rule matching")
        if isinstance(node, tree.Range):
            return self.range_leaf(node, field)
        if isinstance(node, tree.From | tree.To):
            return self.open_range(node, field)
        if isinstance(node, tree.Proximity):
            phrase = node.term
            degree = node.degree
            try:
                slop = int(float(degree)) if degree not in (None, "") else 0
            except ValueError as error:
                raise _refuse(node, "a phrase slop must be a number") from error
            return self.phrase(phrase, field, slop)
        if isinstance(node, tree.Phrase):
            return self.phrase(node, field, 0)
        if isinstance(node, tree.Word):
            return self.word(node, field)
        raise _refuse(node, f"the construct {type(node).__name__} is not supported")

    # Fields.
    def fields(self, field: str) -> list[Field] | None:
        """The fields a field spec expands to; None when it names nothing in the mapping."""
        found = self.catalog.resolve(field)
        return found or None

    def per_field(self, field: str, build: Callable[[Field], Query | None]) -> Query | None:
        known = self.fields(field)
        if known is None:
            return MatchNone()
        self.one_field = "*" not in field
        queries = [query for query in (build(one) for one in known) if query is not None]
        if not queries:
            return None
        return _any(queries)

    # Leaves.
    def check_word(self, node: tree.Word) -> list[tuple[str, bool]]:
        raw = node.value
        chars = _unescaped(raw)
        for char, escaped in chars:
            if escaped:
                continue
            if char in _NOT_TERM_CHARACTERS:
                hint = _HINTS.get(char, "")
                raise _refuse(node, f"an unescaped {char!r} inside a term{hint}; escape it with \\")
        if raw in _SYMBOLS:
            raise _refuse(node, f"{raw} must stand between two clauses")
        if chars and chars[0][0] in "<>=" and chars[0][1]:
            raise _refuse(node, "a term starting with an escaped < or > reads as a range")
        return chars

    def word(self, node: tree.Word, field: str) -> Query | None:
        chars = self.check_word(node)
        wild = [
            index for index, (char, escaped) in enumerate(chars) if char in "*?" and not escaped
        ]
        if field == _EXISTS_FIELD:
            # `_exists_:x*` is a prefix query on a field named _exists_, which nothing has.
            return MatchNone() if wild else self.exists(node, unescape(node.value, node))
        if wild:
            if len(chars) == 1 and chars[0][0] == "*":
                return MatchAll() if field == _ALL_FIELDS else self.exists(node, field)
            if wild == [len(chars) - 1] and chars[-1][0] == "*":
                prefix = "".join(char for char, _ in chars[:-1])
                return self.per_field(
                    field, lambda known: self.pattern(known, prefix, True, chars[:-1])
                )
            return self.per_field(field, lambda known: self.pattern(known, "", False, chars))
        text = unescape(node.value, node)
        return self.per_field(field, lambda known: self.term(known, text, node, quoted=False))

    def phrase(self, node: tree.Phrase, field: str, slop: int) -> Query | None:
        text = unescape(node.value[1:-1], node)
        if field == _EXISTS_FIELD:
            return self.exists(node, text)
        return self.per_field(
            field, lambda known: self.term(known, text, node, quoted=True, slop=slop)
        )

    def exists(self, node: tree.Item, name: str) -> Query:
        known = self.catalog.resolve(name) or self.catalog.under(name)
        if not known:
            return MatchNone()
        return Exists(tuple(known))

    def pattern(
        self, known: Field, _: str, prefix: bool, chars: list[tuple[str, bool]]
    ) -> Query | None:
        if known.kind not in (Kind.TEXT, Kind.KEYWORD):
            return MatchNone()
        literal: list[str] = []
        pattern: list[tuple[str, bool]] = []
        for char, escaped in chars:
            if known.kind is Kind.TEXT:
                char = lowercase(char)
            operator = not escaped and char in "*?"
            pattern.append((char, operator))
            if not operator and len(literal) == len(pattern) - 1:
                literal.append(char)
        if prefix:
            pattern.append(("*", True))
        return Pattern(known, Wildcard.parse(pattern), "".join(literal))

    def term(
        self, known: Field, text: str, node: tree.Item, *, quoted: bool, slop: int = 0
    ) -> Query | None:
        if known.kind is Kind.TEXT:
            tokens = analyze(text)
            if not tokens:
                return None
            if len(tokens) == 1:
                return _term(known, tokens[0])
            if quoted:
                if slop and len(set(tokens)) != len(tokens):
                    raise _refuse(node, "a sloppy phrase (~N) that repeats a word is not supported")
                return Phrase(known, tuple(tokens), slop)
            return _any([_term(known, token) for token in tokens])
        if known.kind is Kind.KEYWORD:
            return _term(known, text)
        if known.kind is Kind.DATE:
            self.check_date(text, node, known)
            return _date_range(known, text, text, True, True, self.clock)
        number = _java_number(text, known.kind)
        if number is None:
            return MatchNone()
        return self.number_range(known, number, number, True, True)

    def check_date(self, text: str, node: tree.Item, known: Field) -> None:
        # A date Elasticsearch reads but this parser does not would silently match nothing.
        if parse_bound(text, round_up=False, now_millis=0) is not None:
            return
        # Over many fields (a bare term, a field pattern) a date-like word such as "2024-25" is
        # more likely text; Elasticsearch too then reads it as no date, leniently.
        if self.one_field and (is_date_math(text) or re.match(r"\d{4}-", text)):
            raise _refuse(node, f"the date {text!r} on {known.name} is not in a supported format")

    def number_range(
        self,
        known: Field,
        lower: float | int | None,
        upper: float | int | None,
        include_lower: bool,
        include_upper: bool,
    ) -> Query:
        limits = _INTEGER_LIMITS.get(known.kind)
        if limits is not None:
            low, high = limits
            for bound in (lower, upper):
                if bound is not None and (math.isnan(bound) or not low <= bound <= high):
                    return MatchNone()
        if known.kind is Kind.FLOAT:
            lower = float32(float(lower)) if lower is not None else None
            upper = float32(float(upper)) if upper is not None else None
        return ValueRange(known, lower, upper, include_lower, include_upper, numeric=True)

    def bound_text(self, node: tree.Item) -> str | None:
        if isinstance(node, tree.Phrase):
            text = unescape(node.value[1:-1], node)
        elif isinstance(node, tree.Prohibit) and isinstance(node.a, tree.Word):
            text = "-" + unescape(node.a.value, node)
        elif isinstance(node, tree.Word):
            # Lucene reads a range bound as raw text up to a space or bracket: no term checks.
            text = unescape(node.value, node)
        else:
            raise _refuse(node, "a range bound must be a term or a quoted string")
        return None if text == "*" else text

    def range_leaf(self, node: tree.Range, field: str) -> Query | None:
        lower = self.bound_text(node.low)
        upper = self.bound_text(node.high)
        return self.ranged(node, field, lower, upper, node.include_low, node.include_high)

    def open_range(self, node: tree.From | tree.To, field: str) -> Query | None:
        if not isinstance(node.a, tree.Word):
            raise _refuse(node, "a one-sided range (<, >) takes a plain term, not a phrase")
        chars = self.check_word(node.a)
        if any(char in "*?" and not escaped for char, escaped in chars):
            raise _refuse(node, "a one-sided range (<, >) with a wildcard is not supported")
        text = unescape(node.a.value, node)
        if isinstance(node, tree.From):
            return self.ranged(node, field, text, None, node.include, True)
        return self.ranged(node, field, None, text, True, node.include)

    def ranged(
        self,
        node: tree.Item,
        field: str,
        lower: str | None,
        upper: str | None,
        include_lower: bool,
        include_upper: bool,
    ) -> Query | None:
        if field == _EXISTS_FIELD:
            raise _refuse(node, "_exists_ takes a field name, not a range")

        def build(known: Field) -> Query:
            if known.kind is Kind.TEXT:
                low = lowercase(lower) if lower is not None else None
                high = lowercase(upper) if upper is not None else None
                return ValueRange(known, low, high, include_lower, include_upper, numeric=False)
            if known.kind is Kind.KEYWORD:
                return ValueRange(known, lower, upper, include_lower, include_upper, numeric=False)
            if known.kind is Kind.DATE:
                for bound in (lower, upper):
                    if bound is not None:
                        self.check_date(bound, node, known)
                return _date_range(known, lower, upper, include_lower, include_upper, self.clock)
            low_number = _java_number(lower, known.kind) if lower is not None else None
            high_number = _java_number(upper, known.kind) if upper is not None else None
            if (lower is not None and low_number is None) or (
                upper is not None and high_number is None
            ):
                return MatchNone()
            return self.number_range(known, low_number, high_number, include_lower, include_upper)

        return self.per_field(field, build)


_DEFAULT_CATALOG = Catalog.from_mapping(mappings("standard"))


class CompiledQuery:
    """A rule's query, compiled: `matches(source)` answers as Elasticsearch would."""

    def __init__(self, text: str, root: Query, catalog: Catalog) -> None:
        self.text = text
        self.root = root
        self.catalog = catalog
        self.test = root.predicate()

    def matches(self, source: Mapping[str, Any]) -> bool:
        """Whether the document with this `_source` matches the query."""
        return self.test(Document(source, self.catalog))

    def matches_document(self, document: Document) -> bool:
        """Like `matches`, on a document shared by many queries (its analysis is reused)."""
        return self.test(document)

    def required(self) -> frozenset[Key] | None:
        """Keys of which any matching document has one; None if the query has no such set."""
        return self.root.required()

    def required_all(self) -> frozenset[Key]:
        """Keys that any matching document has all of (possibly none)."""
        return self.root.required_all()

    def required_options(self) -> list[frozenset[Key]]:
        """Key sets of which any matching document has a key of each (none: no such set)."""
        return self.root.required_options()

    def required_prefixes(self) -> frozenset[Key] | None:
        """(field, prefix) pairs of which any matching document has a term with one."""
        return self.root.required_prefixes()

    def __repr__(self) -> str:
        return f"CompiledQuery({self.text!r})"


def _check_whitespace(query: str) -> None:
    for index, char in enumerate(query):
        if char.isspace() and char not in _LUCENE_WHITESPACE:
            raise UnsupportedQueryError(
                f"the whitespace character U+{ord(char):04X} at position {index} separates terms "
                "differently in Lucene; use a plain space"
            )


def _escape_single_quotes(query: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(query):
        char = query[index]
        if char == "\\":
            out.append(query[index : index + 2])
            index += 2
            continue
        out.append("\\'" if char == "'" else char)
        index += 1
    return "".join(out)


# luqum's parser and lexer keep the text being read in themselves: one parse at a time
# (rules are compiled in worker threads, for the API and for reloads).
_PARSING = threading.Lock()


def _parse(query: str) -> tree.Item:
    with _PARSING:
        return _parse_alone(query)


def _parse_alone(query: str) -> tree.Item:
    try:
        return parser.parse(query)
    except IllegalCharacterError as error:
        # luqum cannot start a term with ' where Lucene can; an escaped ' reads the same.
        if "'" in query:
            try:
                return parser.parse(_escape_single_quotes(query))
            except Exception:  # noqa: BLE001, S110 (the first error is the one to report)
                pass
        raise UnsupportedQueryError(f"cannot parse the query {query!r}: {error}") from error
    except Exception as error:
        # luqum raises its ParseSyntaxError, and lets some of ply's own errors through.
        raise UnsupportedQueryError(f"cannot parse the query {query!r}: {error}") from error


def compile_query(
    query: str,
    *,
    catalog: Catalog | None = None,
    clock: Clock = time.time,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> CompiledQuery:
    """Compile a Lucene query string into a matcher with query_string's semantics.

    `catalog` is the index mapping's fields (default: wirewatch's template with the standard
    analyzer); `clock` gives the time in epoch seconds for date math with `now`.
    Raises UnsupportedQueryError, naming the construct and its position, for a query that
    cannot be parsed or whose matching would differ from Elasticsearch's, and its subclass
    QueryLimitError, naming the limit and its setting, for one beyond `limits`."""
    if catalog is None and clock is time.time:
        return _compile_default(query, limits)
    return _compile(query, catalog or _DEFAULT_CATALOG, clock, limits)


@functools.lru_cache(maxsize=65_536)
def _compile_default(query: str, limits: QueryLimits) -> CompiledQuery:
    # Compiled queries hold no per-document state, so reloading a rule set reuses them.
    return _compile(query, _DEFAULT_CATALOG, time.time, limits)


def _compile(query: str, catalog: Catalog, clock: Clock, limits: QueryLimits) -> CompiledQuery:
    if not query.strip():
        raise UnsupportedQueryError("the query is empty")
    check_text(query, limits)
    _check_whitespace(query)
    parsed = _parse(query)
    check_tree(parsed, limits)
    root = _Compiler(catalog, clock).query(parsed, _ALL_FIELDS)
    return CompiledQuery(query, root if root is not None else MatchNone(), catalog)
