"""The machinery of the fault scenarios: a stack of their own, real `wirewatch run`
processes, a steady stream of articles, and the final count by id."""

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_scan

from index import IndexSettings, connect
from ingest import KafkaSettings, client_options, ensure_topics, message_key
from tests.chaos.corpus import RULE_MARKERS, Corpus
from tests.chaos.tally import IndexedDocument, RecordedAlert, Tally, tally
from tests.chaos.webhook import WebhookReceiver
from tools.stack import LocalStack
from wirewatch.settings import Settings, StackSettings

ROOT = Path(__file__).resolve().parents[2]
_INDEXED = re.compile(rb"^wirewatch_articles_indexed_total (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Ports:
    """The chaos stack's own ports, apart from the test stack's (19092, 19200), and below
    the ephemeral range (32768+), where an outgoing connection may hold a port a listener
    wants."""

    kafka: int = 28092
    elasticsearch: int = 28200
    proxy: int = 28250
    webhook: int = 28260
    first_instance: int = 28270


class ChaosStack:
    """Kafka and Elasticsearch of the fault suite: `tools.stack` on ports and a state
    folder of their own, which the scenarios stop, freeze and restart."""

    def __init__(self, state_dir: Path, ports: Ports) -> None:
        self.ports = ports
        self.state_dir = state_dir
        self.kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{ports.kafka}")
        self.index = IndexSettings(elasticsearch_url=f"http://127.0.0.1:{ports.elasticsearch}")
        self.settings = Settings(kafka=self.kafka, index=self.index,
                                 stack=StackSettings(state_dir=state_dir))  # fmt: skip
        self.local = LocalStack(self.settings)

    async def up(self, *names: str) -> None:
        await asyncio.to_thread(self.local.up, names or None)

    async def down(self, *names: str, purge: bool = False) -> None:
        await asyncio.to_thread(self.local.down, names or None, purge=purge)

    def pid(self, name: str) -> int:
        for status in self.local.status():
            if status.name == name and status.pid:
                return status.pid
        raise RuntimeError(f"{name} of the chaos stack is not running")

    def signal(self, name: str, signum: signal.Signals) -> None:
        """Sends `signum` to the server's whole process group (Elasticsearch's launcher
        runs the server JVM as a child)."""
        os.killpg(self.pid(name), signum)


def _read_peak_rss_kb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


@dataclass
class Instance:
    """One `python -m wirewatch run` process, restarted like a supervisor would if it exits
    without being told to (each such exit is counted: it is a failure)."""

    name: str
    env: dict[str, str]
    http_port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    peak_rss_kb: int = 0
    starts: int = 0
    unexpected_exits: list[str] = field(default_factory=list)
    _expected_exit: bool = False
    _watcher: asyncio.Task[None] | None = None
    indexed_seen: float = 0.0

    async def start(self) -> None:
        self._expected_exit = False
        self.starts += 1
        self.indexed_seen = 0.0
        log = self.log_path.open("ab")
        log.write(f"--- start {self.starts} at {time.time():.3f}\n".encode())
        log.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wirewatch", "run", cwd=ROOT, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self._watcher = asyncio.create_task(self._watch(self.process))

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if self._expected_exit or process is not self.process:
            return
        tail = self.log_path.read_text(errors="replace").splitlines()[-3:]
        self.unexpected_exits.append(f"exit {code} at {time.time():.0f}: {' | '.join(tail)}")
        await asyncio.sleep(1.0)
        if not self._expected_exit and process is self.process:
            await self.start()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def sample(self) -> None:
        if self.alive and self.process is not None:
            rss = _read_peak_rss_kb(self.process.pid)
            if rss:
                self.peak_rss_kb = max(self.peak_rss_kb, rss)

    async def wait_ready(self, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await asyncio.to_thread(_get, f"http://127.0.0.1:{self.http_port}/readyz"):
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.name} did not become ready in {timeout_s:.0f} s")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no commit."""
        await self._end(signal.SIGKILL)

    async def terminate(self, timeout_s: float = 90) -> None:
        """SIGTERM, as a clean stop or a scale-down does."""
        await self._end(signal.SIGTERM, timeout_s)

    async def _end(self, signum: signal.Signals, timeout_s: float = 30) -> None:
        self._expected_exit = True
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.sample()
        process.send_signal(signum)
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            self.unexpected_exits.append(f"did not stop within {timeout_s:.0f} s of {signum.name}")
            process.kill()
            await process.wait()

    async def indexed(self) -> float | None:
        """The process's wirewatch_articles_indexed_total, None when it does not answer."""
        body = await asyncio.to_thread(_get, f"http://127.0.0.1:{self.http_port}/metrics")
        if body is None:
            return None
        match = _INDEXED.search(body)
        return float(match.group(1)) if match else 0.0


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own port)
            return bytes(response.read()) if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


@dataclass
class Fault:
    """A fault from its start to the moment things were restored; `recover_s` runs from
    then to the first article indexed (or, for a webhook, the first alert received)."""

    name: str
    started_at: float
    ended_at: float | None = None
    recover_s: float | None = None
    recovered_by: str = "indexing"


class Stream:
    """Publishes the corpus at a steady rate, resending what an outage refused."""

    def __init__(self, kafka: KafkaSettings, topic: str, corpus: Corpus, rate_per_s: float):
        self.kafka = kafka
        self.topic = topic
        self.corpus = corpus
        self.rate_per_s = rate_per_s
        self.produced = 0
        self.sends = 0
        self.done = asyncio.Event()
        self._progress = asyncio.Condition()

    async def reached(self, share: float) -> None:
        """Waits until `share` of the corpus is published."""
        target = int(share * len(self.corpus.messages))
        async with self._progress:
            await self._progress.wait_for(lambda: self.produced >= target)

    async def run(self) -> None:
        step_s = 0.2
        chunk = max(1, round(self.rate_per_s * step_s))
        messages = self.corpus.messages
        producer = await self._producer()
        try:
            next_at = time.monotonic()
            while self.produced < len(messages):
                part = messages[self.produced : self.produced + chunk]
                while True:
                    try:
                        pending = [
                            await producer.send(
                                self.topic, value=message.value, key=message_key(message.value)
                            )
                            for message in part
                        ]
                        self.sends += len(part)
                        await asyncio.gather(*pending)
                        break
                    except KafkaError:
                        # The broker is away: send the chunk again once it is back (a copy
                        # already accepted then travels twice, as with any producer retry).
                        await producer.stop()
                        await asyncio.sleep(1.0)
                        producer = await self._producer()
                async with self._progress:
                    self.produced += len(part)
                    self._progress.notify_all()
                next_at += step_s
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            await producer.stop()
            self.done.set()

    async def _producer(self) -> AIOKafkaProducer:
        while True:
            producer = AIOKafkaProducer(
                **client_options(self.kafka), acks="all", enable_idempotence=True,
                linger_ms=10,
            )  # fmt: skip
            try:
                await producer.start()
            except KafkaError:
                await producer.stop()
                await asyncio.sleep(1.0)
                continue
            return producer


@dataclass
class Names:
    """Topics, group and indices of one scenario run."""

    topic: str
    dead_letter_topic: str
    group: str
    alias: str
    rules_index: str
    alerts_index: str
    alerts_topic: str

    @classmethod
    def fresh(cls, scenario: str) -> "Names":
        suffix = f"{scenario}-{uuid.uuid4().hex[:6]}"
        return cls(
            topic=f"chaos.{suffix}",
            dead_letter_topic=f"chaos.{suffix}.dlq",
            group=f"chaos-{suffix}",
            alias=f"chaos-articles-{suffix}",
            rules_index=f"chaos-rules-{suffix}",
            alerts_index=f"chaos-alerts-{suffix}",
            alerts_topic=f"chaos.{suffix}.alerts",
        )


@dataclass
class Outcome:
    """What one scenario printed and wrote."""

    scenario: str
    size: str
    tally: Tally
    faults: list[Fault]
    settle_s: float | None
    peak_rss_mb: float
    unexpected_exits: list[str]
    lag_at_end: int | None
    throttled_items: int | None
    problems: list[str]
    wall_s: float

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def recover(self) -> list[float | None]:
        return [fault.recover_s for fault in self.faults]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "size": self.size,
            "passed": self.passed,
            "problems": self.problems,
            "counts": self.tally.as_dict(),
            "faults": [vars(fault) for fault in self.faults],
            "recover_s": [fault.recover_s for fault in self.faults],
            "settle_s": self.settle_s,
            "peak_rss_mb": self.peak_rss_mb,
            "unexpected_exits": self.unexpected_exits,
            "lag_at_end": self.lag_at_end,
            "throttled_items": self.throttled_items,
            "wall_s": self.wall_s,
        }


class Run:
    """One scenario's run: its names, instances, stream, faults and final count."""

    def __init__(
        self,
        stack: ChaosStack,
        scenario: str,
        size: str,
        corpus: Corpus,
        *,
        rate_per_s: float,
        settle_timeout_s: float,
        log_dir: Path,
        elasticsearch_url: str | None = None,
        webhook: WebhookReceiver | None = None,
    ) -> None:
        self.stack = stack
        self.scenario = scenario
        self.size = size
        self.corpus = corpus
        self.names = Names.fresh(scenario)
        self.settle_timeout_s = settle_timeout_s
        self.log_dir = log_dir
        self.service_es_url = elasticsearch_url or stack.index.elasticsearch_url
        self.webhook = webhook
        self.stream = Stream(stack.kafka, self.names.topic, corpus, rate_per_s)
        self.instances: list[Instance] = []
        self.faults: list[Fault] = []
        self.progress_at: list[float] = []
        self.rule_markers: dict[str, str] = {}
        self.throttled_items: int | None = None
        self._stream_task: asyncio.Task[None] | None = None

    def env(self, http_port: int) -> dict[str, str]:
        names = self.names
        own = {
            "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS": self.stack.kafka.bootstrap_servers,
            "WIREWATCH_INDEX__ELASTICSEARCH_URL": self.service_es_url,
            "WIREWATCH_INDEX__ALIAS": names.alias,
            "WIREWATCH_INGEST__TOPIC": names.topic,
            "WIREWATCH_INGEST__DEAD_LETTER_TOPIC": names.dead_letter_topic,
            "WIREWATCH_INGEST__GROUP_ID": names.group,
            "WIREWATCH_INGEST__TOPIC_PARTITIONS": "4",
            "WIREWATCH_ALERTS__RULES_INDEX": names.rules_index,
            "WIREWATCH_ALERTS__ALERTS_INDEX": names.alerts_index,
            "WIREWATCH_ALERTS__ALERTS_TOPIC": names.alerts_topic,
            # The webhook receiver listens on loopback, which the egress policy refuses.
            "WIREWATCH_ALERTS__WEBHOOK_ALLOWED_DESTINATIONS": '["127.0.0.1"]',
            "WIREWATCH_SERVICE__HTTP_PORT": str(http_port),
            "WIREWATCH_SERVICE__LOG_FORMAT": "json",
            "WIREWATCH_STACK__STATE_DIR": str(self.stack.state_dir),
            "PYTHONPATH": str(ROOT),
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        return {**inherited, **own}

    def instance(self, number: int) -> Instance:
        """The scenario's `number`-th instance (0-based), made on first use."""
        while len(self.instances) <= number:
            position = len(self.instances)
            port = self.stack.ports.first_instance + position
            self.instances.append(
                Instance(
                    name=f"{self.scenario}-{position}",
                    env=self.env(port),
                    http_port=port,
                    log_path=self.log_dir / f"{self.names.group}-{position}.log",
                )
            )
        return self.instances[number]

    @contextlib.asynccontextmanager
    async def fault(self, name: str, recovered_by: str = "indexing") -> AsyncIterator[Fault]:
        """Times a fault: from entering the block to leaving it (things restored)."""
        fault = Fault(name, time.time(), recovered_by=recovered_by)
        self.faults.append(fault)
        try:
            yield fault
        finally:
            fault.ended_at = time.time()

    async def prepare(self) -> None:
        await ensure_topics(
            self.stack.kafka,
            [self.names.topic, self.names.dead_letter_topic, self.names.alerts_topic],
            partitions=4,
            replication_factor=1,
        )
        webhook = ["--webhook", self.webhook.url] if self.webhook is not None else []
        env = self.env(0)
        env["WIREWATCH_INDEX__ELASTICSEARCH_URL"] = self.stack.index.elasticsearch_url
        for marker in RULE_MARKERS:
            done = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "wirewatch", "rules", "add", "--name", f"chaos {marker}",
                "--query", f"body:{marker}", *webhook, cwd=ROOT, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await done.communicate()
            if done.returncode != 0:
                raise RuntimeError(f"rules add failed: {err.decode()}")
            self.rule_markers[out.decode().strip().splitlines()[-1]] = marker

    def start_stream(self) -> None:
        """Starts publishing the corpus in the background."""
        self._stream_task = asyncio.create_task(self.stream.run())

    async def monitor(self) -> None:
        """Samples peak RSS, and notes each moment an instance indexed something new."""
        while True:
            for instance in self.instances:
                instance.sample()
                count = await instance.indexed() if instance.alive else None
                if count is not None and count > instance.indexed_seen:
                    instance.indexed_seen = count
                    self.progress_at.append(time.time())
            await asyncio.sleep(0.5)

    async def execute(self, script: Callable[["Run"], Awaitable[None]]) -> Outcome:
        """Prepares, runs `script` (which starts instances and the stream, and injects the
        faults), waits for the stream to settle, stops everything and counts."""
        started = time.time()
        await self.prepare()
        monitor = asyncio.create_task(self.monitor())
        aborted: str | None = None
        settle_s: float | None = None
        lag: int | None = None
        try:
            try:
                await script(self)
                if self._stream_task is not None:
                    await self._stream_task
                else:
                    aborted = "the scenario never started the stream"
            except Exception as error:  # noqa: BLE001 (reported: the count still tells)
                aborted = f"scenario script failed: {error!r}"
            else:
                stream_done = time.time()
                if await self.settle():
                    settle_s = time.time() - stream_done
                lag = await self.lag()
            for instance in self.instances:
                await instance.terminate()
        finally:
            monitor.cancel()
            if self._stream_task is not None:
                self._stream_task.cancel()
            for instance in self.instances:
                await instance.kill()
        for fault in self.faults:
            if fault.ended_at is not None:
                moments = self.progress_at
                if fault.recovered_by == "webhook" and self.webhook is not None:
                    moments = self.webhook.received_at
                after = [moment for moment in moments if moment >= fault.ended_at]
                fault.recover_s = round(after[0] - fault.ended_at, 1) if after else None
        counted = await self.count()
        problems = counted.problems(webhook=self.webhook is not None)
        if aborted:
            problems.insert(0, aborted)
        if settle_s is None:
            problems.append(f"not settled within {self.settle_timeout_s:.0f} s")
        exits = [exit for instance in self.instances for exit in instance.unexpected_exits]
        if exits:
            problems.append(f"unexpected exits: {len(exits)}")
        if lag:
            problems.append(f"consumer lag at the end: {lag}")
        return Outcome(
            scenario=self.scenario,
            size=self.size,
            tally=counted,
            faults=self.faults,
            settle_s=None if settle_s is None else round(settle_s, 1),
            peak_rss_mb=round(max((i.peak_rss_kb for i in self.instances), default=0) / 1024, 1),
            unexpected_exits=exits,
            lag_at_end=lag,
            throttled_items=self.throttled_items,
            problems=problems,
            wall_s=round(time.time() - started, 1),
        )

    async def settle(self) -> bool:
        """Waits until every valid article is indexed and every expected alert recorded and
        delivered, or the settle timeout passes."""
        deadline = time.monotonic() + self.settle_timeout_s
        want_docs = len(self.corpus.stories)
        want_alerts = len(self.corpus.expected_alerts())
        async with connect(self.stack.index) as client:
            tolerant = client.options(ignore_status=(404, 503), request_timeout=10)
            while time.monotonic() < deadline:
                with contextlib.suppress(Exception):
                    await tolerant.indices.refresh(
                        index=f"{self.names.alias}*,{self.names.alerts_index}"
                    )
                    docs = await tolerant.count(index=f"{self.names.alias}*")
                    alerts = await tolerant.count(index=self.names.alerts_index)
                    pending = await tolerant.count(
                        index=self.names.alerts_index,
                        query={"term": {"deliveries.state": "pending"}},
                    )
                    if (
                        docs.body.get("count", 0) >= want_docs
                        and alerts.body.get("count", 0) >= want_alerts
                        # Delivered or given up on: either is final.
                        and pending.body.get("count", 1) == 0
                        and await self.lag() == 0
                    ):
                        return True
                await asyncio.sleep(2.0)
        return False

    async def lag(self) -> int | None:
        """Messages of the articles topic not yet committed by the group."""
        admin = AIOKafkaAdminClient(**client_options(self.stack.kafka))
        consumer = AIOKafkaConsumer(**client_options(self.stack.kafka))
        try:
            await admin.start()
            await consumer.start()
            committed = await admin.list_consumer_group_offsets(self.names.group)
            partitions = [TopicPartition(self.names.topic, p) for p in range(4)]
            ends = await consumer.end_offsets(partitions)
        except KafkaError:
            return None
        finally:
            await admin.close()
            await consumer.stop()
        done: dict[int, int] = {tp.partition: int(meta.offset) for tp, meta in committed.items()
                                if tp.topic == self.names.topic}  # fmt: skip
        return sum(int(end) - max(0, done.get(tp.partition, 0)) for tp, end in ends.items())

    async def count(self) -> Tally:
        documents: list[IndexedDocument] = []
        alerts: list[RecordedAlert] = []
        async with connect(self.stack.index) as client:
            await client.options(ignore_status=404).indices.refresh(
                index=f"{self.names.alias}*,{self.names.alerts_index}"
            )
            async for hit in _scan(client, f"{self.names.alias}*", version=True,
                                   _source_includes=["id", "story_id"]):  # fmt: skip
                source = hit.get("_source", {})
                documents.append(
                    IndexedDocument(
                        article_id=str(source.get("id", hit["_id"])),
                        doc_id=hit["_id"],
                        index=hit["_index"],
                        version=int(hit.get("_version", 1)),
                        story_id=source.get("story_id"),
                    )
                )
            async for hit in _scan(client, self.names.alerts_index):
                source = hit["_source"]
                alerts.append(
                    RecordedAlert(
                        alert_id=hit["_id"],
                        rule_id=source["rule_id"],
                        article_id=source["article_id"],
                        story_id=source["story_id"],
                        delivery_states=tuple(d["state"] for d in source.get("deliveries", [])),
                    )
                )
        dead_letters = [m.value for m in await self.read(self.names.dead_letter_topic)]
        kafka_alerts = [json.loads(m.value)["id"] for m in await self.read(self.names.alerts_topic)]
        return tally(
            self.corpus,
            self.stream.produced,
            documents,
            alerts,
            self.rule_markers,
            dead_letters,
            kafka_alerts,
            Counter(self.webhook.deliveries) if self.webhook is not None else None,
        )

    async def read(self, topic: str) -> list[Any]:
        """Every message of `topic`, from the start to its current end."""
        consumer = AIOKafkaConsumer(
            **client_options(self.stack.kafka), enable_auto_commit=False,
            auto_offset_reset="earliest",
        )  # fmt: skip
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(4)]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            messages: list[Any] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                positions = {tp: await consumer.position(tp) for tp in ends}
                if all(positions[tp] >= end for tp, end in ends.items()):
                    break
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    messages.extend(records)
            return messages
        finally:
            await consumer.stop()


async def _scan(client: AsyncElasticsearch, index: str, **kwargs: Any) -> AsyncIterator[Any]:
    exists = await client.options(ignore_status=404).indices.exists(index=index)
    if not exists:
        return
    async for hit in async_scan(client, index=index, query={"query": {"match_all": {}}},
                                size=1000, **kwargs):  # fmt: skip
        yield hit
