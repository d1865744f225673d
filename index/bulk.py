"""Reading bulk item results (pure): which succeeded, which to retry, which to give up on."""

import json
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ItemFate(Enum):
    """What to do with one bulk item after a response."""

    DONE = "done"
    RETRY = "retry"
    REJECT = "reject"
    ABORT = "abort"


# Refusals that are about the target, not the document: credentials, a missing, closed or
# blocked index. Dead-lettering on them would empty the stream into the dead-letter topic.
_TARGET_STATUSES = frozenset({401, 403, 404})
_TARGET_ERRORS = frozenset(
    {
        "index_closed_exception",
        "index_not_found_exception",
        "cluster_block_exception",
        "security_exception",
        "no_such_index_exception",
    }
)


class Rejection(BaseModel):
    """A document Elasticsearch refused for good, with the reason it gave."""

    model_config = ConfigDict(frozen=True)

    position: int
    document_id: str
    status: int | None
    reason: str


def fate(ok: bool, status: object, error: object = None) -> ItemFate:
    """What to do with an item.

    429, 5xx and unknown statuses (a dropped connection) are retried; refusals of the target
    (401, 403, 404, a closed or blocked index) abort the batch; other 4xx reject the document.
    """
    if ok:
        return ItemFate.DONE
    if not isinstance(status, int) or status == 429 or status >= 500:
        return ItemFate.RETRY
    error_type = error.get("type") if isinstance(error, dict) else None
    if status in _TARGET_STATUSES or error_type in _TARGET_ERRORS:
        return ItemFate.ABORT
    return ItemFate.REJECT


def describe_item_error(error: object) -> str:
    """A readable reason from a bulk item's `error`, e.g. 'mapper_parsing_exception: ...'."""
    if isinstance(error, dict):
        kind = error.get("type", "error")
        reason = error.get("reason", "")
        cause = error.get("caused_by")
        text = f"{kind}: {reason}"
        if isinstance(cause, dict):
            text += f" (caused by {cause.get('type')}: {cause.get('reason')})"
        return text
    if isinstance(error, str):
        return error
    return json.dumps(error, default=str)


def item_result(info: dict[str, Any]) -> tuple[object, object]:
    """The status and error of one `{op_type: {...}}` item from the bulk helper."""
    (result,) = info.values()
    return result.get("status"), result.get("error")


def item_failed_whole_request(info: dict[str, Any]) -> bool:
    """Whether the bulk helper reports this item failed because the whole request did."""
    (result,) = info.values()
    return "exception" in result


def bulk_fate(ok: bool, info: dict[str, Any]) -> ItemFate:
    """The fate of one `{op_type: {...}}` item from the bulk helper.

    A 4xx on the whole request (a bad credential, a request too large) says nothing about the
    documents in it, so it aborts rather than rejects.
    """
    status, error = item_result(info)
    outcome = fate(ok, status, error)
    if outcome is ItemFate.REJECT and item_failed_whole_request(info):
        return ItemFate.ABORT
    return outcome
