"""Rule matching in-process, with the semantics of Elasticsearch's query_string (pure).

`compile_query` turns a rule's Lucene query into a `CompiledQuery` (or refuses it with
UnsupportedQueryError); `RuleMatcher` finds the rules an indexed document matches, evaluating
only the rules whose required terms the document has (presearch).
"""

from index.errors import QueryLimitError, UnsupportedQueryError
from index.fields import Catalog, UnsupportedMappingError
from index.limits import DEFAULT_LIMITS, QueryLimits
from index.presearch import Evaluation, RuleMatcher
from index.query import CompiledQuery, compile_query
from index.template import mappings


def catalog(text_analyzer: str = "standard") -> Catalog:
    """The fields of wirewatch's index mapping with this text analyzer, for `compile_query`.

    Raises UnsupportedMappingError for an analyzer the matcher does not emulate (only
    'standard' is): rules would then not match as Elasticsearch does."""
    return Catalog.from_mapping(mappings(text_analyzer))


__all__ = [
    "DEFAULT_LIMITS",
    "Catalog",
    "CompiledQuery",
    "Evaluation",
    "QueryLimitError",
    "QueryLimits",
    "RuleMatcher",
    "UnsupportedMappingError",
    "UnsupportedQueryError",
    "catalog",
    "compile_query",
]
