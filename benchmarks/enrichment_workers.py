"""Enrichment across worker processes against the Enricher in this process (a benchmark, not
a test).

Enriches the corpus of benchmarks/enrichment_throughput.py with the Enricher in this process,
then with an EnrichmentPool of 1, 2, ... `--workers` processes, and prints each rate, its ratio
to the in-process one, and how long the pool took to start (its workers loading their
pipelines). Runs alternate after a warm-up; the best of `--repeats` counts.

    python -m benchmarks.enrichment_workers --docs 400 --workers 2
"""

import argparse
import asyncio
import time

from benchmarks.enrichment_throughput import corpus
from contracts import Article
from enrich import Enricher, EnrichmentPool, EnrichSettings


async def pool_rates(
    settings: EnrichSettings, articles: list[Article], workers: int, repeats: int
) -> tuple[float, float]:
    """(start-up seconds, best docs/s) of a pool of `workers` processes."""
    started = time.perf_counter()
    async with EnrichmentPool(settings.model_copy(update={"workers": workers})) as pool:
        start_s = time.perf_counter() - started
        await pool.enrich(articles)  # warm-up
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            await pool.enrich(articles)
            best = min(best, time.perf_counter() - began)
    return start_s, len(articles) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=400, help="Articles per run.")
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per side.")
    parser.add_argument("--workers", type=int, default=2, help="Most worker processes tried.")
    options = parser.parse_args()

    settings = EnrichSettings()
    articles = corpus(options.docs)
    began = time.perf_counter()
    enricher = Enricher(settings)
    load_s = time.perf_counter() - began
    enricher.enrich_all(articles)
    best = float("inf")
    for _ in range(options.repeats):
        began = time.perf_counter()
        enricher.enrich_all(articles)
        best = min(best, time.perf_counter() - began)
    in_process = len(articles) / best
    print(f"model: {settings.model}; {len(articles)} articles, best of {options.repeats} runs")
    print(f"in-process Enricher: {in_process:7.1f} docs/s   (load {load_s:.1f} s)")
    for workers in range(1, options.workers + 1):
        start_s, rate = asyncio.run(pool_rates(settings, articles, workers, options.repeats))
        print(f"pool, {workers} worker(s):  {rate:7.1f} docs/s   x{rate / in_process:.2f}   "
              f"(start-up {start_s:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
