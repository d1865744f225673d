"""The articles index: setup, bulk writes with retries, search."""

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError
from elasticsearch.helpers import async_streaming_bulk
from pydantic import BaseModel, ConfigDict

from contracts import AsyncResource, without_userinfo
from index.bulk import ItemFate, Rejection, bulk_fate, describe_item_error, item_result
from index.client import connect, describe, is_retriable, refused_access
from index.documents import ArticleDocument
from index.errors import IndexingError, QueryError
from index.retry import StillPending, index_retry_policy
from index.settings import IndexSettings
from index.stories import TRANSIENT_READ_ERRORS, StoryResolver
from index.template import first_index_name, index_template

log = structlog.get_logger(__name__)


class SearchHit(BaseModel):
    """One search result."""

    model_config = ConfigDict(frozen=True)

    id: str
    score: float | None
    source: dict[str, Any]


class SearchResult(BaseModel):
    """What a search found."""

    model_config = ConfigDict(frozen=True)

    total: int
    hits: list[SearchHit]


class WriteResult(BaseModel):
    """What a bulk write did: the documents refused for good."""

    model_config = ConfigDict(frozen=True)

    rejections: list[Rejection]


class ArticleIndex(AsyncResource):
    """The write alias and its template, and the bulk writes that fill it.

    Pass `client` to share one, or to wrap it (fault-injection tests do); otherwise one is
    built from the settings and closed with the index.
    """

    def __init__(self, settings: IndexSettings, client: AsyncElasticsearch | None = None) -> None:
        self.settings = settings
        self.alias = settings.alias
        self.client = client if client is not None else connect(settings)
        self._owns_client = client is None
        self.stories = StoryResolver(self.client, settings)

    async def _close(self) -> None:
        if self._owns_client:
            await self.client.close()

    async def setup(self) -> None:
        """Puts the index template and creates the write alias if missing.

        On an existing index the mapping and the refresh interval are updated in place;
        Elasticsearch accepts added fields, and refuses changed ones with an error that says
        which. The stories index is created too.
        """
        await self.stories.setup()
        template = index_template(self.settings)
        try:
            await self.client.indices.put_index_template(name=self.alias, **template)
            if await self.client.indices.exists_alias(name=self.alias):
                await self.client.indices.put_mapping(
                    index=self.alias, write_index_only=True, **template["template"]["mappings"]
                )
                # The template reaches new backing indices only; the setting holds for all.
                refresh = template["template"]["settings"]["refresh_interval"]
                await self.client.indices.put_settings(
                    index=self.alias, settings={"refresh_interval": refresh}
                )
                return
            try:
                await self.client.indices.create(
                    index=first_index_name(self.alias),
                    aliases={self.alias: {"is_write_index": True}},
                )
                log.info("index created", alias=self.alias, index=first_index_name(self.alias))
            except BadRequestError as error:
                # Another instance created it between our check and our create.
                if error.error != "resource_already_exists_exception":
                    raise
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not set up the index template and alias {self.alias!r} at "
                f"{without_userinfo(self.settings.elasticsearch_url)}: {describe(error)}",
                # As for the stories index: refused access is waited for at start-up.
                retriable=is_retriable(error) or refused_access(error) is not None,
            ) from error

    async def ping(self, timeout_s: float | None = None) -> None:
        """Raises IndexingError unless the cluster answers within `timeout_s` (default: the
        request timeout), in one try, and reports itself at least yellow."""
        limit = timeout_s if timeout_s is not None else self.settings.request_timeout_s
        try:
            # The transport's timeout ends a hung request; the asyncio one also bounds what
            # surrounds it (waiting for a pooled connection, reading the answer).
            async with asyncio.timeout(limit):
                health = await self.client.options(
                    request_timeout=limit, max_retries=0
                ).cluster.health()
        except (TimeoutError, ConnectionTimeout) as error:
            raise IndexingError(
                f"Elasticsearch did not answer within {limit:g} s", retriable=True
            ) from error
        except (ApiError, TransportError) as error:
            refused = refused_access(error)
            raise IndexingError(
                refused or f"Elasticsearch does not answer: {error}", retriable=True
            ) from error
        if health["status"] == "red":
            raise IndexingError("Elasticsearch cluster health is red", retriable=True)

    async def stored(self, ids: Sequence[str]) -> set[str]:
        """Those of `ids` the write index holds already, read in real time (a document
        written a moment ago counts, refresh or not).

        A rewrite lands in the write index, so that is the one asked: after a rollover, an
        article indexed before it counts as not stored. Connection failures, 429 and 5xx are
        retried until the retry deadline, then raise a retriable IndexingError.
        """
        if not ids:
            return set()
        async for attempt in index_retry_policy(self.settings):
            with attempt:
                return await self._stored(ids)
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    async def _stored(self, ids: Sequence[str]) -> set[str]:
        try:
            aliases = await self.client.options(ignore_status=404).indices.get_alias(
                name=self.alias
            )
            if aliases.meta.status == 404:
                return set()
            write_index = next(
                (
                    index
                    for index, entry in aliases.body.items()
                    if entry["aliases"][self.alias].get("is_write_index") or len(aliases.body) == 1
                ),
                None,
            )
            if write_index is None:
                return set()
            response = await self.client.mget(index=write_index, ids=list(ids), source=False)
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"could not read which documents {self.alias!r} holds already: {error}",
                retriable=isinstance(error, TransportError)
                or error.meta.status == 429
                or error.meta.status >= 500,
            ) from error
        found: set[str] = set()
        for hit in response["docs"]:
            if "error" in hit:
                kind = hit["error"].get("type") if isinstance(hit["error"], dict) else None
                raise IndexingError(
                    f"could not read document {hit['_id']!r} from {write_index!r}: "
                    f"{describe_item_error(hit['error'])}. Nothing was committed; check that "
                    "the index is open and the credentials may read it.",
                    retriable=kind in TRANSIENT_READ_ERRORS,
                )
            if hit.get("found"):
                found.add(hit["_id"])
        return found

    async def write(self, documents: Sequence[ArticleDocument]) -> WriteResult:
        """Writes the documents, each under its own `_id` (a rewrite overwrites).

        Retries 429, 5xx and connection failures with capped exponential backoff until the
        retry deadline, then raises a retriable IndexingError; an attempt still waiting on a
        hung server is cut at the deadline too. Returns the documents refused for good (other
        4xx), with the reason Elasticsearch gave.
        """
        # Of several copies of one document in a batch only the last is written: retrying an
        # earlier copy after the last one succeeded would let the older version win.
        last_copy = {document.id: position for position, document in enumerate(documents)}
        pending = sorted(last_copy.values())
        rejections: list[Rejection] = []
        try:
            # tenacity stops only between attempts; this also ends one in flight.
            async with asyncio.timeout(self.settings.retry_deadline_s):
                async for attempt in index_retry_policy(self.settings):
                    with attempt:
                        pending, refused = await self._send(documents, pending)
                        rejections.extend(refused)
                        if pending:
                            # tenacity's idiom: raising inside the attempt asks for another.
                            raise StillPending(f"{len(pending)} document(s) still pending")  # noqa: TRY301
        except TimeoutError as error:
            raise IndexingError(
                f"Elasticsearch did not answer the writes of {len(pending)} document(s) "
                f"within {self.settings.retry_deadline_s:g} s "
                "(WIREWATCH_INDEX__RETRY_DEADLINE_S). Check the cluster's health and load.",
                retriable=True,
            ) from error
        except StillPending as error:
            raise IndexingError(
                f"Elasticsearch did not accept {len(pending)} document(s) within "
                f"{self.settings.retry_deadline_s:.0f} s (WIREWATCH_INDEX__RETRY_DEADLINE_S): "
                f"{error}. Check the cluster's health and load.",
                retriable=True,
            ) from error
        return WriteResult(rejections=sorted(rejections, key=lambda rejection: rejection.position))

    async def _send(
        self, documents: Sequence[ArticleDocument], pending: list[int]
    ) -> tuple[list[int], list[Rejection]]:
        """One bulk pass over the pending documents: those to retry, and those refused."""
        actions = (
            {
                "_op_type": "index",
                "_index": self.alias,
                "_id": documents[i].id,
                "_source": documents[i].source_json(),
            }
            for i in pending
        )
        retry: list[int] = []
        refused: list[Rejection] = []
        answered = 0
        try:
            async for ok, info in async_streaming_bulk(
                self.client,
                actions,
                chunk_size=max(1, len(pending)),
                max_chunk_bytes=self.settings.bulk_max_bytes,
                raise_on_error=False,
                raise_on_exception=False,
                max_retries=0,
                yield_ok=True,
            ):
                position = pending[answered]
                answered += 1
                status, error = item_result(info)
                outcome = bulk_fate(ok, info)
                if outcome is ItemFate.ABORT:
                    raise IndexingError(
                        f"Elasticsearch refused writes to {self.alias!r} (status {status}): "
                        f"{describe_item_error(error)}. This is about the index, not the "
                        "article: check the credentials, the alias and whether the index is "
                        "closed or blocked. Nothing was committed; restart once it is fixed."
                    )
                if outcome is ItemFate.RETRY:
                    retry.append(position)
                    log.warning("document write will be retried", id=documents[position].id,
                                status=status, error=describe_item_error(error))  # fmt: skip
                elif outcome is ItemFate.REJECT:
                    refused.append(
                        Rejection(
                            position=position,
                            document_id=documents[position].id,
                            status=status if isinstance(status, int) else None,
                            reason=describe_item_error(error),
                        )
                    )
        except TransportError as error:
            log.warning("bulk request failed; will retry", error=str(error))
        retry.extend(pending[answered:])
        return retry, refused

    async def search(self, query: str, *, size: int = 10) -> SearchResult:
        """Articles matching a Lucene query string (the syntax of Kibana's Lucene search bar)."""
        try:
            response = await self.client.search(
                index=self.alias,
                query={"query_string": {"query": query, "default_field": "*", "lenient": True}},
                size=size,
                sort=[{"_score": "desc"}, {"published_at": "desc"}],
                track_total_hits=True,
            )
        except BadRequestError as error:
            raise QueryError(f"Elasticsearch refused the query {query!r}: {error}") from error
        except (ApiError, TransportError) as error:
            raise IndexingError(
                f"search at {without_userinfo(self.settings.elasticsearch_url)} failed: {error}. "
                "Is Elasticsearch running (`wirewatch stack status`)?",
                retriable=True,
            ) from error
        hits = response["hits"]
        return SearchResult(
            total=hits["total"]["value"],
            hits=[
                SearchHit(id=hit["_id"], score=hit.get("_score"), source=hit["_source"])
                for hit in hits["hits"]
            ],
        )
