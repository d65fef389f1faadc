"""The benchmark must not rot: a small run of `benchmarks/run.py` end to end, asserting its
machine-readable last line and its saved report.

It runs as a subprocess on its own database (`archive_bench_smoke`, dropped afterwards), as
`make bench-smoke` does, so it neither depends on nor disturbs the test database. 2,000 replies
exercise every phase (generation, parse, one- and two-process ingest, the query mix against
floor and naive, gunicorn under load with the search cache on and off, sizes) in about a
minute and a half.
"""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run

ROOT = Path(__file__).resolve().parent.parent
SMOKE_N = 2000

pytestmark = pytest.mark.slow


def test_smoke_run_prints_every_headline_key_with_sane_values(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/run.py",
            "--n",
            str(SMOKE_N),
            "--smoke",
            "--http-seconds",
            "2",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    headline = json.loads(result.stdout.strip().splitlines()[-1])

    assert set(run.HEADLINE_KEYS) <= set(headline)
    assert headline["n"] == SMOKE_N
    for key in run.HEADLINE_KEYS:
        if key != "http_errors":
            value = headline[key]
            assert isinstance(value, int | float) and math.isfinite(value), key
            assert value > 0, key
    assert headline["http_errors"] == 0
    assert headline["http_uncached_rps"] > 0
    assert headline["search_p50_ms"] <= headline["search_p95_ms"]

    report = json.loads((tmp_path / f"results-n{SMOKE_N}-smoke.json").read_text())
    # Every generated reply went in, and the parser read back what the generator wrote.
    assert report["ingest"]["counts"] == {"created": SMOKE_N}
    parse = report["parse"]
    assert sum(parse["disagreements"].values()) <= parse["fields_checked"] * 0.02
    # The planted terms are found, and the exact 文号 query finds its reply.
    counts = {(s["query"], s["filters"]): s["count"] for s in report["search_samples"]}
    assert counts[("common", 0)] > SMOKE_N * 0.3
    assert counts[("doc_no", 0)] >= 1
    assert counts[("broad", 0)] >= SMOKE_N * 0.9
    # The report names the server settings its figures depend on, with their values.
    for name in run.REPORTED_SETTINGS:
        assert re.search(rf"\b{name} \d+\w*", report["environment"]["postgres"]), name
