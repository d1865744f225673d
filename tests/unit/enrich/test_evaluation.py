"""Evaluation metrics on small cases, and the floors the real pipeline holds on the dev set."""

from collections.abc import Set
from pathlib import Path

import pytest

from enrich import (
    Enricher,
    EnrichSettings,
    Prediction,
    evaluate,
    format_report,
    parse_examples,
    snippet_article,
)
from enrich.evaluation import (
    EvaluationSetError,
    Example,
    Report,
    Scores,
    entity_key,
    weapon_key,
)

DEV_SET = Path(__file__).resolve().parents[2] / "fixtures" / "enrichment-dev.jsonl"

# The floors reached on the development set (its first 239 snippets tuned on, then a batch of 90
# snippets and one of 16 real-length articles, ids d3-, each written blind to the rules and
# merged after its unseen scores were taken): a change that lowers them is a regression. The
# pipeline is deterministic; the margin is one snippet's worth.
MACRO_F1_FLOOR = 0.99
TOPIC_F1_FLOOR = 0.98
WEAPON_FLOOR = 0.98


def example(
    id_: str, topics: Set[str], weapons: Set[str] = frozenset(), *, negative: bool = False
) -> Example:
    return Example(
        id=id_,
        text="Some text.",
        topics=frozenset(topics),
        weapons=frozenset(weapons),
        negative=negative,
    )


def predicted(topics: Set[str], weapons: Set[str] = frozenset()) -> Prediction:
    return Prediction(frozenset(topics), frozenset(weapons))


def test_scores_follow_from_counts() -> None:
    scores = Scores(true_positives=3, false_positives=1, false_negatives=2)

    assert scores.precision == 0.75
    assert scores.recall == 0.6
    assert scores.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert scores.support == 5


def test_scores_are_zero_where_undefined() -> None:
    assert Scores(0, 0, 0).precision == Scores(0, 0, 0).recall == Scores(0, 0, 0).f1 == 0


def test_evaluate_counts_per_topic_and_macro_averages_labelled_topics() -> None:
    examples = [
        example("a", {"arms_deal"}),
        example("b", {"arms_deal", "sanctions"}),
        example("c", set(), negative=True),
    ]
    predictions = [predicted({"arms_deal"}), predicted({"sanctions"}), predicted({"weapons_test"})]

    report = evaluate(examples, predictions)

    assert report.topics["arms_deal"] == Scores(1, 0, 1)
    assert report.topics["sanctions"] == Scores(1, 0, 0)
    assert report.topics["weapons_test"] == Scores(0, 1, 0)
    # weapons_test was never labelled: it costs precision but is not averaged.
    assert report.macro_f1 == pytest.approx((2 / 3 + 1) / 2)
    assert report.false_topics_on_negatives == {"c": frozenset({"weapons_test"})}
    assert [miss.id for miss in report.misses] == ["b", "c"]


def test_weapons_compare_by_canonical_name_per_snippet() -> None:
    examples = [example("a", set(), {"F-35", "Leopard 2"}), example("b", set(), {"HIMARS"})]
    predictions = [predicted(set(), {"f35", "Leopard 2", "Typhoon"}), predicted(set())]

    report = evaluate(examples, predictions)

    assert report.weapons == Scores(true_positives=2, false_positives=1, false_negatives=1)
    assert weapon_key("Su-30 MKI") == weapon_key("su30mki")


def test_the_report_prints_every_figure() -> None:
    report = evaluate([example("a", {"arms_deal"}, negative=False)], [predicted(set())])

    text = format_report(report)

    for heading in ("arms_deal", "macro-F1", "WEAPON", "false topics on hard negatives: 0 of 0"):
        assert heading in text
    assert "a: expected [arms_deal] found []" in text


def test_a_bad_line_is_reported_with_its_number() -> None:
    with pytest.raises(EvaluationSetError, match="line 2"):
        parse_examples(['{"id": "a", "text": "x"}', '{"id": "b"}'])
    with pytest.raises(EvaluationSetError, match="repeats ids: a"):
        parse_examples(['{"id": "a", "text": "x"}', '{"id": "a", "text": "y"}'])


def test_entities_are_scored_per_kind_where_labelled_and_countries_by_any_name() -> None:
    labelled = Example.model_validate(
        {"id": "a", "text": "T.", "persons": ["Vladimir Putin", "Nicolas Maduro"],
         "organisations": ["the Quad", "TASS"], "places": ["Russian Federation", "Caracas"],
         "outlet": "Example Wire", "url": "https://example.com/a", "labeller": "one"}
    )  # fmt: skip
    unlabelled = example("b", set())
    found = Prediction(
        frozenset(), frozenset(), frozenset({"Vladimir Putin", "Tullow Oil"}),
        frozenset({"Quad", "TASS"}), frozenset({"Russia", "Malabar"}),
    )  # fmt: skip
    codes = {"russia": "RU", "russianfederation": "RU"}

    report = evaluate(
        [labelled, unlabelled],
        [found, Prediction(frozenset(), frozenset(), frozenset({"Someone Else"}))],
        place_key=lambda name: codes.get(entity_key(name), entity_key(name)),
    )

    assert report.entities["persons"] == Scores(1, 1, 1)
    assert report.entities["organisations"] == Scores(2, 0, 0)
    assert report.entities["places"] == Scores(1, 1, 1)
    text = format_report(report)
    assert "PERSONS" in text
    assert "PLACES" in text


def test_topic_confusion_pairs_what_was_missed_with_what_was_found_instead() -> None:
    report = evaluate(
        [example("a", {"military_aid"}), example("b", {"arms_deal"}), example("c", set())],
        [predicted({"arms_deal"}), predicted(set()), predicted({"sanctions"})],
    )
    assert report.confusion == {
        ("arms_deal", "-"): 1,
        ("-", "sanctions"): 1,
        ("military_aid", "arms_deal"): 1,
    }
    assert "military_aid -> arms_deal: 1" in format_report(report)


def test_a_labelled_title_is_the_headline_and_null_means_none() -> None:
    titled = Example.model_validate({"id": "a", "text": "Body one. Body two.", "title": "Head"})
    untitled = Example.model_validate({"id": "b", "text": "Body one. Body two.", "title": None})
    assert (snippet_article(titled).title, snippet_article(titled).body) == (
        "Head",
        "Body one. Body two.",
    )
    assert snippet_article(untitled).body == "Body one. Body two."
    assert snippet_article(untitled).title == ""  # as a feed without titles gives it


def test_a_misspelt_label_key_is_refused() -> None:
    with pytest.raises(EvaluationSetError, match="line 1"):
        parse_examples(['{"id": "a", "text": "T.", "topic": ["arms_deal"]}'])


def test_a_snippet_becomes_a_headline_and_body() -> None:
    article = snippet_article(example("a", set()).model_copy(update={"text": "Head. Body two."}))

    assert (article.title, article.body) == ("Head.", "Body two.")


def test_the_development_set_is_large_and_varied_enough() -> None:
    examples = parse_examples(DEV_SET.read_text(encoding="utf-8").splitlines())

    assert len(examples) >= 80
    assert sum(example.negative for example in examples) >= 20
    assert all(example.negative == (not example.topics) for example in examples)
    topics = {topic for example in examples for topic in example.topics}
    for topic in topics:
        assert sum(topic in example.topics for example in examples) >= 8, topic


@pytest.fixture(scope="module")
def dev_report() -> Report:
    examples = parse_examples(DEV_SET.read_text(encoding="utf-8").splitlines())
    enriched = Enricher(EnrichSettings()).enrich_all([snippet_article(e) for e in examples])
    return evaluate(examples, [Prediction.of(article) for article in enriched])


def test_the_pipeline_holds_its_floors_on_the_development_set(dev_report: Report) -> None:
    assert dev_report.macro_f1 >= MACRO_F1_FLOOR, format_report(dev_report)
    for topic, scores in dev_report.topics.items():
        assert scores.f1 >= TOPIC_F1_FLOOR, format_report(dev_report)
        assert scores.support, f"{topic} found but never labelled"


def test_weapons_are_found_by_their_canonical_names(dev_report: Report) -> None:
    assert dev_report.weapons.precision >= WEAPON_FLOOR, format_report(dev_report)
    assert dev_report.weapons.recall >= WEAPON_FLOOR, format_report(dev_report)


def test_no_hard_negative_gets_a_topic(dev_report: Report) -> None:
    assert dev_report.false_topics_on_negatives == {}, format_report(dev_report)


@pytest.mark.parametrize(
    ("labelled", "found"),
    [
        ("the Quad", "Quad"),
        ("Russia's defence ministry", "defence ministry"),
        ("Indonesia’s Ministry of Defence", "Ministry of Defence"),
        ("Asia-Pacific", "the Asia-Pacific region"),
    ],
)
def test_entity_names_compare_without_article_owner_or_region(labelled: str, found: str) -> None:
    assert entity_key(labelled) == entity_key(found)


def test_a_name_with_a_possessive_inside_keeps_it() -> None:
    assert entity_key("Brigham and Women's Hospital") != entity_key("Hospital")


@pytest.mark.parametrize(
    ("labelled", "found"),
    [("Minuteman III", "Minuteman 3"), ("Shaheen-I", "Shaheen-1"), ("Virginia-class", "Virginia")],
)
def test_weapon_names_compare_with_roman_numbers_and_without_class(
    labelled: str, found: str
) -> None:
    assert weapon_key(labelled) == weapon_key(found)


def test_a_letter_of_a_name_is_no_roman_number() -> None:
    assert weapon_key("Iskander-M") != weapon_key("Iskander-1000")
    assert weapon_key("Type 052D") != weapon_key("Type 052")
