"""wirewatch's spaCy components: the headline clean-up, the topic classifier, the topic tagger
and the deal extractor, registered with `@Language.factory` so that the whole enrichment is one
spaCy pipeline a user can list (`nlp.pipe_names`), inspect (`nlp.config`), extend and save.

Each reads and writes the doc only, through its extension attributes:

- `Doc._.title_end` (set before the pipeline runs): where the title ends in the text; 0 for none.
- `Doc._.classifier_windows`: how many windows of the doc the topic classifier read.
- `Doc._.topics`: every topic with evidence, as `TopicMatch`; those with `decided_by` are tagged.
- `Doc._.deals`: the arms transfers stated, as `ArmsDeal` (read only where arms_deal is tagged).
- `Doc._.warnings`: what a component left out and why (a budget ran out).

The data paths and thresholds of all of them are in one place, `component_configs`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from contracts import ArmsDeal, TopicMatch, TopicSource
from enrich.budget import Deadline
from enrich.deals import DEAL_TOPIC, OutOfTime, extract_deals
from enrich.entities import cut_headline_verbs, drop_headline_artefacts
from enrich.facets import CountryNames
from enrich.gazetteer import COUNTRIES_PATH, DATA_DIR
from enrich.settings import EnrichSettings
from enrich.taxonomy import DEFAULT_TOPICS_FILE, TopicsOutOfTime, TopicTagger
from enrich.topic_model import LinearTopicModel

HEADLINE_CLEANUP = "wirewatch_headline_cleanup"
# Headline words whose "is it a country?" answer is kept.
HEADLINE_COUNTRY_CACHE_SIZE = 1024
TOPIC_CLASSIFIER = "wirewatch_topic_classifier"
TOPIC_TAGGER = "wirewatch_topic_tagger"
DEAL_EXTRACTOR = "wirewatch_deals"

DEFAULT_CLASSIFIER_DIR = DATA_DIR / "topic_classifier"

for _name in ("title_end", "classifier_windows", "topics", "deals", "warnings"):
    if not Doc.has_extension(_name):
        # None, not a list: a mutable default would be one list shared by every doc.
        Doc.set_extension(_name, default=None)


def warnings_of(doc: Doc) -> list[str]:
    """The doc's warnings list, created on first use."""
    if doc._.warnings is None:
        doc._.warnings = []
    found: list[str] = doc._.warnings
    return found


def topics_of(doc: Doc) -> list[TopicMatch]:
    """Every topic with evidence in the doc, most confident first (none before the tagger)."""
    return list(doc._.topics or [])


def tagged_topics(matches: Iterable[TopicMatch]) -> list[str]:
    """The topics the article is tagged with."""
    return [match.topic for match in matches if match.decided_by is not None]


def deals_of(doc: Doc) -> list[ArmsDeal]:
    """The arms transfers read from the doc (none before the deal extractor)."""
    return list(doc._.deals or [])


class HeadlineCleanup:
    """Drops entities of a title-case headline that the body writes as common words, and ends
    those that run on into the headline's verb ("IMF Approves")."""

    def __init__(
        self,
        tag: Callable[[str], Doc] | None = None,
        is_country: Callable[[str], bool] = lambda _: False,
    ) -> None:
        self.tag = tag
        self.is_country = is_country

    def __call__(self, doc: Doc) -> Doc:
        if doc._.title_end:
            drop_headline_artefacts(doc, doc._.title_end)
            if self.tag is not None:
                cut_headline_verbs(doc, doc._.title_end, self.tag, self.is_country)
        return doc


class TopicClassifier:
    """The learned topic classifier (enrich.topic_model): writes each topic's probability to
    `doc.cats`, and to `Doc._.classifier_windows` how many windows it read.

    It was trained on excerpts (a title, a lead and a few paragraphs), so it reads a doc in
    consecutive windows of `window_tokens` tokens, about an excerpt's length, and keeps each
    topic's highest probability: a topic a long story reports in a later paragraph counts as
    the rule cues count it."""

    def __init__(self, model: LinearTopicModel, window_tokens: int) -> None:
        self.model = model
        self.window_tokens = window_tokens

    @property
    def labels(self) -> tuple[str, ...]:
        """The topics the classifier knows."""
        return self.model.labels

    def __call__(self, doc: Doc) -> Doc:
        highest, windows = self.model.highest_in_windows(doc, self.window_tokens)
        doc.cats.update(highest)
        doc._.classifier_windows = windows
        return doc


@dataclass(frozen=True)
class Decision:
    """How the rule cues and the classifier decide a topic together.

    The rule cues name wordings precisely and give the evidence sentences; the classifier has
    seen how whole stories read, so it catches wordings no cue names and tells a topic's words
    used in passing from a story about it. A topic is tagged when:
    - a cue for it matched and the classifier gives it at least `with_cue`;
    - or the classifier alone gives it at least `alone`, in a text that holds a word of the
      taxonomy's domain lexicon (war, defence, sanctions: a pact of two space agencies is
      written in the words of a defence pact, but none of war);
    - or, on an article the classifier read in several windows (it keeps each topic's highest),
      the cues reach the taxonomy's threshold with `long_article_cues` distinct cues or more;
    - or, where none of the above tagged any topic, it is the classifier's most likely topic at
      `sole` or more, in a text on the domain: a story in a defence feed is most often about
      something, and in fresh news the classifier's top topic at 0.55-0.71 with no cue was the
      commonest miss ("United Kingdom deploys Richmond frigate to the Red Sea").
    Otherwise the cues do not tag a topic against the classifier, however confident: out of
    fold, the topics the cues tagged without it were the least precise (33 right of 51; on
    excerpts longer than one window 2 of 10, and 2 of 5 where two distinct cues agree,
    benchmarks/results/topic-decision-20261206.txt). A long article's windows are not the
    excerpts the classifier learned from, and two independent wordings of the event stand for
    it (the seed article's reported contracts and cooperation talks). The cues' threshold alone
    decides a topic the classifier does not know. The tagger's defaults are chosen on
    out-of-fold probabilities of the labelled real-news corpus (`python -m tools.training
    decision`)."""

    with_cue: float
    alone: float
    long_article_cues: int = 2
    sole: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.with_cue <= self.alone:
            raise ValueError(
                f"the topic decision needs 0 <= with_cue <= alone, not with_cue {self.with_cue} "
                f"and alone {self.alone}: a cue should lower what the classifier must give"
            )
        if self.sole is not None and not 0 <= self.sole <= self.alone:
            raise ValueError(
                f"the topic decision needs 0 <= sole <= alone, not sole {self.sole} and alone "
                f"{self.alone}: the only topic should need no more than any topic alone"
            )
        if self.long_article_cues < 1:
            raise ValueError(
                f"the topic decision needs long_article_cues >= 1, not {self.long_article_cues}"
            )

    def source(
        self, probability: float, cues: int = 0, rules_tag: bool = False, windows: int = 1
    ) -> TopicSource | None:
        """What tags the topic, or None when it is not tagged: `probability` is the
        classifier's, `cues` how many distinct cues for the topic matched, `rules_tag` whether
        they reach the taxonomy's threshold, `windows` how many windows the classifier read."""
        if cues and probability >= self.with_cue:
            return "rules and classifier"
        if probability >= self.alone:
            return "classifier"
        if rules_tag and windows > 1 and cues >= self.long_article_cues:
            return "rules"
        return None


class TopicTaggerComponent:
    """Tags the doc with topics from the rule cues of a taxonomy and, where the pipeline has a
    classifier before it, the classifier's probabilities in `doc.cats`."""

    def __init__(self, tagger: TopicTagger, decision: Decision, budget_ms: int) -> None:
        self.tagger = tagger
        self.decision = decision
        self.budget_ms = budget_ms
        self.domain_words = tagger.taxonomy.domain_words

    def __call__(self, doc: Doc) -> Doc:
        try:
            matches = self.tagger.tag(
                doc, title_end=doc._.title_end or 0, deadline=Deadline(self.budget_ms)
            )
        except TopicsOutOfTime:
            warnings_of(doc).append(
                f"topics: the rule cues were not read, the article's budget of "
                f"{self.budget_ms:,} ms ran out (WIREWATCH_ENRICH__ARTICLE_BUDGET_MS); its topics "
                "are the classifier's alone"
            )
            matches = []
        doc._.topics = self.decide(
            matches, doc.cats, doc._.classifier_windows or 1, self.on_the_domain(doc)
        )
        return doc

    def on_the_domain(self, doc: Doc) -> bool:
        """Whether the doc holds a word of the taxonomy's domain lexicon (any, without one)."""
        words = self.domain_words
        return not words or any(t.lower_ in words or t.lemma_.lower() in words for t in doc)

    def decide(
        self,
        matches: list[TopicMatch],
        cats: dict[str, float],
        windows: int = 1,
        on_the_domain: bool = True,
    ) -> list[TopicMatch]:
        """The rule `matches` with the classifier's probabilities (`cats`; empty without a
        classifier, which read the doc in `windows`) and what decided each (see Decision), plus
        the topics the classifier alone tags, where the text holds a word of the domain
        (`on_the_domain`). A topic the classifier does not know is decided by the cues'
        threshold."""
        threshold = self.tagger.taxonomy.threshold_of
        decided = []
        for match in matches:
            probability = cats.get(match.topic)
            rules_tag = match.confidence >= threshold(match.topic)
            source: TopicSource | None
            if probability is None:
                source = "rules" if rules_tag else None
            else:
                cues = len({evidence.cue for evidence in match.evidence})
                source = self.decision.source(probability, cues, rules_tag, windows)
            decided.append(
                match.model_copy(update={"probability": probability, "decided_by": source})
            )
        with_cues = {match.topic for match in matches}
        known = {t: p for t, p in cats.items() if t in self.tagger.taxonomy.topics}
        for topic, probability in sorted(known.items()) if on_the_domain else []:
            if topic not in with_cues and self.decision.source(probability) is not None:
                decided.append(_by_the_classifier(topic, probability))
        sole = self.decision.sole
        nothing_tagged = not any(match.decided_by is not None for match in decided)
        if sole is not None and on_the_domain and known and nothing_tagged:
            top, probability = max(known.items(), key=lambda item: item[1])
            if probability >= sole:
                decided = [m for m in decided if m.topic != top]
                decided.append(_by_the_classifier(top, probability))
        return sorted(
            decided,
            key=lambda m: (m.decided_by is None, -max(m.confidence, m.probability or 0), m.topic),
        )


def _by_the_classifier(topic: str, probability: float) -> TopicMatch:
    return TopicMatch(topic=topic, confidence=0.0, probability=probability, decided_by="classifier")


class DealExtractor:
    """Reads the arms transfers of docs tagged arms_deal into `Doc._.deals`."""

    def __init__(self, countries: CountryNames, budget_ms: int) -> None:
        self.countries = countries
        self.budget_ms = budget_ms

    def __call__(self, doc: Doc) -> Doc:
        doc._.deals = []
        if DEAL_TOPIC not in tagged_topics(topics_of(doc)):
            return doc
        try:
            doc._.deals = extract_deals(doc, self.countries, Deadline(self.budget_ms))
        except OutOfTime as stopped:
            doc._.deals = stopped.deals
            warnings_of(doc).append(
                f"deals: those stated after character {stopped.at_char:,} of the analysed text "
                f"were not read, the article's budget of {self.budget_ms:,} ms ran out "
                "(WIREWATCH_ENRICH__ARTICLE_BUDGET_MS)"
            )
        return doc


@Language.factory(HEADLINE_CLEANUP)
def make_headline_cleanup(nlp: Language, name: str) -> HeadlineCleanup:
    """The headline clean-up: after the entity recogniser; it tags lower-cased headlines with
    the pipeline's own tagger, where it has one."""
    if "tagger" not in nlp.pipe_names:
        return HeadlineCleanup()
    steps = [nlp.get_pipe(step) for step in ("tok2vec", "tagger") if step in nlp.pipe_names]

    def tag(text: str) -> Doc:
        doc = nlp.make_doc(text)
        for step in steps:
            doc = step(doc)
        return doc

    names = CountryNames.load(COUNTRIES_PATH)

    @lru_cache(maxsize=HEADLINE_COUNTRY_CACHE_SIZE)
    def is_country(text: str) -> bool:
        return names.code(text) is not None

    return HeadlineCleanup(tag, is_country)


@Language.factory(
    TOPIC_CLASSIFIER, default_config={"path": str(DEFAULT_CLASSIFIER_DIR), "window_tokens": 300}
)
def make_topic_classifier(
    nlp: Language, name: str, path: str, window_tokens: int
) -> TopicClassifier:
    """The topic classifier saved in the folder `path` (as `make train` writes it), reading docs
    in windows of `window_tokens` tokens."""
    return TopicClassifier(LinearTopicModel.load(Path(path)), window_tokens)


@Language.factory(
    TOPIC_TAGGER,
    default_config={
        "topics_path": str(DEFAULT_TOPICS_FILE),
        "budget_ms": 2_000,
        "with_cue": 0.45,
        "alone": 0.75,
        "long_article_cues": 2,
        "sole": 0.65,
    },
)
def make_topic_tagger(
    nlp: Language,
    name: str,
    topics_path: str,
    budget_ms: int,
    with_cue: float,
    alone: float,
    long_article_cues: int,
    sole: float | None,
) -> TopicTaggerComponent:
    """The topic tagger for the taxonomy at `topics_path`, deciding with the classifier's
    probabilities (see `Decision`) where one runs before it."""
    return TopicTaggerComponent(
        TopicTagger.from_file(Path(topics_path), nlp.vocab),
        Decision(with_cue, alone, long_article_cues, sole),
        budget_ms,
    )


@Language.factory(
    DEAL_EXTRACTOR, default_config={"countries_path": str(COUNTRIES_PATH), "budget_ms": 2_000}
)
def make_deal_extractor(
    nlp: Language, name: str, countries_path: str, budget_ms: int
) -> DealExtractor:
    """The deal extractor, naming parties after the countries file at `countries_path`."""
    return DealExtractor(CountryNames.load(Path(countries_path)), budget_ms)


def component_configs(settings: EnrichSettings) -> dict[str, dict[str, Any]]:
    """Every wirewatch component's config, data paths included, in pipeline order (after the
    entity rules, which go around the model's recogniser)."""
    countries = str(settings.countries_file or COUNTRIES_PATH)
    return {
        HEADLINE_CLEANUP: {},
        TOPIC_CLASSIFIER: {"path": str(settings.topic_classifier_dir or DEFAULT_CLASSIFIER_DIR)},
        TOPIC_TAGGER: {
            "topics_path": str(settings.topics_file or DEFAULT_TOPICS_FILE),
            "budget_ms": settings.article_budget_ms,
        },
        DEAL_EXTRACTOR: {"countries_path": countries, "budget_ms": settings.article_budget_ms},
    }


def add_components(nlp: Language, settings: EnrichSettings) -> None:
    """Adds wirewatch's components at the end of `nlp`, configured from `settings`."""
    for name, config in component_configs(settings).items():
        nlp.add_pipe(name, config=config)
