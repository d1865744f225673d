"""The `wirewatch` command."""

import asyncio
import json
import signal
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from contracts import Article, WirewatchError, without_userinfo
from matcher import MatcherError
from wirewatch.logs import configure_logging
from wirewatch.settings import Settings

if TYPE_CHECKING:
    from alerts import AlertStores
    from index import ElasticsearchClient
    from ingest import LetterFilter, StoredLetter

T = TypeVar("T")

app = typer.Typer(
    help="Streams news articles from Kafka into Elasticsearch, with entities and topics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(help="The local Kafka and Elasticsearch for development and tests.")
app.add_typer(stack_app, name="stack")
rules_app = typer.Typer(
    help="Alert rules: saved Lucene searches that alert on each new matching story.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")
kibana_app = typer.Typer(help="Kibana's data views, saved searches and dashboard for wirewatch.")
app.add_typer(kibana_app, name="kibana")
config_app = typer.Typer(help="The settings wirewatch reads from WIREWATCH_* variables.")
app.add_typer(config_app, name="config")
dlq_app = typer.Typer(
    help="The dead-letter topic: list the letters, re-send them after a fix.",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        typer.secho(
            "wirewatch: invalid settings in the environment:\n"
            + "\n".join(
                # A rule across settings has no single variable: its message names them.
                f"  WIREWATCH_{'__'.join(str(part) for part in detail['loc']).upper()}: "
                f"{detail['msg']}"
                if detail["loc"]
                else f"  {detail['msg']}"
                for detail in error.errors(include_url=False)
            ),
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2) from None
    configure_logging(settings.service.log_level, settings.service.log_format)
    return settings


def _fail(error: WirewatchError | MatcherError) -> typer.Exit:
    typer.secho(f"wirewatch: {error}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _without_tools(error: ModuleNotFoundError, command: str) -> BaseException:
    """What a development command raises where the tools package is not installed (the image,
    a wheel): a message saying how to install it. Any other missing module is raised as is."""
    if (error.name or "").split(".")[0] != "tools":
        return error
    typer.secho(
        f"wirewatch: `{command}` is development tooling (tools/ in a checkout of wirewatch), "
        "which is not installed here. In the checkout run `make install`, or "
        "`pip install -e '.[dev]' -e ./tools`.",
        fg=typer.colors.RED,
        err=True,
    )
    return typer.Exit(code=1)


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Runs a command's async work; a wirewatch or matcher error becomes a message and exit
    code 1."""
    try:
        return asyncio.run(work)
    except (WirewatchError, MatcherError) as error:
        raise _fail(error) from error


def _stores(client: "ElasticsearchClient", settings: Settings) -> "AlertStores":
    """The rules and alerts indices the settings name, on `client`."""
    from alerts import AlertStores

    return AlertStores.from_settings(client, settings.alerts, settings.index)


@app.command()
def run() -> None:
    """Run the service: consume, enrich, index, until SIGTERM or Ctrl-C."""
    from wirewatch.service import Service

    settings = _settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Service(settings).run(stop)

    _run(main())


@app.command()
def produce(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON lines.")],
    topic: Annotated[str | None, typer.Option(help="Default: the articles topic.")] = None,
) -> None:
    """Publish each line of a JSON-lines file as one message (invalid lines too)."""
    from ingest import ensure_topics, publish_lines, read_lines

    settings = _settings()
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

    count = _run(main())
    typer.echo(f"published {count} message(s) to {target}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Lucene syntax, e.g. persons:"Vladimir Putin".')],
    size: Annotated[int, typer.Option(min=0, help="Hits to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
) -> None:
    """Search the indexed articles with a Lucene query, as in Kibana's search bar."""
    from index import ArticleIndex

    settings = _settings()

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

    _run(main())


@app.command()
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

    settings = _settings()
    try:
        enricher = Enricher(settings.enrich)
    except WirewatchError as error:
        raise _fail(error) from error
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


def _is_one_json_object(data: bytes) -> bool:
    if b"\n" not in data.strip() or not data.lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


@app.command("eval")
def eval_command(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="Labelled snippets, JSON lines."),
    ],
) -> None:
    """Score topics and weapons against a labelled set (e.g. tests/fixtures/enrichment-dev.jsonl):
    per-topic precision, recall and F1, macro-F1, WEAPON precision and recall, false topics on
    the hard negatives."""
    from enrich import (
        Enricher,
        Prediction,
        evaluate,
        format_report,
        parse_examples,
        snippet_article,
    )

    settings = _settings()
    try:
        examples = parse_examples(file.read_text(encoding="utf-8").splitlines())
        enricher = Enricher(settings.enrich)
    except WirewatchError as error:
        raise _fail(error) from error
    try:
        enriched = enricher.enrich_all([snippet_article(example) for example in examples])
    except WirewatchError as error:
        raise _fail(error) from error
    report = evaluate(examples, [Prediction.of(article) for article in enriched])
    typer.echo(format_report(report))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the message contract (deploy/article.schema.json)."""
    typer.echo(json.dumps(article_json_schema(), indent=2))


def article_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the article message."""
    document = Article.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


@kibana_app.command("import")
def kibana_import(
    url: Annotated[str, typer.Option(help="Kibana's base URL, e.g. http://localhost:5601.")],
    file: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="Saved objects (NDJSON).")
    ] = Path("deploy/kibana/wirewatch.ndjson"),
    username: Annotated[str | None, typer.Option(envvar="KIBANA_USERNAME")] = None,
    password: Annotated[str | None, typer.Option(envvar="KIBANA_PASSWORD")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="KIBANA_API_KEY")] = None,
    space: Annotated[str | None, typer.Option(help="Kibana space; default space if unset.")] = None,
) -> None:
    """Import (overwriting) the data views, saved searches and dashboard into Kibana."""
    from wirewatch import kibana

    try:
        objects = kibana.load(file)
    except WirewatchError as error:
        raise _fail(error) from error
    request = kibana.import_request(
        url,
        file.read_bytes(),
        username=username,
        password=password,
        api_key=api_key,
        space=space,
    )
    count = _run(kibana.import_saved_objects(request))
    typer.echo(f"imported {count} of {len(objects)} saved object(s) into {without_userinfo(url)}")


@config_app.command("reference")
def config_reference() -> None:
    """Print every setting as Markdown: variable, type, default, description."""
    try:
        from tools.reference import render
    except ModuleNotFoundError as error:
        raise _without_tools(error, "wirewatch config reference") from error

    typer.echo(render(), nl=False)


@rules_app.command("add")
def rules_add(
    name: Annotated[str, typer.Option(help="What the rule is about, shown in alerts.")],
    query: Annotated[
        str, typer.Option(help="Lucene syntax, e.g. 'topics:arms_deal AND countries:VE'.")
    ],
    webhook: Annotated[
        list[str] | None,
        typer.Option(help="URL to POST each alert to (Slack-compatible); repeatable."),
    ] = None,
    disabled: Annotated[bool, typer.Option(help="Save it without alerting yet.")] = False,
) -> None:
    """Save a rule and print its id; a query the matcher cannot honour exactly is refused."""
    from alerts import Rule, parse_draft
    from index import connect

    settings = _settings()

    async def main() -> Rule:
        draft = parse_draft(
            {"name": name, "query": query, "webhooks": webhook or [], "enabled": not disabled}
        )
        async with connect(settings.index) as client:
            return await _stores(client, settings).rules.add(draft)

    typer.echo(_run(main()).id)


@rules_app.command("list")
def rules_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per rule.")] = False,
) -> None:
    """List the rules, oldest first (webhook URLs masked)."""
    from alerts import Rule
    from index import connect

    settings = _settings()

    async def main() -> list[Rule]:
        async with connect(settings.index) as client:
            return await _stores(client, settings).rules.rules()

    rules = _run(main())
    for rule in rules:
        if as_json:
            typer.echo(json.dumps(rule.public()))
            continue
        state = "enabled " if rule.enabled else "disabled"
        hooks = f"  webhooks: {', '.join(rule.public()['webhooks'])}" if rule.webhooks else ""
        typer.echo(f"{rule.id}  {state}  {rule.name}  [{rule.query}]{hooks}")
    if not rules and not as_json:
        typer.echo("no rules yet: add one with `wirewatch rules add --name ... --query ...`")


@rules_app.command("rm")
def rules_rm(rule_id: Annotated[str, typer.Argument(help="The id `rules list` shows.")]) -> None:
    """Delete a rule; running services stop matching it within the refresh interval."""
    from index import connect

    settings = _settings()

    async def main() -> None:
        async with connect(settings.index) as client:
            await _stores(client, settings).rules.remove(rule_id)

    _run(main())
    typer.echo(f"removed rule {rule_id}")


@rules_app.command("enable")
def rules_enable(
    rule_id: Annotated[str, typer.Argument(help="The id `rules list` shows.")],
) -> None:
    """Start alerting on a rule; running services pick it up within the refresh interval."""
    _set_enabled(rule_id, enabled=True)


@rules_app.command("disable")
def rules_disable(
    rule_id: Annotated[str, typer.Argument(help="The id `rules list` shows.")],
) -> None:
    """Stop alerting on a rule without deleting it."""
    _set_enabled(rule_id, enabled=False)


def _set_enabled(rule_id: str, *, enabled: bool) -> None:
    from index import connect

    settings = _settings()

    async def main() -> None:
        async with connect(settings.index) as client:
            await _stores(client, settings).rules.set_enabled(rule_id, enabled)

    _run(main())
    typer.echo(f"{'enabled' if enabled else 'disabled'} rule {rule_id}")


@rules_app.command("test")
def rules_test(
    query: Annotated[str, typer.Argument(help="Lucene syntax, as for `rules add`.")],
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="Enriched documents (`wirewatch enrich`)."
        ),
    ],
) -> None:
    """Offline: print the id of each document in FILE the query matches, one a line."""
    from index import ArticleDocument, mappings
    from matcher import Catalog, compile_query

    settings = _settings()
    try:
        compiled = compile_query(
            query,
            catalog=Catalog.from_mapping(mappings(settings.index.text_analyzer)),
            limits=settings.alerts.query_limits(),
        )
    except (WirewatchError, MatcherError) as error:
        raise _fail(error) from error
    invalid = 0
    for number, line in enumerate(file.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = ArticleDocument.model_validate_json(line)
        except ValidationError as error:
            invalid += 1
            typer.secho(
                f"line {number}: not an enriched document ({error.error_count()} problem(s), "
                f"first: {error.errors()[0]['msg']}); make them with `wirewatch enrich`",
                fg=typer.colors.RED,
                err=True,
            )
            continue
        if compiled.matches(document.source_fields()):
            typer.echo(document.id)
    if invalid:
        raise typer.Exit(code=1)


@app.command()
def alerts(
    size: Annotated[int, typer.Option(min=1, max=1000, help="Alerts to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per alert.")] = False,
) -> None:
    """List the latest alerts, newest first: time, rule, article and title."""
    from alerts import Alert
    from index import connect

    settings = _settings()

    async def main() -> list[Alert]:
        async with connect(settings.index) as client:
            return await _stores(client, settings).alerts.recent(size)

    recent = _run(main())
    for alert in recent:
        if as_json:
            typer.echo(json.dumps(alert.summary()))
            continue
        matched = alert.matched_at.isoformat(timespec="seconds")
        typer.echo(f"{matched}  rule {alert.rule_id} ({alert.rule_name})  {alert.article_id}")
        typer.echo(f"  {alert.title}")
    if not recent and not as_json:
        typer.echo("no alerts yet")


ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Only letters whose reason contains TEXT (any case).")
]
StageOption = Annotated[
    str | None,
    typer.Option("--stage", help="Only letters of this stage: validation, enrichment, indexing."),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only letters dead-lettered at or after TIME: RFC 3339 "
        "(2026-11-27T10:00:00Z) or a span back from now (30m, 2h, 7d).",
    ),
]


def _letter_filter(reason: str | None, stage: str | None, since: str | None) -> "LetterFilter":
    from ingest import STAGES, LetterFilter
    from wirewatch.dlq import parse_since

    if stage is not None and stage not in STAGES:
        raise typer.BadParameter(
            f"{stage!r} is not one of {', '.join(STAGES)}", param_hint="--stage"
        )
    try:
        moment = parse_since(since, datetime.now(UTC)) if since is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--since") from None
    return LetterFilter.model_validate({"reason": reason, "stage": stage, "since": moment})


def _letter_line(letter: "StoredLetter") -> str:
    original = letter.original
    where = f"{original.topic}:{original.partition}:{original.offset}" if original else "?"
    replay = " (a replay)" if letter.replayed_from else ""
    moment = letter.dead_lettered_at.isoformat(timespec="seconds")
    return (
        f"{moment}  {letter.stage:<10}  {where}  dlq {letter.position.partition}:"
        f"{letter.position.offset}  {letter.document_id or '-'}{replay}  {letter.reason}"
    )


@dlq_app.command("list")
def dlq_list(
    reason: ReasonOption = None,
    stage: StageOption = None,
    since: SinceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per letter.")] = False,
) -> None:
    """List dead letters, oldest first per partition: time, stage, original topic:partition:offset,
    the letter's own partition:offset, document id (where the value names one), reason."""
    from wirewatch.dlq import list_letters

    settings = _settings()
    letter_filter = _letter_filter(reason, stage, since)

    async def main() -> int:
        count = 0
        async for letter in list_letters(settings, letter_filter):
            count += 1
            typer.echo(json.dumps(letter.summary()) if as_json else _letter_line(letter))
        return count

    count = _run(main())
    if not as_json:
        typer.echo(f"{count} letter(s) in {settings.ingest.dead_letter_topic}", err=True)


@dlq_app.command("replay")
def dlq_replay(
    reason: ReasonOption = None,
    stage: StageOption = None,
    since: SinceOption = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would be re-sent; send nothing.")] = False,
    include_indexed: Annotated[
        bool, typer.Option(help="Re-send letters whose article is already indexed, too.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per letter.")] = False,
) -> None:
    """Re-send dead letters to the articles topic after a fix (headers kept, provenance added),
    skipping those whose article is already indexed."""
    from wirewatch.dlq import replay

    settings = _settings()
    letter_filter = _letter_filter(reason, stage, since)

    async def main() -> tuple[int, int]:
        resent = skipped = 0
        async for outcome in replay(
            settings, letter_filter, dry_run=dry_run, include_indexed=include_indexed
        ):
            letter = outcome.letter
            if outcome.action == "resend":
                resent += 1
            else:
                skipped += 1
            if as_json:
                typer.echo(json.dumps(outcome.summary(dry_run=dry_run)))
                continue
            source = f"dlq {letter.position.partition}:{letter.position.offset}"
            document = letter.document_id or "-"
            if outcome.action == "skip":
                typer.echo(f"skipped      {source}  {document}  ({outcome.why})")
            elif outcome.sent_to is None:
                typer.echo(f"would resend {source}  {document}  ({outcome.why})")
            else:
                to = outcome.sent_to
                typer.echo(
                    f"re-sent      {source} -> {to.topic}:{to.partition}:{to.offset}  {document}"
                )
        return resent, skipped

    resent, skipped = _run(main())
    if not as_json:
        verb = "would re-send" if dry_run else "re-sent"
        typer.echo(
            f"{verb} {resent} letter(s) to {settings.ingest.topic}; skipped {skipped}", err=True
        )


@stack_app.command("up")
def stack_up() -> None:
    """Fetch (first time) and start the local Kafka and Elasticsearch, wait until they answer.

    With WIREWATCH_STACK__SECURE=true both run secured (TLS, users); `stack env` then prints
    what a client needs."""
    settings = _stack_command("up")
    if settings.stack.secure:
        typer.echo(
            "\nsecured: TLS with the CA "
            f"{settings.stack.state_dir.resolve() / 'certs' / 'ca.pem'}, user 'wirewatch'. "
            "Point wirewatch at it with:\n"
            '  eval "$(WIREWATCH_STACK__SECURE=true wirewatch stack env)"'
        )


@stack_app.command("env")
def stack_env() -> None:
    """Print `export WIREWATCH_...` lines for this stack: `eval "$(wirewatch stack env)"`.

    Passwords are printed as commands that read their files, never as text."""
    try:
        from tools.stack import stack_env as env_lines
    except ModuleNotFoundError as error:
        raise _without_tools(error, "wirewatch stack env") from error

    settings = _settings()
    for line in env_lines(settings):
        typer.echo(line)


@stack_app.command("down")
def stack_down(
    purge: Annotated[bool, typer.Option(help="Also delete their data and logs.")] = False,
) -> None:
    """Stop the local servers; their data stays unless --purge."""
    _stack_command("down", purge=purge)


@stack_app.command("status")
def stack_status() -> None:
    """Say whether each local server runs."""
    _stack_command("status")


def _stack_command(action: str, **options: bool) -> Settings:
    try:
        from tools.stack import LocalStack
    except ModuleNotFoundError as error:
        raise _without_tools(error, f"wirewatch stack {action}") from error

    settings = _settings()
    try:
        statuses = getattr(LocalStack(settings), action)(**options)
    except WirewatchError as error:
        raise _fail(error) from error
    for status in statuses:
        typer.echo(str(status))
    return settings
