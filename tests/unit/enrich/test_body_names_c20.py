"""Bodies' names found on fresh news (batch c20): units named by their number with the unit's
noun in lower case, and bodies named with "of" before an officer's post and name; each with the
cases that must stay as they are."""

import pytest
from spacy.language import Language

from tests.unit.enrich.entity_pipeline import entity_pipeline, labelled, organisations


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("The 82nd Airborne division deployed to Poland.", "82nd Airborne division"),
        ("Troops of the 76th Russian Airborne division took part.",
         "76th Russian Airborne division"),
        ("The 50th Independent Paratrooper brigade trained there.",
         "50th Independent Paratrooper brigade"),
    ],
)  # fmt: skip
def test_a_numbered_unit_keeps_its_lower_case_noun(nlp: Language, text: str, unit: str) -> None:
    assert unit in organisations(nlp, text)


def test_a_bare_ordinal_and_noun_names_no_unit(nlp: Language) -> None:
    assert organisations(nlp, "The 3rd division and the 27th engineering battalion arrived.") == []


def test_a_firms_division_is_no_numbered_unit(nlp: Language) -> None:
    assert "21st Century Fox division" not in organisations(
        nlp, "The 21st Century Fox division was sold to Disney."
    )


def test_an_ordinal_before_a_country_counts_an_anniversary_but_numbers_a_division(
    nlp: Language,
) -> None:
    assert organisations(nlp, "It marked the 5th Kenya Defence Forces celebrations.") == [
        "Kenya Defence Forces"
    ]
    assert organisations(nlp, "The 4th Ukrainian Tank Brigade held the line.") == [
        "4th Ukrainian Tank Brigade"
    ]
    assert organisations(nlp, "Officers attended the 250th US Marine Corps birthday ball.") == [
        "US Marine Corps"
    ]


@pytest.mark.parametrize(
    ("text", "body", "person"),
    [
        ("said Office of Foreign Assets Control Director Andrea M. Gacki on Monday.",
         "Office of Foreign Assets Control", "Andrea M. Gacki"),
        ("Ministry of Defence Deputy Minister Ivan Petrov visited the plant.",
         "Ministry of Defence", "Ivan Petrov"),
        ("Ministry of External Affairs Official Spokesperson Randhir Jaiswal said so.",
         "Ministry of External Affairs", "Randhir Jaiswal"),
    ],
)  # fmt: skip
def test_a_body_named_with_of_ends_before_an_officers_post_and_name(
    nlp: Language, text: str, body: str, person: str
) -> None:
    found = labelled(nlp, text)
    assert found[body] == "ORG"
    assert found[person] == "PERSON"


def test_a_post_inside_a_bodys_name_stays_in_it(nlp: Language) -> None:
    text = "The Office of the Director of National Intelligence said so."
    assert organisations(nlp, text) == ["Office of the Director of National Intelligence"]


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Later, US Forces Afghanistan confirmed the drawdown.", "US Forces Afghanistan"),
        ("U.S. Naval Forces Europe-Africa said the ship arrived.",
         "U.S. Naval Forces Europe-Africa"),
    ],
)  # fmt: skip
def test_a_component_command_is_named_with_its_area(nlp: Language, text: str, command: str) -> None:
    assert command in organisations(nlp, text)


def test_a_direction_of_a_place_is_no_commands_area(nlp: Language) -> None:
    assert "Russian Forces North" not in organisations(
        nlp, "Russian Forces North of Kyiv withdrew on Friday."
    )
