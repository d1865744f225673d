"""The service and its data: run, produce, search, enrich, eval, schema."""

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from contracts import Article, WirewatchError
from wirewatch.cli.common import fail, load_settings, run_async


def run() -> None:
    """Run the service: consume, enrich, index, until SIGTERM or Ctrl-C."""
    from wirewatch.service import Service

    settings = load_settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Service(settings).run(stop)

    run_async(main())


def produce(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON lines.")],
    topic: Annotated[str | None, typer.Option(help="Default: the articles topic.")] = None,
) -> None:
    """Publish each line of a JSON-lines file as one message (invalid lines too)."""
    from ingest import ensure_topics, publish_lines, read_lines

    settings = load_settings()
    target = topic or settings.ingest.topic

    async def main() -> int:
        if settings.ingest.create_topics:
            await ensure_topics(
                settings.kafka,
                [target, settings.ingest.dead_letter_topic],
                partitions=settings.ingest.topic_partitions,
                replication_factor=settings.ingest.topic_replication_factor,
            )
        return await publish_lines(settings.kafka, target, read_lines(file))

    count = run_async(main())
    typer.echo(f"published {count} message(s) to {target}")


def search(
    query: Annotated[str, typer.Argument(help='Lucene syntax, e.g. persons:"Vladimir Putin".')],
    size: Annotated[int, typer.Option(min=0, help="Hits to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
) -> None:
    """Search the indexed articles with a Lucene query, as in Kibana's search bar."""
    from index import ArticleIndex

    settings = load_settings()

    async def main() -> None:
        async with ArticleIndex(settings.index) as index:
            result = await index.search(query, size=size)
        if as_json:
            for hit in result.hits:
                typer.echo(json.dumps({"_id": hit.id, "_score": hit.score, **hit.source}))
            return
        typer.echo(f"{result.total} article(s) match; showing {len(result.hits)}")
        for hit in result.hits:
            source = hit.source
            typer.echo(f"\n{source.get('published_at', '')[:10]}  {source.get('title')}")
            typer.echo(f"  id: {hit.id}   source: {source.get('source')}")
            for facet in ("persons", "organizations", "countries", "weapons", "topics"):
                if source.get(facet):
                    typer.echo(f"  {facet}: {', '.join(source[facet])}")

    run_async(main())


def enrich(
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="Article JSON lines; default stdin."),
    ] = None,
) -> None:
    """Enrich articles offline: article JSON lines in, the documents to index out."""
    from enrich import Enricher, EnrichmentFailure
    from index import build_document
    from ingest import InvalidMessage, parse_article

    settings = load_settings()
    try:
        enricher = Enricher(settings.enrich)
    except WirewatchError as error:
        raise fail(error) from error
    data = file.read_bytes() if file else sys.stdin.buffer.read()
    # One pretty-printed article (as in tests/fixtures) is taken whole, not line by line.
    lines = [data] if _is_one_json_object(data) else data.splitlines()
    articles = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            articles.append(parse_article(line))
        except InvalidMessage as error:
            typer.secho(f"line {number}: {error}", fg=typer.colors.RED, err=True)
    enriched_at = datetime.now(UTC)
    failed = 0
    for enriched in enricher.enrich(articles):
        if isinstance(enriched, EnrichmentFailure):
            failed += 1
            typer.secho(f"{enriched.article.document_id}: {enriched.reason}", fg="red", err=True)
            continue
        typer.echo(build_document(enriched, None, enriched_at).model_dump_json())
    if failed or len(articles) < sum(1 for line in lines if line.strip()):
        raise typer.Exit(code=1)


def pipeline(
    save: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Also save the pipeline to this folder (spacy.load)."),
    ] = None,
) -> None:
    """Print the enrichment pipeline as spaCy sees it: its components in order and their config,
    data paths included (the WIREWATCH_ENRICH__* settings applied)."""
    from enrich import Enricher

    try:
        nlp = Enricher(load_settings().enrich).nlp
    except WirewatchError as error:
        raise fail(error) from error
    typer.echo(f"components: {', '.join(nlp.pipe_names)}\n")
    typer.echo(nlp.config.to_str())
    if save is not None:
        nlp.to_disk(save)
        typer.echo(f"saved to {save}; load it with spacy.load after `import enrich`")


def _is_one_json_object(data: bytes) -> bool:
    if b"\n" not in data.strip() or not data.lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


def eval_command(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="Labelled snippets, JSON lines."),
    ],
) -> None:
    """Score topics, weapons and entities against a labelled set (e.g.
    tests/fixtures/enrichment-dev.jsonl): per-topic precision, recall and F1, macro-F1, WEAPON
    and, where labelled, PERSONS, ORGANISATIONS and PLACES precision and recall, false topics on
    the hard negatives, the confusion between topics."""
    from enrich import (
        Enricher,
        Prediction,
        entity_key,
        evaluate,
        format_report,
        parse_examples,
        snippet_article,
    )

    settings = load_settings()
    try:
        examples = parse_examples(file.read_text(encoding="utf-8").splitlines())
        enricher = Enricher(settings.enrich)
    except WirewatchError as error:
        raise fail(error) from error
    try:
        enriched = enricher.enrich_all([snippet_article(example) for example in examples])
    except WirewatchError as error:
        raise fail(error) from error
    countries = enricher.countries

    def place_key(name: str) -> str:
        # A country matches by any of its names ("Russian Federation" is "Russia").
        return countries.code(name) or entity_key(name)

    report = evaluate(
        examples, [Prediction.of(article) for article in enriched], place_key=place_key
    )
    typer.echo(format_report(report))


def schema() -> None:
    """Print the JSON Schema of the message contract (deploy/article.schema.json)."""
    typer.echo(json.dumps(article_json_schema(), indent=2))


def article_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the article message."""
    document = Article.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}
