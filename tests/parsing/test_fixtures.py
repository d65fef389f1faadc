"""Every `fixtures/replies/*.expected.json` against the parser, key by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replies.parsing import CONTRACT_KEYS, parse_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "replies"
EXPECTED_SUFFIX = ".expected.json"
DOCUMENT_SUFFIXES = {".txt", ".html", ".htm", ".docx"}


def _source_for(expected: Path) -> Path:
    stem = expected.name.removesuffix(EXPECTED_SUFFIX)
    sources = [
        path
        for path in expected.parent.iterdir()
        if path.name.startswith(stem + ".") and not path.name.endswith(".json")
    ]
    assert len(sources) == 1, f"expected exactly one source document for {expected.name}: {sources}"
    return sources[0]


EXPECTED_FILES = sorted(FIXTURES.glob(f"*{EXPECTED_SUFFIX}"))


@pytest.mark.parametrize("expected_path", EXPECTED_FILES, ids=lambda path: path.name)
def test_fixture_matches_expected(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    source = _source_for(expected_path)
    actual = parse_document(source.read_bytes(), source.name).to_contract()

    keys = [key for key in CONTRACT_KEYS]
    if "encoding" in expected:
        keys.append("encoding")
    missing = [key for key in CONTRACT_KEYS if key not in expected]
    assert not missing, f"{expected_path.name} lacks contract keys {missing}"

    mismatches = []
    for key in keys:
        if actual[key] != expected[key]:
            mismatches.append(
                f"  {key}:\n    expected {json.dumps(expected[key], ensure_ascii=False)}\n"
                f"    actual   {json.dumps(actual[key], ensure_ascii=False)}"
            )
    assert not mismatches, (
        f"{source.name}: {len(mismatches)} field(s) differ\n"
        + "\n".join(mismatches)
        + f"\n  warnings: {actual['warnings']}"
    )


def test_every_fixture_source_has_expected_results() -> None:
    sources = [path for path in FIXTURES.iterdir() if path.suffix in DOCUMENT_SUFFIXES]
    without = [
        path.name
        for path in sources
        if not (FIXTURES / (path.name.rsplit(".", 1)[0] + EXPECTED_SUFFIX)).exists()
    ]
    assert not without, f"fixtures without expected results: {without}"


def test_seed_reply_core_fields() -> None:
    """The seed reply's fields named in the brief, spelled out so a broken fixture file
    cannot hide them."""
    source = FIXTURES / "000_81af6d2964a35163.txt"
    reply = parse_document(source.read_bytes(), source.name)
    assert reply.title == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    assert reply.index_no == "11500000MB15895317/2024-00079"
    assert reply.doc_no == "渝科局函〔2024〕275号"
    assert reply.members == ["李洁"]
    assert (reply.proposal_number, reply.session, reply.kind) == (
        "1005",
        "市政协六届二次会议",
        "proposal",
    )
    assert reply.co_agencies == ["市人力社保局", "市经济信息委", "市国资委"]
    assert reply.signer == "明炬"
    assert reply.signed_date.isoformat() == "2024-05-16"
    assert reply.written_date.isoformat() == "2024-10-12"
    assert [c.heading for c in reply.commitments] == [
        "打造孵化集群，树立示范标杆",
        "完善政策体系，加大扶持力度",
        "探索孵化模式，培育未来产业",
        "创新工作机制，激发孵化活力",
    ]
    assert any(c.doc_no == "渝府办发〔2021〕142号" for c in reply.citations)
