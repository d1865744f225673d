"""The pool of enrichment worker processes, with real processes and enrichers without spaCy
(module-level factories, so that the workers can unpickle them), and the worker count that
the CPU affinity and cgroup quotas allow."""

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from contracts import Article, EnrichedArticle
from enrich import (
    EnrichmentError,
    EnrichmentFailure,
    EnrichmentPool,
    EnrichmentResult,
    EnrichSettings,
    cpu_quota,
    usable_cpus,
)
from enrich.workers import sub_batches


class Marking:
    """Enriches without spaCy: the language says which worker process did it. A title with
    POISON kills the worker as a segfault or the OOM killer would; SLOW takes a while."""

    def __init__(self, settings: EnrichSettings) -> None:
        self.pid = os.getpid()

    def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        for article in articles:
            if "POISON" in article.title:
                os.kill(os.getpid(), signal.SIGKILL)
            if "SLOW" in article.title:
                time.sleep(0.5)
        return [EnrichedArticle(article=article, language=str(self.pid)) for article in articles]


def failing_to_load(settings: EnrichSettings) -> Marking:
    raise EnrichmentError(f"cannot load the spaCy pipeline {settings.model!r}")


def article(number: int, title: str = "Talks") -> Article:
    return Article.model_validate(
        {"id": f"wire-{number}", "title": f"{title} {number}", "body": "Ministers met.",
         "published_at": "2026-01-01T00:00:00Z", "source": "Wire"}
    )  # fmt: skip


def pool(workers: int, **options: object) -> EnrichmentPool:
    settings = EnrichSettings(workers=workers, pipe_batch_size=4)
    return EnrichmentPool(settings, factory=Marking, **options)  # type: ignore[arg-type]


def ids(results: Sequence[EnrichmentResult]) -> list[str]:
    return [result.article.document_id for result in results]


async def test_results_keep_the_articles_order_across_sub_batches_spread_over_all_workers() -> None:
    articles = [article(n) for n in range(30)]
    async with pool(2) as workers:
        results = await workers.enrich(articles)
    assert ids(results) == [a.document_id for a in articles]
    enriched = [result for result in results if isinstance(result, EnrichedArticle)]
    assert len(enriched) == 30
    assert len({result.language for result in enriched}) == 2  # both workers took sub-batches
    assert os.getpid() not in {int(result.language) for result in enriched}


async def test_an_article_that_kills_its_worker_twice_fails_alone_and_the_pool_goes_on() -> None:
    restarts: list[float] = []
    replaced_twice = asyncio.Event()

    def restarted() -> None:
        restarts.append(time.monotonic())
        if len(restarts) == 2:
            replaced_twice.set()

    articles = [article(n) for n in range(12)]
    articles[5] = article(5, title="POISON")
    async with pool(2, on_worker_restart=restarted) as workers:
        results = await workers.enrich(articles)

        assert ids(results) == [a.document_id for a in articles]
        failure = results[5]
        assert isinstance(failure, EnrichmentFailure)
        assert "worker process died enriching it" in failure.reason
        assert "SIGKILL" in failure.reason
        assert all(isinstance(result, EnrichedArticle) for result in results[:5] + results[6:])
        # Replaced, once for its sub-batch and once for its try alone, and working.
        after = await workers.enrich([article(n) for n in range(100, 108)])
        assert all(isinstance(result, EnrichedArticle) for result in after)
        await asyncio.wait_for(replaced_twice.wait(), timeout=60)
        await asyncio.sleep(0.5)
        assert len(restarts) == 2


async def test_a_call_given_up_leaves_the_pool_answering_the_next_calls_right() -> None:
    async with pool(1) as workers:
        slow = asyncio.create_task(workers.enrich([article(1, title="SLOW")] * 3))
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        results = await workers.enrich([article(n) for n in range(5)])
    assert ids(results) == [f"wire-{n}" for n in range(5)]


async def test_closing_twice_is_safe_and_a_closed_pool_refuses_work() -> None:
    workers = pool(1)
    await workers.start()
    await workers.stop()
    await workers.stop()
    with pytest.raises(EnrichmentError, match="closed"):
        await workers.enrich([article(1)])


async def test_a_worker_that_cannot_load_fails_the_start_saying_why() -> None:
    settings = EnrichSettings(workers=2, model="no_such_model")
    with pytest.raises(EnrichmentError, match="cannot load the spaCy pipeline 'no_such_model'"):
        async with EnrichmentPool(settings, factory=failing_to_load):
            pass


def test_sub_batches_use_every_worker_and_stay_bounded() -> None:
    articles = [article(n) for n in range(10)]
    assert [len(b) for b in sub_batches(articles, workers=4, max_size=32)] == [3, 3, 3, 1]
    assert [len(b) for b in sub_batches(articles, workers=2, max_size=4)] == [4, 4, 2]
    assert [a for b in sub_batches(articles, 3, 2) for a in b] == articles
    assert sub_batches([], workers=2, max_size=4) == []


def cgroup(root: Path, membership: str, files: dict[str, str]) -> Path:
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(membership)
    for name, text in files.items():
        path = root / "sys/fs/cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_cgroup_v2_quota_caps_the_workers_rounded_up(tmp_path: Path) -> None:
    root = cgroup(tmp_path, "0::/kubepods/pod1\n", {"kubepods/pod1/cpu.max": "150000 100000\n"})
    assert cpu_quota(root) == 1.5
    assert usable_cpus(affinity=64, quota=cpu_quota(root)) == 2
    assert usable_cpus(affinity=1, quota=cpu_quota(root)) == 1


def test_the_tightest_quota_of_the_cgroup_and_those_above_it_counts(tmp_path: Path) -> None:
    root = cgroup(
        tmp_path,
        "0::/a/b\n",
        {"a/cpu.max": "200000 100000", "a/b/cpu.max": "max 100000", "cpu.max": "max 100000"},
    )
    assert cpu_quota(root) == 2.0


def test_no_quota_leaves_the_affinity(tmp_path: Path) -> None:
    root = cgroup(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"})
    assert cpu_quota(root) is None
    assert usable_cpus(affinity=3, quota=None) == 3


def test_inside_a_container_the_mount_root_is_its_cgroup(tmp_path: Path) -> None:
    # The membership names the host's path, absent from the container's view of the mount.
    root = cgroup(tmp_path, "0::/system.slice/docker-1.scope\n", {"cpu.max": "50000 100000"})
    assert cpu_quota(root) == 0.5
    assert usable_cpus(affinity=8, quota=cpu_quota(root)) == 1


def test_a_cgroup_v1_cfs_quota_caps_the_workers(tmp_path: Path) -> None:
    root = cgroup(
        tmp_path,
        "12:memory:/docker/1\n4:cpu,cpuacct:/docker/1\n",
        {"cpu,cpuacct/docker/1/cpu.cfs_quota_us": "300000\n",
         "cpu,cpuacct/docker/1/cpu.cfs_period_us": "100000\n"},
    )  # fmt: skip
    assert cpu_quota(root) == 3.0


def test_a_cgroup_v1_without_quota_says_none(tmp_path: Path) -> None:
    root = cgroup(
        tmp_path,
        "4:cpu,cpuacct:/\n",
        {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
    )
    assert cpu_quota(root) is None


def test_no_cgroup_files_no_quota(tmp_path: Path) -> None:
    assert cpu_quota(tmp_path) is None
