"""ingest: the Kafka side. Reads articles, validates them, dead-letters the invalid, commits;
reads the dead letters back for replay; creates the topics; publishes articles.

Only this package consumes the articles topic.
"""

from ingest.connection import client_options, describe_failure, ssl_context
from ingest.consumer import ArticleConsumer, IncomingBatch
from ingest.dead_letter import DeadLetterPublisher
from ingest.errors import IngestError, InvalidMessage
from ingest.kafka_topics import ensure_topics
from ingest.publisher import message_key, publish_lines, read_lines
from ingest.replay import STAGES, LetterFilter, Republisher, StoredLetter, read_dead_letters
from ingest.settings import IngestSettings, KafkaSettings
from ingest.validation import parse_article

__all__ = [
    "STAGES",
    "ArticleConsumer",
    "DeadLetterPublisher",
    "IncomingBatch",
    "IngestError",
    "IngestSettings",
    "InvalidMessage",
    "KafkaSettings",
    "LetterFilter",
    "Republisher",
    "StoredLetter",
    "client_options",
    "describe_failure",
    "ensure_topics",
    "message_key",
    "parse_article",
    "publish_lines",
    "read_dead_letters",
    "read_lines",
    "ssl_context",
]
