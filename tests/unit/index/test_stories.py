"""Story id assignment with the arbiter's answers (the pure part)."""

from datetime import UTC, datetime, timedelta

from index import propose
from index.stories import Claim, Proposal, Story, settle

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)


def claimed(
    band: str, story_id: str, *, hours_ago: float = 1, bands: tuple[str, ...] = ()
) -> Claim:
    at = NOW - timedelta(hours=hours_ago)
    return Claim(band, Story(story_id, at), at, bands or (band,), version=(1, 1))


def stories(batch: list[tuple[str, list[str]]], *known: Claim) -> dict[str, str]:
    return propose(batch, {claim.band: claim for claim in known}, NOW, WINDOW).stories


def test_a_document_without_claimed_bands_names_its_own_story_and_claims_its_bands() -> None:
    proposal = propose([("a", ["00-x", "01-y"])], {}, NOW, WINDOW)

    assert proposal.stories == {"a": "a"}
    assert proposal.fresh == [Story("a", NOW)]
    assert [(claim.band, claim.story.id, claim.version) for claim in proposal.claims] == [
        ("00-x", "a", None),
        ("01-y", "a", None),
    ]
    assert all(claim.bands == ("00-x", "01-y") for claim in proposal.claims)


def test_a_copy_joins_the_story_claiming_one_of_its_bands_and_claims_the_rest_for_it() -> None:
    proposal = propose([("b", ["00-q", "01-y"])], {"01-y": claimed("01-y", "first")}, NOW, WINDOW)

    assert proposal.stories == {"b": "first"}
    assert proposal.fresh == []
    assert [(claim.band, claim.story.id) for claim in proposal.claims] == [("00-q", "first")]


def test_the_oldest_story_among_the_claims_wins() -> None:
    found = stories(
        [("c", ["00-x", "01-y"])],
        claimed("00-x", "newer", hours_ago=1),
        claimed("01-y", "oldest", hours_ago=5),
    )
    assert found == {"c": "oldest"}


def test_copies_within_one_batch_share_the_first_ones_story() -> None:
    batch = [("a", ["00-x", "01-y"]), ("b", ["00-z", "01-y"]), ("c", ["00-w", "01-v"])]
    assert stories(batch) == {"a": "a", "b": "a", "c": "c"}


def test_a_redelivered_document_keeps_its_story() -> None:
    first = claimed("00-x", "first")
    assert stories([("first", ["00-x"])], first) == {"first": "first"}
    assert stories([("second", ["00-x", "01-y"])], first) == {"second": "first"}


def test_a_document_without_bands_is_its_own_story() -> None:
    assert stories([("a", [])], claimed("00-x", "s")) == {"a": "a"}


def test_a_claim_past_the_story_window_is_free_again_and_taken_over_by_its_version() -> None:
    stale = claimed("00-x", "old", hours_ago=100)
    proposal = propose([("new", ["00-x"])], {"00-x": stale}, NOW, WINDOW)

    assert proposal.stories == {"new": "new"}
    (claim,) = proposal.claims
    assert (claim.story.id, claim.version) == ("new", stale.version)


def made(proposal: Proposal, *bands: str) -> dict[str, Claim]:
    return {claim.band: claim for claim in proposal.claims if claim.band in bands}


def test_a_story_that_won_every_claim_stays() -> None:
    proposal = propose([("a", ["00-x", "01-y"])], {}, NOW, WINDOW)

    assert settle(proposal, made(proposal, "00-x", "01-y"), {}) == {"a": Story("a", NOW)}


def test_a_copy_that_lost_its_shared_bands_to_a_replica_joins_the_replicas_story() -> None:
    # Replica A took every band it shares with B before B got there; B won only a band of
    # its own. A never saw B, so B must join A, however the ids or times compare.
    a_bands = ("00-a", "01-s", "02-s")
    early = NOW - timedelta(seconds=1)
    a_claims = {band: Claim(band, Story("zzz", early), early, a_bands) for band in a_bands}
    proposal = propose([("b", ["00-b", "01-s", "02-s"])], {}, NOW, WINDOW)

    final = settle(proposal, made(proposal, "00-b"), {b: a_claims[b] for b in ("01-s", "02-s")})

    assert final == {"b": Story("zzz", early)}


def test_two_replicas_that_each_won_bands_the_other_wanted_pick_the_same_story() -> None:
    # A won 00 and lost 01 to B; B won 01 and lost 00 to A; each has a band of its own too.
    at_a, at_b = NOW, NOW + timedelta(milliseconds=3)
    a_bands, b_bands = ("00-s", "01-s", "02-a"), ("00-s", "01-s", "02-b")
    a_claim = {band: Claim(band, Story("a", at_a), at_a, a_bands) for band in a_bands}
    b_claim = {band: Claim(band, Story("b", at_b), at_b, b_bands) for band in b_bands}

    seen_by_a = propose([("a", list(a_bands))], {}, at_a, WINDOW)
    seen_by_b = propose([("b", list(b_bands))], {}, at_b, WINDOW)
    a_final = settle(seen_by_a, made(seen_by_a, "00-s", "02-a"), {"01-s": b_claim["01-s"]})
    b_final = settle(seen_by_b, made(seen_by_b, "01-s", "02-b"), {"00-s": a_claim["00-s"]})

    assert a_final == {"a": Story("a", at_a)}
    assert b_final == {"b": Story("a", at_a)}


def test_losing_a_band_to_the_same_story_changes_nothing() -> None:
    # A retried batch: its own claims from the first try answer 409.
    proposal = propose([("a", ["00-x"])], {}, NOW, WINDOW)
    own = Claim("00-x", Story("a", NOW), NOW, ("00-x",), version=(3, 1))

    assert settle(proposal, {}, {"00-x": own}) == {"a": Story("a", NOW)}
