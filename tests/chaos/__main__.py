"""`python -m tests.chaos`: the fault suite (`make chaos`).

Starts a Kafka and an Elasticsearch of its own (ports 28092 and 28200, state in
.wirewatch/chaos-stack), runs each scenario against real `wirewatch run` processes, prints
one line per scenario and writes the figures as JSON. Exits 1 if any scenario lost,
doubled or left something undone.
"""

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from tests.chaos.corpus import build
from tests.chaos.harness import ROOT, ChaosStack, Outcome, Ports, Run
from tests.chaos.proxy import ThrottlingProxy
from tests.chaos.report import table
from tests.chaos.scenarios import SCENARIOS, SIZES, Size
from tests.chaos.webhook import WebhookReceiver


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="ci",
                        help="full: 5,000 articles, ES down 60 s, webhook down 2 min; "
                             "ci: 1,200, 30 s, 45 s; smoke: 300, 15 s, 20 s")  # fmt: skip
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only these (repeatable); default: all")  # fmt: skip
    parser.add_argument("--out", type=Path, help="JSON results (default: benchmarks/results/)")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".wirewatch" / "chaos-stack")
    parser.add_argument("--keep-stack", action="store_true",
                        help="leave the chaos stack running (and its data) afterwards")  # fmt: skip
    return parser.parse_args()


async def _scenario(stack: ChaosStack, name: str, size: Size, log_dir: Path) -> Outcome:
    corpus = build(size.articles)
    ports = stack.ports
    proxy = webhook = None
    es_url = None
    if name == "throttled":
        proxy = ThrottlingProxy(
            stack.index.elasticsearch_url, ports.proxy, share=size.throttle_share
        )
        await proxy.start()
        es_url = f"http://127.0.0.1:{ports.proxy}"
    if name == "webhook-down":
        webhook = WebhookReceiver(ports.webhook)
        await webhook.up()
    run = Run(stack, name, size.name, corpus, rate_per_s=size.rate_per_s,
              settle_timeout_s=size.settle_timeout_s, log_dir=log_dir,
              elasticsearch_url=es_url, webhook=webhook)  # fmt: skip
    try:
        # A scenario before may have left a server stopped or frozen for good.
        await stack.up()
        outcome = await run.execute(SCENARIOS[name](size))
    finally:
        if proxy is not None:
            run.throttled_items = proxy.stats.throttled
            await proxy.stop()
        if webhook is not None:
            await webhook.down()
    if proxy is not None:
        outcome.throttled_items = proxy.stats.throttled
    return outcome


async def main() -> int:
    arguments = _arguments()
    # The harness's own producer retries through the outages it causes: not news.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    size = SIZES[arguments.size]
    names = arguments.scenario or list(SCENARIOS)
    stack = ChaosStack(arguments.state_dir, Ports())
    log_dir = arguments.state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = arguments.out or ROOT / "benchmarks" / "results" / f"chaos-{size.name}-{stamp}.json"
    outcomes: list[Outcome] = []
    print(f"chaos: {size.name} size, {len(names)} scenario(s); stack in {arguments.state_dir}, "
          f"service logs in {log_dir}", flush=True)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    await stack.up()
    try:
        for name in names:
            print(f"chaos: {name} ...", flush=True)
            outcome = await _scenario(stack, name, size, log_dir)
            outcomes.append(outcome)
            print(table([outcome], header=False), flush=True)
            if outcome.problems:
                print(f"  problems: {'; '.join(outcome.problems)}", flush=True)
            # Written after each scenario: a run cut short keeps what it measured.
            results = {"size": vars(size), "machine": _machine(),
                       "scenarios": [outcome.as_dict() for outcome in outcomes]}  # fmt: skip
            out.write_text(json.dumps(results, indent=2) + "\n")
    finally:
        if not arguments.keep_stack:
            await stack.down(purge=True)
    print()
    print(table(outcomes))
    print(f"\nchaos: figures written to {out}")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def _machine() -> dict[str, object]:
    import os
    import platform

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}  # fmt: skip


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
