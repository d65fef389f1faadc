"""The letter itself: its bounds (salutation → signature), sections, commitments, citations."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .dates import parse_date_line, split_trailing_date
from .labels import label_values, starts_with_label
from .lines import Line, ends_sentence, is_chrome, is_footer
from .people import addressee_persons, is_agency_name, is_collective
from .result import Citation, Commitment, Section

CLOSING_RE = re.compile(
    r"^[（(]?(?:感谢|此复函|此答复|此复|对以上答复|联系人|联系电话|联系方式|特此函复|特此答复|特此回复|专此函复|专此答复"
    r"|再次感谢|衷心感谢|非常感谢|诚挚感谢|真诚感谢|谢谢|最后，感谢|答复类别|特此函告|专此函告|以上意见"
    r"|特此说明)"
)
_POST_LETTER_RE = re.compile(
    r"^[（(]?此件|^抄送|^抄报|^附件[：:]|^[（(]?公开(?:方式|属性|类型)|^[（(]?(?:不予)?公开"
)
_SALUTATION_RE = re.compile(r"^(?P<addressee>[^：:。，；！？]{2,50})[：:](?P<rest>.*)$")
#: `尊敬的张伟委员，您好！` — a greeting instead of a colon.
_GREETING_RE = re.compile(r"^(?P<addressee>[^：:。，；！？]{2,50})[，,]\s?您好[！!。]?$")


def addressee_of(text: str) -> str | None:
    """The addressee a salutation line names, without its colon or greeting."""
    match = _SALUTATION_RE.match(text) or _GREETING_RE.match(text)
    return match.group("addressee").strip() if match else None


_LETTER_START_RE = re.compile(
    r"^(?:您|你|贵|首先|现|经|关于|《|我|收到|对于|感谢|根据|按照|由|近日|来信)"
)
_OPENING_RE = re.compile(
    r"收悉|答复如下|现答复|函复如下|现将.{0,30}(?:答复|函告|报告)|办理情况|提出的"
)
_SECTION_RE = re.compile(r"^(?P<num>[一二三四五六七八九十]{1,3})[、．]\s?(?P<rest>.*)$")
_NEXT_STEPS_HEADING_RE = re.compile(r"^(?:关于)?(?:下一步|下步|今后|后续|下阶段|下一阶段)")
_NEXT_STEPS_PARAGRAPH_RE = re.compile(r"^(?:关于)?(?:下一步|下步)")
_ITEM_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("paren-cn", re.compile(r"^[（(](?P<num>[一二三四五六七八九十]{1,3})[）)]\s?")),
    ("arabic-dot", re.compile(r"^(?P<num>\d{1,2})\s?[.．、](?!\d)\s?")),
    ("paren-arabic", re.compile(r"^[（(](?P<num>\d{1,2})[）)]\s?")),
    ("arabic-paren", re.compile(r"^(?P<num>\d{1,2})[）)]\s?")),
    ("circled", re.compile(r"^(?P<num>[①②③④⑤⑥⑦⑧⑨⑩])\s?")),
)
#: Where an inline enumeration marker may stand: the start, or after punctuation or a
#: paragraph break (`…工作：一是…；二是…`), never inside a word (`统一是`, `统一要求`).
_CLAUSE_BEFORE = r"(?:^|(?<=[，,。；;：:、\n（(]))"
#: Counted clause markers, each with its numeral: `一是…二是…`, `一要…二要…`,
#: `第一，…第二，…` (the comma after 第一 belongs to the marker).
_COUNTED_CLAUSE_RES: tuple[re.Pattern[str], ...] = (
    re.compile(rf"{_CLAUSE_BEFORE}(?P<num>[一二三四五六七八九十]{{1,2}})是"),
    re.compile(rf"{_CLAUSE_BEFORE}(?P<num>[一二三四五六七八九十]{{1,2}})要(?!素|件|点|求|领)"),
    re.compile(rf"{_CLAUSE_BEFORE}第(?P<num>[一二三四五六七八九十]{{1,2}})[，,、：:]"),
)
#: `首先…其次…（再次…）最后…`: ordinal words, after punctuation or after 将 / 要 / 会
#: (`我局将首先…，其次…`); a `是` or a comma after the word belongs to the marker, as in
#: `一是` (`首先是…，其次是…`). `最后` before
#: 一 (`最后一公里`) is an ordinary word.
_ORDINAL_CLAUSE_RE = re.compile(
    r"(?:^|(?<=[，,。；;：:、\n（(将要会]))(?P<word>首先|其次|再次|再者|最后(?!一))是?[，,]?"
)
_ORDINAL_STEP = {"首先": 1, "其次": 2, "再次": 3, "再者": 3, "最后": 4}
_DOC_NO_RE = re.compile(
    r"^[\u4e00-\u9fffA-Za-z]{1,20}\s?[〔\[［【(（]\s?(?:19|20)\d{2}\s?[〕\]］】)）]\s?第?\s?\d{1,6}\s?号$"
    r"|^[\u4e00-\u9fff]{1,20}令第?[\d一二三四五六七八九十百零〇]{1,6}号$"
    r"|^[\u4e00-\u9fff]{1,20}(?:公告)?\s?(?:19|20)\d{2}年第\s?\d{1,4}\s?号$"
)
_CN_NUMERALS = {ch: index for index, ch in enumerate("一二三四五六七八九十", start=1)}
_CIRCLED = {ch: index for index, ch in enumerate("①②③④⑤⑥⑦⑧⑨⑩", start=1)}


def cn_numeral(text: str) -> int | None:
    """一 … 九十九 as an int; None when it is not a plain numeral."""
    if not text:
        return None
    if len(text) == 1:
        return _CN_NUMERALS.get(text)
    if text[0] == "十":
        units = _CN_NUMERALS.get(text[1:]) if len(text) == 2 else None
        return 10 + units if units and units < 10 else None
    if len(text) >= 2 and text[1] == "十":
        tens = _CN_NUMERALS.get(text[0])
        if not tens or tens >= 10:
            return None
        if len(text) == 2:
            return tens * 10
        units = _CN_NUMERALS.get(text[2:])
        return tens * 10 + units if units and units < 10 else None
    return None


def is_doc_no(text: str) -> bool:
    return len(text) <= 40 and bool(_DOC_NO_RE.match(text.strip()))


@dataclass
class Letter:
    """Where the letter sits among the page's lines, and what its frame says."""

    start: int
    end: int  # inclusive
    salutation_index: int | None = None
    addressee: str | None = None
    signature_index: int | None = None  # first line of the signature block
    sender: str | None = None
    signed_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)


def _split_inline_salutation(lines: list[Line], index: int) -> None:
    """`李洁委员：您提出的…` on one line becomes two lines."""
    match = _SALUTATION_RE.match(lines[index].text)
    if not match or not match.group("rest").strip():
        return
    rest = match.group("rest").strip()
    lines[index] = Line(text=match.group("addressee").strip() + "：", indent=lines[index].indent)
    lines.insert(index + 1, Line(text=rest, indent=0))


def _looks_like_addressee(text: str) -> bool:
    text = text.removeprefix("尊敬的").strip()
    if addressee_persons(text):
        return True
    if re.search(r"\d|日期|时间|来源|附件|主题|关键|链接|分享|位置", text):
        return False
    return (
        bool(addressee_persons(text))
        or is_collective(text)
        or is_agency_name(text)
        or len(text) <= 20
    )


def find_salutation(lines: list[Line], first: int, last: int) -> int | None:
    """The salutation line (`李洁委员：`) between `first` and `last`: a short colon-ended
    line that is no label, followed by the letter's opening."""
    for index in range(first, min(last, len(lines))):
        text = lines[index].text
        if lines[index].link or starts_with_label(text) or is_chrome(text):
            continue
        greeting = _GREETING_RE.match(text)
        if greeting:
            addressee = greeting.group("addressee").strip()
            if addressee_persons(addressee.removeprefix("尊敬的")) or is_collective(addressee):
                return index
            continue
        match = _SALUTATION_RE.match(text)
        if not match:
            if len(text) > 60 and "。" in text:
                # The letter has begun without a salutation.
                return None
            continue
        addressee = match.group("addressee").strip()
        rest = match.group("rest").strip()
        if not _looks_like_addressee(addressee):
            continue
        if rest:
            if _LETTER_START_RE.match(rest) and (
                addressee_persons(addressee)
                or is_collective(addressee)
                or is_agency_name(addressee)
            ):
                _split_inline_salutation(lines, index)
                return index
            continue
        following = lines[index + 1].text if index + 1 < len(lines) else ""
        if following and (_LETTER_START_RE.match(following) or _OPENING_RE.search(following)):
            return index
    return None


def _is_signature_agency(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 40 or ends_sentence(text) or CLOSING_RE.match(text) or "。" in text:
        return False
    parts = [part for part in re.split(r"\s+", text) if part]
    return all(is_agency_name(part) for part in parts)


def find_letter(lines: list[Line], title_index: int | None) -> Letter:
    """Locate salutation and signature; the body runs from one to the other."""
    search_from = title_index + 1 if title_index is not None else 0
    # A related-articles list may stand between the title and the letter: the salutation
    # is looked for past it, and the footer only after the salutation.
    salutation = find_salutation(lines, search_from, len(lines))
    if salutation is not None and any(
        is_footer(lines[i].text) and not lines[i].link for i in range(search_from, salutation)
    ):
        salutation = None
    if salutation is None:
        footer = next(
            (i for i in range(search_from, len(lines)) if is_footer(lines[i].text)), len(lines)
        )
        salutation = find_salutation(lines, search_from, footer)
    if salutation is None and title_index is not None:
        salutation = find_salutation(lines, 0, search_from)
    footer_from = salutation + 1 if salutation is not None else search_from
    footer = next(
        (i for i in range(footer_from, len(lines)) if is_footer(lines[i].text)), len(lines)
    )
    warnings: list[str] = []
    if salutation is not None:
        start = salutation
    else:
        warnings.append("salutation: not found; body starts at the first paragraph")
        start = _first_paragraph(lines, search_from, footer)
    letter = Letter(
        start=start, end=max(start, footer - 1), salutation_index=salutation, warnings=warnings
    )
    if salutation is not None:
        letter.addressee = addressee_of(lines[salutation].text)

    for index in range(start + 1, footer):
        text = lines[index].text
        date = parse_date_line(text)
        squeezed = None
        if date is None:
            squeezed = split_trailing_date(text)
            if squeezed and not _is_signature_agency(squeezed[0]):
                squeezed = None
        if date is None and squeezed is None:
            continue
        if index == start + 1 and salutation is not None:
            continue
        letter.end = index
        letter.signed_date = date or (squeezed[1] if squeezed else None)
        senders: list[str] = []
        signature_index = index
        if squeezed:
            senders.append(squeezed[0])
        else:
            cursor = index - 1
            while cursor > start and len(senders) < 3:
                candidate = lines[cursor].text
                if re.fullmatch(r"[（(]?(?:盖章|公章|印章|章)[）)]?", candidate):
                    cursor -= 1
                    continue
                if not _is_signature_agency(candidate):
                    break
                # Joint signatures put agencies side by side: `重庆市科学技术局　重庆市财政局`.
                side_by_side = lines[cursor].label_text.split()
                if len(side_by_side) > 1 and all(is_agency_name(part) for part in side_by_side):
                    senders[0:0] = side_by_side
                else:
                    senders.insert(0, candidate)
                signature_index = cursor
                cursor -= 1
        letter.signature_index = signature_index
        if senders:
            letter.sender = "、".join(" ".join(senders).split())
            if len(senders) > 1:
                letter.warnings.append("sender: several agencies sign; joined with 、")
        return letter

    # No date under the letter: end at a trailing agency line, else at the last line
    # before what follows a letter (此件公开, 抄送, chrome).
    end = start
    for index in range(start, footer):
        text = lines[index].text
        if index > start and (_POST_LETTER_RE.match(text) or is_chrome(text) or lines[index].link):
            break
        end = index
    if end > start and _is_signature_agency(lines[end].text):
        letter.sender = lines[end].text
        letter.signature_index = end
    letter.end = end
    letter.warnings.append("signature: no date line under the letter")
    return letter


def _first_paragraph(lines: list[Line], first: int, last: int) -> int:
    for index in range(first, min(last, len(lines))):
        text = lines[index].text
        if (
            lines[index].link
            or is_chrome(text)
            or starts_with_label(text)
            or parse_date_line(text) is not None
            or is_doc_no(text)
            # An info line opening with an unlabelled date (`2024-05-13 来源：…`).
            or label_values(lines[index].label_text, anywhere=True)
        ):
            continue
        if len(text) >= 15 or "。" in text:
            return index
    return first if first < len(lines) else 0


def closing_after(body: list[str], position: int, signature: int) -> int:
    """Index of the first closing paragraph after `position`, else the signature's."""
    for index in range(position + 1, signature):
        if CLOSING_RE.match(body[index]):
            return index
    return signature


def find_sections(body: list[str], first: int, stop: int) -> list[tuple[int, int, int]]:
    """Top-level parts `一、` … as (heading index, text start, end exclusive), numbered in
    sequence; the last part ends at the closing."""
    headings: list[int] = []
    expected = 1
    for index in range(first, stop):
        match = _SECTION_RE.match(body[index])
        if match and cn_numeral(match.group("num")) == expected and match.group("rest"):
            headings.append(index)
            expected += 1
    parts: list[tuple[int, int, int]] = []
    for position, heading in enumerate(headings):
        if position + 1 < len(headings):
            end = headings[position + 1]
        else:
            end = closing_after(body, heading, stop)
        parts.append((heading, heading + 1, end))
    return parts


def split_heading(text: str) -> tuple[str, str]:
    """`关于资金问题。我局…` → (`关于资金问题`, `我局…`); a heading without `。` stays whole."""
    head, dot, rest = text.partition("。")
    if dot:
        return head.strip(), rest.strip()
    return text.strip(), ""


def build_sections(body: list[str], parts: list[tuple[int, int, int]]) -> list[Section]:
    sections: list[Section] = []
    for heading_index, text_start, end in parts:
        match = _SECTION_RE.match(body[heading_index])
        rest = match.group("rest") if match else body[heading_index]
        heading, run_on = split_heading(rest)
        paragraphs = ([run_on] if run_on else []) + body[text_start:end]
        sections.append(Section(heading=heading, text="\n".join(paragraphs)))
    return sections


def _item_style(text: str) -> tuple[str, re.Match[str]] | None:
    for name, regex in _ITEM_STYLES:
        match = regex.match(text)
        if match:
            return name, match
    return None


def _items_from(paragraphs: list[str]) -> list[Commitment]:
    """Numbered items in `paragraphs` (the first numbering style met is the top level),
    else `一是…` clauses, else nothing."""
    style: str | None = None
    items: list[tuple[str, list[str]]] = []
    for paragraph in paragraphs:
        found = _item_style(paragraph)
        if found and (style is None or found[0] == style):
            style = found[0]
            items.append((paragraph[found[1].end() :].strip(), []))
        elif items:
            items[-1][1].append(paragraph)
    if items:
        commitments = []
        for first, following in items:
            heading, rest = split_heading(first)
            text_parts = ([rest] if rest else []) + following
            commitments.append(Commitment(heading=heading, text="\n".join(text_parts)))
        return commitments
    return _clauses_from(paragraphs)


def _counted_markers(regex: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The markers numbered 1, 2, 3 … in sequence (others are skipped)."""
    markers: list[re.Match[str]] = []
    expected = 1
    for match in regex.finditer(text):
        if cn_numeral(match.group("num")) == expected:
            markers.append(match)
            expected += 1
    return markers


def _ordinal_markers(text: str) -> list[re.Match[str]]:
    """首先 → 其次 → (再次 / 再者) → 最后, in that order; 首先 must open the run."""
    markers: list[re.Match[str]] = []
    step = 0
    for match in _ORDINAL_CLAUSE_RE.finditer(text):
        value = _ORDINAL_STEP[match.group("word")]
        if (
            (step == 0 and value == 1)
            or (step >= 1 and value == step + 1)
            or (step >= 2 and value == 4)
        ):
            markers.append(match)
            step = value
            if value == 4:
                break
    return markers


def _clauses_from(paragraphs: list[str]) -> list[Commitment]:
    """Inline enumerations — `一是…；二是…`, `一要…二要…`, `第一，…第二，…`, `首先…其次…最后…`
    — whichever style starts first with at least two markers; each clause runs to the next
    marker, the last to the end of its paragraph."""
    joined = "\n".join(paragraphs)
    candidates = [_counted_markers(regex, joined) for regex in _COUNTED_CLAUSE_RES]
    candidates.append(_ordinal_markers(joined))
    usable = [markers for markers in candidates if len(markers) >= 2]
    if not usable:
        return []
    markers = min(usable, key=lambda found: found[0].start())
    clauses: list[Commitment] = []
    for position, match in enumerate(markers):
        if position + 1 < len(markers):
            end = markers[position + 1].start()
        else:
            newline = joined.find("\n", match.end())
            end = newline if newline >= 0 else len(joined)
        clauses.append(Commitment(heading="", text=joined[match.end() : end].strip()))
    return clauses


#: What a next-steps heading names (`下一步工作打算`, `今后工作措施`), unlike an item that
#: merely starts with the words (`（二）今后要加强宣传。`).
_PLAN_WORD_RE = re.compile(r"工作|打算|计划|措施|安排|举措|思路|重点|方向|考虑")
#: A next-steps heading is short; a longer first sentence is an item about the next steps.
_MAX_SUBHEADING_CHARS = 20


def _next_steps_subheading(text: str) -> tuple[str, str] | None:
    """`（二）下一步工作打算` (or `2.下一步工作。我局将…`): a numbered heading naming the next
    steps inside a wider part. Returns its numbering style and any text run on after the
    heading's `。`."""
    found = _item_style(text)
    if found is None:
        return None
    heading, run_on = split_heading(text[found[1].end() :])
    if (
        not _NEXT_STEPS_HEADING_RE.match(heading)
        or len(heading) > _MAX_SUBHEADING_CHARS
        or not _PLAN_WORD_RE.search(heading)
        or "，" in heading
    ):
        return None
    return found[0], run_on


def build_commitments(
    body: list[str], parts: list[tuple[int, int, int]], first: int, stop: int
) -> list[Commitment]:
    """Items under the next-steps part: a `下一步…` section, else the paragraph(s) from
    each one starting `下一步` to the closing (or the next part)."""
    for heading_index, text_start, end in parts:
        match = _SECTION_RE.match(body[heading_index])
        rest = match.group("rest") if match else ""
        if _NEXT_STEPS_HEADING_RE.match(rest):
            run_on = split_heading(rest)[1]
            paragraphs = ([run_on] if run_on else []) + body[text_start:end]
            items = _items_from(paragraphs)
            if items:
                return items
            if paragraphs:
                return [Commitment(heading="", text="\n".join(paragraphs))]
            return []

    heading_indexes = sorted(heading for heading, _, _ in parts)
    commitments: list[Commitment] = []
    index = first
    # The first closing after `index`; still valid while it lies ahead (nothing closes in
    # between), so many short next-steps parts do not each scan to the end.
    closing = -1
    while index < stop:
        subheading = _next_steps_subheading(body[index])
        if subheading is None and not _NEXT_STEPS_PARAGRAPH_RE.match(body[index]):
            index += 1
            continue
        if closing <= index:
            closing = closing_after(body, index, stop)
        end = closing
        following_heading = next((h for h in heading_indexes if index < h < end), None)
        if following_heading is not None:
            end = following_heading
        if subheading is not None:
            # `（二）下一步工作打算` inside a wider part: it runs to the next sibling item.
            style, run_on = subheading
            end = next(
                (
                    later
                    for later in range(index + 1, end)
                    if (found := _item_style(body[later])) is not None and found[0] == style
                ),
                end,
            )
            paragraphs = ([run_on] if run_on else []) + body[index + 1 : end]
        else:
            paragraphs = body[index:end]
        items = _items_from(paragraphs)
        if not items and paragraphs:
            items = [Commitment(heading="", text="\n".join(paragraphs))]
        commitments.extend(items)
        index = end
    return commitments


def _matching_bracket_content(text: str, position: int) -> str | None:
    """The content of a bracket opening at `position` (`（…）` or `(…)`), at most 80 chars."""
    if position >= len(text) or text[position] not in "（(〔[【":
        return None
    closing = {"（": "）", "(": ")", "〔": "〕", "[": "]", "【": "】"}[text[position]]
    end = text.find(closing, position + 1, position + 82)
    if text[position] in "（(" and end < 0:
        end = text.find("）" if closing == ")" else ")", position + 1, position + 82)
    if end < 0:
        return None
    return text[position + 1 : end]


def _doc_no_in_bracket(content: str) -> str | None:
    for piece in re.split(r"[，,；;、]", content):
        piece = piece.strip()
        if is_doc_no(piece):
            return piece
    return None


#: The only characters `_guillemet_pairs` acts on: it visits these and skips the rest of a
#: body in C rather than looking at every character in Python.
_GUILLEMET_EVENT_RE = re.compile("[《》\n]")


def _guillemet_pairs(text: str) -> list[tuple[int, int]]:
    """Outermost `《…》` pairs in one linear pass (nested ones belong to their parent);
    a line break or a run longer than 300 characters abandons an unclosed `《`."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for event in _GUILLEMET_EVENT_RE.finditer(text):
        position, ch = event.start(), event.group()
        if ch == "《":
            stack.append(position)
            if len(stack) > 8:
                del stack[0]
        elif ch == "》" and stack:
            opening = stack.pop()
            if not stack and position - opening <= 300:
                pairs.append((opening, position))
        elif ch == "\n":
            stack.clear()
    return pairs


def find_citations(body_text: str, exclude: set[str]) -> list[Citation]:
    """Every `《…》` in order of first appearance, deduplicated by title, with the 文号 in
    the bracket right after it (from a later mention when only that one has it)."""
    order: list[str] = []
    doc_nos: dict[str, str | None] = {}
    length = len(body_text)
    for opening, end in _guillemet_pairs(body_text):
        title = body_text[opening + 1 : end].strip()
        if not title or title in exclude:
            continue
        after = end + 1
        while after < length and body_text[after] == " ":
            after += 1
        bracket = _matching_bracket_content(body_text, after)
        doc_no = _doc_no_in_bracket(bracket) if bracket else None
        if title not in doc_nos:
            order.append(title)
            doc_nos[title] = doc_no
        elif doc_nos[title] is None and doc_no:
            doc_nos[title] = doc_no
    return [Citation(title=title, doc_no=doc_nos[title]) for title in order]
