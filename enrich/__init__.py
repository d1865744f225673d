"""enrich: entities, facets, news topics, arms deals and story fingerprints. Pure: text in,
enriched model out, no I/O; and the scoring of it on a labelled set."""

from enrich.components import TOPIC_TAGGER, Decision, TopicTaggerComponent
from enrich.entities import drop_headline_artefacts
from enrich.errors import EnrichmentError
from enrich.evaluation import (
    Example,
    Prediction,
    entity_key,
    evaluate,
    format_report,
    parse_examples,
    snippet_article,
)
from enrich.facets import CountryNames
from enrich.fingerprints import story_bands
from enrich.pipeline import (
    RECOGNISER_DIR,
    RECOGNISER_META,
    Enricher,
    EnrichmentFailure,
    EnrichmentResult,
    analysed_text,
    load_pipeline,
    use_recogniser,
)
from enrich.settings import EnrichSettings
from enrich.topic_model import LinearTopicModel, terms_of
from enrich.workers import (
    ArticleEnricher,
    EnricherFactory,
    EnrichmentPool,
    WorkerDiedError,
    cpu_quota,
    default_workers,
    usable_cpus,
)

__all__ = [
    "RECOGNISER_DIR",
    "RECOGNISER_META",
    "TOPIC_TAGGER",
    "ArticleEnricher",
    "CountryNames",
    "Decision",
    "EnrichSettings",
    "Enricher",
    "EnricherFactory",
    "EnrichmentError",
    "EnrichmentFailure",
    "EnrichmentPool",
    "EnrichmentResult",
    "Example",
    "LinearTopicModel",
    "Prediction",
    "TopicTaggerComponent",
    "WorkerDiedError",
    "analysed_text",
    "cpu_quota",
    "default_workers",
    "drop_headline_artefacts",
    "entity_key",
    "evaluate",
    "format_report",
    "load_pipeline",
    "parse_examples",
    "snippet_article",
    "story_bands",
    "terms_of",
    "usable_cpus",
    "use_recogniser",
]
