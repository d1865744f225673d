"""The classifier's training data: the text the pipeline analyses, and folds that cover the
corpus once with every topic spread over them; how the decision's thresholds are ranked."""

import json
from collections import Counter
from pathlib import Path

import pytest

from enrich import Decision, EnrichSettings
from enrich.evaluation import Example
from enrich.facets import CountryNames
from enrich.pipeline import load_pipeline
from tools.training import CorpusError, LabelledText, folds, read_labelled
from tools.training.decision import Scored, rank
from tools.training.recogniser import reference_doc

LABELS = ["arms_deal", "sanctions"]


def _write(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_the_text_is_what_the_pipeline_analyses(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "set.jsonl",
        {"id": "a", "title": "Deal signed", "text": "Poland buys jets.", "topics": ["arms_deal"]},
        {"id": "b", "title": None, "text": "Sanctions on Iran.", "topics": ["sanctions"]},
    )
    titled, untitled = read_labelled([path], LABELS)
    assert titled.text == "Deal signed\n\nPoland buys jets."
    assert untitled.text == "\n\nSanctions on Iran."
    assert untitled.topics == {"sanctions"}


def test_a_topic_the_config_does_not_list_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "set.jsonl", {"id": "a", "text": "x.", "topics": ["coup"]})
    with pytest.raises(CorpusError, match="coup"):
        read_labelled([path], LABELS)


def test_folds_cover_every_example_once_and_share_each_topic() -> None:
    examples = [
        LabelledText(str(i), "t", frozenset(["arms_deal"] if i % 3 else ["sanctions"]), False)
        for i in range(60)
    ]
    dealt = folds(examples, 5, seed=1)
    assert sorted(i for fold in dealt for i in fold) == list(range(60))
    for fold in dealt:
        per_topic = Counter(topic for i in fold for topic in examples[i].topics)
        assert per_topic == {"arms_deal": 8, "sanctions": 4}
    assert folds(examples, 5, seed=1) == dealt


def _scored(with_cue: float, alone: float, macro_f1: float, false_on_negatives: int) -> Scored:
    return Scored(Decision(with_cue, alone), macro_f1, false_on_negatives, {}, {})


def test_at_about_equal_macro_f1_fewer_false_topics_on_hard_negatives_win() -> None:
    best_f1 = _scored(0.40, 0.65, 0.935, 5)
    fewer_false = _scored(0.45, 0.75, 0.931, 3)
    as_few_false_asking_less = _scored(0.40, 0.75, 0.933, 3)
    none_false_but_worse = _scored(0.65, 0.85, 0.896, 0)

    ranked = rank([none_false_but_worse, best_f1, as_few_false_asking_less, fewer_false])

    assert ranked == [fewer_false, as_few_false_asking_less, best_f1, none_false_but_worse]


def test_the_recogniser_learns_the_labelled_names_and_keeps_the_rest() -> None:
    nlp = load_pipeline(EnrichSettings().model)
    text = "Joe Biden and Ben Wallace met Rheinmetall in Kiel on Monday about K2 tanks."
    example = Example.model_validate(
        {
            "id": "a",
            "text": text,
            "topics": [],
            "persons": ["Ben Wallace"],
            "organisations": ["Rheinmetall"],
            "places": ["Kiel"],
            "weapons": ["K2"],
        }
    )
    stock = nlp(text)
    assert {(ent.text, ent.label_) for ent in stock.ents} >= {("Joe Biden", "PERSON")}

    reference = reference_doc(stock, example, CountryNames.load())

    taught = {(ent.text, ent.label_) for ent in reference.ents}
    assert {("Ben Wallace", "PERSON"), ("Rheinmetall", "ORG"), ("Monday", "DATE")} <= taught
    assert ("Kiel", "GPE") in taught or ("Kiel", "LOC") in taught
    # A person the labels do not name, and a weapon: neither taught as an entity nor as none.
    for word in ("Joe", "Biden", "K2"):
        (token,) = (token for token in reference if token.text == word)
        assert token.ent_iob_ == ""
    assert all(token.ent_iob_ == "O" for token in reference if token.text in {"met", "tanks"})
