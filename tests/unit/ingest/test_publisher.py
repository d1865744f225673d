"""Publishing article files: keys that keep one article on one partition."""

import json
from pathlib import Path

import pytest

from contracts import document_id
from ingest import message_key, read_lines


def test_the_key_of_an_article_line_is_its_document_id() -> None:
    line = json.dumps({"id": "wire-1", "url": "https://example.com/a", "title": "T"}).encode()

    assert message_key(line) == b"wire-1"


def test_the_key_of_an_article_without_id_is_its_canonical_url() -> None:
    line = json.dumps({"url": "HTTPS://Example.com/a/?utm_source=feed"}).encode()

    assert message_key(line) == b"https://example.com/a"


def test_variants_of_one_article_get_one_key() -> None:
    first = json.dumps({"url": "https://example.com/a?x=1&y=2"}).encode()
    second = json.dumps({"url": "https://EXAMPLE.com:443/a/?y=2&x=1#top"}).encode()

    assert message_key(first) == message_key(second)


def test_long_ids_give_hashed_keys() -> None:
    line = json.dumps({"id": "x" * 600}).encode()

    assert message_key(line) == document_id("x" * 600, None).encode()


@pytest.mark.parametrize(
    "line",
    [
        b"not json at all",
        b"[1, 2]",
        b'"a string"',
        b"{}",
        b'{"title": "no id or url"}',
        b'{"id": 42}',
        b"\xff\xfe",
    ],
    ids=["garbage", "array", "string", "empty-object", "unidentified", "numeric-id", "binary"],
)
def test_lines_that_are_not_articles_get_no_key(line: bytes) -> None:
    assert message_key(line) is None


def test_read_lines_skips_blank_lines_and_trims_newlines(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b'{"id": "1"}\n\n   \n{"id": "2"}\r\n\n{"id": "3"}')

    assert list(read_lines(path)) == [b'{"id": "1"}', b'{"id": "2"}', b'{"id": "3"}']


def test_read_lines_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")

    assert list(read_lines(path)) == []


def test_read_lines_keeps_non_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"garbage\n{}\n")

    assert list(read_lines(path)) == [b"garbage", b"{}"]
