import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from replies.models import Reply
from replies.search import parse_query, run_search, snippet
from tests.conftest import SEED_INDEX_NO

JW_INDEX_NO = "11500000009275780L/2024-00213"
MOST_INDEX_NO = "000014349/2024-00317"


def search(query: str = "", **filters) -> list[str | None]:
    return [hit.reply.index_no for hit in run(query, **filters).hits]


def run(query: str = "", **filters):
    params = QueryDict(mutable=True)
    if query:
        params["q"] = query
    for key, value in filters.items():
        params.setlist(key, value if isinstance(value, list) else [value])
    return run_search(params)


def test_parse_query_websearch_syntax():
    parsed = parse_query('"科技企业孵化" 明月湖 OR 照母山 -两江 科技企業')
    assert [[t.text for t in group] for group in parsed.groups] == [
        ["科技企业孵化"],
        ["明月湖", "照母山"],
        ["科技企业"],
    ]
    assert parsed.groups[0][0].phrase
    assert [t.text for t in parsed.excluded] == ["两江"]


@pytest.mark.usefixtures("samples")
class TestMatching:
    def test_substring_of_body(self):
        assert search("孵化")[0] == SEED_INDEX_NO
        assert SEED_INDEX_NO in search("技术经纪")
        assert search("明月湖") == [SEED_INDEX_NO]

    def test_traditional_query_finds_simplified_reply(self):
        assert search("科技企業孵化體系")[0] == SEED_INDEX_NO

    def test_member_and_agency_names(self):
        assert search("李洁")[0] == SEED_INDEX_NO
        assert SEED_INDEX_NO in search("市国资委")
        # The full name is nowhere in the text; the reply is linked to it.
        assert SEED_INDEX_NO in search("重庆市人民政府国有资产监督管理委员会")

    def test_doc_no_and_index_no_go_first(self):
        results = run("渝科局函〔2024〕275号")
        assert results.hits[0].reply.index_no == SEED_INDEX_NO
        assert results.exact_match.index_no == SEED_INDEX_NO
        assert search("渝科局函[2024]275号")[0] == SEED_INDEX_NO
        assert search(JW_INDEX_NO)[0] == JW_INDEX_NO

    def test_proposal_number_goes_first(self):
        assert search("第0387号")[0] == JW_INDEX_NO
        assert search("03105号提案")[0] == MOST_INDEX_NO

    def test_phrase_needs_adjacency(self):
        assert search('"孵化体系"') == [SEED_INDEX_NO]
        assert search('"体系孵化"') == []
        # The check reads the public text: the body for the seed (nothing redacted, no public
        # copy stored), the redacted copy for the reply that prints a telephone number.
        assert Reply.objects.get(index_no=SEED_INDEX_NO).public_body_text == ""
        assert Reply.objects.get(index_no=JW_INDEX_NO).public_body_text != ""
        assert JW_INDEX_NO in search('"师资队伍"')

    def test_exclusion_and_or(self):
        assert SEED_INDEX_NO not in search("科技 -明月湖")
        assert set(search("明月湖 OR 师资队伍")) == {SEED_INDEX_NO, JW_INDEX_NO}

    def test_title_only(self):
        assert search("孵化", title_only="true") == []
        assert search("1005号提案答复", title_only="true") == [SEED_INDEX_NO]

    def test_single_character(self):
        assert JW_INDEX_NO in search("师")

    def test_redacted_phone_number_is_not_searchable(self):
        assert search("023-12345678") == []
        assert search("12345678") == []
        assert search("刘老师") == []


@pytest.mark.usefixtures("samples")
class TestFilters:
    def test_co_agency_filter_with_query(self):
        assert search("孵化", agency="市国资委") == [SEED_INDEX_NO]
        assert search("孵化", agency="重庆市人民政府国有资产监督管理委员会") == [SEED_INDEX_NO]
        assert search("孵化", co_agency="市国资委") == [SEED_INDEX_NO]
        assert search("孵化", lead_agency="市国资委") == []
        assert search("孵化", lead_agency="市科技局") == [SEED_INDEX_NO]

    def test_values_within_a_facet_or_facets_and(self):
        assert set(search(kind=["proposal", "suggestion"])) == {
            SEED_INDEX_NO,
            JW_INDEX_NO,
            MOST_INDEX_NO,
        }
        assert search(kind="suggestion") == [JW_INDEX_NO]
        assert search(kind="suggestion", theme="科技") == []

    def test_empty_query_lists_filtered_replies_newest_first(self):
        results = run(year="2024")
        dates = [hit.reply.sort_date for hit in results.hits]
        assert dates == sorted(dates, reverse=True)
        assert results.sort == "newest"
        assert results.count == 3

    def test_oldest_sort(self):
        dates = [hit.reply.sort_date for hit in run("科技", sort="oldest").hits]
        assert dates == sorted(dates)

    def test_date_range(self):
        assert search(date_from="2024-09-01", date_to="2024-09-30") == [MOST_INDEX_NO]

    def test_member_and_session_filters(self):
        assert search(member="李洁") == [SEED_INDEX_NO]
        assert search(session="市六届人大二次会议") == [JW_INDEX_NO]

    @pytest.mark.parametrize(
        ("params", "bad"),
        [
            ({"year": "abc"}, "year"),
            ({"agency": "不存在的局"}, "agency"),
            ({"kind": "petition"}, "kind"),
            ({"page": "0"}, "page"),
            ({"sort": "random"}, "sort"),
            ({"date_from": "2024-13-45"}, "date_from"),
            ({"theme": "没有这个主题"}, "theme"),
        ],
    )
    def test_bad_parameters_name_the_parameter(self, params, bad):
        with pytest.raises(ValidationError) as info:
            run(**params)
        assert bad in info.value.message_dict


@pytest.mark.usefixtures("samples")
class TestFacets:
    def test_facets_count_the_matched_replies(self):
        facets = run("科技").facets
        kinds = {v.value: v.count for v in facets["kind"]}
        assert kinds == {"proposal": 2, "suggestion": 1}
        lead = {v.value: v.count for v in facets["lead_agency"]}
        assert lead["重庆市科学技术局"] == 1
        co = {v.label: v.count for v in facets["co_agency"]}
        assert co["市国资委"] == 1
        assert {v.value for v in facets["year"]} == {"2024"}

    def test_selected_facet_keeps_its_alternatives_with_counts(self):
        facets = run("科技", kind="proposal").facets
        kinds = {v.value: (v.count, v.selected) for v in facets["kind"]}
        assert kinds == {"proposal": (2, True), "suggestion": (1, False)}
        # Other facets are counted within the selection.
        # Sessions are labelled with their region where the name recurs across regions.
        assert {v.value for v in facets["session"]} == {
            "市政协六届二次会议（重庆市）",
            "政协十四届全国委员会第二次会议",
        }

    def test_selected_value_with_no_match_stays_visible(self):
        facets = run("明月湖", theme="教育").facets
        theme = {v.value: (v.count, v.selected) for v in facets["theme"]}
        assert theme["教育"] == (0, True)


def test_snippet_marks_matches_and_escapes():
    parsed = parse_query("孵化")
    html = snippet("<b>科技企业孵化</b>体系，孵化器", parsed)
    assert "&lt;b&gt;" in html
    assert html.count("<mark>") == 2
    assert "<b>" not in html


def test_snippet_folds_width_and_traditional_in_place():
    # Full-width digits match a half-width query, Traditional text a Simplified query, and the
    # marks land on the original characters.
    html = snippet("截至２０２４年，共認定孵化機構３家。", parse_query("2024 孵化机构"))
    assert "<mark>２０２４</mark>" in html
    assert "<mark>孵化機構</mark>" in html
    assert snippet("（二）推进孵化工作", parse_query("(二)")).startswith("<mark>（二）</mark>")


def test_hits_hold_everything_a_result_row_shows(ingested, rf, django_assert_num_queries):
    # Hits load only the columns a result shows; anything else would cost a query per row.
    from django.template.loader import render_to_string

    from replies.api import _hit

    results = run("答复")
    assert len(results.hits) >= 10
    request = rf.get("/api/search")
    with django_assert_num_queries(0):
        rows = [_hit(request, hit) for hit in results.hits]
        html = "".join(
            render_to_string(
                "replies/_reply_row.html",
                {"reply": h.reply, "snippet": h.snippet, "members": h.members},
            )
            for h in results.hits
        )
    assert all(row["title"] and row["url"] for row in rows)
    assert html.count('<article class="result">') == len(results.hits)
    # The members, read with the replies, are the linked members in the letter's order.
    for hit, row in zip(results.hits, rows, strict=True):
        linked = [link.member.name for link in hit.reply.member_links.order_by("position")]
        assert hit.members == row["members"] == linked
        if linked:
            assert "、".join(linked) in html
    assert any(hit.members for hit in results.hits)


def test_snippet_is_an_excerpt_around_the_first_match_with_spaces_collapsed():
    body = (
        "开头。\n\n"
        + "无关的句子。" * 200
        + "我们将推进\n  科技企业孵化\n工作，"
        + "其他内容。" * 200
    )
    html = snippet(body, parse_query("孵化"))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>孵化</mark>" in html
    assert "\n" not in html and "  " not in html
    visible = html.replace("<mark>", "").replace("</mark>", "")
    assert 100 <= len(visible) <= 160
    assert visible.index("孵化") < 60  # the match near the start of the excerpt


def test_prepare_body_says_whether_opencc_would_change_the_body():
    from replies.search import MAX_INDEXED_CHARS, prepare_body

    # Full-width digits and the ellipsis are NFKC's to fold, not OpenCC's.
    assert prepare_body("截至２０２４年，共认定孵化机构３家……").simplified
    assert not prepare_body("共認定孵化機構").simplified
    # Each of 沈 and 默 alone is left as it is; the phrase 沈默 becomes 沉默.
    assert not prepare_body("沈默是金").simplified
    # A compatibility ideograph (U+F900): NFKC maps it, and a snippet's fold would convert it.
    assert not prepare_body("孵化\uf900").simplified
    # Beyond what is indexed nothing was checked.
    assert not prepare_body("孵化" * (MAX_INDEXED_CHARS // 2 + 1)).simplified


_SNIPPET_ALPHABET = (
    "孵化机构科技企业发展沈默藉口是金干部乾隆號号函渝０１２３ＡＢａｂAb01（）〔〕，,(。…\u3000 \n"
)


def _fold_aligned_as_first_written(text: str, **_) -> str:
    """Every full-width character made half-width, then OpenCC over every text."""
    import re

    from replies import search

    text = re.sub("[\uff01-\uff5e\u3000]", search._half_width, text)
    folded = search._to_simplified(text).lower()
    return folded if len(folded) == len(text) else text.lower()


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=_SNIPPET_ALPHABET, min_size=1, max_size=60),
    query=st.text(alphabet=_SNIPPET_ALPHABET.replace(" ", "").replace("\n", ""), max_size=6),
)
def test_snippets_as_when_every_body_was_converted_whole(text, query):
    # Only the full-width forms of the marks' characters are made half-width, and a body known
    # to be Simplified is not converted: the marks land where they did.
    from unittest import mock

    from replies import search
    from replies.search import prepare_body

    parsed = parse_query(query)
    assume(not parsed.is_empty())
    html = snippet(text, parsed, simplified=prepare_body(text).simplified)
    with mock.patch.object(search, "_fold_aligned", _fold_aligned_as_first_written):
        assert html == snippet(text, parsed)


def test_result_snippets_convert_only_bodies_opencc_would_change(seed_reply, monkeypatch):
    from django.core.management import call_command
    from django.db.models import Value
    from django.db.models.functions import Concat

    from replies import search

    assert set(Reply.objects.values_list("body_simplified", flat=True)) == {True}
    converted: list[int] = []
    real = search._to_simplified

    def recording(text: str) -> str:
        converted.append(len(text))
        return real(text)

    monkeypatch.setattr(search, "_to_simplified", recording)
    doc_no = "渝科局函〔2024〕275号"  # in the linked names, not in the body: every body is searched
    hit = run(doc_no).hits[0]
    assert converted and max(converted) < 100  # the query, not a body
    assert hit.reply.index_no == SEED_INDEX_NO
    assert hit.snippet == snippet(seed_reply.public_text, parse_query(doc_no))

    Reply.objects.filter(pk=seed_reply.pk).update(
        body_text=Concat("body_text", Value("沈默是金")), public_body_text=""
    )
    call_command("reindex")
    assert Reply.objects.get(pk=seed_reply.pk).body_simplified is False
    converted.clear()
    run(doc_no)
    assert max(converted) > len(seed_reply.body_text)  # that body, converted for its snippet


def test_a_corrected_body_is_checked_again_for_conversion(seed_reply):
    from replies.ingest import Context, correct_reply

    assert seed_reply.body_simplified is True
    correct_reply(seed_reply, {"body_text": seed_reply.body_text + "沈默是金"}, Context())
    seed_reply.refresh_from_db()
    assert seed_reply.body_simplified is False
    correct_reply(
        seed_reply, {"body_text": seed_reply.body_text.replace("沈默", "沉默")}, Context()
    )
    seed_reply.refresh_from_db()
    assert seed_reply.body_simplified is True
