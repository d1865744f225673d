"""The cost of matching one article against 10, 1,000 and 10,000 rules (a benchmark, not a test).

Articles are the sample articles' real text (sentences reshuffled so that no two are the same)
with random facets; rules are a realistic mix of what analysts save: `topics:X AND
countries:Y`, `weapons:"Z"`, title and body phrases, people and organisations, negations, and
a few rules that presearch cannot index (ranges, pure negations) and so checks every time.
Each article is timed through `RuleMatcher.match(source)`, which includes analysing its text.
Prints the mean and p99 microseconds per article (target: 10,000 rules under 1 ms), in CPU
time of the matching thread, so that other processes on a shared machine do not count.

    make bench-match          # or: python -m benchmarks.matching_cost --articles 500
"""

import argparse
import json
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from index.fields import Document
from index.matching import CompiledQuery, RuleMatcher, compile_query

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "articles.jsonl"
COUNTRIES = [f"{a}{b}" for a in "ABCDEFGHIKLMNPRSTUVZ" for b in "AEGHIKLMNORSTUYZ"][:250]
TOPICS = [f"topic_{n}" for n in range(40)]
WEAPONS = [f"{model}-{n}" for model in ("S", "Su", "T", "MiG", "F", "K", "J") for n in range(80)]
PERSONS = [f"Person {n}" for n in range(1000)]
ORGANIZATIONS = [f"Organisation {n}" for n in range(500)]
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def sentences() -> list[str]:
    texts = [
        json.loads(line)["body"]
        for line in SAMPLES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [part.strip() for text in texts for part in re.split(r"(?<=[.!?])\s+", text) if part]


def article(rng: random.Random, pool: list[str]) -> dict[str, Any]:
    body = " ".join(rng.sample(pool, k=min(len(pool), rng.randint(10, 30))))
    return {
        "id": f"a{rng.getrandbits(32)}",
        "url": None,
        "title": rng.choice(pool)[:200],
        "body": body,
        "published_at": (NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 30))).isoformat(),
        "source": rng.choice(["Reuters", "AP", "TASS"]),
        "language": "en",
        "authors": [],
        "entities": [],
        "persons": rng.sample(PERSONS, k=rng.randint(0, 4)),
        "organizations": rng.sample(ORGANIZATIONS, k=rng.randint(0, 3)),
        "locations": [],
        "weapons": rng.sample(WEAPONS, k=rng.randint(0, 3)),
        "countries": rng.sample(COUNTRIES, k=rng.randint(1, 4)),
        "topics": rng.sample(TOPICS, k=rng.randint(0, 3)),
        "topic_details": [],
        "deals": [],
        "story_id": "s",
        "story_bands": [],
        "ingested_at": NOW.isoformat(),
        "kafka": {"topic": "articles", "partition": 0, "offset": 1},
    }


def rule(rng: random.Random, words: list[str]) -> str:
    kind = rng.random()
    if kind < 0.3:
        return f"topics:{rng.choice(TOPICS)} AND countries:{rng.choice(COUNTRIES)}"
    if kind < 0.5:
        return f'weapons:"{rng.choice(WEAPONS)}"'
    if kind < 0.65:
        start = rng.randrange(len(words) - 2)
        return f'title:"{" ".join(words[start : start + 2])}"'
    if kind < 0.75:
        start = rng.randrange(len(words) - 3)
        phrase = " ".join(words[start : start + 3])
        return f'body:"{phrase}" AND countries:{rng.choice(COUNTRIES)}'
    if kind < 0.85:
        return f'persons:"{rng.choice(PERSONS)}" OR organizations:"{rng.choice(ORGANIZATIONS)}"'
    if kind < 0.95:
        return (
            f"countries:({rng.choice(COUNTRIES)} OR {rng.choice(COUNTRIES)}) "
            f"AND NOT topics:{rng.choice(TOPICS)}"
        )
    if kind < 0.98:
        return f"{rng.choice(words)} AND weapons:{rng.choice(WEAPONS)}"
    return f"published_at:>now-1d AND NOT countries:{rng.choice(COUNTRIES)}"


def measure(matcher: RuleMatcher, articles: list[dict[str, Any]]) -> tuple[float, float, int]:
    """Mean and p99 microseconds per article, and the matches found."""
    timings: list[float] = []
    found = 0
    for source in articles:
        started = time.thread_time()
        found += len(matcher.match(source))
        timings.append((time.thread_time() - started) * 1e6)
    timings.sort()
    return statistics.fmean(timings), timings[int(len(timings) * 0.99) - 1], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500, help="Articles matched per size.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)  # noqa: S311 (made-up articles and rules, not secrets)
    pool = sentences()
    words = [word for text in pool for word in re.findall(r"[A-Za-z]{3,}", text)]
    articles = [article(rng, pool) for _ in range(args.articles)]
    clock = NOW.timestamp
    rules: list[tuple[str, CompiledQuery]] = [
        (f"rule-{n}", compile_query(rule(rng, words), clock=clock)) for n in range(10_000)
    ]
    # Warm-up: compiled regexes, caches, and the interpreter's own.
    measure(RuleMatcher(rules[:10]), articles[:20])
    print(f"{len(articles)} articles, text from {SAMPLES.relative_to(ROOT)}")
    catalog = rules[0][1].catalog
    timings: list[float] = []
    for source in articles:
        started = time.thread_time()
        Document(source, catalog).keys()
        timings.append((time.thread_time() - started) * 1e6)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        "analysis alone (the text and keyword terms of an article): "
        f"mean {statistics.fmean(timings):.0f} µs, p99 {p99:.0f} µs"
    )
    print(f"{'rules':>8} {'mean µs':>10} {'p99 µs':>10} {'matches/article':>16}")
    for size in (10, 1_000, 10_000):
        matcher = RuleMatcher(rules[:size])
        mean, p99, found = measure(matcher, articles)
        print(f"{size:>8} {mean:>10.0f} {p99:>10.0f} {found / len(articles):>16.2f}")


if __name__ == "__main__":
    main()
