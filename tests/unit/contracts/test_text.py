"""HTML bodies reduced to readable text."""

import html as html_module
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import headline
from contracts.text import (
    _is_normal,
    _normalised,
    html_to_text,
    looks_like_html,
    normalise_whitespace,
    plain_text,
)
from tests.unit.hostile import hostile_text


@pytest.mark.parametrize(
    "text", ["<p>Hi</p>", "Hello <b>world</b>", "<br/>", '<a href="x">link</a>', "line<br>"]
)
def test_markup_is_recognised(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize("text", ["plain text", "3 <5 and 7> 2", "a<b", "Fish & Chips <3"])
def test_plain_text_is_not_mistaken_for_markup(text: str) -> None:
    assert not looks_like_html(text)


def test_paragraphs_are_kept_and_markup_removed() -> None:
    html = "<p>One <em>two</em> three.</p><p>Four.</p>"

    assert html_to_text(html) == "One two three.\n\nFour."


def test_scripts_styles_and_head_are_dropped() -> None:
    html = (
        "<html><head><title>Page title</title><style>p { color: red }</style></head>"
        "<body><script>var x = '<p>not text</p>';</script><p>Story.</p>"
        "<noscript>Enable JS</noscript></body></html>"
    )

    assert html_to_text(html) == "Story."


def test_line_breaks_and_list_items_end_lines() -> None:
    text = html_to_text("<ul><li>a</li><li>b</li></ul>Line<br>next")

    assert [line for line in text.splitlines() if line] == ["a", "b", "Line", "next"]
    assert text.endswith("Line\nnext")


def test_character_references_are_decoded() -> None:
    assert html_to_text("<p>AT&amp;T &lt;3 caf&eacute;&nbsp;bar</p>") == "AT&T <3 café bar"


def test_plain_text_comparisons_survive_reduction() -> None:
    text = "if a < b and c > d then"

    assert html_to_text(text) == text


def test_whitespace_is_collapsed_but_paragraph_breaks_stay() -> None:
    text = "  One\t\t two \r\n\r\n\r\n\r\nThree\u00a0 four  \n"

    assert normalise_whitespace(text) == "One two\n\nThree four"


@given(st.text(alphabet=st.sampled_from("ab .\n\r\t\u00a0\u2003\u2028\x1c\f\v"), max_size=40))
def test_fuzz_text_told_normal_is_what_normalising_gives(text: str) -> None:
    # The fast path's answer must be the slow path's, whitespace of every kind around breaks.
    assert normalise_whitespace(text) == _normalised(text)
    if _is_normal(text):
        assert _normalised(text) == text


def test_only_markup_gives_empty_text() -> None:
    assert html_to_text("<div><script>x()</script><style>a{}</style></div>") == ""


# --- feed markup and hostile input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<![CDATA[<p>Hello <b>world</b></p>]]>", "Hello world"),
        ("AT&amp;T caf&eacute; R&D this&nothing", "AT&T café R&D this&nothing"),
        ("&lt;p&gt;Escaped &amp;amp; feed&lt;/p&gt;", "Escaped & feed"),
        (
            "<item><title>Head</title><description>&lt;p&gt;Body&lt;/p&gt;</description></item>",
            "Head\n\nBody",
        ),
        ("<html><head><title>X</title><body><p>Story</p>", "Story"),
        ("<script>var x = 1; the rest", "var x = 1; the rest"),
        ("<p>kept<!-- unclosed comment", "kept"),
        ("a <![CDATA[ never closed", "a never closed"),
        ('<a title="x>y">link</a> after', "link after"),
        ("<p>Use the &lt;p&gt; tag</p>", "Use the <p> tag"),
        ("x<y and z>w", "x<y and z>w"),
        ("<?xml version='1.0'?><!DOCTYPE rss><rss><item>T</item></rss>", "T"),
    ],
)
def test_feed_markup_keeps_its_text(markup: str, expected: str) -> None:
    assert plain_text(markup) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The U.S. Army sent 20 tanks. More follows.", "The U.S. Army sent 20 tanks."),
        ("No full stop at all", "No full stop at all"),
        ("First line\nSecond line.", "First line"),
    ],
)
def test_headline_is_the_first_sentence(body: str, expected: str) -> None:
    assert headline(body) == expected


def test_headline_of_a_long_sentence_is_cut_at_a_word() -> None:
    title = headline("word " * 100)
    assert len(title) <= 201
    assert title.endswith("word…")


@given(st.text() | hostile_text())
def test_fuzz_reduction_never_raises_and_leaves_no_unencodable_text(text: str) -> None:
    for reduced in (plain_text(text), html_to_text(text)):
        reduced.encode()


# Words never hold '<' or '&': those come in as markup or as the stray pieces below.
_WORD = st.text(alphabet="abcxyzÉé𝕏019.,!?'\"-", min_size=1, max_size=8)
_PLAIN_PIECES = st.one_of(
    _WORD, st.sampled_from([" ", "\n", " < ", "<3", "2<5", "<NATO>", "R&D", "Fish & Chips"])
)


@given(st.lists(_PLAIN_PIECES, max_size=30).map("".join))
def test_fuzz_plain_text_with_stray_brackets_stays_intact(text: str) -> None:
    assert plain_text(text) == normalise_whitespace(text)


_INLINE = ["b", "i", "em", "strong", "span", "a", "font", "abbr"]
_BLOCK = ["p", "div", "li", "h2", "blockquote", "item", "entry", "description", "content:encoded"]


@st.composite
def feed_markup(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    """Markup around words, and the words a reader sees in it."""
    words = draw(st.lists(_WORD, min_size=1, max_size=4))
    parts = [html_module.escape(word, quote=False) for word in words]
    seen = list(words)
    if depth < 3:
        for _ in range(draw(st.integers(0, 2))):
            inner, inner_words = draw(feed_markup(depth + 1))
            parts.append(inner)
            seen += inner_words
    text = " " + " ".join(parts) + " "
    wrap = draw(st.integers(0, 4))
    if wrap == 0:
        name = draw(st.sampled_from(_INLINE))
        attrs = draw(st.sampled_from(["", ' class="x"', " href='a>b'", " data-x=1"]))
        text = f"<{name}{attrs}>{text}</{name}>"
    elif wrap == 1:
        name = draw(st.sampled_from(_BLOCK))
        text = f"<{name}>{text}</{name}>"
    elif wrap == 2 and "]]>" not in text and "<![CDATA[" not in text:
        text = f"<![CDATA[{text}]]>"
    elif wrap == 3:
        text = f"<!-- {draw(st.sampled_from(['note', 'a < b', '<p>x</p>']))} -->{text}<br/>"
    return text, seen


@given(feed_markup())
def test_fuzz_feed_markup_keeps_every_word(generated: tuple[str, list[str]]) -> None:
    markup, words = generated
    assert plain_text(f"<rss><item>{markup}</item></rss>").split() == " ".join(words).split()


_ADVERSARIAL = [
    "<!--", "<![CDATA[", "<script>", '<a x="', "<", "<p>", "<!", "</", "&lt;p&gt;",
    "<item><![CDATA[", "<style></sty",
]  # fmt: skip


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        plain_text(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("pattern", _ADVERSARIAL)
def test_reduction_cost_is_linear_in_the_input(pattern: str) -> None:
    small = (pattern * (10_000 // len(pattern) + 1))[:10_000]
    large = (pattern * (1_000_000 // len(pattern) + 1))[:1_000_000]
    # 100 times the input: linear is ~100 times the time, quadratic 10,000 times. Noisy
    # machines and fixed costs at 10 KB get a generous margin.
    assert _seconds(large) < 1_000 * _seconds(small) + 0.5
