"""The learned topic classifier as it ships: a spaCy pipeline folder in enrich's package data
(`make train`) that gives each of the seven topics a probability."""

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

MODEL_DIR = Path(__file__).resolve().parents[3] / "enrich" / "data" / "topic_classifier"
TOPICS = {
    "arms_deal",
    "military_exercise",
    "defense_cooperation",
    "military_aid",
    "sanctions",
    "troop_deployment",
    "weapons_test",
}


@pytest.fixture(scope="module")
def classifier() -> Language:
    return spacy.load(MODEL_DIR)


def test_the_model_holds_the_classifier_alone(classifier: Language) -> None:
    assert classifier.pipe_names == ["textcat_multilabel"]
    assert set(classifier.get_pipe("textcat_multilabel").labels) == TOPICS  # type: ignore[attr-defined]


def test_it_gives_every_topic_a_probability(classifier: Language) -> None:
    doc = classifier(
        "Flood relief\n\nVolunteers handed out blankets after the river burst its banks."
    )
    assert set(doc.cats) == TOPICS
    assert all(0.0 <= p <= 1.0 for p in doc.cats.values())


def test_an_arms_sale_is_an_arms_deal(classifier: Language) -> None:
    doc = classifier(
        "Poland signs $4.6 billion deal for 32 F-35 fighter jets\n\nPoland signed a $4.6 "
        "billion agreement with the United States on Friday to buy 32 F-35 fighter jets, the "
        "defence minister said. The sale, approved by the State Department, includes engines, "
        "training and logistics support; deliveries of the aircraft begin in 2026."
    )
    assert doc.cats["arms_deal"] > 0.5
