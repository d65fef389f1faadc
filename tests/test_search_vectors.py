import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replies.search import (
    BigramSet,
    IndexedText,
    _nfkc,
    bigrams,
    build_vectors,
    fold,
    prepare_body,
    tsvector_literal,
    words,
)


def test_fold_traditional_and_full_width():
    assert fold("科技企業孵化體系") == "科技企业孵化体系"
    assert fold("ＡＢＣ１２３") == "abc123"


def test_bigrams_cover_every_substring_of_two():
    assert bigrams("孵化器135家") == ["孵化", "化器", "135", "家"]
    assert bigrams("abc 号") == ["abc", "号"]


def test_nfkc_shortcut_gives_what_unicodedata_gives():
    samples = [
        "经研究，现答复如下：（一）加大投入……　下一步！",
        "ＡＢＣ１２３％，全角",
        "Ａ\u0301 and A\u0301: a full-width letter before a combining mark composes",
        "㈱ ① ｶ ﬁ 兀 \uf900 nothing common, but still compatibility characters",
        "plain ascii",
        "",
    ]
    for text in samples:
        assert _nfkc(text) == unicodedata.normalize("NFKC", text)


def _lexemes(literal: str) -> set[str]:
    """The lexemes of a literal of unquoted-safe tokens ('ab' 'c' …)."""
    return {token[1:-1] for token in literal.split(" ")} if literal else set()


@pytest.mark.parametrize(
    "text",
    [
        "孵化器135家",
        "abc 号",
        "科技企业孵化 孵化器 号 a1 ２０２４年",
        "",
        "一",
        "一二",
        "a",
        "号a号",
        "孵化孵化孵化",  # repeats: each lexeme once
        "㐀㐁 豈更 \u4dbf\u4e00 \u9fff\ufaff",  # the edges of every CJK range
        "𠀀𠀁 emoji 😀 中😀文",  # beyond the BMP: not tokens, and they split runs
        "it's a \\ 'quote'",
        "\ud800 lone surrogate 中文",
    ],
)
def test_bigram_set_literal_holds_the_set_of_bigrams_in_order(text):
    folded = fold(text) if "\ud800" not in text else text
    literal = BigramSet.of(folded).literal()
    assert _lexemes(literal) == set(bigrams(folded))
    assert len(literal.split(" ")) == len(set(bigrams(folded))) or not literal
    # Each once, sorted as PostgreSQL sorts lexemes (by their UTF-8 bytes).
    lexemes = [token[1:-1].encode() for token in literal.split(" ")] if literal else []
    assert lexemes == sorted(set(lexemes))


def test_bigram_literal_is_in_the_order_postgresql_stores(db):
    from django.db import connection

    folded = fold("孵化器135家 abc 号 year 科技企业孵化 孵 z9 𠀀中")
    title = BigramSet.of(fold("孵化器 李洁"))
    literal = BigramSet.of(folded).union(title).literal(["year=2024"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsvector::text", [literal])
        assert cursor.fetchone()[0] == literal
    assert "'year=2024'" in literal and "'李洁'" in literal and "'孵'" in literal


#: Chinese and ASCII tokens, separators, the edges of the CJK ranges and a character beyond them.
_ALPHABET = st.sampled_from(
    [*"孵化器企业科技号一二三abcz09AZ 　，。'\\-_😀", "\u3400", "\ufaff", "\u4dc0"]
)


@given(st.text(alphabet=_ALPHABET, max_size=60))
@settings(max_examples=300, deadline=None)
def test_bigram_set_of_generated_text_matches_bigrams(text):
    folded = fold(text)
    half = len(folded) // 2
    literal = BigramSet.of(folded).literal()
    assert _lexemes(literal) == set(bigrams(folded))
    lexemes = [token[1:-1].encode() for token in literal.split(" ")] if literal else []
    assert lexemes == sorted(set(lexemes))
    # A union is the set of both texts' tokens, as if they were one text with a break.
    union = BigramSet.of(folded[:half]).union(BigramSet.of(folded[half:]))
    assert _lexemes(union.literal()) == set(bigrams(f"{folded[:half]}\n{folded[half:]}"))


def test_segmenter_keeps_domain_terms_whole():
    assert "孵化器" in words("科技企业孵化器", for_index=False)


def test_words_are_tokens_only_however_full_the_memory(monkeypatch):
    from replies import search

    text = fold("科技企业，孵化器 abc！2024年 a-1")
    segments = search._segmenter().cut_for_search(text, True)
    expected = [token for token in segments if search._TOKEN_RE.fullmatch(token)]
    assert {",", "!", " ", "a-1"} <= set(segments) and {"abc", "2024", "孵化器"} <= set(expected)
    assert "a-1" not in expected
    assert words(text, for_index=True) == expected
    # A memory too full for a text's new words is replaced, and holds every answer again.
    monkeypatch.setattr(search, "_TOKEN_ANSWERS_MAX", len(set(segments)) + 1)
    monkeypatch.setattr(search, "_token_answers", {",": False, "x": True, "y": True})
    assert words(text, for_index=True) == expected
    assert set(search._token_answers) == set(segments)


def test_tsvector_literal_weights_positions_and_quoting():
    literal = tsvector_literal([(["a", "it's"], "A"), (["a"], "C")])
    assert literal == "'a':1A,11C 'it''s':2A"


def _reference_tsvector_literal(parts):
    """The literal's definition, one token at a time: positions count up from 1 and stop at
    PostgreSQL's last, 8 positions separate the parts, a lexeme keeps its first 16."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in parts:
        for token in tokens:
            position = min(position + 1, 16383)
            if len(positions.setdefault(token, [])) < 16:
                positions[token].append(f"{position}{weight}")
        position = min(position + 8, 16383)
    return " ".join(
        "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(labels)
        for lexeme, labels in positions.items()
    )


def test_tsvector_literal_matches_its_definition_past_the_last_position():
    import random

    rng = random.Random(7)
    vocabulary = ["孵化", "a", "it's", "back\\slash", "科技", "2024"]
    for size in (0, 1, 5, 16383, 16390, 20000):
        parts = [
            ([rng.choice(vocabulary) for _ in range(size)], "A"),
            ([], "B"),
            ([rng.choice(vocabulary) for _ in range(rng.randrange(30))], "C"),
        ]
        assert tsvector_literal(parts) == _reference_tsvector_literal(parts)
    literal = tsvector_literal([(["x"] * 16390, "A"), (["y"], "B")])
    assert literal.startswith("'x':1A,2A,") and literal.endswith(" 'y':16383B")


def test_build_vectors_weights_title_linked_body(db):
    from django.db import connection

    vectors = build_vectors(IndexedText(title="孵化器", linked="李洁", body="明月湖"), year=2024)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::tsvector @@ %s::tsquery, %s::tsvector @@ %s::tsquery,"
            " %s::tsvector @@ %s::tsquery, %s::tsvector @@ %s::tsquery",
            [
                vectors.bigrams,
                "'孵化':A & '化器':A",
                vectors.bigrams,
                "'李洁':B",
                vectors.words,
                "'明月湖':C",
                vectors.bigrams,
                "'year=2024'",
            ],
        )
        assert cursor.fetchone() == (True, True, True, True)


def test_search_entry_keeps_vectors_out_of_line_and_small_columns_plain(samples):
    """Counting and facets read every matched entry's small columns: they must be stored
    plain (never compressed), while the vectors leave the row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = 'replies_searchentry'::regclass AND attnum > 0"
        )
        storage = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM replies_searchentry WHERE pg_column_compression(agency_ids) "
            "IS NOT NULL OR pg_column_compression(member_ids) IS NOT NULL"
        )
        compressed = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class "
            "WHERE oid = 'replies_searchentry'::regclass"
        )
        out_of_line_bytes = cursor.fetchone()[0]
    for column in ("agency_ids", "co_agency_ids", "theme_ids", "member_ids", "kind"):
        assert storage[column] == "p", column
    assert storage["bigrams"] == "e"  # out of line, never compressed (it would not shrink)
    assert compressed == 0
    assert out_of_line_bytes > 0  # three replies' vectors already went to TOAST


def test_entries_carry_their_year_as_a_lexeme_no_text_yields(samples):
    from django.db import connection

    from replies.models import SearchEntry

    entry = SearchEntry.objects.exclude(year=None).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bigrams @@ %s::tsquery, bigrams @@ %s::tsquery FROM replies_searchentry "
            "WHERE reply_id = %s",
            [f"'year={entry.year}'", f"'year={entry.year + 1}'", entry.reply_id],
        )
        assert cursor.fetchone() == (True, False)
    # Text is folded to Chinese bigrams and runs of ASCII letters and digits: never `year=…`.
    assert not any("=" in gram for gram in bigrams(fold("year=2024 年份＝2024")))


def test_a_prepared_body_gives_the_same_vectors_and_only_for_its_own_body(db):
    from django.db import connection

    text = IndexedText(
        title="孵化器", linked="市科技局 李洁", body="經研究，現答復如下：明月湖ＡＢＣ"
    )
    plain = build_vectors(text, year=None)
    with connection.cursor() as cursor:
        for prepared in (prepare_body(text.body), prepare_body("另一份答复的正文")):
            vectors = build_vectors(text, prepared, year=None)
            # The same vectors as PostgreSQL reads them; a body prepared for other text is
            # not used.
            cursor.execute(
                "SELECT %s::tsvector = %s::tsvector, %s = %s, %s = %s",
                [
                    vectors.bigrams,
                    plain.bigrams,
                    vectors.words,
                    plain.words,
                    vectors.title,
                    plain.title,
                ],
            )
            assert cursor.fetchone() == (True, True, True)


@pytest.mark.django_db
def test_vectors_are_stored_without_compression_matching_out_of_line_ranking_inline(seed_reply):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attstorage FROM pg_attribute "
            "WHERE attrelid IN ('replies_searchentry'::regclass, 'replies_rankentry'::regclass)"
            " AND attname IN ('bigrams', 'title', 'words')"
        )
        storage = {(table, column): kind for table, column, kind in cursor.fetchall()}
    assert storage == {
        ("replies_searchentry", "bigrams"): "e",
        ("replies_searchentry", "title"): "e",
        ("replies_rankentry", "words"): "e",
        ("replies_rankentry", "title"): "e",
    }
    # A ranking row stays whole in its page: vectors well past the usual 2 KB threshold are
    # not moved to the table's TOAST (which holds no chunk this test's rows could own).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class "
            "WHERE oid = 'replies_rankentry'::regclass"
        )
        (toast,) = cursor.fetchone()
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {toast}), "
            "(SELECT min(pg_column_size(words)) FROM replies_rankentry)"
        )
        chunks, smallest = cursor.fetchone()
    assert chunks == 0 and smallest > 2000
