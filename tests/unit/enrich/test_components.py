"""wirewatch's spaCy components: how rule cues and the classifier decide a topic together, and
that the enrichment is one pipeline a user can inspect and save."""

import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer

from contracts import Article, TopicEvidence, TopicMatch
from enrich.components import (
    DEAL_EXTRACTOR,
    HEADLINE_CLEANUP,
    TOPIC_CLASSIFIER,
    TOPIC_TAGGER,
    Decision,
    TopicTaggerComponent,
    component_configs,
)
from enrich.errors import EnrichmentError
from enrich.gazetteer import COUNTRIES_PATH
from enrich.pipeline import (
    RECOGNISER_DIR,
    RECOGNISER_META,
    Enricher,
    load_pipeline,
    use_recogniser,
)
from enrich.settings import EnrichSettings
from enrich.taxonomy import DEFAULT_TOPICS_FILE, TopicTagger

DECISION = Decision(with_cue=0.5, alone=0.8)


@pytest.mark.parametrize(
    ("probability", "cues", "rules_tag", "windows", "source"),
    [
        (0.9, 1, True, 1, "rules and classifier"),
        (0.6, 1, False, 1, "rules and classifier"),  # a cue the classifier finds likely enough
        (0.3, 3, True, 1, None),  # the classifier overrules cues that read the words in passing
        (0.85, 0, False, 1, "classifier"),  # a wording no cue names
        (0.7, 0, False, 1, None),
        (0.1, 2, True, 3, "rules"),  # a long article: two distinct cues agree
        (0.1, 1, True, 3, None),  # one cue alone, as on a short one
        (0.1, 2, False, 3, None),  # under the taxonomy's threshold
    ],
)
def test_rules_and_classifier_decide_together(
    probability: float, cues: int, rules_tag: bool, windows: int, source: str | None
) -> None:
    assert DECISION.source(probability, cues, rules_tag, windows) == source


def test_a_decision_where_a_cue_would_ask_more_of_the_classifier_is_refused() -> None:
    with pytest.raises(ValueError, match="with_cue <= alone"):
        Decision(with_cue=0.8, alone=0.5)


def test_a_decision_where_the_only_topic_would_ask_more_than_any_is_refused() -> None:
    with pytest.raises(ValueError, match="sole <= alone"):
        Decision(with_cue=0.5, alone=0.7, sole=0.8)


def test_the_classifiers_top_topic_is_tagged_where_nothing_else_is() -> None:
    tagger = TopicTagger.from_file(DEFAULT_TOPICS_FILE, spacy.blank("en").vocab)
    component = TopicTaggerComponent(tagger, Decision(0.5, 0.8, sole=0.6), 1_000)
    cats = {"troop_deployment": 0.64, "military_exercise": 0.62, "arms_deal": 0.1}

    decided = [m for m in component.decide([], cats) if m.decided_by is not None]

    assert [(m.topic, m.decided_by) for m in decided] == [("troop_deployment", "classifier")]
    # not where a topic was tagged, off the domain or under `sole`
    tagged = [cue_match("arms_deal", 0.95)]
    assert {
        m.topic for m in component.decide(tagged, {**cats, "arms_deal": 0.9}) if m.decided_by
    } == {"arms_deal"}
    assert not [m for m in component.decide([], cats, on_the_domain=False) if m.decided_by]
    assert not [m for m in component.decide([], {"sanctions": 0.55}) if m.decided_by]


@pytest.fixture(scope="module")
def component() -> TopicTaggerComponent:
    return TopicTaggerComponent(
        TopicTagger.from_file(DEFAULT_TOPICS_FILE, spacy.blank("en").vocab), DECISION, 1_000
    )


def cue_match(topic: str, confidence: float) -> TopicMatch:
    evidence = TopicEvidence(cue="cue", sentence="A sentence.", matched=["sentence"])
    return TopicMatch(topic=topic, confidence=confidence, evidence=[evidence])


def test_each_topic_says_what_decided_it(component: TopicTaggerComponent) -> None:
    matches = [cue_match("arms_deal", 0.95), cue_match("sanctions", 0.95)]
    cats = {"arms_deal": 0.9, "sanctions": 0.05, "weapons_test": 0.95, "military_aid": 0.3}

    decided = {m.topic: m for m in component.decide(matches, cats)}

    assert decided["arms_deal"].decided_by == "rules and classifier"
    assert decided["arms_deal"].evidence  # the rules' evidence is kept
    assert decided["sanctions"].decided_by is None  # kept as evidence, not tagged
    assert decided["weapons_test"].decided_by == "classifier"
    assert decided["weapons_test"].evidence == []
    assert "military_aid" not in decided  # neither cue nor classifier: not listed
    assert decided["sanctions"].probability == 0.05


def test_on_a_long_article_one_cue_does_not_tag_against_the_classifier_and_two_do(
    component: TopicTaggerComponent,
) -> None:
    one_cue = cue_match("arms_deal", 0.95)
    other = TopicEvidence(cue="other cue", sentence="Another sentence.", matched=["sentence"])
    two_cues = one_cue.model_copy(update={"evidence": [*one_cue.evidence, other]})
    cats = {"arms_deal": 0.1}

    def decided_by(match: TopicMatch, windows: int) -> str | None:
        (decided,) = component.decide([match], cats, windows)
        return decided.decided_by

    assert decided_by(one_cue, windows=3) is None
    assert decided_by(two_cues, windows=3) == "rules"
    assert decided_by(two_cues, windows=1) is None


def test_a_long_article_is_read_in_windows_and_keeps_each_topics_highest() -> None:
    nlp = Enricher(EnrichSettings()).nlp
    lead = "Poland signed a deal to buy 96 Apache helicopters from the United States. " * 3
    filler = "The weather in the capital stayed mild and the markets were calm. " * 40
    late = "North Korea test-fired a new intercontinental ballistic missile on Friday. " * 3

    doc = nlp(lead + filler + late)

    assert doc._.classifier_windows > 1
    tagged = {m.topic for m in doc._.topics if m.decided_by}
    assert {"arms_deal", "weapons_test"} <= tagged


def test_without_a_classifier_the_rules_decide_alone(component: TopicTaggerComponent) -> None:
    decided = component.decide([cue_match("arms_deal", 0.95), cue_match("sanctions", 0.1)], {})

    assert [(m.topic, m.decided_by) for m in decided] == [
        ("arms_deal", "rules"),
        ("sanctions", None),
    ]


def test_topics_the_taxonomy_does_not_have_are_ignored(component: TopicTaggerComponent) -> None:
    assert component.decide([], {"piracy": 0.99}) == []


def test_the_classifier_alone_tags_no_topic_in_a_text_without_a_word_of_the_domain(
    component: TopicTaggerComponent,
) -> None:
    cats = {"defense_cooperation": 0.95}

    assert component.decide([], cats, on_the_domain=False) == []
    assert [m.topic for m in component.decide([], cats)] == ["defense_cooperation"]
    # A cue for the topic is a word of it: the rules and the classifier still decide together.
    decided = component.decide([cue_match("arms_deal", 0.95)], {"arms_deal": 0.9}, 1, False)
    assert [(m.topic, m.decided_by) for m in decided] == [("arms_deal", "rules and classifier")]


def test_a_text_is_on_the_domain_where_it_holds_a_word_of_war_defence_or_sanctions() -> None:
    nlp = Enricher(EnrichSettings()).nlp
    tagger = nlp.get_pipe(TOPIC_TAGGER)
    assert isinstance(tagger, TopicTaggerComponent)
    civil = "The two space agencies signed a memorandum to deepen cooperation on lunar exploration."

    assert not tagger.on_the_domain(nlp(civil))
    assert tagger.on_the_domain(nlp(civil + " Their defence ministers attended."))
    assert tagger.on_the_domain(nlp("The ministers agreed to send more tanks."))


def test_the_enrichment_is_one_pipeline_of_named_components(tmp_path: Path) -> None:
    nlp = Enricher(EnrichSettings()).nlp
    names = nlp.pipe_names

    assert names[-4:] == [HEADLINE_CLEANUP, TOPIC_CLASSIFIER, TOPIC_TAGGER, DEAL_EXTRACTOR]
    assert nlp.config["components"][TOPIC_TAGGER]["topics_path"] == str(DEFAULT_TOPICS_FILE)
    nlp.to_disk(tmp_path / "pipeline")
    reloaded = spacy.load(tmp_path / "pipeline")
    assert reloaded.pipe_names == names
    doc = reloaded("Poland signed a deal to buy 96 Apache helicopters from the United States.")
    assert "arms_deal" in [m.topic for m in doc._.topics if m.decided_by]
    assert doc._.deals


def test_data_paths_come_from_the_settings(tmp_path: Path) -> None:
    settings = EnrichSettings(
        topics_file=tmp_path / "topics.yaml",
        countries_file=tmp_path / "countries.yaml",
        topic_classifier_dir=tmp_path / "classifier",
        article_budget_ms=150,
    )

    configs = component_configs(settings)

    assert configs[TOPIC_TAGGER]["topics_path"] == str(tmp_path / "topics.yaml")
    assert configs[DEAL_EXTRACTOR]["countries_path"] == str(tmp_path / "countries.yaml")
    assert configs[TOPIC_CLASSIFIER]["path"] == str(tmp_path / "classifier")
    assert configs[DEAL_EXTRACTOR]["budget_ms"] == 150


def test_a_missing_classifier_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(EnrichmentError, match="WIREWATCH_ENRICH__TOPIC_CLASSIFIER_DIR"):
        Enricher(EnrichSettings(topic_classifier_dir=tmp_path / "nothing-here"))


def test_the_deal_extractor_names_parties_after_the_countries_file(tmp_path: Path) -> None:
    countries = tmp_path / "countries.yaml"
    countries.write_text(
        COUNTRIES_PATH.read_text(encoding="utf-8").replace(
            "US: United States\n", "US: United States of America\n  PL: Republic of Poland\n"
        ),
        encoding="utf-8",
    )
    enricher = Enricher(EnrichSettings(countries_file=countries))
    article = Article.model_validate(
        {
            "id": "deal-1",
            "title": "",
            "body": "Warsaw signed a $12 billion deal to buy 96 AH-64 Apache helicopters from "
            "the U.S., the defence ministry said on Tuesday.",
            "source": "test",
            "published_at": "2026-01-01T00:00:00Z",
        }
    )

    (enriched,) = enricher.enrich_all([article])

    assert [(d.supplier, d.recipient) for d in enriched.deals] == [
        ("United States of America", "Republic of Poland")
    ]


def _recogniser_bytes(nlp: Language) -> bytes:
    recogniser = nlp.get_pipe("ner")
    assert isinstance(recogniser, EntityRecognizer)
    return bytes(recogniser.model.to_bytes())


def test_the_shipped_recogniser_replaces_the_model_s_own() -> None:
    stock = load_pipeline(EnrichSettings().model)
    shipped = load_pipeline(EnrichSettings().model)
    use_recogniser(shipped, None)
    assert _recogniser_bytes(shipped) != _recogniser_bytes(stock)
    assert shipped.meta["wirewatch_recogniser"] == str(RECOGNISER_DIR)
    trained_from = json.loads((RECOGNISER_DIR / RECOGNISER_META).read_text(encoding="utf-8"))
    assert trained_from["model"] == {key: stock.meta[key] for key in ("lang", "name", "version")}


def test_another_model_keeps_its_own_recogniser_unless_one_is_asked_for(tmp_path: Path) -> None:
    other = load_pipeline(EnrichSettings().model)
    other.meta["name"] = "core_web_other"
    before = _recogniser_bytes(other)
    use_recogniser(other, None)
    assert _recogniser_bytes(other) == before
    assert other.meta["wirewatch_recogniser"] == "the model's own"
    with pytest.raises(EnrichmentError, match="fine-tuned from the model"):
        use_recogniser(other, RECOGNISER_DIR)


def test_a_missing_recogniser_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(EnrichmentError, match="WIREWATCH_ENRICH__RECOGNISER_DIR"):
        Enricher(EnrichSettings(recogniser_dir=tmp_path / "nothing-here"))


def test_a_recogniser_folder_without_its_weights_is_an_error_naming_the_setting(
    tmp_path: Path,
) -> None:
    (tmp_path / RECOGNISER_META).write_text(
        (RECOGNISER_DIR / RECOGNISER_META).read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(EnrichmentError, match="WIREWATCH_ENRICH__RECOGNISER_DIR"):
        use_recogniser(load_pipeline(EnrichSettings().model), tmp_path)
