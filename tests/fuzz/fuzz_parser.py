"""Coverage-guided fuzzing of the reply parser with atheris (libFuzzer).

    pip install atheris
    python tests/fuzz/fuzz_parser.py -max_total_time=300 -rss_limit_mb=2048 [corpus_dir]

The property: `parse_document` either returns a ParsedReply or raises ParseError — never
another exception — and finishes within a time bound on every input. Seeds come from
fixtures/replies (their bytes, truncated and mutated by libFuzzer). The hypothesis property
tests in tests/parsing/test_properties.py check the same property in the suite; this finds
what random generation does not.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports(include=["replies.parsing"]):
    # parse_document imports its implementation on first use; import it here so that the
    # modules doing the work are the instrumented ones.
    import replies.parsing.parser  # noqa: F401
    from replies.parsing import ParsedReply, ParseError, parse_document

ROOT = Path(__file__).resolve().parents[2]
SLOW_SECONDS = 5.0
NAMES = ("reply.html", "reply.txt", "reply.docx", None)


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    filename = NAMES[provider.ConsumeIntInRange(0, len(NAMES) - 1)]
    body = provider.ConsumeBytes(provider.remaining_bytes())
    started = time.monotonic()
    try:
        result = parse_document(body, filename)
    except ParseError:
        return
    elapsed = time.monotonic() - started
    assert isinstance(result, ParsedReply)
    if elapsed > SLOW_SECONDS:
        raise RuntimeError(f"parse took {elapsed:.1f}s on {len(body)} bytes")


def seed_corpus(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "fixtures" / "replies").iterdir()):
        if path.suffix in (".html", ".txt", ".docx"):
            (directory / path.name).write_bytes(b"\x00" + path.read_bytes())


def main() -> None:
    args = sys.argv[1:]
    corpus = next((Path(a) for a in args if not a.startswith("-")), None)
    if corpus is None:
        corpus = ROOT / "benchmarks" / "out" / "fuzz-corpus"
        args.append(str(corpus))
    if not corpus.exists() or not any(corpus.iterdir()):
        seed_corpus(corpus)
    atheris.Setup([sys.argv[0], *args], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
