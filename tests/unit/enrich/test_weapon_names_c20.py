"""Classes of weapon mention found on fresh news (batch c20): each rule with the case it must
leave alone."""

import pytest
from spacy.language import Language

from enrich.entities import canonical_of
from tests.unit.enrich.entity_pipeline import entity_pipeline, weapons


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


def vessels(nlp: Language, text: str) -> list[str]:
    return [canonical_of(ent) for ent in nlp(text).ents if ent.label_ == "VESSEL"]


@pytest.mark.parametrize(
    ("text", "ship"),
    [
        ("The flotilla, led by the Liaoning aircraft carrier, sailed east.", "Liaoning"),
        ("A naval force led by the Admiral Kuznetsov aircraft carrier withdrew.",
         "Admiral Kuznetsov"),
        ("The Charles de Gaulle aircraft carrier left Toulon.", "Charles de Gaulle"),
    ],
)  # fmt: skip
def test_a_listed_ship_named_before_its_noun_is_a_vessel_not_a_weapon(
    nlp: Language, text: str, ship: str
) -> None:
    assert weapons(nlp, text) == []
    assert vessels(nlp, text) == [ship]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The navy ordered two Kirov-class cruisers.", ["Kirov"]),
        ("Two Type 052D destroyers and the Type 055 destroyer sailed.", ["Type 052D", "Type 055"]),
        ("Italy ordered two more FREMM frigates.", ["FREMM"]),
        ("The Littoral Combat Ship program was cut.", ["Littoral Combat Ship"]),
        # A listed class written before its noun in the singular, not one ship.
        ("The Arleigh Burke destroyer has been the workhorse of the fleet.", ["Arleigh Burke"]),
        ("Russia's Kilo submarine remains the backbone of its fleet.", ["Kilo"]),
    ],
)
def test_a_class_of_ships_stays_a_weapon(nlp: Language, text: str, expected: list[str]) -> None:
    assert weapons(nlp, text) == expected


def test_a_class_of_liners_is_no_weapon_but_a_navys_class_is(nlp: Language) -> None:
    liner = "Carnival Celebration is a second Excel-class ship built for Carnival Cruise Lines."
    assert weapons(nlp, liner) == []
    assert weapons(nlp, "The navy commissioned its second Independence-class ship.") == [
        "Independence"
    ]
    assert weapons(nlp, "The Guardian-class patrol boats were handed over.") == ["Guardian"]


def test_a_firm_before_a_named_weapon_is_its_maker(nlp: Language) -> None:
    text = "The cuts trimmed purchases of Saab/British Aerospace Gripen fighters."
    assert weapons(nlp, text) == ["Gripen"]


def test_a_common_word_after_a_datelines_colon_names_no_weapon(nlp: Language) -> None:
    assert weapons(nlp, "BANGKOK (AFP): Fewer tanks patrolled the streets today.") == []
    assert weapons(nlp, "NEW DELHI: The army inducted Pinaka rocket launchers.") == ["Pinaka"]
    # A list's colon opens no sentence.
    assert weapons(nlp, "Kyiv's shopping list: Vampire launchers and more shells.") == ["Vampire"]
