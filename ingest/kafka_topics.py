"""Creating the topics wirewatch reads and writes, when they are missing."""

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from ingest.connection import client_options, describe_failure
from ingest.errors import IngestError
from ingest.settings import KafkaSettings


async def ensure_topics(
    kafka: KafkaSettings, names: list[str], *, partitions: int, replication_factor: int
) -> list[str]:
    """Creates those of `names` that do not exist yet; returns the ones it created."""
    admin = AIOKafkaAdminClient(**client_options(kafka))
    missing: list[str] = []
    try:
        await admin.start()
        missing = [name for name in names if name not in set(await admin.list_topics())]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in missing]
        )
        for name, code, *rest in response.topic_errors:
            error_type = for_code(code)
            if code and error_type is not TopicAlreadyExistsError:
                detail = rest[0] if rest and rest[0] else error_type.__name__
                raise IngestError(
                    f"could not create topic {name!r} ({partitions} partitions, replication "
                    f"{replication_factor}): {detail}. Create it yourself or fix "
                    "WIREWATCH_INGEST__TOPIC_PARTITIONS / TOPIC_REPLICATION_FACTOR."
                )
    except KafkaError as error:
        raise IngestError(
            f"could not reach Kafka at {kafka.bootstrap_servers} to check topics {names}: "
            f"{await describe_failure(kafka, error)}. Is the broker running (`wirewatch stack "
            "status`), and are the WIREWATCH_KAFKA__* security settings those it expects?",
            retriable=True,
        ) from error
    finally:
        await admin.close()
    return missing
