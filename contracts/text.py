"""Reduction of article bodies that arrive as HTML to plain text."""

import re
from html.parser import HTMLParser

# Elements whose content is never article text.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})
# Elements that end a line of text when they close.
_BLOCKS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "section", "article", "header", "footer", "blockquote", "pre", "tr",
        "table", "figure", "figcaption", "hr", "aside", "main", "nav", "dd", "dt",
    }
)  # fmt: skip
# A tag starts right after '<' (no space), so "a < b and c > d" is not markup.
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """Whether `text` contains markup tags (plain text with a stray '<' does not)."""
    return _TAG.search(text) is not None


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page: paragraphs kept, markup and scripts gone."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return normalise_whitespace("".join(extractor.parts))


def normalise_whitespace(text: str) -> str:
    """Collapses runs of spaces and of blank lines, keeping paragraph breaks."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
