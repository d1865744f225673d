"""Lucene query strings compiled to matchers with Elasticsearch's `query_string` semantics (pure).

The semantics are those of an Elasticsearch search with `query_string`, `default_field: "*"`,
`lenient: true` and the default operator OR, over an index with the mapping the catalog was
read from. Compiling is a row of passes: the text checked against the limits, parsed (luqum),
the tree checked against the limits, then compiled by a visitor (`matcher.compiler`);
presearch keys are read from the compiled query by another (`matcher.keys`).
"""

import functools
import time
from collections.abc import Mapping
from typing import Any

from matcher.check import DEFAULT_LIMITS, QueryLimits, check_text, check_tree
from matcher.compiler import Compiler
from matcher.errors import UnsupportedQueryError
from matcher.fields import Catalog
from matcher.keys import Keys, KeyVisitor
from matcher.nodes import Query
from matcher.ranges import Clock
from matcher.syntax import check_whitespace, parse
from matcher.values import FieldValues


class CompiledQuery:
    """A rule's query, compiled: `matches(source)` answers as Elasticsearch would."""

    def __init__(self, text: str, root: Query, catalog: Catalog) -> None:
        self.text = text
        self.root = root
        self.catalog = catalog
        self.test = root.predicate()

    def matches(self, source: Mapping[str, Any]) -> bool:
        """Whether the document with this `_source` matches the query."""
        return self.test(FieldValues(source, self.catalog))

    def matches_document(self, document: FieldValues) -> bool:
        """Like `matches`, on a document shared by many queries (its analysis is reused)."""
        return self.test(document)

    @functools.cached_property
    def keys(self) -> Keys:
        """What any matching document has: the keys presearch indexes the query by."""
        return KeyVisitor().visit(self.root)

    def __repr__(self) -> str:
        return f"CompiledQuery({self.text!r})"


def compile_query(
    query: str,
    *,
    catalog: Catalog,
    clock: Clock = time.time,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> CompiledQuery:
    """Compile a Lucene query string into a matcher with query_string's semantics.

    `catalog` is the index mapping's fields (`Catalog.from_mapping`); `clock` gives the time in
    epoch seconds for date math with `now`.
    Raises UnsupportedQueryError, naming the construct and its position, for a query that
    cannot be parsed or whose matching would differ from Elasticsearch's, and its subclass
    QueryLimitError, naming the limit and its setting, for one beyond `limits`."""
    if not query.strip():
        raise UnsupportedQueryError("the query is empty")
    check_text(query, limits)
    check_whitespace(query)
    parsed = parse(query)
    check_tree(parsed, limits)
    return CompiledQuery(query, Compiler(catalog, clock).compile(parsed), catalog)
