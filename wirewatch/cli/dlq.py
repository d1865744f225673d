"""The dead-letter topic: dlq list|replay."""

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from wirewatch.cli.common import load_settings, run_async

if TYPE_CHECKING:
    from ingest import LetterFilter, StoredLetter

dlq_app = typer.Typer(
    help="The dead-letter topic: list the letters, re-send them after a fix.",
    no_args_is_help=True,
)


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

    settings = load_settings()
    letter_filter = _letter_filter(reason, stage, since)

    async def main() -> int:
        count = 0
        async for letter in list_letters(settings, letter_filter):
            count += 1
            typer.echo(json.dumps(letter.summary()) if as_json else _letter_line(letter))
        return count

    count = run_async(main())
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

    settings = load_settings()
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

    resent, skipped = run_async(main())
    if not as_json:
        verb = "would re-send" if dry_run else "re-sent"
        typer.echo(
            f"{verb} {resent} letter(s) to {settings.ingest.topic}; skipped {skipped}", err=True
        )
