"""Normalised lines: the common form of HTML, text captures and Word documents.

A `Line` is one paragraph (or one metadata row) after whitespace collapse and punctuation
restoration. Text captures are hard-wrapped at a fixed width; those wraps are joined back
here, keeping a break where a sentence ends or a new item, date, label or signature starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import parse_date_line
from .html_blocks import LABEL_END, LABEL_START
from .labels import LABEL_FIRST_CHARS, is_bare_label, label_values, starts_with_label
from .people import addressee_persons, is_agency_name, is_collective
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
    #: Columns of whitespace before the text in the source (text captures only).
    indent: int = 0
    #: The same whitespace counted in characters.
    indent_chars: int = 0
    #: A blank line (or a block boundary) separates this line from the one before.
    blank_before: bool = True
    #: The line with whitespace runs kept as single spaces (metadata labels are split on
    #: this form); empty when it equals `text`.
    spaced: str = ""
    #: The paragraph as the page shows it, when label marks turned `text` into a metadata
    #: row (`主题分类：\t…`); the letter's body uses this form.
    unlabelled: str = ""
    #: Mostly link text in the page (navigation, related articles): never a title or a
    #: salutation.
    link: bool = False

    @property
    def label_text(self) -> str:
        return self.spaced or self.text


#: The start of an item or part: `一、` `（一）` `1.` `1．` `1、` `（1）` `一是` `第一，`.
ITEM_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、．.]|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}[.．、](?!\d)"
    r"|[（(]?\d{1,2}[）)]|[一二三四五六七八九十]{1,2}是|[一二三四五六七八九十]{1,2}要(?!素|件|点|求|领)"
    r"|第[一二三四五六七八九十]{1,3}[，,、]|[①②③④⑤⑥⑦⑧⑨⑩])"
)
_SENTENCE_END = "。！？：；!?:;"
_CLOSERS = "）)」』”’】》\"'"

_CHROME_START_RE = re.compile(
    r"^[【\[［]? ?(?:您当前的位置|当前位置|您现在的位置|您的位置|所在位置|现在位置|当前所在位置"
    r"|首页 ?(?:>|＞|»|›|→|/|\\)|扫一扫|分享到|上一篇|下一篇|上一条|下一条|相关链接|相关文章|相关阅读|相关文件"
    r"|主办单位|承办单位|主办：|承办：|网站标识码|版权所有|Copyright|©|技术支持|联系我们|网站地图"
    r"|网站声明|政府网站找错|运维单位|运维保障|建议使用|本站支持|微信扫一扫|手机扫一扫|用手机扫描)",
    re.I,
)
_FOOTER_START_RE = re.compile(
    r"^(?:主办单位|承办单位|主办：|承办：|网站标识码|版权所有|Copyright|©|技术支持|联系我们|网站地图"
    r"|网站声明|政府网站找错|运维单位|运维保障|相关链接|相关文章|相关阅读|上一篇|下一篇|上一条|下一条)",
    re.I,
)
_CHROME_WORDS_RE = re.compile(
    r"打印本页|关闭窗口|打印|关闭|收藏本页|收藏|分享|保存|纠错|返回顶部|返回|字号|字体|大|中|小"
    r"|扫一扫在手机打开当前页|扫一扫|【|】|\[|\]|［|］|：|:|\||｜|/|·|默认|视力保护色|背景色"
)
_ICP_RE = re.compile(r"ICP备|公网安备|\d{6,}号-\d", re.I)


#: The heading of a list of other pages (related articles, hot topics, previous/next):
#: the lines under it are links to other replies, whose titles look like this one's.
_LINK_LIST_HEADING_RE = re.compile(
    r"^[【\[]?(?:相关(?:阅读|链接|文章|文件|新闻|信息|推荐|稿件|资讯|内容|政策)|热点(?:推荐|新闻|信息|文章|关注)"
    r"|热门(?:推荐|文章|信息|新闻)|推荐(?:阅读|文章|信息)|延伸阅读|猜你喜欢|精彩推荐|最新(?:发布|信息|文章)"
    r"|上一篇|下一篇|上一条|下一条)[】\]]?[：:]?(?: ?(?:更多|MORE|more)[>＞»]*)?$"
)
#: A list item under such a heading is short and no sentence.
_MAX_LINK_ITEM_CHARS = 100


def is_chrome(text: str) -> bool:
    """Page furniture: breadcrumbs, print/close buttons, font-size pickers, footers."""
    if _CHROME_START_RE.match(text) or _LINK_LIST_HEADING_RE.match(text):
        return True
    if len(text) <= 40 and not _CHROME_WORDS_RE.sub("", text).strip(" \t"):
        return True
    if ">>" in text and "首页" in text:
        return True
    return len(text) <= 120 and bool(_ICP_RE.search(text))


def mark_link_lists(lines: list[Line], *, html: bool) -> None:
    """Mark the items listed under a related-articles / hot-topics / 上一篇 heading as
    links, like the link lines an HTML page reports. In a text capture the list ends at a
    blank line; in a page, at the first line that is not a link (or a date beside one)."""
    index = 0
    while index < len(lines):
        if not _LINK_LIST_HEADING_RE.match(lines[index].text):
            index += 1
            continue
        lines[index].link = True
        cursor = index + 1
        while cursor < len(lines):
            line = lines[cursor]
            if not html and line.blank_before and cursor > index + 1:
                break
            if html and not line.link and parse_date_line(line.text) is None:
                break
            text = line.text
            if (
                len(text) > _MAX_LINK_ITEM_CHARS
                or text.endswith("。")
                or starts_with_label(text)
                or _looks_like_salutation(text)
            ):
                break
            if not html and cursor + 1 < len(lines):
                # In a capture without blank lines, the page's own title follows the list
                # directly; it is the line its metadata or the salutation comes after.
                following = lines[cursor + 1]
                if not following.blank_before and (
                    starts_with_label(following.text) or _looks_like_salutation(following.text)
                ):
                    break
            line.link = True
            cursor += 1
        index = cursor


def is_footer(text: str) -> bool:
    """A line that opens the page footer: nothing of the letter comes after it."""
    return (
        bool(_FOOTER_START_RE.match(text))
        or bool(_LINK_LIST_HEADING_RE.match(text))
        or (len(text) <= 120 and bool(_ICP_RE.search(text)))
    )


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    if not stripped:
        return False
    return stripped[-1] in _SENTENCE_END


_LABEL_END_BEFORE_COLON_RE = re.compile(f"{LABEL_END}(?=[ \t\u00a0\u3000]*[：:])")


def _resolve_label_marks(block: str) -> tuple[str, str | None, str]:
    """A block carrying label marks (see `html_blocks.LABEL_START`), as (block, spaced
    form or None, the text as the page shows it). When it starts with a label it becomes
    a metadata row: cells split at each label, a colon after a colon-less one; the page's
    own text is kept beside it for a letter paragraph that merely opens with a bold label
    word. In a table row each label cell gets its colon (the row is split into cells
    anyway). Otherwise the marks are dropped from the text and kept as ` label：` in the
    spaced form, where a mid-line label is still found."""
    block = _LABEL_END_BEFORE_COLON_RE.sub("", block)
    plain = block.replace(LABEL_START, "").replace(LABEL_END, "")
    row = block.replace(LABEL_START, "\t").replace(LABEL_END, "：")
    first_cell = next((cell for cell in row.split("\t") if cell.strip()), "")
    if starts_with_label(normalise_value(first_cell)):
        return row, None, "" if "\t" in plain else normalise_value(plain)
    if "\t" in plain:
        return block.replace(LABEL_START, "").replace(LABEL_END, "："), None, ""
    spaced = single_spaced(block.replace(LABEL_START, " ").replace(LABEL_END, "："))
    return plain, spaced, ""


def _is_colonless_label(cell: str) -> bool:
    stripped = cell.strip(" \u00a0\u3000")
    return bool(stripped) and not stripped.endswith(("：", ":")) and is_bare_label(stripped)


def _row_cells(block: str) -> list[str]:
    """A table row's cells (the renderer ends every cell with a tab), label marks removed."""
    plain = block.replace(LABEL_START, "").replace(LABEL_END, "")
    cells = plain.split("\t")
    if cells and not cells[-1].strip():
        cells.pop()
    return [normalise_value(cell) for cell in cells]


def _pair_header_rows(blocks: list[str]) -> list[str]:
    """A metadata table laid out in columns — a row of labels (`索引号 | 发文字号 | …`), then
    a row of values — becomes one row of `label：value` pairs (the value row's place left
    empty, so block indexes stay put)."""
    paired = list(blocks)
    for index, block in enumerate(paired):
        if "\t" not in block:
            continue
        labels = _row_cells(block)
        if len(labels) < 2 or not all(label and is_bare_label(label) for label in labels):
            continue
        following = next(
            (later for later in range(index + 1, min(index + 3, len(paired))) if paired[later]),
            None,
        )
        if following is None or "\t" not in paired[following]:
            continue
        values = _row_cells(paired[following])
        if len(values) != len(labels) or any(value and is_bare_label(value) for value in values):
            continue
        paired[index] = "\t".join(
            f"{label.rstrip('：:')}：\t{value}" for label, value in zip(labels, values, strict=True)
        )
        paired[following] = ""
    return paired


def lines_from_blocks(blocks: list[str], link_blocks: set[int] | None = None) -> list[Line]:
    """HTML / Word blocks: each block is a paragraph of its own. A table row (cells joined
    by tabs) stays one line when it holds labels, with its cells kept apart by a tab so
    that `市交通运输委` and the next cell's `成文日期：` do not run together; other rows
    become one line per cell. `link_blocks` are the indexes of blocks that are mostly
    link text."""
    blocks = _pair_header_rows(blocks)
    result: list[Line] = []
    for block_index, block in enumerate(blocks):
        is_link = link_blocks is not None and block_index in link_blocks
        spaced_override: str | None = None
        unlabelled = ""
        if LABEL_START in block or LABEL_END in block:
            block, spaced_override, unlabelled = _resolve_label_marks(block)
        if "\t" in block:
            # A cell that is only a label is one without its colon (`索引号` | value).
            block = "\t".join(
                cell + "：" if _is_colonless_label(cell) else cell for cell in block.split("\t")
            )
            cells = [normalise_value(cell) for cell in block.split("\t")]
            cells = [cell for cell in cells if cell]
            if cells and starts_with_label(cells[0]):
                spaced = "\t".join(
                    single_spaced(cell) for cell in block.split("\t") if cell.strip()
                )
                result.append(
                    Line(
                        text="\t".join(cells),
                        blank_before=True,
                        spaced=spaced,
                        link=is_link,
                        unlabelled=unlabelled,
                    )
                )
                continue
            for cell in cells:
                result.append(Line(text=cell, blank_before=True, link=is_link))
            continue
        text = normalise_value(block)
        if text:
            result.append(
                Line(
                    text=text,
                    indent=leading_indent(block),
                    blank_before=True,
                    spaced=spaced_override if spaced_override is not None else single_spaced(block),
                    link=is_link,
                )
            )
    return result


def _looks_like_salutation(text: str) -> bool:
    """`李洁委员：`, `市交通运输委：` — a short colon-ended line naming people or a body,
    not the tail of a wrapped sentence (`复如下：`)."""
    if len(text) > 30 or not text.endswith(("：", ":")) or any(ch in text for ch in "，。；"):
        return False
    if text.startswith("尊敬的") or _ADDRESSEE_END_RE.search(text[:-1]):
        return True
    addressee = text[:-1].strip()
    return bool(
        addressee_persons(addressee) or is_agency_name(addressee) or is_collective(addressee)
    )


#: How a salutation to people ends (`各位代表：`, `李洁同志：`).
_ADDRESSEE_END_RE = re.compile(r"(?:委员|代表|同志|先生|女士)们?$|们$")


def _signature_follows(raw: list[str], index: int) -> bool:
    """The line at `index` is an agency line directly above a date line."""
    if index + 1 >= len(raw):
        return False
    return len(raw[index]) <= 40 and parse_date_line(raw[index + 1]) is not None


_TOKEN_SPLIT_RE = re.compile(r"[ \t\u00a0\u3000]+")
#: A copied table row is short; a label is at most a few spaced-out tokens (`文 　 号`).
_MAX_ROW_CHARS = 240
_MAX_LABEL_TOKENS = 4


def _colonless_label_row(raw: str) -> str | None:
    """A metadata table copied as text loses its cell borders and keeps no colons:
    `索 引 号    011043497/2024-08517    主题分类    城乡建设` or a label alone on its line
    (`发布机构`, value on the next). Returns the line with a colon after each label (cells
    apart by two spaces), or None when the line does not open with a bare label."""
    stripped = raw.strip(" \t\u00a0\u3000")
    if (
        not stripped
        or len(stripped) > _MAX_ROW_CHARS
        or stripped[0] not in LABEL_FIRST_CHARS
        or "。" in stripped
    ):
        return None
    tokens = _TOKEN_SPLIT_RE.split(stripped)
    cells: list[str] = []
    position = 0
    while position < len(tokens):
        label_tokens = 0
        for count in range(min(_MAX_LABEL_TOKENS, len(tokens) - position), 0, -1):
            candidate = "".join(tokens[position : position + count])
            if not candidate.endswith(("：", ":")) and is_bare_label(candidate):
                label_tokens = count
                break
        if position == 0 and not label_tokens:
            return None
        if label_tokens:
            cells.append("".join(tokens[position : position + label_tokens]) + "：")
            position += label_tokens
        else:
            cells.append(tokens[position])
            position += 1
    return "  ".join(cells)


def lines_from_text(text: str) -> list[Line]:
    """A plain-text capture: normalise each line, then join the hard wraps."""
    raw_lines = (
        # `\r\r\n` is what a CRLF file becomes after one more text-mode conversion.
        text.replace("\r\r\n", "\n")
        .replace("\r\n", "\n")
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
        row = _colonless_label_row(raw)
        staged.append(
            Line(
                text=normalise_value(row) if row else value,
                indent=leading_indent(raw),
                indent_chars=len(raw) - len(raw.lstrip()),
                blank_before=blank,
                spaced=single_spaced(row or raw),
                unlabelled=value if row else "",
            )
        )
        blank = False
    if len(staged) < 2:
        return staged
    # Lists of other pages' titles are found before joining: their items are never wraps.
    mark_link_lists(staged, html=False)
    return _join_wraps(staged)


@dataclass
class _WrapWidths:
    """Where a capture wraps, measured two ways: in display columns (CJK two wide) for
    captures wrapped by a terminal or editor, and in characters for tools that cut every
    N characters whatever their width. A line is `full` when it reaches (about) the wrap
    width in either measure."""

    loose_columns: int
    loose_chars: int
    tight_columns: int
    tight_chars: int

    def reaches(self, columns: int, chars: int, *, tight: bool = False) -> bool:
        if tight:
            return columns >= self.tight_columns or chars >= self.tight_chars
        return columns >= self.loose_columns or chars >= self.loose_chars


@dataclass
class _Measure:
    loose: int
    tight: int
    #: Run-on text lines within `slack` of the wrap width: how clearly the capture wraps.
    cluster: int


#: A threshold no line reaches: the measure in which a capture does not wrap.
_NEVER = 1 << 30


def _wrap_width(values: list[int], defines_wrap: list[bool], floor: int, slack: int) -> _Measure:
    """Thresholds for one measure. A wrapped capture cuts its ordinary text lines at one
    width: the densest `slack`-wide band of the widths of the lines that can show it (run-on
    text lines, see `_join_wraps`) is the wrap width. Loose is 80% of it (a wrapped line may
    end early before a word or a punctuation mark that cannot start a line); tight is the
    band's lower edge, what a heading or label line must reach before it counts as cut by
    the wrap rather than as a short line of its own. A capture that is not wrapped has no
    band: its run-on lines have scattered widths."""
    wide = sorted(
        value
        for value, usable in zip(values, defines_wrap, strict=True)
        if usable and value >= floor
    )
    best_count, best_top = 0, 0
    low = 0
    for high, top in enumerate(wide):
        while wide[low] < top - slack:
            low += 1
        if high - low + 1 >= best_count:
            best_count, best_top = high - low + 1, top
    if best_count == 0:
        return _Measure(_NEVER, _NEVER, 0)
    return _Measure(max(floor, int(best_top * 0.8)), best_top - slack, best_count)


def _join_wraps(staged: list[Line]) -> list[Line]:
    # A hard-wrapped capture fills most of its text lines to the wrap width; a line that
    # runs on into the next is a wrap only when it is about that wide (a heading is not).
    # The width is learnt from ordinary text lines that run on: not headings (two headings
    # of one length are no wrap), labels, chrome, links or titles. At least two
    # of them must end at the same width before anything is joined.
    columns = [display_width(line.text) + line.indent for line in staged]
    chars = [len(line.text) + line.indent_chars for line in staged]
    run_on = [
        index + 1 < len(staged)
        and not staged[index + 1].blank_before
        and not ends_sentence(staged[index].text)
        for index in range(len(staged))
    ]
    defines_wrap = [
        runs_on
        # An item line shows the wrap when its text runs past its heading (`（一）…。…`).
        and (ITEM_START_RE.match(line.text) is None or "。" in line.text or "，" in line.text)
        and not line.link
        and not starts_with_label(line.text)
        and not is_chrome(line.text)
        and not _looks_like_title(line.text)
        for line, runs_on in zip(staged, run_on, strict=True)
    ]
    by_columns = _wrap_width(columns, defines_wrap, floor=20, slack=3)
    by_chars = _wrap_width(chars, defines_wrap, floor=10, slack=1)
    clearest = max(by_columns.cluster, by_chars.cluster)
    if clearest < 2:
        return staged
    # A measure in which the capture does not visibly wrap gets thresholds no line reaches.
    for measure in (by_columns, by_chars):
        if measure.cluster < 2 or 2 * measure.cluster < clearest:
            measure.loose = measure.tight = _NEVER
    # Both measures see the same lines: N characters take N to 2N columns. A band far
    # below the other one's is a coincidence among short lines (a nav line, a signature).
    if by_columns.tight != _NEVER and by_chars.tight != _NEVER:
        column_width = by_columns.tight + 3
        char_width = by_chars.tight + 1
        if 2 * char_width < 0.8 * column_width:
            by_chars.loose = by_chars.tight = _NEVER
        elif char_width > column_width:
            by_columns.loose = by_columns.tight = _NEVER
    tight_chars = by_chars.tight
    widths = _WrapWidths(by_columns.loose, by_chars.loose, by_columns.tight, by_chars.tight)
    wide_run_ons = sum(
        1
        for index in range(len(staged))
        if run_on[index] and widths.reaches(columns[index], chars[index])
    )
    if wide_run_ons < 2:
        return staged
    indents = [line.indent for line in staged]
    baseline_indent = max(set(indents), key=indents.count)
    texts = [line.text for line in staged]

    # Pieces are collected per paragraph and joined once: repeated concatenation would be
    # quadratic on a long paragraph wrapped into thousands of lines.
    groups: list[tuple[Line, list[str]]] = [(staged[0], [staged[0].text])]
    open_guillemets = _guillemet_balance(staged[0].text)
    for index in range(1, len(staged)):
        line = staged[index]
        first, pieces = groups[-1]
        last_text = pieces[-1]
        # A line opening an item or part that is not full is a heading of its own; one
        # that is full may be a heading wrapped onto the next line.
        heading_line = len(pieces) == 1 and ITEM_START_RE.match(first.text) is not None
        label_line = starts_with_label(first.text)
        # A value wrapped over several lines: every piece but the last reaches the width.
        full = widths.reaches(
            columns[index - 1], chars[index - 1], tight=heading_line or label_line
        )
        keep_break = (
            line.blank_before
            or line.link
            or staged[index - 1].link
            or ends_sentence(last_text)
            or line.indent > baseline_indent
            or not (full or open_guillemets > 0)
            or ITEM_START_RE.match(line.text) is not None
            or parse_date_line(line.text) is not None
            or starts_with_label(line.text)
            or (label_line and not _wrapped_label_value(line.text))
            or _signature_follows(texts, index)
            or is_chrome(line.text)
            or _looks_like_salutation(line.text)
        )
        if keep_break:
            groups.append((line, [line.text]))
            open_guillemets = _guillemet_balance(line.text)
            continue
        if _space_between_words(last_text[-1:], line.text[:1], cut=chars[index - 1] >= tight_chars):
            pieces.append(" ")
        pieces.append(line.text)
        open_guillemets += _guillemet_balance(line.text)
    joined: list[Line] = []
    for first, pieces in groups:
        if len(pieces) > 1:
            first.text = restore_punctuation("".join(pieces))
            first.spaced = ""
        joined.append(first)
    return joined


#: How a title ends: a line ending so is a title, not the tail of a metadata value.
_TITLE_TAIL_RE = re.compile(r"(?:函|答复|复文|意见|回复|报告|提案|建议)$")


def _looks_like_title(text: str) -> bool:
    """A whole title line (`…关于…的答复`), not a wrapped line that happens to end in 提案
    before its closing `》`."""
    return "关于" in text and "《" not in text and _TITLE_TAIL_RE.search(text) is not None


def _wrapped_label_value(following: str) -> bool:
    """A metadata value cut by a narrow wrap (`索引号：11500000009283736X/2024-00` / `045`):
    the label line reached the wrap width (checked by the caller) and the line after it
    has no label of its own and is no title."""
    return (
        "关于" not in following
        and _TITLE_TAIL_RE.search(following) is None
        and not label_values(following, anywhere=True)
    )


def _space_between_words(before: str, after: str, *, cut: bool) -> bool:
    """Two ASCII words meet at a wrap: a space, unless the wrap cut a number (`2` / `024`)
    or the capture cuts every N characters and this line is that long (a word cut in two)."""
    if not (before.isascii() and before.isalnum() and after.isascii() and after.isalnum()):
        return False
    if before.isdigit() and after.isdigit():
        return False
    return not cut


def _guillemet_balance(text: str) -> int:
    """Opened minus closed `《》`: a line that leaves a title open was cut inside it."""
    return text.count("《") - text.count("》")
