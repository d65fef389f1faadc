import pytest
from django.test import Client

from replies.ingest import Context, ingest_source
from replies.models import Reply
from tests.conftest import SEED_INDEX_NO

HOSTILE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>重庆市测试局关于市政协六届二次会议第0999号提案答复的函</title>
<script>alert("head")</script></head>
<body onload="alert('body')">
<div class="zwxl-title"><p>重庆市测试局关于市政协六届二次会议第0999号提案答复的函</p></div>
<div class="content">
<p>张三委员：</p>
<p>您提出的《关于&lt;script&gt;alert(1)&lt;/script&gt;的建议》（第0999号）收悉。现答复如下：</p>
<p>一、基本情况<img src=x onerror="alert('img')"></p>
<p>我局<a href="javascript:alert('link')">点击这里</a>认真研究了&lt;img src=x onerror=alert(2)&gt;相关问题。</p>
<p><b onmouseover="alert(3)">加粗</b>文字，以及未闭合的<i>标签
<p>二、下一步工作打算</p>
<p>（一）加强&lt;iframe src="javascript:alert(4)"&gt;管理。持续推进。</p>
<p>重庆市测试局</p>
<p>2024年6月1日</p>
</div></body></html>"""


@pytest.fixture
def hostile_reply(db):
    outcome = ingest_source(HOSTILE.encode(), "hostile.html", Context())
    assert outcome.status == "created", outcome.reason
    return Reply.objects.get(pk=outcome.reply_id)


def assert_no_live_markup(html: str):
    """No element a browser would run: inline scripts, event handlers, javascript: URLs,
    frames. (Escaped text such as `&lt;script&gt;` is harmless and allowed.)"""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for script in soup.find_all("script"):
        assert script.get("src") and not script.string, script
    assert not soup.find_all(["iframe", "object", "embed"])
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), (element.name, name)
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert "javascript:" not in text.lower(), (element.name, name, text)


def test_planted_markup_never_reaches_a_page_unescaped(client, hostile_reply):
    # The text survives as text…
    assert "<script>alert(1)</script>" in hostile_reply.body_text
    pages = [
        hostile_reply.get_absolute_url(),
        "/search/?q=测试局",
        "/",
        hostile_reply.lead_agency.get_absolute_url(),
        "/feeds/search.atom?q=测试局",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if url.startswith("/feeds/"):
            # Summaries are typed HTML: what a feed reader renders must hold no live markup.
            import xml.etree.ElementTree as ET

            atom = "{http://www.w3.org/2005/Atom}"
            for summary in ET.fromstring(response.content).iter(f"{atom}summary"):
                assert summary.get("type") == "html"
                assert_no_live_markup(f"<div>{summary.text}</div>")
                assert "&lt;script&gt;" in summary.text
        else:
            assert_no_live_markup(body)
    # …and is shown escaped.
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in client.get(hostile_reply.get_absolute_url()).content.decode()
    )


def test_planted_markup_is_plain_data_in_api_and_exports(client, hostile_reply):
    data = client.get(f"/api/replies/by-id/{hostile_reply.pk}").json()
    assert "<script>alert(1)</script>" in data["body_text"]  # JSON carries text, not HTML
    snippet = client.get("/api/search", {"q": "测试局"}).json()["results"][0]["snippet"]
    assert_no_live_markup(f"<div>{snippet}</div>")  # the snippet is HTML: escaped + <mark>
    csv_body = b"".join(client.get("/export.csv", {"q": "测试局"}).streaming_content).decode()
    assert "<script>alert(1)</script>" in csv_body  # a CSV cell is text for a spreadsheet
    assert client.get("/export.csv", {"q": "测试局"})["Content-Type"].startswith("text/csv")


def test_security_headers(client, samples):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_forms_carry_csrf_and_posts_without_it_are_refused(samples):
    strict = Client(enforce_csrf_checks=True)
    assert 'name="csrfmiddlewaretoken"' in strict.get("/").content.decode()
    assert strict.post("/i18n/setlang/", {"language": "en"}).status_code == 403


def test_read_only_cors_on_the_api_only(client, samples):
    response = client.get("/api/search", {"q": "孵化"}, HTTP_ORIGIN="https://example.edu")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/search", HTTP_ORIGIN="https://example.edu", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/search/", {"q": "孵化"})


def test_conditional_get_on_detail_pages_and_api(client, samples):
    for url in (f"/r/{SEED_INDEX_NO}", f"/api/replies/{SEED_INDEX_NO}"):
        first = client.get(url)
        assert first.status_code == 200
        assert first["ETag"]
        assert first["Last-Modified"]
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_admin_login_is_throttled_after_repeated_failures(db, django_user_model):
    django_user_model.objects.create_superuser("chief", password="correct horse battery")
    browser = Client()
    statuses = [
        browser.post(
            "/admin/login/?next=/admin/", {"username": "chief", "password": "wrong"}
        ).status_code
        for _ in range(5)
    ]
    # The login form again four times; the fifth failure locks the account at this address.
    assert statuses == [200, 200, 200, 200, 429]
    locked = browser.post(
        "/admin/login/?next=/admin/", {"username": "chief", "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    assert browser.get("/admin/").status_code == 302  # still not logged in
