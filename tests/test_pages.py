import re

import pytest
from django.urls import reverse

from replies.models import Agency, Member, Reply, Session, Theme
from tests.conftest import SEED_INDEX_NO

pytestmark = pytest.mark.usefixtures("samples")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_seed_reply_page_shows_everything(client):
    response = client.get(f"/r/{SEED_INDEX_NO}")
    assert response.status_code == 200
    html = text_of(response)
    for value in (
        SEED_INDEX_NO,
        "渝科局函〔2024〕275号",
        "政协提案办理",
        "市科技局",
        "2024-10-12",
        "2024-05-16",
        "明炬",
        "市政协六届二次会议",
        "第1005号",
        "渝府办发〔2021〕142号",
        "打造孵化集群，树立示范标杆",
        "创新工作机制，激发孵化活力",
        "落款日期（2024-05-16）与成文日期（2024-10-12）不一致",
    ):
        assert value in html, value
    member = Member.objects.get(name="李洁")
    assert f'href="{member.get_absolute_url()}">李洁</a>' in html
    for name in (
        "重庆市人力资源和社会保障局",
        "重庆市经济和信息化委员会",
        "重庆市人民政府国有资产监督管理委员会",
    ):
        agency = Agency.objects.get(name=name)
        assert f'href="{agency.get_absolute_url()}">{name}</a>' in html
    assert html.count('id="commitment-') == 4
    assert '<h3 class="body-heading">一、推动全市构建科技企业孵化体系情况</h3>' in html


def test_reply_by_id_redirects_to_the_index_no_permalink(client):
    reply = Reply.objects.get(index_no=SEED_INDEX_NO)
    response = client.get(reverse("reply_by_id", args=[reply.pk]))
    assert response.status_code == 301
    assert response["Location"] == f"/r/{SEED_INDEX_NO}"


def test_search_page_with_facets_and_shareable_urls(client):
    from urllib.parse import parse_qs, urlsplit

    from replies.models import AgencyAlias

    # An agency named by its alias is renamed to its canonical name, which the facet lists
    # (as selected) and whose link removes it.
    response = client.get("/search/", {"q": "孵化", "agency": "市国资委"})
    assert response.status_code == 302
    canonical = AgencyAlias.objects.get(name="市国资委").agency.name
    location = urlsplit(response["Location"])
    assert location.path == "/search/"
    assert parse_qs(location.query) == {"q": ["孵化"], "agency": [canonical]}
    response = client.get(response["Location"])
    assert response.status_code == 200
    # Selected once, under its canonical name, with a link that removes it.
    assert response.content.decode().count('class="selected" aria-current="true"') == 1
    assert 'href="?q=%E5%AD%B5%E5%8C%96" class="selected"' in response.content.decode()
    html = text_of(response)
    assert "<mark>孵化</mark>" in html
    assert "共 1 件" in html
    assert 'class="selected" aria-current="true"' in html
    assert "清除全部筛选" in html


def test_search_page_goes_straight_to_a_doc_no(client):
    response = client.get("/search/", {"q": "渝科局函〔2024〕275号"})
    assert response.status_code == 302
    assert response["Location"] == f"/r/{SEED_INDEX_NO}"


def test_empty_result_explains_what_to_try(client):
    html = text_of(client.get("/search/", {"q": "不存在的词语组合"}))
    assert "没有找到符合条件的答复" in html
    assert "试试更短的词" in html


def test_bad_parameter_is_a_400_page(client):
    response = client.get("/search/", {"year": "abc"})
    assert response.status_code == 400
    assert "year" in text_of(response)


def test_entity_pages(client):
    agency = Agency.objects.get(name="重庆市人民政府国有资产监督管理委员会")
    html = text_of(client.get(agency.get_absolute_url()))
    assert "市国资委" in html and "协办" in html
    assert "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函" in html
    seed_title = "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    for url, expected in (
        (Member.objects.get(name="李洁").get_absolute_url(), seed_title),
        (Session.objects.get(name="市政协六届二次会议").get_absolute_url(), seed_title),
        (Theme.objects.get(name="科技").get_absolute_url(), seed_title),
        (Reply.objects.get(index_no=SEED_INDEX_NO).proposal.get_absolute_url(), seed_title),
        (reverse("agency_list"), "重庆市人民政府国有资产监督管理委员会"),
        (reverse("session_list"), "市六届人大二次会议"),
        (reverse("theme_list"), "教育"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert expected in text_of(response), url


def test_drafts_and_withdrawn_replies_are_not_public(client):
    Reply.objects.filter(index_no=SEED_INDEX_NO).update(status=Reply.Status.WITHDRAWN)
    assert client.get(f"/r/{SEED_INDEX_NO}").status_code == 404
    assert "1005号提案答复" not in text_of(client.get("/"))


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search/?q=科技",
        "/search/?kind=proposal&year=2024",
        f"/r/{SEED_INDEX_NO}",
        "/agencies/",
    ],
)
def test_pages_use_a_fixed_number_of_queries(client, url, django_assert_max_num_queries):
    # Constant, whatever the number of rows on the page (no per-row queries).
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_source_download_is_staff_only_when_it_holds_contact_details(client, admin_client):
    reply = Reply.objects.get(index_no="11500000009275780L/2024-00213")  # prints a phone number
    url = reverse("reply_source", args=[reply.pk, 1])
    assert client.get(url).status_code == 403
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b"023-12345678" in response.content
    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    response = client.get(reverse("reply_source", args=[seed.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_language_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = text_of(client.get("/"))
    assert 'lang="en"' in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-CN"' in text_of(client.get("/"))


def test_chinese_is_the_default_whatever_the_browser_says(client):
    html = text_of(client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert 'lang="zh-CN"' in html


def test_cited_by_lists_other_published_replies_newest_first(client):
    from replies.models import Citation
    from replies.queries import related_replies

    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    citation = seed.citations.get(document__doc_no="渝府办发〔2021〕142号")
    others = list(Reply.objects.exclude(pk=seed.pk).order_by("sort_date"))
    assert len(others) == 2
    for position, other in enumerate(others):
        Citation.objects.create(reply=other, document=citation.document, position=90 + position)
        # Citing the same document twice still lists the reply once.
        Citation.objects.create(reply=other, document=citation.document, position=95 + position)

    citing = related_replies(seed).citing[citation.document_id]
    assert [r.pk for r in citing] == [r.pk for r in reversed(others)]
    assert related_replies(seed, limit=1).citing[citation.document_id] == [others[-1]]

    others[-1].status = Reply.Status.WITHDRAWN
    others[-1].save()
    assert [r.pk for r in related_replies(seed).citing[citation.document_id]] == [others[0].pk]
    page = client.get(seed.get_absolute_url()).content.decode()
    assert others[0].title in page and others[-1].title not in page
