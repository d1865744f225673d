"""enrich: entities, facets and (later) topics. Pure: text in, enriched model out, no I/O."""

from enrich.errors import EnrichmentError
from enrich.pipeline import Enricher, EnrichmentFailure, EnrichmentResult, load_pipeline
from enrich.settings import EnrichSettings

__all__ = [
    "EnrichSettings",
    "Enricher",
    "EnrichmentError",
    "EnrichmentFailure",
    "EnrichmentResult",
    "load_pipeline",
]
