"""One batch through the stages, as a short list of named steps.

    1. enrich           spaCy over the articles, in chunks spread over the enrichment worker
                        processes
    then, in the write half (`write`), which the pipeline runs in fetch order while later
    batches are enriched; its first part (`prepare`) for the next batch while the batch
    before it is finished (`finish`):
    2. resolve stories  the story id of each enriched article (the stories index decides),
       and match        the alert rules each document matches, and which of the matched
                        documents the index holds already
    then `finish`:
       claim            the records of partitions revoked since the fetch are dropped
    3. write            the documents to the articles index
    4. alert            on the articles that are new: recorded before the write, released
                        after it (withdrawn for a refused article)
    5. dead-letter      the invalid, the unenrichable and the refused, each with its reason
    6. commit           the batch's offsets, once everything of it is durable

Each step delegates to its stage through a narrow interface (the protocols below); what the
steps decide is pure (the functions below); what the batch did is told to a `BatchObserver`
(batch_observer.py), which alone logs and measures it.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self, TypeVar

from alerts import Alert, MatchedArticle, RecordedAlerts, Rule, new_articles
from contracts import Article, DeadLetter, EnrichedArticle, ReceivedArticle
from enrich import EnrichmentFailure, EnrichmentResult
from index import ArticleDocument, Rejection, WriteResult, build_document, check_refusals
from ingest import IncomingBatch
from wirewatch.batch_observer import BatchObserver, BatchOutcome, Partition
from wirewatch.settings import Settings

A = TypeVar("A")
R = TypeVar("R")
T = TypeVar("T")


class StopRequestedError(Exception):
    """The batch in hand was given up before anything of it was written: stop was set."""


# The stages, as the batch sees them. The service passes the real ones (ArticleConsumer,
# DeadLetterPublisher, EnrichmentPool, StoryResolver, ArticleIndex, Alerting); tests small
# in-memory ones.


class BatchSource(Protocol):
    """Where batches come from, and where their offsets go back (the articles consumer)."""

    async def claim(
        self, batch: IncomingBatch, results: Sequence[T]
    ) -> tuple[IncomingBatch, list[T]]:
        """The part of the batch on partitions still ours, with its per-article results;
        until the batch closes, a revocation waits for its commit."""
        ...

    async def commit(self, batch: IncomingBatch) -> None:
        """Commits the offsets after the batch."""
        ...

    def unclaim(self) -> None:
        """Lets revocations go ahead again once the claimed batch is committed or given up."""
        ...

    def assigned(self) -> set[Partition]:
        """The partitions this member reads now."""
        ...


class ArticleEnricher(Protocol):
    """Enrichment: one result per article, in order (in other processes: the event loop goes
    on meanwhile). Cancelling a call gives up the articles not yet being enriched."""

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]: ...


class StoryResolution(Protocol):
    """The story id of each (document id, band keys) of a batch."""

    async def resolve(self, batch: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]: ...


class DocumentIndex(Protocol):
    """The articles index: what it holds already, and durable writes."""

    async def stored(self, ids: Sequence[str]) -> set[str]: ...

    async def write(self, documents: Sequence[ArticleDocument]) -> WriteResult: ...


class AlertRecorder(Protocol):
    """Alerting: the rules each document matches; alerts recorded pending before the write,
    released after it."""

    async def match(self, documents: Sequence[ArticleDocument]) -> list[list[Rule]]: ...

    async def record(self, new: Sequence[MatchedArticle]) -> RecordedAlerts: ...

    async def release(self, recorded: RecordedAlerts, refused: set[str]) -> list[Alert]: ...


class DeadLetterSink(Protocol):
    """The dead-letter topic: returns once every letter is acknowledged."""

    async def publish(self, letters: list[DeadLetter]) -> None: ...


# What the steps decide: pure.


def enrichment_chunks(
    articles: Sequence[ReceivedArticle], max_records: int, max_bytes: int
) -> list[list[ReceivedArticle]]:
    """Consecutive runs of the articles, each at most `max_records` long and `max_bytes` of
    messages (a longer message alone), so that a stop is heard between two of them."""
    chunks: list[list[ReceivedArticle]] = []
    size = 0
    for article in articles:
        if not chunks or len(chunks[-1]) >= max_records or size + len(article.value) > max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(article)
        size += len(article.value)
    return chunks


async def map_in_chunks(
    work: Callable[[list[A]], Awaitable[list[R]]],
    chunks: Sequence[list[A]],
    stop: asyncio.Event | None,
) -> list[R]:
    """`work` over all the chunks at once (the enricher spreads them over its workers), the
    results in order; raises StopRequestedError as soon as `stop` is set, the work cancelled
    (the chunks not yet started are not worked on)."""
    if stop is not None and stop.is_set():
        raise StopRequestedError
    mapped: asyncio.Future[list[list[R]]] = asyncio.gather(*(work(chunk) for chunk in chunks))
    stopped: asyncio.Future[Any] = asyncio.ensure_future(
        stop.wait() if stop is not None else asyncio.Future()
    )
    try:
        either: list[asyncio.Future[Any]] = [mapped, stopped]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        given_up = not mapped.done()
        if given_up:
            mapped.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mapped
    if given_up:
        raise StopRequestedError
    return [result for results in mapped.result() for result in results]


def enrichment_letters(
    articles: Sequence[ReceivedArticle], results: Sequence[EnrichmentResult]
) -> list[DeadLetter]:
    """Dead letters for the articles enrichment failed on."""
    return [
        DeadLetter(
            position=item.position,
            key=item.key,
            value=item.value,
            headers=item.headers,
            stage="enrichment",
            reason=f"cannot enrich article {item.article.document_id!r}: {result.reason}",
        )
        for item, result in zip(articles, results, strict=True)
        if isinstance(result, EnrichmentFailure)
    ]


def rejected_letters(
    articles: Sequence[ReceivedArticle], rejections: Sequence[Rejection]
) -> list[DeadLetter]:
    """Dead letters for the documents Elasticsearch refused for good (`position` indexes
    `articles`)."""
    return [
        DeadLetter(
            position=articles[rejection.position].position,
            key=articles[rejection.position].key,
            value=articles[rejection.position].value,
            headers=articles[rejection.position].headers,
            stage="indexing",
            reason=(
                f"Elasticsearch refused document {rejection.document_id!r} "
                f"(status {rejection.status}): {rejection.reason}"
            ),
        )
        for rejection in rejections
    ]


@dataclass(frozen=True)
class EnrichedFetch:
    """A fetched batch with one enrichment result per article, in order; not yet claimed, so
    a retry after an outage claims it again without enriching it again."""

    batch: IncomingBatch
    results: list[EnrichmentResult]
    enrich_s: float


@dataclass(frozen=True)
class EnrichedBatch:
    """A claimed batch after enrichment: the articles that go on, in order, and the letters
    so far (those of validation, then those of enrichment)."""

    batch: IncomingBatch
    received: list[ReceivedArticle]
    articles: list[EnrichedArticle]
    letters: list[DeadLetter]

    @classmethod
    def of(cls, batch: IncomingBatch, results: Sequence[EnrichmentResult]) -> Self:
        """Splits the batch by its enrichment `results` (one per article, in order): an
        article enrichment failed on is dead-lettered, the others go on."""
        kept = [
            (item, result)
            for item, result in zip(batch.articles, results, strict=True)
            if not isinstance(result, EnrichmentFailure)
        ]
        return cls(
            batch=batch,
            received=[item for item, _ in kept],
            articles=[result for _, result in kept],
            letters=[*batch.dead_letters, *enrichment_letters(batch.articles, results)],
        )

    def story_bands(self) -> list[tuple[str, list[str]]]:
        """(document id, band keys) of each article, for story resolution."""
        return [(article.article.document_id, article.story_bands) for article in self.articles]

    def documents(self, stories: dict[str, str], ingested_at: datetime) -> list[ArticleDocument]:
        """The document of each article, in order, with its story id from `stories`."""
        return [
            build_document(
                article, item.position, ingested_at, stories[article.article.document_id]
            )
            for article, item in zip(self.articles, self.received, strict=True)
        ]


@dataclass(frozen=True)
class PreparedBatch:
    """An enriched batch ready to be claimed and written: each article with its document
    (story id included) and the rules it matched, and which of the matched the index held
    already (newness, for alerting)."""

    fetched: EnrichedFetch
    articles: list[MatchedArticle]
    stored: set[str]
    prepare_s: float

    def of_claimed(self, claimed: EnrichedBatch) -> list[MatchedArticle]:
        """The articles `claimed` kept (a claim drops whole partitions)."""
        kept = {item.position for item in claimed.received}
        return [article for article in self.articles if article.received.position in kept]

    def document_ids(self) -> set[str]:
        return {article.document.id for article in self.articles}


@dataclass(frozen=True)
class BatchLimits:
    """How a batch is cut for enrichment, and when refusals stop the service."""

    chunk_max_records: int
    chunk_max_bytes: int
    breaker_min_refused: int
    breaker_refused_fraction: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The limits the settings give (WIREWATCH_SERVICE__ENRICH_CHUNK_*,
        WIREWATCH_INDEX__BREAKER_*)."""
        return cls(
            chunk_max_records=settings.service.enrich_chunk_max_records,
            chunk_max_bytes=settings.service.enrich_chunk_max_bytes,
            breaker_min_refused=settings.index.breaker_min_refused,
            breaker_refused_fraction=settings.index.breaker_refused_fraction,
        )


class BatchProcessor:
    """Takes one batch through the steps of this module, then commits it."""

    def __init__(
        self,
        source: BatchSource,
        enricher: ArticleEnricher,
        stories: StoryResolution,
        index: DocumentIndex,
        dead_letters: DeadLetterSink,
        observer: BatchObserver,
        alerts: AlertRecorder | None = None,
        *,
        limits: BatchLimits,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.source = source
        self.enricher = enricher
        self.stories = stories
        self.index = index
        self.dead_letters = dead_letters
        self.observer = observer
        self.alerts = alerts
        self.stop = stop
        self.limits = limits
        # The documents the last finished batch indexed: the next one was prepared meanwhile.
        self._indexed_before: set[str] = set()

    async def process(self, batch: IncomingBatch) -> None:
        """Indexes or dead-letters every message of the batch, then commits its offsets:
        `enrich`, then `write` (the pipeline runs the two halves on different batches at once).

        Raises StopRequestedError, having written nothing, if `stop` is set while enriching;
        otherwise as `write`.
        """
        await self.write(await self.enrich(batch))

    async def enrich(self, batch: IncomingBatch) -> EnrichedFetch:
        """Step 1: one enrichment result per article of the batch; nothing is written."""
        started = time.perf_counter()
        # spaCy holds the CPU: in the enricher's worker processes, in chunks, so the event
        # loop (heartbeats, the other stages) runs meanwhile and a stop gives up the chunks
        # not yet started.
        chunks = enrichment_chunks(
            batch.articles, self.limits.chunk_max_records, self.limits.chunk_max_bytes
        )
        results = await map_in_chunks(
            self.enricher.enrich, [[item.article for item in chunk] for chunk in chunks], self.stop
        )
        return EnrichedFetch(batch, results, time.perf_counter() - started)

    async def write(self, fetched: EnrichedFetch) -> None:
        """Steps 2-6: `prepare`, then `finish` (the pipeline overlaps the two halves of
        consecutive batches)."""
        await self.finish(await self.prepare(fetched))

    async def prepare(self, fetched: EnrichedFetch) -> "PreparedBatch":
        """Step 2 for every article of the enriched batch: resolves its stories, matches the
        alert rules and reads which of the matched documents the index holds; writes no
        article and claims nothing, so it may run while the batch before it is finished, and
        be given up at any point (the story of a document is the same however often it is
        resolved)."""
        started = time.perf_counter()
        enriched = EnrichedBatch.of(fetched.batch, fetched.results)
        documents = await self.resolve_stories(enriched)
        articles = [
            MatchedArticle(item, document, rules)
            for item, document, rules in zip(
                enriched.received, documents, await self.match(documents), strict=True
            )
        ]
        stored = await self.stored([article.document.id for article in articles if article.rules])
        return PreparedBatch(fetched, articles, stored, time.perf_counter() - started)

    async def finish(self, prepared: "PreparedBatch") -> None:
        """Claims what is still ours of the prepared batch, then steps 3-6: records the alerts
        of the new articles, writes, releases the alerts, dead-letters and commits; the claim
        is let go at the end, whatever happens.

        Raises RefusalBreakerError, having dead-lettered and committed nothing, if most of the
        batch is refused for one reason; the stage's error if a step fails (nothing committed).
        """
        started = time.perf_counter()
        try:
            # Claimed here, not when prepared: a revocation since leaves its records to the
            # new owner, and it waits for this one batch only.
            enriched = await self.claim(prepared.fetched)
            matched = prepared.of_claimed(enriched)
            documents = [article.document for article in matched]
            # What the batch before this one indexed may have landed after this one was
            # prepared: it is stored all the same (an update of it stays silent).
            stored = prepared.stored | (self._indexed_before & prepared.document_ids())
            pending = await self.record_alerts(matched, stored)  # 4
            written = await self.index.write(documents)  # 3
            await self.release_alerts(pending, written.rejections)  # 4, after it
            letters = self.letters(enriched, documents, written.rejections)  # 5
            self.observer.refused(written.rejections)
            await self.dead_letters.publish(letters)
            await self.source.commit(enriched.batch)  # 6
        finally:
            self.source.unclaim()
        refused = {rejection.document_id for rejection in written.rejections}
        self._indexed_before = {document.id for document in documents} - refused
        self.observer.committed(
            BatchOutcome(enriched.batch, enriched.received, documents, written.rejections, letters),
            prepared.fetched.enrich_s + prepared.prepare_s + time.perf_counter() - started,
        )

    async def claim(self, fetched: EnrichedFetch) -> EnrichedBatch:
        """Before the first write: only the records of partitions still ours go on, split by
        their enrichment results; until `unclaim`, a revocation waits for the commit."""
        # Partitions revoked since the fetch are their new owner's: only the rest is written.
        claimed, results = await self.source.claim(fetched.batch, fetched.results)
        return EnrichedBatch.of(claimed, results)

    async def resolve_stories(self, enriched: EnrichedBatch) -> list[ArticleDocument]:
        """Step 2: the documents to write, each with its story id."""
        stories = await self.stories.resolve(enriched.story_bands())
        return enriched.documents(stories, datetime.now(UTC))

    async def match(self, documents: Sequence[ArticleDocument]) -> list[list[Rule]]:
        """The alert rules each document matches (none without alerting)."""
        if self.alerts is None:
            return [[] for _ in documents]
        return await self.alerts.match(documents)

    async def stored(self, ids: Sequence[str]) -> set[str]:
        """Those of the matched documents' `ids` the index holds already."""
        if not ids:
            return set()
        # Newness is decided before the write, by what the index holds, so neither the answer
        # to a retried bulk request nor a crash after the write changes it. Only a matched
        # document can alert, so only those are read: Elasticsearch looks each id up.
        return await self.index.stored(ids)

    async def record_alerts(
        self, matched: Sequence[MatchedArticle], stored: set[str]
    ) -> RecordedAlerts | None:
        """Step 4, first half: records the alerts of the matched articles not `stored` yet,
        before the write."""
        if self.alerts is None:
            return None
        # Recorded before the write, with ids derived from (rule, story): a redelivery finds
        # them recorded and records nothing twice.
        return await self.alerts.record(new_articles(matched, stored))

    async def release_alerts(
        self, recorded: RecordedAlerts | None, rejections: Sequence[Rejection]
    ) -> None:
        """Step 4, second half: offers the recorded alerts for delivery, those of refused
        articles withdrawn."""
        if self.alerts is None or recorded is None:
            return
        await self.alerts.release(recorded, {rejection.document_id for rejection in rejections})

    def letters(
        self,
        enriched: EnrichedBatch,
        documents: Sequence[ArticleDocument],
        rejections: Sequence[Rejection],
    ) -> list[DeadLetter]:
        """Step 5's letters: validation's, enrichment's, then the refused documents'.

        Most of the batch refused for one reason is the index's problem: the breaker raises
        RefusalBreakerError before any of it is dead-lettered or committed, so it is
        redelivered once the index is fixed.
        """
        check_refusals(
            rejections,
            len({document.id for document in documents}),
            min_refused=self.limits.breaker_min_refused,
            refused_fraction=self.limits.breaker_refused_fraction,
        )
        return [*enriched.letters, *rejected_letters(enriched.received, rejections)]
