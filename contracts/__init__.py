"""The data contracts the stages hand each other, and what every stage shares: the root error,
the async resource lifecycle, document ids, headline text and credential masking.

Nothing here imports a stage, so the arrows point one way: ingest -> enrich -> index.
"""

from contracts.errors import WirewatchError
from contracts.identity import document_id
from contracts.lifecycle import AsyncResource
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
    TopicSource,
)
from contracts.redact import masked_url, without_userinfo
from contracts.text import headline

__all__ = [
    "ArmsDeal",
    "Article",
    "AsyncResource",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "KafkaPosition",
    "Money",
    "ReceivedArticle",
    "TopicEvidence",
    "TopicMatch",
    "TopicSource",
    "WirewatchError",
    "document_id",
    "headline",
    "masked_url",
    "without_userinfo",
]
