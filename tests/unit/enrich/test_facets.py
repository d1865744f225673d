"""From entity mentions to the facets analysts filter on."""

import pytest

from contracts.models import Entity
from enrich.facets import (
    LOCATION_LABELS,
    PERSON_LABELS,
    canonical_name,
    countries,
    country_code,
    facet,
    merge_person_mentions,
    unique,
)


def entity(text: str, label: str) -> Entity:
    return Entity(text=text, label=label, field="body", start=0, end=len(text))


@pytest.mark.parametrize(
    ("mention", "name"),
    [
        ("Maduro's", "Maduro"),
        ("Maduro’s", "Maduro"),
        ("Reuters'", "Reuters"),
        ("the Kremlin", "Kremlin"),
        ("The Kremlin's", "Kremlin"),
        ("The  United\n States", "United States"),
        ("  Caracas ", "Caracas"),
        ("Theodore Roosevelt", "Theodore Roosevelt"),
        ("Nicolas Maduro", "Nicolas Maduro"),
    ],
)
def test_canonical_name(mention: str, name: str) -> None:
    assert canonical_name(mention) == name


def test_unique_is_case_insensitive_and_keeps_first_seen_order() -> None:
    assert unique(["Caracas", "Moscow", "CARACAS", "caracas", "Havana", "moscow"]) == [
        "Caracas",
        "Moscow",
        "Havana",
    ]


def test_unique_drops_empty_names() -> None:
    assert unique(["", "Caracas", ""]) == ["Caracas"]


def test_a_surname_joins_the_full_name() -> None:
    assert merge_person_mentions(["Juan Guaido", "Guaido", "Nicolas Maduro", "maduro"]) == [
        "Juan Guaido",
        "Nicolas Maduro",
    ]


def test_a_surname_before_the_full_name_still_joins_it() -> None:
    assert merge_person_mentions(["Guaido", "Juan Guaido"]) == ["Juan Guaido"]


def test_an_ambiguous_surname_is_left_alone() -> None:
    names = ["Raul Castro", "Fidel Castro", "Castro"]

    assert merge_person_mentions(names) == names


def test_a_surname_without_a_full_name_stays() -> None:
    assert merge_person_mentions(["Guaido", "Nicolas Maduro"]) == ["Guaido", "Nicolas Maduro"]


def test_a_first_name_does_not_join_a_full_name() -> None:
    assert merge_person_mentions(["Juan Guaido", "Juan"]) == ["Juan Guaido", "Juan"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Venezuela", "VE"),
        ("venezuela", "VE"),
        ("China", "CN"),
        ("United States", "US"),
        ("Iran", "IR"),
        ("Bolivia", "BO"),
        # Named in almost every sentence of the seed article, as spaCy finds it (a GPE).
        ("Russia", "RU"),
    ],
)
def test_country_code(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize("name", ["Caracas", "Moscow", "North and South America", ""])
def test_places_that_are_not_countries_have_no_code(name: str) -> None:
    assert country_code(name) is None


def test_facet_keeps_the_labels_asked_for_in_canonical_form() -> None:
    entities = [
        entity("Nicolas Maduro", "PERSON"),
        entity("Caracas", "GPE"),
        entity("Maduro's", "PERSON"),
        entity("the Orinoco", "LOC"),
        entity("Nicolas Maduro’s", "PERSON"),
        entity("Russian", "NORP"),
    ]

    assert facet(entities, PERSON_LABELS) == ["Nicolas Maduro", "Maduro"]
    assert facet(entities, LOCATION_LABELS) == ["Caracas", "Orinoco"]


def test_countries_are_iso_codes_of_gpe_mentions_each_once() -> None:
    entities = [
        entity("Venezuela", "GPE"),
        entity("Caracas", "GPE"),
        entity("the United States", "GPE"),
        entity("Venezuela's", "GPE"),
        entity("China", "ORG"),
    ]

    assert countries(entities) == ["VE", "US"]
