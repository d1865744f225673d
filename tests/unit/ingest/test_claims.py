"""Claims of batches being written against revocations: a revocation waits for every claimed
batch (one may be written while the next is prepared), and a claim made while a revocation is
under way waits for it, so that it sees the revoked partitions."""

import asyncio

from aiokafka import TopicPartition

from ingest import IncomingBatch
from ingest.consumer import ArticleConsumer, _LeaveRevokedToNewOwner
from ingest.settings import IngestSettings, KafkaSettings


async def test_a_revocation_waits_for_every_claimed_batch_and_claims_wait_for_it() -> None:
    consumer = ArticleConsumer(KafkaSettings(), IngestSettings())
    listener = _LeaveRevokedToNewOwner(consumer, wait_s=5)
    written, prepared, later = IncomingBatch(), IncomingBatch(), IncomingBatch()
    nothing: list[None] = []
    await consumer.claim(written, nothing)
    await consumer.claim(prepared, nothing)
    await consumer.claim(prepared, nothing)  # a retry claims it once

    revoking = asyncio.create_task(listener.on_partitions_revoked({TopicPartition("t", 0)}))
    await asyncio.sleep(0.01)
    claiming = asyncio.create_task(consumer.claim(later, nothing))
    consumer.unclaim(written)
    await asyncio.sleep(0.01)
    assert not revoking.done()
    assert not claiming.done()

    consumer.unclaim(prepared)
    await asyncio.wait_for(revoking, timeout=1)
    await asyncio.wait_for(claiming, timeout=1)
    # The claim made during the revocation saw it: a batch fetched before it is not ours.
    assert consumer._epochs.unchanged({("t", 0): 0}) == set()


async def test_a_revocation_goes_ahead_after_its_wait_if_a_batch_never_commits() -> None:
    consumer = ArticleConsumer(KafkaSettings(), IngestSettings())
    listener = _LeaveRevokedToNewOwner(consumer, wait_s=0.05)
    await consumer.claim(IncomingBatch(), [])

    await asyncio.wait_for(listener.on_partitions_revoked({TopicPartition("t", 0)}), timeout=1)

    await asyncio.wait_for(consumer.claim(IncomingBatch(), []), timeout=1)
    assert consumer._epochs.unchanged({("t", 0): 0}) == set()
