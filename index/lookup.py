"""Which articles the index holds, and from where in Kafka each copy was written.

`wirewatch dlq replay` asks this before re-sending a letter, so that what is indexed is not
sent again.
"""

from collections.abc import Collection

from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch

from contracts import KafkaPosition
from index.errors import IndexingError

_CHUNK_IDS = 1000


async def indexed_positions(
    client: AsyncElasticsearch, alias: str, ids: Collection[str]
) -> dict[str, list[KafkaPosition | None]]:
    """For each of `ids` the index holds: the Kafka position of each copy (None for one
    written offline). Ids the index does not hold are absent; a missing alias holds none.

    Refreshes the alias first, so a document written a moment ago counts. Every backing index
    is searched: after a rollover one id can be held twice.
    """
    wanted = sorted(set(ids))
    found: dict[str, list[KafkaPosition | None]] = {}
    if not wanted:
        return found
    tolerant = client.options(ignore_status=404)
    try:
        await tolerant.indices.refresh(index=alias)
        for start in range(0, len(wanted), _CHUNK_IDS):
            chunk = wanted[start : start + _CHUNK_IDS]
            response = await tolerant.search(
                index=alias,
                query={"ids": {"values": chunk}},
                source_includes=["kafka"],
                size=len(chunk) * 4,  # room for copies in several backing indices
            )
            if response.meta.status == 404:
                return found
            for hit in response["hits"]["hits"]:
                kafka = (hit.get("_source") or {}).get("kafka")
                position = KafkaPosition.model_validate(kafka) if kafka else None
                found.setdefault(hit["_id"], []).append(position)
    except (ApiError, TransportError) as error:
        raise IndexingError(
            f"could not look up {len(wanted)} article id(s) in {alias!r}: {error}. Is "
            "Elasticsearch running (`wirewatch stack status`)?",
            retriable=isinstance(error, TransportError),
        ) from error
    return found
