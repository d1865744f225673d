"""Arms deals read from sentences with the real spaCy pipeline."""

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Span

from contracts import ArmsDeal, Money
from enrich import EnrichSettings
from enrich.deals import extract_deals, parse_money
from enrich.entities import canonical_of
from tests.unit.enrich.entity_pipeline import entity_pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(EnrichSettings().model)


def only_deal(nlp: Language, text: str) -> ArmsDeal:
    (deal,) = extract_deals(nlp(text))
    return deal


def test_a_signed_purchase_has_every_part(nlp: Language) -> None:
    text = (
        "Poland signed a $4.6 billion agreement with the United States on Friday to buy "
        "32 F-35 fighter jets, the defence minister said."
    )

    deal = only_deal(nlp, text)

    assert deal.recipient == "Poland"
    assert deal.supplier == "United States"
    assert deal.weapon is not None
    assert "F-35" in deal.weapon
    assert deal.quantity == 32
    assert deal.value == Money(amount=4.6e9, currency="USD")
    assert deal.stage == "signed"
    assert deal.sentence == text


def test_an_approved_sale_names_the_recipient_after_to(nlp: Language) -> None:
    deal = only_deal(
        nlp, "The State Department approved a possible sale to Taiwan of 66 F-16 fighters."
    )

    assert deal.recipient == "Taiwan"
    assert deal.quantity == 66
    assert deal.stage == "approved"


def test_a_seller_is_the_subject_of_a_delivery(nlp: Language) -> None:
    deal = only_deal(nlp, "Russia has delivered a new batch of Su-30 fighter jets to Algeria.")

    assert deal.supplier == "Russia"
    assert deal.recipient == "Algeria"
    assert deal.stage == "delivered"


def test_talks_are_a_proposed_deal(nlp: Language) -> None:
    deal = only_deal(nlp, "Saudi Arabia is in talks with Russia to purchase 20 attack helicopters.")

    assert deal.recipient == "Saudi Arabia"
    assert deal.stage == "proposed"


def test_a_designation_number_is_not_a_quantity(nlp: Language) -> None:
    doc = nlp("Kyiv has received the first Leopard 1 tanks, a ministry spokesman said.")
    # The WEAPON entity comes from the entity rules in the full pipeline; mark it here.
    doc.set_ents([Span(doc, 5, 7, label="WEAPON")], default="unmodified")

    (deal,) = extract_deals(doc)

    assert deal.weapon == "Leopard 1"
    assert deal.quantity is None
    assert deal.stage == "delivered"


def test_what_the_text_does_not_state_stays_empty(nlp: Language) -> None:
    deal = only_deal(nlp, "Egypt will buy frigates.")

    assert deal.recipient == "Egypt"
    assert (deal.supplier, deal.quantity, deal.value) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "Turkish Airlines ordered 220 Airbus jets in a record plane order.",
        "The refinery bought two new storage tanks.",
        "Shareholders approved the sale of the missile maker's headquarters building.",
        "The army fired artillery at the bridge.",
    ],
)
def test_no_deal_without_a_transfer_of_military_equipment(nlp: Language, text: str) -> None:
    assert extract_deals(nlp(text)) == []


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("$4.6 billion", Money(amount=4.6e9, currency="USD")),
        ("about 3 billion euros", Money(amount=3e9, currency="EUR")),
        ("€1.2bn", Money(amount=1.2e9, currency="EUR")),
        ("US$375 million", Money(amount=3.75e8, currency="USD")),
        ("A$2,500 million", Money(amount=2.5e9, currency="AUD")),
        ("£500m", Money(amount=5e8, currency="GBP")),
        ("10 trillion won", Money(amount=1e13, currency="KRW")),
    ],
)
def test_money_mentions_become_amount_and_currency(text: str, money: Money) -> None:
    assert parse_money(text) == money


@pytest.mark.parametrize("text", ["billions of dollars", "3 billion", "a lot"])
def test_money_without_amount_or_currency_is_none(text: str) -> None:
    assert parse_money(text) is None


@pytest.fixture(scope="module")
def nlp_with_rules() -> Language:
    return entity_pipeline()


def test_a_deal_names_its_weapon_as_the_weapons_facet_does(nlp_with_rules: Language) -> None:
    doc = nlp_with_rules("Norway will buy four P-8A Poseidon aircraft from the United States.")

    (deal,) = extract_deals(doc)
    (entity,) = [ent for ent in doc.ents if ent.label_ == "WEAPON"]

    assert deal.weapon == canonical_of(entity)


def test_capitals_acting_as_parties_are_their_countries(nlp_with_rules: Language) -> None:
    doc = nlp_with_rules("Warsaw signed a deal to buy 96 Apache helicopters from Washington.")

    (deal,) = extract_deals(doc)

    assert (deal.supplier, deal.recipient) == ("United States", "Poland")
