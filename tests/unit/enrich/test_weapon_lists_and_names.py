"""Classes of weapon mention found on fresh news (batch c12): lists, names after designations,
appositions, variants and look-alikes, each rule with the case it must leave alone."""

import pytest
from spacy.language import Language

from tests.unit.enrich.entity_pipeline import entity_pipeline, weapons


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


def test_an_unlisted_name_listed_with_weapons_before_their_noun_is_a_weapon(
    nlp: Language,
) -> None:
    text = "The arsenal in Pune builds Trishul, AK-203 and INSAS rifles for the infantry."

    assert weapons(nlp, text) == ["Trishul", "AK-203", "INSAS"]


def test_a_makers_name_alone_before_rifles_is_no_weapon(nlp: Language) -> None:
    text = "Hunters in the valley mostly carry Remington rifles, the shop owner said."

    assert weapons(nlp, text) == []


def test_an_ambiguous_name_listed_beside_a_weapon_needs_no_other_cue(nlp: Language) -> None:
    text = "Berlin said it would send more Patriot and NASAMS units to Kyiv this winter."

    assert weapons(nlp, text) == ["Patriot", "NASAMS"]


def test_a_count_may_stand_between_a_lists_joiner_and_an_ambiguous_name(nlp: Language) -> None:
    text = "Qatar flew in two Rafales, one Apache, three Chinooks and a team of engineers."

    assert weapons(nlp, text) == ["Rafale", "Apache", "Chinook"]


def test_an_air_forces_acronym_is_a_military_cue(nlp: Language) -> None:
    text = "A RAAF Hercules landed at the atoll with water and medical staff on Friday."

    assert weapons(nlp, text) == ["Hercules"]


def test_a_team_listed_beside_a_team_is_no_weapon(nlp: Language) -> None:
    text = "The Patriots and the Jets meet on Sunday night in New Jersey."

    assert weapons(nlp, text) == []


def test_a_name_after_a_designation_is_the_designations_nickname(nlp: Language) -> None:
    text = "Relief flew in on an An-74-200 Polar heavy transport plane overnight."

    assert weapons(nlp, text) == ["An-74"]


def test_a_variant_written_apart_after_a_name_is_no_other_weapon(nlp: Language) -> None:
    text = "The battalion fields Marder IFVs and Leopard2 A7 tanks near the border."

    assert weapons(nlp, text) == ["Marder", "Leopard2"]


def test_a_designation_whose_suffix_is_a_word_is_a_firm(nlp: Language) -> None:
    text = (
        "Sensors made by L3Harris Wescam were fitted to the army's drones and to its attack "
        "helicopters."
    )

    assert weapons(nlp, text) == []


def test_an_unknown_designation_in_apposition_to_its_class_noun_is_a_weapon(
    nlp: Language,
) -> None:
    text = "Iran showed a new anti-ship cruise missile, the Nasir-9, at the parade in Tehran."

    assert weapons(nlp, text) == ["Nasir-9"]


def test_an_unknown_designation_after_a_comma_and_no_class_noun_is_none(nlp: Language) -> None:
    text = "Voters in the district, the XR-9 zone, went to the polls on Sunday."

    assert weapons(nlp, text) == []


def test_classes_joined_before_one_vessel_noun_are_each_a_weapon(nlp: Language) -> None:
    text = "The fleet sent its Pohang-class and Ulsan-class corvettes to the drill."

    assert weapons(nlp, text) == ["Pohang", "Ulsan"]


def test_a_ruler_named_with_an_epithet_is_no_class(nlp: Language) -> None:
    text = "The navy sent the Sejong the Great destroyer to the strait on Monday."

    assert weapons(nlp, text) == []


def test_a_name_with_a_unicode_roman_number_before_a_class_noun_is_a_weapon(
    nlp: Language,
) -> None:
    text = "Seoul will deploy more Hyunmoo-Ⅲ cruise missiles along the coast."

    assert weapons(nlp, text) == ["Hyunmoo-Ⅲ"]


def test_a_modifier_left_at_the_end_of_a_listed_name_is_trimmed(nlp: Language) -> None:
    text = "The package includes missiles for Hawk air defense systems and spare parts."

    assert weapons(nlp, text) == ["Hawk"]


def test_a_type_in_lower_case_before_a_ships_name_names_no_class(nlp: Language) -> None:
    text = "Sailors boarded the littoral combat ship USS Jackson in San Diego."

    assert weapons(nlp, text) == []


def test_a_vehicle_category_alone_is_no_weapon(nlp: Language) -> None:
    text = "The embassy handed over ten Mine-Resistant Ambush-Protected vehicles, MRAP, to police."

    assert weapons(nlp, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The air show ended with a Spitfire aircraft flying low over the runway.", ["Spitfire"]),
        ("The brewery launched a Spitfire ale for the summer festival.", []),
        ("Police escorted the convoy in a Sherpa armoured vehicle through the city.", ["Sherpa"]),
        ("A Sherpa guide led the climbers to the summit of Everest.", []),
        ("Manila received two Huey II helicopters from Washington.", ["Huey II"]),
        ("Huey Lewis played to a sold-out crowd on Friday.", []),
    ],
)
def test_named_systems_that_are_also_words_need_a_cue(
    nlp: Language, text: str, expected: list[str]
) -> None:
    assert weapons(nlp, text) == expected


def test_a_hull_type_symbol_before_a_class_noun_is_no_class(nlp: Language) -> None:
    text = "Oman sent its frigate Al-Shamikh, an FFG missile patrol ship, to the strait."

    assert weapons(nlp, text) == []


def test_a_listed_name_with_its_noun_after_a_designation_is_the_designation(
    nlp: Language,
) -> None:
    text = "The cruiser launched two RIM-66 Standard missiles during the trial off Hawaii."

    assert weapons(nlp, text) == ["RIM-66"]


def test_a_union_of_states_before_a_class_noun_owns_it(nlp: Language) -> None:
    text = "A Soviet Union Krivak frigate was sold for scrap in the 1990s."

    assert weapons(nlp, text) == ["Krivak"]


def test_the_patriots_spelled_out_variant_is_the_patriot(nlp: Language) -> None:
    text = "Tokyo builds Patriot Advanced Capability-3 interceptor missiles under licence."

    assert weapons(nlp, text) == ["Patriot"]


def test_a_design_bureau_written_for_its_prefix_is_the_designation(nlp: Language) -> None:
    text = "Two Tupolev-95 bombers escorted by Sukhoi-35 jets flew over the Sea of Okhotsk."

    assert weapons(nlp, text) == ["Tu-95", "Su-35"]


def test_a_plural_keeps_the_roman_number_of_a_listed_name(nlp: Language) -> None:
    text = "Delhi ordered more Prithvi-IIs for the army's strategic forces command."

    assert weapons(nlp, text) == ["Prithvi-II"]


def test_a_design_bureaus_designation_with_no_cue_is_no_weapon(nlp: Language) -> None:
    text = "A chartered Ilyushin-76 carrying tents and medicine landed in Juba on Friday."

    assert weapons(nlp, text) == []
