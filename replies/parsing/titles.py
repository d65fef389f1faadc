"""The document title and what it names: session, proposal number, kind, proposal title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import parse_date_line
from .labels import starts_with_label
from .lines import Line, is_chrome
from .people import is_agency_name

_NO_SPACE_CLASS = r"[^\s，。、；：（）()《》“”\"'<>]"
#: A meeting: anything (bounded) naming 政协 / 人大 / 人民代表大会 / 委员会 and ending in 会议.
SESSION_RE = re.compile(
    rf"(?P<session>{_NO_SPACE_CLASS}{{0,24}}?(?:政协|人大|人民代表大会|委员会|代表大会){_NO_SPACE_CLASS}{{0,24}}?会议)"
)
_NUMBER = r"(?P<number>[0-9０-９A-Za-z][0-9０-９A-Za-z\-]{0,11})"
_NUMBER_AFTER_SESSION_RE = re.compile(
    rf"^\s?(?:上|期间)?(?:提出的|所提的?|的)?\s?第?\s?{_NUMBER}\s?号(?:[（(][^）)]{{0,30}}[）)])?\s?(?P<kind>提案|建议|议案|代表建议|委员提案)?"
)
_NUMBER_ALONE_RE = re.compile(
    rf"第\s?{_NUMBER}\s?号(?:[（(][^）)]{{0,30}}[）)])?\s?(?:的)?(?P<kind>提案|建议|议案)"
)
_NUMBER_AFTER_TITLE_RE = re.compile(
    rf"》\s?[（(]\s?(?:提案|建议)?(?:编?号|第)\s?[：:]?\s?{_NUMBER}\s?号?[）)]"
)
_NUMBER_LABEL_RE = re.compile(rf"(?:提案|建议)(?:编号|号)[：:为]?\s?第?{_NUMBER}号?")
_NUMBER_AFTER_WORD_RE = re.compile(rf"(?:提案|建议)第\s?{_NUMBER}\s?号")
_SESSION_CUT_MARKERS = ("关于", "对", "在", "的", "于", "就", "将", "把", "给")

_TITLE_END_RE = re.compile(
    r"(?:函|答复|复函|意见|复文|答复书|回复|报告|通知|答复意见|办理意见|提案|建议|情况|说明|批复|复信)$"
)


@dataclass
class TitleFacts:
    session: str | None = None
    proposal_number: str | None = None
    kind: str | None = None


def _trim_session(session: str) -> str:
    for marker in _SESSION_CUT_MARKERS:
        index = session.rfind(marker)
        if index >= 0:
            session = session[index + len(marker) :]
    return session


def _kind_from_session(session: str | None) -> str | None:
    if not session:
        return None
    if "政协" in session or "政治协商" in session:
        return "proposal"
    if "人大" in session or "人民代表大会" in session:
        return "suggestion"
    return None


def _kind_from_word(word: str | None) -> str | None:
    if not word:
        return None
    return "proposal" if "提案" in word else "suggestion"


def facts_from_text(text: str) -> TitleFacts:
    """Session, number and kind as a title or an opening sentence states them."""
    facts = TitleFacts()
    for match in SESSION_RE.finditer(text):
        session = _trim_session(match.group("session"))
        if len(session) < 4 or not any(
            word in session for word in ("政协", "人大", "人民代表大会", "委员会", "代表大会")
        ):
            continue
        after = _NUMBER_AFTER_SESSION_RE.match(text, match.end())
        if facts.session is None or (
            after and after.group("number") and facts.proposal_number is None
        ):
            facts.session = session
            if after:
                facts.proposal_number = after.group("number")
                facts.kind = _kind_from_word(after.group("kind")) or _kind_from_session(session)
            else:
                facts.kind = _kind_from_session(session)
        if facts.proposal_number:
            break
    if facts.proposal_number is None:
        alone = _NUMBER_ALONE_RE.search(text)
        if alone:
            facts.proposal_number = alone.group("number")
            facts.kind = facts.kind or _kind_from_word(alone.group("kind"))
    if facts.kind is None and facts.session is None:
        alone = _NUMBER_ALONE_RE.search(text)
        if alone:
            facts.kind = _kind_from_word(alone.group("kind"))
    return facts


def number_from_opening(text: str) -> str | None:
    """`《…》（第1005号）收悉`, `提案编号：1005` — the number next to the proposal's title."""
    for regex in (_NUMBER_AFTER_TITLE_RE, _NUMBER_LABEL_RE, _NUMBER_AFTER_WORD_RE):
        match = regex.search(text)
        if match:
            return match.group("number")
    return None


def title_score(text: str) -> int:
    """How much a line looks like a reply's title; 0 when it cannot be one."""
    if len(text) < 6 or len(text) > 160 or "。" in text or text.endswith(("：", ":", "，", "；")):
        return 0
    if is_chrome(text) or starts_with_label(text) or parse_date_line(text) is not None:
        return 0
    score = 0
    if "关于" in text:
        score += 2
    if _TITLE_END_RE.search(text):
        score += 3
    if re.search(r"提案|建议|议案", text):
        score += 2
    if re.search(r"答复|复函|办理", text):
        score += 1
    if SESSION_RE.search(text):
        score += 2
    if text.count("，") > 1:
        score -= 3
    return score if score >= 4 else 0


def ends_like_title(text: str) -> bool:
    return bool(_TITLE_END_RE.search(text))


def strip_site_suffix(title_tag: str) -> str:
    """`…答复函_重庆市教育委员会` → `…答复函`: keep the part that reads as a title."""
    parts = [
        part.strip()
        for part in re.split(r"\s?(?:_|\||｜|-{1,2}|—{1,2}| - )\s?", title_tag)
        if part.strip()
    ]
    if not parts:
        return title_tag.strip()
    return max(parts, key=lambda part: (title_score(part), len(part)))


def find_title_line(
    lines: list[Line], limit: int, hint: str | None = None
) -> tuple[int, str] | None:
    """The best-scoring title line among the first `limit` lines, joining a title that
    wraps onto the next line (`…第1005号提案答复` / `的函`). Link lines (navigation, related
    articles) are never the title. A line equal to `hint` (the page's `<title>`) wins over
    any other title-looking line."""
    best: tuple[int, int, str] | None = None
    hinted: tuple[int, str] | None = None
    for index in range(min(limit, len(lines))):
        line = lines[index]
        if line.link:
            continue
        text = line.text
        score = title_score(text)
        candidate = text
        following = lines[index + 1] if index + 1 < len(lines) else None
        if (
            following is not None
            and not following.link
            and not ends_like_title(text)
            and (
                not following.blank_before
                or len(following.text) <= 20
                # `重庆市生态环境局<br>关于…的函`: the issuer on a line of its own.
                or (is_agency_name(text) and following.text.startswith(("关于", "对")))
            )
        ):
            joined = text + following.text
            if ends_like_title(joined) and title_score(joined) > score:
                score, candidate = title_score(joined), joined
        if score and hint and hinted is None and candidate == hint:
            hinted = (index, candidate)
        if score and (best is None or score > best[0]):
            best = (score, index, candidate)
    if hinted is not None:
        return hinted
    if best is None:
        return None
    return best[1], best[2]
