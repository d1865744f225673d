"""What matching keeps between articles stays bounded, however many distinct articles pass."""

from matcher import analysis
from matcher.analysis import CACHED_CHUNK_MAX_CHARS, analyze


def test_the_chunk_cache_keeps_no_long_chunk_of_the_articles_it_analysed() -> None:
    analysis._chunk_cache.clear()
    for number in range(2_000):
        # Each article with a distinct unbroken run (a pasted identifier, a code).
        blob = f"{number:05d}" + "x" * 200
        assert analyze(f"Officials said {blob} today") == ["officials", "said", blob, "today"]

    cached_chars = sum(len(chunk) for chunk in analysis._chunk_cache)
    assert len(analysis._chunk_cache) == 3
    assert cached_chars <= 3 * CACHED_CHUNK_MAX_CHARS


def test_the_chunk_cache_is_cleared_at_its_limit_of_distinct_words() -> None:
    analysis._chunk_cache.clear()
    for number in range(analysis._CACHE_LIMIT + 1_000):
        analyze(f"word{number}")

    assert len(analysis._chunk_cache) <= analysis._CACHE_LIMIT
