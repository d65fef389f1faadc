import csv
import io
import json

import feedparser
import pytest
from django.test import override_settings

from replies.exports import CSV_COLUMNS
from replies.models import Agency, Member, Reply, Session, Theme
from tests.conftest import SEED_INDEX_NO

pytestmark = pytest.mark.usefixtures("samples")


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_export_of_a_filtered_search_opens_with_correct_chinese(client):
    response = client.get("/export.csv", {"q": "孵化", "agency": "市国资委"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    body = streamed(response)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 1
    row = rows[0]
    assert row["index_no"] == SEED_INDEX_NO
    assert row["title"] == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    assert row["co_agencies_as_written"] == "市人力社保局；市经济信息委；市国资委"
    assert row["members"] == "李洁"
    assert (
        "《重庆市高质量孵化载体建设实施方案（2021—2025年）》（渝府办发〔2021〕142号）"
        in row["citations"]
    )
    assert row["url"].endswith(f"/r/{SEED_INDEX_NO}")


def test_jsonl_export_keeps_lists_and_uses_the_public_text(client):
    body = streamed(client.get("/export.jsonl", {"kind": "suggestion"})).decode()
    records = [json.loads(line) for line in body.splitlines()]
    assert [r["index_no"] for r in records] == ["11500000009275780L/2024-00213"]
    assert records[0]["co_agencies"] == ["重庆市财政局", "重庆市人力资源和社会保障局"]
    assert len(records[0]["commitments"]) == 3
    assert "023-12345678" not in body  # redacted


@override_settings(ARCHIVE_EXPORT_ANON_LIMIT=2)
def test_anonymous_export_cap_is_explained(client, admin_client):
    response = client.get("/export.csv")
    assert response.status_code == 403
    assert "partial=1" in response.content.decode()
    partial = client.get("/export.jsonl", {"partial": "1"})
    assert partial.status_code == 200
    assert len(streamed(partial).decode().splitlines()) == 2
    assert partial["X-Export-Truncated"]
    staff = admin_client.get("/export.jsonl")
    assert len(streamed(staff).decode().splitlines()) == 3


def test_export_rejects_bad_parameters(client):
    response = client.get("/export.csv", {"year": "x"})
    assert response.status_code == 400
    assert "year" in response.content.decode()
    assert client.get("/export.xlsx").status_code == 404


def assert_valid_atom(response, expected_titles: list[str]):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == expected_titles
    for entry in feed.entries:
        assert entry.link.startswith("http://testserver/r/")
        assert entry.id == entry.link
        assert entry.summary
    return feed


def test_search_feed_is_valid_atom_newest_first(client):
    feed = assert_valid_atom(
        client.get("/feeds/search.atom", {"q": "科技"}),
        [
            "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函",
            "关于政协十四届全国委员会第二次会议第03105号（科学技术类186号）提案答复的函",
            "重庆市教育委员会关于市六届人大二次会议第0387号建议办理情况的答复函",
        ],
    )
    assert "科技" in feed.feed.title


def test_entity_feeds(client):
    seed_title = "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    for obj in (
        Agency.objects.get(name="重庆市人民政府国有资产监督管理委员会"),
        Member.objects.get(name="李洁"),
        Session.objects.get(name="市政协六届二次会议"),
    ):
        model = obj._meta.model_name
        plural = {"agency": "agencies", "member": "members", "session": "sessions"}[model]
        assert_valid_atom(client.get(f"/{plural}/{obj.pk}/feed.atom"), [seed_title])
    # 教育 is one of the ministry reply's two themes (科技、教育\科技) and the only one of
    # the municipal education reply.
    theme = Theme.objects.get(name="教育")
    assert_valid_atom(
        client.get(f"/themes/{theme.pk}/feed.atom"),
        [
            "关于政协十四届全国委员会第二次会议第03105号（科学技术类186号）提案答复的函",
            "重庆市教育委员会关于市六届人大二次会议第0387号建议办理情况的答复函",
        ],
    )


def test_feeds_leave_out_drafts(client):
    Reply.objects.filter(index_no=SEED_INDEX_NO).update(status=Reply.Status.DRAFT)
    feed = feedparser.parse(client.get("/feeds/search.atom", {"q": "孵化"}).content)
    assert feed.entries == []


def test_search_page_links_its_exports_and_feed(client):
    html = client.get("/search/", {"q": "孵化"}).content.decode()
    assert "/export.csv?q=" in html
    assert "/export.jsonl?q=" in html
    assert 'type="application/atom+xml"' in html


def test_every_surface_shows_the_public_text(client):
    """The seed prints no contact details (no public copy stored: its body is shown); the
    Education Commission's reply prints a telephone number (its redacted copy is shown)."""
    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    jw = Reply.objects.get(index_no="11500000009275780L/2024-00213")
    assert seed.public_body_text == "" and "023-12345678" in jw.body_text
    for reply in (seed, jw):
        expected = reply.public_text
        assert client.get(f"/api/replies/{reply.index_no}").json()["body_text"] == expected
        kind = {"kind": reply.kind}
        records = [
            json.loads(line)
            for line in streamed(client.get("/export.jsonl", kind)).decode().splitlines()
        ]
        assert next(r for r in records if r["index_no"] == reply.index_no)["body_text"] == expected
    assert "023-12345678" not in jw.public_text
    feed = client.get("/feeds/search.atom").content.decode()
    assert seed.body_text[:40].replace("\n", " ") in feed
