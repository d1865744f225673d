"""The data contracts the stages hand each other.

Nothing here imports a stage, so the arrows point one way: ingest -> enrich -> index.
"""

from contracts.errors import WirewatchError
from contracts.models import (
    ArmsDeal,
    Article,
    DeadLetter,
    EnrichedArticle,
    Entity,
    KafkaPosition,
    Money,
    ReceivedArticle,
    TopicEvidence,
    TopicMatch,
)

__all__ = [
    "ArmsDeal",
    "Article",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "KafkaPosition",
    "Money",
    "ReceivedArticle",
    "TopicEvidence",
    "TopicMatch",
    "WirewatchError",
]
