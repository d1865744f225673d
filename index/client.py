"""The Elasticsearch client, built from settings."""

from typing import Any

from elasticsearch import AsyncElasticsearch

from index.settings import IndexSettings

# The client type, for callers that pass one in without importing Elasticsearch themselves.
ElasticsearchClient = AsyncElasticsearch


def connect(settings: IndexSettings) -> AsyncElasticsearch:
    """An async client for the configured nodes and credentials."""
    basic_auth = None
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password else ""
        basic_auth = (settings.username, password)
    tls: dict[str, Any] = {"ca_certs": settings.ca_certs} if settings.ca_certs else {}
    return AsyncElasticsearch(
        [url.strip() for url in settings.elasticsearch_url.split(",")],
        basic_auth=basic_auth,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        verify_certs=settings.verify_certs,
        **tls,
        request_timeout=settings.request_timeout_s,
        retry_on_timeout=True,
    )
