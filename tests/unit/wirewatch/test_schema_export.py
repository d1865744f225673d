"""The exported JSON Schema of the message contract stays in step with the model."""

import json
from pathlib import Path

from wirewatch.cli.service import article_json_schema

EXPORTED = Path(__file__).parents[3] / "deploy" / "article.schema.json"


def test_exported_schema_matches_the_model() -> None:
    exported = json.loads(EXPORTED.read_text())
    assert exported == article_json_schema(), (
        "deploy/article.schema.json is stale: regenerate it with "
        "`wirewatch schema > deploy/article.schema.json`"
    )


def test_schema_requires_the_fields_producers_must_send() -> None:
    schema = article_json_schema()
    required = schema["required"]
    assert isinstance(required, list)
    assert set(required) == {"body", "published_at", "source"}


def test_schema_says_the_title_is_optional_and_what_stands_in() -> None:
    title = article_json_schema()["properties"]["title"]  # type: ignore[index]
    assert {"type": "null"} in title["anyOf"]
    assert "first sentence" in title["description"]
