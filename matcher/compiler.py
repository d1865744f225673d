"""The parse tree compiled to query nodes with Elasticsearch's `query_string` semantics (pure).

`Compiler` is a luqum `TreeVisitor`: each node type has its `visit_<type>` method, which yields
the node compiled (or None where analysis emptied it), as luqum's own Elasticsearch query
builder does. Boolean expressions are read as Lucene reads them (`matcher.clauses`), leaves
field by field from the mapping's catalog. What cannot be matched exactly is refused with
UnsupportedQueryError: fuzzy terms, regular expressions, sloppy phrases that repeat a word.
"""

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from luqum import tree
from luqum.visitor import TreeVisitor

from matcher.analysis import analyze, lowercase
from matcher.clauses import OPERATIONS, MultiTerm, flatten, multi_terms
from matcher.dates import is_date_math, parse_bound
from matcher.fields import Catalog, Field, Kind, float32
from matcher.nodes import (
    Bool,
    Exists,
    MatchAll,
    MatchNone,
    Pattern,
    Phrase,
    Query,
    any_of,
    term_query,
)
from matcher.ranges import Clock, ValueRange, date_range
from matcher.syntax import (
    HINTS,
    NOT_TERM_CHARACTERS,
    Conj,
    Mod,
    check_word,
    java_number,
    refuse,
    unescape,
    unescaped,
)
from matcher.wildcard import Wildcard

ALL_FIELDS = "*"
_EXISTS_FIELD = "_exists_"
_INTEGER_LIMITS = {Kind.INTEGER: (-(2**31), 2**31 - 1), Kind.LONG: (-(2**63), 2**63 - 1)}

# What a visit method is told: the field its terms are searched in, and whether the node
# stands where Lucene takes one term only (after `field:`), not a clause.
Context = dict[str, Any]
Compiled = Iterator[Query | None]


class Compiler(TreeVisitor):  # type: ignore[misc]
    """Compiles a parsed query against one catalog; `compile` gives its root query node."""

    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        super().__init__(track_parents=False)
        self.catalog = catalog
        self.clock = clock
        # Whether the leaf being compiled names one field (else a pattern or all fields).
        self.one_field = True

    def compile(self, root: tree.Item) -> Query:
        """The query node of a whole parse tree (MatchNone when analysis emptied it)."""
        query = self.query(root, ALL_FIELDS)
        return query if query is not None else MatchNone()

    def node(self, node: tree.Item, field: str, *, leaf: bool = False) -> Query | None:
        """The one query node that the visit of `node` yields."""
        found: Query | None = next(self.visit_iter(node, {"field": field, "leaf": leaf}))
        return found

    # Lucene's Query production: clauses joined by conjunctions, each with a modifier.
    def query(self, node: tree.Item, field: str) -> Query | None:
        """A boolean expression: its clauses compiled and combined as Lucene's addClause does."""
        compiled: list[Query] = []
        occurs: list[str] = []
        for conj, mod, operand in multi_terms(flatten(node)):
            query = (
                self.node(operand, field)
                if not isinstance(operand, MultiTerm)
                else self.multi_term(operand, field)
            )
            # Lucene's addClause with the default operator OR: AND makes the clause before it
            # required unless it is prohibited; a clause the analyzer emptied is left out.
            if compiled and conj is Conj.AND and occurs[-1] != "must_not":
                occurs[-1] = "must"
            if query is None:
                continue
            if mod is Mod.PROHIBITED:
                occurs.append("must_not")
            elif mod is Mod.REQUIRED or conj is Conj.AND:
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

    def multi_term(self, run: MultiTerm, field: str) -> Query | None:
        """A run of bare terms, analyzed as one text."""
        for word in run.words:
            chars = check_word(word)
            if chars and chars[0][0] in "<>":
                raise refuse(word, "a term starting with < or > after another term")
        text = " ".join(unescape(word.value, word) for word in run.words)
        if field == _EXISTS_FIELD:
            return self.exists(run.words[0], text)
        return self.per_field(
            field, lambda known: self.term(known, text, run.words[0], quoted=False)
        )

    # Clauses: nodes that stand for a whole clause, not after `field:`.
    def generic_visit(self, node: tree.Item, context: Context) -> Compiled:
        raise refuse(node, f"the construct {type(node).__name__} is not supported")

    def clause_only(self, node: tree.Item, context: Context) -> None:
        """Refuses a clause-level node where Lucene takes one term."""
        if context["leaf"]:
            self.generic_visit(node, context)

    def visit_boost(self, node: tree.Boost, context: Context) -> Compiled:
        self.clause_only(node, context)
        if node.force is None or isinstance(node.expr, tree.Boost):
            raise refuse(node, "a boost ^ takes one number")
        yield self.node(node.expr, context["field"])

    def visit_group(self, node: tree.Group, context: Context) -> Compiled:
        self.clause_only(node, context)
        yield self.query(node.expr, context["field"])

    def visit_search_field(self, node: tree.SearchField, context: Context) -> Compiled:
        self.clause_only(node, context)
        for char, escaped in unescaped(node.name):
            if char in NOT_TERM_CHARACTERS and not escaped:
                raise refuse(node, f"an unescaped {char!r} in a field name{HINTS.get(char, '')}")
        name = unescape(node.name, node)
        expr = node.expr
        if isinstance(expr, tree.Boost):
            if expr.force is None or isinstance(expr.expr, tree.Boost):
                raise refuse(expr, "a boost ^ takes one number")
            expr = expr.expr
        if isinstance(expr, tree.FieldGroup | tree.Group):
            yield self.query(expr.expr, name)
            return
        if isinstance(expr, tree.Plus | tree.Prohibit | tree.Not | tree.SearchField):
            raise refuse(node, "Elasticsearch cannot parse an operator or field after 'field:'")
        yield self.node(expr, name, leaf=True)

    def visit_unary_operator(self, node: tree.UnaryOperator, context: Context) -> Compiled:
        # +, - and NOT: a clause with its modifier, read as a one-clause query.
        self.clause_only(node, context)
        yield self.query(node, context["field"])

    def visit_base_operation(self, node: tree.BaseOperation, context: Context) -> Compiled:
        if type(node) not in OPERATIONS:
            self.generic_visit(node, context)
        self.clause_only(node, context)
        yield self.query(node, context["field"])

    # Leaves.
    def visit_fuzzy(self, node: tree.Fuzzy, context: Context) -> Compiled:
        raise refuse(node, "fuzzy terms (~) are not supported by rule matching")

    def visit_regex(self, node: tree.Regex, context: Context) -> Compiled:
        raise refuse(node, "regular expressions (/.../) are not supported by rule matching")

    def visit_range(self, node: tree.Range, context: Context) -> Compiled:
        yield self.range_leaf(node, context["field"])

    def visit_open_range(self, node: tree.OpenRange, context: Context) -> Compiled:
        if not isinstance(node, tree.From | tree.To):
            self.generic_visit(node, context)
        yield self.open_range(node, context["field"])

    def visit_proximity(self, node: tree.Proximity, context: Context) -> Compiled:
        degree = node.degree
        try:
            slop = int(float(degree)) if degree not in (None, "") else 0
        except ValueError as error:
            raise refuse(node, "a phrase slop must be a number") from error
        yield self.phrase(node.term, context["field"], slop)

    def visit_phrase(self, node: tree.Phrase, context: Context) -> Compiled:
        yield self.phrase(node, context["field"], 0)

    def visit_word(self, node: tree.Word, context: Context) -> Compiled:
        yield self.word(node, context["field"])

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
        return any_of(queries)

    # Leaves.
    def word(self, node: tree.Word, field: str) -> Query | None:
        chars = check_word(node)
        wild = [
            index for index, (char, escaped) in enumerate(chars) if char in "*?" and not escaped
        ]
        if field == _EXISTS_FIELD:
            # `_exists_:x*` is a prefix query on a field named _exists_, which nothing has.
            return MatchNone() if wild else self.exists(node, unescape(node.value, node))
        if wild:
            if len(chars) == 1 and chars[0][0] == "*":
                return MatchAll() if field == ALL_FIELDS else self.exists(node, field)
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
                return term_query(known, tokens[0])
            if quoted:
                if slop and len(set(tokens)) != len(tokens):
                    raise refuse(node, "a sloppy phrase (~N) that repeats a word is not supported")
                return Phrase(known, tuple(tokens), slop)
            return any_of([term_query(known, token) for token in tokens])
        if known.kind is Kind.KEYWORD:
            return term_query(known, text)
        if known.kind is Kind.DATE:
            self.check_date(text, node, known)
            return date_range(known, text, text, True, True, self.clock)
        number = java_number(text, known.kind)
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
            raise refuse(node, f"the date {text!r} on {known.name} is not in a supported format")

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
            raise refuse(node, "a range bound must be a term or a quoted string")
        return None if text == "*" else text

    def range_leaf(self, node: tree.Range, field: str) -> Query | None:
        lower = self.bound_text(node.low)
        upper = self.bound_text(node.high)
        return self.ranged(node, field, lower, upper, node.include_low, node.include_high)

    def open_range(self, node: tree.From | tree.To, field: str) -> Query | None:
        if not isinstance(node.a, tree.Word):
            raise refuse(node, "a one-sided range (<, >) takes a plain term, not a phrase")
        chars = check_word(node.a)
        if any(char in "*?" and not escaped for char, escaped in chars):
            raise refuse(node, "a one-sided range (<, >) with a wildcard is not supported")
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
            raise refuse(node, "_exists_ takes a field name, not a range")

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
                return date_range(known, lower, upper, include_lower, include_upper, self.clock)
            low_number = java_number(lower, known.kind) if lower is not None else None
            high_number = java_number(upper, known.kind) if upper is not None else None
            if (lower is not None and low_number is None) or (
                upper is not None and high_number is None
            ):
                return MatchNone()
            return self.number_range(known, low_number, high_number, include_lower, include_upper)

        return self.per_field(field, build)
