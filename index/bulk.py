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


class Rejection(BaseModel):
    """A document Elasticsearch refused for good, with the reason it gave."""

    model_config = ConfigDict(frozen=True)

    position: int
    document_id: str
    status: int | None
    reason: str


def fate(ok: bool, status: object) -> ItemFate:
    """429, 5xx and unknown statuses (a dropped connection) are retried; other 4xx are final."""
    if ok:
        return ItemFate.DONE
    if not isinstance(status, int) or status == 429 or status >= 500:
        return ItemFate.RETRY
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
