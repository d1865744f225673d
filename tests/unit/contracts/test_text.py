"""HTML bodies reduced to readable text."""

import pytest

from contracts.text import html_to_text, looks_like_html, normalise_whitespace


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


def test_only_markup_gives_empty_text() -> None:
    assert html_to_text("<div><script>x()</script><style>a{}</style></div>") == ""
