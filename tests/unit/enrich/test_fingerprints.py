"""Near-duplicate fingerprints."""

import json
from pathlib import Path

from enrich import story_bands
from enrich.fingerprints import BANDS, shingles

SEED = json.loads((Path(__file__).parents[2] / "fixtures" / "seed-article.json").read_text())


def test_the_same_text_always_gives_the_same_keys() -> None:
    assert story_bands(SEED["title"], SEED["body"]) == story_bands(SEED["title"], SEED["body"])
    assert len(story_bands(SEED["title"], SEED["body"])) == BANDS


def test_keys_are_stable_across_releases() -> None:
    # Stored in the index: a change here splits every story in two after an upgrade.
    assert story_bands("Tanks roll", "Tanks roll into the city at dawn.")[:2] == [
        "00-9d4a6f0ec7605ab5",
        "01-6487e937eeb5571a",
    ]


def test_a_copy_with_another_headline_and_a_trimmed_paragraph_shares_a_band() -> None:
    paragraphs = SEED["body"].split("\n")
    copy = story_bands("Moscow and Caracas talk arms", "\n".join(paragraphs[:-2]))
    assert set(copy) & set(story_bands(SEED["title"], SEED["body"]))


def test_a_lightly_edited_copy_shares_a_band() -> None:
    edited = SEED["body"].replace("Russia", "Moscow", 3).replace(".", "!", 2)
    assert set(story_bands(SEED["title"], edited)) & set(story_bands(SEED["title"], SEED["body"]))


def test_another_story_on_the_same_subject_shares_no_band() -> None:
    other = (
        "Venezuela and Russia held talks on defence industry cooperation. Officials from both "
        "countries met in Moscow to review contracts for the maintenance of Sukhoi fighters, "
        "and the Venezuelan delegation visited a factory outside the capital. A spokesman said "
        "further meetings would follow in the spring, without giving details of the contracts."
    )
    assert not set(story_bands("Talks in Moscow", other)) & set(
        story_bands(SEED["title"], SEED["body"])
    )


def test_case_and_punctuation_do_not_count() -> None:
    assert story_bands("", "Tanks, ROLL into the city!") == story_bands(
        "", "tanks roll into the city"
    )


def test_a_text_without_words_has_no_keys() -> None:
    assert story_bands("", " -- ") == []


def test_a_short_text_is_one_shingle() -> None:
    assert shingles("Tanks roll in") == {b"tanks roll in"}
    assert len(shingles("one two three four five six")) == 2
