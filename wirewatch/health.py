"""Whether the service is alive and ready: start-up waits, readiness probes, the stall watch.

Readiness is about the dependencies: while Elasticsearch or Kafka is down (or start-up is
still waiting for it) the service is not ready, and says which one and why. Liveness is
about the service itself: it is alive unless its sink is wedged, that is a batch of
consumed records has been in hand for longer than any step of it may legitimately take.
An outage is not a wedge (every call to a dependency has a deadline, so attempts keep
ending), and restarting a pod does not end an outage: liveness stays green through one.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict

from contracts import WirewatchError

log = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[None]]


def backoff_s(attempt: int, initial_s: float, max_s: float) -> float:
    """The wait after failed try number `attempt` (from 1): `initial_s`, doubled per try,
    at most `max_s`."""
    return float(min(max_s, initial_s * 2 ** min(attempt - 1, 62)))


class DependencyState(BaseModel):
    """One dependency as the last probe or start-up attempt found it."""

    model_config = ConfigDict(frozen=True)

    up: bool
    reason: str | None = None


class ReadinessReport(BaseModel):
    """What /readyz answers."""

    model_config = ConfigDict(frozen=True)

    starting: str | None
    dependencies: dict[str, DependencyState]

    @property
    def ready(self) -> bool:
        return self.starting is None and all(state.up for state in self.dependencies.values())

    def body(self) -> dict[str, Any]:
        """The JSON body: status, each dependency's state, and the start-up step under way."""
        status = "ready" if self.ready else "starting" if self.starting else "unavailable"
        body: dict[str, Any] = {
            "status": status,
            "dependencies": {
                name: {"status": "up"} if state.up else {"status": "down", "reason": state.reason}
                for name, state in sorted(self.dependencies.items())
            },
        }
        if self.starting is not None:
            body["starting"] = self.starting
        return body


async def probe(check: Check, timeout_s: float) -> DependencyState:
    """Runs one check; down with the reason when it fails or does not answer in time."""
    try:
        async with asyncio.timeout(timeout_s):
            await check()
    except TimeoutError:
        return DependencyState(up=False, reason=f"no answer within {timeout_s * 1000:.0f} ms")
    except WirewatchError as error:
        return DependencyState(up=False, reason=str(error))
    except Exception as error:  # noqa: BLE001 (a probe answers; a bug in a check is "down")
        return DependencyState(up=False, reason=f"{type(error).__name__}: {error}")
    return DependencyState(up=True)


class Readiness:
    """The dependencies' checks and the start-up's progress, for /readyz.

    During start-up a dependency being waited for is reported down with the reason of its
    last failed attempt, without probing it again; once available its check is probed.
    """

    def __init__(
        self,
        probe_timeout_s: float,
        on_probe: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.probe_timeout_s = probe_timeout_s
        self._on_probe = on_probe
        self._checks: dict[str, Check] = {}
        self._waiting: dict[str, str] = {}
        self._starting: str | None = "starting"

    def step(self, what: str) -> None:
        """Names the start-up step under way (e.g. 'loading the enrichment model')."""
        self._starting = what

    def started(self) -> None:
        """Start-up is over: ready as soon as every dependency answers."""
        self._starting = None

    def add(self, name: str, check: Check) -> None:
        """Probes `check` for the dependency `name` from now on."""
        self._checks[name] = check

    def waiting(self, name: str, reason: str) -> None:
        """Start-up is waiting for `name`, which failed with `reason`."""
        self._waiting[name] = reason
        self._observe(name, up=False)

    def available(self, name: str) -> None:
        """Start-up found `name` available."""
        self._waiting.pop(name, None)
        self._observe(name, up=True)

    async def report(self) -> ReadinessReport:
        """Probes every dependency at once; ends within the probe timeout (and a little)."""
        probed = {name: check for name, check in self._checks.items() if name not in self._waiting}
        states = await asyncio.gather(
            *(probe(check, self.probe_timeout_s) for check in probed.values())
        )
        dependencies = dict(zip(probed, states, strict=True))
        for name, state in dependencies.items():
            self._observe(name, up=state.up)
        for name, reason in self._waiting.items():
            dependencies[name] = DependencyState(up=False, reason=reason)
        return ReadinessReport(starting=self._starting, dependencies=dependencies)

    def _observe(self, name: str, *, up: bool) -> None:
        if self._on_probe is not None:
            self._on_probe(name, up)


async def wait_for(
    name: str,
    attempt: Callable[[], Awaitable[None]],
    *,
    stop: asyncio.Event,
    readiness: Readiness,
    initial_backoff_s: float,
    max_backoff_s: float,
) -> bool:
    """Tries `attempt` until it succeeds, with capped exponential backoff between tries.

    Returns True once it succeeded, False if `stop` was set first (an attempt in flight is
    then abandoned). A failure that is not retriable is raised: waiting cannot fix it.
    Logs when the kind of failure changes, not at every try, and when `name` is back.
    """
    began = time.monotonic()
    tries = 0
    logged: str | None = None
    while True:
        tries += 1
        try:
            if not await _unless_stopped(attempt(), stop):
                return False
        except WirewatchError as error:
            if not error.retriable:
                raise
            reason = str(error)
            readiness.waiting(name, reason)
            delay = backoff_s(tries, initial_backoff_s, max_backoff_s)
            kind = type(error.__cause__ or error).__name__
            if kind != logged:
                log.warning(f"waiting for {name}", reason=reason, attempt=tries,
                            next_try_in_s=round(delay, 3))  # fmt: skip
                logged = kind
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return False
            continue
        readiness.available(name)
        if tries > 1:
            log.info(f"{name} is available", attempts=tries,
                     waited_s=round(time.monotonic() - began, 1))  # fmt: skip
        return True


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Runs `work` to its end and says True, or cancels it and says False once `stop` is set."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        return False
    task.result()
    return True


class SinkState(BaseModel):
    """What /healthz says about the sink."""

    model_config = ConfigDict(frozen=True)

    status: Literal["idle", "working", "stalled"]
    records_in_hand: int
    batch_age_s: float
    last_settled_s_ago: float | None
    stall_timeout_s: float


class SinkWatch:
    """Watches the batch in hand: stalled once one attempt at it has lasted past the timeout.

    The loop calls `took` when it starts working on a batch of consumed records and
    `settled` when that attempt ends, indexed and committed or failed. Every step of an
    attempt has a deadline (Elasticsearch calls, Kafka requests, bounded enrichment), so
    one that runs past `stall_timeout_s` is a wedged loop, which a restart can unstick. An
    outage makes attempts fail and end: it is not a stall.
    """

    def __init__(self, stall_timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_timeout_s = stall_timeout_s
        self._clock = clock
        self._in_hand = 0
        self._since: float | None = None
        self._settled_at: float | None = None

    def took(self, records: int) -> None:
        """An attempt at a batch of `records` consumed records begins."""
        self._in_hand = records
        self._since = self._clock()

    def settled(self, *, done: bool) -> None:
        """The attempt ended; `done` when its records were indexed or dead-lettered."""
        self._in_hand = 0
        self._since = None
        if done:
            self._settled_at = self._clock()

    def batch_age_s(self) -> float:
        """How long the attempt in hand has lasted (0 without one)."""
        return 0.0 if self._since is None else max(0.0, self._clock() - self._since)

    def stalled(self) -> bool:
        """Whether the attempt in hand has lasted longer than the stall timeout."""
        return self._since is not None and self.batch_age_s() > self.stall_timeout_s

    def state(self) -> SinkState:
        """The sink as /healthz reports it."""
        status: Literal["idle", "working", "stalled"] = (
            "stalled" if self.stalled() else "working" if self._since is not None else "idle"
        )
        settled = None if self._settled_at is None else self._clock() - self._settled_at
        return SinkState(
            status=status,
            records_in_hand=self._in_hand,
            batch_age_s=round(self.batch_age_s(), 3),
            last_settled_s_ago=None if settled is None else round(settled, 3),
            stall_timeout_s=self.stall_timeout_s,
        )
