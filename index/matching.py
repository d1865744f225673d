"""Rule matching in-process, with the semantics of Elasticsearch's query_string (pure).

`compile_query` turns a rule's Lucene query into a `CompiledQuery` (or refuses it with
UnsupportedQueryError); `RuleMatcher` finds the rules an indexed document matches, evaluating
only the rules whose required terms the document has (presearch).
"""

from index.errors import UnsupportedQueryError
from index.presearch import RuleMatcher
from index.query import CompiledQuery, compile_query

__all__ = ["CompiledQuery", "RuleMatcher", "UnsupportedQueryError", "compile_query"]
