"""Probes, start-up waits and the stall watch, without any server."""

import asyncio
import time

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from contracts import WirewatchError
from wirewatch.health import (
    DependencyState,
    Readiness,
    ReadinessReport,
    SinkWatch,
    backoff_s,
    probe,
    wait_for,
)
from wirewatch.http import HealthServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def hang() -> None:
    await asyncio.Event().wait()


async def answer() -> None:
    return None


async def refuse() -> None:
    raise WirewatchError("Elasticsearch does not answer: connection refused", retriable=True)


def test_backoff_doubles_from_the_initial_wait_up_to_the_cap() -> None:
    assert [backoff_s(attempt, 0.5, 5.0) for attempt in range(1, 7)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        5.0,
        5.0,
    ]
    assert backoff_s(10_000, 0.5, 30.0) == 30.0


def test_ready_only_once_started_with_every_dependency_up() -> None:
    up = DependencyState(up=True)
    down = DependencyState(up=False, reason="refused")

    assert ReadinessReport(starting=None, dependencies={"a": up, "b": up}).ready
    assert not ReadinessReport(starting=None, dependencies={"a": up, "b": down}).ready
    assert not ReadinessReport(starting="loading the model", dependencies={"a": up}).ready


def test_the_body_names_each_dependency_and_why_it_is_down() -> None:
    report = ReadinessReport(
        starting=None,
        dependencies={
            "kafka": DependencyState(up=True),
            "elasticsearch": DependencyState(up=False, reason="no answer within 2000 ms"),
        },
    )

    assert report.body() == {
        "status": "unavailable",
        "dependencies": {
            "elasticsearch": {"status": "down", "reason": "no answer within 2000 ms"},
            "kafka": {"status": "up"},
        },
    }


async def test_a_hanging_check_is_down_within_the_timeout() -> None:
    began = time.monotonic()
    state = await probe(hang, 0.05)

    assert state == DependencyState(up=False, reason="no answer within 50 ms")
    assert time.monotonic() - began < 5


async def test_a_failing_check_is_down_with_its_reason() -> None:
    async def broken() -> None:
        raise KeyError("status")

    assert await probe(refuse, 1) == DependencyState(
        up=False, reason="Elasticsearch does not answer: connection refused"
    )
    assert await probe(broken, 1) == DependencyState(up=False, reason="KeyError: 'status'")
    assert await probe(answer, 1) == DependencyState(up=True)


async def test_dependencies_are_probed_at_once() -> None:
    # Each check answers only once all have started: probed one after the other, each
    # would wait for the next and time out.
    started = 0
    everyone = asyncio.Event()

    async def rendezvous() -> None:
        nonlocal started
        started += 1
        if started == 3:
            everyone.set()
        await everyone.wait()

    readiness = Readiness(probe_timeout_s=5)
    for name in ("elasticsearch", "kafka", "webhooks"):
        readiness.add(name, rendezvous)
    readiness.started()

    report = await readiness.report()

    assert report.ready, report


async def test_a_dependency_waited_for_at_start_is_down_with_the_reason() -> None:
    seen: list[tuple[str, bool]] = []
    readiness = Readiness(probe_timeout_s=1, on_probe=lambda name, up: seen.append((name, up)))
    readiness.add("elasticsearch", hang)  # not probed while start-up waits for it
    readiness.step("setting up the Elasticsearch index")
    readiness.waiting("elasticsearch", "connection refused")

    report = await readiness.report()

    assert report.body() == {
        "status": "starting",
        "starting": "setting up the Elasticsearch index",
        "dependencies": {"elasticsearch": {"status": "down", "reason": "connection refused"}},
    }
    readiness.available("elasticsearch")
    assert seen == [("elasticsearch", False), ("elasticsearch", True)]


async def test_start_up_waits_until_the_dependency_answers() -> None:
    readiness = Readiness(probe_timeout_s=1)
    tries = 0

    async def set_up() -> None:
        nonlocal tries
        tries += 1
        if tries < 4:
            await refuse()

    available = await wait_for(
        "elasticsearch",
        set_up,
        stop=asyncio.Event(),
        readiness=readiness,
        initial_backoff_s=0.001,
        max_backoff_s=0.002,
    )

    assert available
    assert tries == 4
    readiness.started()
    assert (await readiness.report()).ready


async def test_a_stop_ends_the_wait_even_during_a_hanging_attempt() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)

    available = await asyncio.wait_for(
        wait_for(
            "elasticsearch",
            hang,
            stop=stop,
            readiness=Readiness(probe_timeout_s=1),
            initial_backoff_s=0.001,
            max_backoff_s=0.001,
        ),
        timeout=10,
    )

    assert not available


async def test_a_stop_ends_the_wait_between_tries() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    readiness = Readiness(probe_timeout_s=1)

    available = await asyncio.wait_for(
        wait_for(
            "elasticsearch",
            refuse,
            stop=stop,
            readiness=readiness,
            initial_backoff_s=60,
            max_backoff_s=60,
        ),
        timeout=10,
    )

    assert not available
    body = (await readiness.report()).body()
    assert body["dependencies"]["elasticsearch"]["reason"].endswith("connection refused")


async def test_a_failure_waiting_cannot_fix_is_raised() -> None:
    async def forbidden() -> None:
        raise WirewatchError("could not set up the index: 403 security_exception")

    with pytest.raises(WirewatchError, match="403"):
        await wait_for("elasticsearch", forbidden, stop=asyncio.Event(),
                       readiness=Readiness(probe_timeout_s=1),
                       initial_backoff_s=0.001, max_backoff_s=0.001)  # fmt: skip


def test_the_sink_stalls_only_when_one_attempt_outlasts_the_timeout() -> None:
    clock = Clock()
    sink = SinkWatch(stall_timeout_s=60, clock=clock)
    assert sink.state().status == "idle"

    sink.took(25)
    clock.now += 60
    assert sink.state().status == "working"
    clock.now += 1
    state = sink.state()
    assert state.status == "stalled"
    assert state.records_in_hand == 25
    assert state.batch_age_s == 61

    sink.settled(done=True)
    clock.now += 5
    state = sink.state()
    assert state.status == "idle"
    assert state.records_in_hand == 0
    assert state.last_settled_s_ago == 5


def test_failed_attempts_that_end_are_no_stall() -> None:
    # An outage: each attempt fails within its deadline and the batch is tried again.
    clock = Clock()
    sink = SinkWatch(stall_timeout_s=60, clock=clock)
    for _ in range(10):
        sink.took(5)
        clock.now += 30
        assert not sink.stalled()
        sink.settled(done=False)
        clock.now += 10
    assert sink.state().status == "idle"
    assert sink.state().last_settled_s_ago is None


async def test_healthz_fails_while_the_sink_is_stalled() -> None:
    clock = Clock()
    sink = SinkWatch(stall_timeout_s=60, clock=clock)
    async with HealthServer(
        "127.0.0.1", 0, CollectorRegistry(), Readiness(probe_timeout_s=1), sink
    ) as server:
        url = f"http://127.0.0.1:{server.bound_port}/healthz"
        async with aiohttp.ClientSession() as session:
            sink.took(3)
            async with session.get(url) as response:
                assert response.status == 200
                assert (await response.json())["sink"]["status"] == "working"
            clock.now += 120
            async with session.get(url) as response:
                body = await response.json()
                assert response.status == 503
                assert body["status"] == "stalled"
                assert body["sink"]["records_in_hand"] == 3
                assert body["sink"]["batch_age_s"] == 120


async def test_readyz_answers_503_within_the_probe_timeout() -> None:
    readiness = Readiness(probe_timeout_s=0.2)
    readiness.add("elasticsearch", hang)
    readiness.add("kafka", answer)
    readiness.started()
    async with HealthServer("127.0.0.1", 0, CollectorRegistry(), readiness) as server:
        url = f"http://127.0.0.1:{server.bound_port}/readyz"
        async with aiohttp.ClientSession() as session:
            began = time.monotonic()
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                body = await response.json()
            took = time.monotonic() - began

    assert response.status == 503
    assert body["dependencies"] == {
        "elasticsearch": {"status": "down", "reason": "no answer within 200 ms"},
        "kafka": {"status": "up"},
    }
    assert took < 5  # 0.2 s expected; far below the 10 s the client would wait
