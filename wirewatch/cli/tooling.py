"""Development and operator tooling: stack up|env|down|status, config reference, kibana
import, bench. The tools package is imported only when its command runs: the image lacks it."""

from pathlib import Path
from typing import Annotated

import typer

from contracts import WirewatchError, without_userinfo
from wirewatch.cli.common import fail, load_settings, run_async, without_tools
from wirewatch.settings import Settings

stack_app = typer.Typer(help="The local Kafka and Elasticsearch for development and tests.")
kibana_app = typer.Typer(help="Kibana's data views, saved searches and dashboard for wirewatch.")
config_app = typer.Typer(help="The settings wirewatch reads from WIREWATCH_* variables.")


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
        raise without_tools(error, "wirewatch stack env") from error

    settings = load_settings()
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
        raise without_tools(error, f"wirewatch stack {action}") from error

    settings = load_settings()
    try:
        statuses = getattr(LocalStack(settings), action)(**options)
    except WirewatchError as error:
        raise fail(error) from error
    for status in statuses:
        typer.echo(str(status))
    return settings


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
        raise fail(error) from error
    request = kibana.import_request(
        url,
        file.read_bytes(),
        username=username,
        password=password,
        api_key=api_key,
        space=space,
    )
    count = run_async(kibana.import_saved_objects(request))
    typer.echo(f"imported {count} of {len(objects)} saved object(s) into {without_userinfo(url)}")


@config_app.command("reference")
def config_reference() -> None:
    """Print every setting as Markdown: variable, type, default, description."""
    try:
        from tools.reference import render
    except ModuleNotFoundError as error:
        raise without_tools(error, "wirewatch config reference") from error

    typer.echo(render(), nl=False)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def bench(
    parts: Annotated[str, typer.Option(help="Which of p1,p2,p3,p4,p5 to run.")] = "p1,p2,p3,p4,p5",
    articles: Annotated[int, typer.Option(min=1, help="Backlog of P1 and each P5 run.")] = 1_000,
    pass_through_articles: Annotated[int, typer.Option(min=1, help="Backlog of P2.")] = 20_000,
    memory_articles: Annotated[int, typer.Option(min=1, help="Backlog of P4.")] = 20_000,
    workers: Annotated[
        str, typer.Option(help="P5's worker counts, e.g. 1,2,4; empty: 1 to the usable CPUs.")
    ] = "",
    rules: Annotated[int, typer.Option(min=1, help="Rules loaded for P3.")] = 1_000,
    latency_seconds: Annotated[float, typer.Option(min=1, help="How long P3 produces.")] = 30,
    latency_rate: Annotated[
        float | None, typer.Option(help="P3's articles/s; default: half of P1's rate.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="JSON file; default benchmarks/results/bench-<UTC>.json.")
    ] = None,
) -> None:
    """Measure P1-P5 of the service on the servers of the WIREWATCH_* environment: end-to-end
    rate against bare nlp.pipe, without enrichment against raw Kafka and Elasticsearch,
    latencies at half load, memory over a long run, scaling; print them and write them as JSON."""
    try:
        from tools.bench import PARTS, BenchOptions, run_bench
    except ModuleNotFoundError as error:
        raise without_tools(error, "wirewatch bench") from error

    chosen = tuple(part.strip().lower() for part in parts.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        raise typer.BadParameter(f"unknown part(s) {', '.join(unknown)}; choose from {PARTS}")
    options = BenchOptions(
        parts=chosen,
        articles=articles,
        pass_through_articles=pass_through_articles,
        memory_articles=memory_articles,
        workers=_numbers(workers),
        rules=rules,
        latency_seconds=latency_seconds,
        latency_rate_per_s=latency_rate,
        out=out,
    )
    _, written = run_async(run_bench(load_settings(), options, typer.echo))
    typer.echo(f"written to {written}")
