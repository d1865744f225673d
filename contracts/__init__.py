"""The data contracts the stages hand each other.

Nothing here imports a stage, so the arrows point one way: ingest -> enrich -> index.
"""

from contracts.errors import WirewatchError
from contracts.models import (
    Article,
    DeadLetter,
    EnrichedArticle,
    Entity,
    KafkaPosition,
    ReceivedArticle,
)

__all__ = [
    "Article",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "KafkaPosition",
    "ReceivedArticle",
    "WirewatchError",
]
