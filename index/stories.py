"""Story ids: copies of one story share the id of the first copy seen.

Enrichment gives each article its LSH band keys (enrich/stories.py); here a batch's keys
are looked up among the documents already indexed, and among the batch itself, so that
every instance of the service, before and after a restart, agrees on a story's id.
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class KnownCopy:
    """An indexed copy of a story: its story id and band keys."""

    story_id: str
    bands: Sequence[str]


def assign_stories(
    batch: Sequence[tuple[str, Sequence[str]]], known: Iterable[KnownCopy]
) -> dict[str, str]:
    """The story id of each (document id, band keys) of the batch, in batch order.

    `known` lists the copies already indexed, oldest first: a document sharing a band with
    some of them joins the oldest one's story; otherwise with an earlier document of the
    batch; otherwise it starts a story named after itself.
    """
    owner: dict[str, str] = {}
    for copy in known:
        for band in copy.bands:
            owner.setdefault(band, copy.story_id)
    stories: dict[str, str] = {}
    for document_id, bands in batch:
        story_id = next((owner[band] for band in bands if band in owner), document_id)
        stories[document_id] = story_id
        for band in bands:
            owner.setdefault(band, story_id)
    return stories


class StoryResolver:
    """Finds the story id of each document of a batch before it is written.

    Also remembers the band keys it assigned lately: documents written a moment ago are not
    yet visible to search (refresh interval), and a copy arriving meanwhile must still find
    them.
    """

    def __init__(
        self,
        client: AsyncElasticsearch,
        alias: str,
        window: timedelta,
        remembered_bands: int = 200_000,
    ) -> None:
        self.client = client
        self.alias = alias
        self.window = window
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._remembered_bands = remembered_bands

    async def resolve(self, batch: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
        """Story id per document id of the batch (a document without bands is its own)."""
        bands = sorted({band for _, document_bands in batch for band in document_bands})
        known = [*await self._indexed_copies(bands), *self._remembered(bands)]
        stories = assign_stories(batch, known)
        self._remember(batch, stories)
        return stories

    async def _indexed_copies(self, bands: list[str]) -> list[KnownCopy]:
        if not bands:
            return []
        since = datetime.now(UTC) - self.window
        try:
            response = await self.client.options(ignore_status=404).search(
                index=self.alias,
                size=1000,
                query={
                    "bool": {
                        "filter": [
                            {"terms": {"story_bands": bands}},
                            {"range": {"ingested_at": {"gte": since.isoformat()}}},
                        ]
                    }
                },
                sort=[{"ingested_at": "asc"}],
                source_includes=["story_id", "story_bands"],
            )
        except (ApiError, TransportError) as error:
            # Story ids are a convenience: an outage here must not stop indexing, which has
            # its own retries. Copies then fall back to the bands remembered in-process.
            log.warning("near-duplicate lookup failed; using recent stories only",
                        alias=self.alias, error=str(error))  # fmt: skip
            return []
        hits = response.body.get("hits", {}).get("hits", [])
        return [
            KnownCopy(hit["_source"]["story_id"], hit["_source"].get("story_bands", []))
            for hit in hits
            if "story_id" in hit.get("_source", {})
        ]

    def _remembered(self, bands: list[str]) -> list[KnownCopy]:
        return [KnownCopy(self._recent[band], [band]) for band in bands if band in self._recent]

    def _remember(
        self, batch: Sequence[tuple[str, Sequence[str]]], stories: dict[str, str]
    ) -> None:
        for document_id, bands in batch:
            for band in bands:
                self._recent.setdefault(band, stories[document_id])
                self._recent.move_to_end(band)
        while len(self._recent) > self._remembered_bands:
            self._recent.popitem(last=False)
