"""A Kafka outage logs once when it starts and once when it ends, not per reconnect."""

import logging

from wirewatch.logs import KafkaOutage


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
