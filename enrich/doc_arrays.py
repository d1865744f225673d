"""A doc read in one call rather than token by token: walking a `Doc` makes a `Token` object
for every token, which costs the rules more than their own work on a short text."""

from collections.abc import Iterable

from spacy.tokens import Doc

_TEXT_KEY = "wirewatch.text"


def text_of(doc: Doc) -> str:
    """The doc's text, built once: `Doc.text` joins every token's text anew at each access,
    and several rules read it."""
    text = doc.user_data.get(_TEXT_KEY)
    if not isinstance(text, str):
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def made_from(doc: Doc, text: str) -> Doc:
    """The doc, knowing that it was tokenised from `text`: a tokeniser's doc writes its text
    again exactly, so `text_of` need not build it."""
    doc.user_data[_TEXT_KEY] = text
    return doc


def indices_of(doc: Doc, words: Iterable[str], attr: str = "LOWER") -> list[int]:
    """The tokens, in order, whose `attr` ("LOWER" or "ORTH") is one of `words`, found by
    their ids in one array."""
    ids = {doc.vocab.strings.add(word) for word in words}
    return [i for i, value in enumerate(doc.to_array(attr).tolist()) if value in ids]
