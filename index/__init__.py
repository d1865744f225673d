"""index: the Elasticsearch side. Template, write alias, bulk writes and search.

Only this package talks to Elasticsearch.
"""

from index.bulk import Rejection
from index.client import ElasticsearchClient
from index.documents import ArticleDocument, build_document
from index.errors import IndexingError, QueryError
from index.settings import IndexSettings
from index.store import ArticleIndex, SearchHit, SearchResult, WriteResult

__all__ = [
    "ArticleDocument",
    "ArticleIndex",
    "ElasticsearchClient",
    "IndexSettings",
    "IndexingError",
    "QueryError",
    "Rejection",
    "SearchHit",
    "SearchResult",
    "WriteResult",
    "build_document",
]
