"""The Elasticsearch client, built from settings."""

import json
import ssl
from typing import Any

import orjson
import structlog
from elastic_transport import TlsError, TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError
from elasticsearch.serializer import JsonSerializer, OrjsonSerializer

from index.errors import IndexingError
from index.settings import IndexSettings

log = structlog.get_logger(__name__)

# The client type, for callers that pass one in without importing Elasticsearch themselves.
ElasticsearchClient = AsyncElasticsearch


def json_bytes(data: Any) -> bytes:
    """`data` as JSON: through orjson, through the standard library where orjson refuses (a
    lone surrogate, an integer beyond 64 bits), so that speed is all that differs."""
    try:
        return _ORJSON.json_dumps(data)
    except orjson.JSONEncodeError:
        return _STANDARD.json_dumps(data)


_ORJSON = OrjsonSerializer()
_STANDARD = JsonSerializer()


class FastJsonSerializer(OrjsonSerializer):
    """Request and response bodies through orjson (the bulk body of an article: 13 times
    faster than the standard library, benchmarks/per_article_cost.py), and through the
    standard library's json wherever orjson refuses what it takes (a lone surrogate, an
    integer beyond 64 bits): the bytes sent differ only in speed, never in what is accepted."""

    def json_dumps(self, data: Any) -> bytes:
        return json_bytes(data)

    def json_loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return json.loads(data)


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
        serializer=FastJsonSerializer(),
    )


def is_retriable(error: ApiError | TransportError) -> bool:
    """Whether trying the same call later can succeed: no answer, 408, 429 or a 5xx."""
    if isinstance(error, TransportError):
        return True
    status = error.meta.status
    return status in (408, 429) or status >= 500


def refused_access(error: ApiError | TransportError) -> str | None:
    """What went wrong and what to set, when Elasticsearch refused our credentials (401),
    denied them an action (403), or its certificate was not trusted; None for other errors.

    These are settings to fix, not outages, and the usual "is it running?" hint misleads.
    The text never holds a credential (Elasticsearch's own messages name the user only).
    """
    if isinstance(error, ApiError) and error.meta.status == 401:
        return (
            "Elasticsearch refused to authenticate these credentials (401): check "
            "WIREWATCH_INDEX__USERNAME and WIREWATCH_INDEX__PASSWORD, or WIREWATCH_INDEX__API_KEY "
            "(`wirewatch stack env` prints them for the local secured stack)"
        )
    if isinstance(error, ApiError) and error.meta.status == 403:
        return (
            f"Elasticsearch authenticated the credentials but denied the action (403: "
            f"{_reason(error)}): give the user a role with the privileges the README's "
            "Elasticsearch security section lists"
        )
    if isinstance(error, TlsError):
        if _certificate_refused(error):
            return (
                "Elasticsearch's TLS certificate is not trusted (certificate verify failed): "
                "set WIREWATCH_INDEX__CA_CERTS to the file of the CA that signed it "
                "(`wirewatch stack env` prints the local secured stack's)"
            )
        return f"the TLS connection to Elasticsearch failed: {error}"
    return None


async def ensure_index(client: AsyncElasticsearch, name: str, mappings: dict[str, Any]) -> None:
    """Creates index `name` with `mappings` unless it exists (another instance may race us);
    an existing one gets the fields added to `mappings` since it was created."""
    try:
        if await client.indices.exists(index=name):
            await client.indices.put_mapping(index=name, **mappings)
            return
        # Small indices: one shard, and a replica only where a second node can hold it, so a
        # single-node cluster stays green.
        await client.indices.create(
            index=name,
            mappings=mappings,
            settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"},
        )
        log.info("index created", index=name)
    except BadRequestError as error:
        if error.error != "resource_already_exists_exception":
            raise IndexingError(f"could not create index {name!r}: {error}") from error
    except (ApiError, TransportError) as error:
        refused = refused_access(error)
        raise IndexingError(
            f"could not set up index {name!r}: {refused}"
            if refused
            else f"could not set up index {name!r}: {error}. Is Elasticsearch running and are "
            "the credentials allowed to create indices?",
            # Refused access is fixed outside the process (a user created, a role granted,
            # a password reset): start-up waits for it, not ready, instead of crash-looping.
            retriable=is_retriable(error) or refused is not None,
        ) from error


def describe(error: ApiError | TransportError) -> str:
    """The error in words: what `refused_access` says of it, or its own text."""
    return refused_access(error) or str(error)


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    cause = body.get("error")
    if isinstance(cause, dict) and isinstance(cause.get("reason"), str):
        return str(cause["reason"])
    return str(error.message)


def _certificate_refused(error: BaseException) -> bool:
    """Whether the TLS error, or one it wraps, is a failed certificate verification."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or (
            "CERTIFICATE_VERIFY_FAILED" in str(current)
        ):
            return True
        wrapped = [*getattr(current, "errors", ()), current.__cause__, current.__context__]
        pending.extend(inner for inner in wrapped if isinstance(inner, BaseException))
    return False
