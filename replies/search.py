"""Chinese full-text search: vector building, query parsing, ranking, snippets and facets.

PostgreSQL's parser sees a run of Chinese characters as one word, so the archive segments
text itself and hands PostgreSQL ready-made `tsvector` / `tsquery` literals (no text-search
configuration, no contrib extension, independent of the server's locale).

Matching, filtering, counting and faceting read one narrow row per reply, `SearchEntry`
(its date, year, kind, session, genre, lead agency and id arrays of agencies, co-agencies,
themes and members, kept published-or-not by a trigger), with two GIN-indexed vectors:

- `bigrams`: the set of character bigrams of every Chinese run, plus ASCII words and
  numbers, over the title, the linked names and the whole body — without positions. It
  decides what matches: any substring of two or more characters is found whatever the
  segmenter did; one character is a prefix query (`'税':*`). No positions means no recheck.
- `title`: the title's bigrams with positions: title-only search, exact phrases in titles,
  and the title's part of the ranking.

Ranking reads `RankEntry`, a row of two vectors stored inline, only for the few hundred
candidates being ranked: a copy of the title's bigrams, and words from rjieba (jieba-rs) with a
user dictionary of agency names, aliases, member names and domain terms, over the title
(weight A), proposal title, members and agencies (B) and the opening of the body (C), with
positions.

Both sides fold Traditional to Simplified (OpenCC) and full-width ASCII to half-width. A quoted
phrase matches by its bigrams and is confirmed in the text for the replies shown; its counts are
then marked approximate.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

if TYPE_CHECKING:
    from .models import RankEntry

# A tsvector keeps positions up to 16,383 and at most 256 positions per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 16
# Text beyond this many characters is not indexed (a 20 MB page must not make a 1 MB vector).
MAX_INDEXED_CHARS = 60_000
# The ranking vector reads the body's opening: where a reply says what it is about.
LEDE_CHARS = 1_500

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_CJK_RE = re.compile(rf"[{_CJK}]")

#: Domain vocabulary the segmenter should keep whole, beyond agency and member names.
DOMAIN_TERMS = (
    "政协提案",
    "人大建议",
    "代表建议",
    "协办意见",
    "主办单位",
    "协办单位",
    "答复函",
    "复函",
    "孵化器",
    "孵化载体",
    "众创空间",
    "科技型企业",
    "高新技术企业",
    "技术经纪",
    "技术经纪人",
    "概念验证",
    "成果转化",
    "乡村振兴",
    "营商环境",
    "新质生产力",
    "专精特新",
    "双倍增",
    "明月湖",
    "照母山",
    "两江新区",
    "西部科学城",
    "成渝地区双城经济圈",
    "医保",
    "养老服务",
    "托育",
    "义务教育",
    "职业教育",
    "科学教育",
)


# --------------------------------------------------------------------------- text folding

_t2s_lock = threading.Lock()


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


#: Characters Chinese text is full of whose NFKC form is known: full-width ASCII (every
#: comma, colon and bracket of a letter), the ideographic space, the ellipsis.
_COMMON_COMPAT = {
    chr(code): unicodedata.normalize("NFKC", chr(code))
    for code in (*range(0xFF01, 0xFF5F), 0x3000, 0x2026, 0x00A0)
}
_COMMON_COMPAT_RE = re.compile(f"[{''.join(map(re.escape, _COMMON_COMPAT))}]")


def _nfkc(text: str) -> str:
    """NFKC, the same string `unicodedata.normalize` gives, in a fifth of its time on letters.

    A text and the text with `_COMMON_COMPAT` replaced by their NFKC forms decompose alike,
    so their NFKC is the same; after the replacement a letter is usually normalised already,
    which `is_normalized` answers without building a copy."""
    return _nfkc_and_whether_common(text)[0]


def _nfkc_and_whether_common(text: str) -> tuple[str, bool]:
    """`_nfkc(text)`, and whether it changed only `_COMMON_COMPAT` characters."""
    text = _COMMON_COMPAT_RE.sub(lambda match: _COMMON_COMPAT[match.group()], text)
    if unicodedata.is_normalized("NFKC", text):
        return text, True
    return unicodedata.normalize("NFKC", text), False


def _to_simplified(text: str) -> str:
    with _t2s_lock:
        return _t2s().convert(text)


def fold(text: str) -> str:
    """Traditional → Simplified, full-width ASCII → half-width, lower case."""
    if not text:
        return ""
    # NFKC turns full-width letters and digits into ASCII; CJK ideographs are unaffected.
    return _to_simplified(_nfkc(text)).lower()


# --------------------------------------------------------------------------- segmentation

_segmenter_lock = threading.Lock()
_known_words: set[str] = set()


@lru_cache(maxsize=1)
def _segmenter():
    import rjieba

    jieba = rjieba.Jieba()
    for term in DOMAIN_TERMS:
        jieba.add_word(term, 50_000, None)
        _known_words.add(term)
    return jieba


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter names (agencies, aliases, members) so they stay one word."""
    with _segmenter_lock:
        jieba = _segmenter()
        for word in words:
            word = fold(word.strip())
            if len(word) >= 2 and word not in _known_words:
                jieba.add_word(word, 50_000, None)
                _known_words.add(word)


def load_dictionary_from_db() -> None:
    """Add every agency name, alias and member name in the database to the segmenter."""
    from .models import Agency, AgencyAlias, Member

    add_words(Agency.objects.values_list("name", flat=True))
    add_words(Agency.objects.exclude(short_name="").values_list("short_name", flat=True))
    add_words(AgencyAlias.objects.values_list("name", flat=True))
    add_words(Member.objects.values_list("name", flat=True))


def words(folded: str, *, for_index: bool) -> list[str]:
    """Segment folded text into searchable words (CJK words, ASCII words, numbers).

    The index uses the search mode (overlapping sub-words of long compounds) so that a query
    segmented in the plain mode finds both the compound and its parts.
    """
    jieba = _segmenter()
    tokens = jieba.cut_for_search(folded, True) if for_index else jieba.cut(folded, True)
    return _tokens_only(tokens)


#: Whether each string the segmenter has yielded is a token (`_TOKEN_RE`), remembered: a
#: reply's words are mostly words seen before, and a lookup costs a sixth of the match.
#: Replaced when full (numbers alone never stop coming).
_token_answers: dict[str, bool] = {}
_TOKEN_ANSWERS_MAX = 1 << 17


def _tokens_only(tokens: list[str]) -> list[str]:
    global _token_answers
    answers = _token_answers
    new = set(tokens).difference(answers)
    if new:
        if len(answers) + len(new) > _TOKEN_ANSWERS_MAX:
            # A new dict rather than clear(): another thread may be reading this one.
            answers = _token_answers = {}
            new = set(tokens)
        answers.update((token, _TOKEN_RE.fullmatch(token) is not None) for token in new)
    return list(filter(answers.__getitem__, tokens))


def bigrams(folded: str) -> list[str]:
    """Overlapping character bigrams of each Chinese run, plus ASCII words and numbers.

    A Chinese run of one character yields that character, so `号` in `275号` is indexed.
    """
    grams: list[str] = []
    for run in _TOKEN_RE.findall(folded):
        if _CJK_RE.match(run):
            if len(run) == 1:
                grams.append(run)
            else:
                grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            grams.append(run)
    return grams


#: `_CJK`'s ranges as code points, for the array form of the same character class.
_CJK_RANGES = tuple((ord(_CJK[i]), ord(_CJK[i + 2])) for i in range(0, len(_CJK), 3))
#: The other tokens of `_TOKEN_RE`: ASCII words and numbers.
_ASCII_TOKEN_RANGES = ((ord("0"), ord("9")), (ord("a"), ord("z")))


def _in_ranges(codes: np.ndarray, ranges: Iterable[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(len(codes), dtype=bool)
    for low, high in ranges:
        mask |= (codes >= low) & (codes <= high)
    return mask


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True, the end exclusive."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1]).tolist()
    return list(zip(edges[0::2], edges[1::2], strict=True))


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted, each once."""
    keys = np.sort(keys)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first]


@dataclass(frozen=True, eq=False)
class BigramSet:
    """The distinct tokens `bigrams` yields for a text, as the matching vector holds them (no
    positions): Chinese bigrams and lone characters as sorted 64-bit keys — a character's code
    point in the high half, the next one's in the low half (0 for a lone character) — and
    ASCII words and numbers as strings.

    Built over the text's code points as an array: with Python strings, a body's bigram set
    was a quarter of a parse worker's time (a two-character string made and hashed per
    character of the body). The literal lists the lexemes in PostgreSQL's order, which spares
    the server sorting them: reading a body's vector took 0.44 ms of its CPU, 0.16 sorted."""

    keys: np.ndarray
    words: frozenset[str]

    @classmethod
    def of(cls, folded: str) -> BigramSet:
        codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        cjk = _in_ranges(codes, _CJK_RANGES)
        wide = codes.astype(np.uint64)
        pairs = (wide[:-1] << 32 | wide[1:])[cjk[:-1] & cjk[1:]]
        # A Chinese run of one character is that character.
        alone = cjk.copy()
        alone[1:] &= ~cjk[:-1]
        alone[:-1] &= ~cjk[1:]
        ascii_runs = _runs(_in_ranges(codes, _ASCII_TOKEN_RANGES))
        return cls(
            keys=_distinct(np.concatenate((pairs, wide[alone] << 32))),
            words=frozenset(folded[start:end] for start, end in ascii_runs),
        )

    def union(self, other: BigramSet) -> BigramSet:
        return BigramSet(
            _distinct(np.concatenate((self.keys, other.keys))), self.words | other.words
        )

    def literal(self, extra: Iterable[str] = ()) -> str:
        """The lexeme literal, with `extra` lexemes (ASCII, such as the year's) among the
        words. Sorted as PostgreSQL sorts lexemes (by their UTF-8 bytes, a prefix first): the
        ASCII ones, then the Chinese in key order, a lone character before its bigrams."""
        head = [_quote_lexeme(word) for word in sorted(self.words.union(extra))]
        if not len(self.keys):
            return " ".join(head)
        # Each key as five code points: ' first second ' space — or, for a lone character,
        # ' first ' space and a NUL that is then dropped.
        second = self.keys & 0xFFFFFFFF
        lone = second == 0
        quoted = np.empty((len(self.keys), 5), dtype="<u4")
        quoted[:, 0] = ord("'")
        quoted[:, 1] = self.keys >> 32
        quoted[:, 2] = np.where(lone, ord("'"), second)
        quoted[:, 3] = np.where(lone, ord(" "), ord("'"))
        quoted[:, 4] = np.where(lone, 0, ord(" "))
        chinese = quoted.tobytes().decode("utf-32-le").replace("\x00", "").rstrip()
        return " ".join([*head, chinese])


# --------------------------------------------------------------------------- tsvector literals


def _quote_lexeme(lexeme: str) -> str:
    if "'" in lexeme or "\\" in lexeme:
        lexeme = lexeme.replace("\\", "\\\\").replace("'", "''")
    return "'" + lexeme + "'"


#: Position labels ("12C") by weight, index = position, made once rather than one string
#: formatted per token (~10% of a word vector's literal).
_POSITION_LABELS: dict[str, list[str]] = {}
_position_labels_lock = threading.Lock()


def _position_labels(weight: str, first: int, last: int) -> list[str]:
    """Labels of positions first…last; positions past PostgreSQL's last share it."""
    top = min(last, MAX_POSITION)
    table = _POSITION_LABELS.get(weight, [])
    if len(table) <= top:
        # Grown under a lock, and replaced rather than extended in place: a thread slicing
        # the old table meanwhile still reads whole, right labels.
        with _position_labels_lock:
            table = _POSITION_LABELS.get(weight, [""])
            if len(table) <= top:
                table = [*table, *(f"{n}{weight}" for n in range(len(table), top + 1))]
                _POSITION_LABELS[weight] = table
    labels = table[first : top + 1]
    if last > MAX_POSITION:
        labels += [table[MAX_POSITION]] * (last - max(first, MAX_POSITION + 1) + 1)
    return labels


def tsvector_literal(weighted_tokens: Iterable[tuple[list[str], str]]) -> str:
    """Build a tsvector literal from (tokens, weight) parts laid end to end."""
    labels_by_lexeme: defaultdict[str, list[str]] = defaultdict(list)
    position = 0
    for tokens, weight in weighted_tokens:
        first, last = position + 1, position + len(tokens)
        for token, label in zip(tokens, _position_labels(weight, first, last), strict=True):
            labels_by_lexeme[token].append(label)
        # A gap between fields keeps a phrase from spanning the title and the body.
        position = min(last + 8, MAX_POSITION)
    return " ".join(
        [
            f"{_quote_lexeme(lexeme)}:{','.join(lexeme_labels[:MAX_POSITIONS_PER_LEXEME])}"
            for lexeme, lexeme_labels in labels_by_lexeme.items()
        ]
    )


@dataclass(frozen=True)
class IndexedText:
    """The text of one reply as search sees it, by weight."""

    title: str
    linked: str  # proposal title, members, agencies with aliases, document numbers
    body: str


@dataclass(frozen=True)
class ReplyVectors:
    """Literals of a reply's vectors: its words (ranking), its matching bigrams with its
    year's lexeme (the search entry's `bigrams`) and its title's bigrams."""

    words: str
    bigrams: str
    title: str
    #: `Reply.body_simplified`: the body holds nothing OpenCC converts (`PreparedBody`).
    body_simplified: bool = False


@dataclass(frozen=True)
class PreparedBody:
    """The part of a body's vectors that needs no dictionary (folding and the bigrams: most
    of `build_vectors`' time), computed where the document is parsed — a worker process
    during a bulk ingest — so that the writer, the load's bottleneck, does not."""

    text: str  # the body it was computed from; build_vectors uses it only for this body
    bigrams: BigramSet  # of the folded body
    lede: str  # the folded body's opening, which the word vector reads
    #: OpenCC left the whole body as it was (after NFKC): a snippet need not convert it.
    simplified: bool = False


def prepare_body(body: str) -> PreparedBody:
    text = body[:MAX_INDEXED_CHARS]
    # fold(), in its steps: whether the conversion changed anything is known for free here,
    # and it saves every result page that shows this reply an OpenCC pass over its body. Only
    # for a body NFKC changed no more than `_fold_aligned` does (full-width ASCII, spaces): a
    # compatibility ideograph, which OpenCC maps too, makes it "not known".
    normalised, only_common = _nfkc_and_whether_common(text)
    converted = _to_simplified(normalised) if normalised else ""
    folded = converted.lower()
    return PreparedBody(
        text=text,
        bigrams=BigramSet.of(folded),
        lede=folded[:LEDE_CHARS],
        simplified=only_common and converted == normalised and len(body) <= MAX_INDEXED_CHARS,
    )


def build_vectors(
    text: IndexedText, prepared: PreparedBody | None = None, *, year: int | None
) -> ReplyVectors:
    """The reply's vectors; the matching one holds the reply's `year` too (required: a search
    entry without it is missed by every year filter). `prepared` is
    `prepare_body` of its body, when done already; it is used only if it is of this very text
    (a body changed since is folded here)."""
    title, linked = fold(text.title), fold(text.linked)
    if prepared is None or prepared.text != text.body[:MAX_INDEXED_CHARS]:
        prepared = prepare_body(text.body)
    # A line break is no token: no bigram spans the title and the names.
    matching = prepared.bigrams.union(BigramSet.of(f"{title}\n{linked}"))
    return ReplyVectors(
        words=tsvector_literal(
            [
                (words(title, for_index=True), "A"),
                (words(linked, for_index=True), "B"),
                (words(prepared.lede, for_index=True), "C"),
            ]
        ),
        bigrams=matching.literal([year_lexeme(year)] if year is not None else []),
        title=tsvector_literal([(bigrams(title), "A")]),
        body_simplified=prepared.simplified,
    )


def search_entry(
    reply,
    vectors: ReplyVectors,
    *,
    agency_links: Iterable[tuple[int, str]],
    theme_ids: Iterable[int],
    member_ids: Iterable[int],
):
    """The reply's SearchEntry (unsaved), from the reply's fields and its links' ids.

    `agency_links` are (agency id, role) pairs. One builder for every path that writes a reply
    (ingest one by one or in bulk, reindex, archive import), so they index alike."""
    from .models import Reply, SearchEntry

    links = list(agency_links)
    return SearchEntry(
        reply_id=reply.pk,
        published=reply.status == Reply.Status.PUBLISHED,
        sort_date=reply.sort_date,
        year=reply.year,
        kind=reply.kind or "",
        reply_category=reply.reply_category or "",
        session_id=reply.session_id,
        genre_id=reply.genre_entity_id,
        lead_agency_id=next((agency for agency, role in links if role == "lead"), None),
        agency_ids=sorted({agency for agency, _ in links}),
        co_agency_ids=[agency for agency, role in links if role == "co"],
        theme_ids=sorted(set(theme_ids)),
        member_ids=list(dict.fromkeys(member_ids)),
        bigrams=vectors.bigrams,
        title=vectors.title,
    )


def rank_entry(reply, vectors: ReplyVectors) -> RankEntry:
    """The reply's RankEntry (unsaved): written with its search entry wherever that is."""
    from .models import RankEntry

    return RankEntry(reply_id=reply.pk, words=vectors.words, title=vectors.title)


def year_lexeme(year: int) -> str:
    """The lexeme that puts a reply's year in its bigram vector. Text never yields it (text
    lexemes are Chinese bigrams, or ASCII letters and digits without `=`), and with it a
    search filtered by year is one GIN match instead of a match whose every row is then
    checked: a common term's 47,000 entries shrink to the year's 8,000 inside the index."""
    return f"year={year}"


# =========================================================================== query side


@dataclass(frozen=True)
class Term:
    """One thing the user asked for: a word, or a quoted phrase, folded."""

    text: str
    phrase: bool = False


@dataclass
class ParsedQuery:
    """websearch-style: whitespace is AND, `OR` between terms, `"…"` a phrase, `-x` excludes."""

    groups: list[list[Term]]  # AND of OR-groups
    excluded: list[Term]

    @property
    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]

    def is_empty(self) -> bool:
        return not self.groups


_QUERY_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse_query(query: str) -> ParsedQuery:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _QUERY_TOKEN_RE.finditer(query or ""):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare in ("OR", "|", "或"):
                join_next = bool(groups)
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            text = bare[1:] if negated else bare
            phrase = False
        else:
            text, phrase = quoted, True
        text = fold(text).strip()
        if not _TOKEN_RE.search(text):
            continue
        term = Term(text=text, phrase=phrase)
        if negated:
            excluded.append(term)
        elif join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return ParsedQuery(groups=groups, excluded=excluded)


def _lexeme(gram: str, weights: str) -> str:
    # A lone Chinese character matches any bigram that starts with it (`号` in `号提案`).
    prefix = "*" if len(gram) == 1 and _CJK_RE.match(gram) else ""
    suffix = prefix + weights
    return _quote_lexeme(gram) + (f":{suffix}" if suffix else "")


def term_tsquery(term: Term, *, weights: str = "", phrase: bool | None = None) -> str | None:
    """A term as a tsquery over the bigram vector: its bigrams ANDed, or adjacent for a phrase."""
    grams = bigrams(term.text)
    if not grams:
        return None
    joiner = " <-> " if (term.phrase if phrase is None else phrase) else " & "
    return "(" + joiner.join(_lexeme(gram, weights) for gram in grams) + ")"


def query_tsquery(parsed: ParsedQuery, *, weights: str = "", phrase: bool | None = None) -> str:
    parts = []
    for group in parsed.groups:
        alternatives = [
            q for q in (term_tsquery(t, weights=weights, phrase=phrase) for t in group) if q
        ]
        if alternatives:
            parts.append("(" + " | ".join(alternatives) + ")")
    for term in parsed.excluded:
        # Exclusions name a phrase; where the vector has no positions, its bigrams stand in.
        q = term_tsquery(term, phrase=True if phrase is None else phrase)
        if q:
            parts.append("!" + q)
    return " & ".join(parts)


def words_tsquery(parsed: ParsedQuery) -> str:
    """The query's segmented words ORed, for ranking on the word vector."""
    lexemes = dict.fromkeys(
        word for term in parsed.terms for word in words(term.text, for_index=False)
    )
    return " | ".join(_quote_lexeme(word) for word in lexemes)


# --------------------------------------------------------------------------- exact lookups

_INDEX_NO_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{3,}/\d{4}-\d{2,8}$")
_DOC_NO_RE = re.compile(r"^\S{1,20}[〔\[［(（﹝【]\d{4}[〕\]］)）﹞】]\s*\d{1,6}号$")
_PROPOSAL_NO_RE = re.compile(r"^第?\s*(\d{2,6})\s*号(?:提案|建议)?$")
_BRACKETS = [
    ("〔", "〕"),
    ("[", "]"),
    ("［", "］"),
    ("(", ")"),
    ("（", "）"),
    ("﹝", "﹞"),
    ("【", "】"),
]


def exact_lookup_kind(query: str) -> tuple[str, list[str]] | None:
    """('index_no' | 'doc_no' | 'proposal_number', candidate values) when the query looks
    like one of the archive's identifiers."""
    query = unicodedata.normalize("NFKC", (query or "").strip()).replace(" ", "")
    query_raw = (query or "").strip()
    if not query:
        return None
    if _INDEX_NO_RE.match(query):
        return "index_no", [query]
    if _DOC_NO_RE.match(query) or _DOC_NO_RE.match(query_raw):
        year = re.search(r"\d{4}", query)
        assert year is not None
        head, tail = query[: year.start() - 1], query[year.end() + 1 :]
        variants = [f"{head}{o}{year.group()}{c}{tail}" for o, c in _BRACKETS]
        return "doc_no", list(dict.fromkeys([query_raw, *variants]))
    match = _PROPOSAL_NO_RE.match(query)
    if match:
        number = match.group(1)
        return "proposal_number", [number]
    return None


# --------------------------------------------------------------------------- running a search

PAGE_SIZE = 20
#: Matches counted exactly up to this many; beyond it the count reads "10,000+" and the facets
#: are estimated from 10,001 of the matches (see FACET_SAMPLE).
COUNT_CAP = 10_000
#: Relevance is computed over the newest matches and the title matches, at most this many each:
#: ranking reads each candidate's word vector, so this bounds a common word's cost (measured at
#: 100,000 replies: 500 candidates 14 ms, 200 about 6 ms).
RANK_CAP = 200
TITLE_CAP = 200
FACET_SIZE = 12
#: Facets count at most about this many matches. A larger match is counted over a sample of
#: its entries (chosen by a hash of the reply id, so the same search samples alike) and the
#: counts are scaled up and marked approximate. Counting costs ~2 µs per entry and facet in
#: PostgreSQL's executor: 10,000 matches took ~20 ms of a 40 ms search (measured at
#: 100,000 replies); 2,000 keep a share's error within about ±2 points.
FACET_SAMPLE = 2_000

# Marked for translation; templates translate them when shown.
FACET_LABELS = {
    "agency": _noop("机构"),
    "lead_agency": _noop("主办单位"),
    "co_agency": _noop("协办单位"),
    "theme": _noop("主题分类"),
    "genre": _noop("体裁分类"),
    "kind": _noop("类型"),
    "session": _noop("会议"),
    "year": _noop("年份"),
    "member": _noop("委员/代表"),
    "reply_category": _noop("答复类别"),
}
KIND_LABELS = {"proposal": _noop("政协提案"), "suggestion": _noop("人大建议")}
AGENCY_FACETS = ("agency", "lead_agency", "co_agency")


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    #: Estimated from a sample of the match (see FACET_SAMPLE).
    approximate: bool = False


@dataclass
class Hit:
    reply: object  # replies.models.Reply, with lead agency and session loaded
    snippet: str  # HTML-safe: escaped text with <mark> around matches
    rank: float | None = None
    #: The linked members' names in the letter's order (`reply.member_links`, read with the
    #: reply in one query).
    members: list[str] = field(default_factory=list)


@dataclass
class SearchResults:
    query: str
    parsed: ParsedQuery
    sort: str
    page: int
    count: int
    count_capped: bool
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    exact_match: object | None = None  # a Reply when the query was its 索引号 or 文号
    #: A quoted phrase is confirmed for the replies shown; counts and facets count the
    #: replies holding all its characters' pairs, a few of them not adjacent.
    count_approximate: bool = False
    #: Some facet counts are estimates from a sample of a large match (FACET_SAMPLE).
    facets_approximate: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // PAGE_SIZE))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _cursor():
    from django.db import connection

    return connection.cursor()


@dataclass
class _TextMatch:
    """How a parsed query becomes SQL over the search entry `e`."""

    parsed: ParsedQuery
    title_only: bool

    @property
    def active(self) -> bool:
        return not self.parsed.is_empty()

    @property
    def phrases(self) -> list[str]:
        """Quoted phrases every result must contain (not OR alternatives)."""
        return [g[0].text for g in self.parsed.groups if len(g) == 1 and g[0].phrase]

    @property
    def needs_confirmation(self) -> bool:
        # In titles, positions make a phrase exact; in the body only the text can. A phrase
        # of one bigram (`"孵化"`) is exact already.
        return not self.title_only and any(len(bigrams(fold(p))) > 1 for p in self.phrases)

    def where(self, *, years: list[int] | None = None) -> tuple[str, list]:
        """SQL matching the text; `years` (a year filter) joins the bigram match as the
        entries' year lexemes, so the index applies both (the filter's own condition stays
        with the others)."""
        if not self.active:
            return "TRUE", []
        if self.title_only:
            return "e.title @@ %s::tsquery", [query_tsquery(self.parsed)]
        # Bigrams without positions: phrases match by AND here (a phrase operator never
        # matches a vector without positions) and are confirmed on the rows shown.
        tsquery = query_tsquery(self.parsed, phrase=False)
        if years and tsquery:
            lexemes = " | ".join(_quote_lexeme(year_lexeme(year)) for year in years)
            tsquery = f"({tsquery}) & ({lexemes})"
        return "e.bigrams @@ %s::tsquery", [tsquery]

    def confirm(self, alias: str) -> tuple[str, list]:
        """SQL true when every quoted phrase is in the text of reply `alias`.id."""
        if not self.needs_confirmation:
            return "TRUE", []
        from .models import public_text_sql

        text = f"lower(x.title || ' ' || {public_text_sql('x')})"
        checks = " AND ".join(f"strpos({text}, %s) > 0" for _ in self.phrases)
        return (
            f"EXISTS (SELECT 1 FROM replies_reply x WHERE x.id = {alias}.id AND {checks})",
            list(self.phrases),
        )

    def title_any(self) -> str:
        """Any term's bigrams adjacent in the title."""
        return " | ".join(q for q in (term_tsquery(t, phrase=True) for t in self.parsed.terms) if q)

    def rank(self) -> tuple[str, list]:
        """Title first (adjacent bigrams; the whole query as a phrase), then words in the title,
        linked names and the body's opening: over the rank entry `k` (LEFT JOINed: a reply
        without one ranks by nothing rather than dropping out)."""
        title_any = self.title_any()
        title_all = query_tsquery(self.parsed, phrase=True)
        word_q = words_tsquery(self.parsed) or title_any
        return (
            "2 * ts_rank_cd(COALESCE(k.title, ''::tsvector), %s::tsquery)"
            " + CASE WHEN k.title @@ %s::tsquery THEN 1 ELSE 0 END"
            " + ts_rank_cd(COALESCE(k.words, ''::tsvector), %s::tsquery, 1)",
            [title_any, title_all, word_q],
        )


#: What the matched set carries from each entry: everything counting, facets and ordering read.
_MATCHED_COLUMNS = (
    "e.reply_id AS id, e.sort_date, e.year, e.kind, e.reply_category, e.session_id, "
    "e.genre_id, e.lead_agency_id, e.agency_ids, e.co_agency_ids, e.theme_ids, e.member_ids"
)


#: The columns a facet's own matched set needs: only its facet's (a set is materialised, and
#: 10,000 rows of every column cost more to copy than the one counted).
_FACET_COLUMNS = {
    "agencies": ("agency_ids", "lead_agency_id", "co_agency_ids"),
    "theme": ("theme_ids",),
    "member": ("member_ids",),
    "kind": ("kind",),
    "year": ("year",),
    "reply_category": ("reply_category",),
    "session": ("session_id",),
    "genre": ("genre_id",),
}


def _matched_sql(
    filterset,
    match: _TextMatch,
    without: tuple[str, ...] = (),
    columns: str = _MATCHED_COLUMNS,
) -> tuple[str, list]:
    """The matched entries (capped; no order: counting and facets need none)."""
    conditions, condition_params = filterset.conditions(without=without)
    years = [] if "year" in without else filterset.form.cleaned_data.get("year") or []
    where, where_params = match.where(years=[int(year) for year in years])
    sql = (
        f"SELECT {columns} FROM replies_searchentry e "
        f"WHERE {conditions} AND {where} LIMIT {COUNT_CAP + 1}"
    )
    return sql, [*condition_params, *where_params]


_MATCHED_NAMES = (
    "id, sort_date, year, kind, reply_category, session_id, genre_id, lead_agency_id, "
    "agency_ids, co_agency_ids, theme_ids, member_ids"
)


def _matched_sets(filterset, match: _TextMatch) -> tuple[list[str], list, dict[str, str]]:
    """CTEs for the matched set `m` and, for each facet with a selection, the set it is
    counted over (the match under every other filter); returns them with their parameters and
    the name of each facet's set (a facet without one is counted over `m`).

    With two or more selected facets the text is matched once: the entries matching it and
    all but at most one of the selected facets are materialised (`w`, with a flag per facet)
    and every set is cut from those. A common term's GIN match costs several milliseconds,
    and PostgreSQL cannot share one bitmap between CTEs, so matching once per set cost a
    3-facet search four matches."""
    groups: dict[str, list[tuple[str, list]]] = {}
    for facet, condition, values in filterset.facet_conditions():
        groups.setdefault(_facet_base_key(facet), []).append((condition, values))
    if len(groups) < 2:
        matched_sql, matched_params = _matched_sql(filterset, match)
        ctes, params = [f"m AS MATERIALIZED ({matched_sql})"], list(matched_params)
        bases: dict[str, str] = {}
        for key in groups:
            without = AGENCY_FACETS if key == "agencies" else (key,)
            columns = ", ".join(
                f"e.{column}" for column in ("reply_id AS id", *_FACET_COLUMNS[key])
            )
            sql, sql_params = _matched_sql(filterset, match, without=without, columns=columns)
            bases[key] = f"m_{len(bases)}"
            ctes.append(f"{bases[key]} AS MATERIALIZED ({sql})")
            params.extend(sql_params)
        return ctes, params, bases

    conditions = [
        (" AND ".join(c for c, _ in group), [values for _, values in group])
        for group in groups.values()
    ]
    flags = ", ".join(f"({sql}) AS f_{index}" for index, (sql, _) in enumerate(conditions))
    # "All but at most one facet" as an OR of ANDs, so that the planner can combine the
    # facets' own indexes with the text match before it visits any row.
    all_but: list[str] = []
    all_but_params: list = []
    for skip in range(len(conditions)):
        kept = [conditions[index] for index in range(len(conditions)) if index != skip]
        all_but.append("(" + " AND ".join(sql for sql, _ in kept) + ")")
        all_but_params.extend(value for _, values in kept for value in values)
    base, base_params = filterset.base_conditions()
    where, where_params = match.where()
    ctes = [
        f"w AS MATERIALIZED (SELECT {_MATCHED_COLUMNS}, {flags} FROM replies_searchentry e "
        f"WHERE {base} AND {where} AND ({' OR '.join(all_but)}))"
    ]
    params = [
        *(value for _, values in conditions for value in values),
        *base_params,
        *where_params,
        *all_but_params,
    ]

    def cut(skip: int | None, names: str) -> str:
        kept = [f"f_{index}" for index in range(len(groups)) if index != skip]
        return f"SELECT {names} FROM w WHERE {' AND '.join(kept)} LIMIT {COUNT_CAP + 1}"

    ctes.append(f"m AS MATERIALIZED ({cut(None, _MATCHED_NAMES)})")
    bases = {}
    for index, key in enumerate(groups):
        bases[key] = f"m_{index}"
        names = ", ".join(("id", *_FACET_COLUMNS[key]))
        ctes.append(f"m_{index} AS MATERIALIZED ({cut(index, names)})")
    return ctes, params, bases


def run_search(params, *, page_size: int = PAGE_SIZE) -> SearchResults:
    """The one search engine behind the search page, the API, exports and feeds.

    `params` is a QueryDict (or dict of lists). Raises django.core.exceptions.ValidationError
    (a dict naming the bad parameters) for invalid input. One statement materialises the
    matched search entries once and reads the count, the page and every facet from them; a
    second one orders the whole match by date only when it is larger than the cap.
    """
    from .filters import ReplyFilter

    filterset = ReplyFilter(params)
    cleaned = filterset.clean_values()
    query = (cleaned.get("q") or "").strip()
    parsed = parse_query(query)
    sort = cleaned.get("sort") or ("relevance" if not parsed.is_empty() else "newest")
    if parsed.is_empty() and sort == "relevance":
        sort = "newest"
    page = int(cleaned.get("page") or 1)
    match = _TextMatch(parsed, bool(cleaned.get("title_only")))
    exact_ids = _exact_matches(query, filterset)

    ctes, ctes_params, bases = _matched_sets(filterset, match)
    sample_ctes, sample_sql = _facet_samples(["m", *bases.values()])
    ctes.extend(sample_ctes)
    facet_sql = _facet_sql(bases, filterset.ids)
    page_sql, page_params = _page_from_matched(filterset, match, sort, page, page_size)

    with _cursor() as cursor:
        cursor.execute(
            "WITH " + ", ".join(ctes) + " "
            "SELECT 'count', NULL, NULL, count(*)::float8 FROM m "
            f"UNION ALL (SELECT 'page', p.id::text, p.ord::text, p.rank FROM ({page_sql}) p) "
            f"UNION ALL {sample_sql} UNION ALL {facet_sql}",
            [*ctes_params, *page_params],
        )
        rows = cursor.fetchall()
        count = int(next(row[3] for row in rows if row[0] == "count"))
        if count > COUNT_CAP and sort != "relevance":
            # The matched set holds an arbitrary 10,001; the newest (or oldest) of the whole
            # match come from the date index.
            ordered_sql, ordered_params = _ordered_page(filterset, match, sort, page, page_size)
            cursor.execute(ordered_sql, ordered_params)
            ranked = [(row[0], None) for row in cursor.fetchall()]
        else:
            page_rows = sorted(
                (int(row[2]), int(row[1]), row[3]) for row in rows if row[0] == "page"
            )
            ranked = [(reply_id, rank) for _, reply_id, rank in page_rows]
    scales = {
        row[1]: int(row[2]) / row[3]
        for row in rows
        if row[0] == "sample" and row[3] and int(row[2]) > row[3]
    }
    facets = _shape_facets(
        [
            (row[0], row[1], row[2], int(row[3]))
            for row in rows
            if row[0] not in ("count", "page", "sample")
        ],
        filterset.active_filters(),
        {
            facet: scales[name]
            for facet in FACET_LABELS
            if (name := _facet_set(bases, facet)) in scales
        },
    )
    count_capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)
    if not count_capped:
        _count_sole_selections(facets, filterset.active_filters(), count)

    # Replies found by identifier lead the first page, even where the text did not match.
    ids = [reply_id for reply_id, _ in ranked]
    if exact_ids and page == 1:
        unmatched = [i for i in exact_ids if i not in ids]
        count += len(unmatched)
        ids = (exact_ids + [i for i in ids if i not in exact_ids])[:page_size]
    hits = _load_hits(ids, parsed, dict(ranked))
    exact_match = hits[0].reply if len(exact_ids) == 1 and hits and page == 1 else None
    return SearchResults(
        query=query,
        parsed=parsed,
        sort=sort,
        page=page,
        count=count,
        count_capped=count_capped,
        hits=hits,
        facets=facets,
        exact_match=exact_match,
        count_approximate=match.needs_confirmation,
        facets_approximate=bool(scales),
    )


def _param_items(params) -> list[tuple[str, list[str]]]:
    lists = params.lists() if hasattr(params, "lists") else params.items()
    return sorted((key, [str(v) for v in values]) for key, values in lists)


def search_cache_key(params, *, scope: tuple = ()) -> str | None:
    """The key under which what a search shows may be remembered, or None when it must not
    be (the cache is off, or this transaction has written).

    The key holds PostgreSQL's current snapshot (`pg_current_snapshot()`), which changes
    whenever a transaction that wrote anything ends, so whatever is cached under one snapshot
    is exactly what a search under that snapshot shows: no invalidation to get wrong, and each
    process may keep its own cache. Inside a transaction that has written (an admin action, a
    test), its own uncommitted changes are not in the key, so there is no key. `scope` names
    what else the cached thing depends on: the page or the API, the path, the host its links
    carry."""
    from django.conf import settings
    from django.utils.translation import get_language

    if settings.ARCHIVE_SEARCH_CACHE_SECONDS <= 0:
        return None
    with _cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text, txid_current_if_assigned()")
        snapshot, own_xid = cursor.fetchone()
    if own_xid is not None:
        return None
    # Facet labels are translated, so the language is part of the answer.
    identity = json.dumps(
        [snapshot, get_language(), _param_items(params), list(scope)],
        ensure_ascii=False,
    )
    return "search:" + hashlib.sha256(identity.encode()).hexdigest()


def _page_from_matched(
    filterset, match: _TextMatch, sort: str, page: int, page_size: int
) -> tuple[str, list]:
    """The page's (id, rank, ord), from the matched set `m`.

    Quoted phrases are confirmed in the text after ordering, row by row until the page is
    full (the filter sits above an already sorted subquery), so only the replies shown and
    the few skipped past are read."""
    offset = (page - 1) * page_size
    confirm, confirm_params = match.confirm("c")
    if sort == "relevance" and match.active:
        rank_sql, rank_params = match.rank()
        if match.title_only:
            title_candidates, title_params = "", []
        else:
            conditions, condition_params = filterset.conditions()
            title_candidates = (
                " UNION (SELECT e.reply_id FROM replies_searchentry e"
                f" WHERE {conditions} AND e.title @@ %s::tsquery LIMIT {TITLE_CAP})"
            )
            title_params = [*condition_params, match.title_any()]
        sql = f"""
            SELECT c.id, c.rank, row_number() OVER (
                ORDER BY c.rank DESC, c.sort_date DESC NULLS LAST, c.id DESC) AS ord
            FROM (
                SELECT t.reply_id AS id, t.sort_date, {rank_sql} AS rank
                FROM replies_searchentry t LEFT JOIN replies_rankentry k ON k.reply_id = t.reply_id
                WHERE t.reply_id IN (
                    (SELECT id FROM m ORDER BY sort_date DESC NULLS LAST, id DESC
                     LIMIT {RANK_CAP}){title_candidates})
                ORDER BY rank DESC, t.sort_date DESC NULLS LAST, t.reply_id DESC
            ) c
            WHERE {confirm}
            ORDER BY c.rank DESC, c.sort_date DESC NULLS LAST, c.id DESC
            LIMIT %s OFFSET %s
        """
        return sql, [*rank_params, *title_params, *confirm_params, page_size, offset]
    direction = "ASC NULLS LAST" if sort == "oldest" else "DESC NULLS LAST"
    id_direction = "ASC" if sort == "oldest" else "DESC"
    sql = f"""
        SELECT c.id, NULL::float8 AS rank, row_number() OVER (
            ORDER BY c.sort_date {direction}, c.id {id_direction}) AS ord
        FROM (SELECT id, sort_date FROM m ORDER BY sort_date {direction}, id {id_direction}) c
        WHERE {confirm}
        ORDER BY c.sort_date {direction}, c.id {id_direction}
        LIMIT %s OFFSET %s
    """
    return sql, [*confirm_params, page_size, offset]


def _ordered_page(
    filterset, match: _TextMatch, sort: str, page: int, page_size: int
) -> tuple[str, list]:
    """A page by date over the whole match, walking the date index: for a match this large
    the first page is found within a few dozen entries."""
    conditions, condition_params = filterset.conditions()
    where, where_params = match.where()
    confirm, confirm_params = match.confirm("c")
    direction = "ASC NULLS LAST" if sort == "oldest" else "DESC NULLS LAST"
    id_direction = "ASC" if sort == "oldest" else "DESC"
    sql = f"""
        SELECT c.id FROM (
            SELECT e.reply_id AS id, e.sort_date FROM replies_searchentry e
            WHERE {conditions} AND {where}
            ORDER BY e.sort_date {direction}, e.reply_id {id_direction}
        ) c
        WHERE {confirm}
        ORDER BY c.sort_date {direction}, c.id {id_direction}
        LIMIT %s OFFSET %s
    """
    return sql, [
        *condition_params,
        *where_params,
        *confirm_params,
        page_size,
        (page - 1) * page_size,
    ]


def _exact_matches(query: str, filterset) -> list[int]:
    kind = exact_lookup_kind(query)
    if kind is None:
        return []
    field, values = kind
    conditions, params = filterset.conditions()
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM replies_reply r JOIN replies_searchentry e ON e.reply_id = r.id "
            f"WHERE r.{field} = ANY(%s) AND {conditions} "
            f"ORDER BY e.sort_date DESC NULLS LAST, r.id DESC LIMIT {PAGE_SIZE}",
            [values, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def _facet_base_key(facet: str) -> str:
    # The three agency parameters are one facet seen three ways.
    return "agencies" if facet in AGENCY_FACETS else facet


_SCALAR_FACETS = ("kind", "year", "reply_category", "session", "genre")


def _facet_set(bases: dict[str, str], facet: str) -> str:
    """The matched set a facet is counted over: its own when it has a selection, else `m`."""
    return bases.get(_facet_base_key(facet), "m")


def _facet_samples(names: list[str]) -> tuple[list[str], str]:
    """For each matched set `x`, the CTE `x_s` facets count over — `x` itself when it holds
    at most FACET_SAMPLE entries, else about FACET_SAMPLE of them chosen by a hash of the
    reply id — and rows ('sample', x, entries, entries sampled) to scale the counts by."""
    ctes, rows = [], []
    for name in names:
        total = f"(SELECT n FROM {name}_n)"
        ctes.append(f"{name}_n AS (SELECT count(*) AS n FROM {name})")
        # hashint8: ids in a match are runs of neighbours (a proposal's replies are stored
        # together), which a plain `id % k` would sample in step with.
        ctes.append(
            f"{name}_s AS MATERIALIZED (SELECT * FROM {name} WHERE {total} <= {FACET_SAMPLE}"
            f" OR (hashint8(id) & 2147483647) %% ({total} / {FACET_SAMPLE} + 1) = 0)"
        )
        rows.append(
            f"(SELECT 'sample', '{name}', n::text, (SELECT count(*) FROM {name}_s)::float8"
            f" FROM {name}_n)"
        )
    return ctes, " UNION ALL ".join(rows)


def _facet_sql(bases: dict[str, str], selected_ids: dict[str, list[int]]) -> str:
    """A UNION ALL of facet counts (facet, value, label, count) over the matched sets.

    Without selections every facet counts `m`. A facet with selected values is counted over
    its own set (`bases`), the match without that facet's filter, so its alternatives stay
    visible with counts. Counting reads only the entries' columns and id arrays — no joins
    until the labels of the values shown. `selected_ids` are the ids selected per facet:
    they are listed, with their counts, however far down the facet they are."""

    def base(facet: str) -> str:
        return f"{_facet_set(bases, facet)}_s"

    branches = []
    # Scalar facets sharing a matched set are counted in one pass with GROUPING SETS.
    by_base: dict[str, list[str]] = {}
    for facet in _SCALAR_FACETS:
        by_base.setdefault(base(facet), []).append(facet)
    columns = {facet: _FACET_COLUMNS[facet][0] for facet in _SCALAR_FACETS}
    null_of = {
        "kind": "NULL::text",
        "year": "NULL::smallint",
        "reply_category": "NULL::text",
        "session_id": "NULL::bigint",
        "genre_id": "NULL::bigint",
    }
    for source, facets in by_base.items():
        sets = ", ".join(f"({columns[facet]})" for facet in facets)
        grouped = {columns[facet] for facet in facets}
        # Columns outside this pass's grouping sets are NULL: they are counted elsewhere.
        selected = ", ".join(
            column if column in grouped else f"{null_of[column]} AS {column}" for column in null_of
        )
        picks = " ".join(f"WHEN GROUPING({columns[facet]}) = 0 THEN '{facet}'" for facet in facets)
        branches.append(
            f"""(SELECT g.facet,
                    COALESCE(g.kind, g.year::text, g.reply_category, s.label, gn.name),
                    COALESCE(s.label, gn.name),
                    g.n
                 FROM (SELECT CASE {picks} END AS facet, {selected},
                              count(*)::float8 AS n
                       FROM {source} GROUP BY GROUPING SETS ({sets})) g
                 LEFT JOIN replies_session s ON s.id = g.session_id
                 LEFT JOIN replies_genre gn ON gn.id = g.genre_id
                 WHERE COALESCE(g.kind, g.year::text, g.reply_category,
                                g.session_id::text, g.genre_id::text, '') <> '')"""
        )
    for facet, expression, table, value, label in (
        (
            "agency",
            "unnest(agency_ids)",
            "replies_agency",
            "t.name",
            "COALESCE(NULLIF(t.short_name, ''), t.name)",
        ),
        (
            "lead_agency",
            "lead_agency_id",
            "replies_agency",
            "t.name",
            "COALESCE(NULLIF(t.short_name, ''), t.name)",
        ),
        (
            "co_agency",
            "unnest(co_agency_ids)",
            "replies_agency",
            "t.name",
            "COALESCE(NULLIF(t.short_name, ''), t.name)",
        ),
        ("theme", "unnest(theme_ids)", "replies_theme", "t.name", "t.name"),
        ("member", "unnest(member_ids)", "replies_member", "t.label", "t.label"),
    ):
        # Only the values a facet shows are labelled: the most frequent, and the selected
        # ones whatever their rank. Arrays hold no NULLs; only the lead agency may be NULL.
        chosen = [int(i) for i in selected_ids.get(facet, [])]
        first = f"(v IN ({', '.join(map(str, chosen))})) DESC, " if chosen else ""
        not_null = " WHERE v IS NOT NULL" if not expression.startswith("unnest") else ""
        branches.append(
            f"""(SELECT '{facet}', {value}, {label}, c.n FROM (
                    SELECT v, count(*)::float8 AS n
                    FROM (SELECT {expression} AS v FROM {base(facet)}) x{not_null}
                    GROUP BY v ORDER BY {first}n DESC LIMIT {FACET_SIZE + len(chosen)}) c
                 JOIN {table} t ON t.id = c.v)"""
        )
    return " UNION ALL ".join(branches)


def _count_sole_selections(
    facets: dict[str, list[FacetValue]], active: dict[str, list[str]], count: int
) -> None:
    """A facet's only selected value counts exactly the results: its set is the match under
    every other filter, and that set within the value is the match itself. Said outright, it
    is exact even where the facet's other values are estimates from a sample."""
    selected_by_group: dict[str, list[tuple[str, str]]] = {}
    for facet, values in active.items():
        for value in values:
            selected_by_group.setdefault(_facet_base_key(facet), []).append((facet, value))
    for selections in selected_by_group.values():
        if len(selections) != 1:
            continue
        facet, value = selections[0]
        for item in facets.get(facet, []):
            if item.value == value:
                item.count, item.approximate = count, False


def _shape_facets(
    rows, active: dict[str, list[str]], scales: dict[str, float] | None = None
) -> dict[str, list[FacetValue]]:
    """Facet values by facet: the most frequent, then any selected ones. `scales` multiply
    the counts of facets counted over a sample (which are then marked approximate)."""
    scales = scales or {}
    buckets: dict[str, dict[str, FacetValue]] = {facet: {} for facet in FACET_LABELS}
    for facet, value, label, count in rows:
        if value is None or facet not in buckets:
            continue
        value = str(value)
        if facet == "kind":
            label = gettext(KIND_LABELS.get(value, value))
        scale = scales.get(facet)
        buckets[facet][value] = FacetValue(
            value=value,
            label=label or value,
            count=round(count * scale) if scale else count,
            approximate=scale is not None,
        )
    facets: dict[str, list[FacetValue]] = {}
    for facet, values in buckets.items():
        selected = active.get(facet, [])
        if facet == "year":
            ordered = sorted(values.values(), key=lambda v: v.value, reverse=True)
        else:
            ordered = sorted(values.values(), key=lambda v: (-v.count, v.value))
        shown = ordered[:FACET_SIZE]
        for value in selected:
            # A selected value stays visible with its count, even when it matches nothing.
            item = values.get(value) or FacetValue(
                value=value, label=value, count=0, approximate=facet in scales
            )
            if item not in shown:
                shown.append(item)
        labels = Counter(item.label for item in shown)
        for item in shown:
            item.selected = item.value in selected
            if labels[item.label] > 1:
                # Two cities' 市科技局 side by side: their short name tells them apart from
                # nothing, their full name does.
                item.label = item.value
        facets[facet] = shown
    return facets


#: What a result row shows (the page's `_reply_row.html`, the API's `_hit`): loading only
#: these keeps a page of hits from reading 20 replies' every column.
HIT_FIELDS = (
    "index_no",
    "title",
    "kind",
    "role",
    "status",
    "proposal_number",
    "sort_date",
    "published_date",
    "written_date",
    "lead_agency__name",
    "lead_agency__short_name",
    "session__name",
    "session__label",
)


@lru_cache(maxsize=1)
def _hits_statement() -> tuple[str, tuple[str, ...], list[tuple[Any, tuple[str, ...]]]]:
    """The SELECT of a page of hits (HIT_FIELDS, the snippet's text, the members' names) and
    the attribute names its columns fill: the reply's, then each related object's (with the
    reply's field that points at it).

    Written once: compiling the same ORM query (select_related, only, two annotations) for
    every search was a third of a search's Python time, profiled."""
    from django.db import connection

    from .models import Reply, ReplyMember, public_text_sql

    quote = connection.ops.quote_name
    related: dict[str, tuple[str, ...]] = {}
    for name in HIT_FIELDS:
        if "__" in name:
            relation, column = name.split("__")
            related[relation] = (*related.get(relation, ()), column)
    wanted = {"id", *(name for name in HIT_FIELDS if "__" not in name), *related}
    # In the model's field order: Model.from_db takes values in that order.
    own = [f for f in Reply._meta.concrete_fields if f.name in wanted]
    reply_attnames = tuple(f.attname for f in own)
    columns = [f"r.{quote(f.column)}" for f in own]
    joins = []
    loaded_by_relation = []
    for index, (relation, names) in enumerate(related.items()):
        relation_field = Reply._meta.get_field(relation)
        target = relation_field.related_model._meta
        joins.append(
            f"LEFT JOIN {quote(target.db_table)} j{index} "
            f"ON j{index}.{quote(target.pk.column)} = r.{quote(relation_field.column)}"
        )
        # _load_hits puts the key first, which is the model's field order only if it is first.
        assert target.concrete_fields[0] is target.pk, target.label
        loaded = [f for f in target.concrete_fields if f.name in names]
        loaded_by_relation.append((relation_field, tuple(f.attname for f in loaded)))
        columns += [f"j{index}.{quote(f.column)}" for f in loaded]
    links, member = ReplyMember._meta, ReplyMember._meta.get_field("member").related_model._meta
    columns.append(public_text_sql("r"))
    columns.append(f"r.{quote(Reply._meta.get_field('body_simplified').column)}")
    columns.append(
        f"ARRAY(SELECT m.{quote(member.get_field('name').column)} "
        f"FROM {quote(links.db_table)} l JOIN {quote(member.db_table)} m "
        f"ON m.{quote(member.pk.column)} = l.{quote(links.get_field('member').column)} "
        f"WHERE l.{quote(links.get_field('reply').column)} = r.id "
        "ORDER BY l.position, l.id)"
    )
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Reply._meta.db_table)} r "
        f"{' '.join(joins)} WHERE r.id = ANY(%s)"
    )
    return sql, reply_attnames, loaded_by_relation


def _load_hits(ids: list[int], parsed: ParsedQuery, ranks: dict[int, float | None]) -> list[Hit]:
    from django.db import connection

    from .models import Reply

    if not ids:
        return []
    sql, reply_attnames, related = _hits_statement()
    with _cursor() as cursor:
        cursor.execute(sql, [list(ids)])
        rows = cursor.fetchall()
    by_id: dict[int, tuple] = {}
    for row in rows:
        # The reply and its related objects with only these fields loaded (any other is read
        # on access, as with only()); the snippet's text and the names follow.
        values = iter(row)
        reply = Reply.from_db(
            connection.alias, reply_attnames, [next(values) for _ in reply_attnames]
        )
        for pointer, names in related:
            loaded = [next(values) for _ in names]
            target = None
            key = getattr(reply, pointer.attname)
            if key is not None:
                # The key first: a model's primary key is its first field.
                target = pointer.related_model.from_db(
                    connection.alias,
                    [pointer.related_model._meta.pk.attname, *names],
                    [key, *loaded],
                )
            pointer.set_cached_value(reply, target)
        public_text, simplified, member_names = next(values), next(values), next(values)
        by_id[reply.pk] = (reply, public_text, simplified, member_names)
    marks = highlight_terms(parsed)
    return [
        Hit(
            reply=by_id[i][0],
            snippet=snippet(by_id[i][1], parsed, marks=marks, simplified=bool(by_id[i][2])),
            rank=ranks.get(i),
            members=by_id[i][3],
        )
        for i in ids
        if i in by_id
    ]


# --------------------------------------------------------------------------- snippets

SNIPPET_LENGTH = 140


def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """What to mark in a text: each term whole, and its segmented words as a fallback."""
    marks: list[str] = []
    for term in parsed.terms:
        marks.append(term.text)
        if not term.phrase:
            marks.extend(w for w in words(term.text, for_index=False) if len(w) >= 2)
    return sorted(dict.fromkeys(m for m in marks if m.strip()), key=len, reverse=True)


def _half_width(match: re.Match) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


@lru_cache(maxsize=64)
def _full_width_forms(marks: tuple[str, ...]) -> re.Pattern | None:
    """The full-width forms of the ASCII characters the marks hold (a letter in both cases;
    the ideographic space for a space): the only ones whose half-width form can complete a
    mark. A body's every full-width comma and bracket made half-width for a 文号's digits was
    most of a page's snippet time."""
    forms: set[str] = set()
    for char in "".join(marks):
        if char == " ":
            forms.add("\u3000")
        elif "!" <= char <= "~":
            forms.update(chr(ord(case) + 0xFEE0) for case in {char.lower(), char.upper()})
    if not forms:
        return None
    return re.compile(f"[{''.join(map(re.escape, sorted(forms)))}]")


def _fold_aligned(text: str, *, widths: re.Pattern | None, simplified: bool = False) -> str:
    """`fold` as far as it keeps every character in place and matters to the marks, so that
    positions of marks found in the folded text are positions in the original: the `widths`
    (`_full_width_forms` of the marks) made half-width as NFKC would, Traditional converted to
    Simplified (unless the text is `simplified`, `Reply.body_simplified`: OpenCC would leave
    it as it is), lower case."""
    if widths is not None:
        text = widths.sub(_half_width, text)
    if simplified:
        return text.lower()
    folded = _to_simplified(text).lower()
    if len(folded) == len(text):
        return folded
    return text.lower()


_SPACE_RE = re.compile(r"\s+")


def snippet(
    text: str,
    parsed: ParsedQuery,
    length: int = SNIPPET_LENGTH,
    *,
    marks: list[str] | None = None,
    simplified: bool = False,
) -> str:
    """An escaped excerpt around the first match with every match in it wrapped in <mark>.

    `marks` are `highlight_terms(parsed)`, when the caller has them already (a page of hits
    shares them). Only the excerpt is searched for marks and has its spaces collapsed: a
    reply's body is 5,000 characters and the excerpt 140. `simplified`: the text is known to
    hold nothing OpenCC converts (`Reply.body_simplified`), so it is searched without
    converting it — for a term that is not in the body (a 文号, an agency's alias) the
    conversion was two-thirds of a page's snippet time."""
    from django.utils.html import escape

    text = (text or "").strip()
    if not text:
        return ""
    marks = highlight_terms(parsed) if marks is None else marks
    lowered = text.lower()
    if len(lowered) == len(text) and all(term.text in lowered for term in parsed.terms):
        # The usual case, Simplified text that holds every term as typed: no need to fold a
        # whole body (OpenCC over 20 bodies is most of a page's snippet time).
        folded = lowered
    else:
        folded = _fold_aligned(text, widths=_full_width_forms(tuple(marks)), simplified=simplified)
    found = [position for position in (folded.find(mark) for mark in marks) if position != -1]
    window_start = max(0, min(found) - length // 4) if found else 0
    # Collapsed spaces make the excerpt shorter than the text it covers: cover a little more.
    window_end = min(len(text), window_start + length)
    while window_end < len(text):
        shown = len(_SPACE_RE.sub(" ", text[window_start:window_end]))
        if shown >= length:
            break
        window_end = min(len(text), window_end + length - shown)
    spans: list[tuple[int, int]] = []
    for mark in marks:  # longest first, so a whole term wins over its parts
        start = folded.find(mark, window_start)
        while start != -1 and start + len(mark) <= window_end:
            end = start + len(mark)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = folded.find(mark, end)
    spans.sort()

    def plain(piece: str) -> str:
        return escape(_SPACE_RE.sub(" ", piece))

    out = ["…" if window_start > 0 else ""]
    cursor = window_start
    for start, end in spans:
        out.append(plain(text[cursor:start]))
        out.append(f"<mark>{plain(text[start:end])}</mark>")
        cursor = end
    out.append(plain(text[cursor:window_end]))
    if window_end < len(text):
        out.append("…")
    return "".join(out)


# --------------------------------------------------------------------------- bulk reading


def count_and_ids(params, *, limit: int, chunk: int = 500):
    """For exports and feeds: the number of matching replies (counted up to `limit` + 1) and
    an iterator over their ids, newest first (oldest with sort=oldest), fetched in chunks by
    keyset pagination — never the whole set at once. Quoted phrases are exact here."""
    from .filters import ReplyFilter

    filterset = ReplyFilter(params)
    cleaned = filterset.clean_values()
    parsed = parse_query((cleaned.get("q") or "").strip())
    match = _TextMatch(parsed, bool(cleaned.get("title_only")))
    conditions, condition_params = filterset.conditions()
    where, where_params = match.where()
    confirm, confirm_params = match.confirm("e_id")
    confirm = confirm.replace("e_id.id", "e.reply_id")
    base_where = f"{conditions} AND {where} AND {confirm}"
    base_params = [*condition_params, *where_params, *confirm_params]
    oldest = cleaned.get("sort") == "oldest"
    order = "ASC" if oldest else "DESC"
    # NULL dates sort as the earliest day, so keyset comparisons stay simple.
    day = "COALESCE(e.sort_date, DATE '0001-01-01')"
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM replies_searchentry e WHERE {base_where} "
            f"LIMIT {limit + 1}) AS m",
            base_params,
        )
        total = cursor.fetchone()[0]

    def ids():
        last: tuple | None = None
        remaining = limit
        while remaining > 0:
            after, after_params = "TRUE", []
            if last is not None:
                after = f"({day}, e.reply_id) {'>' if oldest else '<'} (%s, %s)"
                after_params = list(last)
            with _cursor() as cursor:
                cursor.execute(
                    f"SELECT e.reply_id, {day} FROM replies_searchentry e "
                    f"WHERE {base_where} AND {after} "
                    f"ORDER BY {day} {order}, e.reply_id {order} LIMIT %s",
                    [*base_params, *after_params, min(chunk, remaining)],
                )
                rows = cursor.fetchall()
            if not rows:
                return
            for reply_id, _day in rows:
                yield reply_id
            remaining -= len(rows)
            last = (rows[-1][1], rows[-1][0])

    return total, ids()
