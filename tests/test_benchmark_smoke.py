"""The benchmark must not rot: a small run of `benchmarks/run.py` end to end, on the test
database, asserting its machine-readable last line.

Small N on purpose: ingest runs at a few dozen replies/s on this 2-core machine (see
docs/benchmarks.md), so the 2,000 replies of `make bench-smoke` take about 100 s;
200 replies exercise every phase (generation, parse, one- and two-process ingest, the query
mix against floor and naive, gunicorn under wrk or the Python load, sizes) in ~30 s.
"""

import json
import math

import pytest

from benchmarks import run

SMOKE_N = 200

pytestmark = [
    pytest.mark.slow,
    # Committed data: the gunicorn workers and the ingest processes use their own connections.
    # serialized_rollback restores the agencies the data migration seeded, for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_smoke_run_prints_every_headline_key_with_sane_values(tmp_path, capsys):
    report = run.main(
        [
            "--n",
            str(SMOKE_N),
            "--smoke",
            "--use-current-database",
            "--http-seconds",
            "2",
            "--out-dir",
            str(tmp_path),
        ]
    )
    printed = capsys.readouterr().out.strip().splitlines()
    headline = json.loads(printed[-1])

    assert set(run.HEADLINE_KEYS) <= set(headline)
    assert headline["n"] == SMOKE_N
    for key in run.HEADLINE_KEYS:
        if key != "http_errors":
            value = headline[key]
            assert isinstance(value, int | float) and math.isfinite(value), key
            assert value > 0, key
    assert headline["http_errors"] == 0
    assert headline["search_p50_ms"] <= headline["search_p95_ms"]
    # Every generated reply went in, and the parser read back what the generator wrote.
    assert report["ingest"]["counts"] == {"created": SMOKE_N}
    parse = report["parse"]
    assert sum(parse["disagreements"].values()) <= parse["fields_checked"] * 0.02
    # The planted terms are found, and the exact 文号 query finds its reply.
    counts = {(s.query, s.filters): s.count for s in report["search_samples"]}
    assert counts[("common", 0)] > SMOKE_N * 0.3
    assert counts[("doc_no", 0)] >= 1
    assert counts[("broad", 0)] >= SMOKE_N * 0.9
    # The table is printed above the JSON line, and the results file was written.
    assert any(line.startswith("| `/api/search`") for line in printed)
    assert (tmp_path / f"results-n{SMOKE_N}-smoke.md").exists()
