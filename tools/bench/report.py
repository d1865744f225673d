"""The figures of one `wirewatch bench` run (P1-P5), as JSON and as printed lines. Pure."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank value at `fraction` (0..1) of the sorted values; raises on none."""
    if not values:
        raise ValueError("no values to take a percentile of")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Throughput(_Figures):
    """P1: the service's end-to-end rate against bare spaCy with as many processes."""

    articles: int
    workers: int = Field(
        description="Enrichment processes of the service, and nlp.pipe's n_process."
    )
    service_per_s: float
    bare_pipe_per_s: float
    ratio: float


class PassThrough(_Figures):
    """P2: the service without enrichment against raw consumption and raw bulk indexing."""

    articles: int
    service_per_s: float
    raw_consume_per_s: float
    raw_bulk_per_s: float
    ratio: float


class Latency(_Figures):
    """P3: produce-to-searchable and produce-to-alert at a steady load, rules loaded."""

    rate_per_s: float
    seconds: float
    rules: int
    produced: int
    searchable: int
    alerted: int = Field(description="Alerts read: only the first copy of a story alerts.")
    searchable_p50_s: float | None
    searchable_p99_s: float | None
    alert_p50_s: float | None
    alert_p99_s: float | None


class Memory(_Figures):
    """P4: resident memory of all the service's processes during one long run."""

    articles: int
    processes: int
    rss_at_10pct_mb: float
    rss_at_100pct_mb: float
    growth_pct: float
    pss_at_10pct_mb: float | None = Field(description="Shared pages counted once (Linux).")
    pss_at_100pct_mb: float | None
    seconds: float


class ScalePoint(_Figures):
    """P5: one point of the scaling curve."""

    workers: int | None = Field(
        description="WIREWATCH_ENRICH__WORKERS; None: the service has none."
    )
    replicas: int
    articles: int
    per_s: float


class BenchReport(_Figures):
    """Everything one run measured, with what it ran on; parts left out are None."""

    started_at: str
    machine: str
    cpus: int
    model: str
    commit: str | None
    p1_throughput: Throughput | None = None
    p2_pass_through: PassThrough | None = None
    p3_latency: Latency | None = None
    p4_memory: Memory | None = None
    p5_scaling: list[ScalePoint] = Field(default_factory=list)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def summary(report: BenchReport) -> list[str]:
    """The report as lines to print, one figure each, with its target."""
    lines = [f"{report.machine}, {report.cpus} CPUs, model {report.model}, commit {report.commit}"]
    if (p1 := report.p1_throughput) is not None:
        lines.append(
            f"P1 {p1.articles} articles, {p1.workers} process(es): service "
            f"{p1.service_per_s:.1f}/s, bare nlp.pipe {p1.bare_pipe_per_s:.1f}/s, "
            f"ratio {p1.ratio:.2f} (target >= 0.9)"
        )
    if (p2 := report.p2_pass_through) is not None:
        lines.append(
            f"P2 {p2.articles} articles, pass-through: service {p2.service_per_s:.0f}/s, raw "
            f"getmany {p2.raw_consume_per_s:.0f}/s, raw bulk {p2.raw_bulk_per_s:.0f}/s, "
            f"ratio {p2.ratio:.2f} (target >= 0.8)"
        )
    if (p3 := report.p3_latency) is not None:
        lines.append(
            f"P3 {p3.rate_per_s:.1f}/s for {p3.seconds:.0f} s, {p3.rules} rules: searchable "
            f"{p3.searchable}/{p3.produced} p50 {_seconds(p3.searchable_p50_s)} p99 "
            f"{_seconds(p3.searchable_p99_s)} (target <= 1.5 s); alert ({p3.alerted}) p50 "
            f"{_seconds(p3.alert_p50_s)} p99 {_seconds(p3.alert_p99_s)} (target <= 1 s)"
        )
    if (p4 := report.p4_memory) is not None:
        lines.append(
            f"P4 {p4.articles} articles in {p4.seconds:.0f} s, {p4.processes} process(es): RSS "
            f"{p4.rss_at_10pct_mb:.0f} MB at 10%, {p4.rss_at_100pct_mb:.0f} MB at 100%, growth "
            f"{p4.growth_pct:+.1f}% (target <= 10%)"
        )
    for point in report.p5_scaling:
        workers = "default" if point.workers is None else str(point.workers)
        lines.append(
            f"P5 workers {workers}, replicas {point.replicas}: {point.per_s:.1f} articles/s "
            f"({point.articles} articles)"
        )
    return lines
