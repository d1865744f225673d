"""alerts: saved-search alerting, the whole feature in one place.

Rules (saved Lucene queries in the rules index, `RuleStore`; the API routes), the rule book
a running service matches new articles against (`RuleBook`), alerts recorded once per rule
and story in the alerts index (`AlertStore`, the outbox), their delivery to Kafka and to
webhooks within the egress policy (`Deliverer`), and the settings (`settings.alerts`).

It uses both clients through small interfaces (alerts/interfaces.py): Kafka to publish
alerts, Elasticsearch for its own two indices. It consumes no articles topic and writes no
articles index; `wirewatch` wires it into the service.
"""

from alerts.access import ApiAccess, Role, is_loopback
from alerts.api import alert_routes, guarded
from alerts.book import RuleBook
from alerts.delivery import Deliverer, next_round, slack_body
from alerts.egress import EgressPolicy, EgressRefusedError
from alerts.errors import (
    AlertsError,
    ApiAccessError,
    DeliveryError,
    InvalidRuleError,
    RuleNotFoundError,
)
from alerts.interfaces import (
    AccessSettings,
    AlertingSettings,
    AlertMetrics,
    DeliveryRecords,
    RuleSource,
    TopicPublisher,
    WebhookSender,
)
from alerts.outbox import AlertStore
from alerts.pipeline import Alerting, AlertStores, MatchedArticle, RecordedAlerts, new_articles
from alerts.publisher import AlertPublisher
from alerts.records import Alert, Delivery, alert_id, new_alert
from alerts.rules import Rule, RuleDraft, RuleStore, parse_draft
from alerts.settings import AlertSettings
from alerts.webhooks import WebhookClient

__all__ = [
    "AccessSettings",
    "Alert",
    "AlertMetrics",
    "AlertPublisher",
    "AlertSettings",
    "AlertStore",
    "AlertStores",
    "Alerting",
    "AlertingSettings",
    "AlertsError",
    "ApiAccess",
    "ApiAccessError",
    "Deliverer",
    "Delivery",
    "DeliveryError",
    "DeliveryRecords",
    "EgressPolicy",
    "EgressRefusedError",
    "InvalidRuleError",
    "MatchedArticle",
    "RecordedAlerts",
    "Role",
    "Rule",
    "RuleBook",
    "RuleDraft",
    "RuleNotFoundError",
    "RuleSource",
    "RuleStore",
    "TopicPublisher",
    "WebhookClient",
    "WebhookSender",
    "alert_id",
    "alert_routes",
    "guarded",
    "is_loopback",
    "new_alert",
    "new_articles",
    "next_round",
    "parse_draft",
    "slack_body",
]
