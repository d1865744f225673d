"""The cost of matching one article against 10, 1,000 and 10,000 rules (a benchmark, not a test).

Articles: the sample articles and the texts of the enrichment dev set (first sentence as the
title), enriched once at start by the real `Enricher` and turned into the documents the
service indexes, so their facets (countries, weapons, organisations, topics, deals) are what
the pipeline finds. Rules: what analysts save, with values drawn from large vocabularies (all
ISO 3166 countries, every weapon name, alias and family designation of enrich/data/weapons.yaml,
every organisation of enrich/data/organizations.yaml, every topic, words and word pairs of
news text): `topics:X AND countries:Y`, `weapons:"Z"`, `organizations:"O" AND topics:T`,
`title:"two words"`, `body:(a AND b)`, ... and a minority of wildcards, ranges and negations.
Each article is timed through `RuleMatcher.match(source)`, which includes analysing its text,
in CPU time of the matching thread, so that other processes on a shared machine do not count.
Prints how many rules presearch hands to evaluation per article, and the mean, p50 and p99
microseconds per article (target: 10,000 rules under 1 ms).

    make bench-match          # or: python -m benchmarks.matching_cost --rounds 3
"""

import argparse
import itertools
import json
import random
import re
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pycountry
import yaml

from contracts.models import Article, KafkaPosition
from enrich.pipeline import Enricher
from enrich.settings import EnrichSettings
from index.documents import build_document
from index.template import mappings
from matcher import Catalog, CompiledQuery, FieldValues, RuleMatcher, compile_query

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "articles.jsonl"
DEV_SET = ROOT / "tests" / "fixtures" / "enrichment-dev.jsonl"
DATA = ROOT / "enrich" / "data"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
# The articles index's mapping, as the service compiles rules against it.
ARTICLES = Catalog.from_mapping(mappings("standard"))
SOURCES = ["Reuters", "AP", "TASS", "Defense News", "Janes"]
# Words too common to make a rule of (an analyst saves `title:"air defence"`, not `title:the`).
_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "with",
        "from",
        "this",
        "have",
        "has",
        "had",
        "was",
        "were",
        "are",
        "been",
        "will",
        "would",
        "said",
        "says",
        "its",
        "their",
        "they",
        "there",
        "which",
        "what",
        "when",
        "where",
        "who",
        "also",
        "after",
        "before",
        "into",
        "over",
        "about",
        "more",
        "than",
        "other",
        "some",
        "such",
        "only",
        "new",
        "one",
        "two",
        "three",
    ]
)


def raw_articles() -> list[Article]:
    """The samples and the dev set's texts as articles (the dev set's first sentence is its
    title), published over the last days."""
    articles = [
        Article.model_validate(json.loads(line))
        for line in SAMPLES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for number, line in enumerate(DEV_SET.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        text = item["text"]
        title = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0][:300]
        articles.append(
            Article.model_validate(
                {
                    "id": f"dev-{item['id']}",
                    "title": title,
                    "body": text,
                    "published_at": NOW.replace(hour=number % 24, day=1 + number % 27).isoformat(),
                    "source": SOURCES[number % len(SOURCES)],
                }
            )
        )
    return articles


def documents(articles: list[Article]) -> list[dict[str, Any]]:
    """Each article enriched by the real pipeline, as the `_source` the service indexes."""
    enriched = Enricher(EnrichSettings()).enrich_all(articles)
    return [
        build_document(
            one, KafkaPosition(topic="articles", partition=0, offset=n), NOW
        ).source_fields()
        for n, one in enumerate(enriched)
    ]


class Vocabulary:
    """The values rules are made of."""

    def __init__(self, sources: list[dict[str, Any]]) -> None:
        self.countries = sorted(country.alpha_2 for country in pycountry.countries)
        weapons = yaml.safe_load((DATA / "weapons.yaml").read_text(encoding="utf-8"))
        names = [w["name"] for w in weapons["weapons"]]
        names += [alias for w in weapons["weapons"] for alias in w.get("aliases", [])]
        names += [
            f"{family['prefix']}{family.get('joiner', '-')}{number}"
            for family in weapons["families"]
            for number in family.get("numbers", [])
        ]
        self.weapons = sorted(set(names))
        organizations = yaml.safe_load((DATA / "organizations.yaml").read_text(encoding="utf-8"))
        self.organizations = sorted({o["name"] for o in organizations["organizations"]})
        topics = yaml.safe_load((DATA / "topics.yaml").read_text(encoding="utf-8"))
        self.topics = sorted(topics["topics"])
        text = " ".join(f"{source['title']} {source['body']}" for source in sources)
        words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)]
        self.words = sorted({w for w in words if w not in _COMMON})
        self.pairs = sorted(
            {f"{a} {b}" for a, b in itertools.pairwise(words) if not {a, b} & _COMMON}
        )
        self.persons = sorted({p for source in sources for p in source["persons"]})


# (weight, template) of each kind of rule: {T} a topic, {C} a country code, {W} a weapon, {O} an
# organisation, {P} a person, {w} a word, {p} a word pair, {L} a letter, {N} millions.
RULE_KINDS = [
    (20, "topics:{T} AND countries:{C}"),
    (15, 'weapons:"{W}"'),
    (8, 'organizations:"{O}" AND topics:{T}'),
    (10, 'title:"{p}"'),
    (8, "body:({w} AND {w})"),
    (8, "countries:({C} OR {C}) AND topics:{T}"),
    (6, 'body:"{p}" AND countries:{C}'),
    (5, 'weapons:"{W}" AND countries:{C}'),
    (4, '"{p}"'),
    (3, 'persons:"{P}" OR organizations:"{O}"'),
    (4, "title:{w}* AND countries:{C}"),
    (3, "topics:{T} AND NOT countries:{C}"),
    (3, "deals.value.amount:>{N}000000 AND topics:arms_deal"),
    (2, 'published_at:>now-1d AND weapons:"{W}"'),
    (1, "NOT topics:{T} AND countries:{L}*"),
]
_SLOT = re.compile(r"\{(\w)\}")


def make_rules(
    rng: random.Random, vocabulary: Vocabulary, count: int
) -> list[tuple[str, CompiledQuery]]:
    """`count` rules of the kinds above in their proportions, values drawn at random."""
    v = vocabulary
    values = {
        "T": v.topics,
        "C": v.countries,
        "W": v.weapons,
        "O": v.organizations,
        "P": v.persons or ["Nobody"],
        "w": v.words,
        "p": v.pairs,
        "L": sorted({code[0] for code in v.countries}),
        "N": [str(millions) for millions in range(1, 5001)],
    }
    templates = [template for _, template in RULE_KINDS]
    weights = [weight for weight, _ in RULE_KINDS]
    rules = []
    for number in range(count):
        template = rng.choices(templates, weights=weights)[0]
        text = _SLOT.sub(lambda slot: rng.choice(values[slot.group(1)]), template)
        rules.append((f"rule-{number}", compile_query(text, catalog=ARTICLES, clock=NOW.timestamp)))
    return rules


def measure(
    matcher: RuleMatcher, sources: list[dict[str, Any]], rounds: int
) -> tuple[list[float], int]:
    """Microseconds per article (sorted), and the matches found."""
    timings: list[float] = []
    found = 0
    for _ in range(rounds):
        for source in sources:
            started = time.thread_time()
            found += len(matcher.match(source))
            timings.append((time.thread_time() - started) * 1e6)
    timings.sort()
    return timings, found


def percentile(timings: list[float], share: float) -> float:
    return timings[min(len(timings) - 1, int(len(timings) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="Passes over the articles per size.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)  # noqa: S311 (made-up rules, not secrets)
    articles = raw_articles()
    started = time.perf_counter()
    sources = documents(articles)
    print(
        f"{len(sources)} articles ({SAMPLES.relative_to(ROOT)}, {DEV_SET.relative_to(ROOT)}), "
        f"enriched by the Enricher in {time.perf_counter() - started:.1f} s; "
        f"{statistics.fmean(len(s['body']) for s in sources):.0f} body chars on average"
    )
    vocabulary = Vocabulary(sources)
    print(
        f"rule vocabularies: {len(vocabulary.countries)} countries, {len(vocabulary.weapons)} "
        f"weapons, {len(vocabulary.organizations)} organisations, {len(vocabulary.topics)} "
        f"topics, {len(vocabulary.words)} words, {len(vocabulary.pairs)} word pairs"
    )
    print("rule mix (weight: kind):")
    for weight, template in RULE_KINDS:
        print(f"  {weight:>3}: {template}")
    rules = make_rules(rng, vocabulary, 10_000)
    # Warm-up: compiled regexes, the analyzer's caches, and the interpreter's own.
    measure(RuleMatcher(rules[:10]), sources, 1)

    catalog = rules[0][1].catalog
    timings: list[float] = []
    for source in sources:
        started_cpu = time.thread_time()
        FieldValues(source, catalog).keys()
        timings.append((time.thread_time() - started_cpu) * 1e6)
    timings.sort()
    print(
        "analysis alone (every text and keyword field of an article): "
        f"mean {statistics.fmean(timings):.0f} µs, p99 {percentile(timings, 0.99):.0f} µs"
    )
    print(
        f"{'rules':>8} {'candidates':>11} {'matches':>8} "
        f"{'mean µs':>8} {'p50 µs':>8} {'p99 µs':>8}   (per article)"
    )
    for size in (10, 1_000, 10_000):
        matcher = RuleMatcher(rules[:size])
        candidates = statistics.fmean(
            len(matcher.candidates(FieldValues(source, catalog))) for source in sources
        )
        timings, found = measure(matcher, sources, args.rounds)
        print(
            f"{size:>8} {candidates:>11.1f} {found / len(timings):>8.2f} "
            f"{statistics.fmean(timings):>8.0f} {percentile(timings, 0.5):>8.0f} "
            f"{percentile(timings, 0.99):>8.0f}"
        )


if __name__ == "__main__":
    main()
