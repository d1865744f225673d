"""The fault suite's stream: its stories are what the near-duplicate fingerprints find."""

import json
from collections import defaultdict

from tests.chaos.corpus import RULE_MARKERS, band_groups, build


def test_copies_share_a_story_and_distinct_stories_share_nothing() -> None:
    corpus = build(1500, seed=3)
    by_story: dict[int, set[str]] = defaultdict(set)
    for article_id, story in corpus.stories.items():
        by_story[story].add(article_id)

    assert sorted(map(sorted, band_groups(corpus))) == sorted(map(sorted, by_story.values()))
    assert any(len(copies) > 1 for copies in by_story.values())


def test_the_same_seed_gives_the_same_stream() -> None:
    assert build(200, seed=5).messages == build(200, seed=5).messages
    assert build(200, seed=5).messages != build(200, seed=6).messages


def test_each_expected_alert_is_a_marker_in_every_copy_of_its_story() -> None:
    corpus = build(1500, seed=3)
    bodies = {
        message.article_id: json.loads(message.value)["body"].lower()
        for message in corpus.messages
        if message.article_id is not None
    }
    expected = corpus.expected_alerts()
    assert expected
    for article_id, story in corpus.stories.items():
        words = {marker for marker in RULE_MARKERS if marker in bodies[article_id]}
        assert words == {marker for marker, alerting in expected if alerting == story}


def test_invalid_messages_are_few_distinct_and_not_articles() -> None:
    corpus = build(1500, seed=3)
    invalid = [message for message in corpus.messages if message.article_id is None]
    assert 0 < len(invalid) < 60
    assert len(corpus.invalid_values) == len(invalid)
    assert len(corpus.stories) + len(invalid) == len(corpus.messages)
