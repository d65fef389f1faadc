"""Parse throughput on one core: documents per second for ~5 KB replies.

    .venv/bin/python benchmarks/bench_parse.py [--docs N] [--repeat R]

The corpus is the reply documents under `fixtures/replies/` (text captures, HTML pages,
and, with `--include-docx`, Word files; about 5 KB on average without them), the UTF-8 ones varied per document (proposal number,
member name, dates) so that no two parses see the same input. Prints one human line, then one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replies.parsing import parse_document  # noqa: E402

FIXTURES = ROOT / "fixtures" / "replies"
DOCUMENT_SUFFIXES = {".txt", ".html", ".htm", ".docx"}
_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = "明华芳伟军洁静敏强磊"


def corpus(count: int, include_docx: bool = False) -> list[tuple[bytes, str]]:
    """`count` documents cycling through the fixtures, each with its own number and name."""
    suffixes = DOCUMENT_SUFFIXES if include_docx else DOCUMENT_SUFFIXES - {".docx"}
    sources = sorted(path for path in FIXTURES.iterdir() if path.suffix in suffixes)
    documents: list[tuple[bytes, str]] = []
    for index in range(count):
        source = sources[index % len(sources)]
        raw = source.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # GBK pages and Word files are parsed as they are.
            documents.append((raw, source.name))
            continue
        number = f"{index % 9000 + 1000:04d}"
        name = _SURNAMES[index % 10] + _GIVEN[(index // 10) % 10]
        text = (
            text.replace("1005", number)
            .replace("0387", number)
            .replace("03105", "0" + number)
            .replace("李洁", name)
            .replace("王建国", name + "国")
            .replace("2024年5月16日", f"2024年{index % 12 + 1}月{index % 28 + 1}日")
        )
        documents.append((text.encode("utf-8"), source.name))
    return documents


def measure(documents: list[tuple[bytes, str]]) -> float:
    started = time.perf_counter()
    for data, name in documents:
        parse_document(data, name)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500, help="documents per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median is reported")
    parser.add_argument(
        "--include-docx", action="store_true", help="add the Word fixtures (~36 KB zips)"
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    documents = corpus(args.docs, include_docx=args.include_docx)
    measure(documents[: min(20, len(documents))])  # warm imports and regex caches
    rounds = [measure(documents) for _ in range(max(1, args.repeat))]
    seconds = statistics.median(rounds)
    mean_bytes = sum(len(data) for data, _ in documents) / len(documents)
    result: dict[str, object] = {
        "benchmark": "parse_throughput",
        "documents": len(documents),
        "mean_document_bytes": round(mean_bytes),
        "rounds": len(rounds),
        "median_seconds": round(seconds, 4),
        "docs_per_second": round(len(documents) / seconds, 1),
        "mb_per_second": round(len(documents) * mean_bytes / seconds / 1e6, 3),
        "target_docs_per_second": 200,
        "python": platform.python_version(),
    }
    print(
        f"parse: {result['docs_per_second']} docs/s on one core "
        f"({len(documents)} docs of ~{result['mean_document_bytes']} B, median of {len(rounds)})"
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
