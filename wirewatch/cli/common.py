"""What every command shares: settings from the environment, wirewatch errors as a message
and exit code 1, the development tools' install hint, and the alert stores."""

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError

from contracts import WirewatchError
from matcher import MatcherError
from wirewatch.logs import configure_logging
from wirewatch.settings import Settings

if TYPE_CHECKING:
    from alerts import AlertStores
    from index import ElasticsearchClient

T = TypeVar("T")


def load_settings() -> Settings:
    """The settings from WIREWATCH_* variables, with logging configured from them; invalid
    settings are listed by variable on stderr and exit with code 2."""
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


def fail(error: WirewatchError | MatcherError) -> typer.Exit:
    """Prints `error` in red on stderr; returns the exit (code 1) for the caller to raise."""
    typer.secho(f"wirewatch: {error}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def without_tools(error: ModuleNotFoundError, command: str) -> BaseException:
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


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Runs a command's async work; a wirewatch or matcher error becomes a message and exit
    code 1."""
    try:
        return asyncio.run(work)
    except (WirewatchError, MatcherError) as error:
        raise fail(error) from error


def alert_stores(client: "ElasticsearchClient", settings: Settings) -> "AlertStores":
    """The rules and alerts indices the settings name, on `client`."""
    from alerts import AlertStores

    return AlertStores.from_settings(client, settings.alerts, settings.index)
