"""Enrichment throughput against bare spaCy (a benchmark, not a test).

Enriches a corpus of articles (the samples, the seed article and the development snippets,
repeated up to `--docs`) with the full Enricher: language detection, entity rules, facets,
topics, deals and story bands. Then runs the bare `nlp.pipe` of the same spaCy model over the
same texts. Prints both rates and their ratio: the share of spaCy's own speed that
enrichment keeps (target: at least 0.8). The two sides run in turn, `--repeats` times after a
warm-up; the best run of each counts, as the noise of a shared machine only slows a run down.

    make bench-enrich          # or: python -m benchmarks.enrichment_throughput --docs 400

`--long` takes instead the real-length articles (600-1,200 words) of `wirewatch bench`: there
the pipeline's own components weigh less against spaCy's than on short snippets, and the ratio
is the most that P1 (the service against bare `nlp.pipe`) could reach.
"""

import argparse
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path

import spacy

from contracts import Article
from enrich import Enricher, EnrichSettings, analysed_text, parse_examples, snippet_article
from tools.bench.articles import bench_articles

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "samples": ROOT / "samples" / "articles.jsonl",
    "seed": ROOT / "tests" / "fixtures" / "seed-article.json",
    "snippets": ROOT / "tests" / "fixtures" / "enrichment-dev.jsonl",
}


def corpus(size: int) -> list[Article]:
    """`size` articles cycling through the samples, the seed article and the snippets."""
    articles = [
        Article.model_validate_json(line)
        for line in SOURCES["samples"].read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    articles.append(Article.model_validate(json.loads(SOURCES["seed"].read_text("utf-8"))))
    lines = SOURCES["snippets"].read_text(encoding="utf-8").splitlines()
    articles += [snippet_article(example) for example in parse_examples(lines)]
    return [articles[i % len(articles)] for i in range(size)]


def best_rates(runs: dict[str, Callable[[], None]], docs: int, repeats: int) -> dict[str, float]:
    """Docs per second of the fastest of `repeats` runs of each, after one warm-up run each.
    The runs alternate, so that a burst of load on a shared machine hits both sides alike."""
    best = dict.fromkeys(runs, float("inf"))
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: docs / seconds for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=400, help="Articles per run.")
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per side.")
    parser.add_argument(
        "--long", action="store_true", help="The real-length articles of `wirewatch bench`."
    )
    options = parser.parse_args()

    settings = EnrichSettings()
    articles = bench_articles(options.docs) if options.long else corpus(options.docs)
    enricher = Enricher(settings)
    bare = spacy.load(settings.model)
    # The service's enrichment workers keep their loaded pipeline out of the cyclic
    # collector's walks (enrich.workers); so does this process, or collections of the loaded
    # models would count against whichever side was running when they came.
    gc.freeze()
    max_chars = min(settings.max_text_chars, bare.max_length)
    texts = [analysed_text(article, max_chars) for article in articles]

    def enrich() -> None:
        enricher.enrich_all(articles)

    def pipe() -> None:
        with bare.memory_zone():
            for _ in bare.pipe(texts, batch_size=settings.pipe_batch_size):
                pass

    rates = best_rates({"enrich": enrich, "pipe": pipe}, len(articles), options.repeats)
    enriched, plain = rates["enrich"], rates["pipe"]
    print(f"model: {settings.model}; {len(articles)} articles, best of {options.repeats} runs")
    print(f"bare nlp.pipe:  {plain:8.1f} docs/s")
    print(f"enrichment:     {enriched:8.1f} docs/s")
    print(f"ratio:          {enriched / plain:8.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
