"""A Kafka outage logs once when it starts and once when it ends, not per reconnect; no
line shows a URL's password, and the clients' DEBUG lines (request bodies) stay out."""

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from wirewatch.logs import KafkaOutage, configure_logging


def record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, (), None)


def test_an_outage_lets_its_first_error_through_and_holds_back_the_rest() -> None:
    outage = KafkaOutage()
    first = record("aiokafka.client", logging.ERROR, "Unable connect to node with id 1")
    assert outage.filter(first)
    assert "Unable connect to node with id 1" in first.getMessage()
    assert "held back" in first.getMessage()
    assert outage.ongoing
    repeats = [
        record("aiokafka.consumer.fetcher", level, "Failed fetch messages from 1")
        for level in (logging.ERROR, logging.WARNING) * 100
    ]
    assert not any(outage.filter(repeat) for repeat in repeats)
    # Other loggers and the client's info lines still pass.
    assert outage.filter(record("wirewatch.service", logging.ERROR, "outage: holding"))
    assert outage.filter(record("aiokafka.consumer.group_coordinator", logging.INFO, "Joined"))
    outage.over()
    assert not outage.ongoing
    assert outage.filter(record("aiokafka.client", logging.ERROR, "Unable connect again"))


def test_client_warnings_alone_start_no_outage() -> None:
    outage = KafkaOutage()
    assert outage.filter(record("aiokafka.producer.sender", logging.WARNING, "retrying"))
    assert not outage.ongoing
    outage.over()  # nothing ongoing: nothing to say
    assert not outage.ongoing


@pytest.fixture
def debug_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging as the service configures it at DEBUG, to the stderr returned; undone after."""
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    clients = ("aiokafka", "aiohttp", "elastic_transport", "elasticsearch")
    levels = {
        name: logging.getLogger(name).level for name in (*clients, "elastic_transport.transport")
    }
    configure_logging("DEBUG", "json")
    yield stderr
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, before in levels.items():
        logging.getLogger(name).setLevel(before)
    structlog.reset_defaults()


def test_at_debug_no_line_shows_a_url_password_or_a_client_request_body(
    debug_logging: io.StringIO,
) -> None:
    logging.getLogger("elasticsearch.test").debug(
        '> PUT /wirewatch-rules/_create/1 {"webhooks": ["https://hooks.slack.com/T/B/SECRET"]}'
    )
    logging.getLogger("aiohttp.client.test").debug("POST https://hooks.slack.com/T/B/SECRET")
    logging.getLogger("elastic_transport.transport.test").warning(
        "retrying http://u:SECRET@es:9200"
    )
    logging.getLogger("elasticsearch.test").info("GET http://elastic:SECRET@es:9200/ [200]")
    logging.getLogger("wirewatch.test").debug("connecting to %s", "http://elastic:SECRET@es:9200")

    # (Loggers of their own: the clients' real ones may be configured by other tests; and
    # elastic_transport.node, which logs request and answer bodies, never propagates.)
    lines = [json.loads(line) for line in debug_logging.getvalue().splitlines()]
    assert "SECRET" not in json.dumps(lines)
    assert [line["event"] for line in lines] == [
        "GET http://**********@es:9200/ [200]",
        "connecting to http://**********@es:9200",
    ]
