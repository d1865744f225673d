"""The `wirewatch` command: the typer app, and where each command lives.

- service.py: run, produce, search, enrich, eval, schema (the service and its data)
- rules.py: rules add|list|rm|enable|disable|test, alerts
- dlq.py: dlq list|replay
- tooling.py: stack up|env|down|status, kibana import, config reference, bench
- common.py: settings loading, wirewatch errors as exit code 1, the tools' install hint

Each command imports what it needs when it runs, so that `wirewatch --help` starts fast and the
development commands say how to install tools/ where it is missing (the image).
"""

import typer

from wirewatch.cli import dlq, rules, service, tooling

app = typer.Typer(
    help="Streams news articles from Kafka into Elasticsearch, with entities and topics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Registered in the order `wirewatch --help` lists them.
app.command()(service.run)
app.command()(service.produce)
app.command()(service.search)
app.command()(service.enrich)
app.command()(service.pipeline)
app.command("eval")(service.eval_command)
app.command()(service.schema)
app.command("alerts")(rules.alerts_recent)
app.command()(tooling.bench)
app.add_typer(tooling.stack_app, name="stack")
app.add_typer(rules.rules_app, name="rules")
app.add_typer(tooling.kibana_app, name="kibana")
app.add_typer(tooling.config_app, name="config")
app.add_typer(dlq.dlq_app, name="dlq")

__all__ = ["app"]
