"""`wirewatch dlq list|replay`: dead letters read back, and re-sent after a fix.

A replay re-sends a letter's key and value to the articles topic, with its headers kept and
its provenance added (`ingest.replay.replay_headers`), unless the index already holds the
article as written from that message or a later one. The service never replays by itself: a
replayed message that fails again is dead-lettered again, its headers saying it was a replay.
"""

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict

from contracts import KafkaPosition
from index import connect, indexed_positions
from ingest import LetterFilter, Republisher, StoredLetter, read_dead_letters
from wirewatch.settings import Settings

_RELATIVE = re.compile(r"^(\d{1,9})\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_since(text: str, now: datetime) -> datetime:
    """A `--since` value: an RFC 3339 time with an offset, or a span back from `now` such as
    '90s', '30m', '2h', '7d', '1w'. Raises ValueError saying what is accepted."""
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative is not None:
        amount, unit = int(relative.group(1)), relative.group(2)
        return now - timedelta(**{_UNITS[unit]: amount})
    if _RFC3339.match(value):
        try:
            return datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            pass
    raise ValueError(
        f"{text!r} is neither an RFC 3339 time with an offset (2026-11-27T10:00:00Z) nor a span "
        "back from now (90s, 30m, 2h, 7d, 1w)"
    )


Action = Literal["resend", "skip"]


def replay_verdict(
    letter: StoredLetter,
    indexed: Sequence[KafkaPosition | None] | None,
    *,
    include_indexed: bool = False,
) -> tuple[Action, str]:
    """Whether to re-send a letter, and why, given the positions the index's copies of its
    article were written from (None: the index does not hold it).

    A copy counts as the letter's article already indexed unless it was written from the same
    partition at an earlier offset than the letter's message: then the letter is a later
    version whose write failed, and is re-sent.
    """
    if letter.value is None:
        if letter.value_dropped:
            return "skip", "its value was too large to keep: re-publish it from its source"
        return "skip", "it has no value (a tombstone): nothing to re-send"
    if not indexed:
        return "resend", "not indexed"
    if include_indexed:
        return "resend", "indexed, re-sent anyway (--include-indexed)"
    original = letter.original
    earlier = [
        copy
        for copy in indexed
        if copy is not None
        and original is not None
        and (copy.topic, copy.partition) == (original.topic, original.partition)
        and copy.offset < original.offset
    ]
    if len(earlier) == len(indexed):
        return "resend", "the index holds an earlier version only"
    return "skip", "already indexed (--include-indexed re-sends it anyway)"


class ReplayOutcome(BaseModel):
    """What a replay did with one letter."""

    model_config = ConfigDict(frozen=True)

    letter: StoredLetter
    action: Action
    why: str
    sent_to: KafkaPosition | None = None

    def summary(self, *, dry_run: bool) -> dict[str, Any]:
        """A JSON-able description, the letter's included."""
        action = "would_resend" if dry_run and self.action == "resend" else self.action
        return {
            "action": "resent" if action == "resend" else action,
            "why": self.why,
            "sent_to": self.sent_to.model_dump() if self.sent_to else None,
            **self.letter.summary(),
        }


async def list_letters(
    settings: Settings, letter_filter: LetterFilter
) -> AsyncIterator[StoredLetter]:
    """The letters of the dead-letter topic that pass the filter, oldest first per partition."""
    async for chunk in read_dead_letters(
        settings.kafka, settings.ingest.dead_letter_topic, since=letter_filter.since
    ):
        for letter in chunk:
            if letter_filter.matches(letter):
                yield letter


async def replay(
    settings: Settings,
    letter_filter: LetterFilter,
    *,
    dry_run: bool = False,
    include_indexed: bool = False,
    elasticsearch: AsyncElasticsearch | None = None,
) -> AsyncIterator[ReplayOutcome]:
    """Re-sends the letters that pass the filter and are not indexed; yields each decision.

    With `dry_run` nothing is sent. Running it twice is harmless: what the first run re-sent
    is indexed by then and skipped, and a copy sent twice overwrites the same document (the
    alert of a rule and story is created once).
    """
    async with AsyncExitStack() as resources:
        client = elasticsearch
        if client is None:
            client = await resources.enter_async_context(connect(settings.index))
        republisher = None
        if not dry_run:
            republisher = await resources.enter_async_context(
                Republisher(settings.kafka, settings.ingest)
            )
        async for chunk in read_dead_letters(
            settings.kafka, settings.ingest.dead_letter_topic, since=letter_filter.since
        ):
            chosen = [letter for letter in chunk if letter_filter.matches(letter)]
            if not chosen:
                continue
            ids = {letter.document_id for letter in chosen if letter.document_id is not None}
            indexed = await indexed_positions(client, settings.index.alias, ids)
            verdicts = [
                (
                    letter,
                    *replay_verdict(
                        letter,
                        indexed.get(letter.document_id) if letter.document_id else None,
                        include_indexed=include_indexed,
                    ),
                )
                for letter in chosen
            ]
            resend = [letter for letter, action, _ in verdicts if action == "resend"]
            destinations: dict[KafkaPosition, KafkaPosition] = {}
            if republisher is not None and resend:
                sent = await republisher.send(resend, datetime.now(UTC))
                destinations = dict(zip((letter.position for letter in resend), sent, strict=True))
            for letter, action, why in verdicts:
                yield ReplayOutcome(
                    letter=letter,
                    action=action,
                    why=why,
                    sent_to=destinations.get(letter.position),
                )
