from replies.search import IndexedText, bigrams, build_vectors, fold, tsvector_literal, words


def test_fold_traditional_and_full_width():
    assert fold("科技企業孵化體系") == "科技企业孵化体系"
    assert fold("ＡＢＣ１２３") == "abc123"


def test_bigrams_cover_every_substring_of_two():
    assert bigrams("孵化器135家") == ["孵化", "化器", "135", "家"]
    assert bigrams("abc 号") == ["abc", "号"]


def test_segmenter_keeps_domain_terms_whole():
    assert "孵化器" in words("科技企业孵化器", for_index=False)


def test_tsvector_literal_weights_positions_and_quoting():
    literal = tsvector_literal([(["a", "it's"], "A"), (["a"], "C")])
    assert literal == "'a':1A,11C 'it''s':2A"


def test_build_vectors_weights_title_linked_body(db):
    from django.db import connection

    vectors = build_vectors(IndexedText(title="孵化器", linked="李洁", body="明月湖"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::tsvector @@ %s::tsquery, %s::tsvector @@ %s::tsquery,"
            " %s::tsvector @@ %s::tsquery",
            [
                vectors.bigrams,
                "'孵化':A & '化器':A",
                vectors.bigrams,
                "'李洁':B",
                vectors.words,
                "'明月湖':C",
            ],
        )
        assert cursor.fetchone() == (True, True, True)
