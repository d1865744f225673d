"""Reduction of article text that arrives as HTML or feed markup (RSS, Atom) to plain text.

Everything here is linear in the length of its input: the scanner looks at each character a
bounded number of times, whatever the markup (unclosed comments, CDATA or tags included), and
never raises. It reads markup the way a reader sees it rather than validating it.
"""

import re
from html import unescape

# Elements whose content is never article text.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "math"})
# Elements that end a line of text (HTML blocks, and the parts of RSS and Atom entries).
_BLOCKS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "section", "article", "header", "footer", "blockquote", "pre", "tr",
        "table", "figure", "figcaption", "hr", "aside", "main", "nav", "dd", "dt",
        "rss", "channel", "item", "feed", "entry", "title", "description", "summary",
        "content", "content:encoded", "subtitle", "author", "category", "link",
    }
)  # fmt: skip
# Names of feed wrappers: markup around text, not markup the author wrote. Escaped HTML inside
# them (RSS descriptions carry `&lt;p&gt;`) is the author's markup, reduced in a second pass.
_FEED = frozenset(
    {
        "rss", "channel", "item", "feed", "entry", "title", "description", "summary",
        "content", "subtitle", "author", "category", "link", "guid", "pubdate", "updated",
        "published", "id", "name", "email", "uri", "source", "comments", "enclosure",
        "language", "lastbuilddate", "generator", "rights", "image", "url",
    }
)  # fmt: skip
# Element names that make text markup when they appear as a start tag: plain text such as
# "x<y and z>w" or "<NATO>" is not mistaken for a tag.
_KNOWN = _SKIPPED | _BLOCKS | _FEED | frozenset(
    {
        "a", "abbr", "address", "audio", "b", "big", "body", "caption", "center", "cite", "code",
        "col", "colgroup", "del", "details", "dfn", "dl", "em", "embed", "font", "form", "html",
        "i", "img", "input", "ins", "kbd", "label", "mark", "meta", "object", "picture", "q", "s",
        "samp", "small", "span", "strike", "strong", "sub", "sup", "tbody", "td", "tfoot", "th",
        "thead", "time", "tt", "u", "var", "video", "wbr", "button", "select", "option",
        "textarea", "source", "figure", "param", "map", "area", "canvas",
    }
)  # fmt: skip

# A tag starts right after '<' (no space), so "a < b and c > d" is not markup. Quoted attribute
# values may hold '>' but never '<', and nothing here spans a '<': a failed match at one '<'
# never reads past the next one, which keeps the scan linear. Possessive, so no backtracking.
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9:._-]*+)((?:\s(?:[^<>\"']|\"[^\"<]*+\"|'[^'<]*+')*+)?+)/?>"
)
_MARKUP_START = re.compile(r"<!--|<!\[CDATA\[|<!doctype|<\?xml|</[A-Za-z]", re.IGNORECASE)
_CDATA_OPEN = "<![CDATA["
# Character references, complete with their ';', as in "AT&amp;T" or "caf&#233;".
_REFERENCE = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});")
# Control characters other than whitespace, and lone surrogates (JSON may escape them, but no
# UTF-8 encoder, Elasticsearch's included, takes them).
_UNSAFE = re.compile("[\x00-\x08\x0e-\x1f\x7f]|[\ud800-\udfff]")
# What collapses to one space: a run of two or more, or one that is not a space already (a lone
# space is left as it is, not replaced by itself).
_SPACES = re.compile(r"[ \t\f\v\u00a0]{2,}|[\t\f\v\u00a0]")
_SPACE_MARKS = ("  ", "\t", "\f", "\v", "\u00a0")
_BLANK_LINES = re.compile(r"\n{3,}")
# A sentence ends at . ! ? or … followed (after closing quotes or brackets) by a space or the end.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "cmdr",
        "sen", "rep", "gov", "pres", "st", "jr", "sr", "inc", "corp", "ltd", "co", "no", "vs",
        "etc", "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
        "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m",
    }
)  # fmt: skip


def scrub(text: str) -> str:
    """`text` without control characters (other than whitespace), lone surrogates made U+FFFD."""
    # Nothing to remove is the common case, told at C speed: a printable text holds no control
    # character and no surrogate (newlines aside, which isprintable() refuses). The search
    # covers what isprintable() refuses besides (tabs, no-break spaces, format characters).
    if text.replace("\n", " ").isprintable() or _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda found: "\ufffd" if found.group() >= "\ud800" else "", text)


def looks_like_html(text: str) -> bool:
    """Whether `text` holds markup: a known HTML or feed element, a closing tag, a comment,
    CDATA or a document declaration. Plain text with a stray '<' does not."""
    if "<" not in text:
        return False
    if _MARKUP_START.search(text):
        return True
    return any(
        found.group(2).lower() in _KNOWN or ":" in found.group(2) for found in _TAG.finditer(text)
    )


def plain_text(text: str) -> str:
    """The readable text of a field that may hold plain text, HTML, feed markup (RSS or Atom,
    CDATA sections), or character references: markup removed, references decoded, paragraphs
    kept, whitespace collapsed. Linear in the length of `text`; never raises."""
    return plain_text_of_scrubbed(scrub(text))


def plain_text_of_scrubbed(text: str) -> str:
    """`plain_text` of a text `scrub` has cleaned already (an article's fields are scrubbed
    before validation: a real-length body scrubbed twice cost a tenth of decoding it)."""
    if looks_like_html(text):
        reduced, authored = _reduce(text)
    else:
        reduced, authored = _decode_references(text), False
    # Feeds escape their HTML (`&lt;p&gt;`): once decoded, reduce what that revealed. Markup
    # the author escaped inside real HTML ("the &lt;p&gt; tag") is text, and stays.
    if not authored and looks_like_html(reduced):
        reduced, _ = _reduce(reduced)
    return normalise_whitespace(reduced)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment, page or feed: paragraphs kept, markup, scripts and
    comments gone, CDATA sections read as text. Linear in the length of `html`; never raises."""
    return normalise_whitespace(_reduce(scrub(html))[0])


def normalise_whitespace(text: str) -> str:
    """Collapses runs of spaces and of blank lines, keeping paragraph breaks."""
    return text if _is_normal(text) else _normalised(text)


def _normalised(text: str) -> str:
    # The regular expressions only where they have work: most text has neither runs of spaces
    # nor of blank lines, and they cost two thirds of decoding a 1,000-word article
    # (benchmarks/per_article_cost.py), while `in` finds a mark at C speed.
    lines = _lines(text)
    if any(mark in text for mark in _SPACE_MARKS):
        lines = [_SPACES.sub(" ", line) for line in lines]
    joined = "\n".join(line.strip() for line in lines)
    if "\n\n\n" in joined:
        joined = _BLANK_LINES.sub("\n\n", joined)
    return joined.strip()


def headline(text: str, max_chars: int = 200) -> str:
    """The first sentence of `text` (its first line at most), cut at a word boundary with '…'
    beyond `max_chars`: a title for an article that has none. Reads only the first
    `max_chars` + 1 characters."""
    line = text[: max_chars + 1].lstrip().split("\n", 1)[0].strip()
    for end in _SENTENCE_END.finditer(line):
        if end.end() > max_chars:
            break
        words = line[: end.start()].rsplit(None, 1)
        word = words[-1].lower() if words else ""
        if word.lstrip("(\"'“‘") in _ABBREVIATIONS or len(word) == 1:
            continue
        return line[: end.end()]
    if len(line) <= max_chars:
        return line
    cut = line[:max_chars].rsplit(None, 1)[0] if " " in line[:max_chars] else line[:max_chars]
    return cut.rstrip(",;:-–— ") + "…"


def _is_normal(text: str) -> bool:
    """Whether `normalise_whitespace` would leave `text` as it is: no carriage return, no run
    of spaces or blank lines, nothing to strip at either end or at a line's. Most articles
    are, and telling so at C speed (a few finds) halves the cost of decoding one."""
    if not text or text[0].isspace() or text[-1].isspace():
        return False
    if "\r" in text or "\n\n\n" in text or any(mark in text for mark in _SPACE_MARKS):
        return False
    # Both neighbours of a line break exist (the ends are no space) and may be breaks too.
    newline = text.find("\n")
    while newline != -1:
        before, after = text[newline - 1], text[newline + 1]
        if (before != "\n" and before.isspace()) or (after != "\n" and after.isspace()):
            return False
        newline = text.find("\n", newline + 1)
    return True


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _decode_references(text: str) -> str:
    # Only complete references: in plain text "R&D" or "this&nothing" are words, not "&not".
    if "&" not in text:
        return text
    return _REFERENCE.sub(lambda found: unescape(found.group()), text)


def _closer(name: str) -> re.Pattern[str]:
    if name == "head":
        # Pages that never close their head start the body.
        return re.compile(r"</head\s*>|<body[\s>/]", re.IGNORECASE)
    return re.compile(rf"</{name}\s*>", re.IGNORECASE)


_CLOSERS = {name: _closer(name) for name in _SKIPPED}


def _reduce(html: str) -> tuple[str, bool]:
    """The text of `html` with markup removed and references decoded (whitespace untouched),
    and whether it held elements an author writes (not only feed wrappers)."""
    scanner = _Scanner(html)
    scanner.run()
    return "".join(scanner.parts), scanner.authored


class _Scanner:
    """One left-to-right pass over markup. Every search that reads ahead is remembered (what it
    found, or that nothing is there), so no stretch of the input is read again and again."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.parts: list[str] = []
        self.authored = False
        self._absent: set[str] = set()
        self._last_gt = html.rfind(">")
        self._cdata_end = -1  # where the open CDATA section ends ("]]>"); -1 when none is
        self._cdata_search = (-1, -1)  # (searched from, found at) of the last "]]>" search

    def run(self) -> None:
        html, size, pos = self.html, len(self.html), 0
        while pos < size:
            lt = html.find("<", pos)
            stop = size if lt < 0 else lt
            if pos <= self._cdata_end < stop:
                # The CDATA section closes before the next '<': its "]]>" is no text.
                self.parts.append(unescape(html[pos : self._cdata_end]))
                pos, self._cdata_end = self._cdata_end + 3, -1
                continue
            self.parts.append(unescape(html[pos:stop]))
            if lt < 0:
                break
            pos = self._markup(lt)
            if pos == lt:
                self.parts.append("<")
                pos += 1

    def _markup(self, lt: int) -> int:
        """Reads the markup at `lt` (a '<'), appends what it means for the text, and returns
        where the text resumes (`lt` itself when the '<' is text)."""
        html = self.html
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            # An unclosed comment runs to the end, as in a browser.
            return len(html) if end < 0 else end + 3
        if html[lt : lt + len(_CDATA_OPEN)].upper() == _CDATA_OPEN:
            # Its content is read as markup and text (feeds put HTML there), up to its end.
            start = lt + len(_CDATA_OPEN)
            self._cdata_end = self._find_cdata_end(start)
            return start
        if html.startswith(("<!", "<?"), lt):
            # A declaration or processing instruction (<!DOCTYPE ...>, <?xml ...?>).
            return lt if lt > self._last_gt else html.find(">", lt) + 1
        found = _TAG.match(html, lt)
        if found is None:
            return lt
        closing, name = found.group(1), found.group(2).lower()
        if name not in _FEED and ":" not in name:
            self.authored = True
        if name in _BLOCKS:
            self.parts.append("\n\n" if closing and name == "p" else "\n")
        if closing or name not in _SKIPPED or found.group().endswith("/>"):
            return found.end()
        if name not in self._absent:
            closer = _CLOSERS[name].search(html, found.end())
            if closer is not None:
                # '<body' ends a head without being consumed: it is read next.
                return closer.end() if closer.group().startswith("</") else closer.start()
            self._absent.add(name)
        # Never closed: only the tag is dropped, the text after it is kept.
        return found.end()

    def _find_cdata_end(self, start: int) -> int:
        searched_from, found_at = self._cdata_search
        if searched_from <= start and (start <= found_at or found_at < 0 <= searched_from):
            # Nothing between the last search's start and what it found (or the end).
            return found_at if found_at >= 0 else len(self.html)
        end = self.html.find("]]>", start)
        self._cdata_search = (start, end)
        return end if end >= 0 else len(self.html)
