"""The index template and write alias (pure: the bodies, not the calls)."""

from typing import Any

from index.settings import IndexSettings

_KEYWORD = {"type": "keyword", "ignore_above": 1024}


def first_index_name(alias: str) -> str:
    """The first backing index behind the write alias; rollover numbers the next ones."""
    return f"{alias}-000001"


def mappings(text_analyzer: str) -> dict[str, Any]:
    """The mapping of ArticleDocument. Unknown fields are refused, so typos surface early."""

    def text() -> dict[str, Any]:
        return {"type": "text", "analyzer": text_analyzer}

    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "url": {"type": "keyword", "ignore_above": 8192},
            "title": {**text(), "fields": {"keyword": _KEYWORD}},
            "body": text(),
            "published_at": {"type": "date"},
            "source": _KEYWORD,
            "language": {"type": "keyword"},
            "authors": _KEYWORD,
            "entities": {
                "properties": {
                    "text": _KEYWORD,
                    "label": {"type": "keyword"},
                    "field": {"type": "keyword"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                }
            },
            "persons": _KEYWORD,
            "organizations": _KEYWORD,
            "locations": _KEYWORD,
            "weapons": _KEYWORD,
            "countries": {"type": "keyword"},
            "topics": {"type": "keyword"},
            "topic_details": {
                "properties": {
                    "topic": {"type": "keyword"},
                    "confidence": {"type": "float"},
                    "probability": {"type": "float"},
                    "decided_by": {"type": "keyword"},
                    "evidence": {
                        "properties": {
                            "cue": {"type": "keyword"},
                            "sentence": {"type": "text", "analyzer": text_analyzer},
                            "matched": _KEYWORD,
                        }
                    },
                }
            },
            "deals": {
                "properties": {
                    "supplier": _KEYWORD,
                    "recipient": _KEYWORD,
                    "weapon": _KEYWORD,
                    "quantity": {"type": "integer"},
                    "value": {
                        "properties": {
                            "amount": {"type": "double"},
                            "currency": {"type": "keyword"},
                        }
                    },
                    "stage": {"type": "keyword"},
                    "sentence": {"type": "text", "analyzer": text_analyzer},
                }
            },
            "story_id": {"type": "keyword"},
            "story_bands": {"type": "keyword"},
            "warnings": _KEYWORD,
            "ingested_at": {"type": "date"},
            "kafka": {
                "properties": {
                    "topic": {"type": "keyword"},
                    "partition": {"type": "integer"},
                    "offset": {"type": "long"},
                }
            },
        },
    }


def index_template(settings: IndexSettings) -> dict[str, Any]:
    """The composable template applied to every backing index of the alias."""
    return {
        "index_patterns": [f"{settings.alias}-*"],
        "priority": 200,
        "template": {
            "settings": {
                "number_of_shards": settings.number_of_shards,
                "number_of_replicas": settings.number_of_replicas,
                "refresh_interval": f"{settings.refresh_interval_ms}ms",
            },
            "mappings": mappings(settings.text_analyzer),
        },
        "_meta": {"managed_by": "wirewatch", "document": "ArticleDocument"},
    }
