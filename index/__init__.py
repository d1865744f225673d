"""index: the Elasticsearch side. Template, write alias, bulk writes and search.

Only this package writes the articles index.
"""

from index.bulk import Rejection
from index.client import ElasticsearchClient
from index.documents import ArticleDocument, build_document
from index.errors import IndexingError, QueryError
from index.settings import IndexSettings
from index.store import ArticleIndex, SearchHit, SearchResult

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
    "build_document",
]
