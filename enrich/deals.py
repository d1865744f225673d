"""Arms transfers stated in a text, after the SIPRI Arms Transfers record (pure).

A deal is read from one sentence where a transfer word (buy, sell, deliver, deal, contract...)
governs a weapon: a WEAPON entity or a military-equipment noun. Its parts are filled only from
what that sentence states, from the dependency parse.
"""

import re
from collections.abc import Iterator
from typing import Literal

from spacy.tokens import Doc, Span, Token

from contracts import ArmsDeal, Money
from enrich.budget import Deadline
from enrich.entities import canonical_of
from enrich.facets import CountryNames, canonical_name, packaged_country_names
from enrich.quotes import MAX_QUOTE_CHARS, quote

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
_TRANSFER_VERBS = _BUY | _SELL
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


class OutOfTime(Exception):  # noqa: N818 - a signal, not an error
    """The deadline passed while deals were read: `deals` holds those read before, up to the
    sentence starting at character `at_char` of the doc."""

    def __init__(self, deals: list[ArmsDeal], at_char: int) -> None:
        super().__init__(f"deal extraction stopped at character {at_char}")
        self.deals = deals
        self.at_char = at_char


def extract_deals(
    doc: Doc,
    countries: CountryNames | None = None,
    deadline: Deadline | None = None,
) -> list[ArmsDeal]:
    """The arms transfers the doc's sentences state, one per weapon and sentence, in order.

    Parties are named after `countries` (default: the packaged names). Costs time linear in the
    doc: the parse is indexed once and each walk up or across it is remembered. Raises OutOfTime
    (with the deals read so far) when `deadline` passes."""
    parse = _Parse(doc, countries or packaged_country_names())
    deals: list[ArmsDeal] = []
    for number, sentence in enumerate(parse.sentences):
        if deadline is not None and deadline.passed():
            raise OutOfTime(deals, sentence.start_char)
        for head, span in parse.weapons(number):
            trigger = parse.trigger(head)
            if trigger is not None:
                deals.append(parse.deal(number, trigger, head, span))
    return deals


class _Parse:
    """One doc's parse indexed once: children, sentences and entities by token. spaCy's own
    `Span.ents`, `Token.children` and `Token.sent` walk the doc or the subtree on every call,
    which made deal reading quadratic in dense or run-on text."""

    def __init__(self, doc: Doc, countries: CountryNames) -> None:
        self.doc = doc
        self.countries = countries
        self.sentences = list(doc.sents)
        self.sentence_of = [0] * len(doc)
        for number, sentence in enumerate(self.sentences):
            self.sentence_of[sentence.start : sentence.end] = [number] * len(sentence)
        self.children: list[list[int]] = [[] for _ in range(len(doc))]
        heads = doc.to_array("HEAD").tolist() if len(doc) else []
        for i, offset in enumerate(heads):
            if offset:
                # HEAD is stored as an unsigned offset: read it back as signed.
                self.children[i + _signed(offset)].append(i)
        self.entities: list[Span | None] = [None] * len(doc)
        self.sentence_entities: list[list[Span]] = [[] for _ in self.sentences]
        for entity in doc.ents:
            self.entities[entity.start : entity.end] = [entity] * len(entity)
            number = self.sentence_of[entity.start]
            if entity.end <= self.sentences[number].end:
                self.sentence_entities[number].append(entity)
        self._triggers: dict[int, Token | None] = {}
        self._stage_masks: dict[int, int] = {}
        self._subjects: dict[int, Token | None] = {}
        self._prep_objects: dict[tuple[int, tuple[str, ...]], Token | None] = {}
        self._actors: dict[int, Span | None] = {}
        self._names: dict[int, str | None] = {}
        self._money: dict[int, Money | None] = {}
        self._counterparts: dict[int, Token | None] = {}
        self._quotes: dict[int, str] = {}
        self._phrase_heads: dict[int, int] = {}

    def kids(self, token: Token) -> Iterator[Token]:
        """The token's children, in order (as `Token.children`)."""
        return (self.doc[i] for i in self.children[token.i])

    def weapons(self, number: int) -> Iterator[tuple[Token, Span | None]]:
        """Each weapon of the sentence: the head token of its phrase and its WEAPON entity if
        any."""
        sentence = self.sentences[number]
        seen: set[int] = set()
        for entity in self.sentence_entities[number]:
            if entity.label_ == "WEAPON":
                head = self.doc[self._phrase_head(entity.root.i)]
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

    def _phrase_head(self, i: int) -> int:
        """ "32 F-35 fighter jets": the head of the phrase is the noun the entity modifies."""
        path = []
        while i not in self._phrase_heads:
            token = self.doc[i]
            if token.dep_ in ("compound", "nmod", "nummod", "amod") and token.head.pos_ in (
                "NOUN",
                "PROPN",
            ):
                path.append(i)
                i = token.head.i
            else:
                self._phrase_heads[i] = i
        for j in path:
            self._phrase_heads[j] = self._phrase_heads[i]
        return self._phrase_heads[i]

    def trigger(self, weapon: Token) -> Token | None:
        """The nearest transfer word above the weapon in the parse."""
        path = []
        current = weapon
        found: Token | None = None
        while True:
            if current.i in self._triggers:
                found = self._triggers[current.i]
                break
            head = current.head
            if head.i == current.i:
                break
            path.append(current.i)
            if _is_trigger(head):
                found = head
                break
            current = head
        for i in path:
            self._triggers[i] = found
        return found

    def deal(self, number: int, trigger: Token, weapon: Token, entity: Span | None) -> ArmsDeal:
        supplier, recipient = self._parties(number, trigger, weapon)
        return ArmsDeal(
            supplier=supplier,
            recipient=recipient,
            # The name the weapons facet gives it, so that a deal and the facet agree.
            weapon=canonical_of(entity) if entity is not None else self._phrase(weapon),
            quantity=self._quantity(weapon, entity),
            value=self.money(number),
            stage=self._stage(trigger),
            sentence=self._quote(number, weapon),
        )

    def _quote(self, number: int, focus: Token) -> str:
        sentence = self.sentences[number]
        if sentence.end_char - sentence.start_char > MAX_QUOTE_CHARS:
            return quote(sentence, focus.i)
        if number not in self._quotes:  # one string for the deals of one sentence
            self._quotes[number] = quote(sentence, focus.i)
        return self._quotes[number]

    def _phrase(self, head: Token) -> str:
        """The weapon's noun phrase without determiners or counts: "F-35 fighter jets"."""
        start = head.i
        lefts = [self.doc[i] for i in self.children[head.i] if i < head.i]
        for child in reversed(lefts):
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

    def _quantity(self, weapon: Token, entity: Span | None) -> int | None:
        for child in self.kids(weapon):
            # The number in a designation ("Leopard 1 tanks") is not a count.
            if entity is not None and entity.start <= child.i < entity.end:
                continue
            if child.dep_ == "nummod" and (child.like_num or child.ent_type_ == "CARDINAL"):
                return _number(child)
        return None

    def money(self, number: int) -> Money | None:
        """The first sum of money the sentence states."""
        if number not in self._money:
            self._money[number] = next(
                (
                    money
                    for entity in self.sentence_entities[number]
                    if entity.label_ == "MONEY" and (money := parse_money(entity.text)) is not None
                ),
                None,
            )
        return self._money[number]

    def _stage(self, trigger: Token) -> Stage | None:
        mask = self._stage_mask(trigger)
        for bit, (stage, _) in enumerate(_STAGES):
            if mask & (1 << bit):
                return stage
        lemma = trigger.lemma_.lower()
        if trigger.tag_ in _PAST and lemma in _CONCLUDED_WHEN_PAST:
            return "signed"
        if trigger.tag_ in _PAST and lemma in _DELIVERED_WHEN_PAST:
            return "delivered"
        return None

    def _stage_mask(self, token: Token) -> int:
        """The stages whose cue words the token or its ancestors carry, as bits (in _STAGES
        order): the words of the chain from the transfer word up to the root."""
        path = []
        current = token
        above = 0
        while True:
            if current.i in self._stage_masks:
                above = self._stage_masks[current.i]
                break
            path.append(current)
            if current.head.i == current.i:
                break
            current = current.head
        for link in reversed(path):
            above |= self._own_stage_mask(link)
            self._stage_masks[link.i] = above
        return above

    def _own_stage_mask(self, token: Token) -> int:
        words = {token.lemma_.lower()}
        words.update(
            child.lemma_.lower()
            for child in self.kids(token)
            if child.dep_ in ("aux", "amod", "advmod", "compound", "prep")
        )
        # "talks on buying", "in talks to purchase": the noun the clause hangs from.
        if token.dep_ in ("acl", "pcomp") and token.head.pos_ == "NOUN":
            words.add(token.head.lemma_.lower())
        return sum(1 << bit for bit, (_, cues) in enumerate(_STAGES) if not words.isdisjoint(cues))

    def _parties(self, number: int, trigger: Token, weapon: Token) -> tuple[str | None, str | None]:
        """(supplier, recipient) from the roles around the transfer word."""
        lemma = trigger.lemma_.lower()
        subject = self._subject(trigger)
        from_party = self._prep_object(trigger, weapon, ("from",))
        to_party = self._prep_object(trigger, weapon, ("to",))
        if lemma in _BUY:
            counterpart = from_party or self._deal_counterpart(number)
            return self._name(counterpart), self._name(subject)
        if lemma in _SELL:
            passive = any(child.dep_ == "nsubjpass" for child in self.kids(trigger))
            if passive:
                agent = self._prep_object(trigger, weapon, ("by",))
                if lemma == "award":  # "X was awarded a contract": X supplies
                    return self._name(subject), None
                return self._name(agent), self._name(to_party)
            recipient = to_party or self._object_party(trigger)
            return self._name(subject), self._name(recipient)
        # A deal noun: "a sale to Taiwan", "a contract with Israel Aerospace Industries".
        if trigger.dep_ == "dobj" and trigger.head.lemma_.lower() in _CONTRACTOR_VERBS:
            return self._name(subject), None
        with_party = self._prep_object(trigger, weapon, ("with",))
        return self._name(from_party or with_party), self._name(to_party or subject)

    def _subject(self, token: Token) -> Token | None:
        """The subject of a verb, or of the verb it depends on ("signed a deal to buy")."""
        path = []
        current: Token | None = token
        found: Token | None = None
        while current is not None:
            if current.i in self._subjects:
                found = self._subjects[current.i]
                break
            path.append(current.i)
            found = next((c for c in self.kids(current) if c.dep_ in ("nsubj", "nsubjpass")), None)
            if found is not None:
                break
            if current.dep_ in ("xcomp", "advcl", "acl", "relcl", "conj", "dobj", "pobj", "prep"):
                current = current.head if current.head.i != current.i else None
            else:
                current = None
        for i in path:
            self._subjects[i] = found
        return found

    def _prep_object(
        self, trigger: Token, weapon: Token, prepositions: tuple[str, ...]
    ) -> Token | None:
        for owner in (trigger, weapon):
            key = (owner.i, prepositions)
            if key not in self._prep_objects:
                self._prep_objects[key] = self._own_prep_object(owner, prepositions)
            if self._prep_objects[key] is not None:
                return self._prep_objects[key]
        return None

    def _own_prep_object(self, owner: Token, prepositions: tuple[str, ...]) -> Token | None:
        for child in self.kids(owner):
            if child.dep_ in ("prep", "dative", "agent") and child.lower_ in prepositions:
                for grandchild in self.kids(child):
                    if grandchild.dep_ == "pobj" and self._actor(grandchild) is not None:
                        return grandchild
        return None

    def _object_party(self, trigger: Token) -> Token | None:
        """ "supplied Russia with drones": an object that is a state or organisation."""
        for child in self.kids(trigger):
            if child.dep_ in ("dobj", "dative") and child.ent_type_ in ("GPE", "ORG", "NORP"):
                return child
        return None

    def _deal_counterpart(self, number: int) -> Token | None:
        """ "signed a deal with the United States to buy": the party of the deal noun nearby."""
        if number in self._counterparts:
            return self._counterparts[number]
        found: Token | None = None
        for token in self.sentences[number]:
            if token.lemma_.lower() in _DEAL_NOUNS and token.pos_ == "NOUN":
                for child in self.kids(token):
                    if child.dep_ == "prep" and child.lower_ == "with":
                        for party in self.kids(child):
                            if party.dep_ == "pobj" and self._actor(party) is not None:
                                found = party
                                break
                    if found is not None:
                        break
            if found is not None:
                break
        self._counterparts[number] = found
        return found

    def _actor(self, token: Token) -> Span | None:
        """The words naming a party: the token's entity; else its possessor's ("Poland's
        defence ministry": Poland); else the phrase a nationality qualifies ("the Portuguese
        air force")."""
        if token.i not in self._actors:
            self._actors[token.i] = self._find_actor(token)
        return self._actors[token.i]

    def _find_actor(self, token: Token) -> Span | None:
        if token.ent_type_ in _ACTOR_LABELS and self.entities[token.i] is not None:
            return self.entities[token.i]
        for child in self.kids(token):
            if child.dep_ == "poss" and child.ent_type_ in _STATE_LABELS:
                return self._actor(child)
        for child in self.kids(token):
            if child.i > token.i:
                break
            if child.dep_ in ("amod", "compound") and child.ent_type_ in _STATE_LABELS:
                return token.doc[child.i : token.i + 1]
        return None

    def _name(self, token: Token | None) -> str | None:
        if token is None:
            return None
        if token.i not in self._names:
            entity = self._actor(token)
            self._names[token.i] = None if entity is None else self._party_name(entity)
        return self._names[token.i]

    def _party_name(self, entity: Span) -> str:
        name = canonical_name(entity.text)
        if entity.label_ == "GPE":
            # A capital that buys or sells is its government: "Warsaw" is Poland.
            capital_of = self.countries.code_of_capital(name)
            if capital_of is not None:
                return self.countries.name(capital_of)
        code = self.countries.code(name)
        # Abbreviations ("U.S.", "UK") read better as the country's name; others as written.
        if code is not None and (name.isupper() or "." in name):
            return self.countries.name(code)
        return name


def _signed(offset: int) -> int:
    return offset - (1 << 64) if offset >= 1 << 63 else offset


def _is_trigger(token: Token) -> bool:
    lemma = token.lemma_.lower()
    if token.pos_ in ("VERB", "AUX") and lemma in _TRANSFER_VERBS:
        return True
    return token.pos_ in ("NOUN", "PROPN") and lemma in _DEAL_NOUNS


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


def _number(token: Token) -> int | None:
    text = token.lower_.replace(",", "")
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


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
