"""Classes of weapon mention found on fresh news (batch c11): each rule with its look-alikes."""

import pytest
from spacy.language import Language

from tests.unit.enrich.entity_pipeline import entity_pipeline, weapons


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


def test_a_class_spelled_out_in_lower_case_is_named_by_its_acronym(nlp: Language) -> None:
    text = "Rescuers flew four advanced light helicopters (ALH) over the flooded valley."

    assert weapons(nlp, text) == ["ALH"]


def test_a_people_before_a_class_owns_it(nlp: Language) -> None:
    text = "Ships from Spain will replace the former Belgian K-class frigates that have served."

    assert weapons(nlp, text) == ["K"]


def test_a_class_named_in_brackets_after_its_noun_is_a_weapon(nlp: Language) -> None:
    text = "The navy will retire four air defence frigates (Karel van Speijk class) next year."

    assert weapons(nlp, text) == ["Karel van Speijk"]


def test_a_class_in_brackets_after_no_class_noun_is_none(nlp: Language) -> None:
    text = "The singer toured with the orchestra (Karel van Speijk class) last year."

    assert weapons(nlp, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The Indian aircraft carrier Vikrant sailed into the Arabian Sea on Monday.",
        "Russian cruiser Moskva sank after a fire on board.",
        "Navy pilots landed on the carrier Charles de Gaulle at dawn.",
    ],
)
def test_a_ship_named_after_its_type_noun_is_a_vessel_not_a_weapon(
    nlp: Language, text: str
) -> None:
    assert weapons(nlp, text) == []


def test_an_armed_service_by_its_acronym_before_a_class_noun_owns_it(nlp: Language) -> None:
    text = (
        "The Royal Malaysian Navy said on Friday that the RMN frigate Lekiu was shadowing "
        "the survey vessel."
    )

    assert "RMN" not in weapons(nlp, text)


def test_a_name_given_to_one_item_of_a_named_class_is_no_weapon(nlp: Language) -> None:
    text = "The regiment keeps a Centurion tank, named Bessie, at the gate of its barracks."

    assert "Bessie" not in weapons(nlp, text)


def test_a_class_noun_named_by_calling_is_still_a_weapon(nlp: Language) -> None:
    text = "The air force unveiled a new fighter jet, called Falchion, at the show."

    assert weapons(nlp, text) == ["Falchion"]


def test_an_unlisted_designation_with_a_name_in_a_military_story_is_a_weapon(
    nlp: Language,
) -> None:
    text = (
        "The frigates and a submarine sailed with an XH-9B Storm Petrel and a QA-3 Kestrel. "
        "Three anti-aircraft batteries joined them."
    )

    assert weapons(nlp, text) == ["XH-9", "QA-3"]


@pytest.mark.parametrize(
    "text",
    [
        # A hull number and a ship's name.
        "Two frigates and a submarine sailed, led by FFG-31 Almirante Blanco, with tanks aboard.",
        # A place named by a designation, in a story of equipment.
        "Frigates, submarines and tanks were built at the QK-7 Shipyard by the navy.",
        # No story of equipment.
        "The tenants of the QB-12 Tower met the mayor about the rent on Tuesday.",
    ],
)
def test_a_designation_with_a_name_is_no_weapon_outside_that_class(
    nlp: Language, text: str
) -> None:
    assert weapons(nlp, text) == []


def test_a_hyphenated_modifier_does_not_part_a_designation_from_its_cue(nlp: Language) -> None:
    text = "Troops unloaded a Turkish T-77 self-propelled howitzer on the beach."

    assert weapons(nlp, text) == ["T-77"]


def test_each_name_joined_before_a_class_noun_is_a_weapon(nlp: Language) -> None:
    text = "State television showed the Tondar-B and Kaman ballistic missiles on parade."

    assert weapons(nlp, text) == ["Tondar", "Kaman"]


def test_a_roman_number_after_a_name_is_no_variant_letter(nlp: Language) -> None:
    assert weapons(nlp, "The army showed its Tondar-V ballistic missiles.") == ["Tondar-V"]


def test_owners_joined_before_a_class_noun_are_no_weapons(nlp: Language) -> None:
    assert weapons(nlp, "Rebels fired at the Iranian and Syrian cruise missiles.") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Each ship carries eight Harpoon missiles and the Sea Spear anti-missile system.",
            ["Harpoon", "Sea Spear"],
        ),
        ("Each ship is armed with a 76mm ZR 7 main gun.", ["ZR 7"]),
    ],
)
def test_names_before_newer_class_words_are_weapons(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected


def test_an_unknown_designation_inside_a_name_before_a_class_noun_is_part_of_it(
    nlp: Language,
) -> None:
    text = "The embassy handed over four Lynx Q55 Mk 3 armoured vehicles to the army."

    assert weapons(nlp, text) == ["Lynx Q55"]


def test_a_listed_designation_with_variant_and_nickname_is_the_designation(nlp: Language) -> None:
    text = "The ministry chose the AH-64E Apache Guardian for its new squadron."

    assert weapons(nlp, text) == ["AH-64"]


def test_a_name_before_a_class_in_title_case_is_a_weapon(nlp: Language) -> None:
    text = "According to the ministry, Tarkash Cruise Missile can strike ships at sea."

    assert weapons(nlp, text) == ["Tarkash"]


@pytest.mark.parametrize(
    "text",
    [
        "Officials praised the Indigenous Deep Strike Cruise Missile on Monday.",
        "Navy Tests New Cruise Missile Off The Coast",
    ],
)
def test_words_of_a_title_case_name_or_headline_are_no_weapon(nlp: Language, text: str) -> None:
    assert weapons(nlp, text) == []


def test_a_hyphenated_launcher_name_is_not_widened_from_its_designation(nlp: Language) -> None:
    text = "The agency put two satellites in orbit on board the XSLV-C12 launch vehicle today."

    assert weapons(nlp, text) == []


def test_a_programme_named_in_title_case_is_no_weapon(nlp: Language) -> None:
    assert weapons(nlp, "The agency tested the core stage of the Moon Launch System.") == []
