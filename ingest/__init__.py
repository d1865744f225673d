"""ingest: the Kafka side. Reads articles, validates them, dead-letters the invalid, commits.

Only this package talks to Kafka.
"""

from ingest.consumer import ArticleConsumer, IncomingBatch
from ingest.dead_letter import DeadLetterPublisher
from ingest.errors import IngestError, InvalidMessage
from ingest.kafka_topics import ensure_topics
from ingest.publisher import publish_lines, read_lines
from ingest.settings import IngestSettings, KafkaSettings
from ingest.validation import decode_message, parse_article

__all__ = [
    "ArticleConsumer",
    "DeadLetterPublisher",
    "IncomingBatch",
    "IngestError",
    "IngestSettings",
    "InvalidMessage",
    "KafkaSettings",
    "decode_message",
    "ensure_topics",
    "parse_article",
    "publish_lines",
    "read_lines",
]
