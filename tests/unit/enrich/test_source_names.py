"""Outlets named as a story's source, with the real small English model."""

import pytest
from spacy.language import Language

from tests.unit.enrich.entity_pipeline import entity_pipeline, organisations


@pytest.fixture(scope="module")
def nlp() -> Language:
    return entity_pipeline()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the bracket of a dateline, whatever punctuation the outlet writes around it
        ("Lisbon, June 3 (Lusa).- Portugal sent two frigates north.", ["Lusa"]),
        ("HOUSTON (kxan-TV) - A refinery fire closed the port.", ["kxan-TV"]),
        ("ANKARA, March 2. /Anka/. Turkey tested a new drone.", ["Anka"]),
        ("Lagos, Nigeria (Bernama + NEWSWIRE.NG) – The navy seized a tanker.",
         ["Bernama", "NEWSWIRE.NG"]),
        ("(KALPA, DHAKA) – The coast guard rescued forty fishermen.", ["KALPA"]),
        # a dateline opening a later paragraph, after a line with a bracket of its own
        ("Ships (two) left.\n\nANKARA, March 2. /Anka/. Turkey tested a new drone.", ["Anka"]),
        # credits that close a paragraph
        ("The ministry did not comment. (Baltnews)", ["Baltnews"]),
        ("The talks end on Friday.\n\n(AFP/Kyodo)", ["AFP", "Kyodo"]),
        ("Soldiers patrol the border. Source: Sipa/Zuma\n\nTalks resumed.", ["Sipa", "Zuma"]),
        ("Talks resumed.\n\nPublished in Kathimerini, May 2nd, 2024", ["Kathimerini"]),
        ("Talks resumed.\n\nMaria Ortega, ANSA\n\nThe minister left.", ["ANSA"]),
    ],
)  # fmt: skip
def test_an_outlet_credited_in_a_dateline_or_credit_is_an_organisation(
    nlp: Language, text: str, expected: list[str]
) -> None:
    found = organisations(nlp, text)

    assert all(name in found for name in expected), found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The plan was first reported by news website Scroll9.", "Scroll9"),
        ("Public broadcaster Radio Kaunas said the troops had arrived.", "Radio Kaunas"),
        ("The strike was confirmed, regional outlet Harbor17 said.", "Harbor17"),
        ("The deal covers two corvettes, Vesti reported on Tuesday.", "Vesti"),
        ("The Kyiv Evening Post reported that the drones were shot down.", "Kyiv Evening Post"),
        ("The talks ended, Novosti-Sibir reported.", "Novosti-Sibir"),
        ("Nairobiwire.co.ke understands that the contract was signed.", "Nairobiwire.co.ke"),
    ],
)
def test_an_outlet_named_by_its_role_or_its_domain_is_an_organisation(
    nlp: Language, text: str, expected: str
) -> None:
    assert expected in organisations(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        # a person's bracketed title, a share price, a date
        "Chevron Corporation\n(CVX 1.25%) rose after the results.",
        "The report reached the newspaper Wednesday evening.",
        # a person whose surname is written alone before "reported"
        "Detective Anna Marsh led the case. Marsh reported the theft on Monday.",
    ],
)
def test_look_alikes_of_credits_are_no_outlets(nlp: Language, text: str) -> None:
    found = organisations(nlp, text)

    assert not {"CVX 1.25%", "Wednesday", "Marsh"} & set(found), found
