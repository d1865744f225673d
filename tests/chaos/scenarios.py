"""The fault scenarios: each starts the instances and the stream, and injects its faults."""

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.chaos.harness import Run


@dataclass(frozen=True)
class Size:
    """How big a run is: the stream, and how long the outages last."""

    name: str
    articles: int
    rate_per_s: float
    es_down_s: float
    webhook_down_s: float
    throttle_share: float
    settle_timeout_s: float


SIZES = {
    "smoke": Size("smoke", 300, 20, 15, 20, 0.2, 240),
    "ci": Size("ci", 1200, 30, 30, 45, 0.2, 300),
    "full": Size("full", 5000, 40, 60, 120, 0.2, 600),
}

Script = Callable[[Run], Awaitable[None]]


async def _one_ready(run: Run) -> None:
    instance = run.instance(0)
    await instance.start()
    await instance.wait_ready()
    run.start_stream()


def baseline(size: Size) -> Script:
    """No fault: what the same stream gives when nothing goes wrong."""

    async def script(run: Run) -> None:
        await _one_ready(run)

    return script


def sigkill(size: Size) -> Script:
    """(a) SIGKILL three times mid-stream, each time restarted at once, as a supervisor does."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        instance = run.instance(0)
        for share in (0.25, 0.5, 0.75):
            await run.stream.reached(share)
            async with run.fault(f"SIGKILL at {share:.0%}"):
                await instance.kill()
                await instance.start()

    return script


def es_stopped(size: Size) -> Script:
    """(b) Elasticsearch stopped mid-stream for `es_down_s`, then started on its data."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        await run.stream.reached(0.3)
        async with run.fault(f"Elasticsearch stopped {size.es_down_s:.0f} s"):
            await run.stack.down("elasticsearch")
            await asyncio.sleep(size.es_down_s)
            await run.stack.up("elasticsearch")

    return script


def es_frozen(size: Size) -> Script:
    """(b') Elasticsearch frozen (SIGSTOP) mid-stream: connections open, nothing answers."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        await run.stream.reached(0.3)
        async with run.fault(f"Elasticsearch frozen {size.es_down_s:.0f} s"):
            run.stack.signal("elasticsearch", signal.SIGSTOP)
            try:
                await asyncio.sleep(size.es_down_s)
            finally:
                run.stack.signal("elasticsearch", signal.SIGCONT)

    return script


def es_down_at_start(size: Size) -> Script:
    """(b'') Elasticsearch down when the service starts; started `es_down_s` later."""

    async def script(run: Run) -> None:
        await run.stack.down("elasticsearch")
        instance = run.instance(0)
        async with run.fault(f"Elasticsearch down at start, {size.es_down_s:.0f} s"):
            await instance.start()
            run.start_stream()
            await asyncio.sleep(size.es_down_s)
            await run.stack.up("elasticsearch")
        await instance.wait_ready()

    return script


def broker_restart(size: Size) -> Script:
    """(c) The Kafka broker stopped and started again on its data, mid-stream."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        await run.stream.reached(0.4)
        async with run.fault("broker restarted"):
            await run.stack.down("kafka")
            await run.stack.up("kafka")

    return script


def rebalance(size: Size) -> Script:
    """(d) A second instance joins, then leaves cleanly (1 -> 2 -> 1 on 4 partitions)."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        second = run.instance(1)
        await run.stream.reached(0.33)
        async with run.fault("second instance joins"):
            await second.start()
            await second.wait_ready()
        await run.stream.reached(0.66)
        async with run.fault("second instance leaves"):
            await second.terminate()

    return script


def throttled(size: Size) -> Script:
    """(e) 429 on a share of bulk items all along (through the throttling proxy)."""

    async def script(run: Run) -> None:
        await _one_ready(run)

    return script


def webhook_down(size: Size) -> Script:
    """(f) The rules' webhook down (connection refused) for `webhook_down_s`, mid-stream."""

    async def script(run: Run) -> None:
        await _one_ready(run)
        await run.stream.reached(0.3)
        receiver = run.webhook
        assert receiver is not None
        async with run.fault(f"webhook down {size.webhook_down_s:.0f} s", recovered_by="webhook"):
            await receiver.down()
            await asyncio.sleep(size.webhook_down_s)
            await receiver.up()

    return script


SCENARIOS: dict[str, Callable[[Size], Script]] = {
    "baseline": baseline,
    "sigkill": sigkill,
    "es-stopped": es_stopped,
    "es-frozen": es_frozen,
    "es-down-at-start": es_down_at_start,
    "broker-restart": broker_restart,
    "rebalance": rebalance,
    "throttled": throttled,
    "webhook-down": webhook_down,
}
