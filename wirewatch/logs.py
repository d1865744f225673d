"""Structured logs: one JSON object per line in production, readable lines in a terminal."""

import logging
import sys
import time
from typing import Literal

import structlog

from contracts import without_userinfo


def configure_logging(
    level: str = "INFO", log_format: Literal["auto", "json", "console"] = "auto"
) -> None:
    """Routes structlog and the standard library's loggers (aiokafka, elasticsearch) alike."""
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if use_json else _keep,
                redact_userinfo,
                renderer,
            ],
        )
    )
    handler.addFilter(kafka_outage)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The clients' INFO lines (connections, rebalances) are useful; their DEBUG ones are noise.
    # Their DEBUG lines also carry what wirewatch never logs: Elasticsearch request bodies
    # (a rule's webhook URLs), aiohttp's request details.
    for noisy in ("aiokafka", "aiohttp", "elastic_transport", "elasticsearch"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # wirewatch logs each retry itself; the transport would add a traceback per attempt.
    logging.getLogger("elastic_transport.transport").setLevel(logging.ERROR)


def redact_userinfo(
    logger: structlog.types.WrappedLogger, name: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Masks the user:password@ of any URL in a log line's text values, wirewatch's own and
    the libraries' alike (their messages and tracebacks may quote a URL given with
    credentials)."""
    for key, value in event.items():
        if isinstance(value, str) and "@" in value:
            event[key] = without_userinfo(value)
    return event


def _keep(
    logger: structlog.types.WrappedLogger, name: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    return event


class KafkaOutage(logging.Filter):
    """One line per Kafka outage instead of one per reconnect attempt (every 100 ms or so).

    The Kafka client's first error starts an outage and is logged, marked as such; its
    warnings and errors after it are counted, not logged, until `over()` is called by
    whoever sees the broker answer again, which logs the end once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._since: float | None = None
        self._held_back = 0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aiokafka") or record.levelno < logging.WARNING:
            return True
        if self._since is not None:
            self._held_back += 1
            return False
        if record.levelno < logging.ERROR:
            return True
        self._since = time.monotonic()
        self._held_back = 0
        record.msg = (
            f"Kafka client error: {record.getMessage()} (its further errors are held back "
            "until the broker answers again)"
        )
        record.args = ()
        return True

    def over(self) -> None:
        """Ends the outage, if one is ongoing, and says how long it lasted."""
        if self._since is None:
            return
        lasted_s = time.monotonic() - self._since
        self._since = None
        structlog.get_logger(__name__).warning(
            "Kafka answers again", outage_s=round(lasted_s, 1), errors_held_back=self._held_back
        )


kafka_outage = KafkaOutage()
