"""News outlets and agencies named as a story's source (pure: a tagged doc in, spans out).

The model rarely tags an outlet that is named only where a story credits it, since such names
are often not words ("dpa-AFX", "Okay.ng") or are words of their own ("Dawn", "Trend"). The
credit's shape names it instead: the bracket of a dateline ("Berlin, May 13 (EFE).-"), a credit
at a paragraph's end ("(Reuters/NAN)", "Source: Reuters/Scanpix"), a byline ("Jane Roe, AAP"),
the word for an outlet before the name ("news website News24"), the outlet as the subject of
"reported" ("..., Dawn reported."), and a web domain ("Okay.ng understands").

Every pattern is anchored on a line or a token and bounded in length, so the cost is linear in
the text.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy
from spacy.parts_of_speech import IDS as PARTS_OF_SPEECH  # type: ignore[import-not-found]
from spacy.tokens import Doc, Span

from enrich.doc_arrays import indices_of, text_of


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class Source:
    """An outlet's tokens and its name as written (a token may carry the credit's punctuation:
    "EFE).-")."""

    start: int
    end: int
    name: str


# "Berlin, May 13 (EFE).-", "CHICAGO (dpa-AFX) -", "MOSCOW, July 21. /TASS/.", "(UDHAYAM,
# COLOMBO) -": before the bracket only capitalised words, numbers and commas (the city and the
# date); after it a dash, or nothing where the bracket opens the line.
_DATELINE = re.compile(
    r"^(?P<before>(?:[A-Z0-9][^\s()/]{0,20}[ ,]{0,3}){0,8}?)[(/]"
    r"(?P<group>[^()/\n]{2,60}?)(?:\((?P<inner>[^()\n]{1,15})\))?[)/]"
    r"(?P<after>\)?\.?[ ]?(?:[-–—]{1,2}|\.(?= [A-Z]))|)",
    re.MULTILINE,
)
# "... and finance it. (Africanews)", "(Reuters/NAN)": a bracket that ends a paragraph after a
# sentence.
_CLOSING_CREDIT = re.compile(r"(?:^|(?<=[.!?\"”] ))\((?P<group>[^()\n]{2,40})\)[ ]*$", re.MULTILINE)
# "Source: Reuters/Scanpix", "Credit: EPA", "Published in Dawn, December 1st, 2020".
_LABELLED_CREDIT = re.compile(
    r"(?:\b(?:Source|Credit|Photo|Image|Picture)s?:[ ]?|^Published (?:in|by) )"
    r"(?P<group>[A-Z][^\n:,]{1,40}?)(?=[ ]*(?:,|$))",
    re.MULTILINE,
)
# "Jane Roe, AAP" alone on a line: the writer and the outlet.
_BYLINE = re.compile(
    r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){1,3}, (?P<group>[A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,2})[ ]*$",
    re.MULTILINE,
)
# How far into a line a dateline's bracket may be: eight words of the city and date, each of at
# most 21 characters and three separators.
_DATELINE_REACH = 8 * 24 + 1
_CREDIT_WORDS = ("Source", "Credit", "Photo", "Image", "Picture", "Published")
_PARTS = re.compile(r"[ ]*(?:[+/]|-(?= )|\bvia\b)[ ]*")
_WORD = re.compile(r"\S+")
# A web domain: "Okay.ng", "msnbc.com", "REPUBLIKA.CO.ID".
_DOMAIN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}(?:\.[A-Za-z]{2,3}){1,2}$")
_JOINED_STOP = re.compile(r"[A-Za-z0-9]\.[A-Za-z]")
_TOP_LEVEL = _words(
    """com net org info news tv io co uk us au ng id so in pk ke za ph my sg ca ie nz gh lk bd
    np ae qa sa eg ma tz ug zw de fr es it ru ua pl ro"""
)
# The common word before an outlet's name: "news website News24", "broadcaster Polish Radio".
_OUTLET_WORDS = _words(
    """website site outlet broadcaster newspaper daily tabloid magazine weekly portal channel
    agency media network station radio"""
)
# The last word of an outlet's name of several words: "Israeli Army Radio", "Kyiv Post".
_OUTLET_NAME_ENDS = _words(
    """radio news times post tv television daily herald journal gazette agency tribune express
    telegraph observer today online network channel press wire mail star standard review
    report chronicle monitor"""
)
_DATE_WORDS = _words(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december"""
)
_REPORTING = frozenset(["reported", "reports", "quoted"])
_NAME_WORDS = 4
_PART_WORDS = 5


def sources(doc: Doc, is_place: Callable[[str], bool]) -> list[Source]:
    """The outlets `doc` names as its sources; `is_place` tells a city or country, which a
    dateline or byline also holds, from an outlet."""
    text = text_of(doc)
    found = [*_credited(doc, text, is_place), *_domains(doc, text)]
    if doc.has_annotation("POS"):
        # One pass over the doc's words finds the cues of both rules.
        cues = indices_of(doc, _OUTLET_WORDS | _REPORTING)
        found += _by_outlet_word(doc, [i for i in cues if doc[i].lower_ in _OUTLET_WORDS])
        found += _reporting(doc, [i for i in cues if doc[i].lower_ in _REPORTING])
    return found


def _credited(doc: Doc, text: str, is_place: Callable[[str], bool]) -> Iterator[Source]:
    for match in _datelines(text):
        if match.group("before") and not match.group("after"):
            continue
        group_start = match.start("group")
        group = match.group("group")
        # "(UDHAYAM, COLOMBO)": the outlet, then its city.
        yield from _parts(doc, group_start, group.split(",")[0], is_place)
        if match.group("inner") is not None:
            yield from _parts(doc, match.start("inner"), match.group("inner"), is_place)
    # What each credit needs is looked for at C speed first: most texts hold no labelled one.
    needed = (
        (_CLOSING_CREDIT, "(" in text),
        (_LABELLED_CREDIT, any(word in text for word in _CREDIT_WORDS)),
        (_BYLINE, True),
    )
    for pattern in (pattern for pattern, may_match in needed if may_match):
        for match in pattern.finditer(text):
            yield from _parts(doc, match.start("group"), match.group("group"), is_place)


def _datelines(text: str) -> Iterator[re.Match[str]]:
    """The credited datelines, tried only at the starts of lines with a bracket or a slash
    where the city and date may end: the pattern's backtracking over the words before it
    cost more than all the other credits at every paragraph of a long story."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        if any(mark in text[start : min(end, start + _DATELINE_REACH)] for mark in "(/"):
            match = _DATELINE.match(text, start)
            if match is not None:
                yield match
        start = end + 1


def _parts(doc: Doc, offset: int, group: str, is_place: Callable[[str], bool]) -> Iterator[Source]:
    """The outlets of a credit's bracket: "Reuters/NAN", "Xinhua + DIPLOMAT.SO", "MENAFN- Kuwait
    News Agency" (a photo agency's "PHOTO" aside)."""
    at = 0
    for separator in [*_PARTS.finditer(group), None]:
        end = separator.start() if separator is not None else len(group)
        part = group[at:end].strip(" .")
        start = offset + group.index(part, at) if part else offset
        at = separator.end() if separator is not None else len(group)
        words = _WORD.findall(part)
        if (
            not words
            or len(words) > _PART_WORDS
            or not part[0].isalpha()
            or not any(char.isupper() for char in part)
            or any(word[0].islower() and not _has_capital(word) for word in words)
            # "(CVX 0.08%)" of a share price.
            or not all(any(char.isalpha() for char in word) for word in words)
            or is_place(part)
        ):
            continue
        span = doc.char_span(start, start + len(part), alignment_mode="expand")
        if span is not None:
            yield Source(span.start, span.end, part)


def _has_capital(word: str) -> bool:
    return any(char.isupper() for char in word)


def _domains(doc: Doc, text: str) -> Iterator[Source]:
    # Only where a full stop joins two letters in the text ("Okay.ng", but also "U.S."): a
    # walk over every token costs more than the rest of this pass.
    seen = set()
    for match in _JOINED_STOP.finditer(text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is None or len(span) != 1 or span.start in seen:
            continue
        seen.add(span.start)
        text = span.text
        top_level = text.rsplit(".", 1)[-1].lower()
        if (
            _DOMAIN.match(text)
            and top_level in _TOP_LEVEL
            and not text.lower().startswith("www.")
            and not span[0].like_email
        ):
            yield Source(span.start, span.end, text)


def _is_outlet_name_word(doc: Doc, i: int) -> bool:
    token = doc[i]
    if token.text == "-" and 0 < i < len(doc) - 1:
        # "Interfax-Ukraine": a hyphen inside a name written as one word.
        return not doc[i - 1].whitespace_ and not token.whitespace_
    return (
        token.pos_ == "PROPN"
        and token.text[0].isupper()
        and not token.is_punct
        and token.lower_ not in _DATE_WORDS
    )


def _by_outlet_word(doc: Doc, cues: list[int]) -> Iterator[Source]:
    """ "news website News24", "public broadcaster Polish Radio": an outlet after the common
    word for one."""
    for token in (doc[i] for i in cues):
        if not token.is_lower:
            continue
        end = token.i + 1
        while end < min(len(doc), token.i + 1 + _NAME_WORDS) and _is_outlet_name_word(doc, end):
            end += 1
        # "Radio 1", "Europe 1": a station's number is part of its name.
        if end > token.i + 1 and end < len(doc) and doc[end].is_digit and len(doc[end]) <= 2:
            end += 1
        if end > token.i + 1:
            yield _source(doc[token.i + 1 : end])


def _reporting(doc: Doc, verbs: list[int]) -> Iterator[Source]:
    """ "..., Dawn reported.", "Interfax-Ukraine reported", "The Israeli Army Radio quoted": an
    outlet as the subject of a reporting verb, where the name is no person's."""
    later_names = _surnames(doc) if verbs else frozenset()
    for token in (doc[i] for i in verbs):
        if token.i == 0:
            continue
        start = token.i
        while start > max(0, token.i - _NAME_WORDS) and _is_outlet_name_word(doc, start - 1):
            start -= 1
        if start == token.i:
            continue
        name = doc[start : token.i]
        one_word = len(name) == 1 or all(t.whitespace_ == "" for t in name[:-1])
        if (one_word and name.text.lower() not in later_names) or (
            name[-1].lower_ in _OUTLET_NAME_ENDS
        ):
            yield _source(name)


def _surnames(doc: Doc) -> frozenset[str]:
    """Capitalised words written after another capitalised name word: the last names of the
    doc's people ("Roe" of "Jane Roe"), which a name alone before "reported" may be."""
    if len(doc) < 2:
        return frozenset()
    # From the token arrays: a walk over a long story's tokens costs more than the rest.
    pos, title, lower = doc.to_array(["POS", "IS_TITLE", "LOWER"]).T
    name_word = (pos == _PROPN) & (title == 1)
    after_name = numpy.flatnonzero(name_word[1:] & name_word[:-1]) + 1
    return frozenset(doc.vocab.strings[int(lower[i])] for i in after_name)


_PROPN: int = PARTS_OF_SPEECH["PROPN"]


def _source(span: Span) -> Source:
    return Source(span.start, span.end, span.text)
