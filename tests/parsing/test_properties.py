"""Whatever the input, the parser returns a result or raises ParseError, and it finishes.

The wall-clock asserts are hang guards with generous bounds, not performance targets
(`benchmarks/bench_parse.py` measures throughput).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replies.parsing import ParsedReply, ParseError, parse_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "replies"
SEED = (FIXTURES / "000_81af6d2964a35163.txt").read_bytes()
PAGE = (FIXTURES / "cq-jw-2024-00213.html").read_bytes()
NATIONAL = (FIXTURES / "most-2024-03105.txt").read_bytes()
SOURCES = [SEED, PAGE, NATIONAL]

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def parse_or_parse_error(data: bytes, filename: str | None) -> ParsedReply | None:
    """The only acceptable outcomes: a ParsedReply whose contract serialises, or ParseError."""
    try:
        reply = parse_document(data, filename)
    except ParseError:
        return None
    assert isinstance(reply, ParsedReply)
    contract = reply.to_contract()
    assert isinstance(contract["title"], str)
    assert isinstance(contract["body_text"], str)
    assert all(isinstance(warning, str) for warning in reply.warnings)
    return reply


@PROPERTY_SETTINGS
@given(st.binary(max_size=4000), st.sampled_from([None, "a.txt", "a.html", "a.docx"]))
def test_arbitrary_bytes(data: bytes, filename: str | None) -> None:
    parse_or_parse_error(data, filename)


@PROPERTY_SETTINGS
@given(st.text(max_size=3000), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_arbitrary_text_in_each_encoding(text: str, encoding: str) -> None:
    parse_or_parse_error(text.encode(encoding, errors="ignore"), "a.txt")


@PROPERTY_SETTINGS
@given(st.sampled_from(SOURCES), st.data())
def test_truncated_documents(source: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(source)))
    parse_or_parse_error(source[:cut], "page.html" if source is PAGE else "capture.txt")


@PROPERTY_SETTINGS
@given(
    st.sampled_from(SOURCES),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=20),
)
def test_corrupted_documents(source: bytes, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(source)
    for position, replacement in edits:
        position %= max(1, len(data))
        data[position : position + len(replacement)] = replacement
    parse_or_parse_error(bytes(data), None)


SOUP_PIECES = [
    "<div>", "</div>", "<p>", "</p>", "<table>", "<td>", "<tr>", "<br>", "<!--", "-->",
    "<script>", "</script>", "<", ">", "&amp;", "&#", "李洁委员：", "您提出的提案收悉。",
    "一、情况", "（一）加强。", "下一步，", "2024年5月16日", "重庆市科学技术局",
    "[ 索引号 ]", "索引号：", "《方案》（渝府办发〔2021〕142号）", "\n", "　", "《", "一是",
]  # fmt: skip


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(SOUP_PIECES), max_size=200))
def test_random_markup_soup(pieces: list[str]) -> None:
    parse_or_parse_error("".join(pieces).encode(), "soup.html")


def test_deeply_nested_tags_do_not_blow_the_stack() -> None:
    depth = 100_000
    document = b"<html><body>" + b"<div>" * depth + PAGE + b"</div>" * depth + b"</body></html>"
    started = time.monotonic()
    reply = parse_or_parse_error(document, "deep.html")
    assert time.monotonic() - started < 30
    assert reply is not None
    assert reply.title == "重庆市教育委员会关于市六届人大二次会议第0387号建议办理情况的答复函"
    assert reply.members == ["王建国"]
    assert any("nesting" in warning for warning in reply.warnings)


def test_deeply_nested_unclosed_tags() -> None:
    document = ("<span><b><i>" * 50_000 + "李洁委员：您提出的提案收悉。").encode()
    started = time.monotonic()
    parse_or_parse_error(document, "deep.html")
    assert time.monotonic() - started < 30


@pytest.mark.slow
@pytest.mark.parametrize(("source", "name"), [(SEED, "big.txt"), (PAGE, "big.html")])
def test_twenty_megabyte_document_finishes_with_a_warning(source: bytes, name: str) -> None:
    document = source * (20_000_000 // len(source) + 1)
    started = time.monotonic()
    reply = parse_or_parse_error(document, name)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"took {elapsed:.1f}s"
    assert reply is not None
    assert any("input:" in warning for warning in reply.warnings)


@pytest.mark.parametrize(
    "document",
    [
        "李洁委员：\n您提出的" + "《" * 300_000,
        "李洁委员：\n您提出的" + "经与市财政局与" * 100_000,
        "李洁委员：\n您提出的" + "政协" * 300_000,
        "李洁委员：\n您提出的收悉。\n" + "下一步，加强。\n" * 30_000,
        "李洁委员提出的这个问题我们非常重视并且正在认真研究相关政策措施\n" * 30_000,
        "索引号：" * 200_000,
        "<title>" + "关于" * 200_000 + "</title>",
        "<p>" + "<span>索引号</span><span>1</span>" * 100_000 + "</p>",
        "<p>" + "<b><i><span>发布机构</span></i></b>" * 60_000 + "</p>",
        "<div>" + "<a href='/x'>关于第1号建议的答复</a>" * 60_000 + "</div>",
        "相关阅读\n" + "关于第1号建议的答复\n" * 100_000,
        "索引号\n" * 100_000,
        "发布时间：2024-05-13 来源：" * 50_000,
        "李洁委员：\n您提出的收悉。\n下一步，" + "首先，其次，第一，一要二要" * 50_000,
        "李洁委员：\n您提出的收悉。\n" + "（二）下一步工作打算\n" * 30_000,
        "《" + "测试标题\n" * 100_000,
    ],
    ids=[
        "guillemets",
        "co-agency-phrases",
        "session-words",
        "next-steps",
        "wrapped",
        "labels",
        "title",
        "label-spans",
        "nested-label-spans",
        "link-run",
        "related-list",
        "bare-label-lines",
        "info-pairs",
        "clause-markers",
        "next-steps-subheadings",
        "open-guillemet-wraps",
    ],
)
def test_pathological_repetitions_finish(document: str) -> None:
    started = time.monotonic()
    parse_or_parse_error(document.encode(), "x.html" if document.startswith("<") else "x.txt")
    assert time.monotonic() - started < 30


def test_one_huge_line_without_breaks() -> None:
    document = ("李洁委员：" + "一是" * 200_000 + "二是，" * 100_000).encode()
    started = time.monotonic()
    parse_or_parse_error(document, "line.txt")
    assert time.monotonic() - started < 30
