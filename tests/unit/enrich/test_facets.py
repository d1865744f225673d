"""From entity mentions to the facets analysts filter on."""

import pytest

from enrich.facets import (
    CountryNames,
    Facets,
    Mention,
    canonical_name,
    country_code,
    facets_of,
    merge_person_mentions,
    unique,
    without_bare_families,
)


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
        ("U.S.", "US"),
        ("US", "US"),
        ("the United States", "US"),
        ("Türkiye", "TR"),
        ("Russian Federation", "RU"),
        # typographic apostrophes, as news sets them
        ("Côte d’Ivoire", "CI"),
        ("Democratic People’s Republic of Korea", "KP"),
        # a space where the name has a hyphen, and the other way round
        ("Guinea Bissau", "GW"),
        ("Timor Leste", "TL"),
        ("North-Macedonia", "MK"),
    ],
)
def test_country_code(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize("name", ["Caracas", "Moscow", "North and South America", ""])
def test_places_that_are_not_countries_have_no_code(name: str) -> None:
    assert country_code(name) is None


@pytest.fixture(scope="module")
def names() -> CountryNames:
    return CountryNames.load()


def test_facets_hold_canonical_names_each_once(names: CountryNames) -> None:
    found = facets_of(
        [
            Mention("Nicolas Maduro", "PERSON"),
            Mention("Caracas", "GPE"),
            Mention("Maduro's", "PERSON"),
            Mention("the Orinoco", "LOC"),
            Mention("Nicolas Maduro’s", "PERSON"),
            Mention("Kalashnikov Concern", "ORG", canonical="Kalashnikov"),
            Mention("Kalashnikov", "ORG", canonical="Kalashnikov"),
            Mention("MiG-29s", "WEAPON", canonical="MiG-29"),
            Mention("MiG-29", "WEAPON", canonical="MiG-29"),
        ],
        names,
    )

    assert found.persons == ("Nicolas Maduro",)
    assert found.organizations == ("Kalashnikov",)
    assert found.locations == ("Caracas", "Orinoco")
    assert found.weapons == ("MiG-29",)


def test_every_spelling_of_the_united_states_is_one_location_and_one_code(
    names: CountryNames,
) -> None:
    mentions = [Mention(text, "GPE") for text in ["U.S.", "US", "the United States", "USA"]]

    found = facets_of(mentions, names)

    assert found.locations == ("United States",)
    assert found.countries == ("US",)


def test_countries_come_from_places_and_peoples(names: CountryNames) -> None:
    found = facets_of(
        [
            Mention("Venezuela", "GPE"),
            Mention("Russian", "NORP"),
            Mention("Venezuelan", "NORP"),
            Mention("Chinese", "NORP"),
            Mention("European", "NORP"),
            Mention("Caracas", "GPE"),
            Mention("China", "ORG"),
        ],
        names,
    )

    assert found.countries == ("VE", "RU", "CN")
    assert "Russian" not in found.locations


def test_a_states_body_named_by_the_state_names_the_state_too(names: CountryNames) -> None:
    found = facets_of(
        [
            Mention("Armed Forces of Paraguay", "ORG"),
            Mention("Defense Ministry of the Russian Federation", "ORG"),
            Mention("Bank of America", "ORG"),
        ],
        names,
    )

    assert found.locations == ("Paraguay", "Russia")
    assert found.countries == ("PY", "RU")


def test_a_country_is_indexed_under_the_name_news_uses(names: CountryNames) -> None:
    found = facets_of([Mention("Russian Federation", "GPE"), Mention("Russia", "GPE")], names)

    assert found.locations == ("Russia",)
    assert found.countries == ("RU",)


@pytest.mark.parametrize(
    ("demonym", "code"),
    [("Russian", "RU"), ("Venezuelan", "VE"), ("Americans", "US"), ("South Korean", "KR")],
)
def test_demonyms_name_their_country(names: CountryNames, demonym: str, code: str) -> None:
    assert names.code_of_people(demonym) == code


@pytest.mark.parametrize(("code", "name"), [("KR", "South Korea"), ("FR", "France")])
def test_country_names(names: CountryNames, code: str, name: str) -> None:
    assert names.name(code) == name


def test_no_mentions_no_facets(names: CountryNames) -> None:
    assert facets_of([], names) == Facets()


def test_a_bare_family_goes_where_the_article_names_it_by_number() -> None:
    assert without_bare_families(["Arrow", "Arrow 3", "Hyunmoo-2", "Hyunmoo"]) == [
        "Arrow 3",
        "Hyunmoo-2",
    ]


def test_a_bare_family_alone_stays() -> None:
    assert without_bare_families(["Arrow", "F-35"]) == ["Arrow", "F-35"]


def test_a_surname_joins_a_full_name_with_a_generations_mark() -> None:
    assert merge_person_mentions(["Carlos Ibarra Jr.", "Ibarra"]) == ["Carlos Ibarra Jr."]


@pytest.mark.parametrize("code", ["CD", "KR", "RU", "US"])
def test_the_name_a_country_is_indexed_under_is_one_of_its_names(
    names: CountryNames, code: str
) -> None:
    assert names.code(names.name(code)) == code


def test_the_congo_written_without_its_article_is_the_democratic_republic(
    names: CountryNames,
) -> None:
    assert names.code("Democratic Republic of Congo") == "CD"
