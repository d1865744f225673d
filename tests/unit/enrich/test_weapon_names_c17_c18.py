"""Classes of weapon mention found on fresh news (batches c17 and c18): each rule with the case it
must leave alone."""

import pytest
from spacy.language import Language

from tests.unit.enrich.entity_pipeline import entity_pipeline, weapons


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The loitering munition Shahed 136 struck the tanker.", ["Shahed-136"]),
        ("Iran launched Shahed 136 drones at the port.", ["Shahed-136"]),
        # Four digits are a year, not a designation.
        ("The Agni 2024 missile festival opened in Delhi.", []),
    ],
)
def test_a_number_written_apart_from_a_family_of_any_number_is_a_weapon_beside_a_cue(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected


def test_a_listed_weapon_named_like_a_city_is_the_weapon_before_its_class_noun(
    nlp: Language,
) -> None:
    assert weapons(nlp, "Germany will deliver 200 Milan anti-tank missiles.") == ["Milan"]
    assert weapons(nlp, "The ministers met in Milan on Monday to discuss missiles.") == []


def test_a_curly_apostrophe_names_the_same_weapon(nlp: Language) -> None:
    assert weapons(nlp, "Trials of the system, known as David’s Sling, began last week.") == [
        "David’s Sling"
    ]


def test_a_weapons_name_that_is_no_ordinary_word_needs_no_cue(nlp: Language) -> None:
    assert weapons(nlp, "German Eurofighters reach Romania amid the Ukraine crisis.") == [
        "Eurofighter"
    ]


def test_a_listed_name_that_needs_a_cue_is_no_weapon_among_museum_pieces(nlp: Language) -> None:
    assert weapons(nlp, "The museum will exhibit a restored Spitfire fighter plane.") == []
    assert weapons(nlp, "The RAF flew a Spitfire fighter plane over the base.") == ["Spitfire"]


def test_an_ambiguous_name_is_confirmed_by_words_of_its_own_name_after_it(nlp: Language) -> None:
    assert weapons(nlp, "Spain sent one of its Patriot Air and Missile Defense units.") == [
        "Patriot"
    ]
    assert weapons(nlp, "Spain sent one of its Patriot Air Defense units to Turkey.") == ["Patriot"]
    assert weapons(nlp, "The Patriot Air Show drew crowds on Sunday.") == []


def test_a_block_suffix_is_dropped_from_a_listed_name(nlp: Language) -> None:
    assert weapons(nlp, "F-16 Block 70 production began at the new plant.") == ["F-16"]


@pytest.mark.parametrize(
    "text",
    [
        "The deal arose from Brazil's Project F-X2 fighter replacement program.",
        # A common word opens the class's own name; the model read it as a person's.
        "The DRDO flight-tested Very Short-Range Air Defence System (VSHORADS) missiles.",
    ],
)
def test_a_programme_or_a_common_word_before_a_class_noun_is_no_weapon(
    nlp: Language, text: str
) -> None:
    assert weapons(nlp, text) == []


def test_title_case_modifiers_with_a_word_of_war_still_name_the_system(nlp: Language) -> None:
    assert weapons(nlp, "The frigate features the MBDA SAAM-ESD Air Defense Missile system.") == [
        "SAAM-ESD"
    ]


def test_a_trade_shows_exhibition_is_no_museum(nlp: Language) -> None:
    text = "Poland ordered Apache helicopters; the deal was signed at the defence exhibition."

    assert weapons(nlp, text) == ["Apache"]


@pytest.mark.parametrize(
    "text",
    [
        "An 18-year-old tank commander was among the dead, the ministry said.",
        "The ministry said an 19 year old drone operator was captured.",
    ],
)
def test_a_word_and_an_age_are_no_designation_written_apart(nlp: Language, text: str) -> None:
    assert weapons(nlp, text) == []
