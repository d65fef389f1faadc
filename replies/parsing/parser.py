"""Orchestration: bytes → lines → letter bounds → contract fields.

Every field is extracted by a guarded step: a failure inside one becomes a warning naming
the field, never an exception. Only reading the document at all (empty, binary,
undecodable, no Chinese text) raises `ParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import body as body_mod
from .dates import find_date
from .decoding import decode_bytes, is_docx, looks_like_html
from .docx_blocks import docx_blocks
from .html_blocks import html_to_page
from .labels import FIELD_LABELS, label_values, starts_with_label
from .lines import Line, is_chrome, lines_from_blocks, lines_from_text, mark_link_lists
from .people import (
    addressee_persons,
    collective_from_text,
    find_co_agencies,
    find_reply_category,
    find_signer,
    is_agency_name,
    is_collective,
    is_government_agency,
    members_from_text,
)
from .result import ParsedReply, ParseError
from .textnorm import collapse_spaces, is_cjk_char, normalise_value
from .titles import facts_from_text, find_title_line, number_from_opening, strip_site_suffix

#: The most raw bytes read; beyond this the rest is ignored (with a warning).
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: The most characters of markup or text processed after decoding.
MAX_TEXT_CHARS = 4_000_000
#: A longer "title" is not one.
MAX_TITLE_CHARS = 300
#: The most characters of rendered lines analysed; a reply is a few thousand.
MAX_LINE_CHARS = 1_000_000

_META_FIELDS = {
    "title": ("articletitle", "dc.title", "title"),
    "published_date": (
        "pubdate",
        "dc.date",
        "publishdate",
        "firstpublishedtime",
        "article:published_time",
    ),
    "publisher": ("contentsource", "dc.publisher", "source"),
}
_CO_ROLE_RE = re.compile(
    r"协办意见|会办意见|协办单位意见|会签意见|协办答复|分办意见|(?:现将|特将)(?:我|本)[\u4e00-\u9fff]{0,4}(?:的)?(?:协办|会办)"
    r"|(?:贵|你)(?:局|委|厅|办|部|单位|中心|院|署|会)(?:主办|牵头办理|牵头)|作为协办单位|我[\u4e00-\u9fff]{1,3}为协办"
)
_PROPOSER_YOU_RE = re.compile(r"您|你单位|贵单位|贵党派|贵会|你们|贵组|贵委员会|你会|贵小组")
_PROPOSAL_TITLE_RES = (
    re.compile(r"《(?P<t>[^《》\n]{2,200})》"),
    re.compile(r"(?:提出|所提|领衔|提交)的(?P<t>关于[^，。；《》\n]{2,120}?的(?:提案|建议|议案))"),
)
_TITLE_ISSUER_RE = re.compile(r"^(?P<agency>[\u4e00-\u9fff（）]{2,40}?)(?:关于|对)")

T = TypeVar("T")


@dataclass
class _Candidates:
    """Values a field was found with, in priority order, and where."""

    values: dict[str, list[tuple[Any, str]]] = field(default_factory=dict)

    def add(self, key: str, value: Any, source: str) -> None:
        if value in (None, "", []):
            return
        self.values.setdefault(key, []).append((value, source))

    def pick(self, key: str, warnings: list[str]) -> Any:
        found = self.values.get(key)
        if not found:
            return None
        # The contract's own label first (发布机构 before 来源, 发布日期 before 日期), then
        # the page's <meta>, then anything else; document order within a rank.
        ranks = {label: rank for rank, label in enumerate(FIELD_LABELS.get(key, ()))}
        found = sorted(found, key=lambda item: ranks.get(item[1], len(ranks)))
        first = found[0][0]
        for value, source in found[1:]:
            if value != first:
                warnings.append(
                    f"{key}: found twice with different values"
                    f" ({first!r} vs {value!r} from {source})"
                )
                break
        return first


def _guard(warnings: list[str], name: str, step: Callable[[], T], default: T) -> T:
    try:
        return step()
    except Exception as error:  # one field's failure must not lose the others
        warnings.append(f"{name}: extraction failed ({type(error).__name__})")
        return default


def _has_cjk(lines: list[Line]) -> bool:
    return any(is_cjk_char(ch) for line in lines for ch in line.text)


def _read_lines(
    data: bytes, filename: str | None, reply: ParsedReply
) -> tuple[list[Line], dict[str, str], str | None]:
    """The document as normalised lines, plus `<meta>` tags and `<title>` for HTML."""
    if not data or not data.strip():
        raise ParseError("empty file")
    if len(data) > MAX_INPUT_BYTES:
        reply.warnings.append(f"input: {len(data)} bytes; only the first {MAX_INPUT_BYTES} read")
        data = data[:MAX_INPUT_BYTES]

    if is_docx(data):
        blocks, docx_warnings = docx_blocks(data)
        reply.warnings.extend(docx_warnings)
        reply.encoding, reply.source_format = "docx", "docx"
        return lines_from_blocks(blocks), {}, None
    if data.startswith(b"PK\x03\x04"):
        raise ParseError("not a document: a ZIP archive without word/document.xml")
    if data.startswith(b"%PDF"):
        raise ParseError("not a document this parser reads: PDF")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError("not a document this parser reads: legacy Word/OLE file")

    decoded = decode_bytes(data)
    reply.encoding = decoded.encoding
    reply.warnings.extend(decoded.warnings)
    text = decoded.text
    if text.count("\x00") > max(8, len(text) // 1000):
        raise ParseError("binary data, not a text document")
    if len(text) > MAX_TEXT_CHARS:
        reply.warnings.append(
            f"input: {len(text)} characters; only the first {MAX_TEXT_CHARS} read"
        )
        text = text[:MAX_TEXT_CHARS]

    if looks_like_html(text[:8192], filename):
        reply.source_format = "html"
        page = html_to_page(text)
        reply.warnings.extend(page.warnings)
        lines = lines_from_blocks(page.lines, page.link_lines)
        return _cap_lines(lines, reply), page.meta, page.title_tag
    reply.source_format = "text"
    return _cap_lines(lines_from_text(text), reply), {}, None


def _cap_lines(lines: list[Line], reply: ParsedReply) -> list[Line]:
    total = 0
    for index, line in enumerate(lines):
        total += len(line.text)
        if total > MAX_LINE_CHARS:
            reply.warnings.append(
                f"input: text longer than {MAX_LINE_CHARS} characters; the rest ignored"
            )
            line.text = line.text[: max(0, len(line.text) - (total - MAX_LINE_CHARS))]
            return lines[: index + 1] if line.text else lines[:index]
    return lines


def parse(data: bytes, filename: str | None = None) -> ParsedReply:
    reply = ParsedReply(title="", body_text="")
    try:
        lines, meta, title_tag = _read_lines(data, filename, reply)
    except ParseError:
        raise
    except RecursionError as error:
        raise ParseError("document structure too deep to read") from error
    except MemoryError as error:
        raise ParseError("document too large to read") from error
    except Exception as error:
        raise ParseError(f"unreadable document ({type(error).__name__}: {error})") from error
    if not lines or not _has_cjk(lines):
        raise ParseError("no Chinese text: not a reply document")
    mark_link_lists(lines, html=reply.source_format == "html")
    try:
        _extract(reply, lines, meta, title_tag)
    except Exception as error:  # a bug in one step should cost fields, not the document
        reply.warnings.append(f"parser: extraction stopped early ({type(error).__name__})")
    return reply


def _metadata(lines: list[Line], skip: range, source_format: str) -> tuple[_Candidates, set[int]]:
    """Label/value pairs from lines outside the letter."""
    candidates = _Candidates()
    consumed: set[int] = set()
    for index, line in enumerate(lines):
        if index in skip:
            continue
        pairs = label_values(line.label_text, anywhere=True)
        if not pairs:
            continue
        consumed.add(index)
        for pair in pairs:
            value = pair.value
            if not value and len(pairs) == 1 and index + 1 < len(lines) and index + 1 not in skip:
                following = lines[index + 1]
                if (
                    (source_format != "text" or not following.blank_before)
                    and len(following.text) <= 80
                    and not starts_with_label(following.text)
                    and not is_chrome(following.text)
                    and not following.text.endswith("：")
                ):
                    value = following.text
                    consumed.add(index + 1)
            if not value or pair.field is None:
                continue
            if pair.field in ("written_date", "published_date"):
                date = find_date(value)
                if date is not None:
                    candidates.add(pair.field, date, pair.label)
            else:
                candidates.add(pair.field, value, pair.label)
    return candidates, consumed


def _extract(
    reply: ParsedReply, lines: list[Line], meta: dict[str, str], title_tag: str | None
) -> None:
    warnings = reply.warnings
    footer = len(lines)
    salutation = _guard(
        warnings, "salutation", lambda: body_mod.find_salutation(lines, 0, footer), None
    )

    # Title: a meta title or label first, then the best title-looking line above the letter.
    title_candidates = _Candidates()
    for key in _META_FIELDS["title"]:
        if meta.get(key) and len(meta[key]) <= MAX_TITLE_CHARS:
            title_candidates.add("title", normalise_value(meta[key]), f"meta {key}")
            break
    scan_limit = salutation if salutation is not None else min(len(lines), 80)
    # The page's <title> names this document: among equally good title lines, the one it
    # repeats is the title (a sidebar may list other replies' titles above it).
    title_hint = strip_site_suffix(normalise_value(title_tag)) if title_tag else None
    title_line = _guard(
        warnings, "title", lambda: find_title_line(lines, scan_limit, title_hint), None
    )
    title_index: int | None = None
    if title_candidates.values.get("title"):
        wanted = title_candidates.values["title"][0][0]
        title_index = next((i for i in range(scan_limit) if lines[i].text == wanted), None)
    if title_line is not None:
        if title_index is None:
            title_index = title_line[0]
        title_candidates.add("title", title_line[1], "page")
    if title_tag and len(title_tag) <= MAX_TITLE_CHARS:
        title_candidates.add("title", strip_site_suffix(normalise_value(title_tag)), "<title>")

    letter = body_mod.find_letter(lines, title_index)
    warnings.extend(letter.warnings)
    letter_range = range(letter.start, letter.end + 1)

    metadata, consumed = _metadata(lines, letter_range, reply.source_format)
    label_title = metadata.values.get("title")
    if label_title:
        # A labelled title outranks a guessed line but not the page's own meta title.
        title_candidates.values["title"].insert(
            1 if meta_title_present(meta) else 0, label_title[0]
        )
    titles = title_candidates.values.get("title", [])
    reply.title = titles[0][0] if titles else ""
    for value, _source in titles[1:]:
        # A label or line cut at a hard wrap is a prefix of the whole title seen elsewhere.
        if len(value) > len(reply.title) and value.startswith(reply.title):
            reply.title = value
    if titles:
        distinct = {
            value
            for value, source in titles
            if source != "<title>" and not (value != reply.title and reply.title.startswith(value))
        }
        if len(distinct) > 1:
            warnings.append(f"title: sources disagree ({' / '.join(sorted(distinct))})")
    else:
        warnings.append("title: not found")
    # A title is one line: a soft line break (Word) or a <br> inside it is a wrap, not a break.
    reply.title = collapse_spaces(re.sub(r"\s*[\r\n]+\s*", " ", reply.title))

    for key in (
        "index_no",
        "doc_no",
        "theme",
        "genre",
        "publisher",
        "written_date",
        "published_date",
    ):
        if key == "published_date":
            for meta_key in _META_FIELDS["published_date"]:
                if meta.get(meta_key):
                    metadata.add(key, find_date(meta[meta_key]), f"meta {meta_key}")
                    break
        if key == "publisher":
            for meta_key in _META_FIELDS["publisher"]:
                if meta.get(meta_key):
                    metadata.add(key, normalise_value(meta[meta_key]), f"meta {meta_key}")
                    break
        if key == "doc_no":
            for index in range(0, letter.start + 2):
                if (
                    index < len(lines)
                    and index not in consumed
                    and body_mod.is_doc_no(lines[index].text)
                ):
                    metadata.add(key, lines[index].text, "文号 line")
                    break
        setattr(reply, key, metadata.pick(key, warnings))

    body_lines = [lines[i].unlabelled or lines[i].text for i in letter_range if i < len(lines)]
    reply.body_text = "\n".join(body_lines)
    reply.addressee = letter.addressee
    reply.signed_date = letter.signed_date
    if letter.signed_date is None:
        warnings.append("signed_date: no date under the signature")

    first_text = 1 if letter.salutation_index is not None else 0
    opening = _opening(body_lines, first_text)
    body_end = (
        (letter.signature_index - letter.start)
        if letter.signature_index is not None
        else len(body_lines)
    )
    body_end = max(first_text, min(body_end, len(body_lines)))

    _guard(warnings, "session", lambda: _proposal_facts(reply, opening, body_lines), None)
    _guard(warnings, "proposers", lambda: _proposers(reply, opening, letter), None)
    _guard(warnings, "sender", lambda: _sender(reply, letter, opening), None)
    reply.co_agencies = _guard(warnings, "co_agencies", lambda: find_co_agencies(opening), [])
    # 签发人 and the category often stand above the title, outside the letter.
    outside = "\n".join(
        line.text
        for index, line in enumerate(lines)
        if index not in letter_range and len(line.text) <= 40 and not is_chrome(line.text)
    )[:MAX_OPENING_CHARS]
    reply.signer = _guard(
        warnings, "signer", lambda: find_signer(reply.body_text) or find_signer(outside), None
    )
    reply.reply_category = _guard(
        warnings,
        "reply_category",
        lambda: find_reply_category(reply.body_text) or find_reply_category(outside),
        None,
    )

    parts = _guard(
        warnings, "sections", lambda: body_mod.find_sections(body_lines, first_text, body_end), []
    )
    reply.sections = _guard(
        warnings, "sections", lambda: body_mod.build_sections(body_lines, parts), []
    )
    reply.commitments = _guard(
        warnings,
        "commitments",
        lambda: body_mod.build_commitments(body_lines, parts, first_text, body_end),
        [],
    )
    exclude = {reply.proposal_title} if reply.proposal_title else set()
    reply.citations = _guard(
        warnings, "citations", lambda: body_mod.find_citations(reply.body_text, exclude), []
    )

    for key in ("index_no", "session", "proposal_number", "kind", "sender"):
        if getattr(reply, key) is None:
            warnings.append(f"{key}: not found")


def meta_title_present(meta: dict[str, str]) -> bool:
    return any(meta.get(key) for key in _META_FIELDS["title"][:2])


#: The opening statement is a sentence or two; longer text is not searched for its phrases.
MAX_OPENING_CHARS = 3000


def _opening(body_lines: list[str], first: int) -> str:
    """The opening handling statement: the paragraphs after the salutation up to the one
    that announces the answer (`现答复如下：`), at most three."""
    collected: list[str] = []
    for text in body_lines[first : first + 3]:
        collected.append(text)
        if "如下" in text or text.endswith("："):
            break
    return "\n".join(collected)[:MAX_OPENING_CHARS]


def _proposal_facts(reply: ParsedReply, opening: str, body_lines: list[str]) -> None:
    title_facts = facts_from_text(reply.title)
    opening_facts = facts_from_text(opening)
    reply.session = title_facts.session or opening_facts.session
    reply.proposal_number = title_facts.proposal_number or opening_facts.proposal_number
    opening_number = number_from_opening(opening)
    if reply.proposal_number is None:
        reply.proposal_number = opening_number
    elif (
        opening_number
        and opening_number != reply.proposal_number
        and not reply.proposal_number.endswith(opening_number)
    ):
        reply.warnings.append(
            f"proposal_number: title says {reply.proposal_number}, letter says {opening_number}"
        )
    reply.kind = title_facts.kind or opening_facts.kind  # type: ignore[assignment]

    reply.proposal_title = _proposal_title(opening)
    if reply.proposal_title is None:
        match = _PROPOSAL_TITLE_RES[0].search(reply.title)
        if match:
            reply.proposal_title = match.group("t").strip()

    if reply.kind is None:
        reply.kind = _kind_fallback(reply, opening)  # type: ignore[assignment]


_OWN_TITLE_BEFORE_RE = re.compile(r"(?:提出|所提|领衔|提交|联名|递交)(?:的|了)?$|关于$|^$")
_OWN_TITLE_AFTER_RE = re.compile(r"^\s?(?:[（(]第|[（(]\d|收悉|提案|建议|议案|已收悉|[（(]编号)")


def _proposal_title(opening: str) -> str | None:
    """The proposal's own title in the opening: the `《…》` that follows 提出的 / 所提 or
    is followed by its number or 收悉; else one ending in 提案 / 建议; else the first;
    else `提出的关于…的提案` without guillemets."""
    guillemets = list(_PROPOSAL_TITLE_RES[0].finditer(opening))
    for match in guillemets:
        before = opening[max(0, match.start() - 6) : match.start()]
        after = opening[match.end() : match.end() + 6]
        if _OWN_TITLE_BEFORE_RE.search(before) or _OWN_TITLE_AFTER_RE.match(after):
            return match.group("t").strip()
    for match in guillemets:
        if match.group("t").endswith(("提案", "建议", "议案")):
            return match.group("t").strip()
    if guillemets:
        return guillemets[0].group("t").strip()
    match = _PROPOSAL_TITLE_RES[1].search(opening)
    return match.group("t").strip() if match else None


def _kind_fallback(reply: ParsedReply, opening: str) -> str | None:
    addressee = reply.addressee or ""
    if addressee.endswith(("委员", "委员们")) or "政协" in opening or "提案" in opening:
        return "proposal"
    if addressee.endswith(("代表", "代表们")) or "人大" in opening or "代表" in opening:
        return "suggestion"
    genre = reply.genre or ""
    if "提案" in genre or "政协" in genre:
        return "proposal"
    if "建议" in genre or "人大" in genre:
        return "suggestion"
    return None


def _proposers(reply: ParsedReply, opening: str, letter: body_mod.Letter) -> None:
    addressee = (reply.addressee or "").removeprefix("尊敬的").strip()
    persons = addressee_persons(addressee) if addressee else None
    co_signal = bool(_CO_ROLE_RE.search(reply.title) or _CO_ROLE_RE.search(opening))
    if "协办" in reply.title or "会办" in reply.title:
        co_signal = True

    if co_signal:
        reply.role = "co"
    elif persons or (addressee and is_collective(addressee)):
        reply.role = "lead"
    elif addressee and is_government_agency(addressee) and not _PROPOSER_YOU_RE.search(opening):
        reply.role = "co"
    elif _PROPOSER_YOU_RE.search(opening):
        reply.role = "lead"
    else:
        reply.role = None
        reply.warnings.append("role: neither a reply to the proposer nor a co-handling opinion")

    if reply.role == "lead":
        if persons:
            reply.members = persons
        elif addressee and (not is_agency_name(addressee) or is_collective(addressee)):
            reply.proposer_org = addressee
        else:
            reply.members = members_from_text(reply.title + "\n" + opening)
            if not reply.members and addressee:
                reply.proposer_org = addressee
    elif persons:
        reply.members = persons
    elif addressee and is_collective(addressee):
        reply.proposer_org = addressee
    else:
        reply.members = members_from_text(reply.title + "\n" + opening)
        if not reply.members:
            reply.proposer_org = collective_from_text(reply.title + "\n" + opening)
    if not reply.members and not reply.proposer_org:
        reply.warnings.append("members: no member or collective proposer found")


_LEAD_NAMED_RE = re.compile(
    r"由([\u4e00-\u9fff（）]{2,30}?)(?:牵头)?主办|主办单位(?:为|是)([\u4e00-\u9fff（）]{2,30}?)[，。；、]"
)


def _sender(reply: ParsedReply, letter: body_mod.Letter, opening: str) -> None:
    reply.sender = letter.sender
    if reply.sender is None:
        match = _TITLE_ISSUER_RE.match(reply.title)
        if match and is_agency_name(match.group("agency")):
            reply.sender = match.group("agency")
    if reply.role == "lead":
        reply.lead_agency = reply.sender
    elif reply.role == "co":
        addressee = (reply.addressee or "").removeprefix("尊敬的")
        if addressee and is_agency_name(addressee) and not is_collective(addressee):
            reply.lead_agency = reply.addressee
        else:
            # A co-handling opinion sent to the proposer names the lead agency in the text.
            named = _LEAD_NAMED_RE.search(opening)
            name = (named.group(1) or named.group(2)) if named else None
            reply.lead_agency = name if name and is_agency_name(name) else None
            if reply.lead_agency is None:
                reply.warnings.append("lead_agency: co-handling opinion names no lead agency")


__all__ = ["parse"]
