"""enrich: entities, facets and (later) topics. Pure: text in, enriched model out, no I/O."""

from enrich.errors import EnrichmentError
from enrich.pipeline import Enricher, load_pipeline
from enrich.settings import EnrichSettings

__all__ = ["EnrichSettings", "Enricher", "EnrichmentError", "load_pipeline"]
