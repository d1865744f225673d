"""What enrichment keeps between articles stays bounded, however many distinct ones pass."""

from contracts import Article
from enrich import EnrichSettings
from enrich.entities import CLEANUP_COMPONENT, COUNTRY_CACHE_SIZE, EntityCleanup
from enrich.name_rules import ArtefactRules
from enrich.pipeline import Enricher
from tests.unit.samples import article_data


def _artefacts(enricher: Enricher) -> ArtefactRules:
    cleanup = enricher.nlp.get_pipe(CLEANUP_COMPONENT)
    assert isinstance(cleanup, EntityCleanup)
    assert cleanup.artefacts is not None
    return cleanup.artefacts


def test_the_country_answers_kept_stay_within_their_bound_over_many_distinct_names() -> None:
    enricher = Enricher(EnrichSettings())
    is_country = _artefacts(enricher).is_country
    articles = [
        Article.model_validate(
            article_data(id=f"a{n}", body=f"Minister Zorblat{n} of Quenland{n} met envoys in Kyiv.")
        )
        for n in range(50)
    ]
    enricher.enrich(articles)
    # The names enrichment asks about, then many more distinct ones, as months of news bring.
    for number in range(3 * COUNTRY_CACHE_SIZE):
        is_country(f"Quenland{number}")

    assert is_country.cache_info().currsize <= COUNTRY_CACHE_SIZE  # type: ignore[attr-defined]
    assert is_country("Venezuela")
    assert not is_country("Quenland7")


def test_the_country_of_each_name_kept_stays_within_its_bound() -> None:
    country_of = _artefacts(Enricher(EnrichSettings())).country_of
    for number in range(3 * COUNTRY_CACHE_SIZE):
        country_of(f"Quenland{number}")

    assert country_of.cache_info().currsize <= COUNTRY_CACHE_SIZE  # type: ignore[attr-defined]
    assert country_of("Venezuelan") == "VE"
