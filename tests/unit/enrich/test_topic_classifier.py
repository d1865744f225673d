"""The learned topic classifier as it ships (enrich/data/topic_classifier/, `make train`): every
topic gets a probability, and a long article reads as its lead does."""

from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.language import Language

from enrich.components import DEFAULT_CLASSIFIER_DIR
from enrich.errors import EnrichmentError
from enrich.taxonomy import DEFAULT_TOPICS_FILE, load_taxonomy
from enrich.topic_model import LinearTopicModel, terms_of

# The classifier knows exactly the taxonomy's topics.
TOPICS = set(load_taxonomy(DEFAULT_TOPICS_FILE).topics)
SALE = (
    "Poland signs $4.6 billion deal for 32 F-35 fighter jets\n\nPoland signed a $4.6 billion "
    "agreement with the United States on Friday to buy 32 F-35 fighter jets, the defence "
    "minister said. The sale, approved by the State Department, includes engines, training and "
    "logistics support; deliveries of the aircraft begin in 2026."
)


@pytest.fixture(scope="module")
def model() -> LinearTopicModel:
    return LinearTopicModel.load(DEFAULT_CLASSIFIER_DIR)


@pytest.fixture(scope="module")
def tokenizer() -> Language:
    return spacy.blank("en")


def probabilities(model: LinearTopicModel, tokenizer: Language, text: str) -> dict[str, float]:
    return model.probabilities(terms_of(tokenizer.make_doc(text)))


def test_it_gives_every_topic_a_probability(model: LinearTopicModel, tokenizer: Language) -> None:
    found = probabilities(
        model, tokenizer, "Flood relief\n\nVolunteers handed out blankets after the river rose."
    )
    assert set(found) == TOPICS
    assert all(0.0 <= p <= 1.0 for p in found.values())


def test_an_arms_sale_is_an_arms_deal(model: LinearTopicModel, tokenizer: Language) -> None:
    found = probabilities(model, tokenizer, SALE)
    assert found["arms_deal"] > 0.5
    assert max(p for topic, p in found.items() if topic != "arms_deal") < 0.5


def test_a_longer_text_of_the_same_words_reads_about_the_same(
    model: LinearTopicModel, tokenizer: Language
) -> None:
    once = probabilities(model, tokenizer, SALE)
    four_times = probabilities(model, tokenizer, " ".join([SALE] * 4))

    # Counts are sublinear (1 + log), so not exactly the same; but never driven to 0 or 1.
    assert four_times == pytest.approx(once, abs=0.1)


def test_a_long_text_keeps_each_topics_highest_over_its_windows(
    model: LinearTopicModel, tokenizer: Language
) -> None:
    filler = "The weather in the capital stayed mild and the markets were calm. " * 45
    doc = tokenizer.make_doc(filler + SALE)

    highest, windows = model.highest_in_windows(doc, 300)

    assert windows == 3
    # The sale is in the last window: the first reads none of it.
    assert model.probabilities(terms_of(doc[:300]))["arms_deal"] < 0.5 < highest["arms_deal"]
    assert model.highest_in_windows(tokenizer.make_doc(""), 300)[1] == 1


def test_a_saved_model_loads_back_the_same(model: LinearTopicModel, tmp_path: Path) -> None:
    model.save(tmp_path / "copy")
    copy = LinearTopicModel.load(tmp_path / "copy")

    assert copy.labels == model.labels
    assert copy.vocabulary == model.vocabulary
    assert np.allclose(copy.weights, model.weights, atol=1e-6)


def test_an_inconsistent_model_is_refused(model: LinearTopicModel, tmp_path: Path) -> None:
    LinearTopicModel(
        labels=model.labels,
        vocabulary={"one": 0},
        idf=np.ones(1),
        weights=np.ones((len(model.labels), 2)),
        bias=model.bias,
    ).save(tmp_path / "broken")

    with pytest.raises(EnrichmentError, match="make train"):
        LinearTopicModel.load(tmp_path / "broken")
