"""The real small English model with wirewatch's entity rules, and what tests read of it."""

from spacy.language import Language

from enrich import EnrichSettings
from enrich.entities import add_entity_rules, canonical_of
from enrich.gazetteer import ORGANIZATIONS_PATH, WEAPONS_PATH
from enrich.pipeline import load_pipeline, use_recogniser


def entity_pipeline() -> Language:
    """A new pipeline of the default model with its shipped recogniser and the entity rules."""
    pipeline = load_pipeline(EnrichSettings().model)
    use_recogniser(pipeline, None)
    add_entity_rules(pipeline, WEAPONS_PATH, ORGANIZATIONS_PATH)
    return pipeline


def weapons(nlp: Language, text: str) -> list[str]:
    return [canonical_of(ent) for ent in nlp(text).ents if ent.label_ == "WEAPON"]


def organisations(nlp: Language, text: str) -> list[str]:
    return [canonical_of(ent) for ent in nlp(text).ents if ent.label_ == "ORG"]


def labelled(nlp: Language, text: str) -> dict[str, str]:
    return {ent.text: ent.label_ for ent in nlp(text).ents}
