"""The pure parts of `wirewatch bench`: the articles it produces, its statistics and its JSON."""

import json
from datetime import UTC, datetime

import pytest

from index import build_document
from tools.bench import BenchReport, bench_articles, percentile, summary
from tools.bench.articles import MAX_WORDS, MIN_WORDS, excerpts
from tools.bench.measure import Sample, backlog_rate, first_at, steady_rate
from tools.bench.passthrough import PassThroughEnricher
from tools.bench.report import Latency, Memory, PassThrough, ScalePoint, Throughput


def test_articles_are_real_length_and_made_of_corpus_text() -> None:
    articles = bench_articles(20)
    pool = excerpts()
    assert len(pool) > 600
    for article in articles:
        assert MIN_WORDS <= len(article.body.split()) <= MAX_WORDS
        first_paragraph = article.body.split("\n\n")[0]
        assert any(" ".join(text.split()).startswith(first_paragraph) for text in pool)
    assert (
        len({article.id for article in articles})
        == len({article.body for article in articles})
        == 20
    )


def test_the_same_numbers_give_the_same_articles() -> None:
    assert bench_articles(5, first=100) == bench_articles(5, first=100)
    assert bench_articles(1, first=100)[0] != bench_articles(1, first=101)[0]


def test_percentile_takes_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_steady_rate_counts_from_the_first_sample_to_the_one_with_everything() -> None:
    samples = [Sample(0.0, 0), Sample(5.0, 40), Sample(10.0, 100), Sample(11.0, 100)]
    assert steady_rate(samples, 100) == 10.0
    with pytest.raises(ValueError, match="measure more"):
        steady_rate([Sample(0.0, 100)], 100)


def test_the_backlog_rate_counts_from_a_tenth_of_the_backlog_to_all_of_it() -> None:
    # Start-up takes 4 s and the first 5 articles; from the tenth on, 10 articles/s.
    samples = [Sample(0.0, 0), Sample(4.0, 5), Sample(5.0, 15), Sample(13.5, 100)]
    assert backlog_rate(samples, 100) == 10.0
    assert first_at(samples, 0.1, 100) == samples[2]
    # A backlog that goes through between two samples is timed over that interval.
    assert backlog_rate([Sample(0.0, 0), Sample(2.0, 0), Sample(2.5, 6)], 6) == 12.0


async def test_the_pass_through_enricher_gives_documents_the_index_takes() -> None:
    articles = bench_articles(3)
    results = await PassThroughEnricher().enrich(articles)
    documents = [build_document(result, None, datetime.now(UTC)) for result in results]  # type: ignore[arg-type]
    assert [document.id for document in documents] == [article.id for article in articles]
    assert all(document.language == "en" for document in documents)


def _report() -> BenchReport:
    return BenchReport(
        started_at="2026-12-06T18:00:00+00:00", machine="vm", cpus=2, model="m", commit="abc",
        p1_throughput=Throughput(
            articles=10, workers=1, service_per_s=9, bare_pipe_per_s=10, ratio=0.9
        ),
        p2_pass_through=PassThrough(
            articles=10, service_per_s=80, raw_consume_per_s=100, raw_bulk_per_s=200, ratio=0.8
        ),
        p3_latency=Latency(
            rate_per_s=4.5, seconds=10, rules=1000, produced=45, searchable=45, alerted=40,
            searchable_p50_s=0.5, searchable_p99_s=1.2, alert_p50_s=None, alert_p99_s=None,
        ),
        p4_memory=Memory(
            articles=100, processes=1, rss_at_10pct_mb=500, rss_at_100pct_mb=520, growth_pct=4,
            pss_at_10pct_mb=None, pss_at_100pct_mb=None, seconds=20,
        ),
        p5_scaling=[ScalePoint(workers=None, replicas=2, articles=10, per_s=12)],
    )  # fmt: skip


def test_the_json_holds_every_part_and_reads_back() -> None:
    report = _report()
    data = json.loads(report.model_dump_json())
    assert set(data) >= {
        "p1_throughput",
        "p2_pass_through",
        "p3_latency",
        "p4_memory",
        "p5_scaling",
    }
    assert data["p1_throughput"]["ratio"] == 0.9
    assert BenchReport.model_validate_json(report.model_dump_json()) == report


def test_the_summary_prints_one_line_per_figure_with_its_target() -> None:
    lines = summary(_report())
    assert [line.split()[0] for line in lines[1:]] == ["P1", "P2", "P3", "P4", "P5"]
    assert "ratio 0.90 (target >= 0.9)" in lines[1]
    assert "p99 1.20 s" in lines[3]
    assert "growth +4.0%" in lines[4]
