"""Sample inputs shared by the unit tests."""

from typing import Any


def article_data(**changes: Any) -> dict[str, Any]:
    """A valid article as a producer sends it; a change to None removes the field."""
    data: dict[str, Any] = {
        "id": "wire-1",
        "url": "https://news.example.com/world/wire-1",
        "title": "Talks in Caracas",
        "body": "Officials met in Caracas on Monday.",
        "published_at": "2019-03-25T12:00:00Z",
        "source": "Example Wire",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
