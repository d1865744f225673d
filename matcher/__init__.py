"""matcher: Lucene rule queries matched in-process, as Elasticsearch's query_string would (pure).

`compile_query` turns a rule's Lucene query into a `CompiledQuery` against a `Catalog` read
from an index mapping (or refuses it with UnsupportedQueryError, QueryLimitError for a limit);
`RuleMatcher` finds the rules a document matches, evaluating only the rules whose required
terms the document has (presearch). The passes: parse (`syntax`), check (`check`), compile
(`compiler`, a luqum TreeVisitor), presearch keys (`keys`), with the standard analyzer
(`analysis`), dates (`dates`) and wildcards (`wildcard`) emulated. Imports nothing of wirewatch.
"""

from matcher.check import DEFAULT_LIMITS, QueryLimits
from matcher.compiled import CompiledQuery, compile_query
from matcher.errors import (
    MatcherError,
    OverBudgetError,
    QueryLimitError,
    UnsupportedMappingError,
    UnsupportedQueryError,
)
from matcher.fields import Catalog
from matcher.presearch import Evaluation, RuleMatcher
from matcher.values import FieldValues
from matcher.wildcard import Wildcard

__all__ = [
    "DEFAULT_LIMITS",
    "Catalog",
    "CompiledQuery",
    "Evaluation",
    "FieldValues",
    "MatcherError",
    "OverBudgetError",
    "QueryLimitError",
    "QueryLimits",
    "RuleMatcher",
    "UnsupportedMappingError",
    "UnsupportedQueryError",
    "Wildcard",
    "compile_query",
]
