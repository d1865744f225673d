"""The stages overlapped: while batch N is enriched, batch N+1 is fetched and batch N-1 is
written, alerted, dead-lettered and committed.

    fetch --[to enrich: at most max_batches]--> enrich --[to write: at most max_batches]--> write

The writer takes the batches in fetch order and finishes them (claims, writes, alerts,
commits) one at a time, so commits stay contiguous per partition and a failed batch commits
nothing after it; while it finishes one, it prepares the next (stories, what the index holds:
reads only, no claim), so that Elasticsearch's round trips for the two overlap. A failed
finish gives the preparation up, to be done again after. The queues are bounded: a full queue
stops the stage before it, and a full queue ahead of the fetcher pauses the partitions
(back-pressure), so memory stays bounded and the member keeps polling. An outage holds the
batch being written (retried whole until it goes through): the queues fill, fetching pauses,
and readiness says why. On stop: fetching and enrichment end, the batch being written gets
the shutdown timeout, later ones are left uncommitted and are redelivered.
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

import structlog

from contracts import WirewatchError
from ingest import IncomingBatch
from wirewatch.batch import EnrichedFetch, PreparedBatch, StopRequestedError
from wirewatch.health import SinkWatch
from wirewatch.settings import Settings

log = structlog.get_logger(__name__)

T = TypeVar("T")


class ShutdownTimeoutError(WirewatchError):
    """The batch being written did not finish within the shutdown timeout."""


class BatchFeed(Protocol):
    """Where batches come from (the articles consumer)."""

    async def fetch(self, stop: asyncio.Event | None = None) -> IncomingBatch:
        """The next batch, possibly empty; empty at once when `stop` is set."""
        ...

    def paused(self) -> AbstractAsyncContextManager[None]:
        """While open, nothing is fetched, and the member stays in its group."""
        ...


class BatchSteps(Protocol):
    """The stages of a batch (BatchProcessor): enrich, then write in two parts."""

    async def enrich(self, batch: IncomingBatch) -> EnrichedFetch: ...

    async def prepare(self, fetched: EnrichedFetch) -> PreparedBatch: ...

    async def finish(self, prepared: PreparedBatch) -> None: ...


class StageQueue(Generic[T]):
    """A FIFO between two stages, holding at most `max_items`: the stage before it waits for
    `room()` before making the next item, so nothing is made that cannot be queued."""

    def __init__(self, max_items: int) -> None:
        if max_items < 1:
            raise ValueError(f"a stage queue holds at least one item, not {max_items}")
        self.max_items = max_items
        self._items: deque[T] = deque()
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def full(self) -> bool:
        return len(self._items) >= self.max_items

    def put(self, item: T) -> None:
        """Queues `item`; raises if there is no room (wait for `room()` first)."""
        if self.full():
            raise RuntimeError(f"the stage queue is full ({self.max_items} items)")
        self._items.append(item)
        self._notify()

    async def get(self) -> T:
        """The oldest item, once there is one."""
        while not self._items:
            await self._changed.wait()
        item = self._items.popleft()
        self._notify()
        return item

    def take(self) -> T:
        """The oldest item; raises if there is none (look at `len()` first)."""
        item = self._items.popleft()
        self._notify()
        return item

    async def room(self) -> None:
        """Returns once an item can be queued."""
        while self.full():
            await self._changed.wait()

    def _notify(self) -> None:
        # Each waiter waits on the event of its time: set it, and let later waits use a new one.
        self._changed.set()
        self._changed = asyncio.Event()


class PipelineState:
    """Whether the pipeline moves, or holds a batch through an outage (and why).

    Readiness reads it: a held pipeline is not ready, though the process is alive.
    """

    def __init__(self) -> None:
        self.held_reason: str | None = None
        self._held_since = 0.0

    def hold(self, reason: str) -> bool:
        """Records an outage; True when this starts one (the moment to say so once)."""
        starts = self.held_reason is None
        if starts:
            self._held_since = time.monotonic()
        self.held_reason = reason
        return starts

    def release(self) -> float | None:
        """Ends an outage; returns how long it lasted, or None if there was none."""
        if self.held_reason is None:
            return None
        self.held_reason = None
        return time.monotonic() - self._held_since

    async def check(self) -> None:
        """Raises while a batch is held, for the readiness probe."""
        if self.held_reason is not None:
            raise WirewatchError(
                f"holding a batch until the outage ends (consumption paused): {self.held_reason}",
                retriable=True,
            )


@dataclass(frozen=True)
class PipelineLimits:
    """How much waits between the stages, and how the writer retries and stops."""

    max_batches: int
    shutdown_timeout_s: float
    retry_initial_backoff_s: float
    retry_max_backoff_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The limits the settings give (WIREWATCH_SERVICE__PIPELINE_MAX_BATCHES,
        ..._SHUTDOWN_TIMEOUT_S, WIREWATCH_INDEX__RETRY_*_BACKOFF_MS)."""
        return cls(
            max_batches=settings.service.pipeline_max_batches,
            shutdown_timeout_s=settings.service.shutdown_timeout_s,
            retry_initial_backoff_s=settings.index.retry_initial_backoff_ms / 1000,
            retry_max_backoff_s=settings.index.retry_max_backoff_ms / 1000,
        )


class Pipeline:
    """Runs the stages of a batch on consecutive batches at once: call `run(stop)`."""

    def __init__(
        self,
        feed: BatchFeed,
        steps: BatchSteps,
        *,
        limits: PipelineLimits,
        state: PipelineState,
        sink: SinkWatch,
    ) -> None:
        self.feed = feed
        self.steps = steps
        self.limits = limits
        self.state = state
        self.sink = sink
        self.to_enrich: StageQueue[IncomingBatch] = StageQueue(limits.max_batches)
        self.to_write: StageQueue[EnrichedFetch] = StageQueue(limits.max_batches)
        self._enriching: IncomingBatch | None = None
        self._writing: EnrichedFetch | None = None
        # The next batch to write, taken from `to_write` while the one before is finished:
        # being prepared, prepared, or given up (to be prepared again).
        self._ahead: _Ahead | None = None

    def in_flight(self) -> int:
        """Batches fetched and not yet committed or given up."""
        in_hand = (
            (self._enriching is not None) + (self._writing is not None) + (self._ahead is not None)
        )
        return len(self.to_enrich) + len(self.to_write) + in_hand

    async def run(self, stop: asyncio.Event) -> None:
        """Runs until `stop` is set (then drains as the module says), or raises the failure of
        a stage, having cancelled the others: nothing more is committed after a failure."""
        fetching = asyncio.create_task(self._fetch_all(stop), name="fetch")
        enriching = asyncio.create_task(self._enrich_all(stop), name="enrich")
        writing = asyncio.create_task(self._write_all(stop), name="write")
        stopping = asyncio.create_task(stop.wait())
        stages = {fetching, enriching, writing}
        try:
            done, _ = await asyncio.wait(stages | {stopping}, return_when=asyncio.FIRST_COMPLETED)
            for stage in done & stages:
                stage.result()  # a stage ends early only by failing
            for stage in (fetching, enriching):
                await _cancelled(stage)
            await self._finish_writing(writing)
        finally:
            for task in (*stages, stopping):
                await _cancelled(task)

    async def _fetch_all(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.to_enrich.full():
                async with self.feed.paused():
                    await self.to_enrich.room()
                continue
            batch = await self.feed.fetch(stop)
            if batch.size:
                self.to_enrich.put(batch)

    async def _enrich_all(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Waiting for room first: a finished enrichment never waits with its batch in hand.
            await self.to_write.room()
            self._enriching = await self.to_enrich.get()
            try:
                fetched = await self.steps.enrich(self._enriching)
            except StopRequestedError:
                log.info("stopped enriching the batch in hand; it will be redelivered")
                return
            except asyncio.CancelledError:
                log.info("stopped enriching the batch in hand; it will be redelivered")
                raise
            finally:
                self._enriching = None
            self.to_write.put(fetched)

    async def _write_all(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                current, self._ahead = self._ahead or _Ahead(await self.to_write.get()), None
                if stop.is_set():
                    self._ahead = current  # given up below: after a stop, nothing new is written
                    return
                self._writing = current.fetched
                await self._until_done(current, stop)
                self._writing = None
        finally:
            self._writing = None
            if self._ahead is not None:
                await self._ahead.given_up()
                self._ahead = None

    async def _until_done(self, current: "_Ahead", stop: asyncio.Event) -> None:
        """Writes the batch, holding it through outages: a retriable failure (Elasticsearch
        away past the retry deadline, Kafka away) retries the batch whole, with capped
        backoff, until it goes through; nothing after it is written meanwhile, so the queues
        fill and fetching pauses. A stop while held gives it up uncommitted.

        Once the batch is prepared, the next queued one is taken and prepared meanwhile
        (`self._ahead`); a failure gives that preparation up, keeping the batch for after."""
        backoff_s = self.limits.retry_initial_backoff_s
        fetched = current.fetched
        while True:
            try:
                # Each attempt is watched alone: a pause between attempts is no stall.
                async with self._watched(fetched):
                    prepared = await current.prepared(self.steps)
                    if self._ahead is None and len(self.to_write) and not stop.is_set():
                        self._ahead = _Ahead(self.to_write.take())
                        self._ahead.start(self.steps)
                    await self.steps.finish(prepared)
            except WirewatchError as error:
                if self._ahead is not None:
                    # Prepared against a state this failure may have changed: again, after.
                    await self._ahead.given_up()
                if not error.retriable:
                    raise
                reason = str(error)
            else:
                held_s = self.state.release()
                if held_s is not None:
                    log.warning("outage over: the held batch went through; consuming again",
                                held_s=round(held_s, 1))  # fmt: skip
                return
            if self.state.hold(reason):
                log.error("outage: holding the batch and retrying it until it goes through; "
                          "consumption is paused, nothing is committed",
                          error=reason, records=fetched.batch.size)  # fmt: skip
            if stop.is_set():
                log.warning("stopped holding the batch in hand; it will be redelivered")
                return
            await asyncio.sleep(backoff_s)
            backoff_s = min(max(backoff_s * 2, 0.1), self.limits.retry_max_backoff_s)

    @contextlib.asynccontextmanager
    async def _watched(self, fetched: EnrichedFetch) -> AsyncIterator[None]:
        """One attempt at the batch, under the stall watch that /healthz reports."""
        self.sink.took(fetched.batch.size)
        done = False
        try:
            yield
            done = True
        finally:
            self.sink.settled(done=done)

    async def _finish_writing(self, writing: asyncio.Task[None]) -> None:
        """After a stop: the batch being written gets the shutdown timeout, no more; one held
        through an outage is given up at once (nothing of it is committed)."""
        if self._writing is None or self.state.held_reason is not None:
            held = self._writing is not None
            await _cancelled(writing)
            if held:
                log.warning("stopped holding the batch in hand; it will be redelivered")
            return
        timeout_s = self.limits.shutdown_timeout_s
        await asyncio.wait({writing}, timeout=timeout_s)
        if not writing.done():
            await _cancelled(writing)
            raise ShutdownTimeoutError(
                f"the batch being written did not finish within {timeout_s:.0f} s of the stop "
                "signal (WIREWATCH_SERVICE__SHUTDOWN_TIMEOUT_S); unless its commit was already "
                "on the wire it will be redelivered, overwriting the same documents."
            )
        writing.result()


class _Ahead:
    """A batch to write, with its preparation when it was started ahead of its turn (a
    preparation claims and writes nothing: giving it up is cancelling it)."""

    def __init__(self, fetched: EnrichedFetch) -> None:
        self.fetched = fetched
        self._preparing: asyncio.Task[PreparedBatch] | None = None

    def start(self, steps: BatchSteps) -> None:
        self._preparing = asyncio.create_task(steps.prepare(self.fetched), name="prepare")

    async def prepared(self, steps: BatchSteps) -> PreparedBatch:
        """The prepared batch: the preparation started ahead, or one started now."""
        preparing, self._preparing = self._preparing, None
        if preparing is None:
            return await steps.prepare(self.fetched)
        return await preparing  # cancelling this cancels the preparation

    async def given_up(self) -> None:
        """Stops the preparation; the batch stays, to be prepared again."""
        preparing, self._preparing = self._preparing, None
        if preparing is not None:
            await _cancelled(preparing)


async def _cancelled(task: "asyncio.Task[object]") -> None:
    """Cancels the task and waits for it to end; its own failure, if any, is not raised (the
    caller has raised or reported what ended the pipeline)."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: asyncio would otherwise log it as never retrieved
