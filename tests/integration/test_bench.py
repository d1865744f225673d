"""`wirewatch bench` runs end to end on the local servers and writes its figures as JSON
(tiny counts: this proves the machinery, not the speed)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wirewatch.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_bench_measures_every_part_and_writes_the_json(
    base_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    finished = subprocess.run(
        [
            sys.executable, "-m", "wirewatch", "bench", "--articles", "6",
            "--pass-through-articles", "40", "--memory-articles", "6", "--rules", "3",
            "--latency-rate", "2", "--latency-seconds", "2", "--workers", "1", "--out", str(out),
        ],
        cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["p1_throughput"]["service_per_s"] > 0
    assert report["p1_throughput"]["bare_pipe_per_s"] > 0
    assert report["p2_pass_through"]["raw_bulk_per_s"] > 0
    assert report["p3_latency"]["searchable"] == report["p3_latency"]["produced"] == 4
    assert report["p4_memory"]["rss_at_100pct_mb"] > 100
    assert [point["replicas"] for point in report["p5_scaling"]][-1] == 2
    for part in ("P1", "P2", "P3", "P4", "P5"):
        assert f"\n{part} " in finished.stdout
