"""Chinese full-text search: vector building, query parsing, ranking, snippets and facets.

PostgreSQL's parser sees a run of Chinese characters as one word, so the archive segments
text itself and hands PostgreSQL ready-made `tsvector` / `tsquery` literals (no text-search
configuration, no contrib extension, independent of the server's locale):

- `search_words`: words from rjieba (jieba-rs) with a user dictionary of agency names,
  aliases, member names and domain terms, weighted title A / proposal, members, agencies B /
  body C. Good ranking for whole words.
- `search_bigrams`: overlapping character bigrams of every Chinese run plus ASCII words and
  numbers, same weights. Recall for any substring of two or more characters, whatever the
  segmenter did; one character is a prefix query (`'税':*`).

Both sides fold Traditional to Simplified (OpenCC) and full-width ASCII to half-width.
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
MAX_POSITIONS_PER_LEXEME = 64
# Text beyond this many characters is not indexed (a 20 MB page must not make a 1 MB vector).
MAX_INDEXED_CHARS = 60_000

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


@dataclass(frozen=True)
class ReplyVectors:
    words: str
    bigrams: str


def build_vectors(text: IndexedText) -> ReplyVectors:
    parts = [
        (fold(text.title), "A"),
        (fold(text.linked), "B"),
        (fold(text.body[:MAX_INDEXED_CHARS]), "C"),
    ]
    return ReplyVectors(
        words=tsvector_literal((words(part, for_index=True), w) for part, w in parts),
        bigrams=tsvector_literal((bigrams(part), w) for part, w in parts),
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
        q = term_tsquery(term, phrase=True)
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
#: Matches counted exactly up to this many; beyond it the count reads "10,000+".
COUNT_CAP = 10_000
#: Relevance is computed over at most this many candidates (title matches first).
RANK_CAP = 2_000
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

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // PAGE_SIZE))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def run_search(params, *, page_size: int = PAGE_SIZE) -> SearchResults:
    """The one search engine behind the search page, the API, exports and feeds.

    `params` is a QueryDict (or dict of lists). Raises django.core.exceptions.ValidationError
    (a dict naming the bad parameters) for invalid input.
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
    title_only = bool(cleaned.get("title_only"))

    exact_ids = _exact_matches(query, filterset.qs)
    match = _TextMatch(parsed, title_only)
    base_sql, base_params = _matched_ids_sql(filterset.qs, match)

    with _cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({base_sql} LIMIT {COUNT_CAP + 1}) AS m", base_params)
        count = cursor.fetchone()[0]
        ranked = _page_ids(cursor, base_sql, base_params, match, sort, page, page_size)
        facets = _facets(cursor, params, filterset, match)
    count_capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)

    # Replies found by identifier lead the first page, even where the text did not match.
    ids = [reply_id for reply_id, _ in ranked]
    if exact_ids:
        unmatched = [i for i in exact_ids if i not in ids]
        count += len(unmatched) if page == 1 else 0
        if page == 1:
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
    )


def _cursor():
    from django.db import connection

    return connection.cursor()


@dataclass
class _TextMatch:
    parsed: ParsedQuery
    title_only: bool

    @property
    def active(self) -> bool:
        return not self.parsed.is_empty()

    def where(self) -> tuple[str, list]:
        """SQL condition on `r` (replies_reply) and its parameters."""
        if not self.active:
            return "TRUE", []
        sql = "r.search_bigrams @@ %s::tsquery"
        params: list = [query_tsquery(self.parsed, weights="A" if self.title_only else "")]
        # Bigram adjacency cannot be trusted past a vector's 16,383rd position, so a quoted
        # phrase that must match (not one of several OR alternatives) is confirmed in the text.
        haystack = (
            "lower(r.title)" if self.title_only else "lower(r.title || ' ' || r.public_body_text)"
        )
        for group in self.parsed.groups:
            if len(group) == 1 and group[0].phrase:
                sql += f" AND strpos({haystack}, %s) > 0"
                params.append(group[0].text)
        return sql, params

    def rank(self) -> tuple[str, list]:
        bigram_q = query_tsquery(self.parsed)
        word_q = words_tsquery(self.parsed) or bigram_q
        title_q = query_tsquery(self.parsed, weights="A", phrase=True)
        # Cover density on bigrams rewards the words standing together; a whole-query title
        # match outweighs any body.
        return (
            "ts_rank_cd(r.search_bigrams, %s::tsquery, 1)"
            " + 0.5 * ts_rank_cd(r.search_words, %s::tsquery, 1)"
            " + CASE WHEN r.search_bigrams @@ %s::tsquery THEN 1 ELSE 0 END",
            [bigram_q, word_q, title_q],
        )


def _matched_ids_sql(filtered_qs, match: _TextMatch) -> tuple[str, list]:
    filtered_sql, filtered_params = filtered_qs.order_by().values("id").query.sql_with_params()
    where, where_params = match.where()
    sql = f"SELECT r.id FROM replies_reply r WHERE r.id IN ({filtered_sql}) AND {where}"
    return sql, [*filtered_params, *where_params]


def _page_ids(cursor, base_sql, base_params, match, sort, page, page_size):
    offset = (page - 1) * page_size
    if sort == "relevance" and match.active:
        rank_sql, rank_params = match.rank()
        cursor.execute(
            f"""
            WITH candidates AS MATERIALIZED ({base_sql} LIMIT {RANK_CAP})
            SELECT r.id, {rank_sql} AS rank
            FROM replies_reply r JOIN candidates c ON c.id = r.id
            ORDER BY rank DESC, r.sort_date DESC NULLS LAST, r.id DESC
            LIMIT %s OFFSET %s
            """,
            [*base_params, *rank_params, page_size, offset],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]
    direction = "ASC NULLS LAST" if sort == "oldest" else "DESC NULLS LAST"
    id_direction = "ASC" if sort == "oldest" else "DESC"
    cursor.execute(
        f"""
        WITH m AS MATERIALIZED ({base_sql})
        SELECT r.id FROM replies_reply r JOIN m ON m.id = r.id
        ORDER BY r.sort_date {direction}, r.id {id_direction}
        LIMIT %s OFFSET %s
        """,
        [*base_params, page_size, offset],
    )
    return [(row[0], None) for row in cursor.fetchall()]


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
    "session": ("r.session_id", ("replies_session", "label", "label")),
    "genre": ("r.genre_entity_id", ("replies_genre", "name", "name")),
}


def _facets(cursor, params, filterset, match: _TextMatch) -> dict[str, list[FacetValue]]:
    """Counts per facet value over the matched replies, in one statement.

    A facet with selected values is counted as if its own selection were not applied (so
    the alternatives stay visible, with counts); that facet gets its own matched set.
    """
    from .filters import ReplyFilter

    active = filterset.active_filters()
    bases: dict[str | None, tuple[str, list]] = {None: _matched_ids_sql(filterset.qs, match)}
    for facet in active:
        key = "agencies" if facet in ("agency", "lead_agency", "co_agency") else facet
        if key not in bases:
            excluded = ReplyFilter(params, exclude_facet=facet)
            if key == "agencies":
                # The three agency parameters are one facet seen three ways.
                excluded = _without_agency_filters(params)
            excluded.clean_values()
            bases[key] = _matched_ids_sql(excluded.qs, match)

    def base_for(facet: str) -> str | None:
        key = "agencies" if facet in ("agency", "lead_agency", "co_agency") else facet
        return key if key in bases else None

    ctes, cte_params, branches = [], [], []
    names = {}
    for index, (key, (sql, sql_params)) in enumerate(bases.items()):
        name = f"m{index}"
        names[key] = name
        ctes.append(f"{name} AS MATERIALIZED ({sql} LIMIT {COUNT_CAP + 1})")
        cte_params.extend(sql_params)

    for facet, (column, label_table) in _SCALAR_FACETS.items():
        base = names[base_for(facet)]
        if label_table:
            table, label_col, value_col = label_table
            branches.append(
                f"(SELECT '{facet}', t.{value_col}, t.{label_col}, NULL, count(*) "
                f"FROM {base} m JOIN replies_reply r ON r.id = m.id "
                f"JOIN {table} t ON t.id = {column} GROUP BY t.{value_col}, t.{label_col} "
                f"ORDER BY count(*) DESC LIMIT 200)"
            )
        else:
            branches.append(
                f"(SELECT '{facet}', {column}, NULL, NULL, count(*) "
                f"FROM {base} m JOIN replies_reply r ON r.id = m.id "
                f"WHERE {column} IS NOT NULL AND {column} <> '' GROUP BY {column})"
            )
    agency_base = names[base_for("agency")]
    branches.append(
        "(SELECT 'agency', a.name, COALESCE(NULLIF(a.short_name, ''), a.name), ra.role, count(*) "
        f"FROM {agency_base} m JOIN replies_replyagency ra ON ra.reply_id = m.id "
        "JOIN replies_agency a ON a.id = ra.agency_id "
        "GROUP BY GROUPING SETS ((a.name, a.short_name), (a.name, a.short_name, ra.role)))"
    )
    theme_base = names[base_for("theme")]
    branches.append(
        "(SELECT 'theme', t.name, t.name, NULL, count(*) "
        f"FROM {theme_base} m JOIN replies_reply_themes rt ON rt.reply_id = m.id "
        "JOIN replies_theme t ON t.id = rt.theme_id GROUP BY t.name "
        "ORDER BY count(*) DESC LIMIT 200)"
    )
    member_base = names[base_for("member")]
    branches.append(
        "(SELECT 'member', mb.label, mb.label, NULL, count(*) "
        f"FROM {member_base} m JOIN replies_replymember rm ON rm.reply_id = m.id "
        "JOIN replies_member mb ON mb.id = rm.member_id GROUP BY mb.label "
        "ORDER BY count(*) DESC LIMIT 200)"
    )
    cursor.execute(
        "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches),
        cte_params,
    )
    rows = cursor.fetchall()
    return _shape_facets(rows, active)


def _without_agency_filters(params):
    from .filters import ReplyFilter

    data = params.copy() if hasattr(params, "copy") else dict(params)
    for key in ("agency", "lead_agency", "co_agency"):
        data.pop(key, None)
    return ReplyFilter(data)


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
    """For exports and feeds: the number of matching replies (up to `limit` + 1) and an
    iterator over their ids, newest first, fetched in chunks (never the whole set at once)."""
    from .filters import ReplyFilter

    filterset = ReplyFilter(params)
    cleaned = filterset.clean_values()
    parsed = parse_query((cleaned.get("q") or "").strip())
    match = _TextMatch(parsed, bool(cleaned.get("title_only")))
    base_sql, base_params = _matched_ids_sql(filterset.qs, match)
    oldest = cleaned.get("sort") == "oldest"
    order = "ASC NULLS LAST" if oldest else "DESC NULLS LAST"
    id_order = "ASC" if oldest else "DESC"
    with _cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({base_sql} LIMIT {limit + 1}) AS m", base_params)
        total = cursor.fetchone()[0]

    def ids():
        last: tuple | None = None
        remaining = limit
        while remaining > 0:
            # Keyset pagination on (sort_date, id): stable and cheap however deep it goes.
            page_size = min(chunk, remaining)
            where, extra = "TRUE", []
            if last is not None:
                comparison = ">" if oldest else "<"
                where = f"(COALESCE(r.sort_date, DATE '0001-01-01'), r.id) {comparison} (%s, %s)"
                extra = [last[0], last[1]]
            with _cursor() as cursor:
                cursor.execute(
                    f"""
                    WITH m AS MATERIALIZED ({base_sql})
                    SELECT r.id, COALESCE(r.sort_date, DATE '0001-01-01')
                    FROM replies_reply r JOIN m ON m.id = r.id
                    WHERE {where}
                    ORDER BY COALESCE(r.sort_date, DATE '0001-01-01') {order}, r.id {id_order}
                    LIMIT %s
                    """,
                    [*base_params, *extra, page_size],
                )
                rows = cursor.fetchall()
            if not rows:
                return
            for reply_id, _ in rows:
                yield reply_id
            remaining -= len(rows)
            last = (rows[-1][1], rows[-1][0])

    return total, ids()
