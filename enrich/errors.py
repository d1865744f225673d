"""Errors of enrichment."""

from contracts import WirewatchError


class EnrichmentError(WirewatchError):
    """The language pipeline could not be loaded or run."""
