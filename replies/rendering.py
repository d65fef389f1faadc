"""Render a reply's text with its structure — headings, numbered items, salutation,
signature — as safe HTML. The source's own HTML is never used: every character is escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_NUMERALS = "一二三四五六七八九十"
_SECTION_RE = re.compile(rf"^[{_NUMERALS}]{{1,3}}、")
_ITEM_RE = re.compile(
    rf"^(?:[（(][{_NUMERALS}]{{1,3}}[）)]|[{_NUMERALS}]{{1,3}}是|\d{{1,2}}[．.、]|[（(]\d{{1,2}}[）)])"
)
_DATE_LINE_RE = re.compile(
    r"^(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九十○Ｏ]{4}年.{1,3}月.{1,3}日)$"
)


@dataclass(frozen=True)
class Block:
    kind: str  # salutation | heading | item | paragraph | signature
    text: str
    lead: str = ""  # an item's or heading's first sentence, shown in bold


def blocks(text: str) -> list[Block]:
    paragraphs = [p.strip() for p in (text or "").split("\n") if p.strip()]
    out: list[Block] = []
    signature_from = _signature_start(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if index >= signature_from:
            out.append(Block("signature", paragraph))
        elif index == 0 and paragraph.endswith(("：", ":")) and len(paragraph) <= 60:
            out.append(Block("salutation", paragraph))
        elif _SECTION_RE.match(paragraph):
            lead, rest = _split_lead(paragraph)
            out.append(Block("heading" if not rest else "item", paragraph, lead if rest else ""))
        elif _ITEM_RE.match(paragraph):
            lead, rest = _split_lead(paragraph)
            out.append(Block("item", paragraph, lead if rest else ""))
        else:
            out.append(Block("paragraph", paragraph))
    return out


def _split_lead(paragraph: str) -> tuple[str, str]:
    stop = paragraph.find("。")
    if stop == -1 or stop == len(paragraph) - 1:
        return paragraph, ""
    return paragraph[: stop + 1], paragraph[stop + 1 :]


def _signature_start(paragraphs: list[str]) -> int:
    """The signature block: a trailing date line and the short agency line(s) above it."""
    for index in range(len(paragraphs) - 1, max(-1, len(paragraphs) - 4), -1):
        if _DATE_LINE_RE.match(paragraphs[index].replace(" ", "")):
            start = index
            while (
                start > 0
                and len(paragraphs[start - 1]) <= 30
                and not paragraphs[start - 1].endswith(("。", "："))
            ):
                start -= 1
            return start
    return len(paragraphs)


def render_blocks(text: str) -> SafeString:
    html = []
    for block in blocks(text):
        if block.kind == "heading":
            html.append(f'<h3 class="body-heading">{escape(block.text)}</h3>')
        elif block.kind == "item" and block.lead:
            rest = block.text[len(block.lead) :]
            html.append(
                f'<p class="body-item"><strong>{escape(block.lead)}</strong>{escape(rest)}</p>'
            )
        else:
            html.append(f'<p class="body-{block.kind}">{escape(block.text)}</p>')
    # Safe: every piece above went through escape().
    return mark_safe("\n".join(html))
