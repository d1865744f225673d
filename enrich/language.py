"""The language of an article, so that only English text gets English-only tags.

py3langid (the maintained fork of langid.py: a naive Bayes model over byte n-grams for 97
languages, bundled with the package, nothing downloaded at run time, well under a millisecond a
text) reads the start of the text. Where it is unsure, as on a line or two, English function words
decide between English and "und" (undetermined): a text left untagged is better than false tags.
"""

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"

_SAMPLE_CHARS = 3000
# Below this probability langid's first choice is a guess (its scores are calibrated so that a
# sentence of clear prose reaches 0.3-0.5 and a paragraph 0.9 and more).
_CONFIDENT = 0.5
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
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
_MIN_ENGLISH_SHARE = 0.12
_MIN_WORDS = 3


@cache
def _identifier() -> LanguageIdentifier:
    # Loading decompresses the model (about a second): once per process, on first use.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_identifier() -> None:
    """Loads the language model now rather than on the first article."""
    _identifier()


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in, or "und" when unsure."""
    sample = text[:_SAMPLE_CHARS]
    words = [word.lower() for word in _WORD.findall(sample)]
    if len(words) < _MIN_WORDS:
        return UNDETERMINED
    language, probability = _identifier().classify(sample)
    language = str(language)
    if language == "en" or probability >= _CONFIDENT:
        return language
    english = sum(word in _ENGLISH_FUNCTION_WORDS for word in words) / len(words)
    return "en" if english >= _MIN_ENGLISH_SHARE else UNDETERMINED


def is_english(language: str) -> bool:
    """Whether a BCP 47 tag ("en", "en-gb") names English."""
    return language.split("-")[0] == "en"
