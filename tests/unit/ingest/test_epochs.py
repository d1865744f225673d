"""Revocation epochs: the records a batch fetched of a partition are this member's to write
only while the partition has not been revoked since, even if it was assigned back."""

from ingest.consumer import PartitionEpochs

TOPIC = "wirewatch.articles"


def test_a_batch_keeps_only_the_partitions_not_revoked_since_its_fetch() -> None:
    epochs = PartitionEpochs()
    at_fetch = epochs.now()
    fetched = {(TOPIC, p): at_fetch.get((TOPIC, p), 0) for p in (0, 1, 2)}
    assert epochs.unchanged(fetched) == {(TOPIC, 0), (TOPIC, 1), (TOPIC, 2)}

    epochs.revoke([(TOPIC, 1)])

    assert epochs.unchanged(fetched) == {(TOPIC, 0), (TOPIC, 2)}


def test_a_partition_assigned_back_is_still_not_the_older_batches() -> None:
    epochs = PartitionEpochs()
    older = {(TOPIC, 0): 0}
    epochs.revoke([(TOPIC, 0)])  # an eager rebalance revokes all, then assigns them back
    newer = {(TOPIC, 0): epochs.now()[(TOPIC, 0)]}

    assert epochs.unchanged(older) == set()
    assert epochs.unchanged(newer) == {(TOPIC, 0)}
    epochs.revoke([(TOPIC, 0)])
    assert epochs.unchanged(newer) == set()


def test_a_snapshot_does_not_move_with_later_revocations() -> None:
    epochs = PartitionEpochs()
    epochs.revoke([(TOPIC, 3)])
    snapshot = epochs.now()
    epochs.revoke([(TOPIC, 3), (TOPIC, 4)])
    assert snapshot == {(TOPIC, 3): 1}
    assert epochs.now() == {(TOPIC, 3): 2, (TOPIC, 4): 1}
