"""The one retry policy: capped exponential backoff, until a deadline or a number of tries.

Every retry loop of wirewatch is built here, so they agree on what is worth another try: a
`WirewatchError` that says it is `retriable`, or `StillPending` (part of a request answered
with a retriable status).
"""

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

from contracts import WirewatchError
from index.settings import IndexSettings


class StillPending(Exception):  # noqa: N818 (a retry signal, not an error)
    """Some items of a request got a retriable answer; the policy tries them again.

    Raised inside an attempt (tenacity's idiom for "try again"); once the policy gives up it
    reaches the caller, who says in its own error what was left undone.
    """


def retriable(error: BaseException) -> bool:
    """Whether another try can succeed: a retriable wirewatch error, or items still pending."""
    return isinstance(error, StillPending) or (
        isinstance(error, WirewatchError) and error.retriable
    )


def retry_policy(
    *,
    initial_backoff_ms: int,
    max_backoff_ms: int,
    deadline_s: float | None = None,
    max_attempts: int | None = None,
) -> AsyncRetrying:
    """Retries what `retriable` accepts, waiting `initial_backoff_ms` doubled each time up to
    `max_backoff_ms`, until `deadline_s` has passed or `max_attempts` were made (whichever
    comes first), then re-raises the last error."""
    stops: list[stop_base] = []
    if deadline_s is not None:
        stops.append(stop_after_delay(deadline_s))
    if max_attempts is not None:
        stops.append(stop_after_attempt(max_attempts))
    if not stops:
        raise ValueError("a retry policy needs a deadline_s or max_attempts to stop at")
    return AsyncRetrying(
        stop=stop_any(*stops),
        wait=wait_exponential(multiplier=initial_backoff_ms / 1000, max=max_backoff_ms / 1000),
        retry=retry_if_exception(retriable),
        reraise=True,
    )


def index_retry_policy(settings: IndexSettings) -> AsyncRetrying:
    """The policy of every Elasticsearch request of the service: the index retry settings
    (`WIREWATCH_INDEX__RETRY_*`)."""
    return retry_policy(
        initial_backoff_ms=settings.retry_initial_backoff_ms,
        max_backoff_ms=settings.retry_max_backoff_ms,
        deadline_s=settings.retry_deadline_s,
    )
