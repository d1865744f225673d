"""Real-length benchmark articles, built deterministically from the real texts of the labelled
corpus and the seed article: several excerpts joined to 600-1,200 words."""

import json
import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from contracts import Article

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    *(ROOT / "enrich" / "corpus" / f"labelled-c{n}.jsonl" for n in (1, 2, 3)),
    ROOT / "tests" / "fixtures" / "seed-article.json",
)
MIN_WORDS = 600
MAX_WORDS = 1_200
SOURCE = "Bench Wire"
PUBLISHED_AT = "2026-11-27T10:00:00Z"


@cache
def excerpts() -> tuple[str, ...]:
    """The real texts the articles are made of: each corpus text and the seed article's body."""
    texts: list[str] = []
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.suffix == ".json":
            texts.append(json.loads("\n".join(lines))["body"])
        else:
            texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return tuple(texts)


def bench_article(number: int, pool: Sequence[str]) -> Article:
    """Article `number`: excerpts of `pool` chosen by a generator seeded with `number`, joined
    as paragraphs and cut at a word count between MIN_WORDS and MAX_WORDS."""
    chance = random.Random(number)  # noqa: S311 (test data, not secrets)
    target = chance.randint(MIN_WORDS, MAX_WORDS)
    paragraphs: list[str] = []
    words = 0
    while words < target:
        words_of_excerpt = chance.choice(pool).split()[: target - words]
        paragraphs.append(" ".join(words_of_excerpt))
        words += len(words_of_excerpt)
    title = " ".join(paragraphs[0].split()[:12])
    # As producers send it: the contract reads the timestamp from its text.
    return Article.model_validate(
        {
            "id": f"bench-{number}",
            "title": f"{title} ({number})",
            "body": "\n\n".join(paragraphs),
            "published_at": PUBLISHED_AT,
            "source": SOURCE,
        }
    )


def bench_articles(count: int, first: int = 0) -> list[Article]:
    """Articles `first` .. `first + count - 1`: the same numbers give the same articles."""
    pool = excerpts()
    return [bench_article(number, pool) for number in range(first, first + count)]
