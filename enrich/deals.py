"""Arms transfers stated in a text, after the SIPRI Arms Transfers record (pure).

A deal is read from one sentence where a transfer word (buy, sell, deliver, deal, contract...)
governs a weapon: a WEAPON entity or a military-equipment noun. Its parts are filled only from
what that sentence states, from the dependency parse.
"""

import re
from collections.abc import Iterable, Iterator
from typing import Literal

import pycountry
from spacy.tokens import Doc, Span, Token

from contracts.models import ArmsDeal, Money
from enrich.entities import canonical_of
from enrich.facets import canonical_name, country_code, packaged_country_names

# The taxonomy topic whose articles have their deals read.
DEAL_TOPIC = "arms_deal"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The buyer is the subject of these verbs; the seller comes after "from".
_BUY = _words("buy purchase acquire order procure import receive lease obtain take")
# The seller is the subject of these verbs; the buyer comes after "to" (or is their object).
_SELL = _words("sell supply export deliver transfer ship offer award")
_DEAL_NOUNS = _words(
    "deal contract sale purchase order delivery export acquisition procurement agreement "
    "transfer shipment"
)
_WEAPONS = _words(
    "weapon weaponry armament fighter warplane bomber missile howitzer artillery ammunition "
    "munition rifle frigate corvette destroyer submarine warship torpedo interceptor warhead "
    "icbm mortar gunship"
)
# Equipment words with civilian senses too: a deal only with a military word beside them.
_PLATFORMS = _words(
    "jet aircraft plane helicopter tank drone vessel ship boat vehicle system radar gun launcher"
)
_MILITARY = _words(
    "military defence defense combat armoured armored stealth attack fighter missile naval army "
    "navy artillery self-propelled air-defence anti-aircraft warship weapon arms ammunition "
    "soldier troop pentagon"
)

Stage = Literal["proposed", "approved", "signed", "delivered"]
# Stages, strongest first: the nearest stage word above the transfer word is not always the
# right one ("approved a possible sale" is approved).
_STAGES: tuple[tuple[Stage, frozenset[str]], ...] = (
    ("delivered", _words("deliver receive delivery arrive hand ship")),
    ("signed", _words("sign ink seal conclude award finalise finalize clinch agree win contract")),
    ("approved", _words("approve clear authorise authorize greenlight green-light endorse ratify")),
    (
        "proposed",
        _words(
            "plan consider propose seek request negotiate talk offer want intend possible "
            "potential could may might would bid explore eye tender negotiation discuss"
        ),
    ),
)
# A past-tense purchase or order is a concluded deal; a past-tense supply, a delivery.
_PAST = _words("VBD VBN")
_CONCLUDED_WHEN_PAST = _words("buy purchase acquire order procure")
_DELIVERED_WHEN_PAST = _words("supply transfer export")

_ACTOR_LABELS = _words("GPE ORG NORP PERSON")
_STATE_LABELS = _words("GPE ORG NORP")
# Whoever is awarded or wins a contract supplies what it covers.
_CONTRACTOR_VERBS = _words("award win secure land bag get clinch")
# Adjectives that say nothing about which weapon it is ("a sixth", "new", "more").
_VAGUE_ADJECTIVES = _words(
    "new more additional further first latest last modern advanced possible used other several "
    "many few initial final next remaining"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "dozen": 12, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
}  # fmt: skip
_MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
# Longest first, so that "US$" is not read as "$".
_CURRENCY_SIGNS = (
    ("us$", "USD"), ("a$", "AUD"), ("c$", "CAD"), ("s$", "SGD"), ("r$", "BRL"), ("hk$", "HKD"),
    ("nz$", "NZD"), ("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("¥", "JPY"), ("₹", "INR"),
    ("₩", "KRW"), ("₽", "RUB"), ("₪", "ILS"),
)  # fmt: skip
_CURRENCY_WORDS = {
    "dollar": "USD", "euro": "EUR", "pound": "GBP", "sterling": "GBP", "yen": "JPY",
    "yuan": "CNY", "renminbi": "CNY", "rupee": "INR", "won": "KRW", "rouble": "RUB",
    "ruble": "RUB", "shekel": "ILS", "riyal": "SAR", "dirham": "AED", "lira": "TRY",
    "zloty": "PLN", "krona": "SEK", "krone": "NOK", "franc": "CHF", "real": "BRL",
    "usd": "USD", "eur": "EUR", "gbp": "GBP", "aud": "AUD", "cad": "CAD", "inr": "INR",
}  # fmt: skip
_AMOUNT = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|trillion|mln|mn|bn|tn|k|m|b)?\b",
    re.IGNORECASE,
)


def extract_deals(doc: Doc) -> list[ArmsDeal]:
    """The arms transfers the doc's sentences state, one per weapon and sentence, in order."""
    deals: list[ArmsDeal] = []
    for sentence in doc.sents:
        weapons = list(_weapons(sentence))
        if not weapons:
            continue
        for head, span in weapons:
            trigger = _trigger(head)
            if trigger is not None:
                deals.append(_deal(sentence, trigger, head, span))
    return deals


def _weapons(sentence: Span) -> Iterator[tuple[Token, Span | None]]:
    """Each weapon of the sentence: the head token of its phrase and its WEAPON entity if any."""
    seen: set[int] = set()
    for entity in sentence.ents:
        if entity.label_ == "WEAPON":
            head = entity.root
            # "32 F-35 fighter jets": the phrase's head is the noun the entity modifies.
            while head.dep_ in ("compound", "nmod", "nummod", "amod") and head.head.pos_ in (
                "NOUN",
                "PROPN",
            ):
                head = head.head
            if head.i not in seen:
                seen.add(head.i)
                yield head, entity
    military_sentence = any(token.lemma_.lower() in _MILITARY for token in sentence)
    for token in sentence:
        if token.i in seen or token.pos_ not in ("NOUN", "PROPN"):
            continue
        if token.dep_ in ("compound", "amod", "nmod"):
            continue  # a modifier ("missile maker", "tank order"), not the thing transferred
        lemma = token.lemma_.lower()
        if lemma in _WEAPONS or (lemma in _PLATFORMS and military_sentence):
            seen.add(token.i)
            yield token, None


def _trigger(weapon: Token) -> Token | None:
    """The nearest transfer word above the weapon in the parse."""
    for ancestor in weapon.ancestors:
        lemma = ancestor.lemma_.lower()
        if ancestor.pos_ in ("VERB", "AUX") and lemma in _BUY | _SELL:
            return ancestor
        if ancestor.pos_ in ("NOUN", "PROPN") and lemma in _DEAL_NOUNS:
            return ancestor
    return None


def _deal(sentence: Span, trigger: Token, weapon: Token, entity: Span | None) -> ArmsDeal:
    supplier, recipient = _parties(trigger, weapon)
    return ArmsDeal(
        supplier=supplier,
        recipient=recipient,
        # The name the weapons facet gives it, so that a deal and the facet agree.
        weapon=canonical_of(entity) if entity is not None else _phrase(weapon),
        quantity=_quantity(weapon, entity),
        value=_money(sentence),
        stage=_stage(trigger),
        sentence=" ".join(sentence.text.split()),
    )


def _phrase(head: Token) -> str:
    """The weapon's noun phrase without determiners or counts: "F-35 fighter jets"."""
    start = head.i
    for child in reversed(list(head.lefts)):
        if child.i != start - 1 and not (child.i < start and _only_punct_between(child, start)):
            break
        if (child.dep_ in ("compound", "amod", "nmod") and not _vague(child)) or (
            child.dep_ == "nummod" and not child.like_num and child.ent_type_ != "CARDINAL"
        ):
            start = child.left_edge.i if child.left_edge.i < child.i else child.i
        else:
            break
    doc = head.doc
    while start < head.i and _vague(doc[start]):
        start += 1
    return canonical_name(doc[start : head.i + 1].text)


def _vague(token: Token) -> bool:
    return (
        token.ent_type_ == "ORDINAL"
        # A count, but not a calibre written as one word with its unit ("155mm").
        or ((token.like_num or token.ent_type_ == "CARDINAL") and bool(token.whitespace_))
        or token.pos_ in ("DET", "PUNCT")
        or token.lemma_.lower() in _VAGUE_ADJECTIVES
    )


def _only_punct_between(child: Token, start: int) -> bool:
    return all(token.is_punct for token in child.doc[child.i + 1 : start])


def _quantity(weapon: Token, entity: Span | None) -> int | None:
    for child in weapon.children:
        # The number in a designation ("Leopard 1 tanks") is not a count.
        if entity is not None and entity.start <= child.i < entity.end:
            continue
        if child.dep_ == "nummod" and (child.like_num or child.ent_type_ == "CARDINAL"):
            return _number(child)
    return None


def _number(token: Token) -> int | None:
    text = token.lower_.replace(",", "")
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


def _money(sentence: Span) -> Money | None:
    for entity in sentence.ents:
        if entity.label_ == "MONEY":
            money = parse_money(entity.text)
            if money is not None:
                return money
    return None


def parse_money(text: str) -> Money | None:
    """An amount with its ISO 4217 currency from a money mention ("$4.6 billion", "390 million
    euros", "€1.2bn"); None when the amount or the currency is not stated."""
    lowered = text.lower()
    match = _AMOUNT.search(lowered)
    if match is None:
        return None
    amount = float(match.group(1).replace(",", ""))
    if match.group(2):
        amount *= _MULTIPLIERS[match.group(2).lower()]
    currency = next((code for sign, code in _CURRENCY_SIGNS if sign in lowered), None)
    if currency is None:
        words = re.findall(r"[a-z]+", lowered)
        currency = next(
            (_CURRENCY_WORDS[w.rstrip("s")] for w in words if w.rstrip("s") in _CURRENCY_WORDS),
            None,
        )
    return None if currency is None else Money(amount=amount, currency=currency)


def _stage(trigger: Token) -> Stage | None:
    chain = [trigger, *trigger.ancestors]
    words: set[str] = set()
    for token in chain:
        words.add(token.lemma_.lower())
        words.update(
            child.lemma_.lower()
            for child in token.children
            if child.dep_ in ("aux", "amod", "advmod", "compound", "prep")
        )
        # "talks on buying", "in talks to purchase": the noun the clause hangs from.
        if token.dep_ in ("acl", "pcomp") and token.head.pos_ == "NOUN":
            words.add(token.head.lemma_.lower())
    for stage, cues in _STAGES:
        if not words.isdisjoint(cues):
            return stage
    lemma = trigger.lemma_.lower()
    if trigger.tag_ in _PAST and lemma in _CONCLUDED_WHEN_PAST:
        return "signed"
    if trigger.tag_ in _PAST and lemma in _DELIVERED_WHEN_PAST:
        return "delivered"
    return None


def _parties(trigger: Token, weapon: Token) -> tuple[str | None, str | None]:
    """(supplier, recipient) from the roles around the transfer word."""
    lemma = trigger.lemma_.lower()
    subject = _subject(trigger)
    from_party = _prep_object(trigger, weapon, ("from",))
    to_party = _prep_object(trigger, weapon, ("to",))
    if lemma in _BUY:
        counterpart = from_party or _deal_counterpart(trigger)
        return _name(counterpart), _name(subject)
    if lemma in _SELL:
        passive = any(child.dep_ == "nsubjpass" for child in trigger.children)
        if passive:
            agent = _prep_object(trigger, weapon, ("by",))
            if lemma == "award":  # "X was awarded a contract": X supplies
                return _name(subject), None
            return _name(agent), _name(to_party)
        recipient = to_party or _object_party(trigger)
        return _name(subject), _name(recipient)
    # A deal noun: "a sale to Taiwan", "a contract with Israel Aerospace Industries".
    if trigger.dep_ == "dobj" and trigger.head.lemma_.lower() in _CONTRACTOR_VERBS:
        return _name(subject), None
    with_party = _prep_object(trigger, weapon, ("with",))
    return _name(from_party or with_party), _name(to_party or subject)


def _subject(token: Token) -> Token | None:
    """The subject of a verb, or of the verb it depends on ("signed a deal to buy")."""
    current: Token | None = token
    while current is not None:
        for child in current.children:
            if child.dep_ in ("nsubj", "nsubjpass"):
                return child
        if current.dep_ in ("xcomp", "advcl", "acl", "relcl", "conj", "dobj", "pobj", "prep"):
            current = current.head if current.head is not current else None
        else:
            current = None
    return None


def _prep_object(trigger: Token, weapon: Token, prepositions: Iterable[str]) -> Token | None:
    wanted = set(prepositions)
    for owner in (trigger, weapon):
        for child in owner.children:
            if child.dep_ in ("prep", "dative", "agent") and child.lower_ in wanted:
                for grandchild in child.children:
                    if grandchild.dep_ == "pobj" and _actor(grandchild) is not None:
                        return grandchild
    return None


def _object_party(trigger: Token) -> Token | None:
    """ "supplied Russia with drones": an object that is a state or organisation."""
    for child in trigger.children:
        if child.dep_ in ("dobj", "dative") and child.ent_type_ in ("GPE", "ORG", "NORP"):
            return child
    return None


def _deal_counterpart(trigger: Token) -> Token | None:
    """ "signed a deal with the United States to buy": the party of the deal noun nearby."""
    for token in trigger.sent:
        if token.lemma_.lower() in _DEAL_NOUNS and token.pos_ == "NOUN":
            for child in token.children:
                if child.dep_ == "prep" and child.lower_ == "with":
                    for party in child.children:
                        if party.dep_ == "pobj" and _actor(party) is not None:
                            return party
    return None


def _actor(token: Token) -> Span | None:
    """The words naming a party: the token's entity; else its possessor's ("Poland's defence
    ministry": Poland); else the phrase a nationality qualifies ("the Portuguese air force")."""
    if token.ent_type_ in _ACTOR_LABELS:
        for entity in token.doc.ents:
            if entity.start <= token.i < entity.end:
                return entity
    for child in token.children:
        if child.dep_ == "poss" and child.ent_type_ in _STATE_LABELS:
            return _actor(child)
    for child in token.lefts:
        if child.dep_ in ("amod", "compound") and child.ent_type_ in _STATE_LABELS:
            return token.doc[child.i : token.i + 1]
    return None


def _name(token: Token | None) -> str | None:
    entity = _actor(token) if token is not None else None
    if entity is None:
        return None
    name = canonical_name(entity.text)
    countries = packaged_country_names()
    if entity.label_ == "GPE":
        # A capital that buys or sells is its government: "Warsaw" is Poland.
        capital_of = countries.code_of_capital(name)
        if capital_of is not None:
            return countries.name(capital_of)
    code = country_code(name)
    # Abbreviations ("U.S.", "UK") read better as the country's name; others stay as written.
    if code is not None and (name.isupper() or "." in name):
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            return str(getattr(country, "common_name", None) or country.name)
    return name
