"""`wirewatch bench` (`make bench`): P1-P5 of the service on the servers of the WIREWATCH_*
environment, printed and written as JSON so that commits can be compared.

- articles.py: the real-length articles, built from the corpus (pure)
- report.py: the figures as a model, percentiles, the printed lines (pure)
- servers.py: the benchmark's own topics, indices and rules; producing, counting, cleaning up
- process.py: the service as processes of their own, and their resident memory
- passthrough.py: the service with a pass-through enricher (P2)
- baselines.py: bare nlp.pipe, raw aiokafka getmany, raw async_streaming_bulk
- measure.py: each part against the running service
"""

import logging
import platform
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from enrich import default_workers
from tools.bench.articles import ROOT, bench_article, bench_articles, excerpts
from tools.bench.measure import (
    latency,
    memory,
    pass_through,
    scaling,
    throughput,
)
from tools.bench.report import BenchReport, ScalePoint, percentile, summary
from wirewatch.settings import Settings

PARTS = ("p1", "p2", "p3", "p4", "p5")
RESULTS = ROOT / "benchmarks" / "results"


class BenchOptions(BaseModel):
    """What to measure, and how much of it."""

    model_config = ConfigDict(frozen=True)

    parts: tuple[str, ...] = PARTS
    articles: int = Field(default=1_000, gt=0, description="Backlog of P1 and P5 runs.")
    pass_through_articles: int = Field(default=20_000, gt=0, description="Backlog of P2.")
    memory_articles: int = Field(default=20_000, gt=0, description="Backlog of P4.")
    workers: tuple[int, ...] = Field(default=(), description="P5's worker counts; () 1..CPUs.")
    rules: int = Field(default=1_000, gt=0, description="Rules loaded for P3.")
    latency_seconds: float = Field(default=30, gt=0)
    latency_rate_per_s: float | None = Field(
        default=None, description="P3's load; None: half of P1's measured rate."
    )
    out: Path | None = None


def default_out(started: datetime) -> Path:
    """benchmarks/results/bench-<UTC timestamp>.json"""
    return RESULTS / f"bench-{started:%Y%m%dT%H%M%SZ}.json"


def _commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH)
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None


async def run_bench(
    settings: Settings, options: BenchOptions, say: Callable[[str], None] = print
) -> tuple[BenchReport, Path]:
    """Measures the chosen parts in turn, says each figure as it comes, writes the JSON."""
    # The figures are the output: the clients' own chatter would bury them.
    logging.getLogger().setLevel(logging.WARNING)
    started = datetime.now(UTC)
    report = BenchReport(
        started_at=started.isoformat(timespec="seconds"),
        machine=f"{platform.node()} {platform.machine()} {platform.processor() or ''}".strip(),
        cpus=default_workers(),
        model=settings.enrich.model,
        commit=_commit(),
    )

    def done(**part: object) -> None:
        nonlocal report
        report = report.model_copy(update=part)
        say(summary(report)[-1])

    say(summary(report)[0])
    if "p1" in options.parts:
        done(p1_throughput=await throughput(settings, options.articles))
    if "p2" in options.parts:
        done(p2_pass_through=await pass_through(settings, options.pass_through_articles))
    if "p3" in options.parts:
        rate = options.latency_rate_per_s
        if rate is None:
            if report.p1_throughput is None:
                raise ValueError("P3 runs at half of P1's rate: run P1 too, or give the rate")
            rate = report.p1_throughput.service_per_s / 2
        done(p3_latency=await latency(settings, rate, options.latency_seconds, options.rules))
    if "p4" in options.parts:
        done(p4_memory=await memory(settings, options.memory_articles))
    if "p5" in options.parts:
        p1 = report.p1_throughput
        known = None if p1 is None else ScalePoint(
            workers=None, replicas=1, articles=p1.articles, per_s=p1.service_per_s
        )  # fmt: skip
        workers = options.workers or tuple(range(1, default_workers() + 1))
        points = await scaling(settings, options.articles, workers, known)
        report = report.model_copy(update={"p5_scaling": points})
        for line in summary(report)[-len(points) :]:
            say(line)
    out = options.out or default_out(started)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return report, out


__all__ = [
    "PARTS",
    "BenchOptions",
    "BenchReport",
    "bench_article",
    "bench_articles",
    "excerpts",
    "percentile",
    "run_bench",
    "summary",
]
