"""Alert rules and the alerts they raise: rules add|list|rm|enable|disable|test, alerts."""

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from contracts import WirewatchError
from matcher import MatcherError
from wirewatch.cli.common import alert_stores, fail, load_settings, run_async

rules_app = typer.Typer(
    help="Alert rules: saved Lucene searches that alert on each new matching story.",
    no_args_is_help=True,
)


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

    settings = load_settings()

    async def main() -> Rule:
        draft = parse_draft(
            {"name": name, "query": query, "webhooks": webhook or [], "enabled": not disabled}
        )
        async with connect(settings.index) as client:
            return await alert_stores(client, settings).rules.add(draft)

    typer.echo(run_async(main()).id)


@rules_app.command("list")
def rules_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per rule.")] = False,
) -> None:
    """List the rules, oldest first (webhook URLs masked)."""
    from alerts import Rule
    from index import connect

    settings = load_settings()

    async def main() -> list[Rule]:
        async with connect(settings.index) as client:
            return await alert_stores(client, settings).rules.rules()

    rules = run_async(main())
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

    settings = load_settings()

    async def main() -> None:
        async with connect(settings.index) as client:
            await alert_stores(client, settings).rules.remove(rule_id)

    run_async(main())
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

    settings = load_settings()

    async def main() -> None:
        async with connect(settings.index) as client:
            await alert_stores(client, settings).rules.set_enabled(rule_id, enabled)

    run_async(main())
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

    settings = load_settings()
    try:
        compiled = compile_query(
            query,
            catalog=Catalog.from_mapping(mappings(settings.index.text_analyzer)),
            limits=settings.alerts.query_limits(),
        )
    except (WirewatchError, MatcherError) as error:
        raise fail(error) from error
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


def alerts_recent(
    size: Annotated[int, typer.Option(min=1, max=1000, help="Alerts to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per alert.")] = False,
) -> None:
    """List the latest alerts, newest first: time, rule, article and title."""
    from alerts import Alert
    from index import connect

    settings = load_settings()

    async def main() -> list[Alert]:
        async with connect(settings.index) as client:
            return await alert_stores(client, settings).alerts.recent(size)

    recent = run_async(main())
    for alert in recent:
        if as_json:
            typer.echo(json.dumps(alert.summary()))
            continue
        matched = alert.matched_at.isoformat(timespec="seconds")
        typer.echo(f"{matched}  rule {alert.rule_id} ({alert.rule_name})  {alert.article_id}")
        typer.echo(f"  {alert.title}")
    if not recent and not as_json:
        typer.echo("no alerts yet")
