"""Enrichment across processes: a pool of worker processes, each with its own pipeline.

spaCy holds the CPU and the GIL, so one process enriches on one core. The pool starts one
worker process per usable CPU (or WIREWATCH_ENRICH__WORKERS), each loading its pipeline once,
and spreads every call over them in sub-batches. The calling process never loads a model.

Workers come from forkserver, never from a plain fork of the calling process: that one runs an
event loop and client threads whose locks a fork would copy mid-use. A worker that dies (a
segfault in native code, the kernel's OOM killer) is replaced; the articles it was enriching
are tried again one at a time, each alone on a worker, so that an article that kills a worker
again is known for certain and becomes an EnrichmentFailure, dead-lettered with the reason,
while its neighbours are enriched.
"""

import asyncio
import contextlib
import gc
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol, TypeVar

import structlog

from contracts import Article, AsyncResource
from enrich.errors import EnrichmentError
from enrich.pipeline import Enricher, EnrichmentFailure, EnrichmentResult
from enrich.settings import EnrichSettings

log = structlog.get_logger(__name__)

T = TypeVar("T")

# How long a worker may take to exit once asked (its connection closed), before it is killed.
_EXIT_GRACE_S = 5.0
# A replacement that fails to start is tried again after this, doubling up to the cap.
_RESTART_BACKOFF_S = 1.0
_RESTART_MAX_BACKOFF_S = 30.0


class ArticleEnricher(Protocol):
    """What a worker runs: one result per article, in order, an error of one article being
    that article's EnrichmentFailure (the real one: enrich.Enricher)."""

    def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]: ...


# Builds a worker's enricher from the settings, in the worker. It is pickled to the worker, so
# it must be a module-level callable (a class or function), as enrich.Enricher is.
EnricherFactory = Callable[[EnrichSettings], ArticleEnricher]


def cpu_quota(root: Path) -> float | None:
    """The CPUs the cgroup quota of this process allows (cgroup v2 `cpu.max`, or v1
    `cpu.cfs_quota_us` / `cpu.cfs_period_us`), the tightest of its cgroup and the cgroups
    above it; None without a quota. `root` is where `/proc` and `/sys` are (`/` but in tests).
    """
    try:
        memberships = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        memberships = []
    quotas: list[float] = []
    for membership in memberships:
        hierarchy, _, rest = membership.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            quotas.extend(_v2_quota(directory) for directory in _cgroup_dirs(root, "", path))
        elif "cpu" in controllers.split(","):
            quotas.extend(
                _v1_quota(directory)
                for mount in (controllers, "cpu", "cpu,cpuacct")
                for directory in _cgroup_dirs(root, mount, path)
            )
    if not memberships:
        # No /proc/self/cgroup (a namespaced view without it): the mount's root says it.
        quotas.extend(_v2_quota(directory) for directory in _cgroup_dirs(root, "", "/"))
    found = [quota for quota in quotas if quota > 0]
    return min(found) if found else None


def usable_cpus(affinity: int, quota: float | None) -> int:
    """The workers to start: the CPUs this process may run on, capped by its cgroup quota
    rounded up (a pod with `cpu: 1.5` gets 2), at least 1."""
    if quota is not None:
        affinity = min(affinity, math.ceil(quota))
    return max(1, affinity)


def default_workers(root: Path = Path("/")) -> int:
    """The CPUs this process may use: its affinity, capped by its cgroup quota."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count() or 1
    return usable_cpus(affinity, cpu_quota(root))


def _cgroup_dirs(root: Path, mount: str, path: str) -> list[Path]:
    """The cgroup's folder under its mount and each folder above it, that exist. Inside a
    container the path names the host's hierarchy while the container sees its own cgroup at
    the mount's root: the folders that do not exist are skipped."""
    base = root / "sys/fs/cgroup" / mount
    parts = [part for part in path.split("/") if part]
    candidates = [base.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]
    return [directory for directory in candidates if directory.is_dir()]


def _v2_quota(directory: Path) -> float:
    """CPUs of a v2 `cpu.max` ("max 100000" or "150000 100000"); 0 for none."""
    try:
        quota, period = (directory / "cpu.max").read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" else 0.0
    except (OSError, ValueError):
        return 0.0


def _v1_quota(directory: Path) -> float:
    """CPUs of a v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us`; 0 for none (-1)."""
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text())
        period = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return 0.0
    return quota / period if quota > 0 and period > 0 else 0.0


def sub_batches(articles: Sequence[Article], workers: int, max_size: int) -> list[list[Article]]:
    """Consecutive runs of the articles, as many as the workers (so that a small call uses
    them all), each at most `max_size` long (so that a large one spreads evenly)."""
    if not articles:
        return []
    size = max(1, min(max_size, math.ceil(len(articles) / workers)))
    return [list(articles[start : start + size]) for start in range(0, len(articles), size)]


class WorkerDiedError(EnrichmentError):
    """A worker process ended while it held a call (or while it loaded its pipeline)."""

    def __init__(self, pid: int, exit_code: int | None) -> None:
        self.pid = pid
        self.exit_code = exit_code
        super().__init__(f"the enrichment worker process {pid} died ({_exit_cause(exit_code)})")


def _exit_cause(exit_code: int | None) -> str:
    """How a process ended, as an operator reads it."""
    if exit_code is None:
        return "exit status unknown"
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        if name == "SIGKILL":
            return "killed by SIGKILL, as the kernel's OOM killer does when memory runs out"
        return f"killed by {name}"
    return f"exit code {exit_code}"


class _Raised:
    """What a worker sends back when its enricher raised out of a whole call (a bug: the
    enricher's promise is a result per article)."""

    def __init__(self, message: str) -> None:
        self.message = message


def _serve(connection: Connection, factory: EnricherFactory, settings: EnrichSettings) -> None:
    """A worker's life: load the pipeline, say so, then answer calls until the connection
    closes."""
    # Ctrl-C reaches the whole process group; the parent decides when its workers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        enricher = factory(settings)
    except Exception as error:  # noqa: BLE001 - told to the parent, which raises it
        connection.send(_Raised(f"{type(error).__name__}: {error}"))
        return
    # The loaded pipeline lives as long as the worker: kept out of the cyclic collector's walks.
    gc.freeze()
    connection.send(os.getpid())
    while True:
        try:
            articles = connection.recv()
        except EOFError:
            return
        try:
            results: list[EnrichmentResult] | _Raised = enricher.enrich(articles)
        except Exception as error:  # noqa: BLE001 - told to the parent, which raises it
            results = _Raised(f"{type(error).__name__}: {error}")
        connection.send(results)


class _Worker:
    """One worker process and the parent's end of its connection. Its blocking calls run in
    the pool's threads, never on the event loop."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self.process = process
        self.connection = connection
        self.pid = process.pid or 0

    @classmethod
    def start(
        cls,
        context: multiprocessing.context.ForkServerContext,
        factory: EnricherFactory,
        settings: EnrichSettings,
    ) -> "_Worker":
        """Starts a worker and waits until its pipeline is loaded (blocking)."""
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve, args=(child, factory, settings), name="wirewatch-enrich", daemon=True
        )
        process.start()
        child.close()
        worker = cls(process, parent)
        try:
            ready = worker._receive()
        except WorkerDiedError:
            worker.close()
            raise
        if isinstance(ready, _Raised):
            worker.close()
            raise EnrichmentError(f"an enrichment worker could not load: {ready.message}")
        return worker

    def enrich(self, articles: list[Article]) -> list[EnrichmentResult]:
        """The worker's results for the articles (blocking); WorkerDiedError if it dies."""
        try:
            self.connection.send(articles)
        except OSError:
            raise self._died() from None
        results = self._receive()
        if isinstance(results, _Raised):
            raise EnrichmentError(f"enrichment raised out of a whole call: {results.message}")
        if not isinstance(results, list) or len(results) != len(articles):
            raise EnrichmentError("an enrichment worker answered other than one result an article")
        return results

    def close(self) -> None:
        """Ends the worker (blocking): its connection closed, it exits; killed if it lingers."""
        self.connection.close()
        self.process.join(_EXIT_GRACE_S)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()

    def _receive(self) -> object:
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            raise self._died() from None

    def _died(self) -> WorkerDiedError:
        self.process.join(_EXIT_GRACE_S)
        return WorkerDiedError(self.pid, self.process.exitcode)


class EnrichmentPool(AsyncResource):
    """Worker processes enriching articles, each with its own pipeline loaded once.

    `await pool.enrich(articles)` gives one result per article, in order. Cancelling it gives
    up the sub-batches no worker has started; those being enriched finish in their workers
    and their results are dropped. A worker that dies is replaced, its articles retried one
    at a time; one that kills its worker again is an EnrichmentFailure saying so.
    `on_worker_restart` is called each time a replacement is ready (a metric counts them).
    """

    def __init__(
        self,
        settings: EnrichSettings,
        *,
        factory: EnricherFactory = Enricher,
        on_worker_restart: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.workers = settings.workers or default_workers()
        self._factory = factory
        self._on_worker_restart = on_worker_restart
        self._context = multiprocessing.get_context("forkserver")
        # The fork server imports spaCy and its dependencies once; each worker forked from it
        # starts with them imported and has only its model to load (about 2.5 s less a worker).
        self._context.set_forkserver_preload(["enrich"])
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._busy: dict[asyncio.Future[list[EnrichmentResult]], _Worker] = {}
        self._restarts: set[asyncio.Task[None]] = set()
        self._threads: ThreadPoolExecutor | None = None
        self._closing = asyncio.Event()

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        """Enriches the articles on all workers at once: one result per article, in order."""
        split = sub_batches(articles, self.workers, self.settings.pipe_batch_size)
        done = await _all_of([self._enrich_sub_batch(sub_batch) for sub_batch in split])
        return [result for results in done for result in results]

    async def _open(self) -> None:
        # A thread per worker for its calls, and spare ones to start and end workers meanwhile.
        self._threads = ThreadPoolExecutor(self.workers + 2, thread_name_prefix="wirewatch-enrich")
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(self._start_worker() for _ in range(self.workers)), return_exceptions=True
        )
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failed:
            await self._close()
            raise failed[0]
        log.info("enrichment workers ready", workers=self.workers,
                 load_s=round(time.perf_counter() - started, 2))  # fmt: skip

    async def _close(self) -> None:
        self._closing.set()
        await asyncio.gather(*self._restarts)
        # A worker still on a call (one given up by a stop) gets no answer read: ended now.
        for worker in self._busy.values():
            worker.process.terminate()
        await asyncio.gather(*self._busy, return_exceptions=True)
        await asyncio.gather(*(self._in_thread(worker.close) for worker in self._all))
        self._all.clear()
        if self._threads is not None:
            self._threads.shutdown()

    async def _enrich_sub_batch(
        self, articles: list[Article], *, retried: bool = False
    ) -> list[EnrichmentResult]:
        try:
            return await self._on_a_worker(articles)
        except WorkerDiedError as error:
            died = error
        ids = [article.document_id for article in articles]
        cause = _exit_cause(died.exit_code)
        if retried:
            log.error("an enrichment worker died again on an article tried alone: it is "
                      "dead-lettered", document_ids=ids, pid=died.pid, cause=cause)  # fmt: skip
            return [EnrichmentFailure(article=articles[0], reason=_poison_reason(died))]
        log.error("an enrichment worker died; its articles are tried again one at a time",
                  document_ids=ids, pid=died.pid, cause=cause)  # fmt: skip
        done = await _all_of([self._enrich_sub_batch([one], retried=True) for one in articles])
        return [result for results in done for result in results]

    async def _on_a_worker(self, articles: list[Article]) -> list[EnrichmentResult]:
        """The articles' results from the next idle worker. The call is shielded: a caller
        given up leaves it to finish, so that the worker's answer is read before its next."""
        if self._closing.is_set():
            raise EnrichmentError("the enrichment pool is closed")
        worker = await self._idle.get()
        call = asyncio.ensure_future(self._in_thread(partial(worker.enrich, articles)))
        self._busy[call] = worker
        call.add_done_callback(self._settle)
        return await asyncio.shield(call)

    def _settle(self, call: asyncio.Future[list[EnrichmentResult]]) -> None:
        """Puts the call's worker back once the call ended, or replaces it if it died."""
        worker = self._busy.pop(call)
        if call.cancelled() or not isinstance(call.exception(), WorkerDiedError):
            self._idle.put_nowait(worker)
        elif not self._closing.is_set():
            self._all.discard(worker)
            restart = asyncio.create_task(self._replace(worker))
            self._restarts.add(restart)
            restart.add_done_callback(self._restarts.discard)

    async def _replace(self, dead: _Worker) -> None:
        await self._in_thread(dead.close)
        backoff_s = _RESTART_BACKOFF_S
        while not self._closing.is_set():
            try:
                await self._start_worker()
            except EnrichmentError as error:
                failure = str(error)
            else:
                self._on_worker_restart()
                return
            log.error("cannot start an enrichment worker in place of one that died; trying "
                      "again", error=failure, retry_in_s=backoff_s)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), backoff_s)
            backoff_s = min(backoff_s * 2, _RESTART_MAX_BACKOFF_S)

    async def _start_worker(self) -> None:
        worker = await self._in_thread(
            partial(_Worker.start, self._context, self._factory, self.settings)
        )
        self._all.add(worker)
        self._idle.put_nowait(worker)

    async def _in_thread(self, call: Callable[[], T]) -> T:
        if self._threads is None:
            raise EnrichmentError("the enrichment pool is not started")
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)


async def _all_of(calls: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """The calls' results, in order, run at once; the first error raised as it is (the others
    given up), not wrapped in an ExceptionGroup."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as errors:
        raise errors.exceptions[0] from None
    return [task.result() for task in tasks]


def _poison_reason(died: WorkerDiedError) -> str:
    """Why an article that killed its worker twice is dead-lettered."""
    return (
        f"the enrichment worker process died enriching it ({_exit_cause(died.exit_code)}), "
        "with its neighbours and again alone: the article is likely to crash the pipeline"
    )
