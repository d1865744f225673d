"""The per-article cost of what the service does outside spaCy (a benchmark, not a test).

Articles of real length (about 1,000 words: the sample articles and the enrichment dev set's
texts, four bodies joined per article, plus the seed article), enriched once at start by the
real `Enricher`. Each step of the batch path is timed per article, as the service runs it and
as the alternatives would, in one run so that the ratios hold on a noisy shared machine:

  decode      message bytes -> ReceivedArticle (ingest.validation.decode_message), against
              pydantic's own JSON parser and orjson + model_validate
  document    EnrichedArticle -> ArticleDocument (index.build_document), and its `_source`
              (ArticleDocument.source_fields) that matching and the bulk body read
  bulk body   the `_source` serialised as elasticsearch-py does (json) and with orjson
  matching    presearch + evaluation against 1,000 rules, the field analysis alone
  stories     the pure story assignment of a batch (index.stories.propose)
  dead letter the headers of a dead letter (ingest.dead_letter.dead_letter_headers)

Prints microseconds per article (the best of `--rounds` passes, CPU time of this thread).

    python -m benchmarks.per_article_cost --rounds 5
"""

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from elasticsearch.serializer import JsonSerializer, OrjsonSerializer

from benchmarks.matching_cost import Vocabulary, make_rules, raw_articles
from contracts import Article, DeadLetter, EnrichedArticle, KafkaPosition
from enrich.pipeline import Enricher
from enrich.settings import EnrichSettings
from index import IndexSettings, connect
from index.documents import build_document
from index.stories import propose
from ingest.dead_letter import dead_letter_headers
from ingest.validation import decode_message
from matcher import FieldValues, RuleMatcher

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed-article.json"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
WORDS_PER_ARTICLE = 1_000


def long_articles() -> list[Article]:
    """Articles of about `WORDS_PER_ARTICLE` words: consecutive bodies joined, and the seed."""
    short = raw_articles()
    articles = [Article.model_validate(json.loads(SEED.read_text(encoding="utf-8")))]
    body: list[str] = []
    words = 0
    for article in short:
        body.append(article.body)
        words += len(article.body.split())
        if words >= WORDS_PER_ARTICLE:
            articles.append(
                article.model_copy(update={"body": "\n\n".join(body), "id": f"long-{article.id}"})
            )
            body, words = [], 0
    return articles


def per_article_us(
    work: Callable[[Any], object], items: Sequence[Any], rounds: int
) -> tuple[float, float]:
    """(best mean, median mean) microseconds per item over `rounds` passes."""
    means = []
    for _ in range(rounds):
        started = time.thread_time()
        for item in items:
            work(item)
        means.append((time.thread_time() - started) * 1e6 / len(items))
    return min(means), statistics.median(means)


def show(name: str, figures: tuple[float, float], baseline: float | None = None) -> None:
    best, median = figures
    ratio = f"  x{baseline / best:.2f} vs current" if baseline else ""
    print(f"  {name:<58} {best:>9.1f} µs  (median {median:>9.1f}){ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rounds = args.rounds

    articles = long_articles()
    started = time.perf_counter()
    enriched = Enricher(EnrichSettings()).enrich_all(articles)
    words = statistics.fmean(len(article.body.split()) for article in articles)
    print(
        f"{len(articles)} articles of {words:.0f} words on average, enriched in "
        f"{time.perf_counter() - started:.1f} s; µs per article, best of {rounds} passes"
    )
    position = KafkaPosition(topic="articles", partition=0, offset=0)
    values = [article.model_dump_json().encode() for article in articles]
    messages = [
        (article.model_dump_json().encode(), article.document_id.encode()) for article in articles
    ]

    print("decode (message bytes -> ReceivedArticle / Article)")
    current = per_article_us(
        lambda message: decode_message(position, message[1], message[0], 1_700_000_000_000),
        messages,
        rounds,
    )
    show("decode_message (json.loads + model_validate + ReceivedArticle)", current)
    stdlib = per_article_us(
        lambda value: Article.model_validate(json.loads(value.decode())), values, rounds
    )
    show("json.loads + Article.model_validate", stdlib)
    show("orjson.loads + Article.model_validate", per_article_us(
        lambda value: Article.model_validate(orjson.loads(value)), values, rounds
    ), stdlib[0])  # fmt: skip
    show("Article.model_validate_json", per_article_us(
        Article.model_validate_json, values, rounds
    ), stdlib[0])  # fmt: skip
    show("json.loads alone", per_article_us(lambda v: json.loads(v.decode()), values, rounds))
    show("orjson.loads alone", per_article_us(orjson.loads, values, rounds))

    print("document (EnrichedArticle -> ArticleDocument -> _source)")
    pairs = list(enumerate(enriched))
    show("build_document", per_article_us(
        lambda pair: build_document(pair[1], position, NOW, None), pairs, rounds
    ))  # fmt: skip
    built = [build_document(article, position, NOW, None) for article in enriched]
    dump = per_article_us(lambda document: document.source_fields(), built, rounds)
    show("ArticleDocument.source_fields (model_dump json)", dump)
    sources = [document.source_fields() for document in built]

    print("bulk body (one document's _source serialised)")
    json_serializer, orjson_serializer = JsonSerializer(), OrjsonSerializer()
    standard = per_article_us(json_serializer.dumps, sources, rounds)
    show("elasticsearch JsonSerializer.dumps (json)", standard)
    show("elasticsearch OrjsonSerializer.dumps", per_article_us(
        orjson_serializer.dumps, sources, rounds
    ), standard[0])  # fmt: skip
    answer = json_serializer.dumps({"items": [{"index": {"_id": "x", "status": 201}}] * 100})
    show("bulk answer of 100 items, json.loads (per article)", per_article_us(
        lambda _: json_serializer.loads(answer), range(10), rounds
    ))  # fmt: skip

    print(f"matching ({args.rules} rules)")
    rules = make_rules(random.Random(args.seed), Vocabulary(sources), args.rules)  # noqa: S311
    matcher = RuleMatcher(rules)
    catalog = rules[0][1].catalog
    analysis = per_article_us(lambda source: FieldValues(source, catalog).keys(), sources, rounds)
    show("field analysis alone (every text and keyword field)", analysis)
    show("presearch candidates (analysis included)", per_article_us(
        lambda source: matcher.candidates(FieldValues(source, catalog)), sources, rounds
    ))  # fmt: skip
    show("RuleMatcher.evaluate (presearch + tests, one analysis)", per_article_us(
        matcher.evaluate, sources, rounds
    ))  # fmt: skip

    print("stories (a batch of all articles, no claims held)")
    batch = [(article.article.document_id, article.story_bands) for article in enriched]
    best, median = per_article_us(
        lambda _: propose(batch, {}, NOW, timedelta(hours=72)), [None], rounds * 20
    )
    show("propose (per article of the batch)", (best / len(batch), median / len(batch)))

    print("the batch path outside spaCy and matching, as this checkout runs it")
    client_serializer = connect(IndexSettings()).transport.serializers.get_serializer(
        "application/json"
    )

    def batch_path(pair: tuple[tuple[bytes, bytes], EnrichedArticle]) -> None:
        (value, key), article = pair
        decode_message(position, key, value, 1_700_000_000_000)
        document = build_document(article, position, NOW, None)
        document.source_fields()  # alert matching reads it
        client_serializer.dumps(document.source_fields())  # the bulk line

    show("decode + build_document + _source for matching + bulk line", per_article_us(
        batch_path, list(zip(messages, enriched, strict=True)), rounds
    ))  # fmt: skip

    print("dead letter")
    letters = [
        DeadLetter(position=position, key=key, value=value, stage="enrichment", reason="x" * 200)
        for value, key in messages
    ]
    show("dead_letter_headers", per_article_us(dead_letter_headers, letters, rounds))


if __name__ == "__main__":
    main()
