"""Weapons named by their class noun, numbered by Roman numerals, and stripped of variant words."""

import pytest
from spacy.language import Language

from enrich import EnrichSettings
from enrich.entities import add_entity_rules, canonical_of
from enrich.gazetteer import ORGANIZATIONS_PATH, WEAPONS_PATH
from enrich.pipeline import load_pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    pipeline = load_pipeline(EnrichSettings().model)
    add_entity_rules(pipeline, WEAPONS_PATH, ORGANIZATIONS_PATH)
    return pipeline


def weapons(nlp: Language, text: str) -> list[str]:
    return [canonical_of(ent) for ent in nlp(text).ents if ent.label_ == "WEAPON"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Egypt showed its new Nile Falcon loitering drones at the fair.", ["Nile Falcon"]),
        ("The regiment fielded Karakal self-propelled howitzers last year.", ["Karakal"]),
        ("A Tarantul-class corvette sailed into the port.", ["Tarantul"]),
        ("Two Zubr class landing ships left the base.", ["Zubr"]),
        ("Minsk will buy the Polonez multiple rocket launch system.", ["Polonez"]),
        ("The army paraded its Tiger Claw light tanks.", ["Tiger Claw"]),
    ],
)
def test_a_capitalised_name_before_a_class_noun_is_a_weapon(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ukrainian drones hit the refinery near the border.",
        "Navy frigates escorted the convoy through the strait.",
        "A Kharkiv missile strike killed three people on Sunday.",
        "Taliban fighters seized the district centre.",
        "The company launched its Falcon 9 rocket from Florida.",
        "Gulfstream jets and charter planes filled the airport.",
        "The council said Windows systems were patched.",
        "The Black Sea Fleet warships returned to port.",
        "Precision air munitions were also part of the package.",
        "Nine Fly-to-Buy missiles were included in the notification.",
        "Seoul said Pyongyang test-fired short-range ballistic missiles.",
        "The museum displayed a restored Vulcan bomber and a Centurion tank.",
    ],
)
def test_owners_places_and_people_before_a_class_noun_are_no_weapons(
    nlp: Language, text: str
) -> None:
    assert weapons(nlp, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Islamabad test-fired a Ghauri-II missile on Friday.", ["Ghauri-II"]),
        ("New Delhi inducted the Prithvi-II into service.", ["Prithvi-II"]),
        ("It is a longer-range model of the Hsiung Feng IIE cruise missile.", ["Hsiung Feng II"]),
    ],
)
def test_a_roman_number_names_a_system_of_its_own(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Riyadh bought Patriot PAC-3 MSE interceptors.", ["Patriot"]),
        ("Kyiv received four IRIS-T SLS launchers.", ["IRIS-T"]),
    ],
)
def test_variant_words_after_a_name_are_dropped(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected
