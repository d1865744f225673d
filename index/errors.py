"""Errors of the Elasticsearch side."""

from contracts.errors import WirewatchError


class IndexingError(WirewatchError):
    """Elasticsearch could not be set up, written to or searched."""


class QueryError(IndexingError):
    """A search query that Elasticsearch refuses (bad syntax, unknown field type, ...)."""


class UnsupportedQueryError(QueryError):
    """A rule query the in-process matcher cannot evaluate exactly as Elasticsearch would.

    The message names the construct and its position in the query; the rule is refused."""


class QueryLimitError(UnsupportedQueryError):
    """A rule query beyond a bound on its cost (length, depth, terms, wildcards).

    The message names the limit and the setting that raises it; the rule is refused."""
