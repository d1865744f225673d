"""The one retry policy: what it tries again, and when it gives up."""

import pytest

from contracts import WirewatchError
from index import retry_policy
from index.retry import StillPending, retriable


async def attempts_until_done(policy_attempts: int, errors: list[BaseException]) -> int:
    """Runs an attempt that raises each of `errors` in turn, then succeeds; counts tries."""
    tries = 0
    async for attempt in retry_policy(
        initial_backoff_ms=0, max_backoff_ms=0, max_attempts=policy_attempts
    ):
        with attempt:
            tries += 1
            if errors:
                raise errors.pop(0)
    return tries


def test_retriable_errors_and_pending_items_are_worth_another_try() -> None:
    assert retriable(WirewatchError("429", retriable=True))
    assert retriable(StillPending("2 document(s) still pending"))
    assert not retriable(WirewatchError("400: mapper_parsing_exception"))
    assert not retriable(ValueError("a bug"))


async def test_a_retriable_error_is_tried_again_until_it_passes() -> None:
    errors: list[BaseException] = [WirewatchError("down", retriable=True), StillPending("1")]
    assert await attempts_until_done(5, errors) == 3


async def test_a_final_error_is_raised_at_once() -> None:
    with pytest.raises(WirewatchError, match="refused"):
        await attempts_until_done(5, [WirewatchError("refused")])


async def test_past_the_attempts_the_last_error_is_raised_itself() -> None:
    errors: list[BaseException] = [StillPending(str(n)) for n in range(3)]
    with pytest.raises(StillPending, match="1"):
        await attempts_until_done(2, errors)


def test_a_policy_needs_somewhere_to_stop() -> None:
    with pytest.raises(ValueError, match="deadline_s or max_attempts"):
        retry_policy(initial_backoff_ms=0, max_backoff_ms=0)
