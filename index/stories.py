"""Story ids: copies of one story share the id of the first copy seen.

Enrichment gives each article its LSH band keys (enrich/fingerprints.py). The stories index is
the arbiter: one create-only document per band key names the story that claimed it. Reads
and creates by id are real time, so every instance of the service, before and after a
restart, and two replicas handling copies of one story in the same second, agree on the
story's id without waiting for a refresh.

A batch costs one multi-get of its bands and one bulk of the claims it makes; a lost race
adds one multi-get, and one bulk re-pointing the bands the loser had won.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch

from index.bulk import ItemFate, describe_item_error, fate
from index.client import ensure_index
from index.errors import IndexingError
from index.retry import index_retry_policy
from index.settings import IndexSettings

log = structlog.get_logger(__name__)

Batch = Sequence[tuple[str, Sequence[str]]]
# How often stale claims are deleted from the stories index.
_PRUNE_INTERVAL_S = 3600.0
# Per-document read errors that pass (a shard starting or moving).
TRANSIENT_READ_ERRORS = frozenset(
    {"unavailable_shards_exception", "no_shard_available_action_exception"}
)


@dataclass(frozen=True)
class Story:
    """A story id and when its first copy was seen: of two stories, the older wins a copy."""

    id: str
    started_at: datetime


@dataclass(frozen=True)
class Claim:
    """A band key claimed for a story in the stories index.

    `claimed_at` frees the band once past the story window; `bands` are all those its
    claimant tried to claim for the story at once (what tells a race apart from a late
    copy); `version` is the stored (seq_no, primary_term), for a compare-and-set.
    """

    band: str
    story: Story
    claimed_at: datetime
    bands: tuple[str, ...] = ()
    version: tuple[int, int] | None = None

    def source(self) -> dict[str, Any]:
        """The claim's `_source`."""
        return {
            "story_id": self.story.id,
            "started_at": self.story.started_at.isoformat(),
            "claimed_at": self.claimed_at.isoformat(),
            "bands": list(self.bands),
        }

    @classmethod
    def from_hit(cls, hit: Mapping[str, Any]) -> "Claim":
        """A claim from a get or multi-get result that found it."""
        source = hit["_source"]
        return cls(
            band=hit["_id"],
            story=Story(source["story_id"], datetime.fromisoformat(source["started_at"])),
            claimed_at=datetime.fromisoformat(source["claimed_at"]),
            bands=tuple(source.get("bands", ())),
            version=(hit["_seq_no"], hit["_primary_term"]),
        )


def _age(story: Story) -> tuple[datetime, str]:
    return story.started_at, story.id


@dataclass(frozen=True)
class Proposal:
    """A batch's stories before its claims are made: the story id of each document id,
    the free bands to claim (one claim per band), and the stories the batch starts."""

    stories: dict[str, str]
    claims: list[Claim]
    fresh: list[Story]


def propose(
    batch: Batch, existing: Mapping[str, Claim], now: datetime, window: timedelta
) -> Proposal:
    """The story of each (document id, band keys) of the batch, in batch order, and the
    claims to make for it.

    A document sharing a band with a live claim (claimed within `window`) joins the oldest
    story among its bands' claims; otherwise the story of an earlier document of the batch
    it shares a band with; otherwise it starts a story named after itself. Every band of
    the batch without a live claim is claimed for its document's story (a stale claim is
    taken over with a compare-and-set on its version).
    """
    live = {band: claim for band, claim in existing.items() if claim.claimed_at >= now - window}
    stories: dict[str, str] = {}
    known: dict[str, Story] = {}
    fresh: list[Story] = []
    owner: dict[str, Story] = {}
    for document_id, bands in batch:
        owners = [live[band].story for band in bands if band in live]
        shared = next((owner[band] for band in bands if band in owner), None)
        if owners:
            story = min(owners, key=_age)
        elif shared is not None:
            story = shared
        elif document_id in known:  # a second copy of one document, rewritten
            story = known[document_id]
        else:
            story = Story(document_id, now)
            fresh.append(story)
        known.setdefault(story.id, story)
        stories[document_id] = story.id
        for band in bands:
            owner.setdefault(band, story)
    wanted: dict[Story, list[str]] = {}
    for band, story in owner.items():
        if band not in live:
            wanted.setdefault(story, []).append(band)
    claims = [
        Claim(
            band=band,
            story=story,
            claimed_at=now,
            bands=tuple(bands),
            version=existing[band].version if band in existing else None,
        )
        for story, bands in wanted.items()
        for band in bands
    ]
    return Proposal(stories=stories, claims=claims, fresh=fresh)


def settle(
    proposal: Proposal, won: Mapping[str, Claim], lost: Mapping[str, Claim]
) -> dict[str, Story]:
    """The final story of each story the batch started, after its claims: `won` are the
    claims made, `lost` the claims another instance made first on the other bands.

    A started story that lost no band stays. One that lost bands joins the oldest story
    that took them. Two instances that each took bands the other wanted (a race of two
    copies, both sides seeing the other) must pick the same one: each knows from the other's
    claim which bands it tried, so both include themselves and take the oldest (ties by id).
    """
    final: dict[str, Story] = {}
    for story in proposal.fresh:
        attempted = [claim.band for claim in proposal.claims if claim.story == story]
        others = [
            lost[band] for band in attempted if band in lost and lost[band].story.id != story.id
        ]
        if not others:
            final[story.id] = story
            continue
        mine = {band for band in attempted if band in won}
        candidates = [other.story for other in others]
        if any(mine.intersection(other.bands) for other in others):
            candidates.append(story)
        final[story.id] = min(candidates, key=_age)
    return final


def stories_mappings() -> dict[str, Any]:
    """The strict mapping of the stories index (claims are read by id, never searched)."""
    return {
        "dynamic": "strict",
        "properties": {
            "story_id": {"type": "keyword"},
            "started_at": {"type": "date"},
            "claimed_at": {"type": "date"},
            "bands": {"type": "keyword", "index": False, "doc_values": False},
        },
    }


class StoryResolver:
    """Finds the story id of each document of a batch before it is written."""

    def __init__(self, client: AsyncElasticsearch, settings: IndexSettings) -> None:
        self.client = client
        self.index = settings.stories_index
        self.window = timedelta(hours=settings.story_window_h)
        self._settings = settings
        self._pruned_at: float | None = None

    async def setup(self) -> None:
        """Creates the stories index with its strict mapping if missing."""
        await ensure_index(self.client, self.index, stories_mappings())

    async def resolve(self, batch: Batch) -> dict[str, str]:
        """Story id per document id of the batch (a document without bands is its own).

        429, 5xx and connection failures are retried until the index retry deadline, then
        raise a retriable IndexingError. If the stories index refuses the claims (closed,
        blocked, no rights), stories are assigned within the batch only, with an error
        logged: copies of one story may then get two ids, and alert once each.
        """
        try:
            async for attempt in index_retry_policy(self._settings):
                with attempt:
                    return await self._resolve(batch)
        except IndexingError as error:
            if error.retriable:
                raise
            log.error("story ids assigned within the batch only: copies of one story seen "  # noqa: TRY400 (the reason is the message)
                      "by two instances may alert twice until the stories index is fixed",
                      index=self.index, error=str(error))  # fmt: skip
        return propose(batch, {}, datetime.now(UTC), self.window).stories

    async def _resolve(self, batch: Batch) -> dict[str, str]:
        bands = sorted({band for _, document_bands in batch for band in document_bands})
        now = datetime.now(UTC)
        existing = await self._read(bands)
        proposal = propose(batch, existing, now, self.window)
        won, lost_bands = await self._claim(proposal.claims)
        lost = await self._read(lost_bands)
        final = settle(proposal, won, lost)
        moved = [
            replace(claim, story=final[claim.story.id])
            for claim in won.values()
            if claim.story.id in final and final[claim.story.id] != claim.story
        ]
        if moved:
            await self._repoint(moved)
        await self._prune(now)
        return {
            document_id: final[story_id].id if story_id in final else story_id
            for document_id, story_id in proposal.stories.items()
        }

    async def _read(self, bands: Sequence[str]) -> dict[str, Claim]:
        if not bands:
            return {}
        try:
            response = await self.client.mget(index=self.index, ids=list(bands))
        except (ApiError, TransportError) as error:
            raise self._failed("read", error) from error
        claims: dict[str, Claim] = {}
        for hit in response["docs"]:
            kind = hit["error"].get("type") if isinstance(hit.get("error"), dict) else None
            if kind == "index_not_found_exception":
                # Deleted while running: the claims' creates make it again.
                continue
            if "error" in hit:
                raise IndexingError(
                    f"could not read story claims from {self.index!r}: "
                    f"{describe_item_error(hit['error'])}",
                    retriable=kind in TRANSIENT_READ_ERRORS,
                )
            if hit.get("found"):
                claims[hit["_id"]] = Claim.from_hit(hit)
        return claims

    async def _claim(self, claims: Sequence[Claim]) -> tuple[dict[str, Claim], list[str]]:
        """Creates (or takes over, if stale) each claim; returns those made, with their
        versions, and the bands someone else claimed first."""
        if not claims:
            return {}, []
        items = await self._bulk(claims)
        won: dict[str, Claim] = {}
        lost: list[str] = []
        for claim, (status, result) in zip(claims, items, strict=True):
            if status in (200, 201):
                version = (result["_seq_no"], result["_primary_term"])
                won[claim.band] = replace(claim, version=version)
            elif status == 409:
                lost.append(claim.band)
            else:
                raise IndexingError(
                    f"{self.index!r} refused the claim of band {claim.band!r} (status "
                    f"{status}): {describe_item_error(result.get('error'))}",
                    retriable=fate(False, status, result.get("error")) is ItemFate.RETRY,
                )
        return won, lost

    async def _repoint(self, claims: Sequence[Claim]) -> None:
        """Points bands this batch won for a story it then gave up to the story joined, unless
        they changed since (then whoever changed them knows better)."""
        items = await self._bulk(claims)
        for claim, (status, result) in zip(claims, items, strict=True):
            if status not in (200, 409):
                log.warning("story claim not re-pointed", band=claim.band,
                            story_id=claim.story.id, status=status,
                            error=describe_item_error(result.get("error")))  # fmt: skip

    async def _bulk(self, claims: Sequence[Claim]) -> list[tuple[object, dict[str, Any]]]:
        operations: list[dict[str, Any]] = []
        for claim in claims:
            target: dict[str, Any] = {"_index": self.index, "_id": claim.band}
            if claim.version is None:
                operations.append({"create": target})
            else:
                seq_no, primary_term = claim.version
                operations.append(
                    {"index": {**target, "if_seq_no": seq_no, "if_primary_term": primary_term}}
                )
            operations.append(claim.source())
        try:
            response = await self.client.bulk(operations=operations)
        except (ApiError, TransportError) as error:
            raise self._failed("write", error) from error
        results = [next(iter(item.values())) for item in response["items"]]
        for result in results:
            status = result.get("status")
            if fate(status in (200, 201, 409), status, result.get("error")) is ItemFate.ABORT:
                raise IndexingError(
                    f"Elasticsearch refused writes to {self.index!r} (status {status}): "
                    f"{describe_item_error(result.get('error'))}. Check the credentials and "
                    "whether the index is closed or blocked."
                )
        return [(result.get("status"), result) for result in results]

    async def _prune(self, now: datetime) -> None:
        """Deletes claims past the story window, at most hourly, as a task of the cluster
        (not awaited): a stale claim is free anyway, this only keeps the index small."""
        clock = time.monotonic()
        if self._pruned_at is not None and clock - self._pruned_at < _PRUNE_INTERVAL_S:
            return
        self._pruned_at = clock
        try:
            await self.client.delete_by_query(
                index=self.index,
                query={"range": {"claimed_at": {"lt": (now - self.window).isoformat()}}},
                conflicts="proceed",
                wait_for_completion=False,
            )
        except (ApiError, TransportError) as error:
            log.warning("stale story claims not pruned; next try in an hour",
                        index=self.index, error=str(error))  # fmt: skip

    def _failed(self, action: str, error: ApiError | TransportError) -> IndexingError:
        retriable = isinstance(error, TransportError) or (
            isinstance(error, ApiError) and (error.meta.status == 429 or error.meta.status >= 500)
        )
        return IndexingError(
            f"could not {action} story claims in {self.index!r}: {error}", retriable=retriable
        )
