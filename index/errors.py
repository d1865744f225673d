"""Errors of the Elasticsearch side."""

from contracts import WirewatchError


class IndexingError(WirewatchError):
    """Elasticsearch could not be set up, written to or searched."""


class QueryError(IndexingError):
    """A search query that Elasticsearch refuses (bad syntax, unknown field type, ...)."""
