"""index: the Elasticsearch side. Template, write alias, bulk writes with retries, the refusal
breaker, story ids, search, id lookups, and the one retry policy.

Only this package writes the articles index.
"""

from index.breaker import RefusalBreakerError, check_refusals
from index.bulk import ItemFate, Rejection, describe_item_error, fate
from index.client import ElasticsearchClient, connect, ensure_index, refused_access
from index.documents import ArticleDocument, build_document
from index.errors import IndexingError, QueryError
from index.lookup import indexed_positions
from index.retry import StillPending, index_retry_policy, retry_policy
from index.settings import IndexSettings
from index.store import ArticleIndex, SearchHit, SearchResult, WriteResult
from index.stories import StoryResolver, propose
from index.template import first_index_name, mappings

__all__ = [
    "ArticleDocument",
    "ArticleIndex",
    "ElasticsearchClient",
    "IndexSettings",
    "IndexingError",
    "ItemFate",
    "QueryError",
    "RefusalBreakerError",
    "Rejection",
    "SearchHit",
    "SearchResult",
    "StillPending",
    "StoryResolver",
    "WriteResult",
    "build_document",
    "check_refusals",
    "connect",
    "describe_item_error",
    "ensure_index",
    "fate",
    "first_index_name",
    "index_retry_policy",
    "indexed_positions",
    "mappings",
    "propose",
    "refused_access",
    "retry_policy",
]
