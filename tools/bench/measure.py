"""P1-P5 against the real service: each part fills a topic of its own, runs the service as
processes of their own and reads what got indexed (and alerted) in Elasticsearch."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from contracts import Article
from enrich import default_workers
from index import connect
from tools.bench.articles import bench_articles
from tools.bench.baselines import bare_pipe_rate, bare_pipe_texts, raw_bulk_rate, raw_consume_rate
from tools.bench.process import RUN_PASS_THROUGH, RUN_SERVICE, ServiceProcess
from tools.bench.report import Latency, Memory, PassThrough, ScalePoint, Throughput, percentile
from tools.bench.servers import (
    add_rules,
    alerts_read,
    bench_servers,
    committed_counter,
    group_state,
    indexed_count,
    produce,
    produce_steadily,
    searchable_ids,
    service_environment,
)
from wirewatch.settings import Settings

_POLL_S = 0.25
# Article numbers of each part's own: P1-P5 count from 0, P3 from LATENCY, warm-ups from WARM_UP.
LATENCY = 1_000_000
WARM_UP = 2_000_000


@dataclass(frozen=True)
class Sample:
    """How many articles the service had indexed (committed) at one moment, and its memory
    then (MB)."""

    at_s: float
    indexed: int
    rss_mb: float = 0.0
    pss_mb: float | None = None


def steady_rate(samples: Sequence[Sample], total: int) -> float:
    """Articles per second from the first sample (producing starts; the service is warm) to
    the first with all `total` indexed."""
    first = samples[0]
    last = first_at(samples, 1.0, total)
    if last.at_s <= first.at_s:
        raise ValueError("all articles were indexed before the first sample: measure more")
    return (total - first.indexed) / (last.at_s - first.at_s)


def backlog_rate(samples: Sequence[Sample], total: int, warm_fraction: float = 0.1) -> float:
    """Articles per second over a backlog, from the last sample with less than `warm_fraction`
    of it indexed (start-up, group join and first batches behind) to the first with all of it.
    A backlog that goes through between two samples is timed over that interval."""
    last = first_at(samples, 1.0, total)
    warm = [sample for sample in samples if sample.indexed < warm_fraction * total][-1]
    return (last.indexed - warm.indexed) / (last.at_s - warm.at_s)


def first_at(samples: Sequence[Sample], fraction: float, total: int) -> Sample:
    """The first sample with at least `fraction` of `total` indexed."""
    return next(sample for sample in samples if sample.indexed >= fraction * total)


def enrichment_processes(settings: Settings) -> int:
    """How many processes enrich in the service: its worker setting, unset the CPUs it may
    use (affinity and cgroup quota), as the service decides."""
    return settings.enrich.workers or default_workers()


async def started(
    settings: Settings, replicas: Sequence[ServiceProcess], timeout_s: float = 300
) -> None:
    """Returns once every replica is ready (model loaded, clients connected), the consumer
    group is stable with all of them, and a warm-up article per partition is indexed (the
    first batch loads spaCy's lazy parts): what follows measures the steady state."""
    deadline = time.monotonic() + timeout_s

    async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
        while not await condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} after {timeout_s:.0f} s")
            for replica in replicas:
                replica.check_alive()
            await asyncio.sleep(_POLL_S)

    async def ready() -> bool:
        return all([await asyncio.to_thread(replica.ready) for replica in replicas])

    async def warm() -> bool:
        async with committed_counter(settings) as committed:
            return await committed() >= partitions

    async def stable() -> bool:
        return await group_state(settings) == ("Stable", len(replicas))

    partitions = settings.ingest.topic_partitions
    await until(ready, "the service was not ready")
    await produce(settings, bench_articles(partitions, first=WARM_UP), spread=True)
    await until(warm, "the warm-up articles were not indexed")
    await until(stable, f"the consumer group had not {len(replicas)} stable member(s)")


async def run_until_indexed(
    settings: Settings,
    articles: Sequence[Article],
    replicas: Sequence[ServiceProcess],
    memory: Callable[[], tuple[float, float | None]] | None = None,
) -> list[Sample]:
    """Produces the articles to the started service and samples its progress (and `memory`)
    until it has committed them all, then checks that the index holds them; the first sample
    is taken as producing starts. Progress is the consumer group's committed offsets: the
    service commits only what is indexed, and reading them costs Elasticsearch nothing.
    Raises if it takes longer than a slow machine would, if a replica ends, or if the index
    lacks an article at the end."""
    total = len(articles)
    timeout_s = _timeout_s(total)
    async with committed_counter(settings) as committed:
        already = await committed()
        samples = [Sample(0.0, 0, *(memory() if memory is not None else (0.0, None)))]
        begun = time.monotonic()
        producing = asyncio.create_task(produce(settings, articles))
        while samples[-1].indexed < total:
            if time.monotonic() - begun > timeout_s:
                producing.cancel()
                raise TimeoutError(
                    f"{samples[-1].indexed} of {total} articles indexed after {timeout_s:.0f} s"
                )
            for replica in replicas:
                replica.check_alive()
            await asyncio.sleep(_POLL_S)
            done = await committed() - already
            rss, pss = memory() if memory is not None else (0.0, None)
            samples.append(Sample(time.monotonic() - begun, done, rss, pss))
    await producing
    held = await indexed_count(settings)
    expected = total + settings.ingest.topic_partitions  # and the warm-up articles
    if held < expected:
        raise RuntimeError(f"the service committed {total} articles but the index holds {held}")
    return samples


def _timeout_s(articles: int) -> float:
    # A slow machine still does a few articles a second; a wedged service none.
    return 300 + articles


async def service_rate(
    base: Settings,
    articles: int,
    *,
    workers: int | None = None,
    replicas: int = 1,
    command: tuple[str, ...] = RUN_SERVICE,
) -> float:
    """The enriching service's articles/s: `articles` real-length articles produced to the
    started, warm service, from the first produced to the last committed (a backlog may be
    one batch: enrichment, not fetching, sets the pace, and producing costs next to nothing)."""
    async with bench_servers(base) as settings:
        environment = service_environment(settings)
        if workers is not None:
            environment["WIREWATCH_ENRICH__WORKERS"] = str(workers)
        async with AsyncExitStack() as stack:
            processes = [
                stack.enter_context(ServiceProcess(environment, command)) for _ in range(replicas)
            ]
            await started(settings, processes)
            samples = await run_until_indexed(settings, bench_articles(articles), processes)
        return steady_rate(samples, articles)


async def backlog_service_rate(base: Settings, articles: int, command: tuple[str, ...]) -> float:
    """The service's articles/s over a backlog of `articles` produced before it starts, as
    the raw baselines read theirs (producing 20,000 articles would take most of a core beside
    the service), from 10% of the backlog on (start-up behind) to all of it."""
    async with bench_servers(base) as settings:
        await produce(settings, bench_articles(articles))
        with ServiceProcess(service_environment(settings), command) as process:
            samples = await sample_until_committed(settings, articles, [process])
        return backlog_rate(samples, articles)


async def sample_until_committed(
    settings: Settings, total: int, replicas: Sequence[ServiceProcess]
) -> list[Sample]:
    """Samples the group's committed count until it reaches `total`, then checks the index
    holds them all. Raises if it takes longer than a slow machine would or a replica ends."""
    timeout_s = _timeout_s(total)
    begun = time.monotonic()
    samples = [Sample(0.0, 0)]
    async with committed_counter(settings) as committed:
        while samples[-1].indexed < total:
            if time.monotonic() - begun > timeout_s:
                raise TimeoutError(
                    f"{samples[-1].indexed} of {total} articles indexed after {timeout_s:.0f} s"
                )
            for replica in replicas:
                replica.check_alive()
            await asyncio.sleep(_POLL_S)
            samples.append(Sample(time.monotonic() - begun, await committed()))
    held = await indexed_count(settings)
    if held < total:
        raise RuntimeError(f"the service committed {total} articles but the index holds {held}")
    return samples


async def throughput(base: Settings, articles: int) -> Throughput:
    """P1: the service with its default settings, then bare nlp.pipe with as many processes."""
    service = await service_rate(base, articles)
    processes = enrichment_processes(base)
    texts = bare_pipe_texts(base, bench_articles(articles))
    bare = await asyncio.to_thread(
        bare_pipe_rate, base.enrich.model, texts, processes, base.enrich.pipe_batch_size
    )
    return Throughput(
        articles=articles,
        workers=processes,
        service_per_s=service,
        bare_pipe_per_s=bare,
        ratio=service / bare,
    )


async def pass_through(base: Settings, articles: int) -> PassThrough:
    """P2: the pass-through service, then raw getmany and raw bulk of the same documents."""
    service = await backlog_service_rate(base, articles, RUN_PASS_THROUGH)
    documents = bench_articles(articles)
    async with bench_servers(base) as settings:
        await produce(settings, documents)
        consume = await raw_consume_rate(settings, articles)
        bulk = await raw_bulk_rate(settings, documents)
    return PassThrough(
        articles=articles,
        service_per_s=service,
        raw_consume_per_s=consume,
        raw_bulk_per_s=bulk,
        ratio=service / min(consume, bulk),
    )


async def latency(base: Settings, rate_per_s: float, seconds: float, rules: int) -> Latency:
    """P3: articles produced at a steady rate to the running service with `rules` rules: when
    each became searchable (searches without a forced refresh, as a user's) and alerted."""
    count = max(1, round(rate_per_s * seconds))
    articles = bench_articles(count, first=LATENCY)
    async with bench_servers(base) as settings:
        await add_rules(settings, rules - 1)
        with ServiceProcess(service_environment(settings)) as service:
            await started(settings, [service])
            producing = asyncio.create_task(produce_steadily(settings, articles, rate_per_s))
            seen: dict[str, float] = {}
            deadline = time.monotonic() + seconds + 120
            async with connect(settings.index) as client:
                while (
                    len(seen) < count + settings.ingest.topic_partitions
                    and time.monotonic() < deadline
                ):
                    service.check_alive()
                    now = time.time()
                    for found in await searchable_ids(client, settings.index.alias):
                        seen.setdefault(found, now)
                    await asyncio.sleep(0.05)
            produced = await producing
            alerted = await alerts_read(settings, count, timeout_s=10)
    searchable = [seen[key] - at for key, at in produced.items() if key in seen]
    alerts = [alerted[key] - at for key, at in produced.items() if key in alerted]
    return Latency(
        rate_per_s=rate_per_s,
        seconds=seconds,
        rules=rules,
        produced=len(produced),
        searchable=len(searchable),
        alerted=len(alerts),
        searchable_p50_s=percentile(searchable, 0.5) if searchable else None,
        searchable_p99_s=percentile(searchable, 0.99) if searchable else None,
        alert_p50_s=percentile(alerts, 0.5) if alerts else None,
        alert_p99_s=percentile(alerts, 0.99) if alerts else None,
    )


async def memory(base: Settings, articles: int) -> Memory:
    """P4: the resident memory of all the service's processes at 10% and 100% of a backlog."""
    async with bench_servers(base) as settings:
        with ServiceProcess(service_environment(settings)) as service:
            await started(settings, [service])
            samples = await run_until_indexed(
                settings, bench_articles(articles), [service], memory=service.memory_mb
            )
            processes = len(service.processes())
    early, last = first_at(samples, 0.1, articles), samples[-1]
    return Memory(
        articles=articles,
        processes=processes,
        rss_at_10pct_mb=early.rss_mb,
        rss_at_100pct_mb=last.rss_mb,
        growth_pct=100 * (last.rss_mb / early.rss_mb - 1),
        pss_at_10pct_mb=early.pss_mb,
        pss_at_100pct_mb=last.pss_mb,
        seconds=last.at_s,
    )


async def scaling(
    base: Settings, articles: int, workers: Sequence[int], known: ScalePoint | None
) -> list[ScalePoint]:
    """P5: the rate with each worker count, then with 2 replicas in one consumer group;
    `known` (P1's run) is reused rather than measured twice."""
    points = [known] if known is not None else []
    for count in workers:
        if known is not None and known.workers == count and known.articles == articles:
            continue
        rate = await service_rate(base, articles, workers=count)
        points.append(ScalePoint(workers=count, replicas=1, articles=articles, per_s=rate))
    rate = await service_rate(base, articles, replicas=2)
    points.append(ScalePoint(workers=None, replicas=2, articles=articles, per_s=rate))
    return points
