"""A cheap check for English text, so that other languages get no English-only tags."""

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# The commonest English function words; they make up a large share of any English prose.
_ENGLISH_FUNCTION_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "was",
        "for",
        "on",
        "that",
        "with",
        "as",
        "by",
        "at",
        "from",
        "it",
        "his",
        "her",
        "its",
        "be",
        "are",
        "were",
        "has",
        "have",
        "had",
        "said",
        "not",
        "but",
        "this",
        "which",
        "an",
        "or",
        "will",
        "would",
        "their",
        "they",
        "he",
        "she",
        "after",
    ]
)
_MIN_SHARE = 0.12
_MIN_WORDS = 8


def guess_language(text: str) -> str:
    """'en' when `text` reads as English, else 'und' (undetermined)."""
    words = [word.lower() for word in _WORD.findall(text[:5000])]
    if len(words) < _MIN_WORDS:
        return "en"
    share = sum(word in _ENGLISH_FUNCTION_WORDS for word in words) / len(words)
    return "en" if share >= _MIN_SHARE else "und"
