"""The service with enrichment off, for P2: `python -m tools.bench.passthrough` runs it on the
WIREWATCH_* settings like `wirewatch run`, with an enricher that does no analysis at all."""

import asyncio
import signal
from collections.abc import Sequence

from contracts import Article, EnrichedArticle
from enrich import EnrichmentResult
from wirewatch.logs import configure_logging
from wirewatch.service import Service
from wirewatch.settings import Settings


class PassThroughEnricher:
    """Satisfies the service's ArticleEnricher with the least valid enriched article."""

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichmentResult]:
        """Each article as it came, its language declared or taken as English."""
        return [
            EnrichedArticle(article=article, language=article.language or "en")
            for article in articles
        ]


async def serve(settings: Settings) -> None:
    """Runs the pass-through service until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await Service(settings, enricher=PassThroughEnricher()).run(stop)


if __name__ == "__main__":
    settings = Settings()
    # Logging as `wirewatch run` has it (unconfigured, structlog prints every debug line).
    configure_logging(settings.service.log_level, settings.service.log_format)
    asyncio.run(serve(settings))
