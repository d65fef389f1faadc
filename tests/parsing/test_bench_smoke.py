"""The throughput benchmark runs (on a handful of documents) and prints its JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_parse_smoke() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_parse.py", "--docs", "6", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    human, machine = result.stdout.strip().split("\n")
    assert human.startswith("parse: ")
    report = json.loads(machine)
    assert report["documents"] == 6
    assert report["docs_per_second"] > 0
