"""The Elasticsearch client, built from settings."""

from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch

from index.settings import IndexSettings

# The client type, for callers that pass one in without importing Elasticsearch themselves.
ElasticsearchClient = AsyncElasticsearch


def connect(settings: IndexSettings) -> AsyncElasticsearch:
    """An async client for the configured nodes and credentials.

    Every call it makes ends within `settings.call_deadline_s`, also when a server accepts
    the connection and never answers: the request timeout covers connecting, sending and
    reading the answer, and the client's own retries are counted (with no pause between
    them), so they cannot multiply a hang beyond what the settings say.
    """
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
        max_retries=settings.max_retries,
        retry_on_timeout=True,
    )


def is_retriable(error: ApiError | TransportError) -> bool:
    """Whether trying the same call later can succeed: no answer, 408, 429 or a 5xx."""
    if isinstance(error, TransportError):
        return True
    status = error.meta.status
    return status in (408, 429) or status >= 500
