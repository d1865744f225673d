"""The gazetteer files: the packaged ones are valid, a broken one is reported with its path."""

from pathlib import Path

import pytest
import spacy

from enrich.entities import add_entity_rules, canonical_of
from enrich.gazetteer import (
    COUNTRIES_PATH,
    ORGANIZATIONS_PATH,
    WEAPONS_PATH,
    CountryData,
    GazetteerError,
    OrganizationData,
    WeaponData,
    load,
)

ONE_WEAPON = """
cues: {equipment: [missile, missiles], military: [army]}
negatives: {mentions: [X-1], neighbours: [visa]}
families:
  - {prefix: Zz, numbers: [7, 9], category: missile}
weapons:
  - {name: Thunderbolt Lance, category: missile, aliases: [TL-9]}
"""


def test_the_packaged_gazetteers_are_valid_and_broad() -> None:
    weapons = load(WEAPONS_PATH, WeaponData)
    organizations = load(ORGANIZATIONS_PATH, OrganizationData)
    countries = load(COUNTRIES_PATH, CountryData)

    assert len(weapons.weapons) >= 500
    assert len(weapons.families) >= 150
    assert {"Kalashnikov", "Rosoboronexport", "Lockheed Martin", "Hyundai Rotem"} <= {
        entry.name for entry in organizations.organizations
    }
    assert countries.demonyms["russian"] == "RU"


def test_no_name_is_listed_twice() -> None:
    weapons = load(WEAPONS_PATH, WeaponData)
    organizations = load(ORGANIZATIONS_PATH, OrganizationData)

    for entries in (weapons.weapons, organizations.organizations):
        # One entry may list a name in two cases ("NATO", "Nato"); two entries may not share one,
        # but for an acronym matched as written ("HAWK", the missile) and a word ("Hawk").
        owners: dict[str, set[str]] = {}
        for entry in entries:
            for form in entry.forms():
                key = form if form.isupper() and form.isalpha() else form.casefold()
                owners.setdefault(key, set()).add(entry.name)
        assert {form: names for form, names in owners.items() if len(names) > 1} == {}


def test_korean_medium_and_long_range_interceptors_are_two_systems() -> None:
    weapons = load(WEAPONS_PATH, WeaponData)
    owners = {form: entry.name for entry in weapons.weapons for form in entry.forms()}

    assert owners["L-SAM"] != owners["M-SAM"]


def test_designation_numbers_are_read_as_text() -> None:
    weapons = load(WEAPONS_PATH, WeaponData)

    leopard = next(family for family in weapons.families if family.prefix == "Leopard")
    assert {"2", "2A7"} <= set(leopard.numbers or ())


def test_a_custom_gazetteer_is_used(tmp_path: Path) -> None:
    path = tmp_path / "weapons.yaml"
    path.write_text(ONE_WEAPON, encoding="utf-8")
    nlp = spacy.blank("en")
    add_entity_rules(nlp, path, ORGANIZATIONS_PATH)

    doc = nlp("The army fired a Thunderbolt Lance and two Zz-9 missiles, not the X-1.")

    assert [(ent.text, canonical_of(ent)) for ent in doc.ents if ent.label_ == "WEAPON"] == [
        ("Thunderbolt Lance", "Thunderbolt Lance"),
        ("Zz-9", "Zz-9"),
    ]


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(GazetteerError, match=r"nowhere\.yaml"):
        load(path, WeaponData)


def test_a_file_that_is_not_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "weapons.yaml"
    path.write_text("weapons: [unclosed", encoding="utf-8")

    with pytest.raises(GazetteerError, match="cannot read"):
        load(path, WeaponData)


def test_an_entry_without_a_name_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "organizations.yaml"
    path.write_text("organizations:\n  - {aliases: [Acme]}\n", encoding="utf-8")

    with pytest.raises(GazetteerError, match="not a valid OrganizationData"):
        load(path, OrganizationData)


def test_an_unknown_field_is_reported_rather_than_ignored(tmp_path: Path) -> None:
    path = tmp_path / "organizations.yaml"
    path.write_text("organizations:\n  - {name: Acme, alias: [ACME]}\n", encoding="utf-8")

    with pytest.raises(GazetteerError, match="alias"):
        load(path, OrganizationData)
