"""The matcher as wirewatch uses it: compiled against the articles index's mapping."""

import time
from collections.abc import Callable

import matcher
from index.template import mappings
from matcher import Catalog, CompiledQuery, QueryLimits

# One catalog for every rule compiled here: a RuleMatcher takes rules of one mapping only.
ARTICLES = Catalog.from_mapping(mappings("standard"))


def catalog(text_analyzer: str = "standard") -> Catalog:
    """The fields of the articles mapping with this text analyzer."""
    return Catalog.from_mapping(mappings(text_analyzer))


def compile_query(
    query: str,
    *,
    catalog: Catalog = ARTICLES,
    clock: Callable[[], float] = time.time,
    limits: QueryLimits = matcher.DEFAULT_LIMITS,
) -> CompiledQuery:
    """`matcher.compile_query` against the articles mapping unless told another catalog."""
    return matcher.compile_query(query, catalog=catalog, clock=clock, limits=limits)
