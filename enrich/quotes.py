"""Sentences quoted as evidence, cut to a bounded length (pure).

Deals and topic evidence quote the sentence they were read from. A run-on "sentence" (a text
without punctuation, a table) can be the whole article: quoting it in full for each deal or cue
would make the document grow with the square of the text, so a long one is cut around the
words that matter."""

from spacy.tokens import Doc, Span

MAX_QUOTE_CHARS = 1000


def quote(sentence: Span, focus: int, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """The sentence with its spacing normalised; if it is longer than `max_chars`, about
    `max_chars` of it around token `focus`, with "…" where it was cut."""
    if sentence.end_char - sentence.start_char <= max_chars:
        return " ".join(sentence.text.split())
    doc = sentence.doc
    low = max(sentence.start_char, doc[focus].idx - max_chars // 2)
    high = min(sentence.end_char, low + max_chars)
    start = min(_first_token_from(doc, low, sentence.start, sentence.end), focus)
    end = max(_first_token_from(doc, high, sentence.start, sentence.end), focus + 1)
    text = " ".join(doc[start:end].text.split())[:max_chars]
    return ("… " if start > sentence.start else "") + text + (" …" if end < sentence.end else "")


def _first_token_from(doc: Doc, char: int, start: int, end: int) -> int:
    """The first token in start..end that starts at or after `char` (binary search)."""
    while start < end:
        middle = (start + end) // 2
        if doc[middle].idx < char:
            start = middle + 1
        else:
            end = middle
    return start
