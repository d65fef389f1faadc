"""Chinese full-text search: vector building, query parsing, ranking, snippets and facets.

PostgreSQL's parser sees a run of Chinese characters as one word, so the archive segments
text itself and hands PostgreSQL ready-made `tsvector` / `tsquery` literals (no text-search
configuration, no contrib extension, independent of the server's locale). Three columns, each
with a GIN index, each as small as its job allows (a reply's vectors are read for every
candidate, so their size is search time):

- `search_bigrams`: the set of character bigrams of every Chinese run, plus ASCII words and
  numbers, over the title, the linked names and the whole body — without positions. It
  decides what matches: any substring of two or more characters is found whatever the
  segmenter did; one character is a prefix query (`'税':*`). No positions means no recheck.
- `search_title`: the title's bigrams with positions: title-only search, exact phrases in
  titles, and the title's part of the ranking.
- `search_words`: words from rjieba (jieba-rs) with a user dictionary of agency names,
  aliases, member names and domain terms, over the title (weight A), proposal title, members
  and agencies (B) and the opening of the body (C), with positions: ranking.

Both sides fold Traditional to Simplified (OpenCC) and full-width ASCII to half-width. A quoted
phrase matches by its bigrams and is confirmed in the text for the replies shown; its counts are
then marked approximate.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _noop

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


def fold(text: str) -> str:
    """Traditional → Simplified, full-width ASCII → half-width, lower case."""
    if not text:
        return ""
    # NFKC turns full-width letters and digits into ASCII; CJK ideographs are unaffected.
    text = unicodedata.normalize("NFKC", text)
    with _t2s_lock:
        text = _t2s().convert(text)
    return text.lower()


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
    return [token for token in tokens if _TOKEN_RE.fullmatch(token)]


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


# --------------------------------------------------------------------------- tsvector literals


def _quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(weighted_tokens: Iterable[tuple[list[str], str]]) -> str:
    """Build a tsvector literal from (tokens, weight) parts laid end to end."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in weighted_tokens:
        for token in tokens:
            position = min(position + 1, MAX_POSITION)
            slots = positions.setdefault(token, [])
            if len(slots) < MAX_POSITIONS_PER_LEXEME:
                slots.append(f"{position}{weight}")
        # A gap between fields keeps a phrase from spanning the title and the body.
        position = min(position + 8, MAX_POSITION)
    return " ".join(f"{_quote_lexeme(lexeme)}:{','.join(p)}" for lexeme, p in positions.items())


@dataclass(frozen=True)
class IndexedText:
    """The text of one reply as search sees it, by weight."""

    title: str
    linked: str  # proposal title, members, agencies with aliases, document numbers
    body: str


#: The Reply columns holding search vectors: derived, large, never shown.
VECTOR_COLUMNS = ("search_words", "search_bigrams", "search_title")


@dataclass(frozen=True)
class ReplyVectors:
    words: str
    bigrams: str
    title: str


def lexeme_set_literal(tokens: Iterable[str]) -> str:
    """A tsvector literal of distinct lexemes without positions (a stripped vector)."""
    return " ".join(_quote_lexeme(token) for token in dict.fromkeys(tokens))


def build_vectors(text: IndexedText) -> ReplyVectors:
    title, linked = fold(text.title), fold(text.linked)
    body = fold(text.body[:MAX_INDEXED_CHARS])
    title_grams = bigrams(title)
    return ReplyVectors(
        words=tsvector_literal(
            [
                (words(title, for_index=True), "A"),
                (words(linked, for_index=True), "B"),
                (words(body[:LEDE_CHARS], for_index=True), "C"),
            ]
        ),
        bigrams=lexeme_set_literal([*title_grams, *bigrams(linked), *bigrams(body)]),
        title=tsvector_literal([(title_grams, "A")]),
    )


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
#: count the newest 10,000.
COUNT_CAP = 10_000
#: Relevance is computed over the newest matches and the title matches, at most this many each.
RANK_CAP = 2_000
TITLE_CAP = 1_000
FACET_SIZE = 12

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


@dataclass
class Hit:
    reply: object  # replies.models.Reply, with lead agency, session and members loaded
    snippet: str  # HTML-safe: escaped text with <mark> around matches
    rank: float | None = None


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
    """How a parsed query becomes SQL over `r` (replies_reply)."""

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
        # In titles, positions make a phrase exact; in the body only the text can.
        return bool(self.phrases) and not self.title_only

    def where(self) -> tuple[str, list]:
        if not self.active:
            return "TRUE", []
        if self.title_only:
            return "r.search_title @@ %s::tsquery", [query_tsquery(self.parsed, weights="")]
        # Stripped bigrams: phrases match by AND here (a phrase operator never matches a
        # vector without positions) and are confirmed on the rows shown.
        return "r.search_bigrams @@ %s::tsquery", [query_tsquery(self.parsed, phrase=False)]

    def confirm(self) -> tuple[str, list]:
        """SQL that is true when every quoted phrase is in the reply's text."""
        if not self.needs_confirmation:
            return "TRUE", []
        checks = " AND ".join(
            "strpos(lower(r.title || ' ' || r.public_body_text), %s) > 0" for _ in self.phrases
        )
        return checks, list(self.phrases)

    def rank(self) -> tuple[str, list]:
        """Title first (adjacent bigrams, the whole query as a phrase), then words in the title,
        linked names and the body's opening. Both vectors are small, so this is cheap."""
        title_any = " | ".join(
            q for q in (term_tsquery(t, phrase=True) for t in self.parsed.terms) if q
        )
        title_all = query_tsquery(self.parsed, phrase=True)
        word_q = words_tsquery(self.parsed) or title_any
        return (
            "2 * ts_rank_cd(COALESCE(r.search_title, ''::tsvector), %s::tsquery)"
            " + CASE WHEN r.search_title @@ %s::tsquery THEN 1 ELSE 0 END"
            " + ts_rank_cd(COALESCE(r.search_words, ''::tsvector), %s::tsquery, 1)",
            [title_any, title_all, word_q],
        )


def _matched_sql(filtered_qs, match: _TextMatch, *, oldest_first: bool = False) -> tuple[str, list]:
    """The matched replies (id, date), newest first (oldest first for that sort), capped:
    the one set count, page and facets read."""
    filtered_sql, filtered_params = filtered_qs.order_by().values("id").query.sql_with_params()
    where, where_params = match.where()
    direction = "ASC NULLS LAST" if oldest_first else "DESC NULLS LAST"
    id_direction = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT r.id, r.sort_date FROM replies_reply r "
        f"WHERE r.id IN ({filtered_sql}) AND {where} "
        f"ORDER BY r.sort_date {direction}, r.id {id_direction} LIMIT {COUNT_CAP + 1}"
    )
    return sql, [*filtered_params, *where_params]


def _title_any(parsed: ParsedQuery) -> str:
    """Any term's bigrams adjacent in the title."""
    return " | ".join(q for q in (term_tsquery(t, phrase=True) for t in parsed.terms) if q)


def run_search(params, *, page_size: int = PAGE_SIZE) -> SearchResults:
    """The one search engine behind the search page, the API, exports and feeds.

    `params` is a QueryDict (or dict of lists). Raises django.core.exceptions.ValidationError
    (a dict naming the bad parameters) for invalid input. One SQL statement evaluates the
    match once and reads count, page and facets from it.
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
    exact_ids = _exact_matches(query, filterset.qs)

    ctes: list[str] = []
    ctes_params: list = []
    matched_sql, matched_params = _matched_sql(filterset.qs, match, oldest_first=sort == "oldest")
    ctes.append(f"m AS MATERIALIZED ({matched_sql})")
    ctes_params.extend(matched_params)

    page_sql, page_params = _page_sql(match, sort, page, page_size)
    facet_ctes, facet_ctes_params, facet_sql = _facet_sql(params, filterset, match)
    ctes.extend(facet_ctes)
    ctes_params.extend(facet_ctes_params)

    with _cursor() as cursor:
        cursor.execute(
            "WITH " + ", ".join(ctes) + " "
            "SELECT 'count', NULL, NULL, NULL, count(*)::float8 FROM m "
            f"UNION ALL (SELECT 'page', p.id::text, p.ord::text, NULL, p.rank FROM ({page_sql}) p) "
            f"UNION ALL {facet_sql}",
            [*ctes_params, *page_params],
        )
        rows = cursor.fetchall()

    count = int(next(row[4] for row in rows if row[0] == "count"))
    page_rows = sorted((int(row[2]), int(row[1]), row[4]) for row in rows if row[0] == "page")
    ranked = [(reply_id, rank) for _, reply_id, rank in page_rows]
    facets = _shape_facets(
        [
            (row[0], row[1], row[2], row[3], int(row[4]))
            for row in rows
            if row[0] not in ("count", "page")
        ],
        filterset.active_filters(),
    )
    count_capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)

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
    )


def _page_sql(match: _TextMatch, sort: str, page: int, page_size: int) -> tuple[str, list]:
    """The page's (id, rank, ord), read from `m`.

    Quoted phrases are confirmed in the text after ordering, row by row until the page is
    full (the filter sits above an already sorted subquery), so only the replies shown and
    the few skipped past are read."""
    offset = (page - 1) * page_size
    confirm, confirm_params = match.confirm()
    confirm_sql = (
        "TRUE"
        if confirm == "TRUE"
        else f"EXISTS (SELECT 1 FROM replies_reply r WHERE r.id = c.id AND {confirm})"
    )
    if sort == "relevance" and match.active:
        rank_sql, rank_params = match.rank()
        if match.title_only:
            title_candidates, title_params = "", []
        else:
            title_candidates = (
                " UNION (SELECT t.id FROM replies_reply t WHERE t.id IN (SELECT id FROM m)"
                f" AND t.search_title @@ %s::tsquery LIMIT {TITLE_CAP})"
            )
            title_params = [_title_any(match.parsed)]
        sql = f"""
            SELECT c.id, c.rank, row_number() OVER (
                ORDER BY c.rank DESC, c.sort_date DESC NULLS LAST, c.id DESC) AS ord
            FROM (
                SELECT r.id, r.sort_date, {rank_sql} AS rank
                FROM replies_reply r
                WHERE r.id IN ((SELECT id FROM m LIMIT {RANK_CAP}){title_candidates})
                ORDER BY rank DESC, r.sort_date DESC NULLS LAST, r.id DESC
            ) c
            WHERE {confirm_sql}
            ORDER BY c.rank DESC, c.sort_date DESC NULLS LAST, c.id DESC
            LIMIT %s OFFSET %s
        """
        return sql, [*rank_params, *title_params, *confirm_params, page_size, offset]
    direction = "ASC NULLS LAST" if sort == "oldest" else "DESC NULLS LAST"
    id_direction = "ASC" if sort == "oldest" else "DESC"
    # `m` is already in this order and holds the dates: no join unless a phrase needs reading.
    sql = f"""
        SELECT c.id, NULL::float8 AS rank, row_number() OVER (
            ORDER BY c.sort_date {direction}, c.id {id_direction}) AS ord
        FROM m c
        WHERE {confirm_sql}
        ORDER BY c.sort_date {direction}, c.id {id_direction}
        LIMIT %s OFFSET %s
    """
    return sql, [*confirm_params, page_size, offset]


def _exact_matches(query: str, filtered_qs) -> list[int]:
    kind = exact_lookup_kind(query)
    if kind is None:
        return []
    field, values = kind
    return list(
        filtered_qs.filter(**{f"{field}__in": values})
        .order_by("-sort_date", "-id")
        .values_list("id", flat=True)[:PAGE_SIZE]
    )


# Scalar facets read a column of the reply; link facets a many-to-many table.
_SCALAR_FACETS = {
    "kind": ("r.kind", None),
    "year": ("r.year::text", None),
    "reply_category": ("r.reply_category", None),
    "session": ("r.session_id", ("replies_session", "label")),
    "genre": ("r.genre_entity_id", ("replies_genre", "name")),
}


def _facet_base_key(facet: str) -> str:
    # The three agency parameters are one facet seen three ways.
    return "agencies" if facet in AGENCY_FACETS else facet


def _facet_sql(params, filterset, match: _TextMatch) -> tuple[list[str], list, str]:
    """CTEs and a UNION ALL of facet counts over the matched replies.

    Without selections every facet counts `m`. A facet with selected values is counted as if
    its own selection were not applied (so its alternatives stay visible, with counts): it
    gets its own matched set, without that facet's filter."""
    from .filters import ReplyFilter

    bases: dict[str, str] = {}
    ctes: list[str] = []
    ctes_params: list = []
    for facet in filterset.active_filters():
        key = _facet_base_key(facet)
        if key in bases:
            continue
        if key == "agencies":
            data = params.copy() if hasattr(params, "copy") else dict(params)
            for name in AGENCY_FACETS:
                data.pop(name, None)
            without = ReplyFilter(data)
        else:
            without = ReplyFilter(params, exclude_facet=facet)
        without.clean_values()
        sql, sql_params = _matched_sql(without.qs, match)
        name = f"m_{len(bases)}"
        bases[key] = name
        ctes.append(f"{name} AS MATERIALIZED ({sql})")
        ctes_params.extend(sql_params)

    def base(facet: str) -> str:
        return bases.get(_facet_base_key(facet), "m")

    branches = []
    for facet, (column, label_table) in _SCALAR_FACETS.items():
        if label_table:
            table, label = label_table
            branches.append(
                f"(SELECT '{facet}', t.{label}, t.{label}, NULL, count(*)::float8 "
                f"FROM {base(facet)} m JOIN replies_reply r ON r.id = m.id "
                f"JOIN {table} t ON t.id = {column} GROUP BY t.{label} "
                f"ORDER BY count(*) DESC LIMIT 200)"
            )
        else:
            branches.append(
                f"(SELECT '{facet}', {column}, NULL, NULL, count(*)::float8 "
                f"FROM {base(facet)} m JOIN replies_reply r ON r.id = m.id "
                f"WHERE {column} IS NOT NULL AND {column} <> '' GROUP BY {column})"
            )
    branches.append(
        "(SELECT 'agency', a.name, COALESCE(NULLIF(a.short_name, ''), a.name), ra.role, "
        f"count(*)::float8 FROM {base('agency')} m "
        "JOIN replies_replyagency ra ON ra.reply_id = m.id "
        "JOIN replies_agency a ON a.id = ra.agency_id "
        "GROUP BY GROUPING SETS ((a.name, a.short_name), (a.name, a.short_name, ra.role)))"
    )
    branches.append(
        f"(SELECT 'theme', t.name, t.name, NULL, count(*)::float8 FROM {base('theme')} m "
        "JOIN replies_reply_themes rt ON rt.reply_id = m.id "
        "JOIN replies_theme t ON t.id = rt.theme_id GROUP BY t.name "
        "ORDER BY count(*) DESC LIMIT 200)"
    )
    branches.append(
        f"(SELECT 'member', mb.label, mb.label, NULL, count(*)::float8 FROM {base('member')} m "
        "JOIN replies_replymember rm ON rm.reply_id = m.id "
        "JOIN replies_member mb ON mb.id = rm.member_id GROUP BY mb.label "
        "ORDER BY count(*) DESC LIMIT 200)"
    )
    return ctes, ctes_params, " UNION ALL ".join(branches)


def _shape_facets(rows, active: dict[str, list[str]]) -> dict[str, list[FacetValue]]:
    buckets: dict[str, dict[str, FacetValue]] = {facet: {} for facet in FACET_LABELS}
    for facet, value, label, role, count in rows:
        if value is None:
            continue
        value = str(value)
        if facet == "agency":
            target = {None: "agency", "lead": "lead_agency", "co": "co_agency"}[role]
        else:
            target = facet
        if facet == "kind":
            label = gettext(KIND_LABELS.get(value, value))
        buckets[target][value] = FacetValue(value=value, label=label or value, count=count)
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
            item = values.get(value) or FacetValue(value=value, label=value, count=0)
            if item not in shown:
                shown.append(item)
        for item in shown:
            item.selected = item.value in selected
        facets[facet] = shown
    return facets


def _load_hits(ids: list[int], parsed: ParsedQuery, ranks: dict[int, float | None]) -> list[Hit]:
    from .models import Reply
    from .queries import members_in_order

    replies = (
        Reply.objects.filter(id__in=ids)
        .select_related("lead_agency", "session")
        .prefetch_related(members_in_order())
        .defer("search_words", "search_bigrams", "body_text")
    )
    by_id = {reply.id: reply for reply in replies}
    return [
        Hit(reply=by_id[i], snippet=snippet(by_id[i].public_body_text, parsed), rank=ranks.get(i))
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


def _fold_aligned(text: str) -> str:
    """`fold` when it keeps every character in place (true for ordinary text), so positions
    found in the folded text are positions in the original."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded
    return text.lower()


def snippet(text: str, parsed: ParsedQuery, length: int = SNIPPET_LENGTH) -> str:
    """An escaped excerpt around the first match with every match wrapped in <mark>."""
    from django.utils.html import escape

    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        return ""
    marks = highlight_terms(parsed)
    folded = _fold_aligned(text)
    spans: list[tuple[int, int]] = []
    for mark in marks:
        start = folded.find(mark)
        while start != -1 and len(spans) < 200:
            end = start + len(mark)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = folded.find(mark, end)
    spans.sort()
    if spans:
        first = spans[0][0]
        window_start = max(0, first - length // 4)
    else:
        window_start = 0
    window_end = min(len(text), window_start + length)
    out = ["…" if window_start > 0 else ""]
    cursor = window_start
    for start, end in spans:
        if start < window_start or end > window_end:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:window_end]))
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
    filtered_sql, filtered_params = filterset.qs.order_by().values("id").query.sql_with_params()
    where, where_params = match.where()
    confirm, confirm_params = match.confirm()
    base_where = f"r.id IN ({filtered_sql}) AND {where} AND {confirm}"
    base_params = [*filtered_params, *where_params, *confirm_params]
    oldest = cleaned.get("sort") == "oldest"
    order = "ASC" if oldest else "DESC"
    # NULL dates sort as the earliest day, so keyset comparisons stay simple.
    day = "COALESCE(r.sort_date, DATE '0001-01-01')"
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM replies_reply r WHERE {base_where} "
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
                after = f"({day}, r.id) {'>' if oldest else '<'} (%s, %s)"
                after_params = list(last)
            with _cursor() as cursor:
                cursor.execute(
                    f"SELECT r.id, {day} FROM replies_reply r WHERE {base_where} AND {after} "
                    f"ORDER BY {day} {order}, r.id {order} LIMIT %s",
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
