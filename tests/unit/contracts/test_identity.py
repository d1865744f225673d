"""Deterministic document ids: redelivered or re-published articles overwrite themselves."""

import re

import pytest

from contracts import document_id
from contracts.identity import MAX_ID_BYTES, canonical_url

_SHA256_ID = re.compile(r"^sha256:[0-9a-f]{64}$")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=x&UTM_Medium=y&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_variants_of_one_url_share_a_document_id() -> None:
    variants = [
        "https://news.example.com/world/story?page=2&lang=en",
        "HTTPS://NEWS.EXAMPLE.COM:443/world/story/?lang=en&page=2",
        "https://news.example.com/world/story?utm_campaign=feed&lang=en&page=2#top",
        "https://news.example.com/world/story/?page=2&fbclid=XYZ&lang=en",
    ]

    assert len({document_id(None, url) for url in variants}) == 1


def test_different_articles_get_different_ids() -> None:
    assert document_id(None, "https://example.com/a?id=1") != document_id(
        None, "https://example.com/a?id=2"
    )


def test_the_id_wins_over_the_url() -> None:
    assert document_id("wire-1", "https://example.com/a") == "wire-1"


def test_an_empty_id_falls_back_to_the_url() -> None:
    assert document_id("", "https://example.com/a/") == "https://example.com/a"


def test_without_id_or_url_there_is_no_document_id() -> None:
    with pytest.raises(ValueError, match="id or a url"):
        document_id(None, None)


def test_ids_up_to_the_limit_are_kept() -> None:
    article_id = "x" * MAX_ID_BYTES

    assert document_id(article_id, None) == article_id


@pytest.mark.parametrize(
    ("article_id", "url"),
    [
        ("x" * (MAX_ID_BYTES + 1), None),
        ("é" * 300, None),  # 300 characters but 600 bytes
        (None, "https://example.com/" + "a" * 600),
    ],
    ids=["ascii-id", "multibyte-id", "long-url"],
)
def test_over_long_ids_are_hashed(article_id: str | None, url: str | None) -> None:
    derived = document_id(article_id, url)

    assert _SHA256_ID.match(derived)
    assert len(derived.encode()) <= MAX_ID_BYTES
    assert document_id(article_id, url) == derived


def test_hashed_ids_of_different_articles_differ() -> None:
    assert document_id("a" * 600, None) != document_id("b" * 600, None)


def test_multibyte_ids_under_the_byte_limit_are_kept() -> None:
    article_id = "é" * 200  # 400 bytes

    assert document_id(article_id, None) == article_id
