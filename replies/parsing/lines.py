"""Normalised lines: the common form of HTML, text captures and Word documents.

A `Line` is one paragraph (or one metadata row) after whitespace collapse and punctuation
restoration. Text captures are hard-wrapped at a fixed width; those wraps are joined back
here, keeping a break where a sentence ends or a new item, date, label or signature starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import parse_date_line
from .labels import starts_with_label
from .textnorm import (
    display_width,
    leading_indent,
    normalise_value,
    restore_punctuation,
    single_spaced,
)


@dataclass
class Line:
    text: str
    #: Whitespace characters before the text in the source (text captures only).
    indent: int = 0
    #: A blank line (or a block boundary) separates this line from the one before.
    blank_before: bool = True
    #: The line with whitespace runs kept as single spaces (metadata labels are split on
    #: this form); empty when it equals `text`.
    spaced: str = ""

    @property
    def label_text(self) -> str:
        return self.spaced or self.text


#: The start of an item or part: `一、` `（一）` `1.` `1．` `1、` `（1）` `一是` `第一，`.
ITEM_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、．.]|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}[.．、](?!\d)"
    r"|[（(]\d{1,2}[）)]|[一二三四五六七八九十]{1,2}是|第[一二三四五六七八九十]{1,3}[，,、]|[①②③④⑤⑥⑦⑧⑨⑩])"
)
_SENTENCE_END = "。！？：；!?:;"
_CLOSERS = "）)」』”’】》\"'"

_CHROME_START_RE = re.compile(
    r"^(?:您当前的位置|当前位置|您现在的位置|您的位置|所在位置|现在位置|当前所在位置"
    r"|首页 ?(?:>|＞|»|›|→|/|\\)|扫一扫|分享到|上一篇|下一篇|相关链接|相关文章|相关阅读|相关文件"
    r"|主办单位|承办单位|主办：|承办：|网站标识码|版权所有|Copyright|©|技术支持|联系我们|网站地图"
    r"|网站声明|政府网站找错|运维单位|运维保障|建议使用|本站支持|微信扫一扫|手机扫一扫|用手机扫描)",
    re.I,
)
_FOOTER_START_RE = re.compile(
    r"^(?:主办单位|承办单位|主办：|承办：|网站标识码|版权所有|Copyright|©|技术支持|联系我们|网站地图"
    r"|网站声明|政府网站找错|运维单位|运维保障|相关链接|相关文章|相关阅读|上一篇|下一篇)",
    re.I,
)
_CHROME_WORDS_RE = re.compile(
    r"打印本页|关闭窗口|打印|关闭|收藏本页|收藏|分享|保存|纠错|返回顶部|返回|字号|字体|大|中|小"
    r"|扫一扫在手机打开当前页|扫一扫|【|】|\[|\]|［|］|：|:|\||｜|/|·|默认|视力保护色|背景色"
)
_ICP_RE = re.compile(r"ICP备|公网安备|\d{6,}号-\d", re.I)


def is_chrome(text: str) -> bool:
    """Page furniture: breadcrumbs, print/close buttons, font-size pickers, footers."""
    if _CHROME_START_RE.match(text):
        return True
    if len(text) <= 40 and not _CHROME_WORDS_RE.sub("", text).strip(" \t"):
        return True
    if ">>" in text and "首页" in text:
        return True
    return len(text) <= 120 and bool(_ICP_RE.search(text))


def is_footer(text: str) -> bool:
    """A line that opens the page footer: nothing of the letter comes after it."""
    return bool(_FOOTER_START_RE.match(text)) or (len(text) <= 120 and bool(_ICP_RE.search(text)))


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    if not stripped:
        return False
    return stripped[-1] in _SENTENCE_END


def lines_from_blocks(blocks: list[str]) -> list[Line]:
    """HTML / Word blocks: each block is a paragraph of its own. A table row (cells joined
    by tabs) stays one line when it holds labels, with its cells kept apart by a tab so
    that `市交通运输委` and the next cell's `成文日期：` do not run together; other rows
    become one line per cell."""
    result: list[Line] = []
    for block in blocks:
        if "\t" in block:
            cells = [normalise_value(cell) for cell in block.split("\t")]
            cells = [cell for cell in cells if cell]
            if cells and starts_with_label(cells[0]):
                spaced = "\t".join(
                    single_spaced(cell) for cell in block.split("\t") if cell.strip()
                )
                result.append(Line(text="\t".join(cells), blank_before=True, spaced=spaced))
                continue
            for cell in cells:
                result.append(Line(text=cell, blank_before=True))
            continue
        text = normalise_value(block)
        if text:
            result.append(
                Line(
                    text=text,
                    indent=leading_indent(block),
                    blank_before=True,
                    spaced=single_spaced(block),
                )
            )
    return result


def _looks_like_salutation(text: str) -> bool:
    return len(text) <= 30 and text.endswith("：") and not any(ch in text for ch in "，。；")


def _signature_follows(raw: list[str], index: int) -> bool:
    """The line at `index` is an agency line directly above a date line."""
    if index + 1 >= len(raw):
        return False
    return len(raw[index]) <= 40 and parse_date_line(raw[index + 1]) is not None


def lines_from_text(text: str) -> list[Line]:
    """A plain-text capture: normalise each line, then join the hard wraps."""
    raw_lines = (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\f", "\n")
        .replace("\v", "\n")
        .split("\n")
    )
    staged: list[Line] = []
    blank = True
    for raw in raw_lines:
        value = normalise_value(raw)
        if not value:
            blank = True
            continue
        staged.append(
            Line(
                text=value,
                indent=leading_indent(raw),
                blank_before=blank,
                spaced=single_spaced(raw),
            )
        )
        blank = False
    if len(staged) < 2:
        return staged
    return _join_wraps(staged)


def _join_wraps(staged: list[Line]) -> list[Line]:
    # A hard-wrapped capture fills most of its lines to the wrap width, so the wrap width
    # is near the top of the line widths; a line that runs on into the next is a wrap only
    # when it is that wide (a heading is not). A capture whose paragraphs are single long
    # lines has a far larger reference, so its headings never join. At least two wide
    # run-on lines are needed before anything is joined.
    widths = sorted(display_width(line.text) + line.indent for line in staged)
    reference = widths[int(0.9 * (len(widths) - 1))]
    threshold = max(30, int(reference * 0.8))
    wide_run_ons = sum(
        1
        for i in range(len(staged) - 1)
        if not staged[i + 1].blank_before
        and not ends_sentence(staged[i].text)
        and display_width(staged[i].text) + staged[i].indent >= threshold
    )
    if wide_run_ons < 2:
        return staged
    indents = [line.indent for line in staged]
    baseline_indent = max(set(indents), key=indents.count)
    texts = [line.text for line in staged]

    # Pieces are collected per paragraph and joined once: repeated concatenation would be
    # quadratic on a long paragraph wrapped into thousands of lines.
    groups: list[tuple[Line, list[str]]] = [(staged[0], [staged[0].text])]
    for index in range(1, len(staged)):
        line = staged[index]
        first, pieces = groups[-1]
        last_text = pieces[-1]
        previous_width = display_width(last_text) + staged[index - 1].indent
        keep_break = (
            line.blank_before
            or ends_sentence(last_text)
            or line.indent > baseline_indent
            or previous_width < threshold
            or ITEM_START_RE.match(line.text) is not None
            or parse_date_line(line.text) is not None
            or starts_with_label(line.text)
            or starts_with_label(first.text)
            or _signature_follows(texts, index)
            or is_chrome(line.text)
            or _looks_like_salutation(line.text)
        )
        if keep_break:
            groups.append((line, [line.text]))
            continue
        if (
            last_text[-1:].isascii()
            and last_text[-1:].isalnum()
            and line.text[:1].isascii()
            and line.text[:1].isalnum()
        ):
            pieces.append(" ")
        pieces.append(line.text)
    joined: list[Line] = []
    for first, pieces in groups:
        if len(pieces) > 1:
            first.text = restore_punctuation("".join(pieces))
            first.spaced = ""
        joined.append(first)
    return joined
